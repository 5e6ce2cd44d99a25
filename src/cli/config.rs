//! `sitelint config`: every effective setting, each with where its value came from, so a site
//! author can see what a run will do before the change window.

use std::io::Write;

use super::settings::{Origin, PolicyFlags, Settings};
use super::{EXIT_CLEAN, Failure, RuleArgs, SourceArgs};
use crate::document::text::{plural, visible};
use crate::report::human;
use crate::rules::RuleSet;

/// One setting: its key, value and origin.
type Setting = (String, String, String);

pub(super) fn run(
    args: &RuleArgs,
    flags: &SourceArgs,
    terminal_width: usize,
    stdout: &mut dyn Write,
) -> Result<u8, Failure> {
    let (resolved, rule_set) = Settings::resolve(args, flags, PolicyFlags::default())?;
    let settings = settings(&resolved, &rule_set);
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
            // Wider than the terminal: the value wraps under itself, the origin follows it
            // or goes below it, wrapped too (only a word longer than the line runs past it).
            let indent = " ".repeat(key.chars().count() + 3);
            let mut row = human::wrap(&visible(&value), terminal_width, &format!("{key} = "), &indent);
            let origin = visible(&format!("({origin})")).into_owned();
            let last = row.lines().last().map_or(0, |l| l.chars().count());
            if fits(&format!("{:last$}  {origin}", "")) {
                row = format!("{row}  {origin}");
            } else {
                // A long origin (a param of a long rule file) wraps too, under the value.
                row = format!("{row}\n{}", human::wrap(&origin, terminal_width, &indent, &indent));
            }
            writeln!(stdout, "{row}")?;
        }
    }
    Ok(EXIT_CLEAN)
}

/// The lines, each read from the settings `check` resolves the same way, in the order a run
/// applies them.
fn settings(settings: &Settings, rule_set: &RuleSet) -> Vec<Setting> {
    let line = |key: &str, value: String, origin: &Origin| (key.to_owned(), value, origin.to_string());
    let config = settings.site_config();
    let from = |line: usize| settings.config_line(line).to_string();
    let mut out: Vec<Setting> = Vec::new();
    let file = config.map_or_else(|| "none".to_owned(), |c| c.file.name.clone());
    out.push(line("config", file, &settings.config.origin));
    let default_rules = &settings.default_rules;
    out.push(line(
        "default-rules",
        default_rules.value.to_string(),
        &default_rules.origin,
    ));
    for file in &rule_set.files {
        let value = format!("{} ({})", file.path, plural(file.rules, "rule", "rules"));
        out.push(line("rules", value, &settings.rule_file_origin(&file.path)));
    }
    for (name, value, origin) in rule_set.params() {
        out.push((format!("params.{name}"), format!("{value:?}"), origin.to_string()));
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
    let fail_on = &settings.fail_on;
    out.push(line("fail-on", fail_on.value.as_str().to_owned(), &fail_on.origin));
    let strict = &settings.strict;
    out.push(line("strict", strict.value.to_string(), &strict.origin));
    // Detected unless named: a line only when it is.
    if let Some(encoding) = settings.encoding.value {
        out.push(line("encoding", encoding.name().to_owned(), &settings.encoding.origin));
    }
    let sources = &settings.sources;
    let origin = |key: &str| sources.origin(key).map(ToString::to_string).unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::cli::check::Policy;
    use crate::cli::settings::PolicyFlags;
    use crate::finding::Severity;
    use crate::rules::fail_on::FailOn;

    fn resolve(config: &Path, flags: PolicyFlags) -> (Settings, Vec<Setting>) {
        let args = RuleArgs {
            rules: Vec::new(),
            no_default_rules: false,
            config: Some(config.to_owned()),
            no_config: false,
            set: Vec::new(),
        };
        let (resolved, rule_set) = Settings::resolve(&args, &SourceArgs::default(), flags).unwrap();
        let lines = settings(&resolved, &rule_set);
        (resolved, lines)
    }

    fn row<'a>(lines: &'a [Setting], key: &str) -> (&'a str, &'a str) {
        let (_, value, origin) = lines
            .iter()
            .find(|(k, ..)| k == key)
            .unwrap_or_else(|| panic!("no `{key}` line in {lines:?}"));
        (value, origin)
    }

    /// What `config` prints is what `check` decides by: each line is read from the settings
    /// `check` builds its policy and its snapshot's encoding from, whichever layer set them.
    #[test]
    fn each_line_is_the_value_and_origin_check_uses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sitelint.yaml");
        std::fs::write(&path, "fail-on: warning\nstrict: true\nencoding: cp932\n").unwrap();
        let file = path.display().to_string();
        let flags = PolicyFlags {
            fail_on: Some(FailOn::Never),
            strict: Some(false),
            encoding: Some(encoding_rs::WINDOWS_1252),
        };
        let cases = [
            (
                PolicyFlags::default(),
                ["warning", "true", "Shift_JIS"],
                [1, 2, 3].map(|l| format!("{file}:{l}")),
            ),
            (
                flags,
                ["never", "false", "windows-1252"],
                ["--fail-on", "--no-strict", "--encoding"].map(String::from),
            ),
        ];
        for (flags, values, origins) in cases {
            let (resolved, lines) = resolve(&path, flags);
            let policy = Policy::of(&resolved, false);
            let printed = ["fail-on", "strict", "encoding"].map(|key| row(&lines, key));
            assert_eq!(printed.map(|(value, _)| value), values);
            assert_eq!(printed.map(|(_, origin)| origin.to_owned()), origins);
            assert_eq!(FailOn::parse(values[0]).and_then(FailOn::threshold), policy.threshold);
            assert_eq!(values[1] == "true", policy.strict);
            assert_eq!(resolved.encoding.value.map(|e| e.name()), Some(values[2]));
        }
        let (resolved, lines) = resolve(&path, PolicyFlags::default());
        assert_eq!(Policy::of(&resolved, false).threshold, Some(Severity::Warning));
        assert_eq!(row(&lines, "config"), (file.as_str(), "--config"));
    }

    #[test]
    fn without_a_config_every_policy_line_is_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sitelint.yaml");
        std::fs::write(&path, "waivers: []\n").unwrap();
        let (resolved, lines) = resolve(&path, PolicyFlags::default());
        assert_eq!(row(&lines, "fail-on"), ("error", "default"));
        assert_eq!(row(&lines, "strict"), ("false", "default"));
        assert_eq!(row(&lines, "default-rules"), ("true", "default"));
        assert!(lines.iter().all(|(key, ..)| key != "encoding"), "detected: {lines:?}");
        assert_eq!(Policy::of(&resolved, false).threshold, Some(Severity::Error));
    }
}
