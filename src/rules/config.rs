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

use crate::document::diag::{SetupError, SourceFile};
use crate::document::fields::{Fields, mapping};
use crate::document::yaml;
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
    let entries = mapping(&file, &node, "a config", "start with `params:` or `rules:`").map_err(|p| vec![p])?;
    let mut f = Fields::new(&file, entries, 0..0);
    let params = f.scalar_map("params");
    let rules = f.strings("rules").unwrap_or_default();
    let problems = f.finish("a config file");
    if !problems.is_empty() {
        return Err(problems.into());
    }
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(Config {
        rules: rules.iter().map(|r| base.join(&r.value)).collect(),
        params: params
            .into_iter()
            .map(|(name, value)| ParamOverride {
                name: name.value,
                value,
                origin: ParamOrigin::File {
                    file: file.clone(),
                    span: name.span,
                },
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_paths_are_relative_to_the_config_and_params_keep_their_place() {
        let text = "# Contoso's standing choices\nparams:\n  target_version: 2409\nrules:\n  - site-rules/\n";
        let config = parse(Path::new("ops/sitelint.yaml"), text.to_owned()).unwrap();
        assert_eq!(config.rules, [Path::new("ops").join("site-rules/")]);
        let [param] = config.params.as_slice() else {
            panic!("one param: {:?}", config.params);
        };
        assert_eq!((param.name.as_str(), param.value.as_str()), ("target_version", "2409"));
        let ParamOrigin::File { file, span } = &param.origin else {
            panic!("from the file: {:?}", param.origin);
        };
        assert_eq!(file.line_column(span.start), (3, 3));
    }

    #[test]
    fn mistakes_are_all_reported_with_a_suggestion() {
        let text = "parms:\n  target_version: 2409\nparams:\n  odbc_installer: [a, b]\n";
        let Err(SetupError::Problems(problems)) = parse(Path::new("sitelint.yaml"), text.to_owned()) else {
            panic!("the config has mistakes");
        };
        let found: Vec<(String, Option<String>)> =
            problems.iter().map(|p| (p.message.clone(), p.help.clone())).collect();
        assert_eq!(
            found,
            [
                ("`odbc_installer` must be a string or number".to_owned(), None),
                (
                    "unknown field `parms` in a config file".to_owned(),
                    Some("did you mean `params`?".to_owned())
                ),
            ]
        );
    }
}
