//! `--baseline REPORT.json`: an earlier JSON report of sitelint, and the comparison of a run
//! with it by fingerprint. Each failing or suppressed finding becomes `new`, `unchanged` or
//! `updated`; the baseline's findings that are gone while their rule was evaluated are
//! `absent` (fixed). A baseline finding whose rule this run could not evaluate is neither: it
//! is counted as not checked again, never as fixed.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::document::diag::SetupError;
use crate::finding::{
    BaselineState, Comparison, Finding, Location, Outcome, Report, RuleStatus, Severity, SnapshotInfo, Suppression,
};

/// A baseline report larger than this is refused before it is read: a report of a thousand
/// snapshots with every finding is well under it.
const BASELINE_LIMIT: u64 = 1 << 30;

/// An earlier report's findings, by the snapshot they belong to.
#[derive(Debug, Default)]
pub struct Baseline {
    /// The baseline as named on the command line.
    pub path: String,
    /// `(snapshot name, findings)` in the report's order; the name is `None` in the report of
    /// one snapshot, which names none.
    pub snapshots: Vec<(Option<String>, Vec<Finding>)>,
    /// What the report says of each snapshot besides its name (`None` in the report of one),
    /// to tell another site's snapshot of the same name from this one.
    identities: Vec<(Option<String>, RawIdentity)>,
}

/// A snapshot's manifest path and host, as the report recorded them.
#[derive(Debug, Deserialize)]
struct RawIdentity {
    name: Option<String>,
    path: Option<String>,
    host: Option<String>,
}

#[derive(Deserialize)]
struct RawReport {
    sitelint_report: Option<serde_json::Value>,
    findings: Option<Vec<RawFinding>>,
    snapshot: Option<RawIdentity>,
    snapshots: Option<Vec<RawIdentity>>,
}

#[derive(Deserialize)]
struct RawFinding {
    rule_id: String,
    severity: String,
    outcome: String,
    message: String,
    subject: String,
    location: Option<RawLocation>,
    help: Option<String>,
    url: Option<String>,
    fingerprint: String,
    suppression: Option<RawSuppression>,
    snapshot: Option<RawSnapshot>,
}

#[derive(Deserialize)]
struct RawSuppression {
    reason: String,
    owner: String,
    expires: String,
    ticket: Option<String>,
    location: RawLocation,
}

#[derive(Deserialize)]
struct RawLocation {
    path: String,
    line: Option<u64>,
    column: Option<u64>,
    end_column: Option<u64>,
    byte_offset: Option<u64>,
    byte_length: Option<u64>,
}

#[derive(Deserialize)]
struct RawSnapshot {
    name: String,
}

impl Baseline {
    /// Reads a baseline, or says in words why the file is not a sitelint JSON report.
    pub fn load(path: &Path) -> Result<Baseline, SetupError> {
        let shown = path.display().to_string();
        let bytes = crate::files::read_limited(path, BASELINE_LIMIT)
            .map_err(|e| SetupError::message(format!("cannot read the baseline {shown}: {e}")))?;
        Baseline::parse(&shown, &crate::document::text::decode(&bytes, None).text)
    }

    /// Reads the text of a baseline named `shown`.
    pub fn parse(shown: &str, text: &str) -> Result<Baseline, SetupError> {
        let not_a_report = |why: String| {
            SetupError::with_help(
                format!("--baseline {shown} is not a sitelint JSON report: {why}"),
                "give the JSON report of an earlier run, written with --format json=FILE",
            )
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| not_a_report(format!("it is not JSON ({e})")))?;
        if value.get("runs").is_some() && value.get("version").is_some() {
            return Err(not_a_report("it is a SARIF log".to_owned()));
        }
        let raw: RawReport =
            serde_json::from_value(value).map_err(|e| not_a_report(format!("it is not a JSON object ({e})")))?;
        match raw.sitelint_report {
            None => return Err(not_a_report("it has no `sitelint_report` field".to_owned())),
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(1) => {}
            Some(other) => {
                return Err(not_a_report(format!(
                    "it is report format {other}, and this sitelint reads format 1"
                )));
            }
        }
        let findings = raw
            .findings
            .ok_or_else(|| not_a_report("it has no `findings` list".to_owned()))?;
        let identities = match (raw.snapshot, raw.snapshots) {
            (_, Some(several)) => several.into_iter().map(|s| (s.name.clone(), s)).collect(),
            (Some(one), None) => vec![(None, one)],
            (None, None) => Vec::new(),
        };
        let mut baseline = Baseline {
            path: shown.to_owned(),
            snapshots: Vec::new(),
            identities,
        };
        for (index, raw) in findings.into_iter().enumerate() {
            let severity = Severity::parse(&raw.severity)
                .ok_or_else(|| not_a_report(format!("finding {} has the severity `{}`", index + 1, raw.severity)))?;
            // What is not evaluated was not found either way: only problems are compared.
            match raw.outcome.as_str() {
                "fail" | "suppressed" => {}
                "not-evaluated" => continue,
                other => {
                    return Err(not_a_report(format!("finding {} has the outcome `{other}`", index + 1)));
                }
            }
            let name = raw.snapshot.map(|s| s.name);
            let finding = Finding {
                rule_id: raw.rule_id,
                severity,
                message: raw.message,
                subject: raw.subject,
                location: raw.location.map(RawLocation::into_location),
                excerpt: None,
                help: raw.help,
                url: raw.url,
                gap: None,
                suppression: raw.suppression.map(|s| Suppression {
                    reason: s.reason,
                    owner: s.owner,
                    expires: s.expires,
                    ticket: s.ticket,
                    location: s.location.into_location(),
                }),
                fingerprint: raw.fingerprint,
                baseline: Some(BaselineState::Absent),
            };
            match baseline.snapshots.iter_mut().find(|(n, _)| *n == name) {
                Some((_, list)) => list.push(finding),
                None => baseline.snapshots.push((name, vec![finding])),
            }
        }
        Ok(baseline)
    }

