//! The README and `docs/` as tests: every fenced block of README.md and docs/*.md is written,
//! run, parsed or compared with what sitelint really prints, or says why it is none of these;
//! the command synopses list exactly the flags `--help` lists.
//!
//! A marker is an HTML comment on the line before a fenced block (GitHub does not show it), and
//! every fenced block has one:
//!
//! - `<!-- doc-test: copy FROM TO -->` (no block) copies the file or directory FROM (relative
//!   to the repository) to TO in the document's scratch directory, which holds a copy of
//!   `examples/`;
//! - `<!-- doc-test: file PATH -->` writes the next block to PATH in the scratch directory;
//! - `<!-- doc-test: run sitelint ARGS... [(in DIR)] [(exit N)] -->` runs sitelint there (in
//!   its DIR) and expects exit N (default 0); when a fenced block follows, its lines must
//!   appear in standard output in order, a line `...` standing for any number of lines;
//! - `<!-- doc-test: parse -->`: the block is commands for a Windows machine (its paths, its
//!   cmdlets): each sitelint command line in it (continued over `` ` ``, `\` or `^` line ends,
//!   up to a pipe, a redirection or a comment, a PowerShell splat `@name` left out) must be
//!   accepted by sitelint's own argument parser, and there must be one;
//! - `<!-- doc-test: synopses -->`: the command synopses, which
//!   `the_synopses_name_exactly_the_flags_of_each_command` compares with `--help`;
//! - `<!-- doc-test: not run: WHY -->`: a block no test can run (a measurement, a CI workflow,
//!   a download), with the reason in the document's source.
//!
//! The counts the documents show come from the default ruleset and change with it: run
//! `SITELINT_README=overwrite cargo test --test integration readme` to write the program's
//! numbers into the lines that differ from its output by their numbers alone (a line that
//! differs otherwise is left for a person to write), and the generated part of
//! docs/writing-rules.md (`readme::kinds`).

mod kinds;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;

use crate::{copy_dir, root, stderr, stdout};

const MARKER: &str = "<!-- doc-test: ";

/// The documents whose blocks are tested: the README, then docs/*.md by name.
fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    docs.insert(0, root().join("README.md"));
    docs
}

/// A document's path as its messages name it (`docs/guide.md`).
fn shown(doc: &Path) -> String {
    doc.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/")
}

/// A step of a document's blocks.
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
        /// The document index (0-based) of the block's first line, and the block's indent.
        block_at: (usize, usize),
    },
    Parse {
        block: String,
    },
    Synopses,
    NotRun,
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

/// The steps of a document, each with its line; and the lines of the fenced blocks no marker
/// claims.
fn steps(name: &str, doc: &str) -> (Vec<(usize, Step)>, Vec<usize>) {
    let lines: Vec<&str> = doc.lines().collect();
    let mut steps = Vec::new();
    let mut unclaimed = Vec::new();
    let mut in_block = false;
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("```") {
            let claimed = i > 0 && lines[i - 1].trim_start().starts_with(MARKER);
            if !in_block && !claimed {
                unclaimed.push(i + 1);
            }
            in_block = !in_block;
            continue;
        }
        let Some(marker) = line.trim().strip_prefix(MARKER) else {
            continue;
        };
        let at = format!("{name}:{}", i + 1);
        let marker = marker
            .strip_suffix("-->")
            .unwrap_or_else(|| panic!("{at}: a marker ends on its line"))
            .trim();
        let block = fenced_block(&lines, i + 1);
        let needs_block = |what: &str| {
            block
                .clone()
                .unwrap_or_else(|| panic!("{at}: `{what}` needs a block after it"))
        };
        let (verb, rest) = marker.split_once(' ').unwrap_or((marker, ""));
        let step = match verb {
            "copy" => {
                let (from, to) = rest.split_once(' ').unwrap_or_else(|| panic!("{at}: copy FROM TO"));
                Step::Copy {
                    from: from.to_owned(),
                    to: to.to_owned(),
                }
            }
            "file" => Step::File {
                path: rest.to_owned(),
                text: needs_block("file"),
            },
            "run" => {
                let (command, exit) = match rest.strip_suffix(')').and_then(|c| c.rsplit_once("(exit ")) {
                    Some((command, code)) => (command.trim(), code.parse().expect("(exit N)")),
                    None => (rest, 0),
                };
                let (command, dir) = match command.strip_suffix(')').and_then(|c| c.rsplit_once("(in ")) {
                    Some((command, dir)) => (command.trim(), dir.to_owned()),
                    None => (command, String::new()),
                };
                let args: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
                assert_eq!(args[0], "sitelint", "{at}: a run marker runs sitelint");
                let indent = lines.get(i + 1).map_or(0, |l| l.len() - l.trim_start().len());
                Step::Run {
                    args: args[1..].to_vec(),
                    dir,
                    exit,
                    shown: block,
                    block_at: (i + 2, indent),
                }
            }
            "parse" => Step::Parse {
                block: needs_block("parse"),
            },
            "synopses" => Step::Synopses,
            "not" => {
                let why = rest.strip_prefix("run:").map(str::trim).unwrap_or_default();
                assert!(!why.is_empty(), "{at}: `not run:` says why");
                needs_block("not run");
                Step::NotRun
            }
            _ => panic!("{at}: unknown marker {marker:?}"),
        };
        steps.push((i + 1, step));
    }
    (steps, unclaimed)
}

