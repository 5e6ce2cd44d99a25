//! Where a SARIF result points: report paths (relative to the snapshot, or as given) turned
//! into URIs that GitHub resolves, relative to declared bases where possible.

use std::path::{Component, Path, PathBuf, Prefix};

use std::collections::BTreeMap;

use super::sarif::model::{ArtifactLocation, Location, Message, PhysicalLocation, Region, UriBase};
use crate::finding::{self, Report};

/// GitHub ignores `uriBaseId` and reads a relative URI as relative to the repository root,
/// which is where a pipeline runs sitelint: artifacts under the working directory get URIs
/// relative to it.
const WORKING_DIR_BASE: &str = "%SRCROOT%";
/// Artifacts outside the working directory (a snapshot on a USB drive) are relative to the
/// snapshot directory, or for live sources to the deepest directory that holds them all.
const SNAPSHOT_BASE: &str = "SNAPSHOT";

/// Turns report paths into SARIF artifact locations.
pub struct Uris {
    working_dir: PathBuf,
    /// The directory report paths are relative to: the snapshot's, or the working directory.
    report_base: PathBuf,
    /// The base for artifacts outside the working directory, with the description it gets.
    outside: Option<(PathBuf, &'static str)>,
}

impl Uris {
    pub fn new(report: &Report, working_dir: &Path) -> Uris {
        let working_dir = normalize(working_dir);
        let snapshot_dir = report
            .snapshot
            .path
            .as_deref()
            .map(|manifest| normalize(&working_dir.join(manifest).join("..")));
        let report_base = snapshot_dir.clone().unwrap_or_else(|| working_dir.clone());
        let outside = match snapshot_dir {
            Some(dir) => (!dir.starts_with(&working_dir)).then_some((dir, "The snapshot directory.")),
            None => {
                let paths = report
                    .findings
                    .iter()
                    .filter_map(|f| f.location.as_ref().map(|l| l.path.as_str()))
                    .chain(report.errors.iter().map(|e| e.path.as_str()))
                    .map(|p| normalize(&report_base.join(p)))
                    .filter(|p| !p.starts_with(&working_dir));
                common_ancestor(paths).map(|dir| {
                    (
                        dir,
                        "The deepest directory that holds every source named outside the working directory.",
                    )
                })
            }
        };
        Uris {
            working_dir,
            report_base,
            outside,
        }
    }

    pub fn working_dir_uri(&self) -> String {
        directory_uri(&self.working_dir)
    }

    pub fn bases(&self) -> BTreeMap<&'static str, UriBase> {
        let base = |uri: String, description: &str| UriBase {
            description: Message {
                text: description.to_owned(),
            },
            uri,
        };
        let mut bases = BTreeMap::from([(
            WORKING_DIR_BASE,
            base(self.working_dir_uri(), "The directory sitelint ran in."),
        )]);
        if let Some((dir, description)) = &self.outside {
            bases.insert(SNAPSHOT_BASE, base(directory_uri(dir), description));
        }
        bases
    }

    pub fn artifact(&self, path: &str) -> ArtifactLocation {
        let absolute = normalize(&self.report_base.join(path));
        let relative_to = |base: &'static str, relative: &Path| ArtifactLocation {
            uri: relative_uri(relative),
            uri_base_id: Some(base),
        };
        if let Ok(relative) = absolute.strip_prefix(&self.working_dir) {
            return relative_to(WORKING_DIR_BASE, relative);
        }
        match &self.outside {
            Some((dir, _)) if absolute.starts_with(dir) => {
                relative_to(SNAPSHOT_BASE, absolute.strip_prefix(dir).unwrap_or(&absolute))
            }
            // Sources on two Windows drives share no directory: only an absolute URI names both.
            _ => ArtifactLocation {
                uri: file_uri(&absolute),
                uri_base_id: None,
            },
        }
    }

    pub fn location(&self, location: &finding::Location) -> Location {
        // A whole file (the artifact that shows an absence) is a region of all its bytes:
        // GitHub then shows a file-level alert instead of pinning it to line 1.
        let (byte_offset, byte_length) = match (location.byte_offset, location.byte_length) {
            (Some(offset), Some(length)) => (Some(offset), Some(length)),
            _ => (None, None),
        };
        let region = Region {
            byte_length,
            byte_offset,
            end_column: location.end_column,
            end_line: location.line,
            start_column: location.column,
            start_line: location.line,
        };
        let any = [
            region.byte_length,
            region.end_column,
            region.start_column,
            region.start_line,
        ]
        .iter()
        .any(Option::is_some);
        Location {
            physical_location: PhysicalLocation {
                artifact_location: self.artifact(&location.path),
                region: any.then_some(region),
            },
        }
    }
}

