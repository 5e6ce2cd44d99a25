//! Rule files: read into plain data, then compiled into checks. Every problem in every file
//! is collected (with its file, line and column) before the run gives up, so an author fixes
//! a file in one pass instead of one error per run.

pub mod config;
pub mod waivers;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::checks::template::Template;
use crate::checks::{Check, Context, KINDS, Params};
use crate::document::diag::{Problem, SetupError, SourceFile, did_you_mean, suggest};
use crate::document::fields::{Fields, Sp, mapping, scalar_text};
use crate::document::yaml::{self, Node, Value};
use crate::finding::Severity;

/// The default ruleset, embedded so that `sitelint check SNAPSHOT` works anywhere.
const DEFAULT_RULESET: (&str, &str) = (
    "rules/configmgr-offline-servicing.yaml",
    include_str!("../../rules/configmgr-offline-servicing.yaml"),
);

/// A rule file's name (as reports show it) and text.
#[derive(Debug, Clone)]
pub struct RuleSource {
    pub name: String,
    pub text: String,
}

pub fn default_sources() -> Vec<RuleSource> {
    vec![RuleSource {
        name: format!("(built in) {}", DEFAULT_RULESET.0),
        text: DEFAULT_RULESET.1.to_owned(),
    }]
}

/// Reads a rule file, or every `*.yaml`/`*.yml` file of a directory in name order.
pub fn read_sources(path: &Path) -> Result<Vec<RuleSource>, SetupError> {
    let read = |file: &Path| {
        crate::files::read_limited(file, crate::files::WHOLE_FILE_LIMIT)
            .map(|bytes| RuleSource {
                name: file.display().to_string(),
                text: crate::document::text::decode(&bytes),
            })
            .map_err(|e| SetupError::message(format!("cannot read rule file {}: {e}", file.display())))
    };
    if !path.is_dir() {
        return read(path).map(|s| vec![s]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| SetupError::message(format!("cannot read rules directory {}: {e}", path.display())))?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
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
    /// `file:line` of the rule's definition.
    pub origin: String,
    /// The rule as written, for `sitelint rules show`.
    pub definition: String,
    pub check: Box<dyn Check>,
}

#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub params: Params,
    /// Where each param's value came from: `the default in FILE:LINE`, `FILE:LINE` of a
    /// config, or `--set`.
    pub param_origins: BTreeMap<String, String>,
    /// Each rule file loaded, in order, with how many rules it defines.
    pub files: Vec<(String, usize)>,
}

/// Loads and compiles rule files, applying param overrides in order (config, then `--set`).
pub fn load(sources: &[RuleSource], overrides: &[ParamOverride]) -> Result<RuleSet, SetupError> {
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
            params: declared,
            rules,
            top_level_keys,
        }) = read_file(file, node, &mut problems)
        {
            for (name, value) in declared {
                let (line, _) = file.line_column(name.span.start);
                param_origins.insert(name.value.clone(), format!("the default in {}:{line}", file.name));
                params.insert(name.value, value);
            }
            loaded_files.push((file.name.clone(), rules.len()));
            rule_nodes.extend(rules.iter().map(|r| (file, r, top_level_keys.clone())));
        }
    }
    // The first unknown `--set` key; problems in files, which have places, are shown first.
    let mut flag_error = None;
    for o in overrides {
        if params.contains_key(&o.name) {
            params.insert(o.name.clone(), o.value.clone());
            let origin = match &o.origin {
                ParamOrigin::Flag => "--set".to_owned(),
                ParamOrigin::File { file, span } => format!("{}:{}", file.name, file.line_column(span.start).0),
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
                let _ = compile_rule(file, node, &ends, &params, &mut problems);
                continue;
            }
            let (line, column) = file.line_column(span.start);
            seen.insert(id, format!("{}:{line}:{column}", file.name));
        }
        rules.extend(compile_rule(file, node, &ends, &params, &mut problems));
    }
    if problems.is_empty() {
        Ok(RuleSet {
            rules,
            params,
            param_origins,
            files: loaded_files,
        })
    } else {
        Err(SetupError::Problems(problems))
    }
}

