//! What the command line says about itself and how it fits the terminal: help for every
//! argument, completions, manual pages, colour and width.

use crate::{sitelint, stderr, stdout};

#[test]
fn completions_for_every_shell_and_a_manual_page() {
    for (shell, marker) in [
        ("bash", "complete -F _sitelint"),
        ("zsh", "#compdef sitelint"),
        ("fish", "complete -c sitelint"),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'sitelint'",
        ),
        ("elvish", "edit:completion:arg-completer[sitelint]"),
    ] {
        let out = sitelint(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("endpoints-allowlist"), "{shell} completes the flags");
    }
    assert_eq!(sitelint(&["completions", "cmd"]).status.code(), Some(2));
    let man = sitelint(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    assert!(stdout(&man).contains(".TH sitelint 1"));
}

#[test]
fn every_argument_has_help_text() {
    let color = stdout(&sitelint(&["check", "--help"]));
    let line = color.lines().find(|l| l.trim_start().starts_with("--color")).unwrap();
    assert!(line.contains("Color: auto (on a terminal"), "{color}");
    let show = stdout(&sitelint(&["rules", "show", "--help"]));
    let line = show.lines().find(|l| l.trim_start().starts_with("<ID>")).unwrap();
    assert!(line.contains("The rule's id"), "{show}");
}

#[test]
fn colour_follows_the_terminal_conventions_and_the_global_flags() {
    let run = |vars: &[(&str, &str)], args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sitelint"));
        command.args(args).current_dir(crate::root());
        for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "TERM"] {
            command.env_remove(name);
        }
        command.envs(vars.iter().copied());
        command.output().unwrap()
    };
    let check = ["check", "examples/snapshots/failed-download"];
    let coloured = |out: &std::process::Output| stdout(out).contains('\x1b');
    // Piped, so plain unless forced.
    assert!(!coloured(&run(&[], &check)));
    assert!(coloured(&run(&[("CLICOLOR_FORCE", "1")], &check)));
    assert!(coloured(&run(&[("FORCE_COLOR", "1")], &check)));
    assert!(!coloured(&run(&[("FORCE_COLOR", "0")], &check)));
    assert!(!coloured(&run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &check)));
    // The flag wins over the environment, and is global: before or after the subcommand.
    let mut never = check.to_vec();
    never.extend(["--color", "never"]);
    assert!(!coloured(&run(&[("CLICOLOR_FORCE", "1")], &never)));
    assert!(coloured(&run(
        &[],
        &["--color", "always", "check", "examples/snapshots/failed-download"]
    )));
    assert_eq!(run(&[], &["rules", "list", "--color", "never"]).status.code(), Some(0));
    // -q is global too: a quiet collect prints nothing on success.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("snap");
    let log = "examples/snapshots/failed-download/logs/ServiceConnectionTool.log";
    let quiet = run(
        &[],
        &["collect", "-q", "--out", crate::path_str(&out_dir), "--log", log],
    );
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert!(stdout(&quiet).is_empty());
    assert!(out_dir.join("snapshot.yaml").is_file());
}

