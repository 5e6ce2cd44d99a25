//! What a kind reads its fields with: the rule's [`Fields`] plus the ruleset's params, and
//! the readers for values that need them or that only rules have (templates, regexes,
//! globs). Documents that are not rules (manifests, configs) use plain [`Fields`].

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::checks::template::Template;
use crate::document::diag::{Problem, did_you_mean};
use crate::document::fields::{Fields, Sp};
use crate::readers::log::{MAX_REPETITION, Pattern, oversized_repetition};

/// Ruleset parameters by name, after `--config` and `--set` overrides.
pub type Params = BTreeMap<String, String>;

/// A rule's fields and the params its values may name. It dereferences to [`Fields`]: a kind
/// reads plain fields and param-aware values through the same handle.
pub struct Context<'n, 'c> {
    fields: Fields<'n, 'c>,
    params: &'c Params,
}

impl<'n, 'c> Deref for Context<'n, 'c> {
    type Target = Fields<'n, 'c>;

    fn deref(&self) -> &Self::Target {
        &self.fields
    }
}

impl DerefMut for Context<'_, '_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.fields
    }
}

/// Unknown placeholders of one text reported each at its place; the rest are counted in one
/// problem, so a text of 100,000 of them is one screen of mistakes, not 100,000.
const MAX_UNKNOWN_PLACEHOLDERS_SHOWN: usize = 5;

impl<'n, 'c> Context<'n, 'c> {
    pub fn new(fields: Fields<'n, 'c>, params: &'c Params) -> Self {
        Context { fields, params }
    }

    /// A param's value in this run.
    pub fn param(&self, name: &str) -> Option<&'c str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn into_fields(self) -> Fields<'n, 'c> {
        self.fields
    }

    /// Substitutes ruleset params into a string (`version: "{target_version}"`).
    pub fn with_params(&mut self, text: &Sp<String>) -> Option<String> {
        let template = self.template(text, &[])?;
        let params = self.params;
        Some(template.render(|name| params.get(name).cloned()))
    }

    /// Parses a template and checks that it only names params or the given `extra` values.
    pub fn template(&mut self, text: &Sp<String>, extra: &[String]) -> Option<Template> {
        let template = match Template::parse(&text.value) {
            Ok(t) => t,
            Err(err) => {
                let span = self.inner_span(text, err.range);
                let mut problem = Problem::new(self.file(), span, err.message, "here");
                if let Some(help) = err.help {
                    problem = problem.with_help(help);
                }
                self.push(problem);
                return None;
            }
        };
        let mut unknown = 0usize;
        for (name, range) in template.names_with_ranges() {
            if self.params.contains_key(name) || extra.iter().any(|e| e == name) {
                continue;
            }
            unknown += 1;
            // The first few each at its place; the rest of that one mistake are counted.
            if unknown > MAX_UNKNOWN_PLACEHOLDERS_SHOWN {
                continue;
            }
            let candidates: Vec<&str> = self
                .params
                .keys()
                .map(String::as_str)
                .chain(extra.iter().map(String::as_str))
                .collect();
            let mut help = if candidates.is_empty() {
                "no values are available here".to_owned()
            } else {
                format!("available here: {}", candidates.join(", "))
            };
            // A placeholder is suggested with its braces, as the author would write it.
            if let Some(close) = did_you_mean(name, candidates.iter().copied()) {
                help = format!("did you mean `{{{close}}}`? ({help})");
            }
            let span = self.inner_span(text, range);
            self.problem_with_help(
                span,
                format!("unknown placeholder `{{{name}}}`"),
                "not a capture, param or built-in value",
                help,
            );
        }
        if let Some(more) = unknown.checked_sub(MAX_UNKNOWN_PLACEHOLDERS_SHOWN).filter(|&n| n > 0) {
            self.problem(
                text.span.clone(),
                format!("and {more} more unknown placeholders in this text"),
                "this text",
            );
        }
        (unknown == 0).then_some(template)
    }
    /// Compiles a regex, reporting the regex crate's own explanation at the value.
    pub fn pattern(&mut self, text: &Sp<String>) -> Option<Pattern> {
        if let Some(oversized) = oversized_repetition(&text.value) {
            let span = self.inner_span(text, oversized.span);
            self.problem_with_help(
                span,
                format!(
                    "this repetition stands for {} characters, more than the {} a pattern may repeat",
                    oversized.expands_to,
                    MAX_REPETITION
                ),
                "repeated too often",
                "a long counted repetition makes the log scan crawl; match a shorter run, or an open one such as `a{100,}`",
            );
            return None;
        }
        match Pattern::new(&text.value) {
            Ok(p) => Some(p),
            Err(err) => {
                let detail = match &err {
                    regex::Error::Syntax(s) => s.lines().last().unwrap_or(s).trim_start_matches("error: ").to_owned(),
                    other => other.to_string(),
                };
                self.problem_with_help(
                    text.span.clone(),
                    format!("invalid regular expression: {detail}"),
                    "this pattern",
                    "patterns use Rust regex syntax (https://docs.rs/regex/latest/regex/#syntax); no look-around or backreferences",
                );
                None
            }
        }
    }

    /// Compiles globs into one set; see [`TreeFilter`](super::TreeFilter) for how they match.
    pub fn globs(&mut self, globs: &[Sp<String>]) -> Option<GlobSet> {
        let mut builder = GlobSetBuilder::new();
        let mut ok = true;
        for glob in globs {
            let Some(text) = self.with_params(glob) else {
                ok = false;
                continue;
            };
            let normalized = text.replace('\\', "/");
            let normalized = normalized.trim_start_matches("./").trim_start_matches('/');
            if normalized.is_empty() {
                ok = false;
                self.problem_with_help(
                    glob.span.clone(),
                    "empty glob: it matches no file",
                    "this glob",
                    "name files with `*` (within one folder) or `**` (any depth), e.g. `**/Redist/*`",
                );
                continue;
            }
            match GlobBuilder::new(normalized)
                .literal_separator(true)
                .case_insensitive(true)
                .backslash_escape(false)
                .build()
            {
                Ok(g) => {
                    builder.add(g);
                }
                Err(err) => {
                    ok = false;
                    let reason = err.kind().to_string();
                    self.problem_with_help(
                        glob.span.clone(),
                        format!("invalid glob: {reason}"),
                        "this glob",
                        "globs use `*` (within one folder), `**` (any depth), `?`, `[abc]` and `{a,b}`",
                    );
                }
            }
        }
        let set = builder.build().ok();
        if set.is_none() {
            ok = false;
        }
        ok.then_some(set).flatten()
    }
}