/// The sitelint command lines of a shell block, each as its words: continued lines joined
/// (`` ` `` in PowerShell, `\` in sh, `^` in cmd.exe), cut at a pipe, a redirection or a
/// comment, with PowerShell's splats (`@regs`) left out and `sitelint.exe` or
/// `cargo run --release --` read as `sitelint`. Other lines (cmdlets, cargo) are left alone.
fn command_lines(block: &str) -> Vec<Vec<String>> {
    let mut joined: Vec<String> = Vec::new();
    let mut continued = false;
    for line in block.lines() {
        let text = line.trim();
        let (text, continues) = match text
            .strip_suffix(" `")
            .or(text.strip_suffix(" \\"))
            .or(text.strip_suffix(" ^"))
        {
            Some(head) => (head, true),
            None => (text, false),
        };
        match joined.last_mut() {
            Some(last) if continued => {
                last.push(' ');
                last.push_str(text);
            }
            _ => joined.push(text.to_owned()),
        }
        continued = continues;
    }
    joined
        .iter()
        .map(|line| words(line))
        .filter_map(|mut words| {
            if words.starts_with(&["cargo".into(), "run".into(), "--release".into(), "--".into()]) {
                words.splice(..4, ["sitelint".to_owned()]);
            }
            let program = words.first()?.rsplit(['/', '\\']).next()?.to_owned();
            (program == "sitelint" || program == "sitelint.exe").then(|| {
                words[0] = "sitelint".to_owned();
                words.retain(|w| !w.starts_with('@'));
                words
            })
        })
        .collect()
}

/// A command line's words as a shell splits them: quotes group, and a pipe, a redirection or
/// a comment ends the command.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, '|' | '>' | '#') if word.is_none() => return words,
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
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

/// `SITELINT_README=overwrite`: write the program's counts into the documents.
fn overwriting() -> bool {
    std::env::var_os("SITELINT_README").is_some_and(|v| v == "overwrite")
}

