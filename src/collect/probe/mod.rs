//! Endpoint probes for `collect --probe-endpoints`: a TCP connection to each required host,
//! directly or through an HTTP proxy's `CONNECT`, then a TLS handshake as the download would
//! make it, the whole probe bounded by one timeout (`pool` makes many at once). A probe says
//! whether the host was reached and, when it was not, why in plain words, and what its TLS
//! presented; one that failed for a reason of this machine (no file descriptor left) is no
//! result, and says so.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

mod deadline;
mod pool;
pub mod tls;

use crate::checks::SourceRef;
use crate::document::text::plural;
use crate::readers::endpoints::{PROXY_FAILED, Probe, Required};
use crate::rules::RuleSet;
use crate::sources::stage::{Acquisition, Entry, Key, Stage};
use deadline::{is_local, remaining};
use tls::Roots;

/// The environment variable that holds the proxy password: never a flag, so it stays out of
/// shell history, process lists and the snapshot.
pub const PASSWORD_VARIABLE: &str = "SITELINT_PROXY_PASSWORD";

/// Why `--proxy` (with `--proxy-user`) names no proxy sitelint can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("proxy `{url}`: only http:// proxies are supported, not {scheme}://")]
    Scheme { url: String, scheme: String },
    #[error("proxy `{url}`: put the user in --proxy-user and the password in {PASSWORD_VARIABLE}, not in the URL")]
    CredentialsInUrl { url: String },
    #[error("proxy `{url}`: `{port}` is not a port")]
    Port { url: String, port: String },
    #[error("proxy `{url}` names no host")]
    NoHost { url: String },
    #[error("--proxy-user needs the password in the environment variable {PASSWORD_VARIABLE}")]
    NoPassword,
}

#[derive(Clone)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    credentials: Option<(String, String)>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password never reaches a log line or an error message.
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proxy {}:{}", self.host, self.port)
    }
}

