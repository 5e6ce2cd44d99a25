//! `required-endpoints`: one finding per endpoint neither allowed by the allowlist nor seen
//! reachable by a probe.
//!
//! - **What it checks**: that the internet-connected machine can reach every host the
//!   Service Connection Tool downloads from, directly or through the proxy.
//! - **Why**: a blocked host makes downloads fail part-way, and the tool does not say so.
//! - **Example rule**: `endpoints: [go.microsoft.com, '*.manage.microsoft.com']`.
//! - **Options**: hosts, URLs (their host counts) or `*.` wildcards. Built-in value:
//!   `{endpoint}`.

use super::{Check, Emission, Input, SourceRef};
use crate::endpoints::{Coverage, HostPattern};
use crate::rules::fields::Fields;

#[derive(Debug)]
struct RequiredEndpoints {
    endpoints: Vec<HostPattern>,
}

pub(super) fn compile(f: &mut Fields<'_, '_>) -> Option<Box<dyn Check>> {
    let Some(items) = f.strings("endpoints") else {
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
        match HostPattern::parse(&text) {
            Ok(pattern) => endpoints.push(pattern),
            Err(message) => {
                ok = false;
                f.problem_with_help(
                    item.span.clone(),
                    message,
                    "not an endpoint",
                    "write a host, a URL, or a wildcard like `*.manage.microsoft.com`",
                );
            }
        }
    }
    ok.then(|| Box::new(RequiredEndpoints { endpoints }) as Box<dyn Check>)
}

impl Check for RequiredEndpoints {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Endpoints
    }

    fn placeholders(&self) -> Vec<String> {
        vec!["endpoint".to_owned()]
    }

    fn describe(&self) -> String {
        let hosts: Vec<String> = self.endpoints.iter().map(ToString::to_string).collect();
        format!(
            "Fails for each of these endpoints that the allowlist does not allow and no probe reached: {}.",
            hosts.join(", ")
        )
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Vec<Emission>) -> u64 {
        let Input::Endpoints(endpoints) = input else { return 0 };
        for required in &self.endpoints {
            let Coverage::Missing { probe_failure } = endpoints.coverage(required) else {
                continue;
            };
            let mut message = match &endpoints.allowlist {
                Some(_) => format!("{required} is not allowed by the allowlist"),
                None => format!("{required} was not reached"),
            };
            match (&probe_failure, &endpoints.probes, required) {
                (Some(why), _, _) => message.push_str(&format!(", and its probe failed: {why}")),
                (None, Some(_), HostPattern::Wildcard { .. }) => {
                    message.push_str(" (a wildcard can only be covered by the allowlist)");
                }
                (None, Some(_), HostPattern::Exact(_)) => message.push_str(", and it was not probed"),
                (None, None, _) => {}
            }
            out.push(Emission {
                subject: required.to_string(),
                message,
                values: vec![("endpoint".to_owned(), required.to_string())],
                location: endpoints.evidence(),
                excerpt: None,
            });
        }
        0
    }
}