/// Held by a test that reads the documents and may write them back, so that two tests
/// rewriting one at once do not lose each other's lines.
static DOCS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn every_block_of_the_readme_and_the_docs_does_what_they_say() {
    let _held = DOCS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut failures = Vec::new();
    for doc in documents() {
        failures.extend(check_document(&doc));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Runs one document's steps in a scratch directory of its own; under `SITELINT_README=overwrite`
/// writes the program's numbers back into it. What failed, each with its place.
fn check_document(doc: &Path) -> Vec<String> {
    let name = shown(doc);
    let text = std::fs::read_to_string(doc).unwrap();
    let (steps, unclaimed) = steps(&name, &text);
    let mut failures: Vec<String> = unclaimed
        .iter()
        .map(|line| format!("{name}:{line}: a fenced block with no `{MARKER}...` marker on the line before it"))
        .collect();
    // Under the target directory: a sitelint.yaml left in the system's temporary directory
    // would be read as the site config of every command.
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    copy_dir(&root().join("examples"), &scratch.path().join("examples"));
    let mut rewritten: Vec<String> = text.lines().map(str::to_owned).collect();
    for (line, step) in steps {
        match step {
            Step::Copy { from, to } => {
                let (from, to) = (root().join(from), scratch.path().join(to));
                if from.is_dir() {
                    copy_dir(&from, &to);
                } else {
                    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                    std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("{name}:{line}: {}: {e}", from.display()));
                }
            }
            Step::File { path, text } => {
                let path = scratch.path().join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            Step::Parse { block } => {
                let commands = command_lines(&block);
                if commands.is_empty() {
                    failures.push(format!("{name}:{line}: `parse`, but the block has no sitelint command"));
                }
                for words in commands {
                    if let Err(e) = sitelint::cli::Cli::try_parse_from(&words) {
                        failures.push(format!(
                            "{name}:{line}: sitelint does not take `{}`:\n{e}",
                            words.join(" ")
                        ));
                    }
                }
            }
            Step::Synopses | Step::NotRun => {}
            Step::Run {
                args,
                dir,
                exit,
                shown,
                block_at: (first, indent),
            } => {
                let out = run(&scratch.path().join(dir), &args);
                let (mut got, err) = (stdout(&out), stderr(&out));
                // Windows writes the paths of the human report with `\`; the docs show `/`.
                let shown = shown.map(|s| if cfg!(windows) { s.replace('\\', "/") } else { s });
                // On Windows a human report on a redirected standard output is drawn in ASCII
                // (PowerShell 5.1 re-encodes what it captures), and the documents show the
                // terminal's frames: there a block with frames is held to its exit code and its
                // last line (the summary); its whole text is compared on the other platforms.
                let shown = shown.map(|s| match s.contains(['│', '╭', '×']) && cfg!(windows) {
                    true => format!("...\n{}\n", s.lines().last().unwrap_or_default()),
                    false => s,
                });
                if cfg!(windows) {
                    got = got.replace('\\', "/");
                }
                if out.status.code() != Some(exit) {
                    failures.push(format!(
                        "{name}:{line}: `sitelint {}` exited {:?}, the document says {exit}\n{got}{err}",
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
                        "{name}:{line}: `sitelint {}` prints\n{got}\nbut the document shows\n{shown}",
                        args.join(" ")
                    ));
                }
            }
        }
    }
    if overwriting() {
        std::fs::write(doc, rewritten.join("\n") + "\n").unwrap();
    }
    failures
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

/// A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every link between the documents leads somewhere: the file exists, and the anchor is one of
/// its headings (the split moved sections between files; a stale `#anchor` is a dead link).
#[test]
fn links_between_the_documents_resolve() {
    let mut failures = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (at, _) in text.match_indices("](") {
            let target = &text[at + 2..];
            let target = &target[..target.find(')').unwrap_or(target.len())];
            if target.contains("://") || target.starts_with("mailto:") || target.contains(' ') {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(file)
            };
            if !file.exists() {
                failures.push(format!("{}: {target}: no such file", shown(&doc)));
                continue;
            }
            if anchor.is_empty() {
                continue;
            }
            let headings = std::fs::read_to_string(&file).unwrap_or_default();
            let found = headings
                .lines()
                .filter_map(|l| l.strip_prefix('#').map(|h| h.trim_start_matches('#')))
                .any(|h| slug(h) == anchor);
            if !found {
                failures.push(format!("{}: {target}: no heading with that anchor", shown(&doc)));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn command_lines_are_read_as_the_shells_read_them() {
    let block = "$logs = 'C:\\Logs'\n\
                 sitelint check --log \"$logs\\hman.log\" --select tag:import   # the import\n\
                 sitelint collect --out D:\\USB `\n  --hash @regs\n\
                 cargo run --release -- check examples/snapshots/clean\n\
                 sitelint.exe completions powershell | Out-String\n\
                 cargo test\n";
    let words: Vec<String> = command_lines(block).into_iter().map(|w| w.join(" ")).collect();
    assert_eq!(
        words,
        [
            "sitelint check --log $logs\\hman.log --select tag:import",
            "sitelint collect --out D:\\USB --hash",
            "sitelint check examples/snapshots/clean",
            "sitelint completions powershell",
        ]
    );
}

#[test]
fn a_block_without_a_marker_is_found() {
    let doc = "text\n\n```sh\nsitelint check\n```\n\n<!-- doc-test: not run: a workflow -->\n```yaml\non: push\n```\n";
    let (steps, unclaimed) = steps("doc.md", doc);
    assert_eq!(unclaimed, [3]);
    assert!(matches!(steps[..], [(7, Step::NotRun)]), "{steps:?}");
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

/// The block marked `synopses`: there is one, in one of the documents.
fn synopses_block() -> String {
    let mut found = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim() == format!("{MARKER}synopses -->") {
                found.push(fenced_block(&lines, i + 1).expect("a block after `synopses`"));
            }
        }
    }
    assert_eq!(found.len(), 1, "one block of synopses in the documents");
    found.remove(0)
}

#[test]
fn the_synopses_name_exactly_the_flags_of_each_command() {
    let block = synopses_block();
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
    assert_eq!(global_flags, everywhere, "the synopses' global flags");
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
            "the synopsis of `sitelint {}`",
            command.join(" ")
        );
    }
}

/// The guide's table of the procedure's steps counts the built-in rules of each step (a rule
/// is under its first step tag, as `rules list` groups it): counted from `rules list`, so the
/// table says what the program holds (`SITELINT_README=overwrite` writes the counts).
#[test]
fn the_step_table_counts_the_built_in_rules_of_each_step() {
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

    let _held = DOCS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let doc = documents()
        .into_iter()
        .find(|d| std::fs::read_to_string(d).unwrap().contains("\n| step (tag) |"))
        .expect("a document with the table of steps");
    let mut lines: Vec<String> = std::fs::read_to_string(&doc)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let header = lines.iter().position(|l| l.starts_with("| step (tag) |")).unwrap();
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
                    "{tag}: {} says {count}, rules list {}",
                    shown(&doc),
                    per_step[index]
                ));
            }
        }
    }
    assert_eq!(seen, steps.len(), "a row for each step");
    if overwriting() {
        std::fs::write(&doc, lines.join("\n") + "\n").unwrap();
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
