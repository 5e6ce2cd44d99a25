//! `sitelint check`: rules against a snapshot, one report per `--format`, and the exit code.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::output::{Inputs, entry, write_replacing};
use super::rules::load_rules;
use super::{CheckArgs, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, FailOn, Failure, snapshot_from, write_loaded};
use crate::document::date::Date;
use crate::document::diag::{SetupError, did_you_mean};
use crate::document::text::{plural, visible};
use crate::finding::{Outcome, Report, Severity};
use crate::report::steps::step_of;
use crate::report::{FORMATS, Format, RenderContext, human};
use crate::rules::RuleSet;
use crate::rules::waivers;
use crate::snapshot::Snapshot;

pub(super) fn run(
    args: CheckArgs,
    style: human::Style,
    quiet: bool,
    verbose: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    let outputs = parse_formats(&args.formats)?;
    let (mut rule_set, config) = load_rules(&args.rules)?;
    rule_set.select(&args.select, &args.ignore)?;
    keep_steps(&mut rule_set, &args.steps);
    let (mut snapshot, sources) = snapshot_from(args.snapshot.as_deref(), &args.sources, config.as_ref())?;
    snapshot.encoding = args
        .encoding
        .or_else(|| config.as_ref().and_then(|c| c.encoding.as_ref()).map(|e| e.value));
    if verbose {
        write_loaded(Some(&rule_set), config.as_ref(), &snapshot, sources.as_ref(), stderr)?;
    }
    if args.snapshot.is_none() {
        for warning in unread_sources(&rule_set, &snapshot) {
            writeln!(stderr, "warning: {}", visible(&warning))?;
        }
    }
    let inputs = Inputs::of_run(
        rule_set
            .files
            .iter()
            .map(|file| file.path.as_str())
            .filter(|f| !f.starts_with("(built in)")),
        config.as_ref().map(|c| Path::new(&c.file.name)),
        &snapshot,
    );
    for (format, path) in &outputs {
        if let Some(path) = path
            && let Some(why) = inputs.refuse(path)
        {
            return Err(SetupError::with_help(
                format!("--format {format}={}: {why}", path.display()),
                "write the report somewhere else, e.g. --format sarif=sitelint.sarif beside the snapshot",
            )
            .into());
        }
    }
    let mut report = crate::engine::evaluate(&rule_set, &snapshot);
    for read in &report.read_as {
        if verbose {
            writeln!(stderr, "read {} as {}", visible(&read.path), read.encoding)?;
        }
        if !read.clean {
            writeln!(
                stderr,
                "warning: {}: some bytes are not {}; they show as U+FFFD (--encoding names another code page)",
                visible(&read.path),
                read.encoding
            )?;
        }
    }
    report.ruleset.config = config.as_ref().map(|c| c.file.name.clone());
    if let Some(config) = &config {
        waivers::apply(&mut report, &rule_set, &config.waivers, Date::today());
    }

    let working_dir = working_dir()?;
    for (format, path) in &outputs {
        let context = RenderContext {
            style,
            quiet,
            to_file: path.is_some(),
            show_suppressed: args.show_suppressed,
            working_dir: &working_dir,
        };
        let text = format.renderer.render(&report, &context);
        match path {
            None => stdout.write_all(text.as_bytes())?,
            Some(path) => write_replacing(path, text.as_bytes()).map_err(|e| {
                SetupError::message(format!("cannot write the {format} report to {}: {e}", path.display()))
            })?,
        }
    }
    for error in &report.errors {
        writeln!(stderr, "error: {}", visible(&error.message))?;
    }
    // With every report in a file the run would otherwise say nothing at all.
    if !quiet && outputs.iter().all(|(_, path)| path.is_some()) {
        writeln!(stderr, "{}", human::summary(report.totals()))?;
        for (format, path) in &outputs {
            if let Some(path) = path {
                writeln!(
                    stderr,
                    "wrote the {format} report to {}",
                    visible(&path.display().to_string())
                )?;
            }
        }
    }
    // The command line over the site config over the defaults.
    let threshold = match args.fail_on {
        Some(FailOn::Error) => Some(Severity::Error),
        Some(FailOn::Warning) => Some(Severity::Warning),
        Some(FailOn::Note) => Some(Severity::Note),
        Some(FailOn::Never) => None,
        None => config
            .as_ref()
            .and_then(|c| c.fail_on.as_ref())
            .map_or(Some(Severity::Error), |f| f.value),
    };
    let strict = match (args.strict, args.no_strict) {
        (true, _) => true,
        (_, true) => false,
        _ => config.as_ref().and_then(|c| c.strict.as_ref()).is_some_and(|s| s.value),
    };
    let code = exit_code(&report, threshold, strict);
    if code == EXIT_FINDINGS && !failed_on_findings(&report, threshold) {
        let not_evaluated = plural(report.totals().not_evaluated, "rule", "rules");
        let from = if args.strict {
            "--strict"
        } else {
            "strict: true in the site config"
        };
        writeln!(stderr, "failed: {not_evaluated} not evaluated ({from})")?;
    }
    Ok(code)
}

