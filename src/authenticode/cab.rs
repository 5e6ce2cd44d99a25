//! Where a cabinet (`.cab`) keeps its Authenticode signature and which of its bytes it signs:
//! the PKCS#7 blob is appended after the cabinet, the header's 20-byte reserve says where
//! (marker `0x00100000`, offset, length), and the digest covers the header without
//! `reserved1`, `iCabinet` and the reserve, then everything up to the signature (as
//! osslsigncode and Windows compute it).

use std::io::{Read, Seek, SeekFrom};

use super::pe::MAX_CERTIFICATE_TABLE;
use super::{Layout, Signed, Unsigned};

/// `cfhdrRESERVE_PRESENT`.
const RESERVE_PRESENT: u16 = 0x0004;
/// The header bytes read: the fixed header and the signature's reserve.
const HEADER: usize = 60;

/// Reads the layout of a file that starts with `MSCF`.
pub(super) fn layout<R: Read + Seek>(file: &mut R, len: u64) -> Result<Layout, Unsigned> {
    let mut header = Vec::new();
    file.by_ref().take(HEADER as u64).read_to_end(&mut header).map_err(io)?;
    let u16_at = |at: usize| header.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |at: usize| {
        header
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let flags = u16_at(30)
        .ok_or_else(|| Unsigned::Unreadable(format!("cut short: a cabinet of {len} bytes has no whole header")))?;
    if flags & RESERVE_PRESENT == 0 {
        return Err(Unsigned::NotSigned);
    }
    // cbCFHeader 20 with no folder or data reserve, and the marker: the signature's reserve.
    if u32_at(36) != Some(20) || u32_at(40) != Some(0x0010_0000) {
        return Err(Unsigned::NotSigned);
    }
    let (Some(at), Some(length)) = (u32_at(44), u32_at(48)) else {
        return Err(Unsigned::Unreadable(format!(
            "cut short: a cabinet of {len} bytes has no whole header"
        )));
    };
    let (at, length) = (u64::from(at), u64::from(length));
    if at == 0 || length == 0 {
        return Err(Unsigned::NotSigned);
    }
    let end = at + length;
    if end > len {
        return Err(Unsigned::Unreadable(format!(
            "cut short: the signature ends at byte {end} but the file has {len} bytes"
        )));
    }
    if end < len {
        return Err(Unsigned::Unreadable(format!(
            "{} bytes follow the signature, which should end the cabinet",
            len - end
        )));
    }
    if at < HEADER as u64 {
        return Err(Unsigned::Unreadable(
            "the signature overlaps the cabinet header".to_owned(),
        ));
    }
    if length > MAX_CERTIFICATE_TABLE {
        return Err(Unsigned::Unreadable(format!(
            "a signature of {length} bytes is larger than any signature"
        )));
    }
    file.seek(SeekFrom::Start(at)).map_err(io)?;
    let mut blob = Vec::new();
    file.by_ref().take(length).read_to_end(&mut blob).map_err(io)?;
    Ok(Layout {
        signed: Signed::Ranges(vec![0..4, 8..34, 56..at]),
        signatures: vec![blob],
    })
}

fn io(e: std::io::Error) -> Unsigned {
    Unsigned::Unreadable(format!("read failed: {e}"))
}
