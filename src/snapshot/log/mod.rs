//! Streams a log once for all the rules that read it.
//!
//! The log is read in chunks that end on an entry boundary. All the rules' patterns (and their
//! `run-start` patterns) are compiled into one multi-pattern regex that searches a whole chunk
//! at a time, the way ripgrep does, so the cost of a clean log is one pass of a literal-
//! accelerated search rather than one regex call per line per rule. Only entries that the
//! search lands in are checked rule by rule. Memory is one chunk plus the longest entry, and at
//! most `keep` matches per rule (the engine's per-rule cap), whatever the size of the log.

use std::io::{self, Read};
use std::ops::Range;

use memchr::memmem;
use regex_automata::meta;

use crate::document::text::Utf8Reader;
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
    /// File byte range of the match, when the file is UTF-8 (so bytes and text agree).
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

/// Scans `input` once and returns one result per query, in order, each keeping its first
/// `keep` matches and counting the rest.
pub fn scan(input: impl Read, queries: &[&LogQuery], keep: usize) -> io::Result<Vec<QueryResult>> {
    let mut reader = Utf8Reader::new(input)?;
    let mut scanner = Scanner::new(
        queries,
        keep,
        reader.encoding.is_utf8().then_some(reader.encoding.bom_len() as u64),
    );
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
        scanner.process(&buf[..end]);
        scanner.advance(&buf[..end]);
        buf.drain(..end);
        if eof {
            break;
        }
    }
    Ok(scanner.results)
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

struct Scanner<'q> {
    queries: &'q [&'q LogQuery],
    /// Every pattern and run-start pattern, to find candidate entries fast. `None` when a
    /// pattern anchors to the whole entry (`\A`, `\z`), which a chunk-wide search cannot honour:
    /// then every entry is a candidate.
    candidates: Option<meta::Regex>,
    records: Option<bool>,
    keep: usize,
    results: Vec<QueryResult>,
    /// Line number (0-based) at the start of the current chunk.
    chunk_line: u64,
    /// File offset of the current chunk, when the file is UTF-8.
    chunk_offset: Option<u64>,
}

impl<'q> Scanner<'q> {
    fn new(queries: &'q [&'q LogQuery], keep: usize, offset: Option<u64>) -> Self {
        let mut sources: Vec<&str> = Vec::new();
        for query in queries {
            sources.push(&query.pattern.source);
            if let Scope::LastRun(run_start) = &query.scope {
                sources.push(&run_start.source);
            }
        }
        let anchored_to_entry = sources.iter().any(|s| s.contains(r"\A") || s.contains(r"\z"));
        let candidates = if anchored_to_entry {
            None
        } else {
            // Every source already compiled alone; a failure here (size limits) only costs speed.
            meta::Regex::builder()
                .syntax(
                    regex_automata::util::syntax::Config::new()
                        .multi_line(true)
                        .crlf(true)
                        .utf8(false),
                )
                .configure(meta::Config::new().utf8_empty(false).nfa_size_limit(Some(1 << 26)))
                .build_many(&sources)
                .ok()
        };
        Scanner {
            queries,
            candidates,
            records: None,
            keep,
            results: queries.iter().map(|_| QueryResult::default()).collect(),
            chunk_line: 0,
            chunk_offset: offset,
        }
    }

    /// End of the last complete entry in `buf` (0 if none yet).
    fn boundary(&self, buf: &[u8]) -> usize {
        let line_end = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
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
        while at < chunk.len() {
            let candidate = match &self.candidates {
                Some(regex) => match regex.find(&chunk[at..]) {
                    Some(m) => at + m.start(),
                    None => break,
                },
                None => at,
            };
            let entry = self.entry_at(chunk, candidate.max(at));
            line += memchr::memchr_iter(b'\n', &chunk[counted..entry.start]).count() as u64;
            counted = entry.start;
            let offset = self.chunk_offset.map(|o| o + entry.start as u64);
            self.check_entry(&chunk[entry.clone()], line, offset);
            // Resume after the entry, not after the candidate match: a match that ran into
            // the next entry must not hide that entry's own match.
            at = entry.end.max(candidate + 1);
        }
    }

    /// Moves line and offset counters past a processed chunk.
    fn advance(&mut self, chunk: &[u8]) {
        self.chunk_line += memchr::memchr_iter(b'\n', chunk).count() as u64;
        self.chunk_offset = self.chunk_offset.map(|o| o + chunk.len() as u64);
    }

    /// The entry containing byte `pos`: its line, or the CMTrace record around it.
    fn entry_at(&self, chunk: &[u8], pos: usize) -> Range<usize> {
        let line_start = memchr::memrchr(b'\n', &chunk[..pos]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &chunk[pos..]).map_or(chunk.len(), |i| pos + i + 1);
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
        for (query, result) in self.queries.iter().zip(&mut self.results) {
            if let Scope::LastRun(run_start) = &query.scope
                && run_start.regex.is_match(entry)
            {
                *result = QueryResult::default();
                continue;
            }
            let Some(captures) = query.pattern.regex.captures(entry) else {
                continue;
            };
            result.count += 1;
            if result.matches.len() < self.keep {
                result
                    .matches
                    .push(describe_match(entry, line, offset, &query.pattern.regex, &captures));
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
        scan(input, queries, KEEP).unwrap()
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
    fn utf16_logs_match_like_utf8_but_have_no_byte_offsets() {
        let text = "INFO: a\r\nERROR: Manifest verification failed. Wrong version of manifest?\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let q = query("Manifest verification failed");
        let m = &run(&bytes, &[&q])[0].matches[0];
        assert_eq!((m.line, m.column), (2, 8));
        assert_eq!(m.byte_range, None);
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
    /// the end of the excerpt).
    #[test]
    fn a_lone_carriage_return_before_the_match_keeps_the_highlight_on_it() {
        let q = query("ERROR:CAB does not contain");
        let log = b"INFO: Connecting to service.\r*ERROR:CAB does not contain telemetry data.\r\n";
        let m = &run(log, &[&q])[0].matches[0];
        let excerpt = &m.excerpt;
        assert_eq!(
            excerpt.text,
            "INFO: Connecting to service.*ERROR:CAB does not contain telemetry data."
        );
        assert_eq!(&excerpt.text[excerpt.highlight.clone()], "ERROR:CAB does not contain");
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
}
