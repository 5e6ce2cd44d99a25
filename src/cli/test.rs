//! `sitelint test PATH...`: a line per case, expected beside actual for a case that failed,
//! the rules no case shows failing, and `N passed, M failed`.

use std::io::Write;
use std::path::PathBuf;

use super::{EXIT_CLEAN, EXIT_FINDINGS, Failure};
use crate::document::diag::SetupError;
use crate::document::text::{plural, visible};
use crate::files::native_path;
use crate::rule_tests::{self, CaseResult, one_line, status_word};

/// With `quiet`, only the cases that failed and the summary line are printed.
pub(super) fn run(
    paths: &[PathBuf],
    quiet: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    let mut suite = rule_tests::discover(paths)?;
    if suite.cases.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(SetupError::with_help(
            format!("no test case under {}", shown.join(", ")),
            "a case is a snapshot with an expect.yaml in tests/<rule-id>/<case>/ beside the rule file",
        )
        .into());
    }
    let (mut passed, mut failed) = (0, 0);
    // Each line as its case finishes: a suite of thousands of cases shows its progress.
    for result in rule_tests::run(&mut suite) {
        let result = result?;
        if result.passed() {
            passed += 1;
        } else {
            failed += 1;
        }
        if quiet && result.passed() {
            continue;
        }
        let verdict = if result.passed() { "ok  " } else { "FAIL" };
        writeln!(
            stdout,
            "{verdict}  {}/{}",
            result.case.rule_id,
            one_line(&result.case.name)
        )?;
        if !result.passed() {
            stdout.write_all(visible(&describe_failure(&result)).as_bytes())?;
        }
        stdout.flush()?;
    }
    let untested = rule_tests::untested(&suite);
    if !untested.is_empty() {
        writeln!(
            stderr,
            "warning: no case shows these rules failing: {}",
            untested.join(", ")
        )?;
    }
    writeln!(stdout, "{passed} passed, {failed} failed")?;
    Ok(if failed > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// What the case expected beside what happened, with the findings it got.
fn describe_failure(result: &CaseResult) -> String {
    let expect = &result.case.expect;
    let mut expected = vec![status_word(expect.status).to_owned()];
    if let Some(count) = expect.count {
        expected.push(plural(count, "finding", "findings"));
    }
    expected.extend(expect.messages.iter().map(|m| format!("a message with {m:?}")));
    let mut text = format!(
        "      in {}\n      expected: {}\n      actual:   {}, {}\n",
        one_line(&native_path(&result.case.dir.display().to_string())),
        expected.join(", "),
        status_word(result.status),
        plural(result.findings.len(), "finding", "findings"),
    );
    for finding in &result.findings {
        let place = finding.location.as_ref().map_or_else(String::new, |l| match l.line {
            Some(line) => format!("{}:{line}: ", native_path(&l.path)),
            None => format!("{}: ", native_path(&l.path)),
        });
        text.push_str(&format!("        {place}{}\n", finding.message));
    }
    for difference in &result.differences {
        text.push_str(&format!("      - {difference}\n"));
    }
    text
}
