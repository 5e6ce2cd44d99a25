//! A snapshot of live sources named one by one (`--updatepack`, `--log`, ...) rather than
//! read from a manifest: paths as the user typed them, which reports show unchanged.

use std::path::PathBuf;

use super::by_name::ByName;

/// Live sources by name. Names are as rules use them (`updatepack`, `ServiceConnectionTool.log`).
#[derive(Debug, Clone, Default)]
pub struct LiveSources {
    /// Directories walked at check time.
    pub trees: ByName<PathBuf>,
    pub logs: ByName<PathBuf>,
    pub console: Option<PathBuf>,
    pub sites: Option<PathBuf>,
    pub allowlist: Option<PathBuf>,
    pub registry: Vec<PathBuf>,
}

impl LiveSources {
    pub fn is_empty(&self) -> bool {
        self.trees.is_empty()
            && self.logs.is_empty()
            && self.console.is_none()
            && self.sites.is_none()
            && self.allowlist.is_none()
            && self.registry.is_empty()
    }
}
