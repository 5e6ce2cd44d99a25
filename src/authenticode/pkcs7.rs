//! The PKCS#7 `SignedData` of an Authenticode signature: the digest it signs for the file
//! (`SpcIndirectDataContent`), its signer (signed attributes, signature, certificate), the
//! chain to a trusted root, the timestamp countersignature that fixes the time the chain is
//! judged at (RFC 3161 or the legacy PKCS#9 one), and the signatures nested in it.

use ring::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::der::{self, CONTEXT_0, CONTEXT_1, INTEGER, Malformed, OCTET_STRING, OID, Reader, SEQUENCE, SET, Tlv, oid};
use ring::digest;

use super::{Cause, Chain, DigestAlgorithm, Evidence, Failure, MAX_SIGNATURES, Policy, Valid, format_time};
use crate::document::text::hex;

/// The longest chain followed from a signing certificate to a root.
const MAX_CHAIN: usize = 8;

/// One Authenticode signature of a file.
#[derive(Debug)]
pub(super) struct Signature<'a> {
    /// The algorithm and digest of the file's signed bytes, as the signer saw them.
    pub(super) file_digest_algorithm: DigestAlgorithm,
    pub(super) file_digest: &'a [u8],
    certs: Vec<&'a [u8]>,
    /// The bytes the signer's `messageDigest` attribute is the digest of.
    content: &'a [u8],
    signer: SignerInfo<'a>,
}

#[derive(Debug)]
enum SignerId<'a> {
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    KeyId(&'a [u8]),
}

#[derive(Debug)]
struct SignerInfo<'a> {
    id: SignerId<'a>,
    digest: DigestAlgorithm,
    signed_attrs: Option<Tlv<'a>>,
    signature_algorithm: &'a [u8],
    signature: &'a [u8],
    unsigned_attrs: Option<Tlv<'a>>,
}

struct SignedData<'a> {
    content_type: &'a [u8],
    content: Tlv<'a>,
    certs: Vec<&'a [u8]>,
    signers: Vec<SignerInfo<'a>>,
}

/// Adds the signatures of one PKCS#7 blob to `out`: its own, then those nested in it.
pub(super) fn signatures<'a>(blob: &'a [u8], out: &mut Vec<Signature<'a>>) -> der::Result<()> {
    if out.len() >= MAX_SIGNATURES {
        return Ok(());
    }
    let data = signed_data(blob)?;
    if data.content_type != oid::SPC_INDIRECT_DATA {
        return Err(Malformed::new(
            "the PKCS#7 content is not Authenticode's SpcIndirectDataContent",
        ));
    }
    let mut indirect = data.content.expect(SEQUENCE, "SpcIndirectDataContent")?.reader();
    indirect.next(SEQUENCE, "SpcIndirectDataContent data")?;
    let mut digest_info = indirect.next(SEQUENCE, "DigestInfo")?.reader();
    let file_digest_algorithm = algorithm(&mut digest_info, "DigestInfo algorithm")?;
    let file_digest = digest_info.next(OCTET_STRING, "DigestInfo digest")?.value;
    let content = data.content.value;
    let mut signers = data.signers.into_iter();
    let signer = signers
        .next()
        .ok_or_else(|| Malformed::new("the signature has no signer"))?;
    let nested: Vec<Tlv<'a>> = match &signer.unsigned_attrs {
        Some(attrs) => attribute(attrs, oid::NESTED_SIGNATURE)?,
        None => Vec::new(),
    };
    out.push(Signature {
        file_digest_algorithm,
        file_digest,
        certs: data.certs,
        content,
        signer,
    });
    for value in nested {
        signatures(value.raw, out)?;
    }
    Ok(())
}

