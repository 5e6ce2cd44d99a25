//! `sitelint config`: every effective setting, each with where its value came from, so a site
//! author can see what a run will do before the change window.

use std::io::Write;

use super::rules::load_rules;
use super::{EXIT_CLEAN, Failure, RuleArgs, SourceArgs, Sources};
use crate::document::text::{plural, visible};
use crate::report::human;
use crate::rules::RuleSet;
use crate::rules::config::{Discovery, SiteConfig, discover};

/// One setting: its key, value and origin.
type Setting = (String, String, String);

pub(super) fn run(
    args: &RuleArgs,
    flags: &SourceArgs,
    terminal_width: usize,
    stdout: &mut dyn Write,
) -> Result<u8, Failure> {
    let (rule_set, config) = load_rules(args)?;
    let sources = Sources::merge(flags, config.as_ref())?;
    let settings = settings(args, &rule_set, config.as_ref(), &sources);
    // Origins line up, except after the odd long value (a waiver), which would push them all.
    let width = settings
        .iter()
        .map(|(k, v, _)| k.len() + v.len() + 3)
        .filter(|&w| w <= 60)
        .max()
        .unwrap_or(0);
    for (key, value, origin) in settings {
        let assignment = format!("{key} = {value}");
        let aligned = visible(&format!("{assignment:width$}  ({origin})")).into_owned();
        let plain = visible(&format!("{assignment}  ({origin})")).into_owned();
        let fits = |row: &str| row.chars().count() <= terminal_width;
        if fits(&aligned) {
            writeln!(stdout, "{aligned}")?;
        } else if fits(&plain) {
            writeln!(stdout, "{plain}")?;
        } else {
            // Wider than the terminal: the value wraps under itself, the origin stays whole.
            let indent = " ".repeat(key.chars().count() + 3);
            let mut row = human::wrap(&visible(&value), terminal_width, &format!("{key} = "), &indent);
            let origin = visible(&format!("({origin})")).into_owned();
            let last = row.lines().last().map_or(0, |l| l.chars().count());
            if fits(&format!("{:last$}  {origin}", "")) {
                row = format!("{row}  {origin}");
            } else {
                row = format!("{row}\n{indent}{origin}");
            }
            writeln!(stdout, "{row}")?;
        }
    }
    Ok(EXIT_CLEAN)
}

fn settings(args: &RuleArgs, rule_set: &RuleSet, config: Option<&SiteConfig>, sources: &Sources) -> Vec<Setting> {
    let default = || "default".to_owned();
    let from = |line: usize| config.map_or_else(default, |c| c.origin(line));
    let mut out: Vec<Setting> = Vec::new();
    match config {
        Some(config) => {
            let how = if args.config.is_some() {
                "--config"
            } else {
                "found in the working directory or above"
            };
            out.push(("config".into(), config.file.name.clone(), how.into()));
        }
        None if args.no_config => out.push(("config".into(), "none".into(), "--no-config".into())),
        None => {
            let stopped = std::env::current_dir().ok().and_then(|cwd| match discover(&cwd) {
                Discovery::None { stopped } => stopped,
                Discovery::Found(_) => None,
            });
            let why = match stopped {
                Some((dir, why)) => format!(
                    "no sitelint.yaml here or above; the search stopped at {}: {why} (--config FILE reads one there)",
                    dir.display()
                ),
                None => "no sitelint.yaml here or above".to_owned(),
            };
            out.push(("config".into(), "none".into(), why));
        }
    }
    let default_rules = config.and_then(|c| c.default_rules.as_ref());
    out.push(match (args.no_default_rules, default_rules) {
        (true, _) => ("default-rules".into(), "false".into(), "--no-default-rules".into()),
        (false, Some(set)) => ("default-rules".into(), set.value.to_string(), from(set.line)),
        (false, None) => ("default-rules".into(), "true".into(), default()),
    });
    let config_rules = config.and_then(|c| c.rules.as_ref());
    for file in &rule_set.files {
        let (file, rules) = (&file.path, file.rules);
        let origin = if file.starts_with("(built in)") {
            default()
        } else if args.rules.iter().any(|r| file.starts_with(&r.display().to_string())) {
            "--rules".to_owned()
        } else {
            config_rules.map_or_else(default, |r| from(r.line))
        };
        out.push((
            "rules".into(),
            format!("{file} ({})", plural(rules, "rule", "rules")),
            origin,
        ));
    }
    for (name, value) in &rule_set.params {
        let origin = rule_set.param_origins.get(name).cloned().unwrap_or_else(default);
        out.push((format!("params.{name}"), format!("{value:?}"), origin));
    }
    if let Some(config) = config {
        for (id, severity) in &config.severity {
            let line = config.file.line_column(id.span.start).0;
            out.push((format!("severity.{}", id.value), severity.to_string(), from(line)));
        }
        for id in &config.disable {
            out.push((
                "disable".into(),
                id.value.clone(),
                from(config.file.line_column(id.span.start).0),
            ));
        }
    }
    out.push(match config.and_then(|c| c.fail_on.as_ref()) {
        Some(set) => (
            "fail-on".into(),
            set.value.map_or("never".into(), |s| s.to_string()),
            from(set.line),
        ),
        None => ("fail-on".into(), "error".into(), default()),
    });
    out.push(match config.and_then(|c| c.strict.as_ref()) {
        Some(set) => ("strict".into(), set.value.to_string(), from(set.line)),
        None => ("strict".into(), "false".into(), default()),
    });
    let origin = |key: &str| sources.origin(key).unwrap_or_default().to_owned();
    let live = crate::sources::live_snapshot(&sources.live);
    for part in crate::sources::parts(&live) {
        if let Some(setting) = part.setting {
            out.push((setting.name, part.artifact.display.clone(), origin(&setting.origin_key)));
        }
    }
    for waiver in config.iter().flat_map(|c| &c.waivers) {
        let narrowed = match (&waiver.subject, &waiver.fingerprint) {
            (Some((glob, _)), _) => format!(" for {glob}"),
            (None, Some(fingerprint)) => format!(" for fingerprint {fingerprint}"),
            (None, None) => String::new(),
        };
        let value = format!(
            "{}{narrowed} until {} (owner {})",
            waiver.rule.value, waiver.expires, waiver.owner
        );
        out.push(("waiver".into(), value, from(waiver.location.line.unwrap_or(1) as usize)));
    }
    out
}
