//! The README as a test: every snippet marked runnable is written, run or compared with what
//! sitelint really prints, and the command synopses list exactly the flags `--help` lists.
//!
//! A marker is an HTML comment on the line before a fenced block (GitHub does not show it):
//!
//! - `<!-- readme-test: copy FROM TO -->` copies FROM (relative to the repository) to TO in a
//!   scratch directory that holds a copy of `examples/`;
//! - `<!-- readme-test: file PATH -->` writes the next block to PATH in the scratch directory;
//! - `<!-- readme-test: run sitelint ARGS... [(in DIR)] [(exit N)] -->` runs sitelint there
//!   (in its DIR) and expects exit N (default 0); when a fenced block follows, its lines must
//!   appear in standard output in order, a line `...` standing for any number of lines.

use std::path::Path;
use std::process::Command;

use crate::{copy_dir, root, stderr, stdout};

const MARKER: &str = "<!-- readme-test: ";

/// A step of the README's runnable snippets, with the README line it comes from.
#[derive(Debug)]
enum Step {
    Copy {
        from: String,
        to: String,
    },
    File {
        path: String,
        text: String,
    },
    Run {
        args: Vec<String>,
        /// Where it runs, in the scratch directory.
        dir: String,
        exit: i32,
        shown: Option<String>,
    },
}

/// The fenced block starting at `lines[at]`, if one does: its text without the fences.
fn fenced_block(lines: &[&str], at: usize) -> Option<String> {
    let fence = lines.get(at)?.trim_start();
    if !fence.starts_with("```") {
        return None;
    }
    let body: Vec<&str> = lines[at + 1..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with("```"))
        .copied()
        .collect();
    // Blocks inside a list item are indented like it.
    let indent = lines[at].len() - fence.len();
    let body: Vec<&str> = body.iter().map(|l| l.get(indent..).unwrap_or(l.trim_start())).collect();
    Some(body.join("\n") + "\n")
}

fn steps(readme: &str) -> Vec<(usize, Step)> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut steps = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(marker) = line.trim().strip_prefix(MARKER) else {
            continue;
        };
        let marker = marker.strip_suffix("-->").expect("a marker ends on its line").trim();
        let block = fenced_block(&lines, i + 1);
        let step = match marker.split_once(' ') {
            Some(("copy", paths)) => {
                let (from, to) = paths.split_once(' ').expect("copy FROM TO");
                Step::Copy {
                    from: from.to_owned(),
                    to: to.to_owned(),
                }
            }
            Some(("file", path)) => Step::File {
                path: path.to_owned(),
                text: block.unwrap_or_else(|| panic!("README.md:{}: `file` needs a block after it", i + 1)),
            },
            Some(("run", command)) => {
                let (command, exit) = match command.strip_suffix(')').and_then(|c| c.rsplit_once("(exit ")) {
                    Some((command, code)) => (command.trim(), code.parse().expect("(exit N)")),
                    None => (command, 0),
                };
                let (command, dir) = match command.strip_suffix(')').and_then(|c| c.rsplit_once("(in ")) {
                    Some((command, dir)) => (command.trim(), dir.to_owned()),
                    None => (command, String::new()),
                };
                let args: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
                assert_eq!(args[0], "sitelint", "README.md:{}: a run marker runs sitelint", i + 1);
                Step::Run {
                    args: args[1..].to_vec(),
                    dir,
                    exit,
                    shown: block,
                }
            }
            _ => panic!("README.md:{}: unknown marker {marker:?}", i + 1),
        };
        steps.push((i + 1, step));
    }
    steps
}

/// Whether `output` holds `shown`'s lines in order, `...` skipping any number of lines.
fn shows(output: &str, shown: &str) -> bool {
    let output: Vec<&str> = output.lines().map(str::trim_end).collect();
    let mut at = 0;
    let mut skipping = false;
    for want in shown.lines().map(str::trim_end) {
        if want == "..." {
            skipping = true;
            continue;
        }
        match output[at..].iter().position(|got| *got == want) {
            Some(0) => at += 1,
            Some(n) if skipping => at += n + 1,
            _ => return false,
        }
        skipping = false;
    }
    skipping || at == output.len()
}

