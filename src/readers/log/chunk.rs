//! Scanning one chunk of whole entries on its own, and adding chunks' results up in file order.
//!
//! A chunk is scanned as if it began the log: line numbers and byte offsets count from its
//! start, and a `run-start` match in it says so. [`Tally`] then shifts them by what came
//! before and lets a chunk with a run start replace what the chunks before found, so the sum is
//! what one pass over the whole log finds, however the log was cut.

use super::entries::{count_line_ends, entry_at};
use super::excerpt::{EntryText, describe_match};
use super::normalize::{self, Positions};
use super::search::{Caches, Search};
use super::{LogMatch, LogQuery, QueryResult, Role, Scope};
use crate::document::text::Encoding;

/// The queries of one scan compiled for searching, shared by every thread.
pub(super) struct Matcher<'q> {
    queries: &'q [&'q LogQuery],
    search: Search,
    /// For each query, its pattern's index in the search, and its run-start pattern's.
    indexes: Vec<(usize, Option<usize>)>,
    /// The queries' indexes in the order an entry is checked: the catch-alls last.
    order: Vec<usize>,
    keep: usize,
}

/// A chunk of decoded text made of whole entries, and how to read it.
pub(super) struct Chunk {
    pub text: Vec<u8>,
    pub encoding: Encoding,
    /// Whether CMTrace records are the entries.
    pub records: bool,
    /// Byte offsets into the file still follow from the decoded text.
    pub offsets_exact: bool,
    /// The last chunk of the log.
    pub last: bool,
}

/// What one chunk holds, counted from its start.
pub(super) struct ChunkResult {
    /// One per query: whether a run start came in the chunk (then the result is all that
    /// counts from the chunks so far), and what was found after the last one.
    results: Vec<(bool, QueryResult)>,
    line_ends: u64,
    /// Bytes of the file the chunk's text came from, when the encoding tells it.
    original_len: Option<u64>,
}

