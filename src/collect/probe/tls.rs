//! The TLS handshake a probe makes once TCP, or the proxy's tunnel, is open: SNI is the
//! endpoint's host, and the chain presented is recorded whatever it is. Whether it chains to a
//! trusted root is judged apart from the handshake, so an inspecting proxy's own certificate is
//! named in the snapshot instead of ending the probe with a bare refusal.

use std::io;
use std::net::TcpStream;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::deadline::remaining;
use crate::document::date::rfc3339;
use crate::readers::endpoints::{Certificate, Tls};

/// The roots a probe trusts.
#[derive(Debug, Clone)]
pub struct Roots(Arc<RootCertStore>);

/// Why a `--tls-roots` file gives no roots; `file` is the file as the command line named it.
#[derive(Debug, thiserror::Error)]
pub enum RootsError {
    #[error("{file}: not a PEM certificate file ({source})")]
    NotPem {
        file: String,
        source: rustls::pki_types::pem::Error,
    },
    #[error("{file}: a certificate cannot be used as a root ({source})")]
    NotARoot { file: String, source: rustls::Error },
    #[error("{file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    Empty { file: String },
}

impl Roots {
    /// Mozilla's public roots, built in: the probe machine's own store may hold the very
    /// inspection CA the probe is there to find.
    pub fn public() -> Roots {
        Roots(Arc::new(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }))
    }

    /// The certificates of a PEM file (`--tls-roots`), instead of the public roots.
    pub fn from_pem(pem: &[u8], name: &str) -> Result<Roots, RootsError> {
        let name = || name.to_owned();
        let mut store = RootCertStore::empty();
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate.map_err(|source| RootsError::NotPem { file: name(), source })?;
            store
                .add(certificate)
                .map_err(|source| RootsError::NotARoot { file: name(), source })?;
        }
        if store.is_empty() {
            return Err(RootsError::Empty { file: name() });
        }
        Ok(Roots(Arc::new(store)))
    }
}

/// What the verifier saw: the chain, and whether it verified.
#[derive(Debug, Default)]
struct Seen {
    chain: Vec<CertificateDer<'static>>,
    verified: Option<Result<(), rustls::Error>>,
}

/// Verifies like the web PKI verifier, records the outcome, and lets the handshake go on
/// either way: the probe wants the version, suite and chain even of an untrusted server.
/// Nothing is sent over the connection; it is closed once the handshake is done.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Seen>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        seen.verified = Some(verified);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Makes the handshake on `stream` for `host`, before `deadline`.
pub fn handshake(stream: &mut TcpStream, host: &str, roots: &Roots, deadline: Instant) -> Tls {
    let provider = Arc::new(ring::default_provider());
    let recording = match verifier(roots, &provider) {
        Ok(inner) => Arc::new(Recording {
            inner,
            seen: Mutex::new(Seen::default()),
        }),
        Err(e) => return failed(format!("no TLS configuration: {e}")),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|builder| {
            builder
                .dangerous()
                .with_custom_certificate_verifier(recording.clone())
                .with_no_client_auth()
        });
    let name = ServerName::try_from(host.to_owned());
    let (config, name) = match (config, name) {
        (Ok(config), Ok(name)) => (config, name),
        (Err(e), _) => return failed(format!("no TLS configuration: {e}")),
        (_, Err(e)) => return failed(format!("`{host}` cannot be a TLS server name: {e}")),
    };
    let mut connection = match ClientConnection::new(Arc::new(config), name) {
        Ok(connection) => connection,
        Err(e) => return failed(e.to_string()),
    };
    let error = drive(&mut connection, stream, deadline).err();
    let seen = std::mem::take(&mut *recording.seen.lock().unwrap_or_else(PoisonError::into_inner));
    let done = error.is_none();
    Tls {
        version: done
            .then(|| connection.protocol_version())
            .flatten()
            .map(|v| format!("{v:?}").replace("TLSv1_", "TLS 1.")),
        cipher_suite: done
            .then(|| connection.negotiated_cipher_suite())
            .flatten()
            .map(|s| format!("{:?}", s.suite())),
        chain: seen.chain.iter().map(|c| certificate(c)).collect(),
        trusted: matches!(seen.verified, Some(Ok(()))),
        verify_error: match seen.verified {
            Some(Err(e)) => Some(verify_error(&e)),
            _ => None,
        },
        handshake_error: error.as_ref().map(HandshakeError::to_string),
    }
}