fn signed_data(bytes: &[u8]) -> der::Result<SignedData<'_>> {
    let mut info = der::parse(bytes, SEQUENCE, "ContentInfo")?.reader();
    if info.next(OID, "ContentInfo type")?.value != oid::SIGNED_DATA {
        return Err(Malformed::new("not PKCS#7 SignedData"));
    }
    let mut r = info
        .next(CONTEXT_0, "ContentInfo content")?
        .reader()
        .next(SEQUENCE, "SignedData")?
        .reader();
    r.next(INTEGER, "SignedData version")?;
    r.next(SET, "SignedData digest algorithms")?;
    let mut encapsulated = r.next(SEQUENCE, "SignedData content")?.reader();
    let content_type = encapsulated.next(OID, "content type")?.value;
    let content = encapsulated.next(CONTEXT_0, "content")?.reader().any("content")?;
    let mut certs = Vec::new();
    if let Some(bag) = r.optional(CONTEXT_0, "certificates")? {
        let mut bag = bag.reader();
        while !bag.is_empty() {
            let cert = bag.any("certificate")?;
            // Other choices (attribute certificates) are not needed for a chain.
            if cert.tag == SEQUENCE {
                certs.push(cert.raw);
            }
        }
    }
    r.optional(CONTEXT_1, "CRLs")?;
    let mut set = r.next(SET, "signer infos")?.reader();
    let mut signers = Vec::new();
    while !set.is_empty() {
        signers.push(signer_info(set.next(SEQUENCE, "signer info")?)?);
    }
    Ok(SignedData {
        content_type,
        content,
        certs,
        signers,
    })
}

fn signer_info(tlv: Tlv<'_>) -> der::Result<SignerInfo<'_>> {
    let mut r = tlv.reader();
    r.next(INTEGER, "signer version")?;
    let id = match r.any("signer identifier")? {
        t if t.tag == SEQUENCE => {
            let mut s = t.reader();
            let issuer = s.next(SEQUENCE, "signer issuer")?.raw;
            let serial = s.next(INTEGER, "signer serial number")?.value;
            SignerId::IssuerSerial { issuer, serial }
        }
        // `[0] IMPLICIT SubjectKeyIdentifier`, CMS version 3.
        t if t.tag == 0x80 => SignerId::KeyId(t.value),
        t => return Err(Malformed::new(format!("signer identifier: tag 0x{:02x}", t.tag))),
    };
    let digest = algorithm(&mut r, "signer digest algorithm")?;
    let signed_attrs = r.optional(CONTEXT_0, "signed attributes")?;
    let mut signature_algorithm = r.next(SEQUENCE, "signature algorithm")?.reader();
    let signature_algorithm = signature_algorithm.next(OID, "signature algorithm")?.value;
    let signature = r.next(OCTET_STRING, "signature")?.value;
    let unsigned_attrs = r.optional(CONTEXT_1, "unsigned attributes")?;
    Ok(SignerInfo {
        id,
        digest,
        signed_attrs,
        signature_algorithm,
        signature,
        unsigned_attrs,
    })
}

/// Reads an `AlgorithmIdentifier` naming a digest sitelint knows.
fn algorithm(r: &mut Reader<'_>, what: &str) -> der::Result<DigestAlgorithm> {
    let oid = r.next(SEQUENCE, what)?.reader().next(OID, what)?.value;
    DigestAlgorithm::from_oid(oid).ok_or_else(|| Malformed::new(format!("{what}: unknown digest algorithm")))
}

/// The values of the attributes of type `wanted` in a set of attributes.
fn attribute<'a>(attrs: &Tlv<'a>, wanted: &[u8]) -> der::Result<Vec<Tlv<'a>>> {
    let mut values = Vec::new();
    let mut r = attrs.reader();
    while !r.is_empty() {
        let mut attr = r.next(SEQUENCE, "attribute")?.reader();
        let kind = attr.next(OID, "attribute type")?.value;
        let mut set = attr.next(SET, "attribute values")?.reader();
        if kind == wanted {
            while !set.is_empty() {
                values.push(set.any("attribute value")?);
            }
        }
    }
    Ok(values)
}

fn bad(e: Malformed) -> Failure {
    Failure::new(Cause::SignatureInvalid, e.0)
}

fn invalid(why: &str) -> Failure {
    Failure::new(Cause::SignatureInvalid, why)
}

