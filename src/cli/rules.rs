//! `sitelint rules list|show`, and the rule loading every command shares: the built-in
//! ruleset, `--config`, `--rules` and `--set`, in that order.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::{EXIT_CLEAN, Failure, ListFormat, RuleArgs, RulesAction, RulesArgs};
use crate::document::diag::{SetupError, suggest};
use crate::document::text::visible;
use crate::report::{self, human, steps};
use crate::rules::config::{self, SiteConfig};
use crate::rules::waivers::BUILT_IN_KIND;
use crate::rules::{self, ParamOrigin, ParamOverride, RuleSet};

/// The site config a command reads: `--config FILE`, else `sitelint.yaml` in the working
/// directory or its nearest parent, unless `--no-config`.
pub(super) fn site_config(args: &RuleArgs) -> Result<Option<SiteConfig>, SetupError> {
    if args.no_config {
        return Ok(None);
    }
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None => std::env::current_dir()
            .ok()
            .and_then(|dir| config::discover(&dir).path().map(Path::to_owned)),
    };
    path.as_deref().map(config::load).transpose()
}

/// The rules a command runs, built from the defaults, the site config and the command line,
/// in that order; with the config they came with.
pub(super) fn load_rules(args: &RuleArgs) -> Result<(RuleSet, Option<SiteConfig>), SetupError> {
    let config = site_config(args)?;
    let default_rules = !args.no_default_rules
        && config
            .as_ref()
            .and_then(|c| c.default_rules.as_ref())
            .is_none_or(|d| d.value);
    let mut sources = if default_rules {
        rules::default_sources()
    } else {
        Vec::new()
    };
    let config_rules = config.iter().flat_map(|c| c.rules.iter().flat_map(|r| &r.value));
    for path in config_rules.chain(&args.rules) {
        sources.extend(rules::read_sources(path)?);
    }
    if sources.is_empty() {
        return Err(SetupError::with_help(
            "no rules to check",
            "remove --no-default-rules (or `default-rules: false`) or add --rules PATH",
        ));
    }
    let mut overrides: Vec<ParamOverride> = config.iter().flat_map(|c| c.params.iter().cloned()).collect();
    for item in &args.set {
        let Some((name, value)) = item.split_once('=') else {
            return Err(SetupError::with_help(
                format!("--set {item}: expected KEY=VALUE"),
                "for example --set target_version=2409",
            ));
        };
        overrides.push(ParamOverride {
            name: name.trim().to_owned(),
            value: value.to_owned(),
            origin: ParamOrigin::Flag,
        });
    }
    let loaded = rules::load_partly(&sources, &overrides)?;
    if !loaded.problems.is_empty() {
        // The config's mistakes, its rule ids judged against what did load, are shown with
        // the rule files', in one run: not a second round once those are fixed.
        let mut problems = config
            .as_ref()
            .map(|c| config::judge(c, &loaded.rules, &loaded.written_ids))
            .unwrap_or_default();
        problems.extend(loaded.problems);
        return Err(problems.into());
    }
    let mut rule_set = loaded.rules;
    if let Some(config) = &config {
        config::apply(config, &mut rule_set)?;
    }
    Ok((rule_set, config))
}

pub(super) fn run(args: RulesArgs, width: usize, stdout: &mut dyn Write) -> Result<u8, Failure> {
    let (RulesAction::List { rules, .. } | RulesAction::Show { rules, .. }) = &args.action;
    let (rule_set, _) = load_rules(rules)?;
    match args.action {
        RulesAction::List {
            format: ListFormat::Json,
            ..
        } => stdout.write_all(report::json::render_rule_list(&rule_set).as_bytes())?,
        RulesAction::List { .. } => {
            // Grouped by step in the procedure's order, rules of no step after them, then the
            // built-in rules; each row is its group and its columns.
            let step_index = |tags: &[String]| {
                let step = steps::step_of(tags);
                steps::STEPS
                    .iter()
                    .position(|s| s == step)
                    .unwrap_or(steps::STEPS.len())
            };
            let built_in = |rule: &rules::Rule| rule.kind == BUILT_IN_KIND;
            let mut rules: Vec<_> = rule_set.rules.iter().collect();
            rules.sort_by_key(|r| (built_in(r), step_index(&r.tags), &r.id));
            let rows: Vec<(&str, [&str; 4])> = rules
                .iter()
                .map(|r| {
                    let group = if built_in(r) {
                        BUILT_IN_KIND
                    } else {
                        steps::step_of(&r.tags).tag
                    };
                    (group, [r.id.as_str(), r.severity.as_str(), r.kind, r.title.as_str()])
                })
                .collect();
            let disabled: Vec<&str> = rule_set
                .rules
                .iter()
                .filter(|r| r.disabled.is_some())
                .map(|r| r.id.as_str())
                .collect();
            let id_width = rows
                .iter()
                .map(|(_, r)| r[0].len())
                .max()
                .unwrap_or(0)
                .min(rules::MAX_ID_LEN);
            let kind_width = rows.iter().map(|(_, r)| r[2].len()).max().unwrap_or(0);
            let lines: Vec<(&str, String, String)> = rows
                .iter()
                .map(|(group, [id, severity, kind, title])| {
                    let mark = if disabled.contains(id) { " (disabled)" } else { "" };
                    let head = format!("  {id:id_width$}  {severity:7}  {kind:kind_width$}  ");
                    (*group, head, format!("{}{mark}", visible(title)))
                })
                .collect();
            // One row a rule when every row fits; else every title under its rule, so the
            // columns stay a table either way.
            let one_row = lines
                .iter()
                .all(|(_, head, title)| head.len() + title.chars().count() <= width);
            let mut heading = None;
            for (group, head, title) in lines {
                if heading != Some(group) {
                    heading = Some(group);
                    writeln!(stdout, "{group}")?;
                }
                if one_row {
                    writeln!(stdout, "{head}{title}")?;
                } else {
                    writeln!(
                        stdout,
                        "{}\n{}",
                        head.trim_end(),
                        human::wrap(&title, width, "      ", "      ")
                    )?;
                }
            }
        }
        RulesAction::Show { id, .. } => {
            let Some(rule) = rule_set.get(&id) else {
                let help = suggest(&id, rule_set.rules.iter().map(|r| r.id.as_str()), || {
                    "`sitelint rules list` shows the loaded rules".to_owned()
                });
                return Err(SetupError::with_help(format!("no loaded rule has the id `{id}`"), help).into());
            };
            // Rule files are the user's, but may have been handed on: shown like any input.
            let mut text = format!(
                "{}  ({} {})\n{}\n{}\n",
                rule.id,
                rule.severity,
                rule.kind,
                rule.title,
                rule.check.describe()
            );
            if !rule.tags.is_empty() {
                let _ = writeln!(text, "tags: {}", rule.tags.join(", "));
            }
            let _ = writeln!(text, "defined in {}", rule.origin);
            if let Some(reason) = &rule.disabled {
                let _ = writeln!(text, "disabled: {reason}");
            }
            if let Some(help) = &rule.help {
                let _ = writeln!(text, "\nhelp: {help}");
            }
            if let Some(url) = &rule.url {
                let _ = writeln!(text, "url: {url}");
            }
            let _ = writeln!(text, "\n{}", rule.definition);
            stdout.write_all(visible(&text).as_bytes())?;
        }
    }
    Ok(EXIT_CLEAN)
}
