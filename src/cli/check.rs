//! `sitelint check`: rules against a snapshot, one report per `--format`, and the exit code.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::output::{Inputs, entry, write_replacing};
use super::settings::{Origin, PolicyFlags, Settings};
use super::{CheckArgs, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Failure, Sources, snapshot_from, write_loaded};
use crate::baseline::Baseline;
use crate::document::date::Date;
use crate::document::diag::SetupError;
use crate::document::text::{plural, visible};
use crate::finding::{BaselineState, Outcome, Report, Severity, Site, totals_of};
use crate::report::steps::{OTHER, STEPS, step_of};
use crate::report::{FORMATS, Format, RenderContext, human};
use crate::rules::RuleSet;
use crate::rules::waivers;
use crate::snapshot::Snapshot;
use crate::sources::manifest;

/// One snapshot given to the run (or the live sources), as loaded.
struct Target<'a> {
    /// The name it is reported under in a check of several; empty in a check of one.
    name: String,
    path: Option<&'a Path>,
    loaded: Result<(Snapshot, Option<&'a Sources>), SetupError>,
}

/// `check`, of one snapshot or several: a check of one is a fleet of one, except that it is
/// reported without a name and a snapshot it cannot read stops it. Several are checked each
/// on its own, on every core, and reported in the order given; one that cannot be read is
/// named, and the others still run.
pub(super) fn run(
    args: CheckArgs,
    style: human::Style,
    quiet: bool,
    verbose: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    let outputs = parse_formats(&args.formats)?;
    let (settings, mut rule_set) = Settings::resolve(&args.rules, &args.sources, PolicyFlags::of(&args))?;
    rule_set.select(&args.select, &args.ignore)?;
    let left_out = keep_steps(&mut rule_set, &args.steps);
    let mut baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let config = settings.site_config();
    let fleet = args.snapshots.len() > 1;
    let mut targets = load(&args, &settings, &outputs, stderr)?;
    let mut rules_told = false;
    for target in &mut targets {
        match &mut target.loaded {
            Ok((snapshot, sources)) => {
                snapshot.encoding = settings.encoding.value;
                if verbose {
                    // The rules and the config once, before the first snapshot's sources.
                    let (rules, config) = if rules_told {
                        (None, None)
                    } else {
                        (Some(&rule_set), config)
                    };
                    write_loaded(rules, config, snapshot, *sources, stderr)?;
                    if !rules_told {
                        write_left_out(&left_out, stderr)?;
                    }
                    rules_told = true;
                }
            }
            Err(error) => {
                let path = target.path.map_or_else(String::new, |p| p.display().to_string());
                writeln!(
                    stderr,
                    "error: snapshot {} ({path}) cannot be checked:",
                    visible(&target.name)
                )?;
                super::write_setup_error(error, style, stderr)?;
            }
        }
    }
    let rule_files = || {
        rule_set
            .files
            .iter()
            .map(|file| file.path.as_str())
            .filter(|f| !f.starts_with("(built in)"))
    };
    for (snapshot, _) in targets.iter().filter_map(|t| t.loaded.as_ref().ok()) {
        if args.snapshots.is_empty() {
            for warning in crate::sources::unread(&rule_set, snapshot) {
                writeln!(stderr, "warning: {}", visible(&warning))?;
            }
        }
        let inputs = Inputs::of_run(rule_files(), config.map(|c| Path::new(&c.file.name)), snapshot);
        refuse(&inputs, &outputs)?;
    }
    let mut sites: Vec<Site> = crate::parallel::map_in_order(&targets, |target| {
        let path = || target.path.map_or_else(String::new, |p| p.display().to_string());
        // Each of several is read again, now held for as long as it is checked (see `load`).
        let reloaded = match (&target.loaded, target.path) {
            (Ok(_), Some(path)) if fleet => Some(manifest::load(path).map(|mut snapshot| {
                snapshot.encoding = settings.encoding.value;
                (snapshot, None)
            })),
            _ => None,
        };
        let report = match reloaded.as_ref().unwrap_or(&target.loaded) {
            Ok((snapshot, _)) => {
                let mut report = crate::engine::evaluate(&rule_set, snapshot);
                report.ruleset.config = config.map(|c| c.file.name.clone());
                if let Some(config) = config {
                    waivers::apply(&mut report, &rule_set, &config.waivers, Date::today());
                }
                report
            }
            Err(error) => crate::engine::unreadable_snapshot(&rule_set, &path(), &describe(error)),
        };
        Site {
            name: target.name.clone(),
            report,
        }
    });
    // Prefixed by its snapshot's name in a check of several.
    let of = |site: &Site| {
        if fleet {
            format!("{}: ", visible(&site.name))
        } else {
            String::new()
        }
    };
    if let Some(baseline) = &mut baseline {
        for site in &mut sites {
            let earlier = baseline.take(&site.name, !fleet);
            crate::baseline::compare(&mut site.report, &baseline.path, earlier);
        }
        for (name, _) in baseline.snapshots.iter().filter(|_| fleet) {
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
    for site in &sites {
        for read in &site.report.read_as {
            if verbose {
                writeln!(stderr, "read {}{} as {}", of(site), visible(&read.path), read.encoding)?;
            }
            if !read.clean {
                writeln!(
                    stderr,
                    "warning: {}{}: some bytes are not {}; they show as U+FFFD (--encoding names another code page)",
                    of(site),
                    visible(&read.path),
                    read.encoding
                )?;
            }
        }
    }

    let working_dir = working_dir()?;
    for (format, path) in &outputs {
        let context = RenderContext {
            style,
            quiet,
            to_file: path.is_some(),
            show_suppressed: args.show_suppressed,
            verbose,
            working_dir: &working_dir,
        };
        let text = match sites.as_slice() {
            [site] if !fleet => format.renderer.render(&site.report, &context),
            sites => format.renderer.render_sites(sites, &context),
        };
        write_report(*format, path.as_deref(), &text, stdout)?;
    }
    let readable = sites.iter().zip(&targets).filter(|(_, t)| t.loaded.is_ok());
    for (site, _) in readable {
        for error in &site.report.errors {
            writeln!(stderr, "error: {}{}", of(site), visible(&error.message))?;
        }
    }
    let (totals, _) = totals_of(&sites);
    // With every report in a file the run would otherwise say nothing at all.
    if !quiet && outputs.iter().all(|(_, path)| path.is_some()) {
        writeln!(stderr, "{}", human::summary(totals))?;
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
    let policy = Policy::of(&settings, args.fail_on_new);
    let code = sites
        .iter()
        .map(|site| exit_code(&site.report, policy))
        .max()
        .unwrap_or(EXIT_CLEAN);
    if code == EXIT_FINDINGS && !sites.iter().any(|site| failed_on_findings(&site.report, policy)) {
        let not_evaluated = plural(totals.not_evaluated, "rule", "rules");
        let from = match &settings.strict.origin {
            origin @ Origin::Flag(_) => origin.to_string(),
            _ => "strict: true in the site config".to_owned(),
        };
        writeln!(stderr, "failed: {not_evaluated} not evaluated ({from})")?;
    }
    Ok(code)
}

/// The snapshots given, or the live sources: a check of one stops at a snapshot it cannot
/// read, a check of several goes on without it.
fn load<'a>(
    args: &'a CheckArgs,
    settings: &'a Settings,
    outputs: &[(Format, Option<PathBuf>)],
    stderr: &mut dyn Write,
) -> Result<Vec<Target<'a>>, Failure> {
    let given = args.snapshots.first().map(PathBuf::as_path);
    if args.snapshots.len() <= 1 {
        let loaded = snapshot_from(given, &args.sources, &settings.sources)?;
        return Ok(vec![Target {
            name: String::new(),
            path: given,
            loaded: Ok(loaded),
        }]);
    }
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
    // Not held open here: a fleet of more snapshots than the process may open files would
    // fail. Each is held while it is checked, read again then.
    let loaded = crate::parallel::map_in_order(&args.snapshots, |path| {
        manifest::load(path).map(|snapshot| Snapshot { held: None, ..snapshot })
    });
    let targets = args.snapshots.iter().zip(names).zip(loaded);
    Ok(targets
        .map(|((path, name), loaded)| Target {
            name,
            path: Some(path),
            loaded: loaded.map(|snapshot| (snapshot, None)),
        })
        .collect())
}

/// Refuses a report path that would replace or lie inside something the run reads.
fn refuse(inputs: &Inputs, outputs: &[(Format, Option<PathBuf>)]) -> Result<(), SetupError> {
    for (format, path) in outputs {
        if let Some(path) = path
            && let Some(why) = inputs.refuse(path)
        {
            return Err(SetupError::with_help(
                format!("--format {format}={}: {why}", path.display()),
                "write the report somewhere else, e.g. --format sarif=sitelint.sarif beside the snapshot",
            ));
        }
    }
    Ok(())
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
pub(super) struct Policy {
    pub(super) threshold: Option<Severity>,
    pub(super) strict: bool,
    only_new: bool,
}

impl Policy {
    /// `--fail-on-new` is the one part not in the settings: it needs a baseline, which only
    /// the command line gives.
    pub(super) fn of(settings: &Settings, only_new: bool) -> Policy {
        Policy {
            threshold: settings.fail_on.value.threshold(),
            strict: settings.strict.value,
            only_new,
        }
    }
}

/// `--step`: the rules of other steps do not run, so a machine that holds only some of the
/// evidence (the internet machine has no console export) is not told its steps are unfinished.
/// A rule without a step tag (a site's own, say) belongs to no step `--step` could leave out,
/// so it always runs: leaving it out would drop a loaded rule without a word. Returns how many
/// rules each step left out had, in the procedure's order, for `-v` to say.
fn keep_steps(rule_set: &mut RuleSet, steps: &[String]) -> Vec<(&'static str, usize)> {
    let mut left_out: Vec<(&'static str, usize)> = Vec::new();
    if steps.is_empty() {
        return left_out;
    }
    for rule in rule_set.rules.iter_mut().filter(|r| r.disabled.is_none()) {
        let step = step_of(&rule.tags).tag;
        if step != OTHER.tag && !steps.iter().any(|s| s == step) {
            rule.disabled = Some("not in the steps checked (--step)".to_owned());
            match left_out.iter_mut().find(|(tag, _)| *tag == step) {
                Some((_, count)) => *count += 1,
                None => left_out.push((step, 1)),
            }
        }
    }
    left_out.sort_by_key(|(tag, _)| STEPS.iter().position(|s| s.tag == *tag));
    left_out
}

/// `-v`: `--step left out 12 rules of steps not checked: import (3), console (4), ...`.
fn write_left_out(left_out: &[(&str, usize)], stderr: &mut dyn Write) -> io::Result<()> {
    if left_out.is_empty() {
        return Ok(());
    }
    let total: usize = left_out.iter().map(|(_, n)| n).sum();
    let steps: Vec<String> = left_out.iter().map(|(tag, n)| format!("{tag} ({n})")).collect();
    writeln!(
        stderr,
        "--step left out {} of steps not checked: {}",
        plural(total, "rule", "rules"),
        steps.join(", ")
    )
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
