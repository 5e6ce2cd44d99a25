//! The settings of a run, resolved once between parsing and work (as ripgrep turns its low-level
//! arguments into high-level ones): the defaults, `sitelint.yaml` and the command line merged,
//! each value with where it came from. `check`, `collect`, `rules` and `sitelint config` read
//! this one result, so what `config` shows is what `check` uses.

use std::fmt;
use std::path::PathBuf;

use super::{CheckArgs, RuleArgs, SourceArgs, Sources};
use crate::document::diag::SetupError;
use crate::rules::fail_on::FailOn;
use crate::rules::{self, ParamOrigin, ParamOverride, RuleSet};
use crate::site_config::discovery::{Discovery, discover};
use crate::site_config::{self as config, SiteConfig};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    Default,
    /// A line of the site config.
    Config(crate::document::origin::Origin),
    /// A command-line flag, by its long name without the dashes (`fail-on`).
    Flag(&'static str),
    /// The site config the search from the working directory found.
    Found,
    /// No site config: none was found, and where the search stopped, when before the root.
    NotFound {
        stopped: Option<(PathBuf, &'static str)>,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::Config(line) => line.fmt(f),
            Origin::Flag(name) => write!(f, "--{name}"),
            Origin::Found => f.write_str("found in the working directory or above"),
            Origin::NotFound { stopped: None } => f.write_str("no sitelint.yaml here or above"),
            Origin::NotFound {
                stopped: Some((dir, why)),
            } => write!(
                f,
                "no sitelint.yaml here or above; the search stopped at {}: {why} (--config FILE reads one there)",
                dir.display()
            ),
        }
    }
}

/// A resolved value with its origin.
#[derive(Debug, Clone)]
pub(crate) struct Setting<T> {
    pub(crate) value: T,
    pub(crate) origin: Origin,
}

impl<T> Setting<T> {
    fn new(value: T, origin: Origin) -> Setting<T> {
        Setting { value, origin }
    }
}

/// The flags of `check` that the site config may also set; other commands give none.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PolicyFlags {
    pub(crate) fail_on: Option<FailOn>,
    pub(crate) strict: Option<bool>,
    pub(crate) encoding: Option<&'static encoding_rs::Encoding>,
}

impl PolicyFlags {
    pub(crate) fn of(args: &CheckArgs) -> PolicyFlags {
        PolicyFlags {
            fail_on: args.fail_on,
            strict: match (args.strict, args.no_strict) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            encoding: args.encoding,
        }
    }
}

/// Everything a command works with but its rules, each value resolved once: the command line
/// over the site config over the defaults.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) config: Setting<Option<SiteConfig>>,
    pub(crate) default_rules: Setting<bool>,
    /// `--rules`, to tell the rule files it named from the config's.
    rule_flags: Vec<PathBuf>,
    pub(crate) fail_on: Setting<FailOn>,
    pub(crate) strict: Setting<bool>,
    /// The code page of inputs without a BOM that are not UTF-8; detected when `None`.
    pub(crate) encoding: Setting<Option<&'static encoding_rs::Encoding>>,
    /// The live sources of the site config with the source flags merged in.
    pub(crate) sources: Sources,
}

impl Settings {
    /// The settings and the rules they load, with the config's severities and disables
    /// applied.
    pub(crate) fn resolve(
        rule_args: &RuleArgs,
        source_args: &SourceArgs,
        flags: PolicyFlags,
    ) -> Result<(Settings, RuleSet), SetupError> {
        Settings::resolve_with(rule_args, source_args, flags, load_rules)
    }

    /// The settings, with the rules only when `with_rules`: `collect` reads them only for
    /// what it acquires live (what to probe, what to read), and otherwise checks the config
    /// alone.
    pub(crate) fn resolve_for_collect(
        rule_args: &RuleArgs,
        source_args: &SourceArgs,
        with_rules: bool,
    ) -> Result<(Settings, Option<RuleSet>), SetupError> {
        Settings::resolve_with(
            rule_args,
            source_args,
            PolicyFlags::default(),
            |args, defaults, config| {
                if with_rules {
                    return load_rules(args, defaults, config).map(Some);
                }
                config.map(SiteConfig::check).transpose()?;
                Ok(None)
            },
        )
    }

