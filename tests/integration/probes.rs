//! `collect --probe-endpoints`: loopback listeners that accept and refuse, a CONNECT proxy in
//! the test that answers 200, 403, 407, 502 or nothing, and probing stopped by a signal.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use serde_json::Value;

#[cfg(unix)]
use crate::collect::leftovers;
use crate::collect::{collect, walk};
use crate::{check_with_rules, json, path_str, root, stderr, stdout};

/// A loopback port that accepts connections, and one that refuses them.
pub(crate) fn open_and_closed_ports() -> (TcpListener, u16) {
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    (open, closed)
}

pub(crate) fn rules_file(dir: &Path, endpoints: &[String], probe_hosts: &str) -> PathBuf {
    let list: Vec<String> = endpoints.iter().map(|e| format!("'{e}'")).collect();
    let path = dir.join("endpoints.yaml");
    fs::write(
        &path,
        format!(
            "ruleset: probe-test\nrules:\n  - id: test-endpoints\n    title: Test endpoints\n    severity: error\n    kind: required-endpoints\n    endpoints: [{}]\n{probe_hosts}",
            list.join(", ")
        ),
    )
    .unwrap();
    path
}

pub(crate) fn probes(out: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&fs::read_to_string(out.join("network/probes.json")).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// `(endpoint, reachable, detail)` of each probe.
pub(crate) fn outcomes(out: &Path) -> Vec<(String, Value, String)> {
    probes(out)
        .iter()
        .map(|p| {
            let endpoint = p
                .get("endpoint")
                .or(p.get("host"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned();
            (
                endpoint,
                p["reachable"].clone(),
                p["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn direct_probes_tell_reached_refused_unresolved_and_unprobed_wildcards_apart() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("ServiceConnectionTool.log"),
        "Successfully downloaded redists for x\r\n",
    )
    .unwrap();
    let (open, closed) = open_and_closed_ports();
    let open_port = open.local_addr().unwrap().port();
    let endpoints = [
        format!("127.0.0.1:{open_port}"),
        format!("https://localhost:{closed}/"),
        "no-such-host.invalid".to_owned(),
        "*.example.test".to_owned(),
    ];
    let rules = rules_file(dir.path(), &endpoints, "");
    let out = dir.path().join("snap");
    let sources = [
        "--log".to_owned(),
        path_str(&dir.path().join("ServiceConnectionTool.log")).to_owned(),
    ];
    let collected = collect(
        &out,
        &sources,
        &[
            "--probe-endpoints",
            // TCP-level outcomes: these listeners speak no TLS (tests/integration/tls.rs does).
            "--no-tls",
            "--timeout",
            "3",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ],
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    assert!(
        stdout(&collected).contains("4 endpoint probes (1 reachable, 2 not, 1 not probed)"),
        "{}",
        stdout(&collected)
    );
    let results = outcomes(&out);
    assert_eq!(results[0].1, true);
    assert!(results[0].2.starts_with("connected to 127.0.0.1:"));
    assert_eq!(results[1].1, false);
    assert!(results[1].2.starts_with("connection refused"), "{}", results[1].2);
    assert!(
        results[2].2.starts_with("name not resolved: no-such-host.invalid"),
        "{}",
        results[2].2
    );
    assert_eq!(results[3].1, Value::Null);

    // The probes feed required-endpoints: two failures, the wildcard not evaluated.
    let report = json(&check_with_rules(&root(), path_str(&rules), &[path_str(&out)]));
    let outcomes: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["subject"].as_str().unwrap(), f["outcome"].as_str().unwrap()))
        .collect();
    let refused = format!("localhost:{closed}");
    assert_eq!(
        outcomes,
        [
            (refused.as_str(), "fail"),
            ("no-such-host.invalid", "fail"),
            ("*.example.test", "not-evaluated")
        ]
    );
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("its probe failed: connection refused")
    );
    drop(open);
}

/// A CONNECT proxy on loopback that answers by the host asked for, and wants a password for
/// `private.test`. Returns its port.
pub(crate) fn test_proxy() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || answer(stream));
        }
    });
    port
}

