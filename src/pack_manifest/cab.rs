//! The XML file inside a redist manifest cabinet, extracted with the `cab` crate after a
//! check of the cabinet's own tables. `cab` 0.6.0 panics when a file entry lies past the
//! uncompressed data of its folder (it indexes past its list of data blocks; fixed upstream
//! in rust-cab c26111e, unreleased): the folders' data blocks and the file entries are walked
//! here first, bounded by the bytes there are, and such a cabinet is refused with its reason.
//! It also trusts a stored (uncompressed) block to hold the bytes its header says: when it
//! holds fewer, reading past them underflows (found by the `pack_manifest` fuzz target), so
//! a stored block whose two sizes differ is refused too.

use std::io::{Cursor, Read};

use super::MAX_MANIFEST;

const RESERVE_PRESENT: u16 = 0x0004;
const PREV_CABINET: u16 = 0x0001;
/// The low four bits of a folder's compression type: 0 is stored, not compressed.
const COMPRESSION_MASK: u16 = 0x000F;
const STORED: u16 = 0;
const NEXT_CABINET: u16 = 0x0002;

/// The bytes of the cabinet's XML file (the one named `*.xml`, else its only file).
pub(super) fn extract_xml(bytes: &[u8]) -> Result<Vec<u8>, String> {
    check_tables(bytes).map_err(|why| format!("not a cabinet sitelint can read: {why}"))?;
    let mut cabinet =
        ::cab::Cabinet::new(Cursor::new(bytes)).map_err(|e| format!("not a cabinet sitelint can read: {e}"))?;
    let files: Vec<String> = cabinet
        .folder_entries()
        .flat_map(|folder| folder.file_entries().map(|file| file.name().to_owned()))
        .collect();
    let name = files
        .iter()
        .find(|n| n.to_ascii_lowercase().ends_with(".xml"))
        .or(if files.len() == 1 { files.first() } else { None })
        .ok_or_else(|| format!("the cabinet holds no XML file (it holds {})", files.join(", ")))?
        .clone();
    let reader = cabinet
        .read_file(&name)
        .map_err(|e| format!("cannot extract {name} from the cabinet: {e}"))?;
    let mut xml = Vec::new();
    reader
        .take(MAX_MANIFEST + 1)
        .read_to_end(&mut xml)
        .map_err(|e| format!("cannot extract {name} from the cabinet: {e}"))?;
    if xml.len() as u64 > MAX_MANIFEST {
        return Err(format!("{name} in the cabinet is larger than any manifest"));
    }
    Ok(xml)
}

/// A little-endian reader over a byte slice that says where it ran out.
struct At<'a>(&'a [u8]);

impl At<'_> {
    fn bytes(&self, at: usize, n: usize) -> Result<&[u8], String> {
        self.0
            .get(at..at.checked_add(n).ok_or("an offset overflows")?)
            .ok_or_else(|| {
                format!(
                    "cut short: {n} bytes at offset {at} are past its end ({} bytes)",
                    self.0.len()
                )
            })
    }
    fn u16(&self, at: usize) -> Result<u16, String> {
        let b = self.bytes(at, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&self, at: usize) -> Result<u32, String> {
        let b = self.bytes(at, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// The end of the NUL-terminated string at `at` (past its NUL).
    fn string_end(&self, at: usize) -> Result<usize, String> {
        let rest = self.0.get(at..).ok_or("cut short in a name")?;
        let nul = rest.iter().position(|&b| b == 0).ok_or("cut short in a name")?;
        Ok(at + nul + 1)
    }
}

/// Checks the header, the folders' data blocks and the file entries.
fn check_tables(bytes: &[u8]) -> Result<(), String> {
    let cab = At(bytes);
    if cab.bytes(0, 4)? != b"MSCF" {
        return Err("it does not start with MSCF".to_owned());
    }
    let files_at = cab.u32(16)? as usize;
    let folders = usize::from(cab.u16(26)?);
    let files = usize::from(cab.u16(28)?);
    let flags = cab.u16(30)?;
    let (mut at, folder_reserve, data_reserve) = if flags & RESERVE_PRESENT != 0 {
        (
            40 + usize::from(cab.u16(36)?),
            usize::from(cab.bytes(38, 1)?[0]),
            usize::from(cab.bytes(39, 1)?[0]),
        )
    } else {
        (36, 0, 0)
    };
    for flag in [PREV_CABINET, NEXT_CABINET] {
        if flags & flag != 0 {
            at = cab.string_end(at)?;
            at = cab.string_end(at)?;
        }
    }
    // Each folder's uncompressed size: the sum of its data blocks' sizes. A block takes at
    // least 8 bytes, so folders that claim more blocks in all than that are refused.
    let mut sizes = Vec::with_capacity(folders);
    let mut blocks_left = bytes.len() / 8;
    for _ in 0..folders {
        let mut block = cab.u32(at)? as usize;
        let blocks = cab.u16(at + 4)?;
        let stored = cab.u16(at + 6)? & COMPRESSION_MASK == STORED;
        at += 8 + folder_reserve;
        let mut size = 0u64;
        blocks_left = blocks_left
            .checked_sub(usize::from(blocks))
            .ok_or("its folders claim more data blocks than it has bytes for")?;
        for _ in 0..blocks {
            let compressed = usize::from(cab.u16(block + 4)?);
            let uncompressed = cab.u16(block + 6)?;
            if stored && compressed != usize::from(uncompressed) {
                return Err(format!(
                    "a stored data block of {compressed} bytes says it holds {uncompressed}"
                ));
            }
            size += u64::from(uncompressed);
            block += 8 + data_reserve;
            cab.bytes(block, compressed)?;
            block += compressed;
        }
        sizes.push(size);
    }
    let mut at = files_at;
    for _ in 0..files {
        let size = u64::from(cab.u32(at)?);
        let offset = u64::from(cab.u32(at + 4)?);
        let folder = usize::from(cab.u16(at + 8)?);
        let end = cab.string_end(at + 16)?;
        let name = String::from_utf8_lossy(&bytes[at + 16..end - 1]).into_owned();
        let Some(&folder_size) = sizes.get(folder) else {
            return Err(format!(
                "{name} is in folder {folder}, which it does not have (a cabinet set?)"
            ));
        };
        if offset + size > folder_size {
            return Err(format!(
                "{name} lies past its folder's data ({size} bytes from {offset}, of {folder_size})"
            ));
        }
        at = end;
    }
    Ok(())
}
