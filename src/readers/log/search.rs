//! The multi-pattern search over a whole chunk: which patterns match where, without captures.
//! Compiled once per scan and shared by the threads; each thread searches with its own
//! [`Caches`].

use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::prefilter::Prefilter;
use regex_automata::{Input, MatchKind, PatternID, PatternSet, hybrid, meta};

/// The syntax every log pattern is compiled with (as [`super::Pattern::new`] does).
fn syntax() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .multi_line(true)
        .crlf(true)
        .utf8(false)
}

/// Finds, without captures, which patterns match where: a search over all patterns at once
/// must not cost memory for every pattern's capture slots in every automaton state (that grew
/// with the square of the patterns: 10,000 rules asked for 131 GB).
pub(super) struct Search {
    /// Which patterns match one entry (a set, as `regex::RegexSet`); `None` if the patterns
    /// together pass the size limits, and then every pattern is tried on every candidate.
    set: Option<meta::Regex>,
    /// Where the next match begins in a chunk: forward and reverse lazy DFAs over every
    /// pattern, with their literal prefixes as a prefilter. `None` when a pattern anchors to
    /// the whole entry (`\A`, `\z`), which a chunk-wide search cannot honour: then every entry
    /// is a candidate.
    finder: Option<hybrid::regex::Regex>,
}

/// One thread's mutable search state for a [`Search`].
pub(super) struct Caches {
    set: Option<(meta::Cache, PatternSet)>,
    finder: Option<hybrid::regex::Cache>,
}

impl Search {
    pub(super) fn new(sources: &[&str]) -> Search {
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
            .ok();
        let anchored_to_entry = sources.iter().any(|s| s.contains(r"\A") || s.contains(r"\z"));
        let finder = (!anchored_to_entry).then(|| Self::finder(sources)).flatten();
        Search { set, finder }
    }

    fn finder(sources: &[&str]) -> Option<hybrid::regex::Regex> {
        let mut parser = regex_syntax::ParserBuilder::new();
        parser.multi_line(true).crlf(true).utf8(false);
        let hirs = sources
            .iter()
            .map(|s| parser.build().parse(s).ok())
            .collect::<Option<Vec<_>>>()?;
        let prefilter = Prefilter::from_hirs_prefix(MatchKind::LeftmostFirst, &hirs);
        hybrid::regex::Builder::new()
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
            .ok()
    }

    pub(super) fn caches(&self) -> Caches {
        Caches {
            set: self
                .set
                .as_ref()
                .map(|set| (set.create_cache(), PatternSet::new(set.pattern_len()))),
            finder: self.finder.as_ref().map(hybrid::regex::Regex::create_cache),
        }
    }

    /// Where in `chunk` from `at` on the next match may begin; `None` if none does.
    pub(super) fn next_candidate(&self, caches: &mut Caches, chunk: &[u8], at: usize) -> Option<usize> {
        let (Some(regex), Some(cache)) = (&self.finder, &mut caches.finder) else {
            return Some(at);
        };
        match regex.try_search(cache, &Input::new(chunk).range(at..)) {
            Ok(found) => found.map(|m| m.start()),
            Err(_) => Some(at),
        }
    }

    /// Notes in `caches` which patterns match `entry`; false when none does.
    pub(super) fn matched_in(&self, caches: &mut Caches, entry: &[u8]) -> bool {
        let (Some(set), Some((cache, matched))) = (&self.set, &mut caches.set) else {
            return true;
        };
        matched.clear();
        set.which_overlapping_matches_with(cache, &Input::new(entry), matched);
        !matched.is_empty()
    }
}

impl Caches {
    /// Whether pattern `index` may match the entry [`Search::matched_in`] last looked at.
    pub(super) fn may_match(&self, index: usize) -> bool {
        self.set
            .as_ref()
            .is_none_or(|(_, matched)| matched.contains(PatternID::new_unchecked(index)))
    }
}
