//! Streams a log once for all the rules that read it.
//!
//! The log is decoded as it is read (UTF-8 passes through; UTF-16 and legacy code pages are
//! decoded chunk by chunk) and read in chunks that end on an entry boundary. All the rules'
//! patterns (and their `run-start` patterns) are compiled into one multi-pattern search over a
//! whole chunk at a time, the way ripgrep does, so the cost of a clean log is one pass of a
//! literal-accelerated search rather than one regex call per line per rule. That search and the
//! set that says which patterns match an entry ask for no captures; only the patterns that
//! matched an entry capture in it, so memory and time grow with the number of patterns, not
//! with its square. Memory is one chunk plus the longest entry, and at most `keep` matches per
//! rule (the engine's per-rule cap), whatever the size of the log.

use std::io::{self, Read};
use std::ops::Range;

use memchr::memmem;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::prefilter::Prefilter;
use regex_automata::{Input, MatchKind, PatternID, PatternSet, hybrid, meta};

use crate::document::text::{Encoding, Utf8Reader};
use crate::finding::Excerpt;

mod excerpt;
mod pattern;

use excerpt::describe_match;
pub use excerpt::entry_context;
pub use pattern::{MAX_REPETITION, OversizedRepetition, Pattern, oversized_repetition};

/// How much is read at a time.
const CHUNK: usize = 1 << 20;

/// An entry longer than this is not held whole: a CMTrace record is cut at a line end, a line
/// where the buffer ends (a matched part of it then counts its columns from the cut). A log of
/// one endless line (a sparse file of zeros) so scans in bounded memory.
const MAX_ENTRY: usize = 64 << 20;

const RECORD_OPEN: &[u8] = b"<![LOG[";
const RECORD_CLOSE: &[u8] = b"]LOG]!>";

/// What one rule asks of a log.
#[derive(Debug)]
pub struct LogQuery {
    pub pattern: Pattern,
    pub scope: Scope,
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
}

/// What a scan found, and how the log was read.
#[derive(Debug)]
pub struct Scanned {
    /// One result per query, in order.
    pub results: Vec<QueryResult>,
    pub encoding: Encoding,
    /// Every byte decoded (or, for UTF-8, was valid UTF-8).
    pub clean: bool,
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
    let mut reader = Utf8Reader::new(input, named)?;
    let mut scanner = Scanner::new(queries, keep, reader.encoding.bom_len() as u64);
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    loop {
        let eof = fill(&mut reader, &mut buf)?;
        if scanner.records.is_none() {
            scanner.records = detect_records(&buf, eof);
        }
        let end = if eof { buf.len() } else { scanner.boundary(&buf) };
        if end == 0 && !eof {
            continue;
        }
        if !reader.offsets_exact() {
            scanner.chunk_offset = None;
        }
        scanner.encoding = reader.encoding;
        scanner.process(&buf[..end]);
        scanner.advance(&buf[..end]);
        buf.drain(..end);
        if eof {
            break;
        }
    }
    Ok(Scanned {
        results: scanner.results,
        encoding: reader.encoding,
        clean: !reader.damaged,
    })
}

/// Reads until at least one more chunk is buffered or the input ends; returns true at the end.
fn fill(reader: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<bool> {
    let target = buf.len() + CHUNK;
    let mut filled = buf.len();
    buf.resize(target, 0);
    while filled < target {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                buf.truncate(filled);
                return Ok(true);
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
    }
    Ok(false)
}

/// A log is read as CMTrace records if its first non-blank line opens one; otherwise every
/// line is an entry. `None` until enough is buffered to see a first line.
fn detect_records(buf: &[u8], eof: bool) -> Option<bool> {
    let start = buf.iter().position(|b| !b.is_ascii_whitespace());
    match start {
        Some(s) if buf.len() - s >= RECORD_OPEN.len() || eof => Some(buf[s..].starts_with(RECORD_OPEN)),
        _ if eof => Some(false),
        _ => None,
    }
}

// Lines end in CRLF, LF or a lone CR (old Mac editors, some copy tools): all three end a line.

/// Just past the end of the line that holds `pos`, its line end included.
fn line_end_from(bytes: &[u8], pos: usize) -> usize {
    match memchr::memchr2(b'\n', b'\r', &bytes[pos..]) {
        None => bytes.len(),
        Some(i) if bytes[pos + i] == b'\r' && bytes.get(pos + i + 1) == Some(&b'\n') => pos + i + 2,
        Some(i) => pos + i + 1,
    }
}

/// The start of the line that holds `pos` (the LF of a CRLF belongs to the line it ends).
fn line_start_before(bytes: &[u8], pos: usize) -> usize {
    let pos = if pos > 0 && bytes.get(pos) == Some(&b'\n') && bytes[pos - 1] == b'\r' {
        pos - 1
    } else {
        pos
    };
    memchr::memrchr2(b'\n', b'\r', &bytes[..pos]).map_or(0, |i| i + 1)
}

/// The line ends in `bytes`; a CR at the very end counts, so `bytes` must not end between the
/// CR and LF of a CRLF.
fn count_line_ends(bytes: &[u8]) -> u64 {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
        .count() as u64
}

/// The last line end in `buf` that is surely one: a CR last in the buffer may be the start of
/// a CRLF whose LF is not read yet.
fn last_line_end(buf: &[u8]) -> usize {
    let mut end = buf.len();
    while let Some(i) = memchr::memrchr2(b'\n', b'\r', &buf[..end]) {
        if buf[i] == b'\n' || i + 1 < buf.len() {
            return i + 1;
        }
        end = i;
    }
    0
}

/// The syntax every log pattern is compiled with (as [`Pattern::new`] does).
fn syntax() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .multi_line(true)
        .crlf(true)
        .utf8(false)
}

