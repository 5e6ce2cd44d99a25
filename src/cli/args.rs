//! The command line as clap reads it: every command, flag and value, with the help text
//! users see. Turning flags into plain values (live sources, params) happens here too, so the
//! commands below take no clap types further than they must.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::document::diag::SetupError;
use crate::rules::fail_on::FailOn;
use crate::snapshot::live::LiveSources;
use crate::sources::{self, Flag, Given, Source};

/// The headings `--help` groups the flags under, as ripgrep groups its own: what is read, by
/// which rules, what the run reports as failed, what it writes where, and the flags every
/// command takes.
const SOURCES: &str = "Sources";
const RULES: &str = "Rules";
const REPORTS: &str = "Reports";
const OUTPUT: &str = "Output";
const GLOBAL: &str = "Global";

#[derive(Debug, Parser)]
#[command(
    name = "sitelint",
    version,
    about = "Checks ConfigMgr offline-servicing downloads and sites against declarative rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Color: auto (on a terminal, as NO_COLOR, CLICOLOR, CLICOLOR_FORCE, FORCE_COLOR and
    /// TERM say), always, never.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto, help_heading = GLOBAL)]
    pub color: ColorChoice,
    /// Print less: the summary line of a check or a test (and the cases that failed), nothing
    /// for a collect that went well.
    #[arg(long, short, global = true, help_heading = GLOBAL)]
    pub quiet: bool,
    /// Say what was loaded, on standard error: rule files, params with where each value came
    /// from, and sources.
    #[arg(long, short, global = true, conflicts_with = "quiet", help_heading = GLOBAL)]
    pub verbose: bool,
}

