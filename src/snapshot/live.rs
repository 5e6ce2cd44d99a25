//! A snapshot of live sources named one by one (`--updatepack`, `--log`, ...) rather than
//! read from a manifest: paths as the user typed them, which reports show unchanged.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Artifact, Snapshot, TreeSource};
use crate::document::diag::SetupError;

/// Live sources by name. Names are as rules use them (`updatepack`, `ServiceConnectionTool.log`).
#[derive(Debug, Clone, Default)]
pub struct LiveSources {
    /// Directories walked at check time.
    pub trees: Vec<(String, PathBuf)>,
    pub logs: Vec<(String, PathBuf)>,
    pub console: Option<PathBuf>,
    pub allowlist: Option<PathBuf>,
    pub registry: Vec<PathBuf>,
}

impl LiveSources {
    pub fn is_empty(&self) -> bool {
        self.trees.is_empty()
            && self.logs.is_empty()
            && self.console.is_none()
            && self.allowlist.is_none()
            && self.registry.is_empty()
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            trees: self
                .trees
                .iter()
                .map(|(name, dir)| (name.clone(), TreeSource::Live(Artifact::given(dir))))
                .collect(),
            logs: self
                .logs
                .iter()
                .map(|(name, path)| (name.clone(), Artifact::given(path)))
                .collect(),
            console: self.console.as_deref().map(Artifact::given),
            allowlist: self.allowlist.as_deref().map(Artifact::given),
            registry: self.registry.iter().map(|p| Artifact::given(p)).collect(),
            ..Snapshot::default()
        }
    }

    /// The first source named on the command line that is of the wrong type (a file given as a
    /// directory, a directory as a file, a JSON file as the allowlist): one error naming the
    /// flag and what it wants, before anything is evaluated. Otherwise a file given to
    /// `--updatepack` left every rule not evaluated before a last line blamed "tree X", and a
    /// JSON file given as the allowlist was read as 50 bad host names.
    pub fn wrong_type(&self) -> Option<SetupError> {
        let wrong = |flag: String, path: &Path, what: &str, wants: &str| {
            Some(SetupError::with_help(
                format!("{flag} {}: {what}", path.display()),
                format!("{flag} wants {wants}"),
            ))
        };
        for (name, dir) in &self.trees {
            let flag = if name == "updatepack" {
                "--updatepack".to_owned()
            } else {
                format!("--tree {name}=")
            };
            if dir.exists() && !dir.is_dir() {
                return wrong(
                    flag,
                    dir,
                    "is a file, not a directory",
                    "a directory, e.g. the folder ServiceConnectionTool.exe -download wrote (D:\\USB\\UpdatePacks)",
                );
            }
        }
        let files = self
            .logs
            .iter()
            .map(|(_, path)| ("--log", path, "a log file, e.g. C:\\ConfigMgrSetup.log"))
            .chain(self.console.iter().map(|path| {
                (
                    "--console-updates",
                    path,
                    "the file of Get-CMSiteUpdate -Fast | ConvertTo-Json > updates.json",
                )
            }))
            .chain(self.allowlist.iter().map(|path| {
                (
                    "--endpoints-allowlist",
                    path,
                    "a text file of the hosts the proxy allows, one a line",
                )
            }));
        for (flag, path, wants) in files {
            if path.is_dir() {
                return wrong(flag.to_owned(), path, "is a directory, not a file", wants);
            }
        }
        let allowlist = self.allowlist.as_ref().filter(|path| looks_like_json(path))?;
        wrong(
            "--endpoints-allowlist".to_owned(),
            allowlist,
            "is JSON, not a list of hosts",
            "a text file of the hosts the proxy allows, one a line (# starts a comment)",
        )
    }
}

/// Whether a file starts, after a byte-order mark and blanks, with `{` or `[`: no host name
/// does, and a JSON export is the likeliest wrong file to hand over.
fn looks_like_json(path: &Path) -> bool {
    let mut head = Vec::new();
    let read = std::fs::File::open(path).and_then(|file| file.take(4096).read_to_end(&mut head));
    if read.is_err() {
        return false;
    }
    let text = crate::document::text::decode(&head, None).text;
    text.trim_start_matches('\u{feff}').trim_start().starts_with(['{', '['])
}
