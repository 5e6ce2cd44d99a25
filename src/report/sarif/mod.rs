//! SARIF 2.1.0 for review tooling (GitHub code scanning, Azure DevOps, the VS Code SARIF
//! viewer). Built so that GitHub accepts every upload: every result has a physical location,
//! URIs are relative with declared bases, fingerprints come from the rule and the subject, and
//! a clean run still lists every rule with `results: []` so old alerts close.

pub mod model;

use std::collections::BTreeMap;
use std::path::Path;

use self::model::{
    AutomationDetails, Configuration, DescriptorReference, Driver, Help, Invocation, InvocationProperties, Log,
    Message, Notification, PartialFingerprints, ReportingDescriptor, ResultProperties, RuleProperties, RuleReference,
    Run, RunProperties, Runs, SarifResult, SnapshotProperties, Suppression, SuppressionProperties, Tool, Uri,
};
use super::uri::Uris;
use super::{Render, RenderContext, Snapshots};
use crate::finding::{Finding, Location, Outcome, Report, RuleResult, RuleStatus};

/// GitHub code scanning keeps at most this many results per run and rejects the upload
/// beyond it; sitelint keeps the most severe and says how many it left out.
pub const MAX_RESULTS_PER_RUN: usize = 25_000;

/// GitHub code scanning refuses a file of more runs than this (one per snapshot here).
pub const MAX_RUNS_PER_UPLOAD: usize = 20;

const NOT_EVALUATED: &str = "rule-not-evaluated";
const RESULTS_CAPPED: &str = "results-capped";
const SOURCE_UNREADABLE: &str = "source-unreadable";

/// The SARIF log.
pub struct Sarif;

impl Render for Sarif {
    /// One run per snapshot; of several, each with its own `automationDetails.id`
    /// (`sitelint/NAME/`): GitHub keeps one category per site, so each site's alerts open and
    /// close on their own.
    fn render_snapshots(&self, snapshots: Snapshots<'_>, context: &RenderContext<'_>) -> String {
        // Each run is built as it is written and dropped before the next: the runs of a
        // thousand snapshots at once would be most of the memory of the whole check.
        let runs = snapshots.reports().map(|(name, report)| {
            let mut run = run(report, context.working_dir);
            run.automation_details = name.map(|name| AutomationDetails {
                id: format!("sitelint/{name}/"),
            });
            run
        });
        let log = Log {
            schema: "https://json.schemastore.org/sarif-2.1.0.json",
            runs: Runs(std::cell::RefCell::new(Some(runs))),
            version: "2.1.0",
        };
        let mut text = serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }
}

