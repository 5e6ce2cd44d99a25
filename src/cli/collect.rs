//! `sitelint collect`: live sources into a snapshot directory, with progress on a terminal
//! and a one-line account of what was written.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::Ordering;

use super::settings::Settings;
use super::{
    CollectArgs, EXIT_CLEAN, EXIT_INTERRUPTED, Failure, Terminal, progress, stop_on_interrupt, write_loaded,
    write_setup_error,
};
use crate::collect::probe::{self, tls::Roots};
use crate::collect::{self, Acquisition};
use crate::document::diag::SetupError;
use crate::document::text::visible;
use crate::report::human;

pub(super) fn run(
    args: CollectArgs,
    terminal: Terminal,
    quiet: bool,
    verbose: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    // Probing alone is the first thing to know on the internet machine, before the Connect step.
    // The rules only say which endpoints to probe.
    if args.read_registry && !cfg!(windows) {
        return Err(SetupError::with_help(
            "--read-registry reads the live Windows registry, so it needs Windows",
            "on Windows run `sitelint collect --read-registry ...`; elsewhere give `reg export` files with --registry FILE",
        )
        .into());
    }
    let (settings, rule_set) =
        Settings::resolve_for_collect(&args.rules, &args.sources, args.probe_endpoints || args.read_registry)?;
    let (config, sources) = (settings.site_config(), &settings.sources);
    let live = &sources.live;
    if live.is_empty() && !args.probe_endpoints && !args.read_registry {
        return Err(SetupError::with_help(
            "nothing to collect",
            "name the sources, e.g. --updatepack D:\\USB\\UpdatePacks --log ServiceConnectionTool.log --endpoints-allowlist allowlist.txt, or probe the endpoints with --probe-endpoints",
        )
        .into());
    }
    let snapshot = crate::sources::live_snapshot(live);
    if verbose {
        write_loaded(rule_set.as_ref(), config, &snapshot, Some(sources), stderr)?;
    }
    let mut acquisitions: Vec<Box<dyn Acquisition>> = Vec::new();
    if let (Some(rule_set), true) = (&rule_set, args.read_registry) {
        acquisitions.push(Box::new(crate::sources::LiveRegistry::of(rule_set)));
    }
    if let (Some(rule_set), true) = (&rule_set, args.probe_endpoints) {
        let password = std::env::var(probe::PASSWORD_VARIABLE).ok();
        let proxy = args
            .proxy
            .as_deref()
            .map(|url| probe::Proxy::parse(url, args.proxy_user.as_deref(), password))
            .transpose()
            .map_err(SetupError::message)?;
        if !(args.timeout > 0.0 && args.timeout <= 600.0) {
            return Err(
                SetupError::message(format!("--timeout {}: give seconds between 0 and 600", args.timeout)).into(),
            );
        }
        let tls = match (&args.tls_roots, args.no_tls) {
            (_, true) => None,
            (None, false) => Some(Roots::public()),
            (Some(path), false) => {
                let pem = crate::files::read_limited(path, crate::files::WHOLE_FILE_LIMIT)
                    .map_err(|e| SetupError::message(format!("cannot read --tls-roots {}: {e}", path.display())))?;
                Some(Roots::from_pem(&pem, &path.display().to_string()).map_err(SetupError::message)?)
            }
        };
        let settings = probe::Settings {
            tls,
            proxy,
            timeout: std::time::Duration::from_secs_f64(args.timeout),
        };
        acquisitions.push(Box::new(probe::Probes::of(rule_set, settings)));
    }
    let interrupted = stop_on_interrupt();
    let options = collect::Options {
        out: &args.out,
        force: args.force,
        hash: args.hash,
        acquisitions,
        interrupted,
    };
    for note in collect::recover(&args.out) {
        writeln!(stderr, "note: {}", visible(&note))?;
    }
    let started = std::time::Instant::now();
    let collected = if terminal.stderr_is_tty && std::env::var_os("CI").is_none() {
        let bar = progress::Bar::new(&mut *stderr, terminal.width, terminal.escapes);
        collect::collect(&snapshot, &options, &bar)
    } else {
        collect::collect(&snapshot, &options, &collect::Silent)
    };
    let summary = match collected {
        Err(error) if interrupted.load(Ordering::Relaxed) => {
            write_setup_error(
                &error,
                human::Style {
                    color: false,
                    width: terminal.width,
                    ascii: cfg!(windows) && !terminal.stderr_is_tty,
                    clip: true,
                },
                stderr,
            )?;
            return Ok(EXIT_INTERRUPTED);
        }
        other => other?,
    };
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

fn describe_collected(summary: &collect::Summary, out: &Path, took: std::time::Duration) -> String {
    format!(
        "collected {}: {} in {:.1} s",
        out.display(),
        summary.parts.join(", "),
        took.as_secs_f64()
    )
}
