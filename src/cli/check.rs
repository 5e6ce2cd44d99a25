//! `sitelint check`: rules against a snapshot, one report per `--format`, and the exit code.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::FormatArg;
use super::output::{Inputs, Staged, entry};
use super::settings::{Origin, PolicyFlags, Settings};
use super::{CheckArgs, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Failure, Sources, snapshot_from, write_loaded};
use crate::baseline::Baseline;
use crate::document::date::Date;
use crate::document::diag::SetupError;
use crate::document::text::{plural, visible, visible_line};
use crate::finding::{BaselineState, Outcome, Report, Severity, Site, Totals, totals_of};
use crate::report::steps::{OTHER, STEPS, step_of};
use crate::report::{Format, RenderContext, human};
use crate::rules::RuleSet;
use crate::rules::waivers;
use crate::snapshot::Snapshot;
use crate::sources::read_manifest;

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
/// named, and the others still run. Each stage is a function of [`Check`], in the order they
/// run.
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
    ask_for_waiting(&mut rule_set, &args.select, &args.steps);
    refuse_empty_selection(&settings, &rule_set, &args)?;
    let mut baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let check = Check {
        args: &args,
        settings: &settings,
        rule_set: &rule_set,
        outputs: &outputs,
        fleet: args.snapshots.len() > 1,
        left_out: &left_out,
    };
    let targets = load(&args, &settings, &outputs, stderr)?;
    check.tell_loaded(&targets, style, verbose, stderr)?;
    check.refuse_outputs(&targets, stderr)?;
    let mut sites = check.evaluate(&targets);
    if let Some(baseline) = &mut baseline {
        check.compare(&mut sites, baseline, stderr)?;
    }
    check.tell_decoding(&sites, verbose, stderr)?;
    check.write_reports(&sites, style, quiet, verbose, stdout)?;
    let totals = check.tell_outcome(&sites, &targets, quiet, stderr)?;
    check.exit_code(&sites, totals, stderr)
}

/// What every stage of a check reads: its arguments, settings, rules and outputs.
struct Check<'a> {
    args: &'a CheckArgs,
    settings: &'a Settings,
    rule_set: &'a RuleSet,
    outputs: &'a [(Format, Option<PathBuf>)],
    /// A check of several snapshots, each reported under its name.
    fleet: bool,
    /// How many rules each step that `--step` left out had, for `-v`.
    left_out: &'a [(&'static str, usize)],
}

