//! Streams a log once for all the rules that read it.
//!
//! The log is decoded as it is read (UTF-8 passes through; UTF-16 and legacy code pages are
//! decoded chunk by chunk) and read in chunks that end on an entry boundary (a line start; a
//! CMTrace record start), which are scanned on several threads while the next are read, and
//! their results added up in file order (see `split` and `chunk`). All the rules' patterns
//! (and their `run-start` patterns) are compiled into one multi-pattern search over a whole
//! chunk at a time, the way ripgrep does, so the cost of a clean log is one pass of a
//! literal-accelerated search rather than one regex call per line per rule. That search and the
//! set that says which patterns match an entry ask for no captures; only the patterns that
//! matched an entry capture in it, so memory and time grow with the number of patterns, not
//! with its square. Memory is a few chunks per thread plus the longest entry, and at most
//! `keep` matches per rule (the engine's per-rule cap) per chunk in flight, whatever the size
//! of the log.

use std::io::{self, Read};
use std::ops::Range;

use crate::document::text::{Encoding, Utf8Reader};
use crate::finding::Excerpt;

mod chunk;
mod entries;
mod excerpt;
mod normalize;
mod pattern;
mod search;
mod split;

use chunk::{Matcher, Tally};
pub use entries::MAX_ENTRY;
pub use excerpt::entry_context;
pub use pattern::{MAX_REPETITION, OversizedRepetition, Pattern, oversized_repetition};
use split::Split;

/// What one rule asks of a log.
#[derive(Debug)]
pub struct LogQuery {
    pub pattern: Pattern,
    pub scope: Scope,
    /// Entries that match `pattern` and are known to be normal: they do not count, and
    /// (for a reporting query) are explained all the same.
    pub normal: Vec<Pattern>,
    /// Entries that belong to the failures this query reports without matching it (the
    /// downloader's `WinHttpSendRequest failed` before its `Download() failed`): explained,
    /// so no catch-all reports them again (one root cause, one finding).
    pub explains: Vec<Pattern>,
    pub role: Role,
}

/// How a query's matches relate to the other queries of the same scan.
#[derive(Debug)]
pub enum Role {
    /// Its matches are findings: an entry it matches is explained (a specific rule).
    Reports,
    /// Its matches are counted (a line that must be there); it explains nothing.
    Counts,
    /// Matches only the entries that no [`Role::Reports`] query of the scan explains, nor an
    /// `Unexplained` query before it: a line its writer marks that nothing explains (the
    /// catch-all; a family of failures listed before the last catch-all takes its own).
    Unexplained,
}

#[derive(Debug)]
pub enum Scope {
    WholeLog,
    /// Only entries after the last entry that matches this pattern count.
    LastRun(Pattern),
}

/// One matching entry.
#[derive(Debug, Clone)]
pub struct LogMatch {
    /// What the entry says, without its writer's layout (see `excerpt::entry_message`).
    pub message: String,
    pub line: u64,
    pub column: u64,
    pub end_column: Option<u64>,
    /// Byte range of the match in the file as it is on disk (not in the decoded text), when
    /// the encoding tells it: UTF-8, UTF-16, single-byte code pages and CP932, decoded cleanly.
    pub byte_range: Option<Range<u64>>,
    /// Named captures that took part in the match, in pattern order.
    pub captures: Vec<(String, String)>,
    /// The matched text, clipped.
    pub matched: String,
    pub excerpt: Excerpt,
}

#[derive(Debug, Default)]
pub struct QueryResult {
    /// The first `keep` matching entries in scope.
    pub matches: Vec<LogMatch>,
    /// All matching entries in scope, kept or not.
    pub count: u64,
    /// With `scope: last-run`, whether any entry started a run.
    pub run_started: bool,
}

/// What a scan found, and how the log was read.
#[derive(Debug)]
pub struct Scanned {
    /// One result per query, in order.
    pub results: Vec<QueryResult>,
    pub encoding: Encoding,
    /// Every byte decoded (or, for UTF-8, was valid UTF-8).
    pub clean: bool,
    /// Its first bytes are full of control characters.
    pub garbled: bool,
}

/// Scans `input` once and returns one result per query, in order, each keeping its first
/// `keep` matches and counting the rest. `named` is the legacy code page to read a log that
/// is not UTF-8 in (detected when `None`).
pub fn scan(
    input: impl Read,
    queries: &[&LogQuery],
    keep: usize,
    named: Option<&'static encoding_rs::Encoding>,
) -> io::Result<Scanned> {
    scan_split(input, queries, keep, named, Split::for_this_machine())
}

fn scan_split(
    input: impl Read,
    queries: &[&LogQuery],
    keep: usize,
    named: Option<&'static encoding_rs::Encoding>,
    split: Split,
) -> io::Result<Scanned> {
    let reader = Utf8Reader::new(input, named)?;
    let matcher = Matcher::new(queries, keep);
    let mut tally = Tally::new(queries.len(), keep, reader.encoding.bom_len() as u64);
    let reader = split::scan_chunks(reader, &matcher, &mut tally, split)?;
    Ok(Scanned {
        results: tally.results,
        encoding: reader.encoding,
        clean: !reader.damaged,
        garbled: reader.garbled,
    })
}

#[cfg(test)]
mod tests;
