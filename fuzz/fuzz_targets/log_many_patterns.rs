//! The multi-pattern log search with hundreds of patterns at once: the entries it finds and
//! what each pattern counts must be what matching every line with every pattern one by one
//! finds (issue 17 item 14: that search once grew with the square of the patterns).
#![no_main]

use std::io::Read;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sitelint::document::text::Utf8Reader;
use sitelint::readers::log::{self, LogQuery, Pattern, Role, Scope};

/// Patterns of the shapes rules use: literals, classes, anchors, word boundaries, captures,
/// alternations, case folding, Japanese text; each shape many times over.
fn family() -> &'static [LogQuery] {
    static QUERIES: OnceLock<Vec<LogQuery>> = OnceLock::new();
    QUERIES.get_or_init(|| {
        let shapes = [
            r"ERROR:Failed to download redists? for (?P<package>[0-9A-F-]{{36}}) #{n}",
            r"(?i)download\(\) failed with (?P<code>0x[0-9a-f]{{2}}{n})",
            r"^INFO: step {n}$",
            r"\b{n}\b",
            r"接続{n}|切断{n}",
            r"(?P<a>a+){n}(?P<b>b*)",
            r"\s+failed {n}",
        ];
        (0..40)
            .flat_map(|n| shapes.iter().map(move |shape| shape.replace("{n}", &n.to_string())))
            .map(|source| LogQuery {
                pattern: Pattern::new(&source.replace("{{", "{").replace("}}", "}")).unwrap(),
                scope: Scope::WholeLog,
                normal: Vec::new(),
                explains: Vec::new(),
                role: Role::Reports,
            })
            .collect()
    })
}

/// Lines as the scanner cuts them: after CRLF, LF or a lone CR, the line end included.
fn lines(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        let end = match text[i] {
            b'\r' if text.get(i + 1) == Some(&b'\n') => i + 2,
            b'\r' | b'\n' => i + 1,
            _ => {
                i += 1;
                continue;
            }
        };
        out.push(&text[start..end]);
        start = end;
        i = end;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if memchr_find(data, b"<![LOG[") {
        return;
    }
    let queries: Vec<&LogQuery> = family().iter().collect();
    let Ok(scanned) = log::scan(data, &queries, usize::MAX, None) else {
        return;
    };
    let mut decoded = Vec::new();
    Utf8Reader::new(data, None).unwrap().read_to_end(&mut decoded).unwrap();
    let lines = lines(&decoded);
    for (query, result) in queries.iter().zip(&scanned.results) {
        let expected: Vec<u64> = lines
            .iter()
            .enumerate()
            .filter(|(_, line)| query.pattern.regex.is_match(line))
            .map(|(n, _)| n as u64 + 1)
            .collect();
        let found: Vec<u64> = result.matches.iter().map(|m| m.line).collect();
        assert_eq!(found, expected, "{}", query.pattern.source);
        assert_eq!(result.count, expected.len() as u64);
    }
});

fn memchr_find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
