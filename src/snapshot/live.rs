//! A snapshot of live sources named one by one (`--updatepack`, `--log`, ...) rather than
//! read from a manifest: paths as the user typed them, which reports show unchanged.

use std::path::PathBuf;

use super::by_name::BySource;

/// Live sources, under each source's key as its parts are in a snapshot. Names are as rules
/// use them (`updatepack`, `ServiceConnectionTool.log`).
pub type LiveSources = BySource<PathBuf>;
