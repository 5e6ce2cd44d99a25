//! `--config FILE`: a site's standing choices, so a change window does not depend on
//! remembering flags. A config names extra rule files and param values:
//!
//! ```yaml
//! params:
//!   target_version: "2409"
//! rules:
//!   - site-rules/          # relative to this file
//! ```

use std::path::{Path, PathBuf};

use crate::document::diag::{Problem, SetupError, SourceFile};
use crate::document::fields::{Fields, Params, scalar_text};
use crate::document::yaml::{self, Value};
use crate::rules::{ParamOrigin, ParamOverride};

#[derive(Debug, Default)]
pub struct Config {
    pub params: Vec<ParamOverride>,
    pub rules: Vec<PathBuf>,
}

pub fn load(path: &Path) -> Result<Config, SetupError> {
    let bytes = crate::files::read_limited(path, crate::files::WHOLE_FILE_LIMIT)
        .map_err(|e| SetupError::message(format!("cannot read config {}: {e}", path.display())))?;
    parse(path, crate::document::text::decode(&bytes))
}

/// Reads a config's text; `path` names it and anchors the relative paths in it.
pub fn parse(path: &Path, text: String) -> Result<Config, SetupError> {
    let file = SourceFile::new(path.display().to_string(), text);
    let node = yaml::parse_file(&file).map_err(|p| vec![p])?;
    let Value::Map(entries) = &node.value else {
        return Err(vec![Problem::new(
            &file,
            node.span.clone(),
            "a config must be a mapping",
            format!("found {}", node.value.type_name()),
        )]
        .into());
    };
    let no_params = Params::new();
    let mut f = Fields::new(&file, entries, 0..0, &no_params);
    let params = f.map("params").unwrap_or_default();
    let rules = f.strings("rules").unwrap_or_default();
    let mut problems = f.finish("a config file");
    let base = path.parent().unwrap_or(Path::new("."));
    let mut config = Config {
        rules: rules.iter().map(|r| base.join(&r.value)).collect(),
        ..Config::default()
    };
    for (key, value) in params {
        let name = scalar_text(key).unwrap_or_default();
        match scalar_text(value) {
            Some(text) => config.params.push(ParamOverride {
                name,
                value: text,
                origin: ParamOrigin::File {
                    file: file.clone(),
                    span: key.span.clone(),
                },
            }),
            None => problems.push(Problem::new(
                &file,
                value.span.clone(),
                format!("param `{name}` must be a string or number"),
                format!("found {}", value.value.type_name()),
            )),
        }
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems.into())
    }
}
