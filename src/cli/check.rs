//! `sitelint check`: rules against a snapshot, one report per `--format`, and the exit code.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::output::{Inputs, entry, write_replacing};
use super::rules::load_rules;
use super::{CheckArgs, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, FailOn, Failure, snapshot_from, write_loaded};
use crate::baseline::Baseline;
use crate::document::date::Date;
use crate::document::diag::{SetupError, did_you_mean};
use crate::document::text::{plural, visible};
use crate::finding::{BaselineState, Outcome, Report, Severity, Site};
use crate::report::steps::step_of;
use crate::report::{FORMATS, Format, RenderContext, human};
use crate::rules::RuleSet;
use crate::rules::config::SiteConfig;
use crate::rules::waivers;
use crate::snapshot::Snapshot;
use crate::snapshot::manifest;

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
    let mut baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    if args.snapshots.len() > 1 {
        return run_many(
            &args,
            &rule_set,
            config.as_ref(),
            baseline,
            &outputs,
            style,
            quiet,
            stdout,
            stderr,
        );
    }
    let (mut snapshot, sources) = snapshot_from(
        args.snapshots.first().map(PathBuf::as_path),
        &args.sources,
        config.as_ref(),
    )?;
    snapshot.encoding = encoding(&args, config.as_ref());
    if verbose {
        write_loaded(Some(&rule_set), config.as_ref(), &snapshot, sources.as_ref(), stderr)?;
    }
    if args.snapshots.is_empty() {
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
    if let Some(baseline) = &mut baseline {
        let earlier = baseline.take("", true);
        crate::baseline::compare(&mut report, &baseline.path, earlier);
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
        write_report(*format, path.as_deref(), &text, stdout)?;
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
    let policy = policy(&args, config.as_ref());
    let code = exit_code(&report, policy);
    if code == EXIT_FINDINGS && !failed_on_findings(&report, policy) {
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

/// `check A B C`: each snapshot loaded and checked on its own, on every core, and reported
/// in the order given. A snapshot that cannot be read is named, and the others still run.
#[allow(clippy::too_many_arguments)]
fn run_many(
    args: &CheckArgs,
    rule_set: &RuleSet,
    config: Option<&SiteConfig>,
    mut baseline: Option<Baseline>,
    outputs: &[(Format, Option<PathBuf>)],
    style: human::Style,
    quiet: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    if !args.sources.live()?.is_empty() {
        return Err(SetupError::with_help(
            "give either snapshots or source flags, not both",
            "`sitelint check A B C` checks snapshots; source flags name the live sources of one check",
        )
        .into());
    }
    let names = crate::sites::names(&args.snapshots)?;
    if names.len() > crate::report::sarif::MAX_RUNS_PER_UPLOAD && outputs.iter().any(|(f, _)| f.name == "sarif") {
        writeln!(
            stderr,
            "warning: the SARIF report has {} runs; GitHub code scanning takes at most {} in one upload: check each site in its own job, or at most {} per run",
            names.len(),
            crate::report::sarif::MAX_RUNS_PER_UPLOAD,
            crate::report::sarif::MAX_RUNS_PER_UPLOAD
        )?;
    }
    let items: Vec<(&PathBuf, &String)> = args.snapshots.iter().zip(&names).collect();
    let checked = crate::parallel::map_in_order(&items, |&(path, name)| {
        let report = match manifest::load(path) {
            Ok(mut snapshot) => {
                snapshot.encoding = encoding(args, config);
                let mut report = crate::engine::evaluate(rule_set, &snapshot);
                if let Some(config) = config {
                    waivers::apply(&mut report, rule_set, &config.waivers, Date::today());
                }
                Ok(report)
            }
            Err(error) => Err(error),
        };
        (name.clone(), path, report)
    });
    let mut sites = Vec::with_capacity(checked.len());
    // Those already named with their problems in full.
    let mut unreadable = Vec::new();
    for (name, path, report) in checked {
        let report = report.unwrap_or_else(|error| {
            unreadable.push(name.clone());
            let _ = writeln!(
                stderr,
                "error: snapshot {} ({}) cannot be checked:",
                visible(&name),
                path.display()
            );
            let _ = super::write_setup_error(&error, style, stderr);
            crate::engine::unreadable_snapshot(rule_set, &path.display().to_string(), &describe(&error))
        });
        sites.push(Site { name, report });
    }
    if let Some(baseline) = &mut baseline {
        for site in &mut sites {
            let earlier = baseline.take(&site.name, false);
            crate::baseline::compare(&mut site.report, &baseline.path, earlier);
        }
        for (name, _) in &baseline.snapshots {
            let name = name
                .as_deref()
                .unwrap_or("(the only snapshot of a one-snapshot report)");
            writeln!(
                stderr,
                "warning: the baseline {} has snapshot `{}`, which this run does not check",
                visible(&baseline.path),
                visible(name)
            )?;
        }
    }

    let working_dir = working_dir()?;
    for (format, path) in outputs {
        let context = RenderContext {
            style,
            quiet,
            to_file: path.is_some(),
            show_suppressed: args.show_suppressed,
            working_dir: &working_dir,
        };
        let text = format.renderer.render_sites(&sites, &context);
        write_report(*format, path.as_deref(), &text, stdout)?;
    }
    for site in &sites {
        for read in site.report.read_as.iter().filter(|r| !r.clean) {
            writeln!(
                stderr,
                "warning: {}: {}: some bytes are not {}; they show as U+FFFD (--encoding names another code page)",
                visible(&site.name),
                visible(&read.path),
                read.encoding
            )?;
        }
    }
    for site in sites.iter().filter(|s| !unreadable.contains(&s.name)) {
        for error in &site.report.errors {
            writeln!(stderr, "error: {}: {}", visible(&site.name), visible(&error.message))?;
        }
    }
    let policy = policy(args, config);
    Ok(sites
        .iter()
        .map(|site| exit_code(&site.report, policy))
        .max()
        .unwrap_or(EXIT_CLEAN))
}

/// The code page of inputs without a BOM that are not UTF-8: the command line's, else the
/// site config's, else detected.
fn encoding(args: &CheckArgs, config: Option<&SiteConfig>) -> Option<&'static encoding_rs::Encoding> {
    args.encoding
        .or_else(|| config.and_then(|c| c.encoding.as_ref()).map(|e| e.value))
}

fn write_report(format: Format, path: Option<&Path>, text: &str, stdout: &mut dyn Write) -> Result<(), Failure> {
    match path {
        None => stdout.write_all(text.as_bytes())?,
        Some(path) => write_replacing(path, text.as_bytes())
            .map_err(|e| SetupError::message(format!("cannot write the {format} report to {}: {e}", path.display())))?,
    }
    Ok(())
}

/// A setup error in one line, for the report of a snapshot it stopped.
fn describe(error: &SetupError) -> String {
    match error {
        SetupError::Message { message, .. } => message.clone(),
        SetupError::Problems(problems) => {
            let first = problems
                .first()
                .map_or_else(String::new, |p| format!("{}: {}", p.position(), p.message));
            match problems.len() {
                0 | 1 => first,
                n => format!("{first} (and {} more)", plural(n - 1, "problem", "problems")),
            }
        }
    }
}

/// What fails a run: the lowest severity that does, whether a rule not evaluated does, and
/// whether only findings new since the baseline count.
#[derive(Debug, Clone, Copy)]
struct Policy {
    threshold: Option<Severity>,
    strict: bool,
    only_new: bool,
}

/// The command line over the site config over the defaults.
fn policy(args: &CheckArgs, config: Option<&SiteConfig>) -> Policy {
    let threshold = match args.fail_on {
        Some(FailOn::Error) => Some(Severity::Error),
        Some(FailOn::Warning) => Some(Severity::Warning),
        Some(FailOn::Note) => Some(Severity::Note),
        Some(FailOn::Never) => None,
        None => config
            .and_then(|c| c.fail_on.as_ref())
            .map_or(Some(Severity::Error), |f| f.value),
    };
    let strict = match (args.strict, args.no_strict) {
        (true, _) => true,
        (_, true) => false,
        _ => config.and_then(|c| c.strict.as_ref()).is_some_and(|s| s.value),
    };
    Policy {
        threshold,
        strict,
        only_new: args.fail_on_new,
    }
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

/// 2 when a source could not be read, 1 when a failure reaches the threshold (with
/// `--fail-on-new`, a failure the baseline does not have; with `--strict`, a rule not
/// evaluated), else 0. Suppressed findings never count.
fn exit_code(report: &Report, policy: Policy) -> u8 {
    if !report.errors.is_empty() {
        return EXIT_ERROR;
    }
    let not_evaluated = || report.findings.iter().any(|f| f.outcome() == Outcome::NotEvaluated);
    if failed_on_findings(report, policy) || (policy.strict && not_evaluated()) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Whether a failure reaches the threshold (new since the baseline, with `--fail-on-new`).
fn failed_on_findings(report: &Report, policy: Policy) -> bool {
    report.findings.iter().any(|f| {
        f.outcome() == Outcome::Fail
            && policy.threshold.is_some_and(|t| f.severity >= t)
            && (!policy.only_new || f.baseline == Some(BaselineState::New))
    })
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
