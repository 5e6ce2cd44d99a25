//! Rule tests (`sitelint test PATH...`): the cases of a rule live in `tests/<rule-id>/<case>/`
//! beside its rule file, each a snapshot plus `expect.yaml`. A case is matched to its rule by
//! the directory's name against the rule ids, never by file names, and a directory that names
//! no rule is an error rather than a test silently skipped. Each case runs only its rule,
//! through the same engine as `check`; the rule set is loaded once for each set of case params,
//! not once a case, and results come one by one as cases finish.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::document::diag::{Problem, SetupError, SourceFile, suggest};
use crate::document::fields::{Document, Fields, mapping};
use crate::document::text::{decode_yaml, plural};
use crate::document::yaml;
use crate::finding::{Finding, Outcome, RuleStatus};
use crate::rules::{self, ParamOverride, RuleSet, RuleSource};
use crate::sources::read_manifest;

const EXPECT_NAME: &str = "expect.yaml";

/// What a case expects of its rule.
#[derive(Debug, Clone)]
pub struct Expect {
    pub status: RuleStatus,
    /// The exact number of findings, when given.
    pub count: Option<u64>,
    /// Each must appear in some finding's message.
    pub messages: Vec<String>,
    /// Param values for this case.
    pub params: Vec<ParamOverride>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub rule_id: String,
    pub name: String,
    pub dir: PathBuf,
    pub expect: Expect,
}

/// The rules under test and their cases.
#[derive(Debug)]
pub struct Suite {
    sources: Vec<RuleSource>,
    /// The rules loaded with no case params, as most cases run them.
    rule_set: RuleSet,
    /// The ids of the rules defined under the paths given, in id order.
    pub tested_rules: Vec<String>,
    pub cases: Vec<Case>,
}