/// The run of one snapshot. `working_dir` is the absolute directory sitelint ran in:
/// relative paths in the report are resolved against it.
fn run<'r>(report: &'r Report, working_dir: &Path) -> Run<'r> {
    let uris = Uris::new(report, working_dir);
    let rule_index: BTreeMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let rule_ref = |id: &str| RuleReference {
        id: id.to_owned(),
        index: rule_index[id],
    };

    let (kept, capped) = cap_results(report);
    let mut results: Vec<SarifResult> = kept
        .iter()
        .map(|finding| result(finding, rule_index[finding.rule_id.as_str()], &uris))
        .collect();
    // A problem fixed since the baseline is a result too, so a viewer can show it as gone:
    // the rule was evaluated and the problem is not there (`kind: pass`). Within the same cap
    // as the failures, which come first; the fixed ones past it are counted.
    let mut fixed_left_out = 0u64;
    for finding in report.baseline.iter().flat_map(|c| &c.absent) {
        if let Some(&index) = rule_index.get(finding.rule_id.as_str()) {
            if results.len() >= MAX_RESULTS_PER_RUN {
                fixed_left_out += 1;
                continue;
            }
            let mut absent = result(finding, index, &uris);
            absent.kind = Some("pass");
            absent.level = "none";
            results.push(absent);
        }
    }

    let mut notifications = Vec::new();
    if fixed_left_out > 0 {
        notifications.push(notification(
            RESULTS_CAPPED,
            "warning",
            &format!(
                "{fixed_left_out} problems fixed since the baseline were left out: a run keeps at most {MAX_RESULTS_PER_RUN} results (the JSON report lists them in `absent`)"
            ),
        ));
    }
    for (finding, gap) in report.findings.iter().filter_map(|f| Some((f, f.gap.as_ref()?))) {
        let text = if gap.whole_rule {
            format!("Rule {} was not evaluated: {}", finding.rule_id, gap.reason)
        } else {
            format!("Rule {} was evaluated only in part: {}", finding.rule_id, gap.reason)
        };
        let mut note = notification(NOT_EVALUATED, "warning", &text);
        note.associated_rule = Some(rule_ref(&finding.rule_id));
        note.locations = finding.location.as_ref().map(|location| [uris.location(location)]);
        notifications.push(note);
    }
    for rule in &report.rules {
        let left_out = rule.omitted + capped.get(rule.id.as_str()).copied().unwrap_or(0);
        if left_out == 0 {
            continue;
        }
        let kept = kept.iter().filter(|f| f.rule_id == rule.id).count();
        let mut note = notification(
            RESULTS_CAPPED,
            "warning",
            &format!(
                "Rule {} found {} problems; {kept} are reported and {left_out} were counted but left out",
                rule.id,
                kept as u64 + left_out
            ),
        );
        note.associated_rule = Some(rule_ref(&rule.id));
        notifications.push(note);
    }
    for error in &report.errors {
        let mut note = notification(SOURCE_UNREADABLE, "error", &error.message);
        note.locations = Some([uris.location(&Location::artifact(&error.path))]);
        notifications.push(note);
    }

    // SARIF has no place of its own for a tool's configuration file: the invocation's
    // property bag holds it, as an artifact location a viewer can resolve.
    let properties = report.ruleset.config.as_ref().map(|config| InvocationProperties {
        config: uris.artifact(&working_dir.join(config).display().to_string()),
    });
    let snapshot = &report.snapshot;
    let described = snapshot.path.is_some() || snapshot.host.is_some() || snapshot.collected_at.is_some();
    Run {
        automation_details: None,
        column_kind: "unicodeCodePoints",
        invocations: [Invocation {
            execution_successful: report.errors.is_empty(),
            properties,
            tool_execution_notifications: notifications,
            working_directory: Uri {
                uri: uris.working_dir_uri(),
            },
        }],
        original_uri_base_ids: uris.bases(),
        properties: described.then_some(RunProperties {
            snapshot: SnapshotProperties {
                collected_at: snapshot.collected_at.as_deref(),
                host: snapshot.host.as_deref(),
                path: &snapshot.path,
            },
        }),
        results,
        tool: Tool {
            driver: driver(&report.rules),
        },
    }
}

/// The results a run keeps: every failure (suppressed ones too, so a reviewer sees what was
/// accepted), unless there are more than GitHub takes, in which case the most severe are kept.
/// Returns them in report order with the count left out per rule.
fn cap_results(report: &Report) -> (Vec<&Finding>, BTreeMap<&str, u64>) {
    let mut failures: Vec<(usize, &Finding)> = report
        .findings
        .iter()
        .filter(|f| f.outcome() != Outcome::NotEvaluated)
        .enumerate()
        .collect();
    let mut capped: BTreeMap<&str, u64> = BTreeMap::new();
    if failures.len() > MAX_RESULTS_PER_RUN {
        failures.sort_by_key(|(order, f)| (std::cmp::Reverse(f.severity), *order));
        for (_, finding) in failures.drain(MAX_RESULTS_PER_RUN..) {
            *capped.entry(&finding.rule_id).or_insert(0) += 1;
        }
        failures.sort_by_key(|(order, _)| *order);
    }
    (failures.into_iter().map(|(_, f)| f).collect(), capped)
}

