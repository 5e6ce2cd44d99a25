//! `sitelint rules list|show`: the rules the settings load, one line each or one in full.

use std::fmt::Write as _;
use std::io::Write;

use super::settings::{PolicyFlags, Settings};
use super::{EXIT_CLEAN, Failure, ListFormat, RulesAction, RulesArgs, SourceArgs};
use crate::document::diag::{SetupError, suggest};
use crate::document::text::visible;
use crate::report::{self, human, steps};
use crate::rules;
use crate::rules::waivers::BUILT_IN_KIND;

pub(super) fn run(args: RulesArgs, width: usize, stdout: &mut dyn Write) -> Result<u8, Failure> {
    let (RulesAction::List { rules, .. } | RulesAction::Show { rules, .. }) = &args.action;
    let (_, rule_set) = Settings::resolve(rules, &SourceArgs::default(), PolicyFlags::default())?;
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
