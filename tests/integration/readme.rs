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
//!
//! The counts the README shows come from the default ruleset and change with it: run
//! `SITELINT_README=overwrite cargo test --test integration readme` to write the program's
//! numbers into the lines that differ from its output by their numbers alone (a line that
//! differs otherwise is left for a person to write).

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
        /// The README index (0-based) of the block's first line, and the block's indent.
        block_at: (usize, usize),
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
                let indent = lines.get(i + 1).map_or(0, |l| l.len() - l.trim_start().len());
                Step::Run {
                    args: args[1..].to_vec(),
                    dir,
                    exit,
                    shown: block,
                    block_at: (i + 2, indent),
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
    matched(output, shown, |got, want| got == want).is_some()
}

/// The lines of `output` that `shown`'s lines match in order (`None` for `...`), or `None`
/// when they do not all match.
fn matched<'o>(output: &'o str, shown: &str, alike: impl Fn(&str, &str) -> bool) -> Option<Vec<Option<&'o str>>> {
    let output: Vec<&str> = output.lines().map(str::trim_end).collect();
    let mut at = 0;
    let mut skipping = false;
    let mut lines = Vec::new();
    for want in shown.lines().map(str::trim_end) {
        if want == "..." {
            skipping = true;
            lines.push(None);
            continue;
        }
        match output[at..].iter().position(|got| alike(got, want)) {
            Some(0) => at += 1,
            Some(n) if skipping => at += n + 1,
            _ => return None,
        }
        lines.push(Some(output[at - 1]));
        skipping = false;
    }
    (skipping || at == output.len()).then_some(lines)
}

/// A line with each run of digits as `#`, and the word after a number in the singular: two
/// lines alike but for their counts (`1 warning,` and `2 warnings,`).
fn without_numbers(line: &str) -> String {
    let mut masked = String::new();
    let mut after_number = false;
    for word in line.split(' ') {
        let mut out = String::new();
        for c in word.chars() {
            if !c.is_ascii_digit() {
                out.push(c);
            } else if !out.ends_with('#') {
                out.push('#');
            }
        }
        if after_number {
            let end = out.trim_end_matches(|c: char| c.is_ascii_punctuation()).len();
            if out[..end].ends_with('s') {
                out.remove(end - 1);
            }
        }
        after_number = word.chars().any(|c| c.is_ascii_digit());
        masked.push_str(&out);
        masked.push(' ');
    }
    masked
}

/// `shown` with the program's numbers, when it differs from `output` by numbers alone.
fn renumbered(output: &str, shown: &str) -> Option<Vec<String>> {
    let lines = matched(output, shown, |got, want| without_numbers(got) == without_numbers(want))?;
    Some(
        lines
            .into_iter()
            .map(|line| line.map_or_else(|| "...".to_owned(), str::to_owned))
            .collect(),
    )
}

/// `SITELINT_README=overwrite`: write the program's counts into the README.
fn overwriting() -> bool {
    std::env::var_os("SITELINT_README").is_some_and(|v| v == "overwrite")
}

/// Held by a test that reads the README and may write it back, so that two tests rewriting
/// it at once do not lose each other's lines.
static README: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn every_runnable_snippet_of_the_readme_does_what_the_readme_says() {
    let _held = README.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let steps = steps(&readme);
    assert!(steps.len() >= 10, "the README's markers were not found: {steps:?}");
    // Under the target directory: a sitelint.yaml left in the system's temporary directory
    // would be read as the site config of every command.
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    copy_dir(&root().join("examples"), &scratch.path().join("examples"));
    let mut failures = Vec::new();
    let mut rewritten: Vec<String> = readme.lines().map(str::to_owned).collect();
    for (line, step) in steps {
        match step {
            Step::Copy { from, to } => copy_dir(&root().join(from), &scratch.path().join(to)),
            Step::File { path, text } => {
                let path = scratch.path().join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            Step::Run {
                args,
                dir,
                exit,
                shown,
                block_at: (first, indent),
            } => {
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
                    if overwriting()
                        && let Some(lines) = renumbered(&got, &shown)
                    {
                        for (k, text) in lines.into_iter().enumerate() {
                            rewritten[first + k] = format!("{}{text}", " ".repeat(indent));
                        }
                        continue;
                    }
                    failures.push(format!(
                        "README.md:{line}: `sitelint {}` prints\n{got}\nbut the README shows\n{shown}",
                        args.join(" ")
                    ));
                }
            }
        }
    }
    if overwriting() {
        std::fs::write(root().join("README.md"), rewritten.join("\n") + "\n").unwrap();
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
        // Every heading's flags (Sources, Rules, ..., Global), not a list item of a value's help.
        .skip_while(|l| !l.starts_with("Usage:"))
        .filter_map(|l| l.trim_start().strip_prefix('-').map(|f| format!("-{f}")))
        .filter(|l| l[1..].starts_with(|c: char| c == '-' || c.is_ascii_alphabetic()))
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

/// The README's table of the procedure's steps counts the built-in rules of each step (a rule
/// is under its first step tag, as `rules list` groups it): counted from `rules list`, so the
/// table says what the program holds (`SITELINT_README=overwrite` writes the counts).
#[test]
fn the_readme_step_table_counts_the_built_in_rules_of_each_step() {
    let steps: Vec<&str> = sitelint::report::steps::STEPS.iter().map(|s| s.tag).collect();
    let out = crate::sitelint(&["rules", "list", "--format", "json", "--no-config"]);
    let rules: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut per_step = vec![0_usize; steps.len()];
    for rule in rules.as_array().unwrap().iter().filter(|r| r["kind"] != "built-in") {
        let first = rule["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|t| steps.iter().position(|s| t == s))
            .unwrap_or_else(|| panic!("{} has no step tag", rule["id"]));
        per_step[first] += 1;
    }

    let _held = README.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut lines: Vec<String> = readme.lines().map(str::to_owned).collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("| step (tag) |"))
        .expect("the README's table of steps");
    let mut failures = Vec::new();
    let mut seen = 0;
    for line in lines.iter_mut().skip(header + 2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let tag = cells[0].trim_start_matches("| ").trim_matches('`');
        let index = steps
            .iter()
            .position(|s| *s == tag)
            .unwrap_or_else(|| panic!("unknown step {tag}"));
        let (count, rest) = cells[3].split_once(':').expect("`N: what they check`");
        seen += 1;
        if count.parse() != Ok(per_step[index]) {
            if overwriting() {
                let at = line.len() - cells[3].len();
                *line = format!("{}{}:{rest}", &line[..at], per_step[index]);
            } else {
                failures.push(format!(
                    "{tag}: the README says {count}, rules list {}",
                    per_step[index]
                ));
            }
        }
    }
    assert_eq!(seen, steps.len(), "a row for each step");
    if overwriting() {
        std::fs::write(root().join("README.md"), lines.join("\n") + "\n").unwrap();
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn lines_alike_but_for_their_counts_are_renumbered() {
    let output = "a\n8 errors, 2 warnings, 14 rules not evaluated\nz\n";
    let shown = "...\n8 errors, 1 warning, 13 rules not evaluated\n...\n";
    assert_eq!(
        renumbered(output, shown),
        Some(vec![
            "...".to_owned(),
            "8 errors, 2 warnings, 14 rules not evaluated".to_owned(),
            "...".to_owned()
        ])
    );
    assert_eq!(
        renumbered(output, "...\n8 errors, 1 warning, 13 rules passed\n...\n"),
        None
    );
}
