//! Rule files: read into plain data, then compiled into checks. Every problem in every file
//! is collected (with its file, line and column) before the run gives up, so an author fixes
//! a file in one pass instead of one error per run.

mod compile;
pub mod fail_on;
pub mod waivers;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::checks::evidence::{Found, LogEvidence};
use crate::checks::template::Template;
use crate::checks::{Check, KINDS, Kind, Params};
use crate::document::diag::{Problem, SetupError, SourceFile, suggest};
use crate::document::fields::{Document, FieldDoc, Fields, Sp, mapping, scalar_text};
use crate::document::origin::{Origin, ValueOrigin};
use crate::document::yaml::{self, Node, Value};
use crate::finding::{RuleFileInfo, RuleResult, RuleStatus, Severity};
use compile::compile_rule;

/// The default rule files, embedded so that `sitelint check SNAPSHOT` works anywhere.
const DEFAULT_RULESETS: &[(&str, &str)] = &[
    (
        "rules/configmgr-offline-servicing.yaml",
        include_str!("../../rules/configmgr-offline-servicing.yaml"),
    ),
    (
        "rules/connect-machine-prerequisites.yaml",
        include_str!("../../rules/connect-machine-prerequisites.yaml"),
    ),
    (
        "rules/site-server-checklist.yaml",
        include_str!("../../rules/site-server-checklist.yaml"),
    ),
    (
        "rules/pack-verification.yaml",
        include_str!("../../rules/pack-verification.yaml"),
    ),
];

/// The param that names the version the site is updated to.
pub const TARGET_VERSION: &str = "target_version";
/// The build of `target_version` (`9132`), which sitelint sets itself from its data: empty
/// for a target whose build Microsoft's pages do not give yet.
pub const TARGET_BUILD: &str = "target_build";

/// The longest rule id accepted. Ids are typed by hand (`--select`, waivers) and laid out in
/// columns (`rules list`, the human report); a longer one is a mistake, or an attack on the
/// layout (a width past 65,535 panics Rust's formatting).
pub const MAX_ID_LEN: usize = 128;

/// A rule file's name (as reports show it) and text.
#[derive(Debug, Clone)]
pub struct RuleSource {
    pub name: String,
    pub text: String,
}

pub fn default_sources() -> Vec<RuleSource> {
    DEFAULT_RULESETS
        .iter()
        .map(|(name, text)| RuleSource {
            name: format!("(built in) {name}"),
            text: (*text).to_owned(),
        })
        .collect()
}