impl Signature<'_> {
    /// Checks the signer and the timestamp, and follows the chains as far as the signature's
    /// certificates go; the file digest is checked by the caller, the roots by [`judge`].
    pub(super) fn examine(&self) -> Result<Evidence, Failure> {
        let cert = check_signer(&self.signer, self.content, &self.certs)?;
        code_signing(&parse(cert)?)?;
        let (signed_at, timestamp_chain) = match timestamp(&self.signer, &self.certs).map_err(in_timestamp)? {
            Some((time, chain)) => (Some(time), Some(chain)),
            None => (None, None),
        };
        Ok(Evidence {
            signer: parse(cert)?.subject().to_string(),
            signed_at,
            chain: walk(cert, &self.certs)?,
            timestamp_chain,
        })
    }
}

/// Judges a signature's evidence with the roots and signer of `policy`.
pub(super) fn judge(evidence: &Evidence, policy: &Policy<'_>) -> Result<Valid, Failure> {
    // The signer's chain first: its failure is the one a reader needs.
    anchor(&evidence.chain, policy.roots, evidence.signed_at.unwrap_or(policy.now))?;
    if let (Some(chain), Some(at)) = (&evidence.timestamp_chain, evidence.signed_at) {
        anchor(chain, policy.roots, at).map_err(in_timestamp)?;
    }
    if let Some(signer) = policy.signer
        && !signer.is_match(evidence.signer.as_bytes())
    {
        return Err(Failure::new(Cause::SignerMismatch, evidence.signer.clone()));
    }
    Ok(Valid {
        signer: evidence.signer.clone(),
        signed_at: evidence.signed_at,
    })
}