/// Resolves `.` and `..` without touching the file system: the report describes paths as
/// given, and a snapshot read on another machine need not exist here.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn common_ancestor(mut paths: impl Iterator<Item = PathBuf>) -> Option<PathBuf> {
    let first = paths.next()?;
    // A file's ancestor is its directory, even when it is the only path.
    let mut common = first.parent()?.to_path_buf();
    for path in paths {
        while !path.starts_with(&common) {
            if !common.pop() {
                return None;
            }
        }
    }
    // A bare root (`/`, `C:\`) is a directory too, but an empty path is no ancestor.
    (common.components().next().is_some()).then_some(common)
}

fn relative_uri(relative: &Path) -> String {
    let segments: Vec<String> = relative
        .components()
        .map(|c| encode(&c.as_os_str().to_string_lossy()))
        .collect();
    segments.join("/")
}

fn directory_uri(dir: &Path) -> String {
    let mut uri = file_uri(dir);
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// `file:///home/a`, `file:///C:/a`, `file://server/share/a`.
fn file_uri(absolute: &Path) -> String {
    let mut uri = String::from("file://");
    for component in absolute.components() {
        match component {
            Component::Prefix(prefix) => match prefix.kind() {
                Prefix::Disk(drive) | Prefix::VerbatimDisk(drive) => {
                    uri.push('/');
                    uri.push(char::from(drive));
                    uri.push(':');
                }
                Prefix::UNC(server, share) | Prefix::VerbatimUNC(server, share) => {
                    uri.push_str(&encode(&server.to_string_lossy()));
                    uri.push('/');
                    uri.push_str(&encode(&share.to_string_lossy()));
                }
                Prefix::Verbatim(_) | Prefix::DeviceNS(_) => {}
            },
            Component::RootDir | Component::CurDir | Component::ParentDir => {}
            Component::Normal(name) => {
                uri.push('/');
                uri.push_str(&encode(&name.to_string_lossy()));
            }
        }
    }
    if uri == "file://" {
        uri.push('/');
    }
    uri
}

/// Percent-encodes one path segment (RFC 3986), keeping what is plain in a path. `:` is
/// encoded so that a relative URI never reads as one with a scheme.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_encode_what_a_windows_path_may_hold() {
        assert_eq!(encode("Update Pack #1 (ü).cab"), "Update%20Pack%20%231%20(%C3%BC).cab");
        assert_eq!(encode("C:x"), "C%3Ax");
        assert_eq!(file_uri(Path::new("/srv/snap shots/a")), "file:///srv/snap%20shots/a");
        assert_eq!(directory_uri(Path::new("/")), "file:///");
    }

    /// Drive letters and UNC shares are path prefixes only on Windows.
    #[cfg(windows)]
    #[test]
    fn windows_paths_become_file_uris_with_drive_or_server() {
        assert_eq!(
            file_uri(Path::new(r"D:\USB\UpdatePacks\3B7D\Redist\a b.msi")),
            "file:///D:/USB/UpdatePacks/3B7D/Redist/a%20b.msi"
        );
        assert_eq!(
            file_uri(Path::new(r"\\server\share\UpdatePacks\a.cab")),
            "file://server/share/UpdatePacks/a.cab"
        );
        assert_eq!(directory_uri(Path::new(r"C:\")), "file:///C:/");
        let paths = [r"\\server\share\packs\a.cab", r"\\server\share\logs\SCT.log"].map(PathBuf::from);
        assert_eq!(
            common_ancestor(paths.into_iter()),
            Some(PathBuf::from(r"\\server\share\"))
        );
        let two_drives = [r"C:\logs\a.log", r"D:\packs\b.cab"].map(PathBuf::from);
        assert_eq!(common_ancestor(two_drives.into_iter()), None);
    }

    #[test]
    fn normalize_resolves_dots_lexically() {
        assert_eq!(
            normalize(Path::new("/w/./snap/../x/snapshot.yaml")),
            PathBuf::from("/w/x/snapshot.yaml")
        );
    }

    #[test]
    fn common_ancestor_of_sources_outside_the_working_directory() {
        let paths = ["/mnt/usb/packs/a/x.cab", "/mnt/usb/logs/ServiceConnectionTool.log"].map(PathBuf::from);
        assert_eq!(common_ancestor(paths.into_iter()), Some(PathBuf::from("/mnt/usb")));
        let one = [PathBuf::from("/mnt/usb/ServiceConnectionTool.log")];
        assert_eq!(common_ancestor(one.into_iter()), Some(PathBuf::from("/mnt/usb")));
    }
}