/// Finds, without captures, which patterns match where: a search over all patterns at once
/// must not cost memory for every pattern's capture slots in every automaton state (that grew
/// with the square of the patterns: 10,000 rules asked for 131 GB).
struct Search {
    /// Which patterns match one entry (a set, as `regex::RegexSet`); `None` if the patterns
    /// together pass the size limits, and then every pattern is tried on every candidate.
    set: Option<(meta::Regex, meta::Cache, PatternSet)>,
    /// Where the next match begins in a chunk: forward and reverse lazy DFAs over every
    /// pattern, with their literal prefixes as a prefilter. `None` when a pattern anchors to
    /// the whole entry (`\A`, `\z`), which a chunk-wide search cannot honour: then every entry
    /// is a candidate.
    finder: Option<(hybrid::regex::Regex, hybrid::regex::Cache)>,
}

impl Search {
    fn new(sources: &[&str]) -> Search {
        // Every source already compiled alone; a failure here (size limits) only costs speed.
        let set = meta::Regex::builder()
            .syntax(syntax())
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::All)
                    .which_captures(WhichCaptures::None)
                    .utf8_empty(false)
                    .nfa_size_limit(Some(1 << 28)),
            )
            .build_many(sources)
            .ok()
            .map(|set| {
                let cache = set.create_cache();
                let matched = PatternSet::new(set.pattern_len());
                (set, cache, matched)
            });
        let anchored_to_entry = sources.iter().any(|s| s.contains(r"\A") || s.contains(r"\z"));
        let finder = (!anchored_to_entry).then(|| Self::finder(sources)).flatten();
        Search { set, finder }
    }

    fn finder(sources: &[&str]) -> Option<(hybrid::regex::Regex, hybrid::regex::Cache)> {
        let mut parser = regex_syntax::ParserBuilder::new();
        parser.multi_line(true).crlf(true).utf8(false);
        let hirs = sources
            .iter()
            .map(|s| parser.build().parse(s).ok())
            .collect::<Option<Vec<_>>>()?;
        let prefilter = Prefilter::from_hirs_prefix(MatchKind::LeftmostFirst, &hirs);
        let regex = hybrid::regex::Builder::new()
            .syntax(syntax())
            .thompson(
                thompson::Config::new()
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(1 << 28)),
            )
            .dfa(
                hybrid::dfa::Config::new()
                    .prefilter(prefilter)
                    // `\b` on ASCII; the search gives up at other bytes, and the entry there
                    // is then a candidate.
                    .unicode_word_boundary(true)
                    .cache_capacity(8 << 20)
                    .skip_cache_capacity_check(true),
            )
            .build_many(sources)
            .ok()?;
        let cache = regex.create_cache();
        Some((regex, cache))
    }

    /// Where in `chunk` from `at` on the next match may begin; `None` if none does.
    fn next_candidate(&mut self, chunk: &[u8], at: usize) -> Option<usize> {
        let Some((regex, cache)) = &mut self.finder else {
            return Some(at);
        };
        match regex.try_search(cache, &Input::new(chunk).range(at..)) {
            Ok(found) => found.map(|m| m.start()),
            Err(_) => Some(at),
        }
    }

    /// Whether pattern `index` may match `entry`, after [`Search::matched_in`] for it.
    fn may_match(&self, index: usize) -> bool {
        self.set
            .as_ref()
            .is_none_or(|(_, _, matched)| matched.contains(PatternID::new_unchecked(index)))
    }

    /// Notes which patterns match `entry`; false when none does.
    fn matched_in(&mut self, entry: &[u8]) -> bool {
        let Some((set, cache, matched)) = &mut self.set else {
            return true;
        };
        matched.clear();
        set.which_overlapping_matches_with(cache, &Input::new(entry), matched);
        !matched.is_empty()
    }
}