pub(crate) fn answer(mut stream: TcpStream) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request).into_owned();
    let target = request.split_whitespace().nth(1).unwrap_or("").to_owned();
    // "svc:s3cret!" in base64.
    let authorized = request.contains("Proxy-Authorization: Basic c3ZjOnMzY3JldCE=");
    let reply = match target.as_str() {
        "allowed.test:443" => "HTTP/1.1 200 Connection established\r\n\r\n",
        "blocked.test:443" => "HTTP/1.1 403 Forbidden\r\n\r\n",
        "down.test:443" => "HTTP/1.1 502 Bad Gateway\r\n\r\n",
        // Numbers in the right place, but not HTTP: not a tunnel.
        "garbage.test:443" => "garbage 200 yes\r\n\r\n",
        "cm.private.test:443" if authorized => "HTTP/1.1 200 Connection established\r\n\r\n",
        "cm.private.test:443" => "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
        _ => {
            // Silence: hold the connection without a word.
            thread::sleep(Duration::from_secs(10));
            return;
        }
    };
    let _ = stream.write_all(reply.as_bytes());
    thread::sleep(Duration::from_millis(200));
}

#[test]
fn probes_through_a_proxy_report_what_it_answered_and_never_write_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = format!("http://127.0.0.1:{}", test_proxy());
    let endpoints = [
        "allowed.test",
        "blocked.test",
        "down.test",
        "silent.test",
        "*.private.test",
        "garbage.test",
    ]
    .map(str::to_owned);
    let rules = rules_file(
        dir.path(),
        &endpoints,
        "    probe-hosts: {'*.private.test': cm.private.test}\n",
    );
    fs::write(dir.path().join("ServiceConnectionTool.log"), "x\r\n").unwrap();
    let sources = [
        "--log".to_owned(),
        path_str(&dir.path().join("ServiceConnectionTool.log")).to_owned(),
    ];
    let common = [
        "--probe-endpoints",
        // TCP-level outcomes: these listeners speak no TLS (tests/integration/tls.rs does).
        "--no-tls",
        "--proxy",
        &proxy,
        "--timeout",
        "1.5",
        "--no-default-rules",
        "--rules",
        path_str(&rules),
    ];

    let out = dir.path().join("anonymous");
    let started = std::time::Instant::now();
    assert_eq!(collect(&out, &sources, &common).status.code(), Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "probes run at once, each bounded"
    );
    let details: Vec<(Value, String)> = outcomes(&out).into_iter().map(|(_, r, d)| (r, d)).collect();
    assert_eq!(details[0], (true.into(), "the proxy opened a tunnel (200)".to_owned()));
    assert!(details[1].1.starts_with("proxy answered 403 Forbidden"));
    assert!(details[2].1.starts_with("proxy answered 502 Bad Gateway"));
    assert_eq!(
        details[3],
        (false.into(), "timed out waiting for the proxy's answer".to_owned())
    );
    assert!(
        details[4]
            .1
            .starts_with("proxy answered 407 Proxy Authentication Required")
    );
    assert_eq!(probes(&out)[4]["host"], "cm.private.test");
    assert_eq!(
        details[5],
        (
            false.into(),
            "the proxy did not answer in HTTP: `garbage 200 yes`".to_owned()
        )
    );
    assert_eq!(probes(&out)[0]["route"], format!("proxy 127.0.0.1:{}", &proxy[17..]));

    let out = dir.path().join("authenticated");
    let mut args = vec!["collect", "--out", path_str(&out)];
    args.extend(sources.iter().map(String::as_str));
    args.extend(common);
    args.extend(["--proxy-user", "svc"]);
    let authenticated = std::process::Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .args(&args)
        .env("SITELINT_PROXY_PASSWORD", "s3cret!")
        .output()
        .unwrap();
    assert_eq!(authenticated.status.code(), Some(0), "{}", stderr(&authenticated));
    assert_eq!(outcomes(&out)[4].1, true);
    let mut written = String::from_utf8_lossy(&authenticated.stdout).into_owned() + &stderr(&authenticated);
    for file in ["snapshot.yaml", "network/probes.json"] {
        written += &fs::read_to_string(out.join(file)).unwrap();
    }
    assert!(
        !written.contains("s3cret") && !written.contains("c3ZjOnMzY3JldCE="),
        "{written}"
    );

    let without = collect(
        &dir.path().join("x"),
        &sources,
        &[&common[..], &["--proxy-user", "svc"]].concat(),
    );
    assert_eq!(without.status.code(), Some(2));
    assert!(stderr(&without).contains("SITELINT_PROXY_PASSWORD"));
}

