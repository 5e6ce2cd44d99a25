//! A host as rules and allowlists name it: a name, a `*.` or `*-x.` wildcard, or a URL
//! reduced to its host, and which hosts an allowlist entry allows.

use std::fmt;

/// Why a text is not a host; each variant holds the text as it was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("`{0}` has a port out of range")]
    PortOutOfRange(String),
    #[error("`{0}` is not a host wildcard like `*.example.com`")]
    NotAWildcard(String),
    #[error("`{0}` is not a host name or URL")]
    NotAHost(String),
}

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
    pub fn parse(text: &str) -> Result<HostPattern, HostError> {
        Self::parse_with_port(text).map(|(pattern, _)| pattern)
    }

    /// As [`HostPattern::parse`], also returning the port if the text names one.
    pub fn parse_with_port(text: &str) -> Result<(HostPattern, Option<u16>), HostError> {
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
            port = Some(digits.parse().map_err(|_| HostError::PortOutOfRange(text.to_owned()))?);
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if let Some(rest) = host.strip_prefix('*') {
            let (label_suffix, domain) = rest.split_once('.').unwrap_or((rest, ""));
            if !valid(domain) || domain.contains('*') || !(label_suffix.is_empty() || valid(label_suffix)) {
                return Err(HostError::NotAWildcard(text.to_owned()));
            }
            let pattern = HostPattern::Wildcard {
                label_suffix: label_suffix.to_owned(),
                domain: domain.to_owned(),
            };
            return Ok((pattern, port));
        }
        if !valid(&host) {
            return Err(HostError::NotAHost(text.to_owned()));
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
