//! The log scanner: UTF-8, UTF-16 with and without BOM, legacy code pages, CMTrace records,
//! `$$<` lines, CRLF, LF and lone CR, cut
//! anywhere, read in chunks of random sizes. What it reports must point into the excerpt,
//! and the excerpt must be drawable with its control characters made visible.
#![no_main]

#[path = "../common/chunked.rs"]
mod chunked;

use std::sync::OnceLock;

use chunked::Chunked;
use libfuzzer_sys::fuzz_target;
use sitelint::document::text::VisibleText;
use sitelint::readers::log::{self, LogQuery, Pattern, Role, Scope};

fn queries() -> &'static [LogQuery] {
    static QUERIES: OnceLock<Vec<LogQuery>> = OnceLock::new();
    QUERIES.get_or_init(|| {
        let pattern = |p: &str| Pattern::new(p).unwrap();
        vec![
            LogQuery {
                pattern: pattern(r"ERROR:Failed to download redists? for (?P<package>[0-9A-Fa-f-]{36})"),
                scope: Scope::WholeLog,
                normal: Vec::new(),
                explains: Vec::new(),
                role: Role::Reports,
            },
            LogQuery {
                pattern: pattern(r"(?i)Download\(\) failed with (?P<code>0x[0-9a-f]{8})"),
                scope: Scope::LastRun(pattern(r"Configuration Manager Setup.*started")),
                normal: Vec::new(),
                explains: Vec::new(),
                role: Role::Reports,
            },
            LogQuery {
                pattern: pattern(r"(?s)ERROR.{0,40}$"),
                scope: Scope::WholeLog,
                normal: Vec::new(),
                explains: Vec::new(),
                role: Role::Reports,
            },
            // A catch-all, over text with typographic quotes and full-width forms.
            LogQuery {
                pattern: pattern(r"(?i)fail|'[^']*'"),
                scope: Scope::WholeLog,
                normal: vec![pattern("Failed to get")],
                explains: Vec::new(),
                role: Role::Unexplained,
            },
            LogQuery {
                pattern: pattern(r"\AERROR|\z"),
                scope: Scope::WholeLog,
                normal: Vec::new(),
                explains: Vec::new(),
                role: Role::Reports,
            },
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let (sizes, log) = data.split_at(data.len().min(usize::from(data.first().copied().unwrap_or(0) % 8)));
    let all: Vec<&LogQuery> = queries().iter().collect();
    // The `\A` query turns the chunk-wide search off; without it the search is on.
    for queries in [&all[..4], &all[..]] {
        let reader = Chunked::new(log, sizes, 97);
        let Ok(scanned) = log::scan(reader, queries, 1000, None) else {
            return;
        };
        for result in &scanned.results {
            assert!(result.count >= result.matches.len() as u64);
            for found in &result.matches {
                let excerpt = &found.excerpt;
                assert!(excerpt.highlight.start <= excerpt.highlight.end);
                assert!(
                    excerpt.text.get(excerpt.highlight.clone()).is_some(),
                    "highlight off the excerpt"
                );
                let shown = VisibleText::new(&excerpt.text);
                assert!(shown.text.get(shown.range(excerpt.highlight.clone())).is_some());
                assert!(found.line >= 1 && found.column >= 1);
            }
        }
    }
});