    /// The baseline findings of the snapshot `name`: in a report of one snapshot, all of
    /// them whatever the name (a download done again goes to another folder), else those
    /// recorded under the same name. Taken out, so each is compared once. `Err` says why the
    /// baseline's snapshot is another one all the same, and nothing is compared: a host other
    /// than this snapshot's, or (in a check of several) a manifest at another path.
    pub fn take(&mut self, name: &str, one_snapshot_run: bool, this: &SnapshotInfo) -> Result<Vec<Finding>, String> {
        let one = one_snapshot_run && self.snapshots.len() <= 1 && self.identities.len() <= 1;
        let position = if one {
            (!self.snapshots.is_empty()).then_some(0)
        } else {
            self.snapshots.iter().position(|(n, _)| n.as_deref() == Some(name))
        };
        let findings = position.map(|i| self.snapshots.remove(i).1).unwrap_or_default();
        let identity = if one {
            self.identities.first()
        } else {
            self.identities.iter().find(|(n, _)| n.as_deref() == Some(name))
        };
        let Some((_, recorded)) = identity else {
            return Ok(findings);
        };
        let slash = |p: &str| p.replace('\\', "/");
        if let (Some(before), Some(now)) = (&recorded.host, &this.host)
            && !before.eq_ignore_ascii_case(now)
        {
            return Err(format!(
                "the baseline's snapshot is of host `{before}`, this one of `{now}`"
            ));
        }
        if let (false, Some(before), Some(now)) = (one, &recorded.path, &this.path)
            && slash(before) != slash(now)
        {
            return Err(format!(
                "the baseline's snapshot `{name}` was {before}, this one is {now}"
            ));
        }
        Ok(findings)
    }
}

impl RawLocation {
    fn into_location(self) -> Location {
        Location {
            path: self.path,
            line: self.line,
            column: self.column,
            end_column: self.end_column,
            byte_offset: self.byte_offset,
            byte_length: self.byte_length,
        }
    }
}

/// Sets the baseline state of each problem in `report` and records the baseline's findings
/// that are gone. Call it on the final report (waivers applied).
pub fn compare(report: &mut Report, baseline_path: &str, earlier: Vec<Finding>) {
    let mut by_fingerprint: HashMap<&str, &Finding> = HashMap::new();
    for finding in &earlier {
        by_fingerprint.insert(finding.fingerprint.as_str(), finding);
    }
    let mut matched = std::collections::HashSet::new();
    for finding in report
        .findings
        .iter_mut()
        .filter(|f| f.outcome() != Outcome::NotEvaluated)
    {
        let state = match by_fingerprint.get(finding.fingerprint.as_str()) {
            None => BaselineState::New,
            Some(before) => {
                matched.insert(finding.fingerprint.clone());
                // A place is its file, line and column: the byte length of a whole file (where
                // an absence is shown) changes with every line added to it.
                let place = |f: &Finding| f.location.as_ref().map(|l| (l.path.clone(), l.line, l.column));
                let same = before.message == finding.message
                    && place(before) == place(finding)
                    && before.severity == finding.severity
                    && before.outcome() == finding.outcome();
                if same {
                    BaselineState::Unchanged
                } else {
                    BaselineState::Updated
                }
            }
        };
        finding.baseline = Some(state);
    }
    // A problem is fixed only where this run looked for it: its rule ran, and the part of
    // the rule it was about (an endpoint) was not left unchecked.
    let evaluated = |rule_id: &str| {
        report
            .rules
            .iter()
            .any(|r| r.id == rule_id && matches!(r.status, RuleStatus::Passed | RuleStatus::Failed))
    };
    let unchecked_parts: std::collections::HashSet<String> = report
        .findings
        .iter()
        .filter(|f| f.outcome() == Outcome::NotEvaluated)
        .map(|f| crate::finding::identity(&f.rule_id, &f.subject))
        .collect();
    // Compared only as far as the cap kept: the failures a rule counted but did not keep
    // cannot be told new or not, and cannot prove a baseline finding fixed.
    let uncompared: Vec<(String, u64)> = report
        .rules
        .iter()
        .filter(|r| r.omitted > 0 && !r.omitted_suppressed)
        .map(|r| (r.id.clone(), r.omitted))
        .collect();
    let capped = |rule_id: &str| uncompared.iter().any(|(id, _)| id == rule_id);
    let mut comparison = Comparison {
        path: baseline_path.to_owned(),
        absent: Vec::new(),
        unchecked: 0,
        uncompared: Vec::new(),
    };
    for finding in earlier.into_iter().filter(|f| !matched.contains(&f.fingerprint)) {
        let identity = crate::finding::identity(&finding.rule_id, &finding.subject);
        if evaluated(&finding.rule_id) && !unchecked_parts.contains(&identity) && !capped(&finding.rule_id) {
            comparison.absent.push(finding);
        } else {
            comparison.unchecked += 1;
        }
    }
    comparison.absent.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    comparison.uncompared = uncompared;
    report.baseline = Some(comparison);
}
