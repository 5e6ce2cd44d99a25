//! Finding `sitelint.yaml`: in the working directory or the nearest parent that has one, no
//! further than git would look, so that a stranger cannot plant the config a run obeys.

use std::path::{Path, PathBuf};

use super::CONFIG_NAME;

/// What the search for a config found: the config in the working directory or its nearest
/// parent that has one, named relative to the working directory (`sitelint.yaml`,
/// `../sitelint.yaml`) as reports show it; or, when none was found, where the search stopped
/// before the root and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    Found(PathBuf),
    None { stopped: Option<(PathBuf, &'static str)> },
}

impl Discovery {
    pub fn path(&self) -> Option<&Path> {
        match self {
            Discovery::Found(path) => Some(path),
            Discovery::None { .. } => None,
        }
    }
}

/// Looks for a config from `cwd` up, stopping where git stops (`safe.directory`): a config
/// decides what a run reports, so a stranger must not be able to plant one above the user's
/// folder (`/tmp/sitelint.yaml`, the root of a shared USB stick). On Unix the search ends at a
/// directory the current user does not own, at one anyone may write to, and at a filesystem
/// boundary. On Windows, where an
/// owner is a security identifier that only the Win32 security API tells (which sitelint does
/// not call, as it uses no unsafe code), the search ends before the root of the volume: the
/// root of a drive or a share is the place every user, and every stick, shares.
pub fn discover(cwd: &Path) -> Discovery {
    let start = Boundary::of(cwd);
    for (depth, dir) in cwd.ancestors().enumerate() {
        if let Some(why) = start.as_ref().map_or(Some("it cannot be read"), |s| s.ends_at(dir)) {
            return Discovery::None {
                stopped: Some((dir.to_owned(), why)),
            };
        }
        // Any entry of that name, not only a regular file: a link that leads nowhere, a
        // directory or a FIFO named sitelint.yaml is found, and reading it then fails in
        // words (exit 2). Passed over, the site's `fail-on` and rules would be lost silently.
        if dir.join(CONFIG_NAME).symlink_metadata().is_ok() {
            let mut relative: PathBuf = std::iter::repeat_n("..", depth).collect();
            relative.push(CONFIG_NAME);
            return Discovery::Found(relative);
        }
    }
    Discovery::None { stopped: None }
}

/// What a directory must share with the working directory for the search to go on into it.
#[cfg(unix)]
struct Boundary {
    user: u32,
    device: u64,
}

#[cfg(unix)]
impl Boundary {
    fn of(cwd: &Path) -> Option<Boundary> {
        use std::os::unix::fs::MetadataExt;
        let device = std::fs::metadata(cwd).ok()?.dev();
        Some(Boundary {
            user: rustix::process::geteuid().as_raw(),
            device,
        })
    }

    fn ends_at(&self, dir: &Path) -> Option<&'static str> {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(dir) else {
            return Some("it cannot be read");
        };
        if meta.dev() != self.device {
            Some("it is on another filesystem")
        } else if meta.uid() != self.user {
            Some("it is owned by another user")
        } else if meta.mode() & 0o002 != 0 {
            // `/tmp` is root's, and root may run sitelint: anyone may write there all the same.
            Some("anyone may write to it")
        } else {
            None
        }
    }
}

#[cfg(not(unix))]
struct Boundary;

#[cfg(not(unix))]
impl Boundary {
    fn of(_: &Path) -> Option<Boundary> {
        Some(Boundary)
    }

    fn ends_at(&self, dir: &Path) -> Option<&'static str> {
        dir.parent().is_none().then_some("it is the root of the volume")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_is_found_here_or_in_the_nearest_parent() {
        let dir = tempfile::tempdir().unwrap();
        let below = dir.path().join("site/snapshots");
        std::fs::create_dir_all(&below).unwrap();
        assert_eq!(discover(&below).path(), None);
        std::fs::write(dir.path().join(CONFIG_NAME), "").unwrap();
        assert_eq!(
            discover(&below).path(),
            Some(Path::new("../..").join(CONFIG_NAME).as_path())
        );
        std::fs::write(below.join(CONFIG_NAME), "").unwrap();
        assert_eq!(discover(&below).path(), Some(Path::new(CONFIG_NAME)));
    }

    /// Issue 35 (M3): a dangling link, a directory or a FIFO named sitelint.yaml is found (and
    /// refused when read), never passed over for one further up or for none.
    #[cfg(unix)]
    #[test]
    fn a_config_that_is_not_a_file_is_found_all_the_same() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_NAME), "").unwrap();
        let here = dir.path().join("site");
        std::fs::create_dir(&here).unwrap();
        let config = here.join(CONFIG_NAME);
        std::os::unix::fs::symlink(here.join("gone.yaml"), &config).unwrap();
        assert_eq!(discover(&here).path(), Some(Path::new(CONFIG_NAME)));
        std::fs::remove_file(&config).unwrap();
        std::fs::create_dir(&config).unwrap();
        assert_eq!(discover(&here).path(), Some(Path::new(CONFIG_NAME)));
    }

    /// `/dev/shm` is a filesystem of its own where it exists: reached through a link, the
    /// search goes up the link's path and must stop where the filesystem changes.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_search_stops_at_a_filesystem_boundary() {
        use std::os::unix::fs::MetadataExt;
        let here = tempfile::tempdir().unwrap();
        let Ok(other) = tempfile::tempdir_in("/dev/shm") else {
            return;
        };
        let device = |p: &Path| std::fs::metadata(p).unwrap().dev();
        if device(here.path()) == device(other.path()) {
            return;
        }
        std::fs::write(here.path().join(CONFIG_NAME), "").unwrap();
        std::os::unix::fs::symlink(other.path(), here.path().join("mounted")).unwrap();
        let below = here.path().join("mounted");
        assert_eq!(
            discover(&below),
            Discovery::None {
                stopped: Some((here.path().to_owned(), "it is on another filesystem"))
            }
        );
    }

    #[cfg(not(unix))]
    #[test]
    fn the_search_stops_before_the_root_of_the_volume() {
        let root = Path::new("C:\\");
        assert_eq!(
            discover(&root.join("site")),
            Discovery::None {
                stopped: Some((root.to_owned(), "it is the root of the volume"))
            }
        );
    }
}
