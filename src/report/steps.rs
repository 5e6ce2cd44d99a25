//! The procedure's steps (DESIGN section 10) as the reports for people and dashboards group
//! by them: a rule belongs to the step its first step tag names, and a rule without one to
//! "other". Every step is listed, even one no loaded rule checks: a board that leaves a step
//! out would read as if it had passed.

use crate::finding::{Finding, Outcome, Report, RuleResult, RuleStatus};

/// One step of the procedure, by its tag.
#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    pub tag: &'static str,
    pub title: &'static str,
    /// Where the step happens.
    pub place: &'static str,
}

/// The steps in the order the procedure takes them.
pub const STEPS: [Step; 9] = [
    Step {
        tag: "connect-machine",
        title: "Connect machine",
        place: "internet machine, before Connect",
    },
    Step {
        tag: "network",
        title: "Network",
        place: "internet machine",
    },
    Step {
        tag: "download",
        title: "Download",
        place: "internet machine, after Connect",
    },
    Step {
        tag: "import",
        title: "Import",
        place: "site server",
    },
    Step {
        tag: "console",
        title: "Console",
        place: "site server",
    },
    Step {
        tag: "prerequisites",
        title: "Prerequisites",
        place: "site server",
    },
    Step {
        tag: "backup",
        title: "Backup",
        place: "site server, before the upgrade",
    },
    Step {
        tag: "upgrade",
        title: "Upgrade",
        place: "site server",
    },
    Step {
        tag: "post-upgrade",
        title: "Post-upgrade",
        place: "site server, after the upgrade",
    },
];

/// Rules without a step tag: a site's own rules, the waiver checks.
pub const OTHER: Step = Step {
    tag: "other",
    title: "Other rules",
    place: "rules without a step tag",
};

/// The step a rule's tags put it in.
pub fn step_of(tags: &[String]) -> &'static Step {
    tags.iter()
        .find_map(|tag| STEPS.iter().find(|step| step.tag == tag))
        .unwrap_or(&OTHER)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Passed,
    Failed,
    /// No rule of the step ran, or one could not be checked: never a silent pass.
    NotEvaluated,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Passed => "passed",
            StepStatus::Failed => "failed",
            StepStatus::NotEvaluated => "not evaluated",
        }
    }
}

/// A step with its rules and their findings, in report order.
#[derive(Debug)]
pub struct StepGroup<'r> {
    pub step: &'static Step,
    pub rules: Vec<&'r RuleResult>,
    pub findings: Vec<&'r Finding>,
}

impl StepGroup<'_> {
    /// Failed when a rule failed; passed only when every rule that runs passed.
    pub fn status(&self) -> StepStatus {
        let enabled = || self.rules.iter().filter(|r| r.status != RuleStatus::Disabled);
        if enabled().any(|r| r.status == RuleStatus::Failed) {
            StepStatus::Failed
        } else if enabled().next().is_some() && enabled().all(|r| r.status == RuleStatus::Passed) {
            StepStatus::Passed
        } else {
            StepStatus::NotEvaluated
        }
    }

    pub fn count(&self, status: RuleStatus) -> usize {
        self.rules.iter().filter(|r| r.status == status).count()
    }

    pub fn findings_with(&self, outcome: Outcome) -> impl Iterator<Item = &Finding> {
        self.findings.iter().copied().filter(move |f| f.outcome() == outcome)
    }

    /// Why a step that is not evaluated is not, in words.
    pub fn not_evaluated_because(&self) -> &'static str {
        if self.rules.is_empty() {
            "no loaded rule checks this step"
        } else if self.rules.iter().all(|r| r.status == RuleStatus::Disabled) {
            "its rules are disabled in this run"
        } else {
            "a rule of this step could not be evaluated"
        }
    }
}

/// Every step of the procedure, then "other" when a rule has no step tag.
pub fn group(report: &Report) -> Vec<StepGroup<'_>> {
    let mut groups: Vec<StepGroup<'_>> = STEPS
        .iter()
        .chain(std::iter::once(&OTHER))
        .map(|step| StepGroup {
            step,
            rules: Vec::new(),
            findings: Vec::new(),
        })
        .collect();
    for rule in &report.rules {
        groups[index_of(step_of(&rule.tags))].rules.push(rule);
    }
    for finding in &report.findings {
        let tags = report
            .rules
            .iter()
            .find(|r| r.id == finding.rule_id)
            .map_or(&[][..], |r| &r.tags[..]);
        groups[index_of(step_of(tags))].findings.push(finding);
    }
    if groups
        .last()
        .is_some_and(|other| other.rules.is_empty() && other.findings.is_empty())
    {
        groups.pop();
    }
    groups
}

fn index_of(step: &Step) -> usize {
    STEPS.iter().position(|s| s == step).unwrap_or(STEPS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|&n| n.to_owned()).collect()
    }

    #[test]
    fn a_rule_is_in_the_step_of_its_first_step_tag() {
        assert_eq!(step_of(&tags(&["redist", "download", "network"])).tag, "download");
        assert_eq!(step_of(&tags(&["waivers"])).tag, "other");
        assert_eq!(step_of(&[]).tag, "other");
    }
}
