//! The `snapshot.yaml` that `collect` writes: what the snapshot holds, where each part came
//! from, when and on which machine.

use std::fmt::Write as _;
use std::fs;
use std::time::SystemTime;

use crate::document::date::rfc3339;
use crate::snapshot::Artifact;

/// Where a source was read from, as an absolute path, for the manifest's `collected_from`.
pub(super) fn origin(artifact: &Artifact) -> String {
    std::path::absolute(&artifact.path)
        .unwrap_or_else(|_| artifact.path.clone())
        .display()
        .to_string()
}

/// The manifest `collect` writes: the parts, and where each came from.
#[derive(Default)]
pub(super) struct Manifest {
    pub(super) trees: Vec<(String, String, String)>,
    pub(super) logs: Vec<(String, String, String)>,
    pub(super) console: Option<String>,
    pub(super) allowlist: Option<String>,
    /// Each registry export: its copy, and where it came from.
    pub(super) registry: Vec<(String, String)>,
    /// How the probes were made.
    pub(super) probes: Option<String>,
    pub(super) hashed: bool,
}

impl Manifest {
    pub(super) fn render(&self) -> String {
        // Scalars are single-quoted, where a backslash is itself: a Windows path reads as it
        // was given. Text with control characters, which single quotes cannot hold, is
        // written as a JSON string, which YAML reads as a double-quoted scalar.
        let q = |s: &str| {
            if s.chars().any(char::is_control) {
                serde_json::Value::from(s).to_string()
            } else {
                format!("'{}'", s.replace('\'', "''"))
            }
        };
        let mut y = String::new();
        let _ = writeln!(y, "# Written by `sitelint collect`. Paths are relative to this file.");
        let _ = writeln!(y, "sitelint_snapshot: 1");
        let _ = writeln!(y, "collected_at: {}", q(&rfc3339(SystemTime::now())));
        let _ = writeln!(y, "host: {}", q(&host_name()));
        let _ = writeln!(y, "sitelint_version: {}", q(env!("CARGO_PKG_VERSION")));
        if !self.trees.is_empty() {
            let _ = writeln!(y, "trees:");
            for (name, listing, _) in &self.trees {
                let _ = writeln!(y, "  {}: {{listing: {}}}", q(name), q(listing));
            }
        }
        if !self.logs.is_empty() {
            let _ = writeln!(y, "logs:");
            for (name, copy, _) in &self.logs {
                let _ = writeln!(y, "  {}: {}", q(name), q(copy));
            }
        }
        if self.console.is_some() {
            let _ = writeln!(y, "console:\n  updates: \"console/updates.json\"");
        }
        if self.allowlist.is_some() || self.probes.is_some() {
            let _ = writeln!(y, "endpoints:");
            if self.allowlist.is_some() {
                let _ = writeln!(y, "  allowlist: \"network/allowlist.txt\"");
            }
            if self.probes.is_some() {
                let _ = writeln!(y, "  probes: \"network/probes.json\"");
            }
        }
        if !self.registry.is_empty() {
            let _ = writeln!(y, "registry:");
            for (copy, _) in &self.registry {
                let _ = writeln!(y, "  - {}", q(copy));
            }
        }
        let _ = writeln!(y, "collected_from:");
        for (name, _, from) in &self.trees {
            let _ = writeln!(y, "  {}: {}", q(&format!("tree {name}")), q(from));
        }
        if !self.trees.is_empty() {
            let _ = writeln!(y, "  tree hashes: {}", q(if self.hashed { "sha256" } else { "none" }));
        }
        for (name, _, from) in &self.logs {
            let _ = writeln!(y, "  {}: {}", q(&format!("log {name}")), q(from));
        }
        if let Some(from) = &self.console {
            let _ = writeln!(y, "  console export: {}", q(from));
        }
        if let Some(from) = &self.allowlist {
            let _ = writeln!(y, "  allowlist: {}", q(from));
        }
        for (copy, from) in &self.registry {
            let _ = writeln!(y, "  {}: {}", q(copy), q(from));
        }
        if let Some(how) = &self.probes {
            let _ = writeln!(y, "  probes: {}", q(how));
        }
        y
    }
}

/// The machine's name: `COMPUTERNAME` on Windows, the kernel's host name elsewhere.
fn host_name() -> String {
    let from_env = ["COMPUTERNAME", "HOSTNAME"].iter().find_map(|v| std::env::var(v).ok());
    let from_file = || {
        ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .find_map(|p| fs::read_to_string(p).ok())
    };
    from_env
        .or_else(from_file)
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
