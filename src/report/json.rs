//! The JSON report (`sitelint_report: 1`): every finding and every loaded rule with its status,
//! for scripts and pipelines. Field names are part of the contract.

use serde::Serialize;

use super::{Render, RenderContext};
use crate::finding::{Finding, Location, Outcome, Report, RuleStatus, Severity, SnapshotInfo, Suppression};
use crate::rules::RuleSet;

#[derive(Serialize)]
struct JsonReport<'a> {
    sitelint_report: u32,
    tool: Tool,
    snapshot: &'a SnapshotInfo,
    /// The site config the run used, as named; absent when it used none.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::files::serialize_slash_path_opt"
    )]
    config: Option<String>,
    findings: Vec<JsonFinding<'a>>,
    rules: Vec<JsonRule<'a>>,
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    severity: Severity,
    outcome: Outcome,
    message: &'a str,
    subject: &'a str,
    location: Option<&'a Location>,
    help: Option<&'a str>,
    url: Option<&'a str>,
    /// What a waiver matches by `fingerprint:` (SARIF's `partialFingerprints` hold the same).
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<&'a Suppression>,
}

#[derive(Serialize)]
struct JsonRule<'a> {
    id: &'a str,
    kind: &'a str,
    severity: Severity,
    title: &'a str,
    tags: &'a [String],
    status: RuleStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    /// Findings found beyond the per-rule cap and left out of `findings`.
    omitted_findings: u64,
    /// A waiver of the whole rule accepts those too.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    omitted_suppressed: bool,
}

#[derive(Serialize)]
struct JsonError<'a> {
    #[serde(serialize_with = "crate::files::serialize_slash_path")]
    path: &'a str,
    message: &'a str,
}

/// One loaded rule, for `sitelint rules list --format json`.
#[derive(Serialize)]
struct ListedRule<'a> {
    id: &'a str,
    kind: &'a str,
    severity: Severity,
    title: &'a str,
    description: String,
    tags: &'a [String],
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<&'a str>,
    /// `file:line` of the definition.
    origin: &'a str,
}

/// The loaded rules, sorted by id, as a JSON array.
pub fn render_rule_list(rule_set: &RuleSet) -> String {
    let mut rules: Vec<ListedRule<'_>> = rule_set
        .rules
        .iter()
        .map(|rule| ListedRule {
            id: &rule.id,
            kind: rule.kind,
            severity: rule.severity,
            title: &rule.title,
            description: rule.check.describe(),
            tags: &rule.tags,
            enabled: rule.disabled.is_none(),
            disabled_reason: rule.disabled.as_deref(),
            origin: &rule.origin,
        })
        .collect();
    rules.sort_by(|a, b| a.id.cmp(b.id));
    let mut text = serde_json::to_string_pretty(&rules).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// The JSON report.
pub struct Json;

impl Render for Json {
    fn render(&self, report: &Report, _: &RenderContext<'_>) -> String {
        render(report)
    }
}

fn render(report: &Report) -> String {
    let json = JsonReport {
        sitelint_report: 1,
        tool: Tool {
            name: "sitelint",
            version: env!("CARGO_PKG_VERSION"),
        },
        snapshot: &report.snapshot,
        config: report.ruleset.config.clone(),
        findings: report.findings.iter().map(json_finding).collect(),
        rules: report
            .rules
            .iter()
            .map(|r| JsonRule {
                id: &r.id,
                kind: r.kind,
                severity: r.severity,
                title: &r.title,
                tags: &r.tags,
                status: r.status,
                reason: r.reason.as_deref(),
                omitted_findings: r.omitted,
                omitted_suppressed: r.omitted_suppressed,
            })
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|e| JsonError {
                path: &e.path,
                message: &e.message,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&json).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

fn json_finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        rule_id: &f.rule_id,
        severity: f.severity,
        outcome: f.outcome(),
        message: &f.message,
        subject: &f.subject,
        location: f.location.as_ref(),
        help: f.help.as_deref(),
        url: f.url.as_deref(),
        fingerprint: &f.fingerprint,
        suppression: f.suppression.as_ref(),
    }
}