/// Reads a rule file, or every `*.yaml`/`*.yml` file of a directory in name order; one that
/// cannot be read as a regular file is an error.
pub fn read_sources(path: &Path) -> Result<Vec<RuleSource>, SetupError> {
    let read = |file: &Path| {
        let refused =
            |e: &dyn std::fmt::Display| SetupError::message(format!("cannot read rule file {}: {e}", file.display()));
        let bytes = crate::files::read_limited(file, crate::files::WHOLE_FILE_LIMIT).map_err(|e| refused(&e))?;
        Ok(RuleSource {
            name: file.display().to_string(),
            text: crate::document::text::decode_yaml(&bytes).map_err(|e| refused(&e))?,
        })
    };
    if !path.is_dir() {
        return read(path).map(|s| vec![s]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| SetupError::message(format!("cannot read rules directory {}: {e}", path.display())))?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        // Every `*.yaml` that is not a directory is read, so that one which cannot be (a
        // dangling link, a loop, a FIFO, a device, a share gone away) fails the run as it
        // does when named directly, instead of taking its rules away without a word.
        .filter(|p| {
            !p.is_dir()
                && p.extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(SetupError::message(format!(
            "rules directory {} has no *.yaml or *.yml files",
            path.display()
        )));
    }
    files.iter().map(|f| read(f)).collect()
}

/// Where a param override came from, to point at it if it names no param.
#[derive(Debug, Clone)]
pub enum ParamOrigin {
    /// `--set KEY=VALUE`.
    Flag,
    /// A `params:` entry of a `--config` file.
    File { file: Arc<SourceFile>, span: Range<usize> },
}

#[derive(Debug, Clone)]
pub struct ParamOverride {
    pub name: String,
    pub value: String,
    pub origin: ParamOrigin,
}

impl ParamOverride {
    /// The `params:` entries of a file someone wrote (a config, a test case), each pointing at
    /// its key, to be reported there if it names no param.
    pub fn from_file(file: &Arc<SourceFile>, entries: Vec<(Sp<String>, String)>) -> Vec<ParamOverride> {
        entries
            .into_iter()
            .map(|(name, value)| ParamOverride {
                name: name.value,
                value,
                origin: ParamOrigin::File {
                    file: file.clone(),
                    span: name.span,
                },
            })
            .collect()
    }
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub kind: &'static str,
    pub severity: Severity,
    pub title: String,
    pub message: Option<Template>,
    pub help: Option<String>,
    pub url: Option<String>,
    pub tags: Vec<String>,
    /// Why the rule does not run (`enabled: false`, `--select`, `--ignore`), if it does not.
    pub disabled: Option<String>,
    /// The entry of another log the rule waits for (`when-log`, `when-entry`): without it,
    /// and unless the run asks for the rule, it is reported not evaluated, never passed.
    pub when: Option<When>,
    /// Where the rule is defined.
    pub origin: Origin,
    /// The rule as written, for `sitelint rules show`.
    pub definition: String,
    pub check: Box<dyn Check>,
}

/// A rule judged only once the snapshot shows an entry (the post-upgrade rules: CMUpdate.log
/// shows the target's CMUpdate running), or when the run asks for it.
#[derive(Debug)]
pub struct When {
    pub evidence: LogEvidence,
    /// Set by the run: why it judges the rule whatever the evidence (`--step post-upgrade`).
    pub asked: Option<String>,
    /// How a run asks for the rule, for the reason it gives when it waits.
    pub how_to_ask: String,
}

impl When {
    /// Why the rule runs in a snapshot (asked for, or the entry `look` finds), or why not.
    pub fn released(&self, look: impl FnOnce(&LogEvidence) -> Found) -> Result<String, String> {
        if let Some(asked) = &self.asked {
            return Ok(asked.clone());
        }
        match look(&self.evidence) {
            Found::Entry { line, .. } => Ok(format!(
                "judged because {}:{line} matches `{}`",
                self.evidence.log, self.evidence.entry
            )),
            Found::Not(why) => Err(format!("waits for {why}; {}", self.how_to_ask)),
        }
    }
}

impl Rule {
    /// The rule's result, described as the rule is; nothing omitted yet.
    pub fn result(&self, status: RuleStatus, reason: Option<String>) -> RuleResult {
        RuleResult {
            id: self.id.clone(),
            kind: self.kind,
            severity: self.severity,
            title: self.title.clone(),
            description: self.check.describe(),
            help: self.help.clone(),
            url: self.url.clone(),
            tags: self.tags.clone(),
            status,
            reason,
            omitted: 0,
            omitted_suppressed: false,
        }
    }
}

#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub params: Params,
    /// Where each param's value came from: `the default in FILE:LINE`, `FILE:LINE` of a
    /// config, or `--set`.
    pub param_origins: BTreeMap<String, ValueOrigin>,
    /// Each rule file loaded, in order, with its ruleset and how many rules it defines.
    pub files: Vec<RuleFileInfo>,
}

/// Loads and compiles rule files, applying param overrides in order (config, then `--set`).
pub fn load(sources: &[RuleSource], overrides: &[ParamOverride]) -> Result<RuleSet, SetupError> {
    match load_partly(sources, overrides)? {
        Loaded { rules, problems, .. } if problems.is_empty() => Ok(rules),
        Loaded { problems, .. } => Err(SetupError::Problems(problems)),
    }
}

/// What [`load_partly`] got out of rule files that may have mistakes.
#[derive(Debug)]
pub struct Loaded {
    /// The rules that compiled.
    pub rules: RuleSet,
    pub problems: Vec<Problem>,
    /// Every rule id the files write, those of rules with mistakes included.
    pub written_ids: Vec<String>,
}

/// As [`load`], keeping what did load beside the problems, so that a config's rule ids can be
/// judged in the same run as the rule files' mistakes. Errs only for an unknown `--set` key.
pub fn load_partly(sources: &[RuleSource], overrides: &[ParamOverride]) -> Result<Loaded, SetupError> {
    let mut problems = Vec::new();
    let files: Vec<_> = sources
        .iter()
        .filter_map(|source| {
            let file = SourceFile::new(source.name.clone(), source.text.clone());
            match yaml::parse_file(&file) {
                Ok(node) => Some((file, node)),
                Err(problem) => {
                    problems.push(problem);
                    None
                }
            }
        })
        .collect();

    // Params first: a rule in one file may use a param of another (a site rule using the
    // default ruleset's `target_version`), and later files override earlier defaults.
    let mut params = Params::new();
    let mut param_origins = BTreeMap::new();
    let mut loaded_files = Vec::new();
    let mut rule_nodes = Vec::new();
    for (file, node) in &files {
        if let Some(RuleFile {
            ruleset,
            params: declared,
            rules,
            top_level_keys,
            ..
        }) = read_file(file, node, &mut problems)
        {
            for (name, value) in declared {
                let (line, _) = file.line_column(name.span.start);
                let origin = ValueOrigin::Default(Origin::line(&file.name, line));
                param_origins.insert(name.value.clone(), origin);
                params.insert(name.value, value);
            }
            loaded_files.push(RuleFileInfo {
                path: file.name.clone(),
                ruleset,
                rules: rules.len(),
            });
            rule_nodes.extend(rules.iter().map(|r| (file, r, top_level_keys.clone())));
        }
    }
    // The first unknown `--set` key; problems in files, which have places, are shown first.
    let mut flag_error = None;
    for o in overrides {
        if params.contains_key(&o.name) {
            params.insert(o.name.clone(), o.value.clone());
            let origin = match &o.origin {
                ParamOrigin::Flag => ValueOrigin::Flag,
                ParamOrigin::File { file, span } => {
                    ValueOrigin::Config(Origin::line(&file.name, file.line_column(span.start).0))
                }
            };
            param_origins.insert(o.name.clone(), origin);
            continue;
        }
        let known: Vec<&str> = params.keys().map(String::as_str).collect();
        let help = suggest(&o.name, known.iter().copied(), || {
            if known.is_empty() {
                "the loaded rule files declare no params".to_owned()
            } else {
                format!("params of the loaded rules: {}", known.join(", "))
            }
        });
        match &o.origin {
            ParamOrigin::Flag => {
                flag_error.get_or_insert((
                    format!("--set {}: no ruleset declares a param `{}`", o.name, o.name),
                    help,
                ));
            }
            ParamOrigin::File { file, span } => problems.push(
                Problem::new(
                    file,
                    span.clone(),
                    format!("no ruleset declares a param `{}`", o.name),
                    "unknown param",
                )
                .with_help(help),
            ),
        }
    }
    if let Some((message, help)) = flag_error
        && problems.is_empty()
    {
        return Err(SetupError::with_help(message, help));
    }

    // The checklist rules read the target's data: a target sitelint has no data for is the
    // run's mistake, told before any rule is compiled against it. Its build is a param too
    // (empty when unknown), so that rules compile against it whatever else is wrong.
    if let Some(version) = params.get(TARGET_VERSION) {
        let target = crate::target::find(version);
        if target.is_none() && problems.is_empty() {
            crate::target::lookup(version)?;
        }
        let build = target.and_then(|t| t.build).map(|b| b.to_string()).unwrap_or_default();
        params.insert(TARGET_BUILD.to_owned(), build);
    }

    let mut rules: Vec<Rule> = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (file, node, ends) in rule_nodes {
        // Duplicates are judged on the id as written, so a rule with other mistakes is still
        // caught reusing an id.
        if let Some((id, span)) = id_of(file, node) {
            if let Some(first) = seen.get(&id) {
                problems.push(
                    Problem::new(file, span, format!("duplicate rule id `{id}`"), "defined again here").with_help(
                        format!("first defined at {first}; rule ids are unique across all loaded files"),
                    ),
                );
                // Still compiled, for the rule's other problems; the rule itself is dropped.
                let _ = compile_rule(file, node, &ends, &params, &mut problems, &mut Vec::new());
                continue;
            }
            let (line, column) = file.line_column(span.start);
            seen.insert(id, format!("{}:{line}:{column}", file.name));
        }
        rules.extend(compile_rule(file, node, &ends, &params, &mut problems, &mut Vec::new()));
    }
    rules.extend(waivers::built_in_rules());
    Ok(Loaded {
        rules: RuleSet {
            rules,
            params,
            param_origins,
            files: loaded_files,
        },
        problems,
        written_ids: seen.into_keys().collect(),
    })
}

/// A rule file read down to its rules.
struct RuleFile<'n> {
    /// The ruleset's name, as `ruleset:` declares it.
    ruleset: String,
    /// Declared params with their defaults, each name with its span.
    params: Vec<(Sp<String>, String)>,
    rules: &'n [Node],
    /// Offsets where top-level keys start, to cut each rule's text out of the file.
    top_level_keys: Vec<usize>,
    /// The header's fields, as read.
    docs: Vec<FieldDoc>,
}

