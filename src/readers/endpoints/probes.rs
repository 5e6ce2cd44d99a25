//! The results of probing endpoints, as `collect --probe-endpoints` records them, and what a
//! TLS handshake that did not hold means, in words.

use serde::{Deserialize, Serialize};

use super::HTTPS_PORT;

/// How a probe's `detail` begins when the proxy failed rather than the endpoint: `collect`
/// writes it, and a check folds the endpoints that failed so into one finding about the proxy.
pub const PROXY_FAILED: &str = "cannot reach the proxy: ";

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

/// A probes file that is not a list of probe results, and where it stops being one.
#[derive(Debug, thiserror::Error)]
#[error("not a list of probe results at line {line}, column {column}: {source}", line = .source.line(), column = .source.column())]
pub struct ProbesError {
    #[from]
    source: serde_json::Error,
}

pub fn parse_probes(text: &str) -> Result<Vec<Probe>, ProbesError> {
    Ok(serde_json::from_str(text.trim_start_matches('\u{feff}'))?)
}