/// What a case found, and how it differs from what it expected (empty when it passed).
#[derive(Debug)]
pub struct CaseResult {
    pub case: Case,
    pub status: RuleStatus,
    pub findings: Vec<Finding>,
    pub differences: Vec<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Finds the rule files under `paths` and the cases beside them. Rule files that need the
/// built-in ruleset's params (a site rule using `{target_version}`) get it loaded beside them,
/// unless one of them is the built-in ruleset itself.
pub fn discover(paths: &[PathBuf]) -> Result<Suite, SetupError> {
    let mut tested = Vec::new();
    let mut test_dirs = BTreeSet::new();
    for path in paths {
        for source in rules::read_sources(path)? {
            let dir = Path::new(&source.name)
                .parent()
                .map_or_else(PathBuf::new, Path::to_owned);
            test_dirs.insert(dir.join("tests"));
            tested.push(source);
        }
    }
    let built_in = rules::default_sources();
    let is_built_in = tested.iter().any(|s| built_in.iter().any(|b| b.text == s.text));
    let mut sources = if is_built_in { Vec::new() } else { built_in };
    sources.extend(tested.iter().cloned());
    let rule_set = rules::load(&sources, &[])?;
    let tested_names: Vec<&str> = tested.iter().map(|s| s.name.as_str()).collect();
    let mut tested_rules: Vec<String> = rule_set
        .rules
        .iter()
        .filter(|r| r.origin.file().is_some_and(|file| tested_names.contains(&file)))
        .map(|r| r.id.clone())
        .collect();
    tested_rules.sort();

    let mut cases = Vec::new();
    let mut problems = Vec::new();
    let mut messages = Vec::new();
    for tests in test_dirs.iter().filter(|d| d.is_dir()) {
        for rule_dir in subdirectories(tests)? {
            let id = name_of(&rule_dir);
            if !tested_rules.contains(&id) {
                let help = suggest(&id, tested_rules.iter().map(String::as_str), || {
                    format!("the rules there are: {}", tested_rules.join(", "))
                });
                messages.push(format!(
                    "{}: no rule has the id `{}`, so its cases would never run; {help}",
                    one_line(&rule_dir.display().to_string()),
                    one_line(&id)
                ));
                continue;
            }
            for dir in subdirectories(&rule_dir)? {
                match read_expect(&dir.join(EXPECT_NAME)) {
                    Ok(expect) => cases.push(Case {
                        rule_id: id.clone(),
                        name: name_of(&dir),
                        dir,
                        expect,
                    }),
                    Err(SetupError::Problems(mut found)) => problems.append(&mut found),
                    Err(SetupError::Message { message, .. }) => messages.push(message),
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.into());
    }
    if !messages.is_empty() {
        return Err(SetupError::message(messages.join("\nerror: ")));
    }
    Ok(Suite {
        sources,
        rule_set,
        tested_rules,
        cases,
    })
}

fn subdirectories(dir: &Path) -> Result<Vec<PathBuf>, SetupError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| SetupError::message(format!("cannot read {}: {e}", dir.display())))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn name_of(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads `expect.yaml`: `outcome: fail|pass|not-evaluated`, and optionally `count`,
/// `messages` and `params`.
pub fn read_expect(path: &Path) -> Result<Expect, SetupError> {
    let bytes = crate::files::read_limited(path, crate::files::WHOLE_FILE_LIMIT).map_err(|e| {
        SetupError::message(format!(
            "cannot read {}: {e} (each case holds an {EXPECT_NAME})",
            path.display()
        ))
    })?;
    let text = decode_yaml(&bytes).map_err(|e| SetupError::message(format!("cannot read {}: {e}", path.display())))?;
    let file = SourceFile::new(path.display().to_string(), text);
    let node = yaml::parse_file(&file).map_err(|p| vec![p])?;
    let entries = mapping(&file, &node, "an expect.yaml", "start with `outcome: fail`").map_err(|p| vec![p])?;
    let mut f = Fields::new(&file, Document::TestCase, entries, 0..0);
    let outcome = f.required_string(
        "outcome",
        "What the rule does on this case's snapshot: `fail`, `pass` or `not-evaluated`.",
    );
    f.values("outcome", ["fail", "pass", "not-evaluated"]);
    let count = f
        .count("count", "The exact number of findings the rule gives here.")
        .map(|c| c.value);
    let messages = f
        .strings("messages", "Text each of which must appear in some finding's message.")
        .unwrap_or_default();
    let params = f.scalar_map("params", "Param values for this case.");
    let status = outcome.and_then(|o| match o.value.as_str() {
        "fail" => Some(RuleStatus::Failed),
        "pass" => Some(RuleStatus::Passed),
        "not-evaluated" => Some(RuleStatus::NotEvaluated),
        other => {
            let help = suggest(other, ["fail", "pass", "not-evaluated"], || {
                "use `fail`, `pass` or `not-evaluated`".to_owned()
            });
            f.push(
                Problem::new(
                    &file,
                    o.span.clone(),
                    format!("unknown outcome `{other}`"),
                    "not an outcome",
                )
                .with_help(help),
            );
            None
        }
    });
    let problems = f.finish("an expect.yaml");
    match status {
        Some(status) if problems.is_empty() => Ok(Expect {
            status,
            count,
            messages: messages.into_iter().map(|m| m.value).collect(),
            params: ParamOverride::from_file(&file, params),
        }),
        _ => Err(problems.into()),
    }
}

/// How many rule sets loaded with case params are kept for the cases after: enough for the
/// few param sets a suite uses, bounded for a suite whose every case has its own.
const RULE_SETS_KEPT: usize = 16;

/// Runs every case, in order, as the iterator is advanced: only its rule, on its snapshot, with
/// its params.
pub fn run(suite: &mut Suite) -> impl Iterator<Item = Result<CaseResult, SetupError>> + '_ {
    let mut with_params: BTreeMap<Vec<(String, String)>, RuleSet> = BTreeMap::new();
    let Suite {
        sources,
        rule_set,
        cases,
        ..
    } = suite;
    // A rule's own `enabled: false` still shows in its case; every other rule is left out.
    let disabled: Vec<Option<String>> = rule_set.rules.iter().map(|r| r.disabled.clone()).collect();
    cases.iter().map(move |case| {
        let rules = if case.expect.params.is_empty() {
            &mut *rule_set
        } else {
            let key: Vec<(String, String)> = case
                .expect
                .params
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect();
            if with_params.len() == RULE_SETS_KEPT && !with_params.contains_key(&key) {
                with_params.clear();
            }
            match with_params.entry(key) {
                Entry::Occupied(loaded) => loaded.into_mut(),
                Entry::Vacant(slot) => slot.insert(rules::load(sources, &case.expect.params)?),
            }
        };
        for (rule, disabled) in rules.rules.iter_mut().zip(&disabled) {
            let under_test = rule.id == case.rule_id;
            rule.disabled = if under_test {
                disabled.clone()
            } else {
                Some("not under test".to_owned())
            };
            // A case asks for its rule, as `--select` does: a rule that waits for evidence
            // (`when-log`) judges the case's snapshot whatever it shows.
            if let Some(when) = &mut rule.when {
                when.asked = under_test.then(|| "judged because its case asks for it".to_owned());
            }
        }
        run_case(rules, case)
    })
}

fn run_case(rule_set: &RuleSet, case: &Case) -> Result<CaseResult, SetupError> {
    let snapshot = read_manifest::load(&case.dir)?;
    let report = crate::engine::evaluate(rule_set, &snapshot);
    let status = report
        .rules
        .iter()
        .find(|r| r.id == case.rule_id)
        .map_or(RuleStatus::Disabled, |r| r.status);
    let findings: Vec<Finding> = report
        .findings
        .into_iter()
        .filter(|f| f.rule_id == case.rule_id && f.outcome() == Outcome::Fail)
        .collect();
    let expect = &case.expect;
    let mut differences = Vec::new();
    if status != expect.status {
        differences.push(format!(
            "outcome: expected {}, got {}",
            status_word(expect.status),
            status_word(status)
        ));
    }
    if let Some(count) = expect.count
        && count != findings.len() as u64
    {
        differences.push(format!(
            "count: expected {}, got {}",
            plural(count, "finding", "findings"),
            findings.len()
        ));
    }
    for message in &expect.messages {
        if !findings.iter().any(|f| f.message.contains(message.as_str())) {
            differences.push(format!("messages: no finding says {message:?}"));
        }
    }
    // A source the case names but cannot be read is a broken case, not a rule that failed.
    for error in &report.errors {
        differences.push(format!("the snapshot is broken: {}", error.message));
    }
    Ok(CaseResult {
        case: case.clone(),
        status,
        findings,
        differences,
    })
}

/// A directory's name on one line, as the case lines show it: a newline or another control
/// character in it is written as an escape (`\n`), so no name can forge a line of the output.
pub fn one_line(name: &str) -> String {
    let escaped: String = name
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    crate::document::text::visible(&escaped).into_owned()
}

/// The word `expect.yaml` uses for a status.
pub fn status_word(status: RuleStatus) -> &'static str {
    match status {
        RuleStatus::Failed => "fail",
        RuleStatus::Passed => "pass",
        RuleStatus::NotEvaluated => "not-evaluated",
        RuleStatus::Disabled => "disabled",
    }
}

/// Rules under test without a case where they fail: nothing shows they can catch anything.
pub fn untested(suite: &Suite) -> Vec<&str> {
    suite
        .tested_rules
        .iter()
        .filter(|id| {
            !suite
                .cases
                .iter()
                .any(|c| &c.rule_id == *id && c.expect.status == RuleStatus::Failed)
        })
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example site rules with `copies` more copies of one case, in a temporary directory.
    fn suite_with_copies(copies: usize) -> (tempfile::TempDir, Suite) {
        let dir = tempfile::tempdir().unwrap();
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site-rules");
        std::fs::copy(examples.join("contoso.yaml"), dir.path().join("contoso.yaml")).unwrap();
        let case = examples.join("tests/contoso-odbc-redist-present/missing");
        for i in 0..copies {
            let copy = dir
                .path()
                .join(format!("tests/contoso-odbc-redist-present/case-{i:04}"));
            std::fs::create_dir_all(&copy).unwrap();
            for file in ["expect.yaml", "snapshot.yaml", "updatepack.jsonl"] {
                std::fs::copy(case.join(file), copy.join(file)).unwrap();
            }
        }
        let suite = discover(&[dir.path().to_owned()]).unwrap();
        (dir, suite)
    }

    #[test]
    fn each_case_runs_when_its_result_is_asked_for() {
        let (dir, mut suite) = suite_with_copies(2);
        let mut results = run(&mut suite);
        assert!(results.next().unwrap().unwrap().passed());
        // The second case has not run yet: taking its snapshot away now breaks it.
        std::fs::remove_file(
            dir.path()
                .join("tests/contoso-odbc-redist-present/case-0001/snapshot.yaml"),
        )
        .unwrap();
        assert!(results.next().unwrap().is_err());
    }

    #[test]
    fn cases_with_and_without_params_each_run_only_their_rule_with_their_params() {
        let (dir, _) = suite_with_copies(3);
        let with_params = "outcome: fail\nmessages: [other.msi is missing]\nparams: {odbc_installer: other.msi}\n";
        let case = dir.path().join("tests/contoso-odbc-redist-present/case-0001");
        std::fs::write(case.join("expect.yaml"), with_params).unwrap();
        let mut suite = discover(&[dir.path().to_owned()]).unwrap();
        let results: Vec<CaseResult> = run(&mut suite).collect::<Result<_, _>>().unwrap();
        assert_eq!(results.len(), 3);
        assert!(results.iter().all(CaseResult::passed), "{results:?}");
        assert!(
            results
                .iter()
                .all(|r| r.findings.iter().all(|f| f.rule_id == r.case.rule_id))
        );
    }
}