impl<'q> Matcher<'q> {
    pub(super) fn new(queries: &'q [&'q LogQuery], keep: usize) -> Self {
        let mut sources: Vec<&str> = Vec::new();
        let mut indexes = Vec::new();
        for query in queries {
            let pattern = sources.len();
            sources.push(&query.pattern.folded);
            let run_start = match &query.scope {
                Scope::LastRun(run_start) => {
                    sources.push(&run_start.folded);
                    Some(pattern + 1)
                }
                Scope::WholeLog => None,
            };
            indexes.push((pattern, run_start));
        }
        let mut order: Vec<usize> = (0..queries.len()).collect();
        order.sort_by_key(|&i| matches!(queries[i].role, Role::Unexplained));
        Matcher {
            queries,
            search: Search::new(&sources),
            indexes,
            order,
            keep,
        }
    }

    pub(super) fn caches(&self) -> Caches {
        self.search.caches()
    }

    pub(super) fn scan(&self, caches: &mut Caches, chunk: &Chunk) -> ChunkResult {
        let original = &chunk.text[..];
        // Patterns match the folded text (see `normalize`); lines and columns are the same in
        // both, and what is reported (excerpts, captures, byte offsets) is read from the
        // original at the mapped positions.
        let folded = normalize::folded(original);
        let text = folded.as_deref().unwrap_or(original);
        let mut positions = Positions::new(original, folded.as_deref());
        let mut results: Vec<(bool, QueryResult)> = self.queries.iter().map(|_| Default::default()).collect();
        let mut at = 0;
        let mut line = 0;
        let mut counted = 0;
        let mut counted_original = 0;
        let mut offset = Some(0);
        while at < text.len() {
            let Some(candidate) = self.search.next_candidate(caches, text, at) else {
                break;
            };
            // An empty match at the very end of a chunk that is not the log's last is at the
            // start of the next chunk's first line, and is found there.
            if candidate >= text.len() && !chunk.last {
                break;
            }
            let entry = entry_at(text, candidate.max(at), chunk.records);
            line += count_line_ends(&text[counted..entry.start]);
            // Positions are asked in increasing order: where the last entry started is known.
            let start_original = positions.original(entry.start);
            offset = offset.and_then(|o| {
                Some(
                    o + chunk
                        .encoding
                        .original_len(&original[counted_original..start_original])?,
                )
            });
            (counted, counted_original) = (entry.start, start_original);
            let end_original = positions.original(entry.end);
            let entry_text = EntryText {
                matched: &text[entry.clone()],
                original: &original[start_original..end_original],
            };
            self.check_entry(caches, &mut results, &entry_text, line, offset, chunk.encoding);
            // Resume after the entry, not after the candidate match: a match that ran into
            // the next entry must not hide that entry's own match.
            at = entry.end.max(candidate + 1);
        }
        ChunkResult {
            results,
            line_ends: count_line_ends(text),
            original_len: chunk.encoding.original_len(original),
        }
    }

    fn check_entry(
        &self,
        caches: &mut Caches,
        results: &mut [(bool, QueryResult)],
        entry: &EntryText<'_>,
        line: u64,
        offset: Option<u64>,
        encoding: Encoding,
    ) {
        if !self.search.matched_in(caches, entry.matched) {
            return;
        }
        // Reporting queries first: an entry one of them matches is explained, and the
        // catch-alls after them, in their order, pass it by (one line, one finding: the most
        // specific rule's).
        let mut explained = false;
        let in_order = self.order.iter().map(|&i| (i, &self.queries[i], self.indexes[i]));
        for (i, query, (pattern, run_start)) in in_order {
            let (restarted, result) = &mut results[i];
            if let (Scope::LastRun(run_start_pattern), Some(index)) = (&query.scope, run_start)
                && caches.may_match(index)
                && run_start_pattern.regex.is_match(entry.matched)
            {
                *restarted = true;
                *result = QueryResult {
                    run_started: true,
                    ..QueryResult::default()
                };
                continue;
            }
            if !explained && query.explains.iter().any(|e| e.regex.is_match(entry.matched)) {
                explained = true;
            }
            if !caches.may_match(pattern) {
                continue;
            }
            if explained && matches!(query.role, Role::Unexplained) {
                continue;
            }
            let Some(captures) = query.pattern.regex.captures(entry.matched) else {
                continue;
            };
            // A known-normal line is not counted, and no catch-all reports it either. A
            // catch-all that reports a line explains it to the catch-alls after it, so a
            // family of failures listed before the last catch-all takes its lines.
            let normal = query.normal.iter().any(|n| n.regex.is_match(entry.matched));
            if !matches!(query.role, Role::Counts) || normal {
                explained = true;
            }
            if normal {
                continue;
            }
            result.count += 1;
            if result.matches.len() < self.keep {
                let mut found = describe_match(entry, line, &query.pattern.regex, &captures);
                found.byte_range = offset.and_then(|o| {
                    let whole = entry.original_range(captures.get(0).map_or(0..0, |m| m.range()));
                    let start = o + encoding.original_len(&entry.original[..whole.start])?;
                    Some(start..start + encoding.original_len(&entry.original[whole])?)
                });
                result.matches.push(found);
            }
        }
    }
}

/// The results of the chunks added so far, in file order.
pub(super) struct Tally {
    pub results: Vec<QueryResult>,
    keep: usize,
    /// Lines before the next chunk.
    line: u64,
    /// File offset of the next chunk, while the decoded text tells it.
    offset: Option<u64>,
}

impl Tally {
    /// Nothing found yet; the text starts `offset` bytes into the file (after a BOM).
    pub(super) fn new(queries: usize, keep: usize, offset: u64) -> Tally {
        Tally {
            results: (0..queries).map(|_| QueryResult::default()).collect(),
            keep,
            line: 0,
            offset: Some(offset),
        }
    }

    /// Adds the next chunk's result, which read `offsets_exact` text.
    pub(super) fn add(&mut self, chunk: ChunkResult, offsets_exact: bool) {
        if !offsets_exact {
            self.offset = None;
        }
        let (line, offset) = (self.line, self.offset);
        for (total, (restarted, found)) in self.results.iter_mut().zip(chunk.results) {
            if restarted {
                *total = QueryResult {
                    run_started: true,
                    ..QueryResult::default()
                };
            }
            total.count += found.count;
            let room = self.keep.saturating_sub(total.matches.len());
            total
                .matches
                .extend(found.matches.into_iter().take(room).map(|m| shift(m, line, offset)));
        }
        self.line += chunk.line_ends;
        self.offset = self.offset.and_then(|o| Some(o + chunk.original_len?));
    }
}

/// A match counted from its chunk's start, counted from the file's: its chunk starts after
/// `line` lines, at `offset` in the file.
fn shift(mut found: LogMatch, line: u64, offset: Option<u64>) -> LogMatch {
    found.line += line;
    found.excerpt.first_line += line;
    found.byte_range = offset.and_then(|o| found.byte_range.map(|r| o + r.start..o + r.end));
    found
}
