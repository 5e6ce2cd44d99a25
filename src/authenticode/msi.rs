//! Where an MSI (an OLE compound file) keeps its Authenticode signature and what it signs:
//! the signature is the root storage's `\x05DigitalSignature` stream; the digest covers every
//! other stream's bytes, the entries of each storage sorted by their raw UTF-16 names
//! (shorter name first where one is a prefix of the other, as the names carry their
//! terminating NUL), storages recursively, each storage's CLSID after its entries. With a
//! `\x05MsiDigitalSignatureEx` stream, the digest starts with a digest of the entries'
//! metadata (names, sizes, state bits, times) in the same order. This is what osslsigncode's
//! `msi.c` computes, the oracle the tests compare with.
//!
//! The compound file is read here rather than through the `cfb` crate: the digest needs the
//! raw UTF-16 names, state bits and FILETIMEs of the entries, which `cfb` hands back decoded
//! (a `String`, a `SystemTime`), and it needs osslsigncode's leniency, not a stricter reader's.
//! Every table is bounded ([`MAX_TABLE`]), every chain is followed at most as many steps as
//! the file has sectors, every entry is visited once: a crafted file is a reason, never a
//! panic, a loop or a large allocation. Streams are hashed as they are read, a buffer at a
//! time.

use std::io::{Read, Seek, SeekFrom};

use ring::digest;

use super::pe::MAX_CERTIFICATE_TABLE;
use super::{DigestAlgorithm, Layout, READ_SIZE, Signed, Unsigned, read_up_to};

/// The largest FAT, mini FAT or directory read (as osslsigncode bounds its tables).
const MAX_TABLE: u64 = 16 << 20;
/// Sector numbers at or past this are markers (`MAXREGSECT` + 1).
const MAX_REGULAR: u32 = 0xFFFF_FFFA;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const NO_STREAM: u32 = 0xFFFF_FFFF;
/// Streams shorter than this live in the mini stream.
const MINI_CUTOFF: u32 = 4096;
const MINI_SECTOR: u64 = 64;
const ENTRY: usize = 128;

const STORAGE: u8 = 1;
const STREAM: u8 = 2;

/// `\x05DigitalSignature` and `\x05MsiDigitalSignatureEx` as UTF-16LE with their NUL.
const DIGITAL_SIGNATURE: &[u8] = b"\x05\0D\0i\0g\0i\0t\0a\0l\0S\0i\0g\0n\0a\0t\0u\0r\0e\0\0\0";
const DIGITAL_SIGNATURE_EX: &[u8] = b"\x05\0M\0s\0i\0D\0i\0g\0i\0t\0a\0l\0S\0i\0g\0n\0a\0t\0u\0r\0e\0E\0x\0\0\0";
const ROOT_ENTRY: &[u8] = b"R\0o\0o\0t\0 \0E\0n\0t\0r\0y\0\0\0";

/// A compound file's tables and directory tree: enough to read any stream again.
#[derive(Debug)]
pub(super) struct Msi {
    sector: u64,
    len: u64,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    /// The sectors of the mini stream, in order.
    mini_stream: Vec<u32>,
    entries: Vec<Entry>,
    /// The `MsiDigitalSignatureEx` stream is present: the digest starts with the metadata's.
    extended: bool,
}

/// A directory entry the tree reaches; entry 0 is the root.
#[derive(Debug)]
struct Entry {
    /// The raw UTF-16LE name with its NUL, as long as the entry says.
    name: Vec<u8>,
    kind: u8,
    clsid: [u8; 16],
    state: [u8; 4],
    times: [u8; 16],
    start: u32,
    size: u32,
    /// Indexes in `Msi::entries`, sorted as the digest takes them.
    children: Vec<usize>,
}

fn bad(why: impl Into<String>) -> Unsigned {
    Unsigned::Unreadable(format!("not a valid MSI (compound file): {}", why.into()))
}

