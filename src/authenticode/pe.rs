//! Where a PE file (`.exe`, `.dll`) keeps its Authenticode signatures, and which of its bytes
//! they sign: every byte but the header's checksum, the certificate table's directory entry
//! and the certificate table itself (Microsoft's "Windows Authenticode Portable Executable
//! Signature Format"). Only the headers and the table are read here; the signed bytes are
//! hashed by the caller in one streaming pass.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

use super::{Layout, Signed, Unsigned};

/// The most header bytes read to find the optional header: `e_lfanew` past this is not a
/// PE any linker writes.
const MAX_HEADER: u64 = 64 << 10;

/// The largest certificate table read. Real ones hold a few signatures of a few kilobytes
/// each; this bounds the memory a crafted file can ask for.
pub(super) const MAX_CERTIFICATE_TABLE: u64 = 16 << 20;

/// `WIN_CERT_TYPE_PKCS_SIGNED_DATA`.
const PKCS_SIGNED_DATA: u16 = 2;

/// Reads the layout of a file that starts with `MZ`.
pub(super) fn layout<R: Read + Seek>(file: &mut R, len: u64) -> Result<Layout, Unsigned> {
    let mut header = Vec::new();
    file.by_ref()
        .take(MAX_HEADER.min(len))
        .read_to_end(&mut header)
        .map_err(io)?;
    let u16_at = |at: usize| header.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |at: usize| {
        header
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let short = |what: &str| Unsigned::Unreadable(format!("not a PE file: {what} is past the end of the headers read"));
    let pe = u32_at(0x3C).ok_or_else(|| short("the PE header offset"))? as usize;
    if header.get(pe..pe + 4) != Some(b"PE\0\0") {
        return Err(Unsigned::Unreadable(
            "not a PE file: an MZ header with no PE signature".to_owned(),
        ));
    }
    let optional_size = usize::from(u16_at(pe + 20).ok_or_else(|| short("the COFF header"))?);
    let optional = pe + 24;
    let (count_at, directories) = match u16_at(optional).ok_or_else(|| short("the optional header"))? {
        0x10B => (optional + 92, optional + 96),
        0x20B => (optional + 108, optional + 112),
        other => {
            return Err(Unsigned::Unreadable(format!(
                "not a PE file: optional header magic 0x{other:04x}"
            )));
        }
    };
    let checksum = optional + 64;
    let security = directories + 4 * 8;
    let count = u32_at(count_at).ok_or_else(|| short("the data directory count"))?;
    if count < 5 || security + 8 > optional + optional_size {
        return Err(Unsigned::NotSigned);
    }
    let table = u64::from(u32_at(security).ok_or_else(|| short("the certificate table entry"))?);
    let table_len = u64::from(u32_at(security + 4).ok_or_else(|| short("the certificate table entry"))?);
    if table_len == 0 {
        return Err(Unsigned::NotSigned);
    }
    let table_end = table + table_len;
    if table_end > len {
        return Err(Unsigned::Unreadable(format!(
            "cut short: the certificate table ends at byte {table_end} but the file has {len} bytes"
        )));
    }
    if table < (security + 8) as u64 {
        return Err(Unsigned::Unreadable(
            "the certificate table overlaps the headers".to_owned(),
        ));
    }
    if table_len > MAX_CERTIFICATE_TABLE {
        return Err(Unsigned::Unreadable(format!(
            "a certificate table of {table_len} bytes is larger than any signature"
        )));
    }
    file.seek(SeekFrom::Start(table)).map_err(io)?;
    let mut bytes = Vec::new();
    file.by_ref().take(table_len).read_to_end(&mut bytes).map_err(io)?;
    let signatures = entries(&bytes)?;
    if signatures.is_empty() {
        return Err(Unsigned::NotSigned);
    }
    let (checksum, security) = (checksum as u64, security as u64);
    let ranges: Vec<Range<u64>> = [0..checksum, checksum + 4..security, security + 8..table, table_end..len]
        .into_iter()
        .filter(|r| !r.is_empty())
        .collect();
    Ok(Layout {
        signed: Signed::Ranges(ranges),
        signatures,
    })
}

/// The PKCS#7 blobs of a certificate table's `WIN_CERTIFICATE` entries, each aligned on 8 bytes.
fn entries(table: &[u8]) -> Result<Vec<Vec<u8>>, Unsigned> {
    let mut signatures = Vec::new();
    let mut at = 0usize;
    while at + 8 <= table.len() {
        let length = u32::from_le_bytes([table[at], table[at + 1], table[at + 2], table[at + 3]]) as usize;
        let kind = u16::from_le_bytes([table[at + 6], table[at + 7]]);
        if length < 8 || length > table.len() - at {
            return Err(Unsigned::Unreadable(format!(
                "a certificate table entry at offset {at} claims {length} bytes"
            )));
        }
        if kind == PKCS_SIGNED_DATA {
            signatures.push(table[at + 8..at + length].to_vec());
        }
        at += length.next_multiple_of(8);
    }
    Ok(signatures)
}

fn io(e: std::io::Error) -> Unsigned {
    Unsigned::Unreadable(format!("read failed: {e}"))
}