/// `--step`: the rules of other steps do not run, so a machine that holds only some of the
/// evidence (the internet machine has no console export) is not told its steps are unfinished.
fn keep_steps(rule_set: &mut RuleSet, steps: &[String]) {
    if steps.is_empty() {
        return;
    }
    for rule in rule_set.rules.iter_mut().filter(|r| r.disabled.is_none()) {
        if !steps.iter().any(|step| step == step_of(&rule.tags).tag) {
            rule.disabled = Some("not in the steps checked (--step)".to_owned());
        }
    }
}

fn working_dir() -> Result<PathBuf, SetupError> {
    std::env::current_dir().map_err(|e| SetupError::message(format!("cannot read the working directory: {e}")))
}

/// 2 when a source could not be read, 1 when a failure reaches `threshold` (or, `strict`, a
/// rule was not evaluated), else 0. Suppressed findings never count.
fn exit_code(report: &Report, threshold: Option<Severity>, strict: bool) -> u8 {
    if !report.errors.is_empty() {
        return EXIT_ERROR;
    }
    let not_evaluated = || report.findings.iter().any(|f| f.outcome() == Outcome::NotEvaluated);
    if failed_on_findings(report, threshold) || (strict && not_evaluated()) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Whether a failure reaches `threshold`.
fn failed_on_findings(report: &Report, threshold: Option<Severity>) -> bool {
    report
        .findings
        .iter()
        .any(|f| f.outcome() == Outcome::Fail && threshold.is_some_and(|t| f.severity >= t))
}

/// `--format` values; at most one may go to standard output, and each file gets one format.
fn parse_formats(values: &[String]) -> Result<Vec<(Format, Option<PathBuf>)>, SetupError> {
    let mut outputs: Vec<(Format, Option<PathBuf>)> = Vec::new();
    for value in values {
        let (name, path) = match value.split_once('=') {
            Some((name, "")) => {
                return Err(SetupError::with_help(
                    format!("--format {value}: the path is missing"),
                    format!("write {name}=report.{name} to write a file, or {name} alone for standard output"),
                ));
            }
            Some((name, path)) => (name, Some(PathBuf::from(path))),
            None => (value.as_str(), None),
        };
        let format = Format::from_str(name, false).map_err(|_| {
            let names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
            SetupError::message(format!("unknown format `{name}` (formats: {})", names.join(", ")))
        })?;
        if let Some(path) = &path
            && let Some((earlier, _)) = outputs
                .iter()
                .find(|(_, other)| other.as_deref().is_some_and(|other| same_file(other, path)))
        {
            return Err(SetupError::with_help(
                format!(
                    "--format {earlier} and --format {format} both write to {}",
                    path.display()
                ),
                "give each format its own file, e.g. --format sarif=report.sarif --format json=report.json",
            ));
        }
        outputs.push((format, path));
    }
    if outputs.iter().filter(|(_, p)| p.is_none()).count() > 1 {
        return Err(SetupError::with_help(
            "only one --format can write to standard output",
            "write the others to files, e.g. --format human --format json=report.json",
        ));
    }
    if outputs.is_empty() {
        outputs.push((Format::default_format(), None));
    }
    Ok(outputs)
}

/// Live sources that no rule in the run reads, each with the names the rules do read: a log or
/// tree named on the command line under the wrong name is otherwise passed over without a word
/// (`--log SCT.log=...` left every log rule not evaluated, and the run exited 0).
fn unread_sources(rule_set: &RuleSet, snapshot: &Snapshot) -> Vec<String> {
    let mut read_logs = Vec::new();
    let mut read_trees = Vec::new();
    for rule in rule_set.rules.iter().filter(|r| r.disabled.is_none()) {
        match rule.check.source() {
            crate::checks::SourceRef::Log { name, .. } if !read_logs.contains(&name) => read_logs.push(name),
            crate::checks::SourceRef::Tree(name) if !read_trees.contains(&name) => read_trees.push(name),
            _ => {}
        }
    }
    let unread = |kind: &str, flag: &str, name: &str, read: &[&str]| {
        if read.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return None;
        }
        let expected = match read {
            [] => format!("no rule in this run reads a {kind}"),
            [one] => format!("the rules read the {kind} {one}"),
            names => format!("the rules read the {kind}s {}", names.join(", ")),
        };
        let hint = did_you_mean(name, read.iter().copied())
            .map(|close| format!("; did you mean `{close}` ({flag} {close}=...)?"))
            .unwrap_or_default();
        Some(format!("no rule reads {kind} `{name}`: {expected}{hint}"))
    };
    let logs = snapshot
        .logs
        .iter()
        .filter_map(|(name, _)| unread("log", "--log", name, &read_logs));
    let trees = snapshot
        .trees
        .iter()
        .filter_map(|(name, _)| unread("tree", "--tree", name, &read_trees));
    logs.chain(trees).collect()
}

/// Whether two paths name one directory entry.
fn same_file(a: &Path, b: &Path) -> bool {
    match (entry(a), entry(b)) {
        (Some(a), Some(b)) => a == b,
        _ => {
            let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
            absolute(a) == absolute(b)
        }
    }
}