/// Why a handshake did not complete; the probe results record it in these words.
#[derive(Debug, thiserror::Error)]
enum HandshakeError {
    #[error("the server closed the connection during the handshake")]
    Closed,
    #[error("{}", describe(.0))]
    Failed(io::Error),
}

/// Runs the handshake a record at a time, each read and write bounded by what is left of the
/// deadline. (`complete_io` loops until the handshake is done, so a server sending a byte
/// every half second would keep it going however short each read's timeout.)
fn drive(connection: &mut ClientConnection, stream: &mut TcpStream, deadline: Instant) -> Result<(), HandshakeError> {
    while connection.is_handshaking() {
        let step = remaining(deadline).and_then(|left| {
            if connection.wants_write() {
                stream.set_write_timeout(Some(left))?;
                connection.write_tls(stream)?;
                return Ok(true);
            }
            stream.set_read_timeout(Some(left))?;
            if connection.read_tls(stream)? == 0 {
                return Ok(false);
            }
            connection
                .process_new_packets()
                .map(|_| true)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        });
        match step {
            Ok(true) => {}
            Ok(false) => return Err(HandshakeError::Closed),
            Err(e) => {
                // The alert that says why, if rustls has one to send; the probe ends either way.
                if connection.wants_write() {
                    let _ = stream.set_write_timeout(Some(std::time::Duration::from_millis(100)));
                    let _ = connection.write_tls(stream);
                }
                return Err(HandshakeError::Failed(e));
            }
        }
    }
    Ok(())
}

fn verifier(
    roots: &Roots,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, rustls::client::VerifierBuilderError> {
    WebPkiServerVerifier::builder_with_provider(roots.0.clone(), provider.clone()).build()
}

fn failed(why: String) -> Tls {
    Tls {
        handshake_error: Some(why),
        ..Tls::default()
    }
}

/// Why a handshake did not complete, in words: an alert says what the server refused.
fn describe(error: &io::Error) -> String {
    if let Some(tls) = error.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        return match tls {
            rustls::Error::AlertReceived(alert) => {
                let words = format!("{alert:?}");
                match words.as_str() {
                    "HandshakeFailure" | "ProtocolVersion" | "InsufficientSecurity" => {
                        format!("the server sent the alert {words}: no protocol version or cipher suite in common")
                    }
                    _ => format!("the server sent the alert {words}"),
                }
            }
            rustls::Error::PeerIncompatible(why) => format!("no protocol version or cipher suite in common ({why:?})"),
            other => other.to_string(),
        };
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            "the server closed the connection during the handshake".to_owned()
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed out during the handshake".to_owned(),
        _ => error.to_string(),
    }
}

/// The verifier's refusal as the word probes.json keeps.
fn verify_error(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            CertificateError::UnknownIssuer => "unknown-issuer".to_owned(),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired".to_owned(),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => "not-yet-valid".to_owned(),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "name-mismatch".to_owned()
            }
            // webpki's own word for it (`CaUsedAsEndEntity`), not a nest of wrappers.
            CertificateError::Other(other) => other.to_string(),
            other => format!("{other:?}"),
        },
        other => other.to_string(),
    }
}

/// Subject, issuer, validity and SHA-256 of one certificate.
fn certificate(der: &CertificateDer<'_>) -> Certificate {
    let sha256 = crate::document::text::hex(::ring::digest::digest(&::ring::digest::SHA256, der.as_ref()).as_ref());
    match x509_parser::parse_x509_certificate(der.as_ref()) {
        Ok((_, parsed)) => {
            let time = |t: x509_parser::time::ASN1Time| {
                let seconds = t.timestamp();
                let at = if seconds >= 0 {
                    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds.unsigned_abs())
                } else {
                    SystemTime::UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
                };
                rfc3339(at)
            };
            Certificate {
                subject: parsed.subject().to_string(),
                issuer: parsed.issuer().to_string(),
                not_before: time(parsed.validity().not_before),
                not_after: time(parsed.validity().not_after),
                sha256,
            }
        }
        Err(e) => Certificate {
            subject: format!("(not a readable certificate: {e})"),
            issuer: String::new(),
            not_before: String::new(),
            not_after: String::new(),
            sha256,
        },
    }
}