#[test]
fn every_runnable_snippet_of_the_readme_does_what_the_readme_says() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let steps = steps(&readme);
    assert!(steps.len() >= 10, "the README's markers were not found: {steps:?}");
    // Under the target directory: a sitelint.yaml left in the system's temporary directory
    // would be read as the site config of every command.
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    copy_dir(&root().join("examples"), &scratch.path().join("examples"));
    let mut failures = Vec::new();
    for (line, step) in steps {
        match step {
            Step::Copy { from, to } => copy_dir(&root().join(from), &scratch.path().join(to)),
            Step::File { path, text } => {
                let path = scratch.path().join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            Step::Run { args, dir, exit, shown } => {
                let out = run(&scratch.path().join(dir), &args);
                let (mut got, err) = (stdout(&out), stderr(&out));
                // Windows writes the paths of the human report with `\`; the README shows `/`.
                let shown = shown.map(|s| if cfg!(windows) { s.replace('\\', "/") } else { s });
                if cfg!(windows) {
                    got = got.replace('\\', "/");
                }
                if out.status.code() != Some(exit) {
                    failures.push(format!(
                        "README.md:{line}: `sitelint {}` exited {:?}, the README says {exit}\n{got}{err}",
                        args.join(" "),
                        out.status.code()
                    ));
                } else if let Some(shown) = shown.filter(|s| !shows(&got, s)) {
                    failures.push(format!(
                        "README.md:{line}: `sitelint {}` prints\n{got}\nbut the README shows\n{shown}",
                        args.join(" ")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn run(dir: &Path, args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env("COLUMNS", "100")
        .output()
        .expect("sitelint runs")
}

#[test]
fn the_line_matcher_skips_only_where_the_readme_says_so() {
    assert!(shows("a\nb\nc\n", "a\nb\nc\n"));
    assert!(shows("a\nb\nc\n", "a\n...\nc\n"));
    assert!(shows("a\nb\nc\n", "...\nc\n"));
    assert!(shows("a\nb\nc\n", "a\n...\n"));
    assert!(!shows("a\nb\nc\n", "a\nc\n"));
    assert!(!shows("a\nb\nc\n", "a\nb\n"));
    assert!(!shows("a\nb\n", "a\nb\nc\n"));
}

/// The flags `sitelint ARGS --help` lists, without `--help` itself.
fn help_flags(args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let mut flags: Vec<String> = stdout(&out)
        .lines()
        .skip_while(|l| !l.starts_with("Options:"))
        .filter_map(|l| l.trim_start().strip_prefix('-').map(|f| format!("-{f}")))
        .flat_map(|l| {
            let names = l.split("  ").next().unwrap_or_default().to_owned();
            names
                .split([',', ' '])
                .filter(|f| f.starts_with('-'))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|f| f != "-h" && f != "--help")
        .collect();
    flags.sort();
    flags
}

/// The flags a synopsis names, `SOURCE FLAGS` standing for the source flags of `check`.
fn synopsis_flags(synopsis: &str, source_flags: &[&str]) -> Vec<String> {
    let mut flags: Vec<String> = synopsis
        .split(|c: char| c.is_whitespace() || "[]|".contains(c))
        .filter(|w| w.starts_with('-'))
        .map(|w| w.split('=').next().unwrap().to_owned())
        .collect();
    if synopsis.contains("SOURCE FLAGS") {
        flags.extend(source_flags.iter().map(|f| (*f).to_owned()));
    }
    flags.sort();
    flags.dedup();
    flags
}

#[test]
fn the_readme_synopses_name_exactly_the_flags_of_each_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("## Commands\n\n```\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the Commands section opens with the synopses");
    // One synopsis a command: its first line and the indented lines after it.
    let mut synopses: Vec<String> = Vec::new();
    for line in block.lines() {
        match synopses.last_mut() {
            Some(last) if line.starts_with(' ') => last.push_str(line),
            _ => synopses.push(line.to_owned()),
        }
    }
    let global = synopses.pop().expect("the last line lists the global flags");
    let global = global.strip_prefix("global:").expect("global: [...]");
    let global_flags = synopsis_flags(global, &[]);
    // Global flags are the ones every command lists.
    let everywhere: Vec<String> = help_flags(&[])
        .into_iter()
        .filter(|f| help_flags(&["test"]).contains(f) && help_flags(&["schema"]).contains(f))
        .collect();
    assert_eq!(global_flags, everywhere, "README's global flags");
    let source_flags = [
        "--tree",
        "--updatepack",
        "--log",
        "--console-updates",
        "--endpoints-allowlist",
        "--registry",
        "--sites",
    ];
    for synopsis in synopses {
        let words: Vec<&str> = synopsis.split_whitespace().collect();
        let command: Vec<&str> = words[1..]
            .iter()
            .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase()))
            .copied()
            .collect();
        // `rules list|show` and `schema rules|config` are one line for two forms.
        // `rules list|show` are two commands; `sitelint -V` is the top level's own flags.
        let command = match command.as_slice() {
            ["rules", "list"] | ["rules", "show"] => command,
            [first, ..] => vec![*first],
            [] => vec![],
        };
        let mut expected: Vec<String> = help_flags(&command)
            .into_iter()
            .filter(|f| !global_flags.contains(f))
            .collect();
        expected.sort();
        assert_eq!(
            synopsis_flags(&synopsis, &source_flags),
            expected,
            "README's synopsis of `sitelint {}`",
            command.join(" ")
        );
    }
}