fn driver(rules: &[RuleResult]) -> Driver {
    Driver {
        information_uri: env!("CARGO_PKG_REPOSITORY"),
        name: "sitelint",
        notifications: vec![
            descriptor(
                NOT_EVALUATED,
                "A rule could not be evaluated because the snapshot lacks what it reads.",
                "Collect the missing part (the message names it) into the snapshot, or give it with the source flags, and check again. `--strict` makes this fail the run.",
            ),
            descriptor(
                RESULTS_CAPPED,
                "A rule found more problems than the report keeps; the rest were counted.",
                "Fix the problems reported and check again: the count of the rest is in the message.",
            ),
            descriptor(
                SOURCE_UNREADABLE,
                "A source named by the snapshot or the command line could not be read.",
                "Check that the file exists, can be read, and is in the format the message names; the run ended with exit code 2.",
            ),
        ],
        rules: rules.iter().map(rule_descriptor).collect(),
        semantic_version: env!("CARGO_PKG_VERSION"),
        version: env!("CARGO_PKG_VERSION"),
    }
}

fn message(text: impl Into<String>) -> Message {
    Message { text: text.into() }
}

fn descriptor(id: &str, description: &str, help: &str) -> ReportingDescriptor {
    ReportingDescriptor {
        default_configuration: None,
        full_description: message(description),
        help: Help {
            markdown: help.to_owned(),
            text: help.to_owned(),
        },
        help_uri: None,
        id: id.to_owned(),
        name: None,
        properties: None,
        short_description: message(description),
    }
}

fn rule_descriptor(rule: &RuleResult) -> ReportingDescriptor {
    let help = rule.help.as_deref().unwrap_or(&rule.title);
    let (text, markdown) = match &rule.url {
        Some(url) => (
            format!("{help}\n\nMore: {url}"),
            format!("{help}\n\n[Microsoft's guidance and more]({url})"),
        ),
        None => (help.to_owned(), help.to_owned()),
    };
    ReportingDescriptor {
        default_configuration: Some(Configuration {
            enabled: rule.status != RuleStatus::Disabled,
            // SARIF levels have the names sitelint severities have.
            level: rule.severity.as_str(),
        }),
        full_description: message(clip(&format!("{} {}", sentence(&rule.title), rule.description), 1024)),
        help: Help { markdown, text },
        help_uri: rule.url.clone(),
        id: rule.id.clone(),
        name: Some(pascal_case(&rule.id)),
        // GitHub shows at most 10 tags and takes 20.
        properties: Some(RuleProperties {
            kind: rule.kind,
            tags: rule.tags.iter().take(20).cloned().collect(),
        }),
        short_description: message(sentence(&rule.title)),
    }
}

fn result(finding: &Finding, rule_index: usize, uris: &Uris) -> SarifResult {
    // Every failure has a location (the checks guarantee it); the manifest-less fallback keeps
    // the upload valid should one ever lack it, since GitHub rejects a whole file for one
    // result without a location.
    let location = finding
        .location
        .clone()
        .unwrap_or_else(|| Location::artifact(crate::snapshot::manifest_file::MANIFEST_NAME));
    // Kept as a result, marked accepted: review tools show it as suppressed, not as an alert.
    let suppressions = finding.suppression.as_ref().map(|waiver| {
        [Suppression {
            justification: waiver.reason.clone(),
            kind: "external",
            location: uris.location(&waiver.location),
            properties: SuppressionProperties {
                expires: waiver.expires.clone(),
                owner: waiver.owner.clone(),
                ticket: waiver.ticket.clone(),
            },
            status: "accepted",
        }]
    });
    SarifResult {
        baseline_state: finding.baseline.map(|state| state.as_str()),
        kind: None,
        level: finding.severity.as_str(),
        locations: [uris.location(&location)],
        message: message(sentence(&finding.message)),
        // GitHub de-duplicates alerts only by `primaryLocationLineHash`, and computes its own
        // from the log line (timestamps included) when it is missing: the same value under
        // both names keeps an alert's identity across runs.
        partial_fingerprints: PartialFingerprints {
            primary_location_line_hash: finding.fingerprint.clone(),
            sitelint_v1: finding.fingerprint.clone(),
        },
        properties: ResultProperties {
            subject: finding.subject.clone(),
        },
        rule_id: finding.rule_id.clone(),
        rule_index,
        suppressions,
    }
}

