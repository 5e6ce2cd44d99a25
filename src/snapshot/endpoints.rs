//! Internet endpoints: the hosts a rule requires, the allowlist a proxy or firewall enforces,
//! and the results of probing them.
//!
//! A URL counts as its host. An allowlist entry `*.example.com` allows every host that ends in
//! `.example.com`, at any depth, but not `example.com` itself. A required wildcard is covered
//! only by an entry that allows every host it can stand for; a probe counts for the host and
//! port it probed, and decides over the allowlist where both speak of an endpoint.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::finding::Location;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    Exact(String),
    /// `*<label_suffix>.<domain>`: `*.manage.microsoft.com` has an empty label suffix;
    /// `*-umwatsonc.events.data.microsoft.com` has `-umwatsonc`.
    Wildcard {
        label_suffix: String,
        domain: String,
    },
}

impl HostPattern {
    /// Parses a host, a `*.` or `*-x.` wildcard, or a URL (reduced to its host).
    pub fn parse(text: &str) -> Result<HostPattern, String> {
        Self::parse_with_port(text).map(|(pattern, _)| pattern)
    }

    /// As [`HostPattern::parse`], also returning the port if the text names one.
    pub fn parse_with_port(text: &str) -> Result<(HostPattern, Option<u16>), String> {
        let mut host = text.trim();
        let mut port = None;
        if let Some((_, rest)) = host.split_once("://") {
            host = rest;
        }
        host = host.split(['/', '?', '#']).next().unwrap_or("");
        if let Some((_, rest)) = host.rsplit_once('@') {
            host = rest;
        }
        if let Some((name, digits)) = host.rsplit_once(':')
            && digits.chars().all(|c| c.is_ascii_digit())
        {
            host = name;
            port = Some(
                digits
                    .parse()
                    .map_err(|_| format!("`{text}` has a port out of range"))?,
            );
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if let Some(rest) = host.strip_prefix('*') {
            let (label_suffix, domain) = rest.split_once('.').unwrap_or((rest, ""));
            if !valid(domain) || domain.contains('*') || !(label_suffix.is_empty() || valid(label_suffix)) {
                return Err(format!("`{text}` is not a host wildcard like `*.example.com`"));
            }
            let pattern = HostPattern::Wildcard {
                label_suffix: label_suffix.to_owned(),
                domain: domain.to_owned(),
            };
            return Ok((pattern, port));
        }
        if !valid(&host) {
            return Err(format!("`{text}` is not a host name or URL"));
        }
        Ok((HostPattern::Exact(host), port))
    }

    /// Whether this (allowlist) pattern allows one concrete host.
    pub fn allows_host(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(h) => h == host,
            HostPattern::Wildcard { label_suffix, domain } => {
                let Some(prefix) = host.strip_suffix(domain.as_str()).and_then(|p| p.strip_suffix('.')) else {
                    return false;
                };
                let last_label = prefix.rsplit('.').next().unwrap_or("");
                !prefix.is_empty()
                    && last_label.len() > label_suffix.len()
                    && last_label.ends_with(label_suffix.as_str())
            }
        }
    }

    /// Whether this (allowlist) pattern allows every host `required` can stand for.
    pub fn covers(&self, required: &HostPattern) -> bool {
        match required {
            HostPattern::Exact(host) => self.allows_host(host),
            HostPattern::Wildcard {
                label_suffix: r_suffix,
                domain: r_domain,
            } => match self {
                HostPattern::Exact(_) => false,
                HostPattern::Wildcard { label_suffix, domain } if r_domain == domain => {
                    r_suffix.ends_with(label_suffix.as_str())
                }
                // A wildcard on a subdomain: its hosts all end in `.{r_domain}`, so the
                // allowlist entry decides on the fixed part.
                HostPattern::Wildcard { .. } => self.allows_host(r_domain),
            },
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Exact(h) => f.write_str(h),
            HostPattern::Wildcard { label_suffix, domain } => write!(f, "*{label_suffix}.{domain}"),
        }
    }
}

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

