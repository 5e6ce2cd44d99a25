//! Probes that see what the download sees, on loopback with real parts: a TLS server whose
//! chain is signed by a root made here, a CONNECT proxy that tunnels to it, one that terminates
//! TLS itself with a certificate from another CA (an inspecting proxy), one that hangs up
//! during the handshake, and the same three met directly. Each goes through `collect`, then
//! `check` on the moved snapshot. Certificates are made at run time; no key is committed.

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::thread;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection};
use serde_json::Value;

use crate::{json, path_str, sitelint, stderr, stdout};

/// The host the rules require and the proxy is asked for.
const HOST: &str = "download.windowsupdate.com";

/// A CA and a server certificate it signed for `HOST` and `localhost`.
struct Pki {
    root_pem: String,
    server: Arc<ServerConfig>,
}

fn pki(ca_name: &str) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.distinguished_name.push(DnType::CommonName, ca_name);
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![HOST.to_owned(), "localhost".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, HOST);
    let certificate = params.signed_by(&key, &ca).unwrap();
    let chain = vec![certificate.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    Pki {
        root_pem: ca.pem(),
        server: Arc::new(server),
    }
}

/// What a listener does with each connection, until the test ends.
fn serve(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = Arc::new(handle);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handle = handle.clone();
            thread::spawn(move || handle(stream));
        }
    });
    port
}

/// Completes a TLS handshake as the server of `config`, then closes.
fn tls_server(config: Arc<ServerConfig>) -> impl Fn(TcpStream) + Send + Sync + 'static {
    move |mut stream: TcpStream| {
        let mut connection = ServerConnection::new(config.clone()).unwrap();
        while connection.is_handshaking() {
            if connection.complete_io(&mut stream).is_err() {
                return;
            }
        }
        connection.send_close_notify();
        let _ = connection.complete_io(&mut stream);
    }
}

/// Reads a CONNECT request up to its blank line and answers 200.
fn accept_connect(stream: &mut TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
}

/// A proxy that tunnels every CONNECT to `upstream`, whatever host it names.
fn tunnelling_proxy(upstream: u16) -> u16 {
    serve(move |mut client| {
        if accept_connect(&mut client).is_err() {
            return;
        }
        let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
            return;
        };
        let (mut client_in, mut server_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        thread::spawn(move || {
            let _ = io::copy(&mut client_in, &mut server_out);
            let _ = server_out.shutdown(std::net::Shutdown::Write);
        });
        let _ = io::copy(&mut server, &mut client);
    })
}

/// A proxy that answers CONNECT and then speaks TLS itself, with its own certificate.
fn inspecting_proxy(own: Arc<ServerConfig>) -> u16 {
    let server = tls_server(own);
    serve(move |mut client| {
        if accept_connect(&mut client).is_ok() {
            server(client);
        }
    })
}

/// Closes the connection as soon as the client's first TLS bytes arrive.
fn hang_up(mut stream: TcpStream) {
    let mut first = [0u8; 5];
    let _ = stream.read_exact(&mut first);
}

/// A proxy that opens the tunnel and then hangs up during the handshake.
fn hanging_up_proxy() -> u16 {
    serve(|mut client| {
        if accept_connect(&mut client).is_ok() {
            hang_up(client);
        }
    })
}

/// Collects probes of `endpoint` (through `proxy` when given) trusting `root_pem`, moves the
/// snapshot, checks it, and returns the probe and the check's JSON report.
fn collect_and_check(dir: &Path, endpoint: &str, proxy: Option<u16>, root_pem: &str) -> (Value, Value) {
    let rules = dir.join("rules.yaml");
    let text = format!(
        "ruleset: tls\nrules:\n  - id: download-endpoints\n    title: The download endpoints are reachable\n    severity: error\n    kind: required-endpoints\n    endpoints: ['{endpoint}']\n"
    );
    fs::write(&rules, text).unwrap();
    let roots = dir.join("roots.pem");
    fs::write(&roots, root_pem).unwrap();
    let out = dir.join("snap");
    let proxy_url = proxy.map(|port| format!("http://127.0.0.1:{port}"));
    let mut args = vec![
        "collect",
        "--out",
        path_str(&out),
        "--probe-endpoints",
        "--timeout",
        "5",
        "--tls-roots",
        path_str(&roots),
        "--no-default-rules",
        "--rules",
        path_str(&rules),
    ];
    if let Some(url) = &proxy_url {
        args.extend(["--proxy", url.as_str()]);
    }
    let collected = sitelint(&args);
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
    let moved = dir.join("carried-across");
    fs::rename(&out, &moved).unwrap();
    let probes: Value = serde_json::from_str(&fs::read_to_string(moved.join("network/probes.json")).unwrap()).unwrap();
    let checked = sitelint(&[
        "check",
        path_str(&moved),
        "--no-default-rules",
        "--rules",
        path_str(&rules),
        "--format",
        "json",
    ]);
    (probes[0].clone(), json(&checked))
}