/// Reads a rule file's header: its params, and its rules left for `compile_rule`.
fn read_file<'n>(file: &Arc<SourceFile>, node: &'n Node, problems: &mut Vec<Problem>) -> Option<RuleFile<'n>> {
    let entries = match mapping(file, node, "a rule file", "start with `ruleset: NAME` and `rules:`") {
        Ok(entries) => entries,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let mut f = Fields::new(file, Document::RuleFile, entries, node.span.start..node.span.start);
    let ruleset = f.required_string("ruleset", "The ruleset's name, e.g. `ruleset: my-site`.");
    f.string("description", "What the ruleset is for.");
    let params = f.scalar_map(
        "params",
        "Values rules use as `{name}`; a site overrides them with `--set` or sitelint.yaml.",
    );
    let rules = f.list("rules", "The rules, each with `id`, `title`, `severity` and `kind`.");
    if rules.is_none() {
        f.missing("rules", "add `rules:` with a list of rules");
    }
    let docs = f.docs().to_vec();
    problems.extend(f.finish("a rule file"));
    Some(RuleFile {
        ruleset: ruleset.map(|name| name.value).unwrap_or_default(),
        docs,
        params,
        rules: rules.unwrap_or_default(),
        top_level_keys: entries.iter().map(|(k, _)| k.span.start).collect(),
    })
}