impl Proxy {
    /// Parses `http://host:port` (the scheme is optional; the port defaults to 80, as in any
    /// HTTP URL). A password in the URL is refused.
    pub fn parse(url: &str, user: Option<&str>, password: Option<String>) -> Result<Proxy, ProxyError> {
        let given = || url.to_owned();
        let rest = match url.split_once("://") {
            Some(("http" | "HTTP", rest)) => rest,
            Some((scheme, _)) => {
                return Err(ProxyError::Scheme {
                    url: given(),
                    scheme: scheme.to_owned(),
                });
            }
            None => url,
        };
        let authority = rest.split('/').next().unwrap_or("");
        if authority.contains('@') {
            return Err(ProxyError::CredentialsInUrl { url: given() });
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>().map_err(|_| ProxyError::Port {
                    url: given(),
                    port: port.to_owned(),
                })?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(ProxyError::NoHost { url: given() });
        }
        let credentials = match (user, password) {
            (Some(user), Some(password)) => Some((user.to_owned(), password)),
            (Some(_), None) => return Err(ProxyError::NoPassword),
            (None, _) => None,
        };
        Ok(Proxy {
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port,
            credentials,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub proxy: Option<Proxy>,
    pub timeout: Duration,
    /// The roots a TLS handshake is judged against; `None` (`--no-tls`) stops at TCP.
    pub tls: Option<Roots>,
}

/// `collect --probe-endpoints`: every endpoint the rules require, probed, and the results
/// written as the snapshot's `network/probes.json`, after every copied part.
pub struct Probes {
    endpoints: Vec<Required>,
    settings: Settings,
}

impl Probes {
    /// Every endpoint the enabled rules require, once each (by host pattern and port).
    pub fn of(rules: &RuleSet, settings: Settings) -> Probes {
        let mut endpoints: Vec<Required> = Vec::new();
        for rule in rules.enabled() {
            let SourceRef::Endpoints(required) = rule.check.source() else {
                continue;
            };
            for endpoint in required {
                match endpoints
                    .iter_mut()
                    .find(|e| e.pattern == endpoint.pattern && e.port == endpoint.port)
                {
                    Some(known) => {
                        if known.probe_host.is_none() {
                            known.probe_host.clone_from(&endpoint.probe_host);
                        }
                    }
                    None => endpoints.push(endpoint.clone()),
                }
            }
        }
        Probes { endpoints, settings }
    }
}

impl Acquisition for Probes {
    fn acquire(&self, stage: &mut dyn Stage) -> io::Result<()> {
        let progress = stage.progress();
        progress.begin("probing endpoints", self.endpoints.len() as u64);
        let probed = pool::probe_all(&self.endpoints, &self.settings, stage.interrupted(), &mut || {
            progress.advance(1);
        });
        progress.end();
        let probed = probed.map_err(|stopped| match stopped {
            pool::Stopped::Interrupted => io::Error::new(io::ErrorKind::Interrupted, "interrupted"),
            local => io::Error::other(local.to_string()),
        })?;
        if let Some(why) = &probed.local_reason {
            stage.warn(format!(
                "{} failed on this machine ({why}) and {} made again, fewer at a time",
                plural(probed.retried, "probe", "probes"),
                if probed.retried == 1 { "was" } else { "were" }
            ));
        }
        stage.check_interrupted()?;
        // A proxy that cannot be reached fails every probe alike: said once, as the check
        // reports it once.
        let mut at_proxy: Vec<(&str, &str, usize)> = Vec::new();
        for probe in probed.probes.iter().filter(|p| p.reachable == Some(false)) {
            let route = probe.route.as_deref().unwrap_or_default();
            let Some(why) = probe.detail.as_deref().and_then(|d| d.strip_prefix(PROXY_FAILED)) else {
                continue;
            };
            match at_proxy.iter_mut().find(|(r, w, _)| *r == route && *w == why) {
                Some((_, _, count)) => *count += 1,
                None => at_proxy.push((route, why, 1)),
            }
        }
        for (route, why, count) in at_proxy {
            stage.warn(format!(
                "the {route} could not be reached ({why}): {} did not get past it",
                plural(count, "endpoint probe", "endpoint probes")
            ));
        }
        let mut text = serde_json::to_string_pretty(&probed.probes).map_err(io::Error::other)?;
        text.push('\n');
        stage.write(RESULTS, text.as_bytes())?;
        stage.record("endpoints", Entry::path(Key::Fixed("probes"), RESULTS));
        let how = format!(
            "{}, timeout {} s",
            route(&self.settings),
            self.settings.timeout.as_secs_f64()
        );
        stage.collected_from(Key::Fixed("probes"), how);
        if probed.probes.is_empty() {
            return Ok(());
        }
        let count = |v: Option<bool>| probed.probes.iter().filter(|p| p.reachable == v).count();
        stage.closing_phrase(format!(
            "{} ({} reachable, {} not, {} not probed)",
            plural(probed.probes.len(), "endpoint probe", "endpoint probes"),
            count(Some(true)),
            count(Some(false)),
            count(None)
        ));
        Ok(())
    }
}

/// Where the results go in the snapshot.
const RESULTS: &str = "network/probes.json";

/// A probe that failed for a reason of this machine, not of the network.
pub(super) struct Local(pub(super) String);

fn route(settings: &Settings) -> String {
    match &settings.proxy {
        None => "direct".to_owned(),
        Some(proxy) => proxy.to_string(),
    }
}

/// A probe whose thread did not answer by its deadline (and a little more).
pub(super) fn timed_out(required: &Required, settings: &Settings) -> Probe {
    let host = required.probe_target().unwrap_or_default().to_owned();
    let endpoint = required.pattern.to_string();
    Probe {
        endpoint: (endpoint != host).then_some(endpoint),
        host: Some(host),
        port: Some(required.port),
        reachable: Some(false),
        route: Some(route(settings)),
        detail: Some(format!(
            "timed out: no answer within --timeout {} s",
            settings.timeout.as_secs_f64()
        )),
        tls: None,
    }
}

/// Probes one endpoint within `settings.timeout`, all steps included.
pub(super) fn probe(required: &Required, settings: &Settings) -> Result<Probe, Local> {
    let endpoint = required.pattern.to_string();
    let Some(host) = required.probe_target() else {
        return Ok(Probe {
            endpoint: Some(endpoint),
            host: None,
            port: None,
            reachable: None,
            route: None,
            detail: Some("the rule names no host to probe for this wildcard (see `probe-hosts`)".to_owned()),
            tls: None,
        });
    };
    let deadline = Instant::now() + settings.timeout;
    let opened = match &settings.proxy {
        None => direct(host, required.port, deadline),
        Some(proxy) => through_proxy(proxy, host, required.port, deadline),
    };
    let (reachable, detail, tls) = match opened {
        Ok((mut stream, detail)) => {
            let tls = settings
                .tls
                .as_ref()
                .map(|roots| tls::handshake(&mut stream, host, roots, deadline));
            (true, detail, tls)
        }
        Err(Failure::Network(why)) => (false, why, None),
        Err(Failure::Local(why)) => return Err(Local(why)),
    };
    Ok(Probe {
        endpoint: (endpoint != host).then_some(endpoint),
        host: Some(host.to_owned()),
        port: Some(required.port),
        reachable: Some(reachable),
        route: Some(route(settings)),
        detail: Some(detail),
        tls,
    })
}

/// Why no connection was opened: what the network said, or a limit of this machine.
enum Failure {
    Network(String),
    Local(String),
}

impl Failure {
    /// An I/O error while `doing`, sorted by whose it is.
    fn io(error: &io::Error, doing: &str) -> Failure {
        if is_local(error) {
            Failure::Local(format!("{error} ({doing})"))
        } else {
            Failure::Network(describe_io(error, doing))
        }
    }
}

/// An open connection to the host, and what opened it; or why there is none.
type Opened = Result<(TcpStream, String), Failure>;

fn direct(host: &str, port: u16, deadline: Instant) -> Opened {
    connect(host, port, deadline).map(|(stream, address)| (stream, format!("connected to {address}")))
}

fn through_proxy(proxy: &Proxy, host: &str, port: u16, deadline: Instant) -> Opened {
    let mut stream = match connect(&proxy.host, proxy.port, deadline) {
        Ok((stream, _)) => stream,
        Err(Failure::Network(why)) => return Err(Failure::Network(format!("{PROXY_FAILED}{why}"))),
        Err(local) => return Err(local),
    };
    let mut request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if let Some((user, password)) = &proxy.credentials {
        request.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            base64(format!("{user}:{password}").as_bytes())
        ));
    }
    request.push_str("\r\n");
    let answer = remaining(deadline)
        .and_then(|left| {
            stream.set_write_timeout(Some(left))?;
            stream.write_all(request.as_bytes())?;
            read_status_line(&mut stream, deadline)
        })
        .map_err(|e| Failure::io(&e, "waiting for the proxy's answer"))?;
    let refused = |why: String| Err(Failure::Network(why));
    match answer {
        None => refused("the proxy closed the connection without answering".to_owned()),
        Some(line) if !is_http_status_line(&line) => {
            refused(format!("the proxy did not answer in HTTP: `{}`", line.trim_end()))
        }
        Some(line) => {
            let mut parts = line.splitn(3, ' ');
            let code = parts.nth(1).unwrap_or("");
            let reason = parts.next().unwrap_or("").trim();
            match code {
                "200" => Ok((stream, "the proxy opened a tunnel (200)".to_owned())),
                "403" => refused("proxy answered 403 Forbidden: it does not allow this host".to_owned()),
                "407" => refused(format!(
                    "proxy answered 407 Proxy Authentication Required: give --proxy-user and the password in {PASSWORD_VARIABLE}"
                )),
                "502" => refused("proxy answered 502 Bad Gateway: the proxy could not reach the host".to_owned()),
                _ => refused(format!("proxy answered `{}`", format!("{code} {reason}").trim())),
            }
        }
    }
}

/// Resolves and connects before the deadline. Name resolution runs on its own thread, as the
/// system resolver cannot be given a timeout.
fn connect(host: &str, port: u16, deadline: Instant) -> Result<(TcpStream, SocketAddr), Failure> {
    let (sender, receiver) = mpsc::channel();
    let target = (host.to_owned(), port);
    thread::Builder::new()
        .name("resolve".to_owned())
        .spawn(move || {
            let _ = sender.send(target.to_socket_addrs().map(Vec::from_iter));
        })
        .map_err(|e| Failure::Local(format!("cannot start a thread: {e}")))?;
    let left = remaining(deadline).map_err(|e| Failure::io(&e, "resolving the name"))?;
    let addresses = match receiver.recv_timeout(left) {
        Err(_) => return Err(Failure::Network(format!("timed out resolving {host}"))),
        Ok(Err(e)) if is_local(&e) => return Err(Failure::Local(format!("{e} (resolving {host})"))),
        Ok(Err(e)) => return Err(Failure::Network(format!("name not resolved: {host} ({e})"))),
        Ok(Ok(addresses)) if addresses.is_empty() => {
            return Err(Failure::Network(format!("name not resolved: {host}")));
        }
        Ok(Ok(addresses)) => addresses,
    };
    let mut last = String::new();
    for address in addresses {
        let attempt = remaining(deadline).and_then(|left| TcpStream::connect_timeout(&address, left));
        match attempt {
            Ok(stream) => return Ok((stream, address)),
            Err(e) if is_local(&e) => return Err(Failure::Local(format!("{e} (connecting to {address})"))),
            Err(e) => last = format!("{} ({address})", describe_io(&e, "connecting")),
        }
    }
    Err(Failure::Network(last))
}

/// Reads the first line of an HTTP answer; `None` if the connection closed first.
/// `HTTP/1.x NNN ...`: anything else is not a proxy's answer, whatever numbers it holds.
fn is_http_status_line(line: &str) -> bool {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let code = parts.next().unwrap_or("").trim_end();
    version.starts_with("HTTP/1.") && code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The whole header block is read, a byte at a time, so that nothing of it is left for the
/// TLS handshake to mistake for a record, and nothing after it is taken from the tunnel.
fn read_status_line(stream: &mut TcpStream, deadline: Instant) -> io::Result<Option<String>> {
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !(answer.ends_with(b"\r\n\r\n") || answer.ends_with(b"\n\n")) && answer.len() < 8192 {
        stream.set_read_timeout(Some(remaining(deadline)?))?;
        if stream.read(&mut byte)? == 0 {
            if answer.is_empty() {
                return Ok(None);
            }
            break;
        }
        answer.push(byte[0]);
    }
    let line = answer.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(Some(String::from_utf8_lossy(line).trim().to_owned()))
}

fn describe_io(error: &io::Error, doing: &str) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => format!("timed out {doing}"),
        io::ErrorKind::ConnectionReset => "connection reset".to_owned(),
        _ => format!("{error} ({doing})"),
    }
}

