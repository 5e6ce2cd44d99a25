//! Log patterns: compiled with the semantics log entries need, and checked for counted
//! repetitions that would make a scan crawl.

use std::ops::Range;

use regex::bytes::Regex;
use regex_syntax::ast::{Ast, RepetitionKind, RepetitionRange};

/// A compiled pattern and the text it came from (the multi-pattern search is built from text).
#[derive(Debug)]
pub struct Pattern {
    pub regex: Regex,
    /// The pattern as its rule writes it, for messages.
    pub source: String,
    /// The pattern as it is matched: folded as the log text is (see `normalize`).
    pub folded: String,
}

impl Pattern {
    /// Compiles with the semantics entries need: `^` and `$` at every line of an entry, CRLF
    /// line ends understood, and bytes that are not UTF-8 passed over rather than rejected.
    /// The pattern is folded as log text is, so a rule written with `'` also matches the `’`
    /// of a line copied from a localized page.
    pub fn new(source: &str) -> Result<Pattern, regex::Error> {
        let folded = super::normalize::folded_pattern(source).into_owned();
        let regex = regex::bytes::RegexBuilder::new(&folded)
            .multi_line(true)
            .crlf(true)
            .size_limit(1 << 24)
            .build()?;
        Ok(Pattern {
            regex,
            source: source.to_owned(),
            folded,
        })
    }
}

/// The most a counted repetition may stand for (`a{1000}`, `(?:x{10}){100}`). Up to it a
/// pattern scans at the speed of any other; past it the search automaton grows with the count
/// and scanning crawls (`a{20000}` took 4 s on one 120 KB line, about 30 KB/s).
pub const MAX_REPETITION: u64 = 1000;

/// A counted repetition that stands for more than [`MAX_REPETITION`] characters.
#[derive(Debug, PartialEq, Eq)]
pub struct OversizedRepetition {
    /// The repetition in the pattern's text, operand included.
    pub span: Range<usize>,
    pub expands_to: u64,
}

/// Finds the first counted repetition that expands past [`MAX_REPETITION`]. A pattern that
/// does not parse is left to the regex compiler, which explains its mistake better.
pub fn oversized_repetition(source: &str) -> Option<OversizedRepetition> {
    let ast = regex_syntax::ast::parse::Parser::new().parse(source).ok()?;
    let mut found = None;
    expanded_size(&ast, &mut found);
    found
}

/// How many characters `ast` stands for at most (the longest branch of an alternation), counting an open repetition (`*`, `{m,}`)
/// by its fixed part: a loop costs the automaton nothing per turn.
fn expanded_size(ast: &Ast, found: &mut Option<OversizedRepetition>) -> u64 {
    match ast {
        Ast::Repetition(repetition) => {
            let inner = expanded_size(&repetition.ast, found);
            let count = match &repetition.op.kind {
                RepetitionKind::ZeroOrOne | RepetitionKind::ZeroOrMore | RepetitionKind::OneOrMore => 1,
                RepetitionKind::Range(
                    RepetitionRange::Exactly(n) | RepetitionRange::AtLeast(n) | RepetitionRange::Bounded(_, n),
                ) => u64::from(*n),
            };
            let size = inner.saturating_mul(count);
            // The innermost repetition that crosses the limit is the one to rewrite.
            if size > MAX_REPETITION && inner <= MAX_REPETITION && found.is_none() {
                *found = Some(OversizedRepetition {
                    span: repetition.span.start.offset..repetition.span.end.offset,
                    expands_to: size,
                });
            }
            size
        }
        Ast::Group(group) => expanded_size(&group.ast, found),
        Ast::Concat(concat) => concat
            .asts
            .iter()
            .fold(0, |sum, a| sum.saturating_add(expanded_size(a, found))),
        // One branch matches, so the longest stands for the alternation: `(?:a|b|c){400}`
        // is 400 characters, as `[abc]{400}` is, not 1,200.
        Ast::Alternation(alternation) => alternation
            .asts
            .iter()
            .fold(0, |longest, a| longest.max(expanded_size(a, found))),
        Ast::Empty(_) | Ast::Flags(_) | Ast::Assertion(_) => 0,
        Ast::Literal(_) | Ast::Dot(_) | Ast::ClassUnicode(_) | Ast::ClassPerl(_) | Ast::ClassBracketed(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 35 (L): an alternation counts as its longest branch, not as all its branches.
    #[test]
    fn an_alternation_counts_as_its_longest_branch() {
        assert_eq!(oversized_repetition("(?:ab|c|d){400}"), None);
        assert_eq!(oversized_repetition("(?:abc|d){334}").unwrap().expands_to, 1002);
    }

    #[test]
    fn counted_repetitions_past_the_limit_are_found_with_their_span() {
        let found = oversized_repetition("ERROR a{20000}").unwrap();
        assert_eq!((found.span, found.expands_to), (6..14, 20_000));
        let nested = oversized_repetition("(?:x{10}){101}").unwrap();
        assert_eq!((nested.span, nested.expands_to), (0..14, 1010));
        assert_eq!(oversized_repetition("b{20001,}").unwrap().expands_to, 20_001);
        for fine in [
            "a{1000}",
            "(?:x{10}){100}",
            "[0-9A-Fa-f-]{36}",
            "a{1000,}.*",
            "a{2,1000}",
            "(unclosed",
        ] {
            assert_eq!(oversized_repetition(fine), None, "{fine}");
        }
    }
}
