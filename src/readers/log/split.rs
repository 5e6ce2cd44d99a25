//! Reading a log in chunks that end on entry boundaries, and scanning the chunks on several
//! threads while the next ones are read.
//!
//! One thread reads and decodes (decoding is a pass over a stream: UTF-16 and legacy code
//! pages cannot be cut at a byte offset and decoded from there); the others scan whole chunks
//! and their results are added up in file order, so what a scan finds does not depend on the
//! threads or the chunk size. Memory is bounded by the chunks in flight: at most two per
//! scanning thread, whatever the size of the log.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, PoisonError, mpsc};

use super::chunk::{Chunk, ChunkResult, Matcher, Tally};
use super::entries::{CUT_OVERLAP, MAX_ENTRY, boundary, detect_records, ends_with_line_end};
use super::excerpt::char_count;
use crate::document::text::Utf8Reader;

/// How much is read at a time.
const CHUNK: usize = 1 << 20;

/// How a log is cut and how many threads scan it; tests choose small chunks and several
/// threads to put chunk boundaries everywhere.
#[derive(Debug, Clone, Copy)]
pub(super) struct Split {
    /// How much is read at a time (a chunk is that, cut back to the last entry boundary).
    pub chunk: usize,
    /// Threads scanning chunks; one scans on the reading thread.
    pub threads: usize,
    /// The longest line held whole ([`MAX_ENTRY`]), and how much of a line cut there the next
    /// chunk reads again ([`CUT_OVERLAP`], at most half of it).
    pub max_entry: usize,
    pub cut_overlap: usize,
}

impl Split {
    pub(super) fn for_this_machine() -> Split {
        Split {
            chunk: CHUNK,
            threads: crate::parallel::workers(),
            max_entry: MAX_ENTRY,
            cut_overlap: CUT_OVERLAP,
        }
    }
}

/// Scans every chunk of `reader`'s text into `tally`; gives the reader back, which knows how
/// the text was decoded.
pub(super) fn scan_chunks<R: Read>(
    reader: Utf8Reader<R>,
    matcher: &Matcher<'_>,
    tally: &mut Tally,
    split: Split,
) -> io::Result<Utf8Reader<R>> {
    let mut chunker = Chunker {
        reader,
        buf: Vec::with_capacity(split.chunk.saturating_mul(2)),
        records: None,
        size: split.chunk.max(1),
        max_entry: split.max_entry.max(2),
        // Each cut line's chunk then adds at least half of `max_entry` new bytes.
        cut_overlap: split.cut_overlap.min(split.max_entry / 2),
        column: 0,
        overlap: 0,
        spare: Vec::new(),
    };
    let first = chunker.next()?;
    if first.last || split.threads <= 1 {
        // A log of one chunk (most of them) is scanned without starting a thread.
        let mut caches = matcher.caches();
        let mut next = first;
        loop {
            tally.add(matcher.scan(&mut caches, &next), next.offsets_exact);
            if next.last {
                break;
            }
            let done = std::mem::replace(&mut next, chunker.next()?);
            chunker.recycle(done.text);
        }
    } else {
        in_parallel(&mut chunker, first, matcher, tally, split.threads)?;
    }
    Ok(chunker.reader)
}

/// What a scanning thread hands back: the chunk's place in the log, what it found (or the
/// panic of a bug, passed on to the reading thread), and the chunk, whose buffer is reused.
type Scanned = (u64, std::thread::Result<ChunkResult>, Chunk);