fn io(e: std::io::Error) -> Unsigned {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        Unsigned::Unreadable("cut short: a sector of the compound file is past its end".to_owned())
    } else {
        Unsigned::Unreadable(format!("read failed: {e}"))
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// Reads the layout of a file that starts with the compound file magic.
pub(super) fn layout<R: Read + Seek>(file: &mut R, len: u64) -> Result<Layout, Unsigned> {
    let mut header = [0u8; 512];
    if read_up_to(file, &mut header).map_err(io)? < header.len() {
        return Err(Unsigned::Unreadable(format!(
            "cut short: a compound file of {len} bytes has no whole header"
        )));
    }
    let major = u16_at(&header, 0x1A);
    let shift = u16_at(&header, 0x1E);
    match (major, shift) {
        (3, 9) | (4, 12) => {}
        _ => return Err(bad(format!("version {major} with sectors of 2^{shift} bytes"))),
    }
    if u16_at(&header, 0x1C) != 0xFFFE || u16_at(&header, 0x20) != 6 || u32_at(&header, 0x38) != MINI_CUTOFF {
        return Err(bad(
            "its header's byte order, mini sector size or cutoff is not the standard one",
        ));
    }
    let sector = 1u64 << shift;
    if len < 3 * sector {
        return Err(Unsigned::Unreadable(format!(
            "cut short: a compound file of {len} bytes has fewer than 3 sectors"
        )));
    }
    let mut msi = Msi {
        sector,
        len,
        fat: Vec::new(),
        mini_fat: Vec::new(),
        mini_stream: Vec::new(),
        entries: Vec::new(),
        extended: false,
    };
    msi.fat = msi.read_fat(file, &header)?;
    let mini_fat = msi.read_chain(file, u32_at(&header, 0x3C), "the mini FAT")?;
    msi.mini_fat = mini_fat.chunks_exact(4).map(|b| u32_at(b, 0)).collect();
    let directory = msi.read_chain(file, u32_at(&header, 0x30), "the directory")?;
    msi.read_tree(&directory)?;
    let root = &msi.entries[0];
    msi.mini_stream = msi.chain(root.start, "the mini stream")?;
    let (mut signature, mut extended) = (None, None);
    for &child in &msi.entries[0].children {
        let entry = &msi.entries[child];
        if is(&entry.name, DIGITAL_SIGNATURE) {
            signature = Some(child);
        } else if is(&entry.name, DIGITAL_SIGNATURE_EX) {
            extended = Some(child);
        }
    }
    let Some(signature) = signature else {
        return Err(Unsigned::NotSigned);
    };
    let size = u64::from(msi.entries[signature].size);
    if size == 0 || size > MAX_CERTIFICATE_TABLE {
        return Err(bad(format!("a DigitalSignature stream of {size} bytes")));
    }
    let mut blob = Vec::new();
    msi.read_stream(file, signature, &mut |bytes| blob.extend_from_slice(bytes))?;
    msi.extended = extended.is_some();
    Ok(Layout {
        signed: Signed::Msi(msi),
        signatures: vec![blob],
    })
}

/// Whether an entry's name is `constant`, compared as osslsigncode does (over the shorter).
fn is(name: &[u8], constant: &[u8]) -> bool {
    let n = name.len().min(constant.len());
    name[..n] == constant[..n]
}

/// osslsigncode's `dirent_cmp_hash`: bytes over the shorter name, then the longer first.
fn digest_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then_with(|| b.len().cmp(&a.len()))
}

impl Msi {
    fn sectors(&self) -> u64 {
        self.len / self.sector
    }

    /// Seeks to byte `offset` of regular sector `n`.
    fn seek<R: Seek>(&self, file: &mut R, n: u32, offset: u64) -> Result<(), Unsigned> {
        if n >= MAX_REGULAR {
            return Err(bad(format!("sector number 0x{n:08X} where a sector is expected")));
        }
        let at = (u64::from(n) + 1) * self.sector + offset;
        if at >= self.len {
            return Err(Unsigned::Unreadable(format!(
                "cut short: sector {n} is past the end of the file ({} bytes)",
                self.len
            )));
        }
        file.seek(SeekFrom::Start(at)).map_err(io)?;
        Ok(())
    }

