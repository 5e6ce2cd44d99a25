//! `sitelint man`: the manual pages, one for sitelint and one for each command, generated from
//! the same clap definition as `--help`, with what `--help` does not say: the exit codes and
//! the environment each command reads.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use super::{Cli, EXIT_CLEAN, Failure};

/// Exit codes, as `check` and the commands without findings use them.
const CHECK_EXIT: &[(&str, &str)] = &[
    ("0", "Nothing at or above --fail-on (default error) was found."),
    (
        "1",
        "Findings at or above --fail-on; with --strict, also a rule that could not be evaluated.",
    ),
    (
        "2",
        "The run could not be done as asked: bad flags, an invalid rule file, sitelint.yaml or \
         snapshot, or a named source that could not be read (the other rules still run and the \
         report is still written).",
    ),
];
const COLLECT_EXIT: &[(&str, &str)] = &[
    ("0", "The snapshot was written."),
    (
        "2",
        "Nothing was written: bad flags, a source that does not exist or is not a regular file, \
         or an existing --out without --force.",
    ),
    ("130", "Stopped by Ctrl-C or SIGTERM; the partial snapshot was removed."),
];
const TEST_EXIT: &[(&str, &str)] = &[
    ("0", "Every case passed."),
    ("1", "A case failed."),
    (
        "2",
        "A mistake in a rule file or a case, or no case under the paths given.",
    ),
];
const OTHER_EXIT: &[(&str, &str)] = &[
    ("0", "Done."),
    ("2", "Bad flags, or an invalid rule file or sitelint.yaml."),
];

/// The environment, and which pages name each variable.
const ENVIRONMENT: &[(&str, &str, &[&str])] = &[
    (
        "SITELINT_PROXY_PASSWORD",
        "The password for --proxy-user when collect probes through a proxy. It is never \
         printed or written to the snapshot.",
        &["sitelint", "sitelint-collect"],
    ),
    (
        "NO_COLOR",
        "Set and not empty: no color (no-color.org). --color overrides it.",
        &[],
    ),
    (
        "CLICOLOR_FORCE, FORCE_COLOR",
        "Set, and neither 0 nor false: color even when the output is not a terminal.",
        &[],
    ),
    ("CLICOLOR", "0: no color.", &[]),
    ("TERM", "dumb: no color.", &[]),
    (
        "COLUMNS",
        "The width that reports, tables and help are wrapped to; without it, the terminal's \
         width, else 100.",
        &[],
    ),
];

/// Every page: its file name (`sitelint-check.1`) and its roff text.
pub(super) fn pages() -> Result<Vec<(String, Vec<u8>)>, std::io::Error> {
    let mut cli = Cli::command().disable_help_subcommand(true);
    // Propagates the global flags and gives each command its `sitelint-NAME` name.
    cli.build();
    let mut pages = Vec::new();
    let version = cli.get_version().unwrap_or_default().to_owned();
    add_pages(&cli, &version, &mut pages)?;
    Ok(pages)
}

fn add_pages(command: &clap::Command, version: &str, pages: &mut Vec<(String, Vec<u8>)>) -> Result<(), std::io::Error> {
    let name = command.get_display_name().unwrap_or(command.get_name()).to_owned();
    let man = Man::new(command.clone()).source(format!("sitelint {version}"));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    let subcommands: Vec<&clap::Command> = command.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    if !subcommands.is_empty() {
        man.render_subcommands_section(&mut page)?;
    }
    let mut roff = Roff::default();
    roff.control("SH", ["EXIT STATUS"]);
    let exit = match name.as_str() {
        "sitelint" | "sitelint-check" => CHECK_EXIT,
        "sitelint-collect" => COLLECT_EXIT,
        "sitelint-test" => TEST_EXIT,
        _ => OTHER_EXIT,
    };
    for (code, meaning) in exit {
        roff.control("TP", []).text([bold(*code)]).text([roman(*meaning)]);
    }
    if name == "sitelint" {
        roff.text([roman(
            "Each command's page gives its own; collect also exits 130 when stopped by Ctrl-C.",
        )]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (variable, meaning, pages) in ENVIRONMENT {
        if pages.is_empty() || pages.contains(&name.as_str()) {
            roff.control("TP", []).text([bold(*variable)]).text([roman(*meaning)]);
        }
    }
    if name == "sitelint-check" {
        roff.control("SH", ["LIMITS"]);
        for (flags, limit) in crate::sources::size_limits() {
            roff.control("TP", [])
                .text([bold(flags)])
                .text([roman(format!("{limit}."))]);
        }
        roff.control("PP", []).text([roman(
            "A snapshot's snapshot.yaml and network/probes.json, the rule files and sitelint.yaml are read whole as well.",
        )]);
    }
    roff.control("SH", ["FILES"]);
    roff.control("TP", []).text([bold("sitelint.yaml")]).text([roman(
        "The site config, read from the working directory or its nearest parent unless \
         --config FILE names another or --no-config is given.",
    )]);
    roff.control("SH", ["SEE ALSO"]);
    let see_also: Vec<String> = if name == "sitelint" {
        subcommands
            .iter()
            .map(|s| format!("{name}-{}(1)", s.get_name()))
            .collect()
    } else {
        vec!["sitelint(1)".to_owned()]
    };
    roff.text([roman(see_also.join(", "))]);
    roff.control("SH", ["VERSION"]);
    roff.text([roman(format!("v{version}"))]);
    roff.to_writer(&mut page)?;
    pages.push((format!("{name}.1"), page));
    for subcommand in subcommands {
        add_pages(subcommand, version, pages)?;
    }
    Ok(())
}

/// Prints sitelint(1), or with `dir`, writes every page there and prints their names.
pub(super) fn run(dir: Option<&Path>, stdout: &mut dyn Write) -> Result<u8, Failure> {
    let pages = pages()?;
    match dir {
        None => stdout.write_all(&pages[0].1)?,
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            for (file, text) in &pages {
                let path = dir.join(file);
                std::fs::write(&path, text)?;
                writeln!(stdout, "{}", path.display())?;
            }
        }
    }
    Ok(EXIT_CLEAN)
}
