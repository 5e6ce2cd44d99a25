//! `sitelint.yaml`: a site's standing policy, so a change window does not depend on
//! remembering flags. Found with `--config FILE`, else in the working directory or the nearest
//! parent that has one, within the bounds of
//! [`discover`](discovery::discover); relative paths in it are relative to the file. It names
//! extra rule files, params, per-rule severities, rules to disable, the exit-code policy, the live
//! sources of the site and its waivers. The `--config` files of earlier versions (`params:`,
//! `rules:`) are a subset and read the same.

pub mod discovery;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::document::diag::{Problem, SetupError, SourceFile, suggest};
use crate::document::fields::{Document, FieldDoc, Fields, Sp, mapping};
use crate::document::origin::Origin;
use crate::document::yaml::{self, Node};
use crate::finding::Severity;
use crate::rules::fail_on::FailOn;
use crate::rules::waivers::{self, Waiver};
use crate::rules::{ParamOverride, RuleSet, matches_selector};
use crate::snapshot::live::LiveSources;

/// The name discovery looks for.
pub const CONFIG_NAME: &str = "sitelint.yaml";

/// A value the file sets, with the line that sets it.
#[derive(Debug, Clone)]
pub struct Set<T> {
    pub value: T,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub file: Arc<SourceFile>,
    pub default_rules: Option<Set<bool>>,
    pub rules: Option<Set<Vec<PathBuf>>>,
    pub params: Vec<ParamOverride>,
    /// Per-rule severities, each rule id with its span.
    pub severity: Vec<(Sp<String>, Severity)>,
    /// Rule ids (or `tag:NAME`) to disable, each with its span.
    pub disable: Vec<Sp<String>>,
    pub fail_on: Option<Set<FailOn>>,
    pub strict: Option<Set<bool>>,
    pub sources: Option<Set<LiveSources>>,
    /// The code page of inputs that have no BOM and are not UTF-8.
    pub encoding: Option<Set<&'static encoding_rs::Encoding>>,
    pub waivers: Vec<Waiver>,
    /// The rule id of every waiver, those with other mistakes included.
    pub waiver_rules: Vec<Sp<String>>,
    /// Mistakes found while reading, kept until the rule ids can be judged too, so that
    /// [`apply`] reports every mistake of the file in one run.
    pub problems: Vec<Problem>,
}

impl SiteConfig {
    /// The mistakes found while reading, for a command that loads no rules.
    pub fn check(&self) -> Result<(), SetupError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems.clone().into())
        }
    }

    /// `sitelint.yaml:7`: where a value came from.
    pub fn origin(&self, line: usize) -> Origin {
        Origin::line(&self.file.name, line)
    }
}

pub fn load(path: &Path) -> Result<SiteConfig, SetupError> {
    let bytes = crate::files::read_limited(path, crate::files::WHOLE_FILE_LIMIT).map_err(|e| {
        // A link that leads nowhere says only "No such file" of a name that is plainly there.
        let why = match std::fs::read_link(path) {
            Ok(target) if !path.exists() => format!("it is a link to {}, which does not exist", target.display()),
            _ => e.to_string(),
        };
        SetupError::with_help(
            format!("cannot read config {}: {why}", path.display()),
            "make it the site's config file, or remove it; --no-config runs without one",
        )
    })?;
    let text = crate::document::text::decode_yaml(&bytes)
        .map_err(|e| SetupError::message(format!("cannot read config {}: {e}", path.display())))?;
    parse(path, text)
}

/// The fields of a config, of its `sources:` and of one waiver, as the loader reads them:
/// what `sitelint schema config` describes.
#[derive(Debug, Default)]
pub struct ConfigDocs {
    pub top: Vec<FieldDoc>,
    pub sources: Vec<FieldDoc>,
    pub waiver: Vec<FieldDoc>,
}

/// Reads a config's text; `path` names it and anchors the relative paths in it.
pub fn parse(path: &Path, text: String) -> Result<SiteConfig, SetupError> {
    read(path, text, &mut ConfigDocs::default())
}

