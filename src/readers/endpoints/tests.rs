//! Hosts, allowlists and probes judged together, as the `required-endpoints` kind sees them.

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
            allowed: None,
            at_proxy: None
        }
    );
    assert_eq!(
        coverage("*.manage.microsoft.com"),
        Coverage::ProbeFailed {
            failure: "timed out via configmgrbits.cdn.manage.microsoft.com (direct)".into(),
            allowed: None,
            at_proxy: None
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
            allowed: None,
            at_proxy: None
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
            allowed: Some(1),
            at_proxy: Some(ProxyFailure {
                proxy: "proxy nonexistent.invalid:8080".into(),
                why: "name not resolved".into()
            })
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
