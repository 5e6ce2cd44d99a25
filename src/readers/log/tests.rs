//! The scanner on realistic logs, and the same results whatever the chunks and threads.

use super::*;

fn query(pattern: &str) -> LogQuery {
    LogQuery {
        pattern: Pattern::new(pattern).unwrap(),
        scope: Scope::WholeLog,
        normal: Vec::new(),
        explains: Vec::new(),
        role: Role::Reports,
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
    let log = "START\nERROR: Download() failed with 0x80072ee2\nSTART\nok\nERROR: Download() failed with 0x80072ee7\n";
    let q = LogQuery {
        pattern: Pattern::new(r"Download\(\) failed with (?P<code>0x[0-9a-fA-F]+)").unwrap(),
        scope: Scope::LastRun(Pattern::new("^START$").unwrap()),
        normal: Vec::new(),
        explains: Vec::new(),
        role: Role::Reports,
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
    // 400 characters each side of the match (`CONTEXT_CHARS`), never the megabytes.
    assert!(m.excerpt.text.len() < 1_000, "{}", m.excerpt.text.len());
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
        normal: Vec::new(),
        explains: Vec::new(),
        role: Role::Reports,
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
    let mut log = "x".repeat(Split::for_this_machine().chunk - 1).into_bytes();
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

/// Regression (found by the `log_scan` fuzz target): a `<![LOG[` in the middle of a line made
/// the record found from the next line reach back over the line already judged, so that line
/// was judged twice (its match reported a second time, the next line's failure lost) and,
/// with folded text, positions were asked out of order. The fuzzer's inputs are in
/// `tests/fixtures/fuzz-crashes/log_scan/`.
#[test]
fn a_record_opened_mid_line_does_not_judge_the_line_before_again() {
    let log = "<![LOG[ok]LOG]!><time=\"15:10:23.450+300\" date=\"12-17-2024\" component=\"SCT\" context=\"\" type=\"1\" thread=\"1\" file=\"\">\n\
               ’fail’ <![LOG[x\rfail here\n";
    let q = query("fail");
    let results = run(log.as_bytes(), &[&q]);
    let lines: Vec<(u64, u64)> = results[0].matches.iter().map(|m| (m.line, m.column)).collect();
    assert_eq!(lines, vec![(2, 2), (3, 1)]);
    assert_eq!(results[0].count, 2);
}

#[test]
fn the_fuzzers_logs_scan_without_a_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-crashes/log_scan");
    let q = query("(?i)fail|0");
    let catch_all = query("(?s).");
    let mut inputs = 0;
    for file in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(file.unwrap().path()).unwrap();
        // As the fuzz target reads it: its first bytes (as many as the first byte modulo 8)
        // size its reads, the rest is the log.
        let log = &data[data.len().min(usize::from(data.first().copied().unwrap_or(0) % 8))..];
        for chunk in [1, 2, 3, 5, 8, 13, 64, 4096] {
            let split = Split {
                chunk,
                threads: 2,
                ..Split::for_this_machine()
            };
            let results = scan_split(log, &[&q, &catch_all], KEEP, None, split).unwrap().results;
            for found in results.iter().flat_map(|r| &r.matches) {
                assert!(found.excerpt.text.get(found.excerpt.highlight.clone()).is_some());
            }
        }
        inputs += 1;
    }
    assert!(inputs >= 1, "no inputs in {}", dir.display());
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
    let log = b"INFO: start\r\nERROR:Failed with 0x00000007 in Download\r\nERROR:Failed with 0x0000270f in Import\r\n";
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

/// A small deterministic generator (xorshift), so a failing case is the same on every run.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A ConfigMgrSetup.log of a few runs: legacy lines with every line end, run starts, failures,
/// blank lines, Japanese text and a failure split over two lines.
fn generated_lines(dice: &mut Dice, lines: usize) -> Vec<u8> {
    let suffix = "  $$<Configuration Manager Setup><12-17-2024 19:41:02.655+300><thread=4580 (0x11E4)>";
    let texts = [
        "INFO: Setup downloader setupdl.exe: STARTED",
        "INFO: WinHttpQueryHeaders() in Download() returned OK (200)",
        "ERROR: Download() failed with 0x80072ee2",
        "ERROR: Download() failed with 0x80072efd",
        "INFO: 接続 を確認しています",
        "ERROR: File hash check failed for D:\\USB\\Redist\\ReportViewer.msi",
        "",
        "INFO: Verifying hash for file 'SQLSysClrTypes.msi' ",
    ];
    let ends = ["\r\n", "\n", "\r"];
    let mut log = Vec::new();
    for _ in 0..lines {
        let text = texts[dice.below(texts.len())];
        log.extend(text.as_bytes());
        if !text.is_empty() && dice.below(2) == 0 {
            log.extend(suffix.as_bytes());
        }
        log.extend(ends[dice.below(ends.len())].as_bytes());
    }
    log
}

/// A CMTrace log whose records sometimes span lines (a message with a CRLF in it).
fn generated_records(dice: &mut Dice, records: usize) -> Vec<u8> {
    let messages = [
        "Download manifest.cab~~",
        "ERROR: Failed to download\r\nsecond line of the failure~~",
        "Setup downloader setupdl.exe: STARTED",
        "Manifest verification failed.\nWrong version of manifest?",
        "INFO: ok",
    ];
    let mut log = Vec::new();
    for i in 0..records {
        let message = messages[dice.below(messages.len())];
        let record = format!(
            "<![LOG[{message}]LOG]!><time=\"13:36:{:02}.185-480\" date=\"8-2-2016\" component=\"SMS_DMP_DOWNLOADER\" context=\"\" type=\"1\" thread=\"7568\" file=\"\">\r\n",
            i % 60
        );
        log.extend(record.as_bytes());
    }
    log
}

fn last_run(pattern: &str) -> LogQuery {
    LogQuery {
        pattern: Pattern::new(pattern).unwrap(),
        scope: Scope::LastRun(Pattern::new("setupdl.exe: STARTED").unwrap()),
        normal: Vec::new(),
        explains: Vec::new(),
        role: Role::Reports,
    }
}

/// Everything a result says, to compare scans.
fn described(results: &[QueryResult]) -> Vec<String> {
    results.iter().map(|r| format!("{} {:?}", r.count, r.matches)).collect()
}

/// Scans `log` whole on one thread, then cut into chunks of many sizes (boundaries inside
/// entries, inside CRLFs, inside matches) on several threads: every scan finds the same.
fn same_whatever_the_split(log: &[u8], queries: &[&LogQuery], keep: usize) {
    let whole = Split {
        chunk: log.len() + 1,
        threads: 1,
        ..Split::for_this_machine()
    };
    let expected = described(&scan_split(log, queries, keep, None, whole).unwrap().results);
    assert!(
        expected.iter().any(|r| !r.starts_with("0 ")),
        "the queries find nothing"
    );
    for chunk in [1, 2, 3, 5, 8, 13, 64, 100, 257, 1000, 4096] {
        for threads in [1, 2, 4] {
            let split = Split {
                chunk,
                threads,
                ..Split::for_this_machine()
            };
            let found = scan_split(log, queries, keep, None, split).unwrap().results;
            assert_eq!(described(&found), expected, "{split:?}");
        }
    }
}

#[test]
fn split_scans_of_lines_find_what_one_pass_finds() {
    let mut dice = Dice(0x5EED);
    let queries = [
        query(r"Download\(\) failed with (?P<code>0x[0-9a-f]+)"),
        last_run(r"ERROR: (?P<what>.*) failed"),
        last_run("hash check failed"),
        // Matches that run across line ends, and empty matches at every line end.
        query(r"\s+ERROR"),
        query("x?$"),
        query(r"\b接続\b"),
    ];
    let all: Vec<&LogQuery> = queries.iter().collect();
    for lines in [1, 7, 400] {
        let log = generated_lines(&mut dice, lines);
        if lines > 1 {
            same_whatever_the_split(&log, &all, 1000);
            same_whatever_the_split(&log, &all, 3);
        }
    }
}

#[test]
fn split_scans_of_cmtrace_records_find_what_one_pass_finds() {
    let mut dice = Dice(0xC0FFEE);
    let queries = [
        query(r"(?s)Failed to download.*second line"),
        last_run("(?i)manifest"),
        query(r"time=.(?P<time>[0-9:.]+)"),
    ];
    let all: Vec<&LogQuery> = queries.iter().collect();
    let log = generated_records(&mut dice, 200);
    same_whatever_the_split(&log, &all, 1000);
    same_whatever_the_split(&log, &all, 2);
}

/// Regression: a first read that ended after a short plain first line made the rest of a log
/// read as CMTrace records, so what a log was read as depended on the size of the reads.
#[test]
fn a_short_plain_first_line_makes_a_log_of_lines_whatever_the_read_size() {
    let log = b"ab\n<![LOG[first\r\nERROR second]LOG]!><time=\"1\">\r\n";
    let q = query(r"(?s)first.*ERROR");
    for chunk in [1, 3, 100] {
        let split = Split {
            chunk,
            threads: 1,
            ..Split::for_this_machine()
        };
        let results = scan_split(&log[..], &[&q], KEEP, None, split).unwrap().results;
        assert_eq!(results[0].count, 0, "read as records with reads of {chunk}");
    }
}

/// Regression: an empty match at the end of a chunk (`^$` after its last line end) was found
/// there and again at the start of the next chunk, or where no empty line was.
#[test]
fn an_empty_match_at_a_chunk_end_is_found_once_where_it_is() {
    let q = query("^$");
    let split = Split {
        chunk: 4,
        threads: 2,
        ..Split::for_this_machine()
    };
    let results = scan_split(&b"abc\ndef\n\nghi\n"[..], &[&q], KEEP, None, split)
        .unwrap()
        .results;
    let lines: Vec<u64> = results[0].matches.iter().map(|m| m.line).collect();
    // The empty line, and the empty line after the last line end (as one pass finds it).
    assert_eq!(lines, [3, 5]);
}

/// UTF-16 is decoded on the reading thread and scanned in chunks on the others; byte ranges
/// still point into the file.
#[test]
fn a_split_utf16_log_keeps_its_byte_ranges() {
    let text = "INFO: a\r\n".repeat(300) + "ERROR: Manifest verification failed\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let q = query("Manifest verification failed");
    let split = Split {
        chunk: 50,
        threads: 3,
        ..Split::for_this_machine()
    };
    let m = &scan_split(&bytes[..], &[&q], KEEP, None, split).unwrap().results[0].matches[0];
    assert_eq!(m.line, 301);
    let start = 2 + 2 * (9 * 300 + 7);
    assert_eq!(m.byte_range, Some(start..start + 2 * 28));
}

#[test]
fn lines_copied_with_typographic_quotes_and_full_width_forms_match_and_report_the_original() {
    // A line as a localized page prints it: `’` for `'`, and a full-width parenthesis.
    let log = "ok\r\nError: failed to verify ’C:\\Redist\\sqlncli.msi’ authenticode signature （0x800B0109）\r\n";
    let q = query(r"failed to verify '(?P<file>[^']+)' authenticode signature \((?P<code>0x[0-9A-F]{8})\)");
    let results = run(log.as_bytes(), &[&q]);
    let m = &results[0].matches[0];
    assert_eq!(results[0].count, 1);
    assert_eq!(m.line, 2);
    assert_eq!(m.column, 8);
    assert_eq!(m.captures[0].1, "C:\\Redist\\sqlncli.msi");
    assert!(
        m.matched.starts_with("failed to verify ’C:"),
        "reports what the log holds: {}",
        m.matched
    );
    let range = m.byte_range.clone().unwrap();
    assert_eq!(
        &log.as_bytes()[range.start as usize..range.end as usize],
        m.matched.as_bytes()
    );
    assert!(m.excerpt.text.contains("（0x800B0109）"));
}

#[test]
fn a_catch_all_reports_only_marked_lines_no_rule_explains_and_none_known_normal() {
    let log = "ERROR: Failed to download redist for X\n\
               ERROR: Something nobody has seen\n\
               ERROR: Failed to get the site status (normal)\n\
               INFO: fine\n";
    let specific = query("Failed to download redist");
    let catch_all = LogQuery {
        pattern: Pattern::new("^ERROR:").unwrap(),
        scope: Scope::WholeLog,
        normal: vec![Pattern::new("Failed to get the site status").unwrap()],
        explains: Vec::new(),
        role: Role::Unexplained,
    };
    // The catch-all comes first here: the order of the rules must not matter.
    let results = run(log.as_bytes(), &[&catch_all, &specific]);
    assert_eq!(results[1].count, 1);
    assert_eq!(results[0].count, 1);
    assert_eq!(results[0].matches[0].line, 2);
    // A rule that only counts lines (a required line) explains nothing.
    let counted = LogQuery {
        role: Role::Counts,
        ..query("ERROR")
    };
    let results = run(log.as_bytes(), &[&counted, &catch_all]);
    assert_eq!(results[1].count, 2);
}

#[test]
fn last_run_results_say_whether_a_run_started() {
    let q = last_run("never");
    assert!(!run(b"a site installation's log\n", &[&q])[0].run_started);
    assert!(run(b"setupdl.exe: STARTED\n", &[&q])[0].run_started);
}

#[test]
fn a_known_normal_line_of_a_reporting_rule_is_neither_counted_nor_left_to_the_catch_all() {
    let log = "x;    Error;    for the LTSB edition\ny;    Error;    real\n";
    let specific = LogQuery {
        normal: vec![Pattern::new("for the LTSB edition").unwrap()],
        explains: Vec::new(),
        ..query(";\\s+Error;")
    };
    let catch_all = LogQuery {
        role: Role::Unexplained,
        ..query("Error")
    };
    let results = run(log.as_bytes(), &[&specific, &catch_all]);
    assert_eq!((results[0].count, results[0].matches[0].line), (1, 2));
    assert_eq!(results[1].count, 0);
}

#[test]
fn lines_a_rule_explains_are_left_to_it_by_the_catch_all() {
    let log = "ERROR: WinHttpSendRequest failed 0x80072ee2\nERROR: Download() failed with 0x80072ee2\nERROR: Failed to download https://go.microsoft.com/x\nERROR: Something else\n";
    let specific = LogQuery {
        explains: vec![
            Pattern::new("WinHttp\\w+ failed").unwrap(),
            Pattern::new("Failed to download https?://").unwrap(),
        ],
        ..query("Download\\(\\) failed")
    };
    let catch_all = LogQuery {
        role: Role::Unexplained,
        ..query("ERROR:")
    };
    let results = run(log.as_bytes(), &[&specific, &catch_all]);
    assert_eq!(results[0].count, 1);
    let lines: Vec<u64> = results[1].matches.iter().map(|m| m.line).collect();
    assert_eq!(lines, [4]);
}

#[test]
fn several_matching_entries_with_folded_characters_keep_their_offsets() {
    // Regression: the second entry asked for a position before the first one's end.
    let log = "ERROR: ’a’ failed\nok\nERROR: “b” failed\n";
    let q = query("ERROR: .(?P<name>[ab]). failed");
    let results = run(log.as_bytes(), &[&q]);
    let found: Vec<(u64, String)> = results[0]
        .matches
        .iter()
        .map(|m| (m.line, m.captures[0].1.clone()))
        .collect();
    assert_eq!(found, [(1, "a".to_owned()), (3, "b".to_owned())]);
    let second = results[0].matches[1].byte_range.clone().unwrap();
    assert_eq!(
        &log.as_bytes()[second.start as usize..second.end as usize],
        "ERROR: “b” failed".as_bytes()
    );
}

/// Where a match is and what it matched.
type Placed = (u64, u64, Option<u64>, Option<std::ops::Range<u64>>, String);

/// Each query's count, and where its matches are and what they matched (the excerpt of a cut
/// line shows its chunk's part).
fn placed(results: &[QueryResult]) -> Vec<(u64, Vec<Placed>)> {
    let place = |m: &LogMatch| (m.line, m.column, m.end_column, m.byte_range.clone(), m.matched.clone());
    results
        .iter()
        .map(|r| (r.count, r.matches.iter().map(place).collect()))
        .collect()
}

/// A split that cuts lines longer than 64 bytes and reads 24 bytes of each cut line again.
fn cutting(chunk: usize, threads: usize) -> Split {
    Split {
        chunk,
        threads,
        max_entry: 64,
        cut_overlap: 24,
    }
}

/// Regression (issue 35): in a line longer than the longest entry held whole, a match across
/// the cut was lost, and a match after it counted its columns from the cut.
#[test]
fn a_match_across_the_cut_of_an_overlong_line_is_found_at_its_column() {
    let q = query("Download failed");
    for at in [40, 56, 60, 63, 64, 70, 100, 130, 200] {
        let mut line = "é".repeat(5) + &"x".repeat(at - 10);
        line.push_str("Download failed");
        line.push_str(&"y".repeat(150));
        let log = format!("first\n{line}\nlast\n");
        let whole = run(log.as_bytes(), &[&q]);
        assert_eq!(
            (whole[0].matches[0].line, whole[0].matches[0].column),
            (2, at as u64 - 4)
        );
        for chunk in [1, 7, 16, 64, 1000] {
            for threads in [1, 3] {
                let found = scan_split(log.as_bytes(), &[&q], KEEP, None, cutting(chunk, threads))
                    .unwrap()
                    .results;
                assert_eq!(placed(&found), placed(&whole), "match at {at}, chunk {chunk}");
            }
        }
    }
}

/// A cut line is one line: a pattern it matches before and after the cut gives one finding,
/// `^` does not match where a chunk goes on with it, and `$` not where a chunk cuts it.
#[test]
fn an_overlong_line_cut_in_chunks_gives_one_finding_and_anchors_keep_their_meaning() {
    let line = format!("{}ERROR{}ERROR{}", "a".repeat(30), "b".repeat(200), "c".repeat(100));
    let log = format!("{line}\nERROR ok\n");
    let error = query("ERROR");
    let at_start = query("(?m)^[bc]");
    let at_end = query("(?m)[ab]$");
    let queries = [&error, &at_start, &at_end];
    for chunk in [1, 5, 64, 1000] {
        let found = scan_split(log.as_bytes(), &queries, KEEP, None, cutting(chunk, 2))
            .unwrap()
            .results;
        let lines: Vec<u64> = found[0].matches.iter().map(|m| m.line).collect();
        assert_eq!((found[0].count, lines), (2, vec![1, 2]), "chunk {chunk}");
        assert_eq!(found[0].matches[0].column, 31);
        assert_eq!((found[1].count, found[2].count), (0, 0), "chunk {chunk}");
    }
}
