//! The command line: clap parses it into the types of `args.rs`, and `run` hands each command
//! to its module, which wires rules, sources, the engine and the renderers together and
//! decides the exit code. It writes only to the writers it is given, so tests can run it
//! whole.

mod args;
mod check;
mod collect;
mod config;
mod format_arg;
mod man;
mod output;
mod progress;
mod rules;
mod settings;
mod sources;
mod test;

pub use args::*;
pub use format_arg::{FormatArg, FormatParser};
pub(crate) use sources::Sources;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::document::diag::SetupError;
use crate::document::text::{plural, visible};
use crate::report::human;
use crate::rules::RuleSet;
use crate::site_config::SiteConfig;
use crate::snapshot::{Snapshot, manifest_file};

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
    /// The width was asked for (`COLUMNS`), not only guessed for a pipe or a file.
    pub width_asked: bool,
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
/// snapshot); a second one ends the process at once, removing the partial snapshot first.
fn stop_on_interrupt() -> &'static AtomicBool {
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
    // Fails only if a handler is already set (a second collect in one process): it is ours.
    // The handler runs on a thread of its own, not in the signal, so it may remove files.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::Relaxed) {
            crate::collect::abandon();
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
        clip: tty || terminal.width_asked,
    };
    let result = match cli.command {
        Command::Check(args) => check::run(
            args,
            style_for(terminal.stdout_is_tty),
            quiet,
            cli.verbose,
            stdout,
            stderr,
        ),
        Command::Collect(args) => collect::run(args, terminal, quiet, cli.verbose, stdout, stderr),
        Command::Rules(args) => rules::run(args, terminal.width, stdout),
        Command::Config { rules, sources } => config::run(&rules, &sources, terminal.width, stdout),
        Command::Test { paths } => test::run(&paths, quiet, stdout, stderr),
        Command::Schema { what } => {
            let schema = match what {
                SchemaOf::Rules => crate::schema::rules(),
                SchemaOf::Config => crate::schema::config(),
            };
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            writeln!(stdout, "{text}").map(|()| EXIT_CLEAN).map_err(Failure::Io)
        }
        Command::Completions { shell } => {
            // clap_complete panics when its writer fails (a closed pipe): it writes to memory,
            // and the script goes out through a writer that reports the failure.
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "sitelint",
                &mut script,
            );
            stdout.write_all(&script).map(|()| EXIT_CLEAN).map_err(Failure::Io)
        }
        Command::Man { dir } => man::run(dir.as_deref(), stdout),
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

/// What `-v` says was loaded: each rule file with its rule count, each param with where its
/// value came from, and each source the snapshot names, with where a live one was named.
fn write_loaded(
    rule_set: Option<&RuleSet>,
    config: Option<&SiteConfig>,
    snapshot: &Snapshot,
    sources: Option<&Sources>,
    stderr: &mut dyn Write,
) -> io::Result<()> {
    let mut lines = Vec::new();
    if let Some(config) = config {
        lines.push(format!(
            "config: {} ({})",
            config.file.name,
            plural(config.waivers.len(), "waiver", "waivers")
        ));
    }
    if let Some(rule_set) = rule_set {
        for file in &rule_set.files {
            lines.push(format!(
                "rules: {} ({})",
                file.path,
                plural(file.rules, "rule", "rules")
            ));
        }
        for (name, value, origin) in rule_set.params() {
            lines.push(format!("param: {name} = {value:?} from {origin}"));
        }
    }
    if let Some(manifest) = &snapshot.info.path {
        lines.push(format!("snapshot: {manifest}"));
    }
    let from = |key: &str| {
        sources
            .and_then(|s| s.origin(key))
            .map_or_else(String::new, |o| format!(" from {o}"))
    };
    for part in crate::sources::parts(snapshot) {
        let origin = part
            .setting
            .map_or_else(String::new, |setting| from(&setting.origin_key));
        lines.push(format!("{} {}{origin}", part.label, part.artifact.display));
    }
    for line in lines {
        writeln!(stderr, "loaded {}", visible(&line))?;
    }
    Ok(())
}

/// The snapshot a command reads: a snapshot directory, or live sources (the site config's
/// merged with the source flags), never a snapshot and source flags both. With the live
/// sources it was made of, for `-v`.
fn snapshot_from<'a>(
    given: Option<&Path>,
    flags: &SourceArgs,
    sources: &'a Sources,
) -> Result<(Snapshot, Option<&'a Sources>), SetupError> {
    match given {
        Some(_) if !flags.live()?.is_empty() => Err(SetupError::with_help(
            "give either a snapshot or source flags, not both",
            "`sitelint check DIR` checks a snapshot; `sitelint check --updatepack DIR --log FILE ...` checks live sources",
        )),
        Some(path) => Ok((crate::sources::read_manifest::load(path)?, None)),
        None => {
            // Named by the flag it came with: the config's own sources are checked by their use.
            if let Some(error) = crate::sources::wrong_type(&flags.live()?) {
                return Err(error);
            }
            if sources.live.is_empty() {
                let help = if Path::new(manifest_file::MANIFEST_NAME).is_file() {
                    format!(
                        "this directory is a snapshot (it holds {}): sitelint check .",
                        manifest_file::MANIFEST_NAME
                    )
                } else {
                    // Works from an installed binary: no path that exists only in the repository.
                    "give a snapshot written by `sitelint collect` (sitelint check D:\\USB\\sitelint-snapshot), or live sources: sitelint check --updatepack D:\\USB\\UpdatePacks --log ServiceConnectionTool.log --log C:\\ConfigMgrSetup.log, or name them under `sources:` in sitelint.yaml".to_owned()
                };
                return Err(SetupError::with_help("nothing to check", help));
            }
            Ok((crate::sources::live_snapshot(&sources.live), Some(sources)))
        }
    }
}