/// One probe of one required endpoint, as `collect --probe-endpoints` records it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Probe {
    /// The endpoint as the rule requires it (a wildcard is probed through a host it stands
    /// for); when absent, `host` itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The host connected to; `None` when there was none to try.
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `None`: not probed (a wildcard for which the rule names no host).
    pub reachable: Option<bool>,
    /// `direct` or the proxy it went through.
    #[serde(default)]
    pub route: Option<String>,
    /// Why it failed: refused, timed out, name not resolved, proxy answered 403...
    #[serde(default)]
    pub detail: Option<String>,
    /// The TLS handshake made once the host was reached; absent in results from before
    /// sitelint made one, or from `collect --no-tls`, which are judged by TCP alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
}

/// What the TLS handshake of a probe saw.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Tls {
    /// `TLS 1.3`, `TLS 1.2`; absent when the handshake failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<String>,
    /// The certificates presented, the server's first.
    #[serde(default)]
    pub chain: Vec<Certificate>,
    /// The chain verifies against the trusted roots for the host's name.
    pub trusted: bool,
    /// Why it does not: `unknown-issuer`, `expired`, `not-yet-valid`, `name-mismatch`, or the
    /// verifier's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_error: Option<String>,
    /// Why the handshake did not complete: the alert received, or the connection closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake_error: Option<String>,
}

/// One certificate as a person reads it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Certificate {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub sha256: String,
}

impl Tls {
    /// What is wrong with it, in words, or `None` when it held. `route` is `direct` or the
    /// proxy the probe went through: whoever inspects TLS is named after it.
    pub fn problem(&self, route: &str) -> Option<String> {
        if let Some(error) = &self.handshake_error {
            return Some(format!("the TLS handshake failed: {error}"));
        }
        if self.trusted {
            return None;
        }
        let leaf = self.chain.first();
        // A name is shown as people know it: the common name, when the DN has one.
        let field = |pick: fn(&Certificate) -> &str| common_name(leaf.map_or("?", pick)).to_owned();
        Some(match self.verify_error.as_deref() {
            Some("expired") => format!("the certificate presented expired on {}", field(|c| &c.not_after)),
            Some("not-yet-valid") => {
                format!(
                    "the certificate presented is not valid before {}",
                    field(|c| &c.not_before)
                )
            }
            Some("name-mismatch") => format!(
                "the certificate presented is for `{}`, not for this host",
                field(|c| &c.subject)
            ),
            Some("unknown-issuer") | None => {
                let inspector = if route == "direct" {
                    "a firewall or proxy on the way"
                } else {
                    "the proxy"
                };
                format!(
                    "the certificate presented is issued by `{}`, not by a public CA: {inspector} inspects TLS, which Microsoft does not support for these downloads",
                    field(|c| &c.issuer)
                )
            }
            Some(other) => format!("the certificate presented does not verify: {other}"),
        })
    }
}

/// `Contoso Inspection CA` of `C=US, O=Contoso, CN=Contoso Inspection CA`; the whole name
/// when it has no common name.
fn common_name(dn: &str) -> &str {
    dn.split(", ").find_map(|part| part.strip_prefix("CN=")).unwrap_or(dn)
}

impl Probe {
    /// The required endpoint this probe answers for.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_deref().or(self.host.as_deref()).unwrap_or("")
    }

    /// The port probed: results from before ports were recorded were all made to 443.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(HTTPS_PORT)
    }
}