/// Standard base64 for the `Proxy-Authorization` header: a dozen lines, not a dependency.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(b"CONTOSO\\svc-sct:p@ss"), "Q09OVE9TT1xzdmMtc2N0OnBAc3M=");
    }

    #[test]
    fn proxy_urls_and_where_the_password_may_come_from() {
        let proxy = Proxy::parse("http://itproxy.contoso.com:8080/", Some("svc"), Some("secret".into())).unwrap();
        assert_eq!((proxy.host.as_str(), proxy.port), ("itproxy.contoso.com", 8080));
        assert!(!format!("{proxy:?} {proxy}").contains("secret"));
        assert_eq!(Proxy::parse("itproxy", None, None).unwrap().port, 80);
        assert!(
            Proxy::parse("http://svc:secret@itproxy:8080", None, None)
                .unwrap_err()
                .to_string()
                .contains(PASSWORD_VARIABLE)
        );
        assert_eq!(
            Proxy::parse("https://itproxy:8443", None, None)
                .unwrap_err()
                .to_string(),
            "proxy `https://itproxy:8443`: only http:// proxies are supported, not https://"
        );
        assert_eq!(
            Proxy::parse("http://itproxy:8080", Some("svc"), None).unwrap_err(),
            ProxyError::NoPassword
        );
    }
}