/// `stty cols 80` in a real terminal (a pty from `script`), with no COLUMNS: the report, the
/// not-evaluated block and `--help` fit in 80 columns; only a URL may run past the edge.
#[cfg(unix)]
#[test]
fn the_width_comes_from_the_terminal() {
    let binary = env!("CARGO_BIN_EXE_sitelint");
    let in_a_terminal = |args: &str| {
        let out = std::process::Command::new("script")
            .args(["-qec", &format!("stty rows 40 cols 80; {binary} {args}"), "/dev/null"])
            .current_dir(crate::root())
            .env_remove("COLUMNS")
            .env("NO_COLOR", "1")
            .output()
            .expect("script(1) from util-linux");
        stdout(&out).replace('\r', "")
    };
    for args in [
        "check examples/snapshots/failed-download",
        "check --console-updates examples/snapshots/site-server-after-import/console/updates.json",
        "check --help",
        "collect --help",
        "config --config examples/sitelint.yaml",
    ] {
        let text = in_a_terminal(args);
        assert!(text.lines().count() > 10, "{args}: {text}");
        for line in text.lines().filter(|l| !l.starts_with("https://")) {
            assert!(
                line.chars().count() <= 80,
                "{args}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
}

/// sitelint(1) names a page for each command: every one is generated, with its options, exit
/// codes and environment.
#[test]
fn man_writes_a_page_for_every_command_with_exit_codes_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = sitelint(&["man", "--dir", crate::path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::stderr(&out));
    let read = |page: &str| {
        std::fs::read_to_string(dir.path().join(page)).unwrap_or_else(|_| panic!("{page} was not written"))
    };
    let main = read("sitelint.1");
    let see_also = main.split(".SH \"SEE ALSO\"").nth(1).expect("a SEE ALSO section");
    let named: Vec<&str> = see_also
        .lines()
        .nth(1)
        .unwrap()
        .split(", ")
        .map(|p| p.trim_end_matches("(1)"))
        .collect();
    assert!(named.len() >= 8, "{see_also}");
    for page in named {
        let page = page.replace("\\-", "-");
        let text = read(&format!("{page}.1"));
        assert!(text.contains(".SH OPTIONS"), "{page}: {text}");
        assert!(text.contains(".SH \"EXIT STATUS\""), "{page}");
        assert!(text.contains("NO_COLOR") && text.contains("COLUMNS"), "{page}");
    }
    for (page, says) in [
        ("sitelint-collect.1", "SITELINT_PROXY_PASSWORD"),
        ("sitelint-collect.1", "130"),
        ("sitelint-check.1", "\\-\\-fail\\-on"),
        // Each source's limit, from the registry.
        ("sitelint-check.1", ".SH LIMITS"),
        (
            "sitelint-check.1",
            "Read whole: a file over 64.0 MiB is refused before it is read.",
        ),
        ("sitelint-rules-list.1", "\\-\\-no\\-default\\-rules"),
        ("sitelint-test.1", "A case failed."),
    ] {
        assert!(read(page).contains(says), "{page} should say {says}");
    }
    assert_eq!(stdout(&sitelint(&["man"])), main, "`sitelint man` prints sitelint(1)");
}

/// `--format` takes its names from the registry of formats: `--help`, the manual page and the
/// completions offer every one (its help once listed 3 of the 6, and completion none), and a
/// name that is none of them is a usage error that lists them.
#[test]
fn format_names_come_from_the_registry_everywhere() {
    let names: Vec<&str> = sitelint::report::FORMATS.iter().map(|f| f.name).collect();
    let help = stdout(&sitelint(&["check", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains(&format!("[possible values: {}]", names.join(", "))),
        "{help}"
    );
    let zsh = stdout(&sitelint(&["completions", "zsh"]));
    assert!(zsh.contains(&format!(":FMT[=PATH]:({})", names.join(" "))), "{zsh}");
    let dir = tempfile::tempdir().unwrap();
    let out = sitelint(&["man", "--dir", crate::path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(dir.path().join("sitelint-check.1")).unwrap();
    let format = page
        .split("\\-\\-format\\fR \\fI<FMT")
        .nth(1)
        .expect("--format in the manual page");
    let listed: String = format
        .split(".RE")
        .next()
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('.'))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(listed.ends_with(&names.join(" ")), "{listed}");
    let out = sitelint(&["check", "examples/snapshots/clean", "--format", "jsno"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.contains(&names.join(", ")) && said.contains("'json'"), "{said}");
}

/// `--step` takes its names from the procedure's steps (`STEPS`, and `other` for the rules
/// without a step tag): `--help`, the manual page and the completions that complete values
/// (zsh, bash, fish; clap_complete's PowerShell and Elvish scripts complete flags only) offer
/// each one, so a step added to the procedure is offered everywhere without another edit.
#[test]
fn step_names_come_from_the_registry_everywhere() {
    use sitelint::report::steps::{OTHER, STEPS};
    let names: Vec<&str> = STEPS.iter().chain([&OTHER]).map(|s| s.tag).collect();
    let help = stdout(&sitelint(&["check", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains(&format!("[possible values: {}]", names.join(", "))),
        "{help}"
    );
    let zsh = stdout(&sitelint(&["completions", "zsh"]));
    assert!(zsh.contains(&format!(":STEP:({})", names.join(" "))), "{zsh}");
    for shell in ["bash", "fish"] {
        let script = stdout(&sitelint(&["completions", shell]));
        for name in &names {
            assert!(script.contains(name), "{shell} completion lacks step {name}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let out = sitelint(&["man", "--dir", crate::path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(dir.path().join("sitelint-check.1")).unwrap();
    let step = page
        .split("\\-\\-step\\fR \\fI<STEP>")
        .nth(1)
        .expect("--step in the manual page");
    let step = step.split("\n.TP").next().unwrap().replace("\\-", "-");
    for name in &names {
        assert!(
            step.contains(&format!("\n{name}\n")),
            "the manual's --step lacks {name}: {step}"
        );
    }
}
