//! The command line: arguments (clap), and `run`, which wires rules, sources, the engine and
//! the renderers together and decides the exit code. It writes only to the writers it is
//! given, so tests can run it whole.

mod progress;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::document::diag::SetupError;
use crate::document::text::plural;
use crate::document::text::visible;
use crate::finding::{Outcome, Report, Severity};
use crate::report::human;
use crate::report::{self, Format};
use crate::rules::{self, ParamOrigin, ParamOverride, RuleSet};
use crate::snapshot::{self, Artifact, Snapshot, TreeSource};

#[derive(Debug, Parser)]
#[command(
    name = "sitelint",
    version,
    about = "Checks ConfigMgr offline-servicing downloads and sites against declarative rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour: auto (on a terminal, as NO_COLOR, CLICOLOR, CLICOLOR_FORCE, FORCE_COLOR and
    /// TERM say), always, never.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print less: the summary line of a check, nothing for a collect that went well.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate the rules against a snapshot directory or live sources.
    Check(CheckArgs),
    /// Write live sources into a portable snapshot directory.
    Collect(CollectArgs),
    /// Show the loaded rules.
    Rules(RulesArgs),
    /// Print a shell completion script (PowerShell: add
    /// `sitelint completions powershell | Out-String | Invoke-Expression` to $PROFILE).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `sitelint man > sitelint.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A snapshot directory (holding snapshot.yaml) or the manifest itself.
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub sources: SourceArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Report format, repeatable: human (default), json, sarif; FMT=PATH writes it to a file.
    #[arg(long = "format", value_name = "FMT[=PATH]")]
    pub formats: Vec<String>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Only run these rules (ids or tag:NAME), repeatable.
    #[arg(long, value_name = "ID")]
    pub select: Vec<String>,
    /// Skip these rules (ids or tag:NAME), repeatable.
    #[arg(long, value_name = "ID")]
    pub ignore: Vec<String>,
    /// Count a rule that could not be evaluated as a failure.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The snapshot directory to write (built beside it, then renamed into place).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Replace an existing snapshot at --out.
    #[arg(long)]
    pub force: bool,
    /// Record each file's SHA-256 in the tree listings.
    #[arg(long)]
    pub hash: bool,
    /// Probe every endpoint the loaded rules require (TCP 443, or CONNECT through --proxy).
    #[arg(long)]
    pub probe_endpoints: bool,
    /// Probe through this HTTP proxy, e.g. http://itproxy.contoso.com:8080.
    #[arg(long, value_name = "URL", requires = "probe_endpoints")]
    pub proxy: Option<String>,
    /// Proxy user; the password is read from the SITELINT_PROXY_PASSWORD environment variable.
    #[arg(long, value_name = "USER", requires = "proxy")]
    pub proxy_user: Option<String>,
    /// Seconds each probe may take.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, requires = "probe_endpoints")]
    pub timeout: f64,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Live sources, named one by one instead of a snapshot.