fn messages(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_tunnel_to_a_server_the_roots_trust_passes_and_records_the_chain() {
    let trusted = pki("sitelint test root");
    let server = serve(tls_server(trusted.server.clone()));
    let dir = tempfile::tempdir().unwrap();
    let (probe, report) = collect_and_check(dir.path(), HOST, Some(tunnelling_proxy(server)), &trusted.root_pem);
    let tls = &probe["tls"];
    assert_eq!(tls["trusted"], true, "{probe:#}");
    assert_eq!(tls["version"], "TLS 1.3");
    assert!(tls["cipher_suite"].as_str().unwrap().starts_with("TLS13_"), "{tls}");
    assert_eq!(tls["chain"][0]["subject"], format!("CN={HOST}"));
    assert_eq!(tls["chain"][0]["issuer"], "CN=sitelint test root");
    assert_eq!(tls["chain"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        crate::status(&report, "download-endpoints"),
        "passed",
        "{:?}",
        messages(&report)
    );
}

#[test]
fn a_proxy_that_inspects_tls_is_named_by_its_issuer() {
    let trusted = pki("sitelint test root");
    let inspection = pki("Contoso Inspection CA");
    let dir = tempfile::tempdir().unwrap();
    let proxy = inspecting_proxy(inspection.server.clone());
    let (probe, report) = collect_and_check(dir.path(), HOST, Some(proxy), &trusted.root_pem);
    assert_eq!(probe["reachable"], true, "the tunnel opened: {probe:#}");
    assert_eq!(probe["tls"]["trusted"], false);
    assert_eq!(probe["tls"]["verify_error"], "unknown-issuer");
    assert_eq!(crate::status(&report, "download-endpoints"), "failed");
    let [message] = &messages(&report)[..] else {
        panic!("one finding: {report:#}")
    };
    assert!(
        message.starts_with(&format!(
            "{HOST} is not reachable: the certificate presented is issued by `Contoso Inspection CA`, not by a public CA: the proxy inspects TLS"
        )),
        "{message}"
    );
}

#[test]
fn a_proxy_that_hangs_up_during_the_handshake_is_a_tls_failure() {
    let trusted = pki("sitelint test root");
    let dir = tempfile::tempdir().unwrap();
    let (probe, report) = collect_and_check(dir.path(), HOST, Some(hanging_up_proxy()), &trusted.root_pem);
    assert_eq!(probe["reachable"], true, "CONNECT succeeded: {probe:#}");
    let [message] = &messages(&report)[..] else {
        panic!("one finding: {report:#}")
    };
    assert!(
        message.contains("the TLS handshake failed: the server closed the connection during the handshake"),
        "{message}"
    );
}

#[test]
fn direct_probes_judge_tls_the_same_way() {
    let trusted = pki("sitelint test root");
    let inspection = pki("Contoso Inspection CA");
    let good = serve(tls_server(trusted.server.clone()));
    let other_ca = serve(tls_server(inspection.server.clone()));
    let hangs_up = serve(hang_up);

    let dir = tempfile::tempdir().unwrap();
    let (probe, report) = collect_and_check(dir.path(), &format!("localhost:{good}"), None, &trusted.root_pem);
    assert_eq!(probe["tls"]["trusted"], true, "{probe:#}");
    assert_eq!(
        crate::status(&report, "download-endpoints"),
        "passed",
        "{:?}",
        messages(&report)
    );

    let dir = tempfile::tempdir().unwrap();
    let (_, report) = collect_and_check(dir.path(), &format!("localhost:{other_ca}"), None, &trusted.root_pem);
    let [message] = &messages(&report)[..] else {
        panic!("one finding: {report:#}")
    };
    assert!(
        message.contains(
            "issued by `Contoso Inspection CA`, not by a public CA: a firewall or proxy on the way inspects TLS"
        ),
        "{message}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (_, report) = collect_and_check(dir.path(), &format!("localhost:{hangs_up}"), None, &trusted.root_pem);
    let [message] = &messages(&report)[..] else {
        panic!("one finding: {report:#}")
    };
    assert!(message.contains("the TLS handshake failed"), "{message}");
}

#[test]
fn a_probe_result_from_before_tls_is_judged_by_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    fs::create_dir_all(snap.join("network")).unwrap();
    let probes = format!(
        r#"[{{"host": "{HOST}", "port": 443, "reachable": true, "route": "direct", "detail": "connected to 13.107.4.50:443"}}]"#
    );
    fs::write(snap.join("network/probes.json"), probes).unwrap();
    fs::write(
        snap.join("snapshot.yaml"),
        "sitelint_snapshot: 1\nendpoints:\n  probes: network/probes.json\n",
    )
    .unwrap();
    let rules = dir.path().join("rules.yaml");
    fs::write(
        &rules,
        format!("ruleset: tls\nrules:\n  - {{id: e, title: t, severity: error, kind: required-endpoints, endpoints: [{HOST}]}}\n"),
    )
    .unwrap();
    let out = sitelint(&[
        "check",
        path_str(&snap),
        "--no-default-rules",
        "--rules",
        path_str(&rules),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn tls_roots_that_are_not_pem_are_refused_before_probing() {
    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("roots.pem");
    fs::write(&roots, "not a certificate\n").unwrap();
    let out = sitelint(&[
        "collect",
        "--out",
        path_str(&dir.path().join("snap")),
        "--probe-endpoints",
        "--tls-roots",
        path_str(&roots),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("holds no PEM certificate"), "{}", stderr(&out));
}