/// The config's fields, found by loading a config with an empty `sources:` and an empty
/// waiver through the loader itself.
pub fn describe() -> ConfigDocs {
    let mut docs = ConfigDocs::default();
    let _ = read(
        Path::new(CONFIG_NAME),
        "sources: {}\nwaivers: [{}]\n".to_owned(),
        &mut docs,
    );
    docs
}

fn read(path: &Path, text: String, docs: &mut ConfigDocs) -> Result<SiteConfig, SetupError> {
    let file = SourceFile::new(path.display().to_string(), text);
    let node = yaml::parse_file(&file).map_err(|p| vec![p])?;
    let entries =
        mapping(&file, &node, "a config", "start with `rules:`, `params:` or `waivers:`").map_err(|p| vec![p])?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut f = Fields::new(&file, Document::Config, entries, 0..0);
    let line = |f: &Fields<'_, '_>, name: &str| f.key_span(name).map_or(1, |span| file.line_column(span.start).0);

    let default_rules = f
        .bool(
            "default-rules",
            "Load the built-in ConfigMgr offline-servicing ruleset (default true).",
        )
        .map(|value| Set {
            value,
            line: line(&f, "default-rules"),
        });
    let rules = f
        .strings("rules", "Rule files or directories of them, relative to this file.")
        .map(|paths| Set {
            value: paths.iter().map(|p| base.join(&p.value)).collect(),
            line: line(&f, "rules"),
        });
    let params = ParamOverride::from_file(
        &file,
        f.scalar_map("params", "Param values, over the rule files' defaults."),
    );
    let severity = read_severities(&mut f);
    let disable = f
        .strings("disable", "Rule ids or `tag:NAME` not to run.")
        .unwrap_or_default();
    let fail_on = f
        .string(
            "fail-on",
            "The lowest severity that makes the exit code 1: error (default), warning, note or never.",
        )
        .and_then(|s| match FailOn::parse(&s.value) {
            Some(fail_on) => Some(fail_on),
            None => {
                let help = suggest(&s.value, FailOn::names(), || {
                    "use `error`, `warning`, `note` or `never`".to_owned()
                });
                f.problem_with_help(
                    s.span,
                    format!("unknown `fail-on` value `{}`", s.value),
                    "not a severity",
                    help,
                );
                None
            }
        });
    f.values("fail-on", FailOn::names());
    let fail_on = fail_on.map(|value| Set {
        value,
        line: line(&f, "fail-on"),
    });
    let strict = f
        .bool("strict", "Count a rule that could not be evaluated as a failure.")
        .map(|value| Set {
            value,
            line: line(&f, "strict"),
        });
    let sources = f
        .map(
            "sources",
            "The live sources a bare `sitelint check` reads, as the source flags name them.",
        )
        .map(|entries| Set {
            line: line(&f, "sources"),
            value: read_sources(&file, entries, base, &mut f, &mut docs.sources),
        });
    let encoding = f
        .string(
            "encoding",
            "The code page of inputs that have no BOM and are not UTF-8 (cp932, windows-1252); detected when absent.",
        )
        .and_then(|name| match crate::document::text::encoding_named(&name.value) {
            Some(encoding) => Some(encoding),
            None => {
                f.problem_with_help(
                    name.span,
                    format!("unknown `encoding` value `{}`", name.value),
                    "not an encoding",
                    "use a code page such as `cp932` or `windows-1252`".to_owned(),
                );
                None
            }
        })
        .map(|value| Set {
            value,
            line: line(&f, "encoding"),
        });
    let waiver_nodes = f
        .list(
            "waivers",
            "Findings the site accepts, each with a reason, an owner and an expiry.",
        )
        .unwrap_or_default();
    let mut problems = Vec::new();
    let mut waiver_rules = Vec::new();
    // Findings name snapshot files relative to the snapshot; the config is elsewhere, so its
    // lines are named by an absolute path that every report resolves the same way.
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let absolute = absolute.display().to_string();
    let waivers = waiver_nodes
        .iter()
        .filter_map(|node| {
            waivers::read(
                &file,
                &absolute,
                node,
                &mut problems,
                &mut docs.waiver,
                &mut waiver_rules,
            )
        })
        .collect();
    docs.top = f.docs().to_vec();
    problems.extend(f.finish("a config file"));
    problems.sort_by_key(|p| p.span.start);
    Ok(SiteConfig {
        problems,
        waiver_rules,
        file: file.clone(),
        default_rules,
        rules,
        params,
        severity,
        disable,
        fail_on,
        strict,
        sources,
        encoding,
        waivers,
    })
}

