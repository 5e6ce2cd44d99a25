//! The JSON report (`sitelint_report: 1`): every finding and every loaded rule with its status,
//! for scripts and pipelines. Field names are part of the contract.

use serde::Serialize;

use super::{Render, RenderContext, Snapshots};
use crate::document::origin::Origin;
use crate::finding::{
    BaselineState, BaselineTotals, Finding, Location, Outcome, Report, RuleStatus, Severity, Site, SnapshotInfo,
    Suppression,
};
use crate::rules::RuleSet;

/// The report. Of one snapshot: the snapshot, the config and the rules at the top. Of several
/// (`snapshots`): each finding, error and fixed finding names its snapshot, and each snapshot
/// has its summary and its rules.
#[derive(Serialize)]
struct JsonReport<'a> {
    sitelint_report: u32,
    tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<&'a SnapshotInfo>,
    /// The site config the run used, as named; absent when it used none.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::files::serialize_slash_path_opt"
    )]
    config: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshots: Option<Vec<JsonSite<'a>>>,
    findings: Vec<JsonFinding<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<Vec<JsonRule<'a>>>,
    errors: Vec<JsonError<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<JsonBaseline<'a>>,
    /// The baseline's findings that are gone (fixed), with `--baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    absent: Option<Vec<JsonFinding<'a>>>,
}

#[derive(Serialize)]
struct JsonSite<'a> {
    name: &'a str,
    #[serde(flatten)]
    snapshot: &'a SnapshotInfo,
    summary: JsonSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<JsonBaseline<'a>>,
    rules: Vec<JsonRule<'a>>,
}

/// A finding's snapshot, in a check of several.
#[derive(Serialize, Clone, Copy)]
struct SiteRef<'a> {
    name: &'a str,
    #[serde(serialize_with = "crate::files::serialize_slash_path_opt")]
    path: &'a Option<String>,
}

/// The counts of the summary line.
#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    notes: usize,
    not_evaluated: usize,
    passed: usize,
    suppressed: usize,
    omitted: usize,
}

/// The comparison with `--baseline`: the file, and how many findings are in each state
/// (`unchecked`: the baseline's findings whose rule this run could not evaluate).
#[derive(Serialize)]
struct JsonBaseline<'a> {
    #[serde(serialize_with = "crate::files::serialize_slash_path")]
    path: &'a str,
    new: usize,
    unchanged: usize,
    updated: usize,
    absent: usize,
    unchecked: usize,
    /// Failures past the per-rule cap, counted but not compared with the baseline.
    uncompared: u64,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<SiteRef<'a>>,
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
    /// `new`, `unchanged`, `updated` (or `absent` in the list of fixed ones), with `--baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineState>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<SiteRef<'a>>,
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
    origin: &'a Origin,
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
    fn render_snapshots(&self, snapshots: Snapshots<'_>, _: &RenderContext<'_>) -> String {
        let reports: Vec<(Option<SiteRef<'_>>, &Report)> = snapshots
            .reports()
            .map(|(name, report)| {
                let site = name.map(|name| SiteRef {
                    name,
                    path: &report.snapshot.path,
                });
                (site, report)
            })
            .collect();
        let one = match snapshots {
            Snapshots::One(report) => Some(report),
            Snapshots::Several(_) => None,
        };
        let with_baseline = reports.iter().find_map(|(_, r)| r.baseline.as_ref());
        let json = JsonReport {
            sitelint_report: 1,
            tool: TOOL,
            snapshot: one.map(|r| &r.snapshot),
            config: one.and_then(|r| r.ruleset.config.clone()),
            snapshots: match snapshots {
                Snapshots::One(_) => None,
                Snapshots::Several(sites) => Some(sites.iter().map(json_site).collect()),
            },
            findings: reports
                .iter()
                .flat_map(|&(site, r)| r.findings.iter().map(move |f| json_finding(f, site)))
                .collect(),
            rules: one.map(json_rules),
            errors: reports.iter().flat_map(|&(site, r)| json_errors(r, site)).collect(),
            baseline: with_baseline
                .zip(snapshots.totals().1)
                .map(|(comparison, t)| json_baseline(&comparison.path, t)),
            absent: with_baseline.map(|_| {
                reports
                    .iter()
                    .flat_map(|&(site, r)| {
                        let absent = r.baseline.iter().flat_map(|c| &c.absent);
                        absent.map(move |f| json_finding(f, site))
                    })
                    .collect()
            }),
        };
        to_text(&json)
    }
}

fn json_site(site: &Site) -> JsonSite<'_> {
    let t = site.report.totals();
    JsonSite {
        name: &site.name,
        snapshot: &site.report.snapshot,
        summary: JsonSummary {
            errors: t.errors,
            warnings: t.warnings,
            notes: t.notes,
            not_evaluated: t.not_evaluated,
            passed: t.passed,
            suppressed: t.suppressed,
            omitted: t.omitted,
        },
        baseline: site
            .report
            .baseline
            .as_ref()
            .zip(site.report.baseline_totals())
            .map(|(comparison, t)| json_baseline(&comparison.path, t)),
        rules: json_rules(&site.report),
    }
}

const TOOL: Tool = Tool {
    name: "sitelint",
    version: env!("CARGO_PKG_VERSION"),
};

fn to_text(json: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(json).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

fn json_rules(report: &Report) -> Vec<JsonRule<'_>> {
    report
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
        .collect()
}

fn json_errors<'a>(report: &'a Report, site: Option<SiteRef<'a>>) -> Vec<JsonError<'a>> {
    report
        .errors
        .iter()
        .map(|e| JsonError {
            snapshot: site,
            path: &e.path,
            message: &e.message,
        })
        .collect()
}

fn json_baseline(path: &str, t: BaselineTotals) -> JsonBaseline<'_> {
    JsonBaseline {
        path,
        new: t.new,
        unchanged: t.unchanged,
        updated: t.updated,
        absent: t.absent,
        unchecked: t.unchecked,
        uncompared: t.uncompared,
    }
}

fn json_finding<'a>(f: &'a Finding, site: Option<SiteRef<'a>>) -> JsonFinding<'a> {
    JsonFinding {
        snapshot: site,
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
        baseline: f.baseline,
    }
}
