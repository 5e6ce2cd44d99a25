//! `fail-on`: what makes a run's exit code 1, as `--fail-on`, `sitelint.yaml` and the policy of
//! `check` all name it.

use clap::ValueEnum;

use crate::finding::Severity;

/// What fails a run: findings at or above a severity, or none (`never`). One type for
/// `--fail-on`, `fail-on:` and the exit-code policy, so the three cannot disagree on a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    /// The lowest severity that fails the run; `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.threshold().map_or("never", Severity::as_str)
    }

    pub(crate) fn parse(name: &str) -> Option<FailOn> {
        Self::value_variants().iter().copied().find(|f| f.as_str() == name)
    }

    pub(crate) fn names() -> impl Iterator<Item = &'static str> {
        Self::value_variants().iter().map(|f| f.as_str())
    }
}