impl Check<'_> {
    /// With `-v`, what was loaded (the rules and the config once, before the first
    /// snapshot's sources); and each snapshot that cannot be checked, with why.
    fn tell_loaded(
        &self,
        targets: &[Target<'_>],
        style: human::Style,
        verbose: bool,
        stderr: &mut dyn Write,
    ) -> Result<(), Failure> {
        let mut rules_told = false;
        for target in targets {
            match &target.loaded {
                Ok((snapshot, sources)) => {
                    if verbose {
                        let (rules, config) = if rules_told {
                            (None, None)
                        } else {
                            (Some(self.rule_set), self.settings.site_config())
                        };
                        write_loaded(rules, config, snapshot, *sources, stderr)?;
                        if !rules_told {
                            write_left_out(self.left_out, stderr)?;
                        }
                        rules_told = true;
                    }
                }
                Err(error) => {
                    let path = target.path.map_or_else(String::new, |p| p.display().to_string());
                    writeln!(
                        stderr,
                        "error: snapshot {} ({path}) cannot be checked:",
                        visible_line(&target.name)
                    )?;
                    super::write_setup_error(error, style, stderr)?;
                }
            }
        }
        Ok(())
    }

    /// Before anything is evaluated: the live sources no rule reads, and a report path that
    /// would replace or lie inside something the run reads.
    fn refuse_outputs(&self, targets: &[Target<'_>], stderr: &mut dyn Write) -> Result<(), Failure> {
        let rule_files = || {
            self.rule_set
                .files
                .iter()
                .map(|file| file.path.as_str())
                .filter(|f| !f.starts_with("(built in)"))
        };
        let config = self.settings.site_config();
        for (snapshot, _) in targets.iter().filter_map(|t| t.loaded.as_ref().ok()) {
            if self.args.snapshots.is_empty() {
                for warning in crate::sources::unread(self.rule_set, snapshot) {
                    writeln!(stderr, "warning: {}", visible(&warning))?;
                }
            }
            let inputs = Inputs::of_run(rule_files(), config.map(|c| Path::new(&c.file.name)), snapshot);
            refuse(&inputs, self.outputs)?;
        }
        Ok(())
    }

    /// Each snapshot's report, with the site config's waivers applied; of several, on every
    /// core and in the order given. A waiver is unused only when it matched no finding of any
    /// snapshot: one written for one site is not `waiver-unused` on the others.
    fn evaluate(&self, targets: &[Target<'_>]) -> Vec<Site> {
        let config = self.settings.site_config();
        let today = Date::today();
        let evaluated = crate::parallel::map_in_order(targets, |target| {
            let path = || target.path.map_or_else(String::new, |p| p.display().to_string());
            // Each of several is read again, now held for as long as it is checked (see `load`).
            let reloaded = match (&target.loaded, target.path) {
                (Ok(_), Some(path)) if self.fleet => Some(read_manifest::load(path).map(|mut snapshot| {
                    snapshot.encoding = self.settings.encoding.value;
                    (snapshot, None)
                })),
                _ => None,
            };
            let (report, used) = match reloaded.as_ref().unwrap_or(&target.loaded) {
                Ok((snapshot, _)) => {
                    let mut report = crate::engine::evaluate(self.rule_set, snapshot);
                    report.ruleset.config = config.map(|c| c.file.name.clone());
                    let used = config.map(|config| waivers::suppress(&mut report, &config.waivers, today));
                    (report, used)
                }
                Err(error) => (
                    crate::engine::unreadable_snapshot(self.rule_set, &path(), &describe(error)),
                    None,
                ),
            };
            let site = Site {
                name: target.name.clone(),
                report,
            };
            (site, used)
        });
        let Some(config) = config else {
            return evaluated.into_iter().map(|(site, _)| site).collect();
        };
        let mut used_anywhere = vec![false; config.waivers.len()];
        for used in evaluated.iter().filter_map(|(_, used)| used.as_ref()) {
            for (anywhere, &here) in used_anywhere.iter_mut().zip(used) {
                *anywhere |= here;
            }
        }
        evaluated
            .into_iter()
            .map(|(mut site, used)| {
                // An unreadable snapshot's rules were not evaluated: nothing to say of a waiver.
                if used.is_some() {
                    waivers::report_on(&mut site.report, self.rule_set, &config.waivers, today, &used_anywhere);
                }
                site
            })
            .collect()
    }

    /// Each finding compared with the baseline's; a snapshot of the baseline this run does
    /// not check is named.
    fn compare(&self, sites: &mut [Site], baseline: &mut Baseline, stderr: &mut dyn Write) -> Result<(), Failure> {
        for site in sites {
            // Another site's snapshot is never compared as if it were this one: every finding
            // of it is new.
            let earlier = match baseline.take(&site.name, !self.fleet, &site.report.snapshot) {
                Ok(earlier) => earlier,
                Err(why) => {
                    writeln!(
                        stderr,
                        "warning: {}not compared with the baseline {}: {}; every finding is new",
                        self.of(site),
                        visible(&baseline.path),
                        visible(&why)
                    )?;
                    Vec::new()
                }
            };
            crate::baseline::compare(&mut site.report, &baseline.path, earlier);
        }
        for (name, _) in baseline.snapshots.iter().filter(|_| self.fleet) {
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
        Ok(())
    }

    /// Prefixed by its snapshot's name in a check of several.
    fn of(&self, site: &Site) -> String {
        if self.fleet {
            format!("{}: ", visible_line(&site.name))
        } else {
            String::new()
        }
    }

    /// How each text input was decoded (with `-v`), and a warning for each that was not
    /// clean.
    fn tell_decoding(&self, sites: &[Site], verbose: bool, stderr: &mut dyn Write) -> Result<(), Failure> {
        for site in sites {
            for read in &site.report.read_as {
                if verbose {
                    writeln!(
                        stderr,
                        "read {}{} as {}",
                        self.of(site),
                        visible(&read.path),
                        read.encoding
                    )?;
                }
                if !read.clean {
                    writeln!(
                        stderr,
                        "warning: {}{}: some bytes are not {}; they show as U+FFFD (--encoding names another code page)",
                        self.of(site),
                        visible(&read.path),
                        read.encoding
                    )?;
                }
                if read.garbled {
                    writeln!(
                        stderr,
                        "warning: {}{}: read as {}, its text is full of control characters: it is in another encoding (--encoding names the code page) or is not text, and the rules that read it may pass on nothing",
                        self.of(site),
                        visible(&read.path),
                        read.encoding
                    )?;
                }
            }
        }
        Ok(())
    }

    /// One report per `--format`, to standard output or its file. Every report file is
    /// written aside before any is put in place: one that cannot be written leaves the earlier
    /// set as it was, never new JSON beside old SARIF.
    fn write_reports(
        &self,
        sites: &[Site],
        style: human::Style,
        quiet: bool,
        verbose: bool,
        stdout: &mut dyn Write,
    ) -> Result<(), Failure> {
        let working_dir = working_dir()?;
        let mut staged = Vec::new();
        let mut to_stdout = None;
        for (format, path) in self.outputs {
            let context = RenderContext {
                style,
                quiet,
                to_file: path.is_some(),
                show_suppressed: self.args.show_suppressed,
                verbose,
                working_dir: &working_dir,
            };
            let text = match sites {
                [site] if !self.fleet => format.renderer.render(&site.report, &context),
                sites => format.renderer.render_sites(sites, &context),
            };
            match path {
                None => to_stdout = Some(text),
                Some(path) => staged.push((
                    *format,
                    path,
                    Staged::new(path, text.as_bytes()).map_err(|e| cannot_write(*format, path, &e))?,
                )),
            }
        }
        for (format, path, file) in staged {
            file.commit().map_err(|e| cannot_write(format, path, &e))?;
        }
        if let Some(text) = to_stdout {
            stdout.write_all(text.as_bytes())?;
        }
        Ok(())
    }

    /// The sources that could not be read, and, with every report in a file, the summary and
    /// where each went (the run would otherwise say nothing at all).
    fn tell_outcome(
        &self,
        sites: &[Site],
        targets: &[Target<'_>],
        quiet: bool,
        stderr: &mut dyn Write,
    ) -> Result<Totals, Failure> {
        let readable = sites.iter().zip(targets).filter(|(_, t)| t.loaded.is_ok());
        for (site, _) in readable {
            for error in &site.report.errors {
                writeln!(stderr, "error: {}{}", self.of(site), visible(&error.message))?;
            }
        }
        let (totals, _) = totals_of(sites);
        if !quiet && self.outputs.iter().all(|(_, path)| path.is_some()) {
            writeln!(stderr, "{}", human::summary(totals))?;
            for (format, path) in self.outputs {
                if let Some(path) = path {
                    writeln!(
                        stderr,
                        "wrote the {format} report to {}",
                        visible(&path.display().to_string())
                    )?;
                }
            }
        }
        Ok(totals)
    }

    /// The worst snapshot's exit code; a failure for rules not evaluated alone says so.
    fn exit_code(&self, sites: &[Site], totals: Totals, stderr: &mut dyn Write) -> Result<u8, Failure> {
        let policy = Policy::of(self.settings, self.args.fail_on_new);
        let code = sites
            .iter()
            .map(|site| exit_code(&site.report, policy))
            .max()
            .unwrap_or(EXIT_CLEAN);
        for site in sites.iter().filter(|s| partial_comparison(&s.report, policy)) {
            for (rule, count) in site.report.baseline.iter().flat_map(|b| &b.uncompared) {
                writeln!(
                    stderr,
                    "failed: {}{rule}: {count} failures past the {} kept were not compared with the baseline, and may be new (--fail-on-new)",
                    self.of(site),
                    crate::finding::MAX_FINDINGS_PER_RULE
                )?;
            }
        }
        let for_findings =
            |site: &Site| failed_on_findings(&site.report, policy) || partial_comparison(&site.report, policy);
        if code == EXIT_FINDINGS && !sites.iter().any(for_findings) {
            let not_evaluated = plural(totals.not_evaluated, "rule", "rules");
            let from = match &self.settings.strict.origin {
                origin @ Origin::Flag(_) => origin.to_string(),
                _ => "strict: true in the site config".to_owned(),
            };
            writeln!(stderr, "failed: {not_evaluated} not evaluated ({from})")?;
        }
        Ok(code)
    }
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
        let mut loaded = snapshot_from(given, &args.sources, &settings.sources)?;
        loaded.0.encoding = settings.encoding.value;
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
        read_manifest::load(path).map(|snapshot| Snapshot {
            held: None,
            encoding: settings.encoding.value,
            ..snapshot
        })
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

fn cannot_write(format: Format, path: &Path, error: &std::io::Error) -> SetupError {
    SetupError::message(format!(
        "cannot write the {format} report to {}: {error}",
        path.display()
    ))
}

/// A run that checks nothing passes nothing: under --strict that is a failure to run, not a
/// clean result. The built-in waiver rules do not count, as they check no snapshot.
fn refuse_empty_selection(settings: &Settings, rule_set: &RuleSet, args: &CheckArgs) -> Result<(), SetupError> {
    let narrowed = !(args.select.is_empty() && args.ignore.is_empty() && args.steps.is_empty());
    let checks_something = rule_set
        .enabled()
        .any(|r| r.kind != crate::rules::waivers::BUILT_IN_KIND);
    if settings.strict.value && narrowed && !checks_something {
        return Err(SetupError::with_help(
            "--select, --ignore and --step leave no rule to run, and --strict counts a check of nothing as a failure",
            "`sitelint rules list` shows the loaded rules, their tags and the step each belongs to",
        ));
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

/// A rule that waits for evidence (`when-log`: the post-upgrade rules, until CMUpdate.log
/// shows the target's CMUpdate running) judges whatever the evidence when the run asks for
/// it: `--step` of its step, `--select` of one of its tags or its id (DESIGN 17). Otherwise
/// the engine looks for the evidence in each snapshot.
fn ask_for_waiting(rule_set: &mut RuleSet, select: &[String], steps: &[String]) {
    for rule in rule_set.rules.iter_mut().filter(|r| r.disabled.is_none()) {
        let step = step_of(&rule.tags).tag;
        let Some(when) = &mut rule.when else { continue };
        let by_step = steps.iter().any(|s| s == step).then(|| format!("--step {step}"));
        let by_select = || {
            select
                .iter()
                .find(|s| {
                    s.eq_ignore_ascii_case(&rule.id)
                        || s.strip_prefix("tag:")
                            .is_some_and(|tag| rule.tags.iter().any(|t| t == tag))
                })
                .map(|s| format!("--select {s}"))
        };
        when.asked = by_step
            .or_else(by_select)
            .map(|how| format!("judged because the run asks for it ({how})"));
    }
}

fn working_dir() -> Result<PathBuf, SetupError> {
    std::env::current_dir().map_err(|e| SetupError::message(format!("cannot read the working directory: {e}")))
}

/// 2 when a source could not be read, 1 when a failure reaches the threshold (with
/// `--fail-on-new`, a failure the baseline does not have, or failures past the cap that could
/// not be compared; with `--strict`, a rule not evaluated), else 0. Suppressed findings never count.
fn exit_code(report: &Report, policy: Policy) -> u8 {
    if !report.errors.is_empty() {
        return EXIT_ERROR;
    }
    let not_evaluated = || report.findings.iter().any(|f| f.outcome() == Outcome::NotEvaluated);
    if failed_on_findings(report, policy) || partial_comparison(report, policy) || (policy.strict && not_evaluated()) {
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

/// With `--fail-on-new`, whether a rule at the threshold found more failures than it keeps:
/// those past the cap were not compared, so the run cannot say that none is new.
fn partial_comparison(report: &Report, policy: Policy) -> bool {
    let Some(comparison) = report.baseline.as_ref().filter(|_| policy.only_new) else {
        return false;
    };
    comparison.uncompared.iter().any(|(id, _)| {
        report
            .rules
            .iter()
            .any(|r| r.id == *id && policy.threshold.is_some_and(|t| r.severity >= t))
    })
}

/// `--format` values; at most one may go to standard output, and each file gets one format.
fn parse_formats(values: &[FormatArg]) -> Result<Vec<(Format, Option<PathBuf>)>, SetupError> {
    let mut outputs: Vec<(Format, Option<PathBuf>)> = Vec::new();
    for FormatArg { format, path } in values {
        if let Some(path) = path
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
        outputs.push((*format, path.clone()));
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