#[test]
fn probing_alone_is_a_snapshot_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (open, _closed) = open_and_closed_ports();
    let endpoints = [format!("127.0.0.1:{}", open.local_addr().unwrap().port())];
    let rules = rules_file(dir.path(), &endpoints, "");
    let out = dir.path().join("probe-snap");
    let collected = collect(
        &out,
        &[],
        &[
            "--probe-endpoints",
            // TCP-level outcomes: these listeners speak no TLS (tests/integration/tls.rs does).
            "--no-tls",
            "--timeout",
            "3",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ],
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let mut files: Vec<String> = walk(&out);
    files.sort();
    assert_eq!(files, ["network/probes.json", "snapshot.yaml"]);
    assert_eq!(outcomes(&out)[0].1, true);
    drop(open);
}

/// Starts `collect --probe-endpoints --timeout 60` against a server that accepts and never
/// answers, with `--out snap` in `dir`, and waits until it is probing.
#[cfg(unix)]
fn start_long_probe(dir: &Path) -> std::process::Child {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    // Kept open (not accepted) until the test process ends.
    std::mem::forget(silent);
    let rules = rules_file(dir, &[format!("127.0.0.1:{port}")], "");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_sitelint"))
        .args(["collect", "--out", "snap", "--probe-endpoints", "--timeout", "60"])
        .args(["--no-default-rules", "--rules", path_str(&rules)])
        .current_dir(dir)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if leftovers(dir).iter().any(|n| n.starts_with(".snap.sitelint-partial-")) {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    thread::sleep(Duration::from_millis(300));
    child
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_probing_at_once_and_clean_up() {
    // One signal, and two at once: either way nothing is left behind.
    for signals in [&["-INT"][..], &["-TERM"], &["-INT", "-INT"]] {
        let dir = tempfile::tempdir().unwrap();
        let child = start_long_probe(dir.path());
        let started = std::time::Instant::now();
        for signal in signals {
            let sent = std::process::Command::new("kill")
                .args([*signal, &child.id().to_string()])
                .status()
                .unwrap();
            assert!(sent.success());
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{signals:?}: took {:?}",
            started.elapsed()
        );
        assert_eq!(out.status.code(), Some(130), "{signals:?}: {}", stderr(&out));
        assert!(!dir.path().join("snap").exists());
        assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "{signals:?}");
    }
}

/// Issue 36: a proxy that cannot be reached failed every probe alike, and the check reported
/// one error per endpoint (17 with the default rules) while `collect` said nothing of the
/// proxy. One root cause is one finding, naming the endpoints left unchecked, and `collect`
/// says it once.
#[test]
fn a_proxy_that_cannot_be_reached_is_one_finding_and_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (_open, closed) = open_and_closed_ports();
    let endpoints = ["a.test", "b.test", "c.test"].map(str::to_owned);
    let rules = rules_file(dir.path(), &endpoints, "");
    let out = dir.path().join("snap");
    let proxy = format!("http://127.0.0.1:{closed}");
    let collected = collect(
        &out,
        &[],
        &[
            "--probe-endpoints",
            "--no-tls",
            "--proxy",
            &proxy,
            "--timeout",
            "2",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ],
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let warnings: Vec<String> = stderr(&collected)
        .lines()
        .filter(|l| l.contains("could not be reached"))
        .map(str::to_owned)
        .collect();
    assert_eq!(warnings.len(), 1, "{}", stderr(&collected));
    assert!(
        warnings[0].contains(&format!(
            "the proxy 127.0.0.1:{closed} could not be reached (connection refused"
        )) && warnings[0].ends_with("3 endpoint probes did not get past it"),
        "{}",
        warnings[0]
    );
    let checked = check_with_rules(dir.path(), path_str(&rules), &[path_str(&out)]);
    assert_eq!(checked.status.code(), Some(1), "{}", stderr(&checked));
    let report = json(&checked);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "the proxy 127.0.0.1:{closed} is not reachable: connection refused"
        )) && message.ends_with("3 endpoints were not checked through it: a.test, b.test, c.test"),
        "{message}"
    );
}