    /// The FAT: its sectors from the header's DIFAT and the DIFAT sectors after it.
    fn read_fat<R: Read + Seek>(&self, file: &mut R, header: &[u8]) -> Result<Vec<u32>, Unsigned> {
        let count = u64::from(u32_at(header, 0x2C));
        if count * self.sector > MAX_TABLE {
            return Err(bad(format!("a FAT of {count} sectors")));
        }
        let mut locations: Vec<u32> = (0..109).map(|i| u32_at(header, 0x4C + 4 * i)).collect();
        let mut next = u32_at(header, 0x44);
        let per_sector = (self.sector / 4) as usize;
        let mut sector = vec![0u8; self.sector as usize];
        while (locations.len() as u64) < count {
            if next >= MAX_REGULAR {
                return Err(bad("the DIFAT ends before the FAT's sectors are all listed"));
            }
            self.seek(file, next, 0)?;
            file.read_exact(&mut sector).map_err(io)?;
            locations.extend((0..per_sector - 1).map(|i| u32_at(&sector, 4 * i)));
            next = u32_at(&sector, 4 * (per_sector - 1));
        }
        let mut fat = Vec::with_capacity((count * self.sector / 4) as usize);
        for &location in &locations[..count as usize] {
            self.seek(file, location, 0)?;
            file.read_exact(&mut sector).map_err(io)?;
            fat.extend(sector.chunks_exact(4).map(|b| u32_at(b, 0)));
        }
        Ok(fat)
    }

    /// The sectors of the chain starting at `start`, at most as many as the file has.
    fn chain(&self, start: u32, what: &str) -> Result<Vec<u32>, Unsigned> {
        let mut sectors = Vec::new();
        let mut at = start;
        while at != END_OF_CHAIN {
            if at >= MAX_REGULAR {
                return Err(bad(format!("the chain of {what} holds marker 0x{at:08X}")));
            }
            if sectors.len() as u64 >= self.sectors() {
                return Err(bad(format!("the chain of {what} loops")));
            }
            sectors.push(at);
            at = *self
                .fat
                .get(at as usize)
                .ok_or_else(|| bad(format!("sector {at} of {what} is not in the FAT")))?;
        }
        Ok(sectors)
    }

    /// The whole of a small structure (a table, the directory) stored in a chain.
    fn read_chain<R: Read + Seek>(&self, file: &mut R, start: u32, what: &str) -> Result<Vec<u8>, Unsigned> {
        let chain = self.chain(start, what)?;
        if chain.len() as u64 * self.sector > MAX_TABLE {
            return Err(bad(format!("{what} of {} sectors", chain.len())));
        }
        let mut bytes = vec![0u8; chain.len() * self.sector as usize];
        for (n, sector) in chain.iter().zip(bytes.chunks_exact_mut(self.sector as usize)) {
            self.seek(file, *n, 0)?;
            file.read_exact(sector).map_err(io)?;
        }
        Ok(bytes)
    }