    /// Rules are loaded before the sources are merged, so their mistakes are told first.
    fn resolve_with<R>(
        rule_args: &RuleArgs,
        source_args: &SourceArgs,
        flags: PolicyFlags,
        load: impl FnOnce(&RuleArgs, bool, Option<&SiteConfig>) -> Result<R, SetupError>,
    ) -> Result<(Settings, R), SetupError> {
        let config = site_config(rule_args)?;
        let site = config.value.as_ref();
        let from = |line: usize| config_line(site, line);
        let default_rules = match (rule_args.no_default_rules, site.and_then(|c| c.default_rules.as_ref())) {
            (true, _) => Setting::new(false, Origin::Flag("no-default-rules")),
            (false, Some(set)) => Setting::new(set.value, from(set.line)),
            (false, None) => Setting::new(true, Origin::Default),
        };
        let rules = load(rule_args, default_rules.value, site)?;
        let fail_on = match (flags.fail_on, site.and_then(|c| c.fail_on.as_ref())) {
            (Some(value), _) => Setting::new(value, Origin::Flag("fail-on")),
            (None, Some(set)) => Setting::new(set.value, from(set.line)),
            (None, None) => Setting::new(FailOn::Error, Origin::Default),
        };
        let strict = match (flags.strict, site.and_then(|c| c.strict.as_ref())) {
            (Some(true), _) => Setting::new(true, Origin::Flag("strict")),
            (Some(false), _) => Setting::new(false, Origin::Flag("no-strict")),
            (None, Some(set)) => Setting::new(set.value, from(set.line)),
            (None, None) => Setting::new(false, Origin::Default),
        };
        let encoding = match (flags.encoding, site.and_then(|c| c.encoding.as_ref())) {
            (Some(value), _) => Setting::new(Some(value), Origin::Flag("encoding")),
            (None, Some(set)) => Setting::new(Some(set.value), from(set.line)),
            (None, None) => Setting::new(None, Origin::Default),
        };
        let sources = Sources::merge(source_args, site)?;
        let settings = Settings {
            config,
            default_rules,
            rule_flags: rule_args.rules.clone(),
            fail_on,
            strict,
            encoding,
            sources,
        };
        Ok((settings, rules))
    }

    pub(crate) fn site_config(&self) -> Option<&SiteConfig> {
        self.config.value.as_ref()
    }

    /// A line of the site config, as an origin.
    pub(crate) fn config_line(&self, line: usize) -> Origin {
        config_line(self.site_config(), line)
    }

    /// Where a loaded rule file was named: built in, by `--rules`, or by the config's `rules:`.
    pub(crate) fn rule_file_origin(&self, path: &str) -> Origin {
        if path.starts_with("(built in)") {
            Origin::Default
        } else if self
            .rule_flags
            .iter()
            .any(|r| path.starts_with(&r.display().to_string()))
        {
            Origin::Flag("rules")
        } else {
            match self.site_config().and_then(|c| c.rules.as_ref()) {
                Some(rules) => self.config_line(rules.line),
                None => Origin::Default,
            }
        }
    }
}

fn config_line(config: Option<&SiteConfig>, line: usize) -> Origin {
    match config {
        Some(c) => Origin::Config(c.origin(line)),
        None => Origin::Default,
    }
}

/// The site config a command reads: `--config FILE`, else `sitelint.yaml` in the working
/// directory or its nearest parent, unless `--no-config`.
fn site_config(args: &RuleArgs) -> Result<Setting<Option<SiteConfig>>, SetupError> {
    if args.no_config {
        return Ok(Setting::new(None, Origin::Flag("no-config")));
    }
    let (path, origin) = match &args.config {
        Some(path) => (Some(path.clone()), Origin::Flag("config")),
        None => match std::env::current_dir().ok().map(|dir| discover(&dir)) {
            Some(Discovery::Found(path)) => (Some(path), Origin::Found),
            Some(Discovery::None { stopped }) => (None, Origin::NotFound { stopped }),
            None => (None, Origin::NotFound { stopped: None }),
        },
    };
    let config = path.as_deref().map(config::load).transpose()?;
    Ok(Setting::new(config, origin))
}

/// The rules a command runs, built from the defaults, the site config and the command line,
/// in that order.
fn load_rules(args: &RuleArgs, default_rules: bool, config: Option<&SiteConfig>) -> Result<RuleSet, SetupError> {
    let mut sources = if default_rules {
        rules::default_sources()
    } else {
        Vec::new()
    };
    let config_rules = config.iter().flat_map(|c| c.rules.iter().flat_map(|r| &r.value));
    for path in config_rules.chain(&args.rules) {
        sources.extend(rules::read_sources(path)?);
    }
    if sources.is_empty() {
        return Err(SetupError::with_help(
            "no rules to check",
            "remove --no-default-rules (or `default-rules: false`) or add --rules PATH",
        ));
    }
    let mut overrides: Vec<ParamOverride> = config.iter().flat_map(|c| c.params.iter().cloned()).collect();
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
    let loaded = rules::load_partly(&sources, &overrides)?;
    if !loaded.problems.is_empty() {
        // The config's mistakes, its rule ids judged against what did load, are shown with
        // the rule files', in one run: not a second round once those are fixed.
        let mut problems = config
            .map(|c| config::judge(c, &loaded.rules, &loaded.written_ids))
            .unwrap_or_default();
        problems.extend(loaded.problems);
        return Err(problems.into());
    }
    let mut rule_set = loaded.rules;
    if let Some(config) = config {
        config::apply(config, &mut rule_set)?;
    }
    Ok(rule_set)
}