impl Cli {
    /// The command line, as `Cli::parse` reads it, except that similar commands and values are
    /// suggested most similar first: clap lists them the other way round (`sitelint chek`
    /// suggested `schema` before `check`).
    pub fn parse_args() -> Cli {
        use clap::error::{ContextKind, ContextValue};
        Cli::try_parse().unwrap_or_else(|mut error| {
            for kind in [ContextKind::SuggestedSubcommand, ContextKind::SuggestedValue] {
                if let Some(ContextValue::Strings(names)) = error.get(kind) {
                    let most_similar_first = names.iter().rev().cloned().collect();
                    error.insert(kind, ContextValue::Strings(most_similar_first));
                }
            }
            error.exit()
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate the rules against a snapshot directory or live sources.
    Check(CheckArgs),
    /// Write live sources into a portable snapshot directory.
    Collect(CollectArgs),
    /// Show the loaded rules.
    Rules(RulesArgs),
    /// Run the test cases of rule files: tests/<rule-id>/<case>/ beside each, a snapshot plus
    /// expect.yaml.
    Test {
        /// Rule files, or directories of them.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of rule files or of sitelint.yaml, for editors (yaml-language-server).
    #[command(arg_required_else_help = true)]
    Schema {
        #[arg(value_enum)]
        what: SchemaOf,
    },
    /// Print every effective setting with where it came from (default, sitelint.yaml:LINE, --set),
    /// the live sources a bare `check` reads included, with the source flags given merged in.
    Config {
        #[command(flatten)]
        rules: RuleArgs,
        #[command(flatten)]
        sources: SourceArgs,
    },
    /// Print a shell completion script.
    ///
    /// In PowerShell, add this line to $PROFILE:
    ///
    /// `sitelint completions powershell | Out-String | Invoke-Expression`
    #[command(arg_required_else_help = true)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page, or write every page with --dir.
    ///
    /// `sitelint man > sitelint.1` prints sitelint(1); `sitelint man --dir man` writes it and
    /// one page for each command (sitelint-check.1 ...), with their exit codes and environment.
    Man {
        /// Write sitelint.1 and a page for each command into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Snapshot directories (holding snapshot.yaml) or manifests; several are checked each on
    /// its own, and reported one by one under their directory's name.
    #[arg(value_name = "SNAPSHOT")]
    pub snapshots: Vec<PathBuf>,
    #[command(flatten)]
    pub sources: SourceArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Lowest severity that makes the exit code 1 [default: error, or sitelint.yaml's `fail-on`].
    #[arg(long, value_enum, help_heading = REPORTS)]
    pub fail_on: Option<FailOn>,
    /// Report format, repeatable (human when none is given); FMT=PATH writes it to a file.
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = super::FormatParser, help_heading = OUTPUT)]
    pub formats: Vec<super::FormatArg>,
    /// Only run these rules (ids or tag:NAME), repeatable.
    #[arg(long, value_name = "ID", help_heading = RULES)]
    pub select: Vec<String>,
    /// Skip these rules (ids or tag:NAME), repeatable.
    #[arg(long, value_name = "ID", help_heading = RULES)]
    pub ignore: Vec<String>,
    /// Only run the rules of these steps of the procedure, e.g. connect-machine,network,download
    /// on the internet machine; `other` is the rules without a step tag.
    #[arg(long = "step", value_name = "STEP", value_delimiter = ',', value_parser = step_names(), help_heading = RULES)]
    pub steps: Vec<String>,
    /// Count a rule that could not be evaluated as a failure.
    #[arg(long, overrides_with = "no_strict", help_heading = REPORTS)]
    pub strict: bool,
    /// Do not, whatever sitelint.yaml's `strict` says.
    #[arg(long, overrides_with = "strict", help_heading = REPORTS)]
    pub no_strict: bool,
    /// Show the findings a waiver suppressed, with its reason (they never fail the run).
    #[arg(long, help_heading = OUTPUT)]
    pub show_suppressed: bool,
    /// The code page of inputs that have no BOM and are not UTF-8, e.g. cp932, windows-1252
    /// [default: detected, or sitelint.yaml's `encoding`].
    #[arg(long, value_name = "NAME", value_parser = parse_encoding, help_heading = SOURCES)]
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Compare with an earlier JSON report: each finding new, unchanged or updated, and the
    /// ones gone listed as fixed.
    #[arg(long, value_name = "REPORT.json", help_heading = REPORTS)]
    pub baseline: Option<PathBuf>,
    /// Fail the run only on findings the baseline does not have.
    #[arg(long, requires = "baseline", help_heading = REPORTS)]
    pub fail_on_new: bool,
}

fn parse_encoding(name: &str) -> Result<&'static encoding_rs::Encoding, String> {
    crate::document::text::encoding_named(name)
        .ok_or_else(|| format!("unknown encoding `{name}`: use a code page such as cp932 or windows-1252"))
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
    /// Trust these roots (PEM) in the probes' TLS handshakes instead of Mozilla's public ones.
    #[arg(long, value_name = "FILE", requires = "probe_endpoints", conflicts_with = "no_tls")]
    pub tls_roots: Option<PathBuf>,
    /// Stop each probe once TCP (or the proxy's tunnel) is open: no TLS handshake.
    #[arg(long, requires = "probe_endpoints")]
    pub no_tls: bool,
    /// Read the registry values the loaded rules name from this machine (Windows only).
    #[arg(long)]
    pub read_registry: bool,
    /// Seconds each probe may take, its TLS handshake included.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, requires = "probe_endpoints")]
    pub timeout: f64,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Live sources, named one by one instead of a snapshot: the flags of every source in
/// `SOURCES`, which declares them, so a new source brings its flags with it.
#[derive(Debug, Clone, Default)]
pub struct SourceArgs {
    /// Each value given, with its flag's long name: the flags in `--help`'s order, the values
    /// of each in the order given.
    values: Vec<(&'static str, OsString)>,
}

impl clap::Args for SourceArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        let ids: Vec<&str> = sources::flags().map(|(_, flag)| flag.long).collect();
        let command = sources::flags().fold(command, |command, (_, flag)| command.arg(source_arg(flag)));
        // As clap's derive groups the flags of a struct.
        command.group(clap::ArgGroup::new("SourceArgs").multiple(true).args(ids))
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }

    fn group_id() -> Option<clap::Id> {
        Some(clap::Id::from("SourceArgs"))
    }
}

/// A source's flag as clap reads it: a path flag's value taken as any bytes and refused when
/// empty, as a `PathBuf` field is, the others as text.
fn source_arg(flag: &'static Flag) -> clap::Arg {
    let arg = clap::Arg::new(flag.long)
        .long(flag.long)
        .help_heading(SOURCES)
        .value_name(flag.value_name)
        .help(flag.help)
        .action(if flag.repeated {
            clap::ArgAction::Append
        } else {
            clap::ArgAction::Set
        });
    if flag.takes_path() {
        arg.value_parser(clap::value_parser!(PathBuf))
    } else {
        arg.value_parser(clap::value_parser!(String))
    }
}

impl clap::FromArgMatches for SourceArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut args = SourceArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        for (_, flag) in sources::flags() {
            let Some(values) = matches.get_raw(flag.long) else {
                continue;
            };
            self.values.retain(|(long, _)| *long != flag.long);
            self.values.extend(values.map(|value| (flag.long, value.to_owned())));
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A rule file or a directory of *.yaml/*.yml rule files (repeatable).
    #[arg(long = "rules", value_name = "PATH", help_heading = RULES)]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in ConfigMgr offline-servicing ruleset.
    #[arg(long, help_heading = RULES)]
    pub no_default_rules: bool,
    /// The site config [default: sitelint.yaml in the working directory or its nearest parent
    /// that has one, searched no further than git would: not past a directory another user
    /// owns, anyone may write to, or on another filesystem; on Windows, not the drive's root].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config", help_heading = RULES)]
    pub config: Option<PathBuf>,
    /// Do not read a sitelint.yaml.
    #[arg(long, help_heading = RULES)]
    pub no_config: bool,
    /// Override a ruleset param, e.g. --set target_version=2409 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", help_heading = RULES)]
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
pub enum SchemaOf {
    /// Rule files.
    Rules,
    /// The site config, sitelint.yaml.
    Config,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl SourceArgs {
    /// Each value given, with its flag and the source it names, in `--help`'s order.
    fn given(&self) -> impl Iterator<Item = (&'static dyn Source, &'static Flag, &OsStr)> {
        sources::flags().flat_map(move |(source, flag)| {
            self.values
                .iter()
                .filter(move |(long, _)| *long == flag.long)
                .map(move |(_, value)| (source, flag, value.as_os_str()))
        })
    }

    /// Each value as its flag takes it (`--tree NAME=DIR` and `--log [NAME=]PATH` split), with
    /// its flag and source. Two values naming one tree or log, in any case (`--tree pack=a
    /// --tree Pack=b`, `--updatepack a --tree updatepack=b`), are refused: which was meant is
    /// not for sitelint to guess, and keeping the last would drop one the user typed.
    pub(crate) fn taken(&self) -> Result<Vec<(&'static dyn Source, &'static Flag, Given)>, SetupError> {
        let mut taken: Vec<(&'static dyn Source, &'static Flag, Given, String)> = Vec::new();
        for (source, flag, value) in self.given() {
            let given = flag.given(value)?;
            let typed = format!("{} {}", flag.arg(), value.to_string_lossy());
            if let Some(name) = &given.name {
                let section = source.declared().key;
                let earlier = taken.iter().find(|(s, _, g, _)| {
                    s.declared().key == section && g.name.as_ref().is_some_and(|n| n.eq_ignore_ascii_case(name))
                });
                if let Some((.., earlier)) = earlier {
                    return Err(SetupError::with_help(
                        format!("`{earlier}` and `{typed}` both name `{name}`"),
                        "give each name once: names are matched without regard to case, as Windows matches file names",
                    ));
                }
            }
            taken.push((source, flag, given, typed));
        }
        Ok(taken
            .into_iter()
            .map(|(source, flag, given, _)| (source, flag, given))
            .collect())
    }

    /// The sources named, as plain paths.
    pub fn live(&self) -> Result<LiveSources, SetupError> {
        let mut live = LiveSources::default();
        for (source, _, given) in self.taken()? {
            source.take(given, &mut live);
        }
        Ok(live)
    }
}

/// The names `--step` takes: the procedure's steps, as the reports group by them.
fn step_names() -> clap::builder::PossibleValuesParser {
    use crate::report::steps::{OTHER, STEPS};
    clap::builder::PossibleValuesParser::new(STEPS.iter().chain([&OTHER]).map(|step| step.tag))
}