pub fn parse_probes(text: &str) -> Result<Vec<Probe>, String> {
    serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        format!(
            "not a list of probe results at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })
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
    ProbeFailed {
        failure: String,
        allowed: Option<u64>,
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
            return Coverage::ProbeFailed {
                failure: format!("{detail}{via} ({route})"),
                allowed,
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
mod tests {
    use super::*;

    fn p(s: &str) -> HostPattern {
        HostPattern::parse(s).unwrap()
    }

    #[test]
    fn urls_reduce_to_hosts() {
        assert_eq!(
            p("https://Go.Microsoft.com/fwlink/?LinkID=2298749"),
            p("go.microsoft.com")
        );
        assert_eq!(p("http://user@proxy.contoso.com:8080/"), p("proxy.contoso.com"));
        assert!(HostPattern::parse("https://").is_err());
        assert!(HostPattern::parse("a b").is_err());
    }

    #[test]
    fn star_dot_allows_any_depth_but_not_the_domain_itself() {
        let allow = p("*.manage.microsoft.com");
        assert!(allow.allows_host("sccm.manage.microsoft.com"));
        assert!(allow.allows_host("configmgrbits.cdn.manage.microsoft.com"));
        assert!(!allow.allows_host("manage.microsoft.com"));
        assert!(!allow.allows_host("evilmanage.microsoft.com"));
    }

    #[test]
    fn required_wildcards_need_an_entry_that_allows_all_they_stand_for() {
        let required = p("*-umwatsonc.events.data.microsoft.com");
        assert!(p("*.events.data.microsoft.com").covers(&required));
        assert!(p("*.microsoft.com").covers(&required));
        assert!(p("*-umwatsonc.events.data.microsoft.com").covers(&required));
        assert!(!p("umwatsonc.events.data.microsoft.com").covers(&required));
        assert!(!p("*.data.microsoft.net").covers(&required));
        let star = p("*.manage.microsoft.com");
        assert!(p("*.microsoft.com").covers(&star));
        assert!(star.covers(&star));
        assert!(!p("*.cdn.manage.microsoft.com").covers(&star));
        assert!(!p("*-x.manage.microsoft.com").covers(&star));
    }

    #[test]
    fn allowlist_lines_comments_and_bypass_lists() {
        let (entries, errors) =
            parse_allowlist("# proxy\r\ngo.microsoft.com\r\n*.manage.microsoft.com;<local>  # ok\r\nhttps://\r\n");
        let hosts: Vec<String> = entries.iter().map(|e| e.pattern.to_string()).collect();
        assert_eq!(hosts, ["go.microsoft.com", "*.manage.microsoft.com"]);
        assert_eq!(entries[1].line, 3);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("line 4"));
    }

    fn required(text: &str) -> Required {
        let (pattern, port) = HostPattern::parse_with_port(text).unwrap();
        Required {
            pattern,
            port: port.unwrap_or(HTTPS_PORT),
            probe_host: None,
        }
    }

    #[test]
    fn probes_count_for_the_host_and_port_they_probed() {
        let endpoints = Endpoints {
            allowlist: None,
            probes: Some((Location::whole("p.json", 0), parse_probes(r#"[
                {"host":"go.microsoft.com","reachable":true},
                {"host":"download.microsoft.com","reachable":false,"route":"proxy.contoso.com:8080","detail":"proxy answered 403"},
                {"endpoint":"*.manage.microsoft.com","host":"configmgrbits.cdn.manage.microsoft.com","reachable":false,"route":"direct","detail":"timed out"},
                {"endpoint":"*.akamaiedge.net","host":null,"reachable":null,"detail":"the rule names no host to probe for it"},
                {"host":"localhost","port":18443,"reachable":true,"route":"direct"},
                {"host":"localhost","port":18444,"reachable":false,"route":"direct","detail":"connection refused"}
            ]"#).unwrap())),
        };
        let coverage = |text: &str| endpoints.coverage(&required(text));
        assert_eq!(coverage("go.microsoft.com"), Coverage::Reachable);
        assert_eq!(
            coverage("download.microsoft.com"),
            Coverage::ProbeFailed {
                failure: "proxy answered 403 (proxy.contoso.com:8080)".into(),
                allowed: None
            }
        );
        assert_eq!(
            coverage("*.manage.microsoft.com"),
            Coverage::ProbeFailed {
                failure: "timed out via configmgrbits.cdn.manage.microsoft.com (direct)".into(),
                allowed: None
            }
        );
        assert_eq!(
            coverage("*.akamaiedge.net"),
            Coverage::NotProbed("the rule names no host to probe for it".into())
        );
        assert_eq!(coverage("*.akamaitechnologies.com"), Coverage::Missing { probed: true });
        // A probe of one port says nothing of another.
        assert_eq!(coverage("localhost:18443"), Coverage::Reachable);
        assert_eq!(
            coverage("localhost:18444"),
            Coverage::ProbeFailed {
                failure: "connection refused (direct)".into(),
                allowed: None
            }
        );
        assert_eq!(coverage("localhost"), Coverage::Missing { probed: true });
        assert_eq!(coverage("go.microsoft.com:8443"), Coverage::Missing { probed: true });
        assert_eq!(required("localhost:18444").name(), "localhost:18444");
        assert_eq!(required("https://go.microsoft.com:443/").name(), "go.microsoft.com");
        assert_eq!(
            HostPattern::parse_with_port("https://localhost:8443/x"),
            Ok((p("localhost"), Some(8443)))
        );
    }

    #[test]
    fn a_failed_probe_beats_the_allowlist_that_allows_the_host() {
        let (entries, _) = parse_allowlist("go.microsoft.com\n*.manage.microsoft.com\n");
        let endpoints = Endpoints {
            allowlist: Some((Location::whole("allowlist.txt", 0), entries)),
            probes: Some((Location::whole("p.json", 0), parse_probes(r#"[
                {"host":"go.microsoft.com","reachable":false,"route":"proxy nonexistent.invalid:8080","detail":"cannot reach the proxy: name not resolved"},
                {"endpoint":"*.manage.microsoft.com","host":null,"reachable":null,"detail":"no host"}
            ]"#).unwrap())),
        };
        assert_eq!(
            endpoints.coverage(&required("go.microsoft.com")),
            Coverage::ProbeFailed {
                failure: "cannot reach the proxy: name not resolved (proxy nonexistent.invalid:8080)".into(),
                allowed: Some(1)
            }
        );
        // Nothing observed: the claim stands.
        assert_eq!(
            endpoints.coverage(&required("*.manage.microsoft.com")),
            Coverage::Allowed { line: 2 }
        );
    }

    #[test]
    fn a_tls_problem_is_said_in_words_with_the_names_people_know() {
        let certificate = Certificate {
            subject: "CN=download.windowsupdate.com".to_owned(),
            issuer: "C=US, O=Contoso, CN=Contoso Inspection CA".to_owned(),
            not_before: "2026-01-01T00:00:00Z".to_owned(),
            not_after: "2026-06-30T00:00:00Z".to_owned(),
            sha256: "0".repeat(64),
        };
        let tls = |verify_error: &str| Tls {
            chain: vec![certificate.clone()],
            verify_error: Some(verify_error.to_owned()),
            ..Tls::default()
        };
        assert_eq!(
            tls("unknown-issuer").problem("proxy itproxy:8080").unwrap(),
            "the certificate presented is issued by `Contoso Inspection CA`, not by a public CA: the proxy inspects TLS, which Microsoft does not support for these downloads"
        );
        assert!(
            tls("unknown-issuer")
                .problem("direct")
                .unwrap()
                .contains("a firewall or proxy on the way")
        );
        assert_eq!(
            tls("expired").problem("direct").unwrap(),
            "the certificate presented expired on 2026-06-30T00:00:00Z"
        );
        assert_eq!(
            tls("name-mismatch").problem("direct").unwrap(),
            "the certificate presented is for `download.windowsupdate.com`, not for this host"
        );
        let held = Tls {
            trusted: true,
            ..tls("unknown-issuer")
        };
        assert_eq!(held.problem("direct"), None);
    }
}
