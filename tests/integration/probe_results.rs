//! What probes are worth in a check (a failed probe beats the allowlist, the port probed is
//! the port judged), and probes under pressure: few file descriptors, a handshake that trickles.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::collect::collect;
use crate::probes::{open_and_closed_ports, probes, rules_file};
use crate::{check_with_rules, json, path_str, root, stderr};
#[cfg(unix)]
use crate::{collect::leftovers, stdout};

/// `check --format json` on a snapshot with the rules of `rules` alone: exit code and report.
fn check_with(out: &Path, rules: &Path) -> (Option<i32>, Value) {
    let checked = check_with_rules(&root(), path_str(rules), &[path_str(out)]);
    (checked.status.code(), json(&checked))
}

/// `(subject, outcome, message)` of each finding.
fn endpoint_findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap().to_owned();
            (text("subject"), text("outcome"), text("message"))
        })
        .collect()
}

#[test]
fn a_failed_probe_fails_an_endpoint_that_the_allowlist_allows_and_says_both() {
    let dir = tempfile::tempdir().unwrap();
    let (_, closed) = open_and_closed_ports();
    let allowlist = dir.path().join("allowlist.txt");
    fs::write(
        &allowlist,
        "# the proxy's list\ngo.microsoft.com\n*.manage.microsoft.com\n",
    )
    .unwrap();
    let rules = rules_file(
        dir.path(),
        &["go.microsoft.com".to_owned(), "*.manage.microsoft.com".to_owned()],
        "",
    );
    let out = dir.path().join("snap");
    // A proxy that is not there: nothing was reached, whatever the list claims.
    let proxy = format!("http://127.0.0.1:{closed}");
    let collected = collect(
        &out,
        &["--endpoints-allowlist".to_owned(), path_str(&allowlist).to_owned()],
        &[
            "--probe-endpoints",
            "--no-tls",
            "--proxy",
            &proxy,
            "--timeout",
            "3",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ],
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let (code, report) = check_with(&out, &rules);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        endpoint_findings(&report),
        [(
            "go.microsoft.com".to_owned(),
            "fail".to_owned(),
            format!(
                "go.microsoft.com is not reachable: the allowlist allows it (line 2), but its probe failed: cannot reach the proxy: connection refused (127.0.0.1:{closed}) (proxy 127.0.0.1:{closed})"
            )
        )],
        "the wildcard had no host to probe, so the allowlist's claim stands for it"
    );
}

#[test]
fn a_probe_counts_for_the_port_it_probed_and_messages_keep_the_port() {
    let dir = tempfile::tempdir().unwrap();
    let (open, closed) = open_and_closed_ports();
    let open_port = open.local_addr().unwrap().port();
    let endpoints = [format!("localhost:{open_port}"), format!("localhost:{closed}")];
    let rules = rules_file(dir.path(), &endpoints, "");
    let out = dir.path().join("snap");
    let collected = collect(
        &out,
        &[],
        &[
            "--probe-endpoints",
            "--no-tls",
            "--timeout",
            "3",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ],
    );
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let (code, report) = check_with(&out, &rules);
    assert_eq!(code, Some(1), "{report}");
    let findings = endpoint_findings(&report);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].0, format!("localhost:{closed}"));
    assert!(
        findings[0].2.starts_with(&format!(
            "localhost:{closed} is not reachable: its probe failed: connection refused"
        )),
        "{}",
        findings[0].2
    );
    drop(open);
}

/// Runs `collect` with at most `open_files` file descriptors (`ulimit -n`).
#[cfg(unix)]
fn collect_with_open_files(open_files: u32, out: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("sh")
        .args(["-c", "ulimit -n \"$0\" && exec \"$@\""])
        .arg(open_files.to_string())
        .arg(env!("CARGO_BIN_EXE_sitelint"))
        .args(["collect", "--out", path_str(out)])
        .args(args)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn a_probe_that_ran_out_of_file_descriptors_is_made_again_or_fails_the_collect() {
    let dir = tempfile::tempdir().unwrap();
    // They accept and never answer the handshake: each probe holds its socket for --timeout.
    let listeners: Vec<TcpListener> = (0..100).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let endpoints: Vec<String> = listeners
        .iter()
        .map(|l| format!("127.0.0.1:{}", l.local_addr().unwrap().port()))
        .collect();
    let rules = rules_file(dir.path(), &endpoints, "");
    let args = [
        "--probe-endpoints",
        "--timeout",
        "0.5",
        "--no-default-rules",
        "--rules",
        path_str(&rules),
    ];

    let out = dir.path().join("snap");
    let collected = collect_with_open_files(20, &out, &args);
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    assert!(
        stdout(&collected).contains("100 endpoint probes (100 reachable, 0 not, 0 not probed)"),
        "a local limit is no network result: {}",
        stdout(&collected)
    );
    assert!(
        stderr(&collected).contains("failed on this machine (Too many open files"),
        "{}",
        stderr(&collected)
    );

    // Not even one probe fits: the collect fails, naming the cause, and leaves nothing.
    let starved = dir.path().join("starved");
    let failed = collect_with_open_files(4, &starved, &args);
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("failed on this machine, not on the network: Too many open files"),
        "{}",
        stderr(&failed)
    );
    assert!(!starved.exists());
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    drop(listeners);
}

/// A server on loopback that, to a CONNECT, answers 200 and then, to anyone, sends the start
/// of a TLS record and one more byte of it every half second, for at most 30 s: a handshake
/// that never ends and never goes quiet. Returns its port.
fn trickling_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut first = [0u8; 7];
                if stream.read_exact(&mut first).is_err() {
                    return;
                }
                if &first == b"CONNECT" {
                    let mut request = Vec::new();
                    let mut byte = [0u8; 1];
                    while !request.ends_with(b"\r\n\r\n") && stream.read_exact(&mut byte).is_ok() {
                        request.push(byte[0]);
                    }
                    let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                }
                // A handshake record of 16 KB, of which one byte comes at a time.
                if stream.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]).is_err() {
                    return;
                }
                for _ in 0..60 {
                    thread::sleep(Duration::from_millis(500));
                    if stream.write_all(&[0x02]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn the_timeout_covers_the_whole_probe_even_a_handshake_that_trickles() {
    let dir = tempfile::tempdir().unwrap();
    let port = trickling_server();
    let rules = rules_file(dir.path(), &[format!("localhost:{port}")], "");
    let proxy = format!("http://127.0.0.1:{port}");
    for (name, extra) in [("direct", vec![]), ("tunnel", vec!["--proxy", proxy.as_str()])] {
        let out = dir.path().join(name);
        let mut args = vec![
            "--probe-endpoints",
            "--timeout",
            "2",
            "--no-default-rules",
            "--rules",
            path_str(&rules),
        ];
        args.extend(extra);
        let started = std::time::Instant::now();
        let collected = collect(&out, &[], &args);
        let took = started.elapsed();
        assert_eq!(collected.status.code(), Some(0), "{name}: {}", stderr(&collected));
        assert!(
            took < Duration::from_secs(7),
            "{name}: the probe took {took:?} with --timeout 2"
        );
        let probe = &probes(&out)[0];
        assert_eq!(probe["reachable"], true, "{name}: {probe}");
        assert_eq!(
            probe["tls"]["handshake_error"], "timed out during the handshake",
            "{name}: {probe}"
        );
    }
}