#[derive(Debug, Args, Default)]
pub struct SourceArgs {
    /// A directory tree to check, as NAME=DIR (repeatable).
    #[arg(long = "tree", value_name = "NAME=DIR")]
    pub trees: Vec<String>,
    /// The Service Connection Tool's -updatepackdest folder (same as --tree updatepack=DIR).
    #[arg(long, value_name = "DIR")]
    pub updatepack: Option<PathBuf>,
    /// A log file, as [NAME=]PATH; NAME defaults to the file name (repeatable).
    #[arg(long = "log", value_name = "[NAME=]PATH")]
    pub logs: Vec<String>,
    /// A `Get-CMSiteUpdate -Fast | ConvertTo-Json` export.
    #[arg(long, value_name = "FILE")]
    pub console_updates: Option<PathBuf>,
    /// Hosts the proxy or firewall allows, one per line.
    #[arg(long, value_name = "FILE")]
    pub endpoints_allowlist: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A rule file or a directory of *.yaml/*.yml rule files (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in ConfigMgr offline-servicing ruleset.
    #[arg(long)]
    pub no_default_rules: bool,
    /// A config file with params and rule paths.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override a ruleset param, e.g. --set target_version=2409 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: RulesAction,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// One line per loaded rule.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// human (one line a rule) or json (for scripts).
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Everything about one rule, including its definition.
    Show {
        /// The rule's id, as `sitelint rules list` shows it.
        id: String,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// What `run` needs to know about where its output goes.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub stdout_is_tty: bool,
    pub stderr_is_tty: bool,
    /// What the environment asks of colour when `--color` is auto: `Never` for NO_COLOR,
    /// CLICOLOR=0 or TERM=dumb, `Always` for CLICOLOR_FORCE or FORCE_COLOR, else `Auto`.
    pub env_color: ColorChoice,
    /// The terminal acts on escape sequences (colours, erasing a line). A Windows console does
    /// only in virtual-terminal mode; where that cannot be turned on, output is plain text.
    pub escapes: bool,
    pub width: usize,
}

/// How many problems of one file are drawn before the rest are only counted.
const MAX_PROBLEMS_SHOWN_PER_FILE: usize = 200;

/// Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 the run could not be done.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;
/// Ended by Ctrl-C or SIGTERM, as shells report a run killed by SIGINT.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Asks long work to stop at the first Ctrl-C or SIGTERM (collect then removes its partial
/// snapshot); a second one ends the process at once.
fn stop_on_interrupt() -> &'static AtomicBool {
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
    // Fails only if a handler is already set (a second collect in one process): it is ours.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::Relaxed) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    &INTERRUPTED
}

pub fn run(cli: Cli, terminal: Terminal, stdout: &mut dyn Write, stderr: &mut dyn Write) -> io::Result<u8> {
    let color_choice = match cli.color {
        ColorChoice::Auto => terminal.env_color,
        chosen => chosen,
    };
    let quiet = cli.quiet;
    let style_for = |tty: bool| human::Style {
        color: match color_choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && terminal.escapes,
        },
        width: terminal.width,
        ascii: cfg!(windows) && !tty,
    };
    let result = match cli.command {
        Command::Check(args) => check(args, style_for(terminal.stdout_is_tty), quiet, stdout, stderr),
        Command::Collect(args) => collect(args, terminal, quiet, stdout, stderr),
        Command::Rules(args) => rules_command(args, stdout),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "sitelint", stdout);
            Ok(EXIT_CLEAN)
        }
        Command::Man => clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
            .render(stdout)
            .map(|()| EXIT_CLEAN)
            .map_err(Failure::Io),
    };
    match result {
        Ok(code) => Ok(code),
        Err(Failure::Io(e)) => Err(e),
        Err(Failure::Setup(error)) => {
            write_setup_error(&error, style_for(terminal.stderr_is_tty), stderr)?;
            Ok(EXIT_ERROR)
        }
    }
}

enum Failure {
    Setup(SetupError),
    Io(io::Error),
}

impl From<SetupError> for Failure {
    fn from(e: SetupError) -> Self {
        Failure::Setup(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn write_setup_error(error: &SetupError, style: human::Style, stderr: &mut dyn Write) -> io::Result<()> {
    match error {
        SetupError::Problems(problems) => {
            // Past a screenful of problems in one file, more carets help nobody: they are
            // counted instead, which also keeps a file of 100,000 mistakes quick to report.
            let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
            for problem in problems {
                let shown = per_file.entry(problem.file.name.as_str()).or_default();
                *shown += 1;
                if *shown <= MAX_PROBLEMS_SHOWN_PER_FILE {
                    stderr.write_all(human::render_diagnostic(problem, style).as_bytes())?;
                    writeln!(stderr)?;
                }
            }
            for (file, &count) in &per_file {
                if let Some(more) = count.checked_sub(MAX_PROBLEMS_SHOWN_PER_FILE).filter(|&n| n > 0) {
                    writeln!(
                        stderr,
                        "... and {} in {}\n",
                        plural(more, "more problem", "more problems"),
                        visible(file)
                    )?;
                }
            }
            let files: Vec<Cow<'_, str>> = per_file.keys().map(|f| visible(f)).collect();
            writeln!(
                stderr,
                "error: {} in {}",
                plural(problems.len(), "problem", "problems"),
                files.join(", ")
            )
        }
        SetupError::Message { message, help } => {
            writeln!(stderr, "error: {}", visible(message))?;
            match help {
                Some(help) => writeln!(stderr, "  help: {}", visible(help)),
                None => Ok(()),
            }
        }
    }
}

fn load_rules(args: &RuleArgs) -> Result<RuleSet, SetupError> {
    let config = args
        .config
        .as_deref()
        .map(crate::rules::config::load)
        .transpose()?
        .unwrap_or_default();
    let mut sources = if args.no_default_rules {
        Vec::new()
    } else {
        rules::default_sources()
    };
    for path in config.rules.iter().chain(&args.rules) {
        sources.extend(rules::read_sources(path)?);
    }
    if sources.is_empty() {
        return Err(SetupError::with_help(
            "no rules to check",
            "remove --no-default-rules or add --rules PATH",
        ));
    }
    let mut overrides = config.params;
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
    rules::load(&sources, &overrides)
}

fn check(
    args: CheckArgs,
    style: human::Style,
    quiet: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    let outputs = parse_formats(&args.formats)?;
    let mut rule_set = load_rules(&args.rules)?;
    rule_set.select(&args.select, &args.ignore)?;
    let snapshot = snapshot_from(args.snapshot.as_deref(), &args.sources)?;
    if args.snapshot.is_none() {
        for warning in unread_sources(&rule_set, &snapshot) {
            writeln!(stderr, "warning: {}", visible(&warning))?;
        }
    }
    let report = crate::engine::evaluate(&rule_set, &snapshot);

    for (format, path) in &outputs {
        let text = match format {
            Format::Human => human::render(
                &report,
                if path.is_some() {
                    // A file is written as UTF-8 bytes, whatever the console's code page.
                    human::Style {
                        color: false,
                        ascii: false,
                        ..style
                    }
                } else {
                    style
                },
                quiet,
            ),
            Format::Json => report::json::render(&report),
            Format::Sarif => report::sarif::render(&report, &working_dir()?),
        };
        match path {
            None => stdout.write_all(text.as_bytes())?,
            Some(path) => std::fs::write(path, text).map_err(|e| {
                SetupError::message(format!("cannot write the {format} report to {}: {e}", path.display()))
            })?,
        }
    }
    for error in &report.errors {
        writeln!(stderr, "error: {}", visible(&error.message))?;
    }
    Ok(exit_code(&report, args.fail_on, args.strict))
}

fn collect(
    args: CollectArgs,
    terminal: Terminal,
    quiet: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    // Probing alone is the first thing to know on the internet machine, before the Connect step.
    if !has_sources(&args.sources) && !args.probe_endpoints {
        return Err(SetupError::with_help(
            "nothing to collect",
            "name the sources, e.g. --updatepack D:\\USB\\UpdatePacks --log ServiceConnectionTool.log --endpoints-allowlist allowlist.txt, or probe the endpoints with --probe-endpoints",
        )
        .into());
    }
    let snapshot = live_snapshot(&args.sources)?;
    let probes = if args.probe_endpoints {
        let password = std::env::var(crate::collect::probe::PASSWORD_VARIABLE).ok();
        let proxy = args
            .proxy
            .as_deref()
            .map(|url| crate::collect::probe::Proxy::parse(url, args.proxy_user.as_deref(), password))
            .transpose()
            .map_err(SetupError::message)?;
        if !(args.timeout > 0.0 && args.timeout <= 600.0) {
            return Err(
                SetupError::message(format!("--timeout {}: give seconds between 0 and 600", args.timeout)).into(),
            );
        }
        let rule_set = load_rules(&args.rules)?;
        let settings = crate::collect::probe::Settings {
            proxy,
            timeout: std::time::Duration::from_secs_f64(args.timeout),
        };
        Some((rule_set.required_endpoints(), settings))
    } else {
        None
    };
    let interrupted = stop_on_interrupt();
    let options = crate::collect::Options {
        out: &args.out,
        force: args.force,
        hash: args.hash,
        probes,
        interrupted,
    };
    for note in crate::collect::recover(&args.out) {
        writeln!(stderr, "note: {}", visible(&note))?;
    }
    let started = std::time::Instant::now();
    let collected = if terminal.stderr_is_tty && std::env::var_os("CI").is_none() {
        let bar = progress::Bar::new(&mut *stderr, terminal.width, terminal.escapes);
        crate::collect::collect(&snapshot, &options, &bar)
    } else {
        crate::collect::collect(&snapshot, &options, &crate::collect::Silent)
    };
    let summary = match collected {
        Err(error) if interrupted.load(Ordering::Relaxed) => {
            write_setup_error(
                &error,
                human::Style {
                    color: false,
                    width: terminal.width,
                    ascii: cfg!(windows) && !terminal.stderr_is_tty,
                },
                stderr,
            )?;
            return Ok(EXIT_INTERRUPTED);
        }
        other => other?,
    };
    for tree in &summary.trees {
        for line in &tree.unreadable {
            writeln!(stderr, "warning: {}", visible(line))?;
        }
    }
    for warning in &summary.warnings {
        writeln!(stderr, "warning: {}", visible(warning))?;
    }
    if !quiet {
        writeln!(
            stdout,
            "{}",
            visible(&describe_collected(&summary, &args.out, started.elapsed()))
        )?;
    }
    Ok(EXIT_CLEAN)
}

fn describe_collected(summary: &crate::collect::Summary, out: &Path, took: std::time::Duration) -> String {
    let mut parts: Vec<String> = summary
        .trees
        .iter()
        .map(|t| {
            format!(
                "tree {} ({}, {}; listing {}{})",
                t.name,
                plural(t.files, "file", "files"),
                crate::files::Bytes(t.bytes),
                crate::files::Bytes(t.listing_bytes),
                if t.unreadable.is_empty() {
                    String::new()
                } else {
                    format!(", {} unreadable", t.unreadable.len())
                }
            )
        })
        .collect();
    if summary.logs > 0 {
        parts.push(plural(summary.logs, "log", "logs"));
    }
    if summary.console {
        parts.push("the console export".to_owned());
    }
    if summary.allowlist {
        parts.push("the allowlist".to_owned());
    }
    if !summary.probes.is_empty() {
        let count = |v: Option<bool>| summary.probes.iter().filter(|p| p.reachable == v).count();
        parts.push(format!(
            "{} ({} reachable, {} not, {} not probed)",
            plural(summary.probes.len(), "endpoint probe", "endpoint probes"),
            count(Some(true)),
            count(Some(false)),
            count(None)
        ));
    }
    format!(
        "collected {}: {} in {:.1} s",
        out.display(),
        parts.join(", "),
        took.as_secs_f64()
    )
}

fn working_dir() -> Result<PathBuf, SetupError> {
    std::env::current_dir()
        .map_err(|e| SetupError::message(format!("cannot read the working directory for the SARIF report: {e}")))
}

pub fn exit_code(report: &Report, fail_on: FailOn, strict: bool) -> u8 {
    if !report.errors.is_empty() {
        return EXIT_ERROR;
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    let failed = report.findings.iter().any(|f| match f.outcome() {
        Outcome::Fail => threshold.is_some_and(|t| f.severity >= t),
        Outcome::NotEvaluated => strict,
    });
    if failed { EXIT_FINDINGS } else { EXIT_CLEAN }
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
        let format: Format = name.parse().map_err(SetupError::message)?;
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
        outputs.push((Format::Human, None));
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
        let hint = crate::document::diag::did_you_mean(name, read.iter().copied())
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

/// Whether two paths name one file, as the platform compares names (Windows ignores case).
fn same_file(a: &Path, b: &Path) -> bool {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let (a, b) = (absolute(a), absolute(b));
    if cfg!(windows) {
        a.to_string_lossy().to_lowercase() == b.to_string_lossy().to_lowercase()
    } else {
        a == b
    }
}

fn has_sources(sources: &SourceArgs) -> bool {
    !sources.trees.is_empty()
        || sources.updatepack.is_some()
        || !sources.logs.is_empty()
        || sources.console_updates.is_some()
        || sources.endpoints_allowlist.is_some()
}

fn snapshot_from(given: Option<&Path>, sources: &SourceArgs) -> Result<Snapshot, SetupError> {
    match (given, has_sources(sources)) {
        (Some(_), true) => Err(SetupError::with_help(
            "give either a snapshot or source flags, not both",
            "`sitelint check DIR` checks a snapshot; `sitelint check --updatepack DIR --log FILE ...` checks live sources",
        )),
        (Some(path), false) => snapshot::manifest::load(path),
        (None, true) => live_snapshot(sources),
        (None, false) => Err(SetupError::with_help(
            "nothing to check",
            // Works from an installed binary: no path that exists only in the repository.
            "give a snapshot written by `sitelint collect` (sitelint check D:\\USB\\sitelint-snapshot), or live sources: sitelint check --updatepack D:\\USB\\UpdatePacks --log ServiceConnectionTool.log --log C:\\ConfigMgrSetup.log",
        )),
    }
}

fn live_snapshot(sources: &SourceArgs) -> Result<Snapshot, SetupError> {
    let mut snapshot = Snapshot::default();
    for item in &sources.trees {
        let (name, dir) = named(item).ok_or_else(|| {
            SetupError::with_help(
                format!("--tree {item}: expected NAME=DIR"),
                "for example --tree updatepack=D:\\USB\\UpdatePacks",
            )
        })?;
        snapshot
            .trees
            .push((name.to_owned(), TreeSource::Live(Artifact::given(Path::new(dir)))));
    }
    if let Some(dir) = &sources.updatepack {
        snapshot
            .trees
            .push(("updatepack".to_owned(), TreeSource::Live(Artifact::given(dir))));
    }
    for item in &sources.logs {
        let (name, path) = match named(item) {
            Some((name, path)) => (name.to_owned(), path),
            None => {
                // Either separator: a Windows path typed on Linux keeps its backslashes.
                let file_name = item.rsplit(['/', '\\']).next().unwrap_or(item);
                (file_name.to_owned(), item.as_str())
            }
        };
        snapshot.logs.push((name, Artifact::given(Path::new(path))));
    }
    snapshot.console = sources.console_updates.as_deref().map(Artifact::given);
    snapshot.allowlist = sources.endpoints_allowlist.as_deref().map(Artifact::given);
    Ok(snapshot)
}

/// `NAME=PATH`, where NAME holds no path characters (so `C:\a=b` stays a path).
fn named(item: &str) -> Option<(&str, &str)> {
    let (name, path) = item.split_once('=')?;
    let plain = !name.is_empty() && !name.contains(['/', '\\', ':']);
    plain.then_some((name, path))
}

fn rules_command(args: RulesArgs, stdout: &mut dyn Write) -> Result<u8, Failure> {
    let (RulesAction::List { rules, .. } | RulesAction::Show { rules, .. }) = &args.action;
    let rule_set = load_rules(rules)?;
    match args.action {
        RulesAction::List {
            format: ListFormat::Json,
            ..
        } => stdout.write_all(report::json::render_rule_list(&rule_set).as_bytes())?,
        RulesAction::List { .. } => {
            let id_width = rule_set.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let kind_width = rule_set.rules.iter().map(|r| r.kind.len()).max().unwrap_or(0);
            let mut rules: Vec<_> = rule_set.rules.iter().collect();
            rules.sort_by(|a, b| a.id.cmp(&b.id));
            for rule in rules {
                let disabled = if rule.disabled.is_some() { " (disabled)" } else { "" };
                writeln!(
                    stdout,
                    "{:id_width$}  {:7}  {:kind_width$}  {}{disabled}",
                    rule.id,
                    rule.severity.as_str(),
                    rule.kind,
                    visible(&rule.title)
                )?;
            }
        }
        RulesAction::Show { id, .. } => {
            let Some(rule) = rule_set.get(&id) else {
                let help = crate::document::diag::suggest(&id, rule_set.rules.iter().map(|r| r.id.as_str()), || {
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