fn read_severities(f: &mut Fields<'_, '_>) -> Vec<(Sp<String>, Severity)> {
    let mut out = Vec::new();
    let entries = f.scalar_map("severity", "Per-rule severities: `rule-id: error|warning|note`.");
    f.values("severity", Severity::NAMES.iter().copied());
    for (id, value) in entries {
        match Severity::parse(&value) {
            Some(severity) => out.push((id, severity)),
            None => {
                let help = suggest(&value, Severity::NAMES.iter().copied(), || {
                    "use `error`, `warning` or `note`".to_owned()
                });
                f.problem_with_help(
                    id.span,
                    format!("unknown severity `{value}` for `{}`", id.value),
                    "this rule's severity",
                    help,
                );
            }
        }
    }
    out
}

/// `sources:` as the source flags name them, each source reading its own keys (`trees`,
/// `logs`, ...).
fn read_sources(
    file: &Arc<SourceFile>,
    entries: &[(Node, Node)],
    base: &Path,
    outer: &mut Fields<'_, '_>,
    docs: &mut Vec<FieldDoc>,
) -> LiveSources {
    let anchor = outer.key_span("sources").unwrap_or(0..0);
    let mut f = Fields::new(file, Document::Config, entries, anchor);
    let live = crate::sources::read_config(&mut f, base);
    *docs = f.docs().to_vec();
    for problem in f.finish("`sources`") {
        outer.push(problem);
    }
    live
}

/// Checks what the config names against the loaded rules (rule ids in `severity`, `disable`
/// and waivers), then applies severities and disables. Every unknown id is reported at its
/// place, with the closest loaded id.
pub fn apply(config: &SiteConfig, rules: &mut RuleSet) -> Result<(), SetupError> {
    let problems = judge(config, rules, &[]);
    if !problems.is_empty() {
        return Err(problems.into());
    }
    for rule in &mut rules.rules {
        if let Some((_, severity)) = config.severity.iter().find(|(id, _)| id.value == rule.id) {
            rule.severity = *severity;
        }
        let disabled_here = config.disable.iter().find(|d| matches_selector(rule, &d.value));
        if let Some(entry) = disabled_here
            && rule.disabled.is_none()
        {
            let (line, _) = config.file.line_column(entry.span.start);
            rule.disabled = Some(format!("disabled in {}", config.origin(line)));
        }
    }
    Ok(())
}