    /// Every entry reachable from the root (its children and their siblings, storages'
    /// children in turn), each visited once, children sorted in the digest's order.
    fn read_tree(&mut self, directory: &[u8]) -> Result<(), Unsigned> {
        let count = directory.len() / ENTRY;
        let mut index_of = vec![usize::MAX; count];
        let wide = self.sector == 4096;
        let root = parse_entry(directory, 0, self.len, wide)?;
        if root.name != ROOT_ENTRY {
            return Err(bad("its first directory entry is not the root entry"));
        }
        let root_child = u32_at(directory, 0x4C);
        self.entries.push(root);
        index_of[0] = 0;
        // (entry id, index of its parent storage)
        let mut pending = vec![(root_child, 0usize)];
        while let Some((id, parent)) = pending.pop() {
            if id == NO_STREAM {
                continue;
            }
            let slot = index_of
                .get_mut(id as usize)
                .ok_or_else(|| bad(format!("directory entry {id} is past the directory's end")))?;
            if *slot != usize::MAX {
                return Err(bad(format!("directory entry {id} is reached twice")));
            }
            let entry = parse_entry(directory, id as usize, self.len, wide)?;
            let index = self.entries.len();
            *slot = index;
            let at = id as usize * ENTRY;
            pending.push((u32_at(directory, at + 0x44), parent));
            pending.push((u32_at(directory, at + 0x48), parent));
            if entry.kind == STORAGE {
                pending.push((u32_at(directory, at + 0x4C), index));
            }
            self.entries.push(entry);
            self.entries[parent].children.push(index);
        }
        for i in 0..self.entries.len() {
            let mut children = std::mem::take(&mut self.entries[i].children);
            children.sort_by(|&a, &b| digest_order(&self.entries[a].name, &self.entries[b].name));
            self.entries[i].children = children;
        }
        Ok(())
    }

