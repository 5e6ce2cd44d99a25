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
    /// When the chunk starts inside a line cut at the longest entry: the characters of the
    /// line before its start, and how many bytes at its start the chunk before also held.
    pub column: u64,
    pub overlap: usize,
    /// The chunk ends inside a line it cut (the next chunk goes on with it).
    pub cut_line: bool,
}

/// What one chunk holds, counted from its start.
pub(super) struct ChunkResult {
    /// One per query: whether a run start came in the chunk (then the result is all that
    /// counts from the chunks so far), and what was found after the last one.
    results: Vec<(bool, QueryResult)>,
    /// One per query: whether it counted an entry on the chunk's first line, and on its last.
    edges: Vec<Edges>,
    line_ends: u64,
    /// Bytes of the file the chunk's text came from, when the encoding tells it, and of the
    /// start it shares with the chunk before (a cut line read again).
    original_len: Option<u64>,
    overlap_len: Option<u64>,
    /// The chunk starts inside a line the chunk before cut, and ends inside one it cuts.
    continues_line: bool,
    cut_line: bool,
}

/// Whether a query counted an entry on the first and on the last line of a chunk: a line cut
/// across chunks is one line, and gives one finding.
#[derive(Default, Clone, Copy)]
struct Edges {
    first_line: bool,
    last_line: bool,
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
        let line_ends = count_line_ends(text);
        let mut edges = vec![Edges::default(); self.queries.len()];
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
            // Entries never overlap: a CMTrace record is found from a `<![LOG[` before the
            // position, and one that opens mid-line reaches back to its line's start, which
            // may lie inside the entry just judged (a position before the `<![LOG[` on that
            // line was its own line). What was judged, everything before `at` (the last
            // entry's end), is not judged again, and positions stay in order.
            let found = entry_at(text, candidate.max(at), chunk.records);
            let entry = found.start.max(at)..found.end;
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
            let place = EntryPlace {
                line,
                offset,
                // The start of a cut line's continuation was searched in the chunk before:
                // a match starts after its first character, and `^` or `\b` see what was
                // before it.
                search_from: if line == 0 && chunk.overlap > 0 {
                    first_char_len(entry_text.matched)
                } else {
                    0
                },
                column: if line == 0 { chunk.column } else { 0 },
                // And the end of a line it cuts is searched again in the next chunk, which
                // sees what comes after it (`$` is not the end of the line there).
                cut_here: chunk.cut_line && entry.end == text.len(),
            };
            for i in self.check_entry(caches, &mut results, &entry_text, &place, chunk.encoding) {
                edges[i].first_line |= line == 0;
                edges[i].last_line |= line == line_ends;
            }
            // Resume after the entry, not after the candidate match: a match that ran into
            // the next entry must not hide that entry's own match.
            at = entry.end.max(candidate + 1);
        }
        ChunkResult {
            results,
            edges,
            line_ends,
            original_len: chunk.encoding.original_len(original),
            overlap_len: chunk.encoding.original_len(&original[..chunk.overlap]),
            continues_line: chunk.overlap > 0,
            cut_line: chunk.cut_line,
        }
    }

    /// Checks one entry against every query; gives the queries that counted it.
    fn check_entry(
        &self,
        caches: &mut Caches,
        results: &mut [(bool, QueryResult)],
        entry: &EntryText<'_>,
        place: &EntryPlace,
        encoding: Encoding,
    ) -> Vec<usize> {
        let mut counted = Vec::new();
        if !self.search.matched_in(caches, entry.matched) {
            return counted;
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
                counted.retain(|&c| c != i);
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
            let Some(captures) = query.pattern.regex.captures_at(entry.matched, place.search_from) else {
                continue;
            };
            if place.cut_here && captures.get(0).is_some_and(|m| m.end() == entry.matched.len()) {
                continue;
            }
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
            counted.push(i);
            if result.matches.len() < self.keep {
                let mut found = describe_match(entry, place.line, &query.pattern.regex, &captures);
                if found.line == place.line + 1 {
                    found.column += place.column;
                    found.end_column = found.end_column.map(|c| c + place.column);
                }
                found.byte_range = place.offset.and_then(|o| {
                    let whole = entry.original_range(captures.get(0).map_or(0..0, |m| m.range()));
                    let start = o + encoding.original_len(&entry.original[..whole.start])?;
                    Some(start..start + encoding.original_len(&entry.original[whole])?)
                });
                result.matches.push(found);
            }
        }
        counted
    }
}

/// Where an entry is in its chunk.
struct EntryPlace {
    /// Line ends before it, counted from the chunk's start.
    line: u64,
    /// Its byte offset in the file, while the decoded text tells it.
    offset: Option<u64>,
    /// Where in the entry its match may start.
    search_from: usize,
    /// Characters of its line before the chunk's start.
    column: u64,
    /// The chunk cuts the entry's line where the entry ends.
    cut_here: bool,
}

/// The bytes of the first character of `text` (0 for none).
fn first_char_len(text: &[u8]) -> usize {
    text.iter()
        .skip(1)
        .position(|b| !(0x80..0xC0).contains(b))
        .map_or(text.len(), |i| i + 1)
}

/// The results of the chunks added so far, in file order.
pub(super) struct Tally {
    pub results: Vec<QueryResult>,
    keep: usize,
    /// Lines before the next chunk.
    line: u64,
    /// File offset of the next chunk, while the decoded text tells it.
    offset: Option<u64>,
    /// One per query: the chunk before cut a line, and the query counted that line.
    counted_cut_line: Vec<bool>,
}

impl Tally {
    /// Nothing found yet; the text starts `offset` bytes into the file (after a BOM).
    pub(super) fn new(queries: usize, keep: usize, offset: u64) -> Tally {
        Tally {
            results: (0..queries).map(|_| QueryResult::default()).collect(),
            keep,
            line: 0,
            offset: Some(offset),
            counted_cut_line: vec![false; queries],
        }
    }

    /// Adds the next chunk's result, which read `offsets_exact` text.
    pub(super) fn add(&mut self, chunk: ChunkResult, offsets_exact: bool) {
        if !offsets_exact {
            self.offset = None;
        }
        // A chunk that goes on with a cut line starts where the chunk before read again.
        let start = match (self.offset, chunk.overlap_len) {
            (Some(o), Some(overlap)) => o.checked_sub(overlap),
            _ => None,
        };
        let line = self.line;
        // The whole chunk is the middle of one cut line.
        let within_one_line = chunk.continues_line && chunk.line_ends == 0;
        let per_query = self.results.iter_mut().zip(chunk.results).zip(&chunk.edges);
        for (((total, (restarted, mut found)), edges), counted_cut_line) in per_query.zip(&mut self.counted_cut_line) {
            if restarted {
                *total = QueryResult {
                    run_started: true,
                    ..QueryResult::default()
                };
            }
            // One line, one finding: the chunk before counted the line this one goes on with.
            let counted_before = chunk.continues_line && !restarted && *counted_cut_line;
            if counted_before && edges.first_line {
                found.count -= 1;
                if found.matches.first().is_some_and(|m| m.line == 1) {
                    found.matches.remove(0);
                }
            }
            *counted_cut_line = chunk.cut_line && (edges.last_line || within_one_line && counted_before);
            total.count += found.count;
            let room = self.keep.saturating_sub(total.matches.len());
            total
                .matches
                .extend(found.matches.into_iter().take(room).map(|m| shift(m, line, start)));
        }
        self.line += chunk.line_ends;
        self.offset = start.and_then(|o| Some(o + chunk.original_len?));
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
