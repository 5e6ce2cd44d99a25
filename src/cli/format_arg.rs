//! `--format FMT[=PATH]` as clap reads it: a report format of [`FORMATS`] and where it goes.
//! The names `--help`, the manual page and the shell completions offer come from the
//! registry, so a new format is listed everywhere by its one line there.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::document::diag::did_you_mean;
use crate::report::{FORMATS, Format};

/// A `--format` value: a format, written to `path` or, without one, to standard output.
#[derive(Debug, Clone)]
pub struct FormatArg {
    pub format: Format,
    pub path: Option<PathBuf>,
}

/// Parses `FMT` and `FMT=PATH`; the names it offers are those of [`FORMATS`].
#[derive(Debug, Clone, Copy)]
pub struct FormatParser;

impl TypedValueParser for FormatParser {
    type Value = FormatArg;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &OsStr) -> Result<FormatArg, clap::Error> {
        let value = value
            .to_str()
            .ok_or_else(|| clap::Error::new(ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        let (name, path) = match value.split_once('=') {
            Some((name, "")) => {
                let message = format!(
                    "--format {value}: the path is missing; write {name}=report.{name} to write a file, or {name} alone for standard output\n"
                );
                return Err(clap::Error::raw(ErrorKind::InvalidValue, message).with_cmd(cmd));
            }
            Some((name, path)) => (name, Some(PathBuf::from(path))),
            None => (value, None),
        };
        let Some(format) = FORMATS.iter().find(|f| f.name == name) else {
            let mut error = clap::Error::new(ErrorKind::InvalidValue).with_cmd(cmd);
            if let Some(arg) = arg {
                error.insert(ContextKind::InvalidArg, ContextValue::String(arg.to_string()));
            }
            error.insert(ContextKind::InvalidValue, ContextValue::String(name.to_owned()));
            let names = FORMATS.iter().map(|f| f.name.to_owned()).collect();
            error.insert(ContextKind::ValidValue, ContextValue::Strings(names));
            if let Some(close) = did_you_mean(name, FORMATS.iter().map(|f| f.name)) {
                error.insert(ContextKind::SuggestedValue, ContextValue::String(close.to_owned()));
            }
            return Err(error);
        };
        Ok(FormatArg { format: *format, path })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(FORMATS.iter().map(|f| PossibleValue::new(f.name))))
    }
}