/// Checks a signer's signed attributes against `content` and its signature against its
/// certificate; returns that certificate.
fn check_signer<'a>(signer: &SignerInfo<'_>, content: &[u8], certs: &[&'a [u8]]) -> Result<&'a [u8], Failure> {
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or_else(|| invalid("the signer has no signed attributes"))?;
    let digests = attribute(attrs, oid::MESSAGE_DIGEST).map_err(bad)?;
    let digest = digests
        .first()
        .ok_or_else(|| invalid("the signed attributes hold no message digest"))?
        .expect(OCTET_STRING, "message digest")
        .map_err(bad)?;
    if digest.value != signer.digest.hash(content).as_ref() {
        return Err(invalid(
            "the signed attributes' message digest is not the digest of the content they sign",
        ));
    }
    let cert =
        find_cert(&signer.id, certs).ok_or_else(|| invalid("the signing certificate is not in the signature"))?;
    // The signature is over the attributes encoded as a SET, not as the `[0]` they are stored as.
    let mut message = attrs.raw.to_vec();
    message[0] = SET;
    let key = parse(cert)?;
    if !verify_with(
        key.public_key(),
        signer.signature_algorithm,
        Some(signer.digest),
        &message,
        signer.signature,
    ) {
        return Err(invalid(
            "the signer's signature does not verify with its certificate's key",
        ));
    }
    Ok(cert)
}

/// A signing certificate that names its uses must name code signing (or any use), as
/// Windows requires: a TLS server's certificate from the same CA signs no program.
fn code_signing(cert: &X509Certificate<'_>) -> Result<(), Failure> {
    match cert.extended_key_usage() {
        Ok(None) => Ok(()),
        Ok(Some(usage)) if usage.value.code_signing || usage.value.any => Ok(()),
        Ok(Some(_)) => Err(invalid("the signing certificate is not for code signing")),
        Err(e) => Err(invalid(&format!(
            "the signing certificate's key usages cannot be read: {e}"
        ))),
    }
}

fn find_cert<'a>(id: &SignerId<'_>, certs: &[&'a [u8]]) -> Option<&'a [u8]> {
    certs.iter().copied().find(|der| {
        let Ok(cert) = parse(der) else { return false };
        match id {
            SignerId::IssuerSerial { issuer, serial } => {
                cert.tbs_certificate.issuer.as_raw() == *issuer && cert.tbs_certificate.raw_serial() == *serial
            }
            SignerId::KeyId(key_id) => cert
                .extensions()
                .iter()
                .any(|e| matches!(e.parsed_extension(), ParsedExtension::SubjectKeyIdentifier(k) if k.0 == *key_id)),
        }
    })
}

pub(super) fn parse(der: &[u8]) -> Result<X509Certificate<'_>, Failure> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, cert)| cert)
        .map_err(|e| invalid(&format!("a certificate cannot be read: {e}")))
}

/// Whether `signature` over `message` verifies with `key`; `digest` is the hash when the
/// algorithm names only the key type (PKCS#7's `rsaEncryption`).
fn verify_with(
    key: &SubjectPublicKeyInfo<'_>,
    algorithm: &[u8],
    digest: Option<DigestAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> bool {
    use DigestAlgorithm::{Sha1, Sha256, Sha384, Sha512};
    let digest = match algorithm {
        a if a == oid::SHA1_RSA => Some(Sha1),
        a if a == oid::SHA256_RSA || a == oid::ECDSA_SHA256 => Some(Sha256),
        a if a == oid::SHA384_RSA || a == oid::ECDSA_SHA384 => Some(Sha384),
        a if a == oid::SHA512_RSA => Some(Sha512),
        a if a == oid::RSA || a == oid::EC_PUBLIC_KEY => digest,
        _ => None,
    };
    let Some(digest) = digest else { return false };
    let bits = &key.subject_public_key.data;
    let key_type = key.algorithm.algorithm.as_bytes();
    let verifier: &'static dyn VerificationAlgorithm = if key_type == oid::RSA {
        match digest {
            Sha1 => &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            Sha256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            Sha384 => &sig::RSA_PKCS1_2048_8192_SHA384,
            Sha512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        }
    } else if key_type == oid::EC_PUBLIC_KEY {
        // The curve shows in the point's length: 65 bytes for P-256, 97 for P-384.
        match (bits.len(), digest) {
            (65, Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
            (65, Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
            (97, Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
            (97, Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
            _ => return false,
        }
    } else {
        return false;
    };
    UnparsedPublicKey::new(verifier, bits.as_ref())
        .verify(message, signature)
        .is_ok()
}

/// Whether `issuer` issued `cert`: its subject is the issuer's name and its key verifies the
/// certificate's signature.
fn issued(issuer: &X509Certificate<'_>, cert: &X509Certificate<'_>) -> bool {
    issuer.tbs_certificate.subject.as_raw() == cert.tbs_certificate.issuer.as_raw()
        && verify_with(
            issuer.public_key(),
            cert.signature_algorithm.algorithm.as_bytes(),
            None,
            cert.tbs_certificate.as_ref(),
            &cert.signature_value.data,
        )
}

/// Follows the chain from `leaf` through the signature's `certs`, each link verified, until
/// no certificate there issued the last one (a root, or an intermediate whose issuer is left
/// out, as Microsoft leaves its roots out).
fn walk(leaf: &[u8], certs: &[&[u8]]) -> Result<Chain, Failure> {
    let mut current = leaf;
    let mut sha256 = Vec::new();
    let (mut valid_from, mut valid_to) = (i64::MIN, i64::MAX);
    for _ in 0..MAX_CHAIN {
        let cert = parse(current)?;
        sha256.push(hex(digest::digest(&digest::SHA256, current).as_ref()));
        let validity = cert.validity();
        valid_from = valid_from.max(validity.not_before.timestamp());
        valid_to = valid_to.min(validity.not_after.timestamp());
        let next = certs
            .iter()
            .copied()
            .filter(|der| *der != current)
            .find(|der| parse(der).is_ok_and(|c| issued(&c, &cert)));
        match next {
            Some(next) if cert.tbs_certificate.subject.as_raw() != cert.tbs_certificate.issuer.as_raw() => {
                current = next
            }
            _ => break,
        }
    }
    Ok(Chain {
        sha256,
        top: hex(current),
        valid_from,
        valid_to,
    })
}

/// Checks that a chain reaches one of `roots` and that it and the root are valid `at`.
fn anchor(chain: &Chain, roots: &[Vec<u8>], at: i64) -> Result<(), Failure> {
    let window = |from: i64, to: i64, what: &str| {
        if (from..=to).contains(&at) {
            Ok(())
        } else {
            Err(Failure::new(
                Cause::Expired,
                format!(
                    "{what} is valid from {} to {}, not at {}",
                    format_time(from),
                    format_time(to),
                    format_time(at)
                ),
            ))
        }
    };
    let top_der = unhex(&chain.top).ok_or_else(|| invalid("the recorded chain is not hex"))?;
    let top = parse(&top_der)?;
    for root_der in roots {
        let root = parse(root_der)?;
        let root_hash = hex(digest::digest(&digest::SHA256, root_der).as_ref());
        if chain.sha256.contains(&root_hash) || issued(&root, &top) {
            window(chain.valid_from, chain.valid_to, "the signing chain")?;
            let validity = root.validity();
            return window(
                validity.not_before.timestamp(),
                validity.not_after.timestamp(),
                &format!("root `{}`", root.subject()),
            );
        }
    }
    let detail = if top.subject() == top.issuer() {
        format!("it ends at root `{}`, which is not a trusted root", top.subject())
    } else {
        format!(
            "`{}` is issued by `{}`, which is not a trusted root",
            top.subject(),
            top.issuer()
        )
    };
    Err(Failure::new(Cause::UntrustedRoot, detail))
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The time the signer's timestamp countersignature gives, and the chain of its signer, its
/// imprint checked against this signature and its own signer verified. `None` without one.
fn timestamp(signer: &SignerInfo<'_>, certs: &[&[u8]]) -> Result<Option<(i64, Chain)>, Failure> {
    let Some(attrs) = &signer.unsigned_attrs else {
        return Ok(None);
    };
    if let Some(token) = attribute(attrs, oid::RFC3161_TIMESTAMP).map_err(bad)?.first() {
        let data = signed_data(token.raw).map_err(bad)?;
        if data.content_type != oid::TST_INFO {
            return Err(invalid("the token is not a TSTInfo"));
        }
        let info = data.content.expect(OCTET_STRING, "TSTInfo").map_err(bad)?;
        let (imprint_algorithm, imprint, time) = tst_info(info.value).map_err(bad)?;
        if imprint != imprint_algorithm.hash(signer.signature).as_ref() {
            return Err(invalid("it is the timestamp of another signature"));
        }
        let tsa = data.signers.first().ok_or_else(|| invalid("the token has no signer"))?;
        let all: Vec<&[u8]> = data.certs.iter().chain(certs).copied().collect();
        let cert = check_signer(tsa, info.value, &all)?;
        return Ok(Some((time, walk(cert, &all)?)));
    }
    if let Some(counter) = attribute(attrs, oid::COUNTER_SIGNATURE).map_err(bad)?.first() {
        let counter = signer_info(*counter).map_err(bad)?;
        let cert = check_signer(&counter, signer.signature, certs)?;
        let signed_attrs = counter
            .signed_attrs
            .as_ref()
            .ok_or_else(|| invalid("no signed attributes"))?;
        let time = attribute(signed_attrs, oid::SIGNING_TIME)
            .map_err(bad)?
            .first()
            .ok_or_else(|| invalid("the countersignature has no signing time"))
            .and_then(|t| der::time(t).map_err(bad))?;
        return Ok(Some((time, walk(cert, certs)?)));
    }
    Ok(None)
}

/// The imprint and time of an RFC 3161 `TSTInfo`.
fn tst_info(bytes: &[u8]) -> der::Result<(DigestAlgorithm, &[u8], i64)> {
    let mut r = der::parse(bytes, SEQUENCE, "TSTInfo")?.reader();
    r.next(INTEGER, "TSTInfo version")?;
    r.next(OID, "TSTInfo policy")?;
    let mut imprint = r.next(SEQUENCE, "TSTInfo imprint")?.reader();
    let algorithm = algorithm(&mut imprint, "TSTInfo imprint algorithm")?;
    let digest = imprint.next(OCTET_STRING, "TSTInfo imprint")?.value;
    r.next(INTEGER, "TSTInfo serial number")?;
    let time = der::time(&r.next(der::GENERALIZED_TIME, "TSTInfo time")?)?;
    Ok((algorithm, digest, time))
}

/// Says that a failure is the timestamp's, not the file signer's.
fn in_timestamp(failure: Failure) -> Failure {
    Failure::new(failure.cause, format!("timestamp countersignature: {}", failure.detail))
}