fn notification(descriptor: &'static str, level: &'static str, text: &str) -> Notification {
    Notification {
        associated_rule: None,
        descriptor: DescriptorReference { id: descriptor },
        level,
        locations: None,
        message: message(sentence(text)),
    }
}

/// SARIF viewers show the first sentence when space is short, and the validator wants
/// messages to end like sentences. The case is kept: a message may start with a path.
fn sentence(text: &str) -> String {
    let mut text = text.trim_end().to_owned();
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

fn clip(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max_chars - 1).collect();
    clipped.push('…');
    clipped
}

/// `sct-redist-download-failed` → `SctRedistDownloadFailed`: the identifier-like name SARIF
/// wants beside the id.
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    #[test]
    fn sentences_end_with_a_period() {
        assert_eq!(sentence("a download failed"), "a download failed.");
        assert_eq!(sentence("Done?"), "Done?");
        assert_eq!(pascal_case("sct-redist-download-failed"), "SctRedistDownloadFailed");
    }

    fn failure(rule_id: &str, severity: Severity, n: usize) -> Finding {
        Finding {
            rule_id: rule_id.to_owned(),
            severity,
            gap: None,
            message: format!("problem {n}"),
            subject: format!("file {n}"),
            location: Some(Location::at_line("logs/a.log", n as u64 + 1)),
            excerpt: None,
            help: None,
            url: None,
            suppression: None,
            fingerprint: format!("{n:032x}:1"),
            baseline: None,
        }
    }

    #[test]
    fn a_run_over_githubs_limit_keeps_the_most_severe_and_counts_the_rest() {
        let notes = (0..MAX_RESULTS_PER_RUN).map(|n| failure("many-notes", Severity::Note, n));
        let errors = (0..10).map(|n| failure("few-errors", Severity::Error, n));
        let report = Report {
            snapshot: Default::default(),
            ruleset: Default::default(),
            findings: notes.chain(errors).collect(),
            rules: Vec::new(),
            errors: Vec::new(),
            read_as: Vec::new(),
            baseline: None,
        };
        let (kept, capped) = cap_results(&report);
        assert_eq!(kept.len(), MAX_RESULTS_PER_RUN);
        assert_eq!(kept.iter().filter(|f| f.rule_id == "few-errors").count(), 10);
        assert_eq!(capped, BTreeMap::from([("many-notes", 10)]));
        // Still in report order, not severity order.
        assert_eq!(kept[0].message, "problem 0");
    }

    /// Issue 35 (L): the results of problems fixed since the baseline count toward the cap
    /// too; those past it are counted in a notification.
    #[test]
    fn fixed_results_stay_within_the_cap() {
        let rule = crate::finding::RuleResult {
            id: "r".to_owned(),
            kind: "zero-byte-files",
            severity: Severity::Error,
            title: "R".to_owned(),
            description: String::new(),
            help: None,
            url: None,
            tags: Vec::new(),
            status: crate::finding::RuleStatus::Failed,
            reason: None,
            omitted: 0,
            omitted_suppressed: false,
        };
        let report = Report {
            snapshot: Default::default(),
            ruleset: Default::default(),
            findings: (0..MAX_RESULTS_PER_RUN - 5)
                .map(|n| failure("r", Severity::Error, n))
                .collect(),
            rules: vec![rule],
            errors: Vec::new(),
            read_as: Vec::new(),
            baseline: Some(crate::finding::Comparison {
                path: "base.json".to_owned(),
                absent: (0..12).map(|n| failure("r", Severity::Error, 100_000 + n)).collect(),
                unchecked: 0,
                uncompared: Vec::new(),
            }),
        };
        let run = serde_json::to_value(run(&report, Path::new("/w"))).unwrap();
        assert_eq!(run["results"].as_array().unwrap().len(), MAX_RESULTS_PER_RUN);
        let notes = run["invocations"][0]["toolExecutionNotifications"].to_string();
        assert!(
            notes.contains("7 problems fixed since the baseline were left out"),
            "{notes}"
        );
    }
}
