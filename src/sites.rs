//! Several snapshots in one `check`: the name each is reported under. A name is the
//! snapshot directory's name, as the user chose it for the site (`contoso`), and nothing else:
//! not the other snapshots given with it, not their order. So it stays the same from run to
//! run and can key a SARIF category, a dashboard's suites and the baseline. Two snapshots of
//! one name (`contoso/snapshot`, `fabrikam/snapshot`) are refused: told apart by their parent
//! directories, a name would change with the company it keeps (`x/snap` alone is `snap`,
//! beside `y/snap` it was `x/snap`), and a baseline matched by it would compare one site's
//! snapshot with another's.

use std::path::{Component, Path, PathBuf};

use crate::document::diag::SetupError;
use crate::snapshot::manifest_file::MANIFEST_NAME;

/// The names of the snapshots at `paths` (directories or manifests), unique, in order.
pub fn names(paths: &[PathBuf]) -> Result<Vec<String>, SetupError> {
    let parts: Vec<Vec<String>> = paths.iter().map(|p| components(p)).collect();
    let names: Vec<String> = parts.iter().map(|p| p.last().cloned().unwrap_or_default()).collect();
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
        // Not by case alone: Windows folders are not told apart by it, and reports are read there.
        if let Some(j) = names[..i]
            .iter()
            .position(|n| n.to_lowercase() == names[i].to_lowercase())
        {
            return Err(SetupError::with_help(
                format!(
                    "two snapshots are named `{}` ({} and {}): a snapshot is named by its folder",
                    names[i],
                    paths[j].display(),
                    paths[i].display()
                ),
                "give each site's snapshot a folder of its own name (contoso, fabrikam), or check them in separate runs",
            ));
        }
    }
    Ok(names)
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

    /// Issue 35 (M4): a name does not depend on the other snapshots given, so two of one
    /// name are refused rather than told apart by their parents.
    #[test]
    fn a_name_is_the_folder_whatever_else_is_given() {
        assert_eq!(named(&["/srv/x/snap", "/srv/z"]), ["snap", "z"]);
        assert_eq!(named(&["/srv/z", "/srv/x/snap"]), ["z", "snap"]);
        let error = names(&[PathBuf::from("/srv/x/snap"), PathBuf::from("/srv/y/Snap")]);
        assert!(
            matches!(&error, Err(SetupError::Message { message, .. }) if message.contains("two snapshots are named `Snap`")),
            "{error:?}"
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