/// The config's mistakes: those found while reading it, and each rule id it names that no
/// rule in `rules` has. `written` are ids of rules that did not load for mistakes of their
/// own: the config is right to name them.
pub fn judge(config: &SiteConfig, rules: &RuleSet, written: &[String]) -> Vec<Problem> {
    let mut problems = config.problems.clone();
    let ids: Vec<String> = rules
        .rules
        .iter()
        .map(|r| r.id.clone())
        .chain(written.iter().cloned())
        .collect();
    // `disable` takes selectors (ids or `tag:NAME`); `severity` and waivers name one rule.
    let known = |id: &Sp<String>, what: &str, selector: bool, problems: &mut Vec<Problem>| {
        let found = if selector {
            rules.rules.iter().any(|r| matches_selector(r, &id.value)) || written.contains(&id.value)
        } else {
            ids.contains(&id.value)
        };
        let tag = id.value.strip_prefix("tag:").filter(|_| !selector);
        if let Some(tag) = tag {
            // A severity or a waiver is for one rule: say so, and which rules the tag holds.
            let tagged: Vec<&str> = rules
                .rules
                .iter()
                .filter(|r| r.tags.iter().any(|t| t == tag))
                .map(|r| r.id.as_str())
                .collect();
            let help = if tagged.is_empty() {
                format!("no loaded rule has the tag `{tag}`; name a rule by its id")
            } else {
                format!("name each rule by its id; `{tag}` holds {}", tagged.join(", "))
            };
            problems.push(
                Problem::new(
                    &config.file,
                    id.span.clone(),
                    format!("`{}` is a tag; tags are not allowed here, only rule ids", id.value),
                    "a tag, not a rule id",
                )
                .with_help(help),
            );
        } else if !found {
            let help = suggest(&id.value, ids.iter().map(String::as_str), || {
                "`sitelint rules list` shows the loaded rules".to_owned()
            });
            problems.push(
                Problem::new(
                    &config.file,
                    id.span.clone(),
                    format!("no loaded rule is `{}`", id.value),
                    what,
                )
                .with_help(help),
            );
        }
        found
    };
    for (id, _) in &config.severity {
        known(id, "severity for an unknown rule", false, &mut problems);
    }
    for id in &config.disable {
        known(id, "not a loaded rule", true, &mut problems);
    }
    for rule in &config.waiver_rules {
        known(rule, "waiver for an unknown rule", false, &mut problems);
    }
    problems.sort_by_key(|p| p.span.start);
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ParamOrigin;

    #[test]
    fn paths_are_relative_to_the_config_and_values_keep_their_line() {
        let text = "# Contoso's standing choices
params:
  target_version: 2409
rules:
  - site-rules/
fail-on: never
sources:
  updatepack: packs
  logs: ['logs\\ServiceConnectionTool.log']
";
        let config = parse(Path::new("ops/sitelint.yaml"), text.to_owned()).unwrap();
        let rules = config.rules.as_ref().unwrap();
        assert_eq!(
            (rules.value.as_slice(), rules.line),
            ([Path::new("ops").join("site-rules/")].as_slice(), 4)
        );
        let [param] = config.params.as_slice() else {
            panic!("one param: {:?}", config.params);
        };
        assert_eq!((param.name.as_str(), param.value.as_str()), ("target_version", "2409"));
        let ParamOrigin::File { file, span } = &param.origin else {
            panic!("from the file: {:?}", param.origin);
        };
        assert_eq!(file.line_column(span.start), (3, 3));
        let fail_on = config.fail_on.as_ref().unwrap();
        assert_eq!((fail_on.value, fail_on.line), (FailOn::Never, 6));
        let sources = &config.sources.as_ref().unwrap().value;
        assert_eq!(
            sources.of("trees").and_then(|trees| trees.get("updatepack")),
            Some(&Path::new("ops").join("packs"))
        );
        assert_eq!(
            sources.iter_of("logs").next().map(|(name, _)| name.as_str()),
            Some("ServiceConnectionTool.log")
        );
    }

    #[test]
    fn a_config_of_earlier_versions_reads_the_same() {
        let config = parse(
            Path::new("sitelint.yaml"),
            "params:\n  odbc_installer: msodbcsql.msi\nrules: [site-rules]\n".to_owned(),
        )
        .unwrap();
        assert_eq!(config.params.len(), 1);
        assert!(config.waivers.is_empty() && config.fail_on.is_none() && config.default_rules.is_none());
    }

    #[test]
    fn disable_takes_a_tag_and_severity_names_one_rule() {
        let source = crate::rules::RuleSource {
            name: "site.yaml".to_owned(),
            text: "ruleset: site\nrules:\n  - {id: proxy-open, title: t, severity: error, kind: required-endpoints, endpoints: [go.microsoft.com], tags: [network]}\n".to_owned(),
        };
        let load = || crate::rules::load(std::slice::from_ref(&source), &[]).unwrap();
        let config = parse(Path::new("sitelint.yaml"), "disable: ['tag:network']\n".to_owned()).unwrap();
        let mut rules = load();
        apply(&config, &mut rules).unwrap();
        assert_eq!(rules.rules[0].disabled.as_deref(), Some("disabled in sitelint.yaml:1"));
        // A tag in `severity` would change nothing: it is a mistake, not a silent no-op.
        let config = parse(
            Path::new("sitelint.yaml"),
            "severity: {'tag:network': warning}\n".to_owned(),
        )
        .unwrap();
        let Err(SetupError::Problems(problems)) = apply(&config, &mut load()) else {
            panic!("a tag in severity is refused");
        };
        assert_eq!(
            problems[0].message,
            "`tag:network` is a tag; tags are not allowed here, only rule ids"
        );
        assert_eq!(
            problems[0].help.as_deref(),
            Some("name each rule by its id; `network` holds proxy-open")
        );
    }
}
