//! Several snapshots in one `check`: the name each is reported under. A name is the
//! snapshot directory's name, as the user chose it for the site (`contoso`), and stays the
//! same from run to run, so it can key a SARIF category and a dashboard's suites. Two
//! directories of the same name (`contoso/snapshot`, `fabrikam/snapshot`) are told apart by
//! as many parent directories as it takes, never by the order they were given in.

use std::path::{Component, Path, PathBuf};

use crate::document::diag::SetupError;
use crate::snapshot::manifest::MANIFEST_NAME;

/// The names of the snapshots at `paths` (directories or manifests), unique, in order.
pub fn names(paths: &[PathBuf]) -> Result<Vec<String>, SetupError> {
    let parts: Vec<Vec<String>> = paths.iter().map(|p| components(p)).collect();
    for (i, a) in parts.iter().enumerate() {
        if let Some(j) = parts[..i].iter().position(|b| b == a) {
            return Err(SetupError::with_help(
                format!(
                    "the snapshot {} is given twice ({} and {})",
                    a.join("/"),
                    paths[j].display(),
                    paths[i].display()
                ),
                "give each snapshot once",
            ));
        }
    }
    let suffix = |p: &[String], n: usize| p[p.len().saturating_sub(n)..].join("/");
    Ok(parts
        .iter()
        .map(|mine| {
            let unique_at = (1..=mine.len()).find(|&n| {
                parts
                    .iter()
                    .filter(|other| *other != mine)
                    .all(|other| suffix(other, n) != suffix(mine, n))
            });
            suffix(mine, unique_at.unwrap_or(mine.len()))
        })
        .collect())
}

/// The snapshot's directory as absolute path components, without the manifest's own name.
fn components(path: &Path) -> Vec<String> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut parts: Vec<String> = Vec::new();
    for component in absolute.components() {
        match component {
            Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
        }
    }
    if parts
        .last()
        .is_some_and(|last| last.eq_ignore_ascii_case(MANIFEST_NAME))
    {
        parts.pop();
    }
    if parts.is_empty() {
        parts.push("snapshot".to_owned());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(paths: &[&str]) -> Vec<String> {
        names(&paths.iter().map(PathBuf::from).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn a_snapshot_is_named_by_its_directory() {
        assert_eq!(
            named(&[
                "/srv/sites/contoso",
                "/srv/sites/fabrikam/snapshot.yaml",
                "/srv/x/./tailspin/"
            ]),
            ["contoso", "fabrikam", "tailspin"]
        );
    }

    #[test]
    fn directories_of_one_name_are_told_apart_by_their_parents() {
        assert_eq!(
            named(&["/srv/contoso/snapshot", "/srv/fabrikam/snapshot", "/srv/tailspin"]),
            ["contoso/snapshot", "fabrikam/snapshot", "tailspin"]
        );
        // The same names whatever the order.
        assert_eq!(
            named(&["/srv/tailspin", "/srv/fabrikam/snapshot", "/srv/contoso/snapshot"]),
            ["tailspin", "fabrikam/snapshot", "contoso/snapshot"]
        );
    }

    #[test]
    fn a_snapshot_given_twice_is_refused() {
        let error = names(&[PathBuf::from("/srv/a"), PathBuf::from("/srv/a/snapshot.yaml")]);
        assert!(
            matches!(&error, Err(SetupError::Message { message, .. }) if message.contains("given twice")),
            "{error:?}"
        );
    }
}
