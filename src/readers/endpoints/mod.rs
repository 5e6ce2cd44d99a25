//! Internet endpoints: the hosts a rule requires, the allowlist a proxy or firewall enforces,
//! and the results of probing them.
//!
//! A URL counts as its host. An allowlist entry `*.example.com` allows every host that ends in
//! `.example.com`, at any depth, but not `example.com` itself. A required wildcard is covered
//! only by an entry that allows every host it can stand for; a probe counts for the host and
//! port it probed, and decides over the allowlist where both speak of an endpoint.

mod host;
mod probes;

pub use host::{HostError, HostPattern};
pub use probes::{Certificate, PROXY_FAILED, Probe, ProbesError, Tls, parse_probes};

use crate::finding::Location;

/// An endpoint a rule requires: a host or wildcard, the port a probe connects to, and for a
/// wildcard the concrete host that a probe tries in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    pub pattern: HostPattern,
    pub port: u16,
    pub probe_host: Option<String>,
}

/// The port an endpoint is probed on unless it names one.
pub const HTTPS_PORT: u16 = 443;

impl Required {
    /// The endpoint as people name it: `host`, or `host:port` when the port is not 443, so
    /// that two ports of one host are two findings, each saying which.
    pub fn name(&self) -> String {
        if self.port == HTTPS_PORT {
            self.pattern.to_string()
        } else {
            format!("{}:{}", self.pattern, self.port)
        }
    }

    /// The host a probe connects to, if there is one.
    pub fn probe_target(&self) -> Option<&str> {
        match &self.pattern {
            HostPattern::Exact(host) => Some(host),
            HostPattern::Wildcard { .. } => self.probe_host.as_deref(),
        }
    }
}

/// An allowlist entry and the line it came from.
#[derive(Debug, Clone)]
pub struct AllowEntry {
    pub pattern: HostPattern,
    pub line: u64,
}

/// Parses an allowlist: one host per line, `#` comments, URLs reduced to hosts. Entries may
/// also be separated by `;` or `,` as in a WinHTTP proxy bypass list; `<local>` is skipped.
/// Returns the entries and one message per line that holds no host.
pub fn parse_allowlist(text: &str) -> (Vec<AllowEntry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index as u64 + 1;
        let content = line.split('#').next().unwrap_or("");
        for item in content
            .split([';', ',', ' ', '\t'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if item.eq_ignore_ascii_case("<local>") {
                continue;
            }
            match HostPattern::parse(item) {
                Ok(pattern) => entries.push(AllowEntry { pattern, line: line_no }),
                Err(e) => errors.push(format!("line {line_no}: {e}")),
            }
        }
    }
    (entries, errors)
}

/// Everything known about the network of the machine that downloads.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    /// The allowlist's entries, and the whole allowlist file.
    pub allowlist: Option<(Location, Vec<AllowEntry>)>,
    /// The probe results, and the whole probes file.
    pub probes: Option<(Location, Vec<Probe>)>,
}

/// Whether a required endpoint is covered, and by what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// The allowlist allows it, and no probe observed it.
    Allowed {
        line: u64,
    },
    Reachable,
    /// Its probe failed (why); the allowlist claims it allowed (the entry's line) or not.
    /// `at_proxy`: the proxy, not the endpoint, failed, and so it fails every endpoint alike.
    ProbeFailed {
        failure: String,
        allowed: Option<u64>,
        at_proxy: Option<ProxyFailure>,
    },
    /// Neither allowed by an allowlist nor reached by a probe; `probed` says whether there
    /// were probe results at all.
    Missing {
        probed: bool,
    },
    /// No allowlist, and the probe could not be made (why).
    NotProbed(String),
    /// The host was reached, but its TLS did not hold (why, in words).
    TlsFailed(String),
}

/// A probe that failed at the proxy: the proxy (`proxy host:port`) and why, as the probe
/// recorded it after [`PROXY_FAILED`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProxyFailure {
    pub proxy: String,
    pub why: String,
}

impl Endpoints {
    /// A probe is an observation and the allowlist a claim: where a probe of this host and
    /// port was made, it decides; the allowlist decides only what no probe observed.
    pub fn coverage(&self, required: &Required) -> Coverage {
        let name = required.pattern.to_string();
        let probes = self.probes.as_ref().map(|(_, p)| p.as_slice()).unwrap_or_default();
        let allowed = self
            .allowlist
            .as_ref()
            .and_then(|(_, entries)| entries.iter().find(|e| e.pattern.covers(&required.pattern)))
            .map(|entry| entry.line);
        let matching = || {
            probes
                .iter()
                .filter(|p| p.endpoint().eq_ignore_ascii_case(&name) && p.port() == required.port)
        };
        // A host reached whose TLS did not hold fails the download, whatever the allowlist says.
        for probe in matching().filter(|p| p.reachable == Some(true)) {
            let route = probe.route.as_deref().unwrap_or("direct");
            if let Some(problem) = probe.tls.as_ref().and_then(|tls| tls.problem(route)) {
                return Coverage::TlsFailed(format!("{problem} ({route})"));
            }
        }
        if matching().any(|p| p.reachable == Some(true)) {
            return Coverage::Reachable;
        }
        if let Some(probe) = matching().rfind(|p| p.reachable == Some(false)) {
            let route = probe.route.as_deref().unwrap_or("direct");
            let via = match probe.host.as_deref() {
                Some(host) if !host.eq_ignore_ascii_case(&name) => format!(" via {host}"),
                _ => String::new(),
            };
            let detail = probe.detail.as_deref().unwrap_or("unreachable");
            let at_proxy = detail.strip_prefix(PROXY_FAILED).map(|why| ProxyFailure {
                proxy: route.to_owned(),
                why: why.to_owned(),
            });
            return Coverage::ProbeFailed {
                failure: format!("{detail}{via} ({route})"),
                allowed,
                at_proxy,
            };
        }
        if let Some(line) = allowed {
            return Coverage::Allowed { line };
        }
        match matching().find(|p| p.reachable.is_none()) {
            Some(probe) if self.allowlist.is_none() => Coverage::NotProbed(
                probe
                    .detail
                    .as_deref()
                    .unwrap_or("the probe results give no reason")
                    .to_owned(),
            ),
            _ => Coverage::Missing {
                probed: self.probes.is_some(),
            },
        }
    }

    /// The artifact that shows an absence: the allowlist, else the probe results.
    pub fn evidence(&self) -> Location {
        let allowlist = self.allowlist.as_ref().map(|(l, _)| l);
        let probes = self.probes.as_ref().map(|(l, _)| l);
        // The engine builds `Endpoints` only when one of the two exists.
        allowlist.or(probes).cloned().unwrap_or_else(|| Location::artifact(""))
    }
}

#[cfg(test)]
mod tests;