fn id_of(file: &SourceFile, node: &Node) -> Option<(String, Range<usize>)> {
    let Value::Map(entries) = &node.value else { return None };
    let (_, value) = entries
        .iter()
        .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == "id"))?;
    Some((scalar_text(file, value)?, value.span.clone()))
}

/// The fields of a rule file's header, and of a rule of each kind, as the loader reads them:
/// what `sitelint schema rules` describes. Each kind's fields are found by loading a rule of
/// that kind and nothing else, through the loader itself.
pub fn describe() -> (Vec<FieldDoc>, Vec<(&'static Kind, Vec<FieldDoc>)>) {
    let file = SourceFile::new("(schema)", "{}");
    let empty = Node {
        value: Value::Map(Vec::new()),
        span: 0..0,
    };
    let header = read_file(&file, &empty, &mut Vec::new())
        .map(|f| f.docs)
        .unwrap_or_default();
    let kinds = KINDS
        .iter()
        .map(|kind| {
            let file = SourceFile::new("(schema)", format!("kind: {}\n", kind.name));
            let mut docs = Vec::new();
            if let Ok(node) = yaml::parse_file(&file) {
                compile_rule(&file, &node, &[], &Params::new(), &mut Vec::new(), &mut docs);
            }
            (kind, docs)
        })
        .collect();
    (header, kinds)
}

impl RuleSet {
    /// Applies `--select` and `--ignore` (rule ids or `tag:NAME`). An id or tag that matches
    /// no rule is an error: a typo must not quietly turn a check off.
    pub fn select(&mut self, select: &[String], ignore: &[String]) -> Result<(), SetupError> {
        for selector in select.iter().chain(ignore) {
            if !self.rules.iter().any(|r| matches_selector(r, selector)) {
                let ids = self.rules.iter().map(|r| r.id.as_str());
                let help = suggest(selector, ids, || {
                    "`sitelint rules list` shows the loaded rules and their tags".to_owned()
                });
                return Err(SetupError::with_help(
                    format!("`{selector}` matches no loaded rule"),
                    help,
                ));
            }
        }
        // The built-in rules report on the waivers of whichever rules run: `--select` narrows
        // them only when it names one of them, so selecting a site rule keeps its waivers checked.
        let built_in = |rule: &Rule| rule.kind == waivers::BUILT_IN_KIND;
        let selects_built_in = select
            .iter()
            .any(|s| self.rules.iter().any(|r| built_in(r) && matches_selector(r, s)));
        for rule in &mut self.rules {
            if rule.disabled.is_some() {
                continue;
            }
            let narrowed = !built_in(rule) || selects_built_in;
            if !select.is_empty() && narrowed && !select.iter().any(|s| matches_selector(rule, s)) {
                rule.disabled = Some("not selected (--select)".to_owned());
            } else if ignore.iter().any(|s| matches_selector(rule, s)) {
                rule.disabled = Some("ignored (--ignore)".to_owned());
            }
        }
        Ok(())
    }

    /// Each param with its value and where the value came from. Every param has an origin: it
    /// is declared in a rule file, and only declared params are overridden.
    pub fn params(&self) -> impl Iterator<Item = (&String, &String, &ValueOrigin)> {
        self.params
            .iter()
            .filter_map(|(name, value)| Some((name, value, self.param_origins.get(name)?)))
    }

    /// The rules that are evaluated (not disabled, selected).
    pub fn enabled(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.disabled.is_none())
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Whether a rule id or `tag:NAME` (as `--select`, `--ignore` and `disable:` take them) names
/// this rule.
pub(crate) fn matches_selector(rule: &Rule, selector: &str) -> bool {
    match selector.strip_prefix("tag:") {
        Some(tag) => rule.tags.iter().any(|t| t == tag),
        None => rule.id == selector,
    }
}

#[cfg(test)]
mod title_tests {
    /// A rule's title is shown beside its status, passed or failed, so it states the
    /// requirement ("The update manifest is present"), never the failure ("... is missing",
    /// which reads backwards on a passed row). The words that only describe a failure.
    const FAILURE_WORDS: &[&str] = &[
        "missing", "fail", "fails", "failed", "failure", "not", "no", "cannot", "could", "never", "empty", "refused",
        "rejected", "stopped", "warned", "closed", "blocked", "expired", "nothing", "waits",
    ];

    #[test]
    fn every_built_in_title_states_the_requirement_not_the_failure() {
        let rules = super::load(&super::default_sources(), &[]).unwrap();
        assert!(!rules.rules.is_empty());
        for rule in &rules.rules {
            for word in rule
                .title
                .split(|c: char| !c.is_alphanumeric() && c != '\'')
                .map(str::to_lowercase)
            {
                assert!(
                    !FAILURE_WORDS.contains(&word.as_str()),
                    "{}: the title `{}` reads as a failure ({word})",
                    rule.id,
                    rule.title
                );
            }
        }
    }
}
