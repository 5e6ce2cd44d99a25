//! `required-endpoints`: one finding per endpoint that its probe did not reach, or, with no
//! probe result for it, that the allowlist does not allow; one finding for the endpoints whose
//! probes all failed at one proxy for one reason (a proxy name that does not resolve), naming
//! them, rather than one per endpoint.
//!
//! - **What it checks**: that the internet-connected machine can reach every host the
//!   Service Connection Tool downloads from, directly or through the proxy.
//! - **Why**: a blocked host makes downloads fail part-way, and the tool does not say so.
//! - **Example rule**: `endpoints: [go.microsoft.com, '*.manage.microsoft.com']`.
//! - **Options**: hosts, URLs (their host counts) or `*.` wildcards, with a port if not 443;
//!   `probe-hosts` names a concrete host to probe for a wildcard. Built-in values:
//!   `{endpoint}` (`host`, or `host:port` when the port is not 443), `{why}` (the allowlist
//!   does not allow it, its probe failed: ...).

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, values};
use crate::document::fields::scalar_text;
use crate::finding::Outcome;
use crate::readers::endpoints::{Coverage, HTTPS_PORT, HostPattern, ProxyFailure, Required};

const VALUES: [&str; 2] = ["endpoint", "why"];

#[derive(Debug)]
struct RequiredEndpoints {
    endpoints: Vec<Required>,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let items = f.strings(
        "endpoints",
        "Hosts, URLs (their host counts) or `*.` wildcards the download machine must reach, with a port if not 443.",
    );
    let probe_hosts = f
        .map(
            "probe-hosts",
            "For a wildcard, a concrete host it stands for, which `collect --probe-endpoints` connects to.",
        )
        .unwrap_or_default();
    let Some(items) = items else {
        f.missing(
            "endpoints",
            "list the hosts, e.g. `endpoints: [go.microsoft.com, '*.manage.microsoft.com']`",
        );
        return None;
    };
    let mut endpoints = Vec::new();
    let mut ok = true;
    for item in &items {
        let Some(text) = f.with_params(item) else {
            ok = false;
            continue;
        };
        match HostPattern::parse_with_port(&text) {
            Ok((pattern, port)) => endpoints.push(Required {
                pattern,
                port: port.unwrap_or(HTTPS_PORT),
                probe_host: None,
            }),
            Err(error) => {
                ok = false;
                f.problem_with_help(
                    item.span.clone(),
                    error.to_string(),
                    "not an endpoint",
                    "write a host, a URL, or a wildcard like `*.manage.microsoft.com`",
                );
            }
        }
    }
    // `probe-hosts` names, for a wildcard, a concrete host it stands for, so a probe has
    // something to connect to: `'*.manage.microsoft.com': configmgrbits.cdn.manage.microsoft.com`.
    for (key, value) in probe_hosts {
        let (Some(wildcard), Some(host)) = (scalar_text(f.file(), key), scalar_text(f.file(), value)) else {
            ok = false;
            f.problem(value.span.clone(), "a probe host must be a host name", "not a host");
            continue;
        };
        let target = endpoints
            .iter_mut()
            .find(|e| e.pattern.to_string().eq_ignore_ascii_case(wildcard.trim()));
        let Some(target) = target.filter(|t| matches!(t.pattern, HostPattern::Wildcard { .. })) else {
            ok = false;
            f.problem_with_help(
                key.span.clone(),
                format!("`{wildcard}` is not a wildcard of this rule's `endpoints`"),
                "no such wildcard",
                "name one of the `*.` endpoints listed above",
            );
            continue;
        };
        match HostPattern::parse(&host) {
            Ok(HostPattern::Exact(concrete)) if target.pattern.allows_host(&concrete) => {
                target.probe_host = Some(concrete);
            }
            _ => {
                ok = false;
                f.problem_with_help(
                    value.span.clone(),
                    format!("`{host}` is not a host that `{wildcard}` stands for"),
                    "not covered by the wildcard",
                    format!("name a concrete host under `{wildcard}`"),
                );
            }
        }
    }
    ok.then(|| Box::new(RequiredEndpoints { endpoints }) as Box<dyn Check>)
}