    /// Feeds the bytes of stream `index` to `sink`, a buffer at a time.
    fn read_stream<R: Read + Seek>(
        &self,
        file: &mut R,
        index: usize,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<(), Unsigned> {
        let entry = &self.entries[index];
        let mut left = u64::from(entry.size);
        if entry.size < MINI_CUTOFF {
            let mut buffer = [0u8; MINI_SECTOR as usize];
            let mut at = entry.start;
            let mut steps = 0usize;
            while left > 0 {
                steps += 1;
                if at >= MAX_REGULAR || steps > self.mini_fat.len() {
                    return Err(bad("a stream's chain in the mini stream ends early or loops"));
                }
                let offset = u64::from(at) * MINI_SECTOR;
                let sector = self
                    .mini_stream
                    .get((offset / self.sector) as usize)
                    .ok_or_else(|| bad("a stream lies past the end of the mini stream"))?;
                let take = left.min(MINI_SECTOR) as usize;
                self.seek(file, *sector, offset % self.sector)?;
                file.read_exact(&mut buffer[..take]).map_err(io)?;
                sink(&buffer[..take]);
                left -= take as u64;
                at = *self
                    .mini_fat
                    .get(at as usize)
                    .ok_or_else(|| bad("a stream's chain leaves the mini FAT"))?;
            }
            return Ok(());
        }
        let chain = self.chain(entry.start, "a stream")?;
        let mut buffer = vec![0u8; READ_SIZE];
        let mut i = 0;
        while left > 0 {
            let Some(&first) = chain.get(i) else {
                return Err(bad("a stream's chain ends before its size"));
            };
            // A run of consecutive sectors is read at once.
            let mut run = 1;
            while (run as u64 + 1) * self.sector <= READ_SIZE as u64
                && chain.get(i + run).copied() == first.checked_add(run as u32)
            {
                run += 1;
            }
            let take = left.min(run as u64 * self.sector) as usize;
            self.seek(file, first, 0)?;
            file.read_exact(&mut buffer[..take]).map_err(io)?;
            sink(&buffer[..take]);
            left -= take as u64;
            i += run;
        }
        Ok(())
    }

    /// The metadata digest of `MsiDigitalSignatureEx` (osslsigncode's `msi_prehash_dir`).
    fn prehash(&self, index: usize, context: &mut digest::Context) {
        self.prehash_entry(index, context);
        for &child in &self.entries[index].children {
            let entry = &self.entries[child];
            if index == 0 && (is(&entry.name, DIGITAL_SIGNATURE) || is(&entry.name, DIGITAL_SIGNATURE_EX)) {
                continue;
            }
            match entry.kind {
                STREAM => self.prehash_entry(child, context),
                STORAGE => self.prehash(child, context),
                _ => {}
            }
        }
    }

    fn prehash_entry(&self, index: usize, context: &mut digest::Context) {
        let entry = &self.entries[index];
        if index != 0 {
            context.update(&entry.name[..entry.name.len().saturating_sub(2)]);
        }
        if entry.kind == STREAM {
            context.update(&entry.size.to_le_bytes());
        } else {
            context.update(&entry.clsid);
        }
        context.update(&entry.state);
        if index != 0 {
            context.update(&entry.times);
        }
    }

    /// Feeds storage `index`'s streams, storages and CLSID to `sink` (`msi_hash_dir`).
    fn hash_storage<R: Read + Seek>(
        &self,
        file: &mut R,
        index: usize,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<(), Unsigned> {
        for &child in &self.entries[index].children {
            let entry = &self.entries[child];
            if index == 0 && (is(&entry.name, DIGITAL_SIGNATURE) || is(&entry.name, DIGITAL_SIGNATURE_EX)) {
                continue;
            }
            match entry.kind {
                STREAM if entry.size > 0 => self.read_stream(file, child, sink)?,
                STORAGE => self.hash_storage(file, child, sink)?,
                _ => {}
            }
        }
        sink(&self.entries[index].clsid);
        Ok(())
    }

    /// The file's Authenticode digests, one per algorithm.
    pub(super) fn digests<R: Read + Seek>(
        &self,
        file: &mut R,
        algorithms: &[DigestAlgorithm],
    ) -> Result<Vec<digest::Digest>, Unsigned> {
        let mut contexts: Vec<digest::Context> = algorithms
            .iter()
            .map(|a| {
                let mut context = digest::Context::new(a.ring());
                if self.extended {
                    let mut prehash = digest::Context::new(a.ring());
                    self.prehash(0, &mut prehash);
                    context.update(prehash.finish().as_ref());
                }
                context
            })
            .collect();
        self.hash_storage(file, 0, &mut |bytes| {
            for context in &mut contexts {
                context.update(bytes);
            }
        })?;
        Ok(contexts.into_iter().map(digest::Context::finish).collect())
    }
}

/// Directory entry `id`, checked as osslsigncode checks it, but for its size in version 4
/// (`wide`): 64 bits there, as [MS-CFB] 2.6.3 and Windows read it. osslsigncode reads the low
/// 32 bits in either version, and so takes a version-4 stream that claims more than 4 GiB in
/// a small file (which Windows reads to its chain's end, padding and all) for a short one. In
/// version 3 the high half is junk some old writers left, and is ignored, as MS-CFB says.
fn parse_entry(directory: &[u8], id: usize, len: u64, wide: bool) -> Result<Entry, Unsigned> {
    let at = id * ENTRY;
    let bytes = directory
        .get(at..at + ENTRY)
        .ok_or_else(|| bad(format!("directory entry {id} is past the directory's end")))?;
    let name_len = usize::from(u16_at(bytes, 0x40));
    if name_len == 0 || name_len > 64 {
        return Err(bad(format!("directory entry {id} has a name of {name_len} bytes")));
    }
    let high = if wide { u32_at(bytes, 0x7C) } else { 0 };
    let size = u64::from(u32_at(bytes, 0x78)) | u64::from(high) << 32;
    if size >= len {
        return Err(bad(format!(
            "directory entry {id} claims {size} bytes in a file of {len}"
        )));
    }
    let size = u32::try_from(size).map_err(|_| {
        bad(format!(
            "directory entry {id} is a stream of {size} bytes, more than the 4 GiB read here"
        ))
    })?;
    let mut entry = Entry {
        name: bytes[..name_len].to_vec(),
        kind: bytes[0x42],
        clsid: [0; 16],
        state: [0; 4],
        times: [0; 16],
        start: u32_at(bytes, 0x74),
        size,
        children: Vec::new(),
    };
    entry.clsid.copy_from_slice(&bytes[0x50..0x60]);
    entry.state.copy_from_slice(&bytes[0x60..0x64]);
    entry.times.copy_from_slice(&bytes[0x64..0x74]);
    Ok(entry)
}