fn in_parallel<R: Read>(
    chunker: &mut Chunker<R>,
    first: Chunk,
    matcher: &Matcher<'_>,
    tally: &mut Tally,
    threads: usize,
) -> io::Result<()> {
    let in_flight = 2 * threads as u64;
    let (to_scan, jobs) = mpsc::sync_channel::<(u64, Chunk)>(threads);
    let jobs = Mutex::new(jobs);
    let (to_add, scanned) = mpsc::channel::<Scanned>();
    std::thread::scope(|scope| {
        // Moved into the scope, so that an error or a panic here drops it and the threads end.
        let to_scan = to_scan;
        for _ in 0..threads {
            let (jobs, to_add) = (&jobs, to_add.clone());
            scope.spawn(move || {
                let mut caches = matcher.caches();
                loop {
                    let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok((place, chunk)) = job else { break };
                    let found = catch_unwind(AssertUnwindSafe(|| matcher.scan(&mut caches, &chunk)));
                    if to_add.send((place, found, chunk)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(to_add);
        let mut order = InOrder::default();
        let mut sent = 0;
        let mut next = Some(first);
        while let Some(chunk) = next.take() {
            while sent - order.added >= in_flight {
                order.receive(&scanned, tally, chunker);
            }
            let last = chunk.last;
            // The threads only end when this sender is dropped.
            to_scan
                .send((sent, chunk))
                .expect("scanning threads outlive the sender");
            sent += 1;
            if !last {
                next = Some(chunker.next()?);
            }
        }
        drop(to_scan);
        while order.added < sent {
            order.receive(&scanned, tally, chunker);
        }
        Ok(())
    })
}

/// Chunk results that came back before the ones ahead of them in the log.
#[derive(Default)]
struct InOrder {
    waiting: BTreeMap<u64, (ChunkResult, bool)>,
    /// How many chunks are added to the tally.
    added: u64,
}

impl InOrder {
    /// Waits for one chunk result and adds every result that is next in order.
    fn receive<R>(&mut self, scanned: &mpsc::Receiver<Scanned>, tally: &mut Tally, chunker: &mut Chunker<R>) {
        let (place, found, chunk) = scanned.recv().expect("scanning threads run until every chunk is back");
        let found = found.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        self.waiting.insert(place, (found, chunk.offsets_exact));
        chunker.recycle(chunk.text);
        while let Some((found, offsets_exact)) = self.waiting.remove(&self.added) {
            tally.add(found, offsets_exact);
            self.added += 1;
        }
    }
}

/// Cuts the decoded text of a log into chunks of whole entries.
struct Chunker<R> {
    reader: Utf8Reader<R>,
    /// Read and not yet handed out: the start of an entry not complete yet.
    buf: Vec<u8>,
    records: Option<bool>,
    size: usize,
    max_entry: usize,
    cut_overlap: usize,
    /// Where `buf` starts in a line cut at `max_entry`: the characters of the line before it,
    /// and the bytes at its start the chunk before also held (0 and 0 at a line's start).
    column: u64,
    overlap: usize,
    /// Buffers of chunks scanned, to read into again.
    spare: Vec<Vec<u8>>,
}

impl<R: Read> Chunker<R> {
    /// The next chunk (`last` once the input ends).
    fn next(&mut self) -> io::Result<Chunk> {
        loop {
            let eof = fill(&mut self.reader, &mut self.buf, self.size)?;
            if self.records.is_none() {
                self.records = detect_records(&self.buf, eof);
            }
            let records = self.records == Some(true);
            let end = if eof {
                self.buf.len()
            } else {
                boundary(&self.buf, records, self.max_entry)
            };
            if end == 0 && !eof {
                continue;
            }
            // A line longer than `max_entry` is cut where the buffer ends; the next chunk
            // starts `cut_overlap` bytes (whole characters) before the cut, so a match across
            // the cut is found there, and counts its columns from the line's start.
            let cut_line = !eof && end == self.buf.len() && !ends_with_line_end(&self.buf);
            let next_from = if cut_line {
                let mut from = end - self.cut_overlap;
                while from < end && (0x80..0xC0).contains(&self.buf[from]) {
                    from += 1;
                }
                from
            } else {
                end
            };
            let (column, overlap) = (self.column, self.overlap);
            (self.column, self.overlap) = if cut_line {
                (column + char_count(&self.buf[..next_from]), end - next_from)
            } else {
                (0, 0)
            };
            let mut rest = self.spare.pop().unwrap_or_default();
            rest.clear();
            rest.extend_from_slice(&self.buf[next_from..]);
            self.buf.truncate(end);
            return Ok(Chunk {
                text: std::mem::replace(&mut self.buf, rest),
                encoding: self.reader.encoding,
                records,
                offsets_exact: self.reader.offsets_exact(),
                last: eof,
                column,
                overlap,
                cut_line,
            });
        }
    }
}

impl<R> Chunker<R> {
    fn recycle(&mut self, text: Vec<u8>) {
        self.spare.push(text);
    }
}

/// Reads until at least `size` more bytes are buffered or the input ends; true at the end.
fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, size: usize) -> io::Result<bool> {
    let target = buf.len() + size;
    let mut filled = buf.len();
    buf.resize(target, 0);
    while filled < target {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                buf.truncate(filled);
                return Ok(true);
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
    }
    Ok(false)
}
