//! The command-line flags that name a source: how a flag's value becomes a live path, and how
//! the flags are named in errors and hints.

use std::ffi::OsStr;
use std::path::PathBuf;

use crate::document::diag::SetupError;

/// A command-line flag that names a source.
pub struct Flag {
    /// The long name, without `--`: `tree`, `console-updates`.
    pub long: &'static str,
    /// How `--help` names its value: `DIR`, `NAME=DIR`, `[NAME=]PATH`.
    pub value_name: &'static str,
    /// Its line in `--help`, as clap shows a doc comment: no final period.
    pub help: &'static str,
    pub takes: Takes,
    /// It may be given more than once, each time for one more path.
    pub repeated: bool,
}

/// How the value of a flag becomes a live path.
pub enum Takes {
    /// A path, as typed: `--console-updates FILE`.
    Path,
    /// A path, as the instance of this name: `--updatepack DIR` is the tree `updatepack`.
    PathNamed(&'static str),
    /// `NAME=PATH`; the example is the help of the error for a value without a name.
    Named { example: &'static str },
    /// `[NAME=]PATH`, named by its file name when no name is given.
    NamedOrFileName,
}

/// A path given to a source's flag, with the name of the instance it is for, if any.
pub struct Given {
    pub name: Option<String>,
    pub path: PathBuf,
}

impl Flag {
    /// The flag as typed: `--tree`.
    pub fn arg(&self) -> String {
        format!("--{}", self.long)
    }

    /// Its value is a path as typed (any bytes), not text to split at `=`.
    pub fn takes_path(&self) -> bool {
        matches!(self.takes, Takes::Path | Takes::PathNamed(_))
    }

    /// The path a value of this flag names, and for which instance.
    pub fn given(&self, value: &OsStr) -> Result<Given, SetupError> {
        let path_as = |name: Option<&str>| Given {
            name: name.map(str::to_owned),
            path: PathBuf::from(value),
        };
        let example = match &self.takes {
            Takes::Path => return Ok(path_as(None)),
            Takes::PathNamed(name) => return Ok(path_as(Some(*name))),
            Takes::Named { example } => Some(example),
            Takes::NamedOrFileName => None,
        };
        // clap has checked the values of the flags that do not take a path to be UTF-8.
        let item = value.to_string_lossy();
        let (name, path) = match (named(&item), example) {
            (Some(named), _) => named,
            (None, None) => (file_name(&item), &*item),
            (None, Some(example)) => {
                return Err(SetupError::with_help(
                    format!("{} {item}: expected {}", self.arg(), self.value_name),
                    format!("for example {} {example}", self.arg()),
                ));
            }
        };
        Ok(Given {
            name: Some(name.to_owned()),
            path: PathBuf::from(path),
        })
    }
}

/// `NAME=PATH`, where NAME holds no path characters (so `C:\\a=b` stays a path).
fn named(item: &str) -> Option<(&str, &str)> {
    let (name, path) = item.split_once('=')?;
    let plain = !name.is_empty() && !name.contains(['/', '\\', ':']);
    plain.then_some((name, path))
}

/// The last part of a path, by either separator: a Windows path typed on Linux keeps its
/// backslashes.
pub(super) fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The flags of a source as the reason of a rule not evaluated for want of it names them:
/// `--tree or --updatepack`.
pub(super) fn flag_hint(flags: &[Flag]) -> String {
    let args: Vec<String> = flags.iter().map(Flag::arg).collect();
    args.join(" or ")
}

/// `--tree` and friends as one error: the flag and the path, what it is, and what it wants.
pub(super) fn wrong(flag: &str, path: &std::path::Path, what: &str, wants: &str) -> Option<SetupError> {
    Some(SetupError::with_help(
        format!("{flag} {}: {what}", path.display()),
        format!("{flag} wants {wants}"),
    ))
}
