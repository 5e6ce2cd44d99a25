//! The `snapshot.yaml` that `collect` writes: what the snapshot holds, where each part came
//! from, when and on which machine.

use std::fmt::Write as _;
use std::fs;
use std::time::SystemTime;

use crate::document::date::rfc3339;
use crate::sources::stage::{Entry, Key, Value};

/// The manifest `collect` writes: each source's parts under its key, and where each came
/// from.
pub(super) struct Manifest {
    /// Each source's key and the lines under it, in the order the sources are listed, so that
    /// a part recorded late (the probes, under `endpoints`) still goes under its source.
    sections: Vec<(&'static str, Vec<Entry>)>,
    /// What each part was read from, or how it was made, in the order written.
    pub(super) collected_from: Vec<(Key, String)>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            sections: crate::sources::manifest_sections()
                .map(|key| (key, Vec::new()))
                .collect(),
            collected_from: Vec::new(),
        }
    }
}

impl Manifest {
    pub(super) fn record(&mut self, section: &'static str, entry: Entry) {
        debug_assert!(
            self.sections.iter().any(|(key, _)| *key == section),
            "`{section}` is no source's manifest key"
        );
        match self.sections.iter_mut().find(|(key, _)| *key == section) {
            Some((_, entries)) => entries.push(entry),
            None => self.sections.push((section, vec![entry])),
        }
    }

    pub(super) fn render(&self) -> String {
        let mut y = String::new();
        let _ = writeln!(y, "# Written by `sitelint collect`. Paths are relative to this file.");
        let _ = writeln!(y, "sitelint_snapshot: 1");
        let _ = writeln!(y, "collected_at: {}", quote(&rfc3339(SystemTime::now())));
        let _ = writeln!(y, "host: {}", quote(&host_name()));
        let _ = writeln!(y, "sitelint_version: {}", quote(env!("CARGO_PKG_VERSION")));
        for (section, entries) in self.sections.iter().filter(|(_, entries)| !entries.is_empty()) {
            let _ = writeln!(y, "{section}:");
            for entry in entries {
                let key = key(&entry.key);
                let value = match &entry.value {
                    Value::Path(path) => quote(path),
                    Value::Listing(path) => format!("{{listing: {}}}", quote(path)),
                };
                let _ = writeln!(y, "  {key}{value}");
            }
        }
        let _ = writeln!(y, "collected_from:");
        for (source, from) in &self.collected_from {
            let _ = writeln!(y, "  {}{}", key(source), quote(from));
        }
        y
    }
}

/// A line's key: a source's own as it is, a name chosen by the user quoted, or a list item.
fn key(key: &Key) -> String {
    match key {
        Key::Fixed(key) => format!("{key}: "),
        Key::Name(name) => format!("{}: ", quote(name)),
        Key::Item => "- ".to_owned(),
    }
}

/// A scalar single-quoted, where a backslash is itself: a Windows path reads as it was given.
/// Text with control characters, which single quotes cannot hold, is written as a JSON
/// string, which YAML reads as a double-quoted scalar.
fn quote(text: &str) -> String {
    if text.chars().any(char::is_control) {
        serde_json::Value::from(text).to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
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