impl Check for RequiredEndpoints {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Endpoints(&self.endpoints)
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        let hosts: Vec<String> = self.endpoints.iter().map(Required::name).collect();
        format!(
            "Fails for each of these endpoints that its probe did not reach or, with no probe of it, the allowlist does not allow: {}.",
            hosts.join(", ")
        )
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Endpoints(endpoints) = input else {
            return Err(Mismatch::new("endpoint lists", input));
        };
        let emit = |out: &mut Emissions, outcome: Outcome, endpoint: String, why: String| {
            let message = match outcome {
                Outcome::NotEvaluated => format!("{endpoint} was not probed: {why}"),
                _ => format!("{endpoint} is not reachable: {why}"),
            };
            out.push(Emission {
                outcome,
                subject: endpoint.clone(),
                message,
                values: values(&VALUES, [endpoint, why]),
                location: endpoints.evidence(),
                excerpt: None,
            });
        };
        // One root cause, one finding: the endpoints whose probes failed at the same proxy
        // for the same reason, in the order required, with what each would have said alone.
        let mut at_proxy: Vec<(ProxyFailure, Vec<(String, String)>)> = Vec::new();
        for required in &self.endpoints {
            let endpoint = required.name();
            let not_allowed = || endpoints.allowlist.as_ref().map(|_| "the allowlist does not allow it");
            let (outcome, why) = match endpoints.coverage(required) {
                Coverage::Allowed { .. } | Coverage::Reachable => continue,
                Coverage::TlsFailed(why) => (Outcome::Fail, why),
                Coverage::NotProbed(why) => (Outcome::NotEvaluated, why),
                // The probe decides; the message says what the allowlist claimed all the same.
                Coverage::ProbeFailed {
                    failure,
                    allowed,
                    at_proxy: proxy,
                } => {
                    let list = match allowed {
                        Some(line) => Some(format!("the allowlist allows it (line {line}), but")),
                        None => not_allowed().map(|words| format!("{words}, and")),
                    };
                    let probe = format!("its probe failed: {failure}");
                    let why = list.map_or_else(|| probe.clone(), |list| format!("{list} {probe}"));
                    if let Some(proxy) = proxy {
                        match at_proxy.iter_mut().find(|(p, _)| *p == proxy) {
                            Some((_, failed)) => failed.push((endpoint, why)),
                            None => at_proxy.push((proxy, vec![(endpoint, why)])),
                        }
                        continue;
                    }
                    (Outcome::Fail, why)
                }
                Coverage::Missing { probed } => {
                    let probe = probed.then_some("it was not probed");
                    let why = match (not_allowed(), probe) {
                        (Some(list), Some(probe)) => format!("{list}, and {probe}"),
                        (list, probe) => list.or(probe).unwrap_or_default().to_owned(),
                    };
                    (Outcome::Fail, why)
                }
            };
            emit(out, outcome, endpoint, why);
        }
        for (proxy, mut failed) in at_proxy {
            if let [(endpoint, why)] = &mut failed[..] {
                emit(out, Outcome::Fail, std::mem::take(endpoint), std::mem::take(why));
                continue;
            }
            // The endpoints are not judged: the probes never got past the proxy. The finding
            // is the proxy's, and names every endpoint it left unchecked.
            let names: Vec<&str> = failed.iter().map(|(endpoint, _)| endpoint.as_str()).collect();
            let why = format!(
                "{}; {} endpoints were not checked through it: {}",
                proxy.why,
                names.len(),
                names.join(", ")
            );
            emit(out, Outcome::Fail, format!("the {}", proxy.proxy), why);
        }
        Ok(())
    }
}