struct Scanner<'q> {
    queries: &'q [&'q LogQuery],
    search: Search,
    /// For each query, its pattern's index in the search, and its run-start pattern's.
    indexes: Vec<(usize, Option<usize>)>,
    records: Option<bool>,
    keep: usize,
    results: Vec<QueryResult>,
    /// Line number (0-based) at the start of the current chunk.
    chunk_line: u64,
    /// File offset of the current chunk, while the decoded text tells it.
    chunk_offset: Option<u64>,
    encoding: Encoding,
}

impl<'q> Scanner<'q> {
    fn new(queries: &'q [&'q LogQuery], keep: usize, offset: u64) -> Self {
        let mut sources: Vec<&str> = Vec::new();
        let mut indexes = Vec::new();
        for query in queries {
            let pattern = sources.len();
            sources.push(&query.pattern.source);
            let run_start = match &query.scope {
                Scope::LastRun(run_start) => {
                    sources.push(&run_start.source);
                    Some(pattern + 1)
                }
                Scope::WholeLog => None,
            };
            indexes.push((pattern, run_start));
        }
        Scanner {
            queries,
            search: Search::new(&sources),
            indexes,
            records: None,
            keep,
            results: queries.iter().map(|_| QueryResult::default()).collect(),
            chunk_line: 0,
            chunk_offset: Some(offset),
            encoding: Encoding::UTF8,
        }
    }

    /// End of the last complete entry in `buf` (0 if none yet).
    fn boundary(&self, buf: &[u8]) -> usize {
        let line_end = last_line_end(buf);
        if self.records == Some(true) {
            // A record may span lines; it is complete once the next one has begun.
            let mut finder = memmem::rfind_iter(buf, b"\n<![LOG[");
            if let Some(next_record) = finder.next() {
                return next_record + 1;
            }
            if buf.len() < MAX_ENTRY {
                return 0;
            }
        }
        if line_end == 0 && buf.len() >= MAX_ENTRY {
            return buf.len();
        }
        line_end
    }

    fn process(&mut self, chunk: &[u8]) {
        let mut at = 0;
        let mut line = self.chunk_line;
        let mut counted = 0;
        let mut offset = self.chunk_offset;
        while at < chunk.len() {
            let Some(candidate) = self.search.next_candidate(chunk, at) else {
                break;
            };
            let entry = self.entry_at(chunk, candidate.max(at));
            line += count_line_ends(&chunk[counted..entry.start]);
            offset = offset.and_then(|o| Some(o + self.encoding.original_len(&chunk[counted..entry.start])?));
            counted = entry.start;
            self.check_entry(&chunk[entry.clone()], line, offset);
            // Resume after the entry, not after the candidate match: a match that ran into
            // the next entry must not hide that entry's own match.
            at = entry.end.max(candidate + 1);
        }
    }

    /// Moves line and offset counters past a processed chunk.
    fn advance(&mut self, chunk: &[u8]) {
        self.chunk_line += count_line_ends(chunk);
        self.chunk_offset = self
            .chunk_offset
            .and_then(|o| Some(o + self.encoding.original_len(chunk)?));
    }

    /// The entry containing byte `pos`: its line, or the CMTrace record around it.
    fn entry_at(&self, chunk: &[u8], pos: usize) -> Range<usize> {
        let line_start = line_start_before(chunk, pos);
        let line_end = line_end_from(chunk, pos.max(line_start));
        if self.records == Some(true) {
            let search_to = (pos + RECORD_OPEN.len()).min(chunk.len());
            if let Some(open) = memmem::rfind(&chunk[..search_to], RECORD_OPEN) {
                let open = memchr::memrchr(b'\n', &chunk[..open]).map_or(0, |i| i + 1);
                let close = memmem::find(&chunk[open..], RECORD_CLOSE).map(|c| open + c);
                let end = close.map_or(chunk.len(), |c| {
                    memchr::memchr(b'\n', &chunk[c..]).map_or(chunk.len(), |i| c + i + 1)
                });
                if end > pos {
                    return open..end;
                }
            }
        }
        line_start..line_end
    }

    fn check_entry(&mut self, entry: &[u8], line: u64, offset: Option<u64>) {
        if !self.search.matched_in(entry) {
            return;
        }
        for ((query, result), &(pattern, run_start)) in self.queries.iter().zip(&mut self.results).zip(&self.indexes) {
            if let (Scope::LastRun(run_start_pattern), Some(index)) = (&query.scope, run_start)
                && self.search.may_match(index)
                && run_start_pattern.regex.is_match(entry)
            {
                *result = QueryResult::default();
                continue;
            }
            if !self.search.may_match(pattern) {
                continue;
            }
            let Some(captures) = query.pattern.regex.captures(entry) else {
                continue;
            };
            result.count += 1;
            if result.matches.len() < self.keep {
                let mut found = describe_match(entry, line, &query.pattern.regex, &captures);
                let whole = captures.get(0).map_or(0..0, |m| m.range());
                found.byte_range = offset.and_then(|o| {
                    let start = o + self.encoding.original_len(&entry[..whole.start])?;
                    Some(start..start + self.encoding.original_len(&entry[whole])?)
                });
                result.matches.push(found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pattern: &str) -> LogQuery {
        LogQuery {
            pattern: Pattern::new(pattern).unwrap(),
            scope: Scope::WholeLog,
        }
    }

    /// The matches each query keeps.
    const KEEP: usize = 1000;

    fn run(input: &[u8], queries: &[&LogQuery]) -> Vec<QueryResult> {
        scan(input, queries, KEEP, None).unwrap().results
    }

    #[test]
    fn finds_lines_columns_and_captures_in_crlf_text() {
        let log = b"INFO:ok\r\nINFO:x ERROR:Failed to download Redists for AA928926-5C76-4DE0-B51F-0FE4D365DFE2\r\n";
        let q = query(r"ERROR:Failed to download redists? for (?P<package>[0-9A-Fa-f-]{36})$");
        let mut q2 = query("(?i)failed");
        q2.scope = Scope::WholeLog;
        let results = run(log, &[&q, &q2]);
        assert_eq!(results[0].count, 0, "case-sensitive pattern must not match `Redists`");
        let m = &results[1].matches[0];
        assert_eq!((m.line, m.column, m.end_column), (2, 14, Some(20)));
        assert_eq!(m.byte_range, Some(22..28));
        let q3 = query(r"(?i)Failed to download redists? for (?P<package>[0-9A-F-]{36})$");
        let m = &run(log, &[&q3])[0].matches[0];
        assert_eq!(
            m.captures,
            vec![("package".to_owned(), "AA928926-5C76-4DE0-B51F-0FE4D365DFE2".to_owned())]
        );
    }

    #[test]
    fn last_run_scope_forgets_matches_before_the_last_start() {
        let log =
            "START\nERROR: Download() failed with 0x80072ee2\nSTART\nok\nERROR: Download() failed with 0x80072ee7\n";
        let q = LogQuery {
            pattern: Pattern::new(r"Download\(\) failed with (?P<code>0x[0-9a-fA-F]+)").unwrap(),
            scope: Scope::LastRun(Pattern::new("^START$").unwrap()),
        };
        let results = run(log.as_bytes(), &[&q]);
        assert_eq!(results[0].count, 1);
        assert_eq!(results[0].matches[0].line, 5);
        assert_eq!(results[0].matches[0].captures[0].1, "0x80072ee7");
    }

    #[test]
    fn cmtrace_records_spanning_lines_are_one_entry() {
        let log = "<![LOG[first line\nsecond ERROR here]LOG]!><time=\"15:10:23.450+300\" date=\"12-17-2024\" component=\"SCT\" context=\"\" type=\"3\" thread=\"1\" file=\"\">\n\
                   <![LOG[ok]LOG]!><time=\"15:10:24.000+300\" date=\"12-17-2024\" component=\"SCT\" context=\"\" type=\"1\" thread=\"1\" file=\"\">\n";
        // A pattern that needs both lines of the record matches only if the record is one entry.
        let q = query(r"(?s)first line.*ERROR");
        let results = run(log.as_bytes(), &[&q]);
        assert_eq!(results[0].count, 1);
        let m = &results[0].matches[0];
        assert_eq!(m.line, 1);
        assert_eq!(m.excerpt.label, "SCT · 12-17-2024 15:10:23.450+300");
    }

    #[test]
    fn legacy_lines_give_component_and_time() {
        let entry = b"ERROR: Download() failed with 0x80072ee2  $$<Configuration Manager Setup><11-19-2024 11:54:10.128+300><thread=6212 (0x1844)>\r\n";
        assert_eq!(
            entry_context(entry),
            "Configuration Manager Setup · 11-19-2024 11:54:10.128+300"
        );
        assert_eq!(entry_context(b"ERROR:Failed\n"), "matched here");
    }

    #[test]
    fn utf16_logs_match_like_utf8_with_byte_offsets_into_the_file() {
        let text = "INFO: a\r\nERROR: Manifest verification failed. Wrong version of manifest?\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let q = query("Manifest verification failed");
        let m = &run(&bytes, &[&q])[0].matches[0];
        assert_eq!((m.line, m.column), (2, 8));
        // BOM, 9 characters of line 1 and `ERROR: `, two bytes each.
        assert_eq!(m.byte_range, Some(34..90));
    }

    #[test]
    fn long_lines_are_clipped_around_the_match() {
        let mut line = "x".repeat(5_000_000);
        line.push_str("ERROR:Failed to download redist for 3B7D84FA-ECCC-4EA0-B8AB-ABBDA1E88E0E");
        line.push_str(&"y".repeat(5_000_000));
        line.push('\n');
        let q = query("ERROR:Failed to download");
        let m = &run(line.as_bytes(), &[&q])[0].matches[0];
        assert_eq!(m.column, 5_000_001);
        assert!(m.excerpt.text.len() < 400, "{}", m.excerpt.text.len());
        assert_eq!(&m.excerpt.text[m.excerpt.highlight.clone()], "ERROR:Failed to download");
        assert!(m.excerpt.text.starts_with('…') && m.excerpt.text.ends_with('…'));
    }

    /// Found by the log_scan fuzz target: a lone CR before the match was removed from the
    /// excerpt after the highlight was measured, so the underline slid off the match (or past
    /// the end of the excerpt). A lone CR now ends a line (issue 17 item 6); inside a CMTrace
    /// record it is still text.
    #[test]
    fn a_lone_carriage_return_before_the_match_keeps_the_highlight_on_it() {
        let q = query("ERROR:CAB does not contain");
        let log = b"INFO: Connecting to service.\r*ERROR:CAB does not contain telemetry data.\r\n";
        let m = &run(log, &[&q])[0].matches[0];
        let excerpt = &m.excerpt;
        assert_eq!((m.line, m.column), (2, 2));
        assert_eq!(excerpt.text, "*ERROR:CAB does not contain telemetry data.");
        assert_eq!(&excerpt.text[excerpt.highlight.clone()], "ERROR:CAB does not contain");
        let record = b"<![LOG[service.\r*ERROR:CAB does not contain]LOG]!><time=\"1\">\r\n";
        let m = &run(record, &[&q])[0].matches[0];
        assert_eq!(
            &m.excerpt.text[m.excerpt.highlight.clone()],
            "ERROR:CAB does not contain"
        );
    }

    /// Regression (issue 17 item 6): a CR-only log was one line, so the last run's failure
    /// was forgotten with the run start before it.
    #[test]
    fn a_log_with_lone_cr_line_ends_gives_the_last_runs_finding() {
        let q = LogQuery {
            pattern: Pattern::new(r"Download\(\) failed with (?P<code>0x[0-9a-fA-F]+)").unwrap(),
            scope: Scope::LastRun(Pattern::new("Setup downloader setupdl.exe: STARTED").unwrap()),
        };
        let log = "INFO: Setup downloader setupdl.exe: STARTED\rINFO: ok\rINFO: Setup downloader setupdl.exe: STARTED\rERROR: Download() failed with 0x80072ee2\r";
        let results = run(log.as_bytes(), &[&q]);
        assert_eq!(results[0].count, 1);
        let m = &results[0].matches[0];
        assert_eq!((m.line, m.column, m.byte_range.clone()), (4, 8, Some(104..137)));
        // CRLF, LF and CR mixed count one line each.
        let mixed = b"a\r\nb\nc\rERROR: Download() failed with 0x1\r\n";
        assert_eq!(run(mixed, &[&query("ERROR")])[0].matches[0].line, 4);
    }

    /// A CR-only log longer than a chunk: a CR last in the buffer is not cut from its LF.
    #[test]
    fn crlf_split_across_chunks_is_one_line_end() {
        let mut log = "x".repeat(CHUNK - 1).into_bytes();
        log.extend(b"\r\nERROR here\n");
        let m = &run(&log, &[&query("ERROR")])[0].matches[0];
        assert_eq!((m.line, m.column), (2, 1));
    }

    /// Found by the log_scan fuzz target: a match that starts in the line end the excerpt does
    /// not show (`\z` after a final CR) made the highlight end before it began: an overflow,
    /// and a slice panic in a release build, with no report written.
    #[test]
    fn a_match_in_the_hidden_line_end_is_marked_where_the_line_ends() {
        for pattern in [r"\z", "x?$"] {
            let q = query(pattern);
            let results = run(b"INFO: Connecting to service\r", &[&q]);
            let m = results[0].matches.last().expect("a match at the end");
            assert_eq!(m.excerpt.text, "INFO: Connecting to service", "{pattern}");
            assert_eq!(m.excerpt.highlight, 27..27, "{pattern}");
        }
    }

    #[test]
    fn matches_across_chunk_boundaries_are_all_found_with_right_lines() {
        let mut log = String::new();
        for i in 0..200_000 {
            if i % 1000 == 999 {
                log.push_str(&format!("ERROR: Download() failed with 0x80072ee2 #{i}\n"));
            } else {
                log.push_str("INFO: WinHttpQueryHeaders() in Download() returned OK (200)\n");
            }
        }
        let q = query(r"failed with (?P<code>0x\w+) #(?P<n>\d+)");
        let results = run(log.as_bytes(), &[&q]);
        assert_eq!(results[0].count, 200);
        for m in &results[0].matches {
            let n: u64 = m.captures[1].1.parse().unwrap();
            assert_eq!(m.line, n + 1);
        }
    }

    #[test]
    fn keeps_at_most_the_cap_but_counts_everything() {
        let log = "ERROR x\n".repeat(KEEP + 10);
        let q = query("ERROR");
        let results = run(log.as_bytes(), &[&q]);
        assert_eq!(results[0].count, (KEEP + 10) as u64);
        assert_eq!(results[0].matches.len(), KEEP);
    }

    #[test]
    fn entry_anchors_work_without_the_chunk_search() {
        let q = query(r"\AERROR");
        let results = run(b"ok ERROR\nERROR first\n", &[&q]);
        assert_eq!(results[0].count, 1);
        assert_eq!(results[0].matches[0].line, 2);
    }

    #[test]
    fn a_match_running_into_the_next_entry_does_not_hide_it() {
        // `\s+failed` can start at the end of line 1 and run into line 2 in a chunk-wide
        // search; line 2's own match must still be found.
        let q = query(r"\s+failed");
        let results = run(b"a \n failed\n", &[&q]);
        assert_eq!(results[0].count, 1);
        assert_eq!(results[0].matches[0].line, 2);
    }

    /// Regression (issue 17 item 14): the multi-pattern search was sized by states times the
    /// capture slots of every pattern: 10,000 rules on a one-line log asked for 131 GB.
    #[test]
    fn ten_thousand_patterns_on_one_log_cost_memory_in_proportion() {
        let queries: Vec<LogQuery> = (0..10_000)
            .map(|i| {
                query(&format!(
                    r"ERROR:Failed with (?P<code>0x{i:08x}) in (?P<step>[A-Za-z]+)"
                ))
            })
            .collect();
        let all: Vec<&LogQuery> = queries.iter().collect();
        let log =
            b"INFO: start\r\nERROR:Failed with 0x00000007 in Download\r\nERROR:Failed with 0x0000270f in Import\r\n";
        let results = run(log, &all);
        let found: Vec<(usize, u64, &str)> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.count > 0)
            .map(|(i, r)| (i, r.matches[0].line, r.matches[0].captures[1].1.as_str()))
            .collect();
        assert_eq!(found, [(7, 2, "Download"), (9_999, 3, "Import")]);
    }

    /// A pattern with a Unicode word boundary makes the chunk search give up at a byte that is
    /// not ASCII; the entries there are still checked.
    #[test]
    fn a_unicode_word_boundary_on_japanese_text_still_finds_its_entry() {
        let q = query(r"\b接続\b");
        let results = run("INFO: 前\nERROR: 接続 失敗\n".as_bytes(), &[&q, &query("x{0}nothing")]);
        assert_eq!(results[0].count, 1);
        assert_eq!(results[0].matches[0].line, 2);
    }
}
