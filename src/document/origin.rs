//! Where a rule was defined (a line of a file people wrote, or sitelint itself), and where a
//! param's value came from.

use std::fmt;

use serde::{Serialize, Serializer};

/// A rule's definition. Shown, and serialised, as `file:line` or `(built in)`, the words
/// reports always used; kept apart so that nobody parses the file back out of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of a file, named as reports name it.
    Line { file: String, line: usize },
    /// A rule sitelint adds itself (the waiver checks).
    BuiltIn,
}

impl Origin {
    pub fn line(file: impl Into<String>, line: usize) -> Self {
        Origin::Line {
            file: file.into(),
            line,
        }
    }

    /// The file the rule was defined in, if it was defined in one.
    pub fn file(&self) -> Option<&str> {
        match self {
            Origin::Line { file, .. } => Some(file),
            Origin::BuiltIn => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Line { file, line } => write!(f, "{file}:{line}"),
            Origin::BuiltIn => f.write_str("(built in)"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Where a ruleset param's value came from. Shown as reports always showed it: `the default in
/// FILE:LINE`, a config's `FILE:LINE`, `--set`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueOrigin {
    /// The `params:` of a rule file.
    Default(Origin),
    /// A line of the site config.
    Config(Origin),
    /// `--set NAME=VALUE`.
    Flag,
}

impl fmt::Display for ValueOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueOrigin::Default(origin) => write!(f, "the default in {origin}"),
            ValueOrigin::Config(origin) => origin.fmt(f),
            ValueOrigin::Flag => f.write_str("--set"),
        }
    }
}

impl Serialize for ValueOrigin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_a_colon_in_its_name_keeps_it() {
        let origin = Origin::line(r"C:\rules\site.yaml", 12);
        assert_eq!(origin.to_string(), r"C:\rules\site.yaml:12");
        assert_eq!(origin.file(), Some(r"C:\rules\site.yaml"));
        assert_eq!(serde_json::to_string(&Origin::BuiltIn).unwrap(), "\"(built in)\"");
        assert_eq!(Origin::BuiltIn.file(), None);
    }
}