/// A rule file read down to its rules.
struct RuleFile<'n> {
    /// Declared params with their defaults, each name with its span.
    params: Vec<(Sp<String>, String)>,
    rules: &'n [Node],
    /// Offsets where top-level keys start, to cut each rule's text out of the file.
    top_level_keys: Vec<usize>,
}

/// Reads a rule file's header: its params, and its rules left for [`compile_rule`].
fn read_file<'n>(file: &Arc<SourceFile>, node: &'n Node, problems: &mut Vec<Problem>) -> Option<RuleFile<'n>> {
    let entries = match mapping(file, node, "a rule file", "start with `ruleset: NAME` and `rules:`") {
        Ok(entries) => entries,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let mut f = Fields::new(file, entries, node.span.start..node.span.start);
    f.required_string("ruleset", "name the ruleset, e.g. `ruleset: my-site`");
    f.string("description");
    let params = f.scalar_map("params");
    let rules = f.list("rules");
    if rules.is_none() {
        f.missing("rules", "add `rules:` with a list of rules");
    }
    problems.extend(f.finish("a rule file"));
    Some(RuleFile {
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

fn compile_rule(
    file: &Arc<SourceFile>,
    node: &Node,
    top_level_keys: &[usize],
    params: &Params,
    problems: &mut Vec<Problem>,
) -> Option<Rule> {
    let entries = match mapping(file, node, "a rule", "start a rule with `- id: NAME`") {
        Ok(entries) => entries,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let anchor = entries.first().map_or(node.span.clone(), |(k, _)| k.span.clone());
    let mut f = Context::new(Fields::new(file, entries, anchor.clone()), params);
    let id = f.required_string(
        "id",
        "give the rule a kebab-case id, e.g. `id: sct-redist-download-failed`",
    );
    let title = f.required_string("title", "give the rule a one-line title");
    let severity = f.required_string("severity", "use `error`, `warning` or `note`");
    let kind = f.required_string("kind", &format!("use one of: {}", kind_names().join(", ")));
    let message = f.string("message");
    let help = f.string("help");
    let url = f.string("url");
    let tags = f.strings("tags").unwrap_or_default();
    let enabled = f.bool("enabled").unwrap_or(true);

    if let Some(id) = &id {
        let kebab = !id.value.is_empty()
            && id
                .value
                .split('-')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if !kebab {
            f.problem_with_help(id.span.clone(), format!("rule id `{}` is not kebab-case", id.value), "not kebab-case", "ids use lower-case letters, digits and single dashes, e.g. `sct-redist-download-failed`; they are stable forever");
        }
    }
    let severity = severity.and_then(|s| match Severity::parse(&s.value) {
        Some(sev) => Some(sev),
        None => {
            let help = suggest(&s.value, Severity::NAMES.iter().copied(), || {
                "use `error`, `warning` or `note`".to_owned()
            });
            f.problem_with_help(
                s.span.clone(),
                format!("unknown severity `{}`", s.value),
                "not a severity",
                help,
            );
            None
        }
    });
    // A misspelt kind with a close match is judged as that kind, so the author sees every
    // other mistake of the rule in the same run; the rule itself is not loaded.
    let mut misspelt = false;
    let kind = kind.and_then(|k| match KINDS.iter().find(|kind| kind.name == k.value) {
        Some(kind) => Some(kind),
        None => {
            let help = suggest(&k.value, kind_names(), || format!("kinds: {}", kind_names().join(", ")));
            let close = did_you_mean(&k.value, kind_names());
            f.problem_with_help(
                k.span.clone(),
                format!("unknown rule kind `{}`", k.value),
                "not a kind",
                help,
            );
            misspelt = true;
            close.and_then(|close| KINDS.iter().find(|kind| kind.name == close))
        }
    });
    // Without a kind at all the other fields cannot be judged, so they are left alone rather
    // than all reported as unknown.
    let Some(kind) = kind else {
        problems.extend(f.into_fields().abandon());
        return None;
    };
    let check = (kind.compile)(&mut f);
    let title = title.and_then(|t| f.with_params(&t));
    let help = help.and_then(|h| f.with_params(&h));
    let url = url.and_then(|u| f.with_params(&u));
    let message = match (&message, &check) {
        (Some(m), Some(check)) => f.template(m, &check.placeholders()).map(Some),
        (None, _) => Some(None),
        (Some(_), None) => None,
    };
    problems.extend(f.into_fields().finish(&format!("a `{}` rule", kind.name)));
    if misspelt {
        return None;
    }

    let id = id?.value;
    let (line, _) = file.line_column(anchor.start);
    Some(Rule {
        disabled: (!enabled).then(|| "disabled in its rule file (`enabled: false`)".to_owned()),
        id,
        kind: kind.name,
        severity: severity?,
        title: title?,
        message: message?,
        help: help.filter(|h| !h.trim().is_empty()).map(|h| h.trim_end().to_owned()),
        url,
        tags: tags.into_iter().map(|t| t.value).collect(),
        origin: format!("{}:{line}", file.name),
        definition: definition_text(file, anchor.start, top_level_keys),
        check: check?,
    })
}

fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

/// The rule's own lines: from its first key to the next rule (or the next top-level key),
/// without the common indentation.
fn definition_text(file: &SourceFile, start: usize, top_level_keys: &[usize]) -> String {
    let text = &file.text;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let after = &text[start..];
    // The next rule begins at a line whose first non-space character is `-` at the same
    // indentation as this rule's dash.
    let dash_indent = text[line_start..start].find('-').unwrap_or(0);
    let mut end = text.len();
    let mut offset = start + after.find('\n').map_or(after.len(), |i| i + 1);
    while offset < text.len() {
        let line = &text[offset..];
        let indent = line.len() - line.trim_start_matches(' ').len();
        let trimmed = line.trim_start_matches(' ');
        let next_rule = indent == dash_indent && trimmed.starts_with('-');
        if next_rule || top_level_keys.contains(&offset) {
            end = offset;
            break;
        }
        offset += line.find('\n').map_or(line.len(), |i| i + 1);
    }
    let block = text[line_start..end].trim_end();
    let indent = block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '-']).len())
        .min()
        .unwrap_or(0);
    block
        .lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
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
        for rule in &mut self.rules {
            if rule.disabled.is_some() {
                continue;
            }
            if !select.is_empty() && !select.iter().any(|s| matches_selector(rule, s)) {
                rule.disabled = Some("not selected (--select)".to_owned());
            } else if ignore.iter().any(|s| matches_selector(rule, s)) {
                rule.disabled = Some("ignored (--ignore)".to_owned());
            }
        }
        Ok(())
    }

    /// Every endpoint the enabled rules require, once each (by host pattern and port), for
    /// `collect --probe-endpoints`.
    pub fn required_endpoints(&self) -> Vec<crate::snapshot::endpoints::Required> {
        let mut all: Vec<crate::snapshot::endpoints::Required> = Vec::new();
        for rule in self.rules.iter().filter(|r| r.disabled.is_none()) {
            let crate::checks::SourceRef::Endpoints(required) = rule.check.source() else {
                continue;
            };
            for endpoint in required {
                match all
                    .iter_mut()
                    .find(|e| e.pattern == endpoint.pattern && e.port == endpoint.port)
                {
                    Some(known) => {
                        if known.probe_host.is_none() {
                            known.probe_host.clone_from(&endpoint.probe_host);
                        }
                    }
                    None => all.push(endpoint.clone()),
                }
            }
        }
        all
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn matches_selector(rule: &Rule, selector: &str) -> bool {
    match selector.strip_prefix("tag:") {
        Some(tag) => rule.tags.iter().any(|t| t == tag),
        None => rule.id == selector,
    }
}
