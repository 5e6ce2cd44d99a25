//! Where entries begin and end in decoded log text: lines (CRLF, LF or a lone CR) and CMTrace
//! records, which may span lines.

use std::ops::Range;

use memchr::memmem;

/// An entry longer than this is not held whole: a CMTrace record is cut at a line end, a line
/// where the buffer ends. A log of one endless line (a sparse file of zeros) so scans in
/// bounded memory. A line cut so goes on in the next chunk, which starts [`CUT_OVERLAP`] bytes
/// before the cut: see `split::Chunker`.
pub const MAX_ENTRY: usize = 64 << 20;

/// How much of a line cut at [`MAX_ENTRY`] the next chunk reads again, so that a match that
/// runs across the cut is still found whole if it is no longer than this (a log line's
/// failure is a few hundred bytes; a match of more than 1 MiB across the cut is the one
/// thing a line over 64 MiB still loses).
pub(super) const CUT_OVERLAP: usize = 1 << 20;

const RECORD_OPEN: &[u8] = b"<![LOG[";
const RECORD_CLOSE: &[u8] = b"]LOG]!>";

/// A log is read as CMTrace records if its first non-blank line opens one; otherwise every
/// line is an entry. `None` until enough is buffered to see the start of a first line: the
/// answer must not depend on where a read ended.
pub(super) fn detect_records(buf: &[u8], eof: bool) -> Option<bool> {
    let start = buf.iter().position(|b| !b.is_ascii_whitespace());
    match start {
        Some(s) if buf.len() - s >= RECORD_OPEN.len() || eof || memchr::memchr2(b'\n', b'\r', &buf[s..]).is_some() => {
            Some(buf[s..].starts_with(RECORD_OPEN))
        }
        _ if eof => Some(false),
        _ => None,
    }
}

// Lines end in CRLF, LF or a lone CR (old Mac editors, some copy tools): all three end a line.

/// Just past the end of the line that holds `pos`, its line end included.
fn line_end_from(bytes: &[u8], pos: usize) -> usize {
    match memchr::memchr2(b'\n', b'\r', &bytes[pos..]) {
        None => bytes.len(),
        Some(i) if bytes[pos + i] == b'\r' && bytes.get(pos + i + 1) == Some(&b'\n') => pos + i + 2,
        Some(i) => pos + i + 1,
    }
}

/// The start of the line that holds `pos` (the LF of a CRLF belongs to the line it ends).
fn line_start_before(bytes: &[u8], pos: usize) -> usize {
    let pos = if pos > 0 && bytes.get(pos) == Some(&b'\n') && bytes[pos - 1] == b'\r' {
        pos - 1
    } else {
        pos
    };
    memchr::memrchr2(b'\n', b'\r', &bytes[..pos]).map_or(0, |i| i + 1)
}

/// Whether `bytes` ends with a line end (then the next text starts a line).
pub(super) fn ends_with_line_end(bytes: &[u8]) -> bool {
    matches!(bytes.last(), Some(b'\n' | b'\r'))
}

/// The line ends in `bytes`; a CR at the very end counts, so `bytes` must not end between the
/// CR and LF of a CRLF.
pub(super) fn count_line_ends(bytes: &[u8]) -> u64 {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
        .count() as u64
}

/// The last line end in `buf` that is surely one: a CR last in the buffer may be the start of
/// a CRLF whose LF is not read yet.
fn last_line_end(buf: &[u8]) -> usize {
    let mut end = buf.len();
    while let Some(i) = memchr::memrchr2(b'\n', b'\r', &buf[..end]) {
        if buf[i] == b'\n' || i + 1 < buf.len() {
            return i + 1;
        }
        end = i;
    }
    0
}

/// End of the last complete entry in `buf` (0 if none yet), or `buf.len()` once `buf` holds
/// `max_entry` bytes of one line.
pub(super) fn boundary(buf: &[u8], records: bool, max_entry: usize) -> usize {
    let line_end = last_line_end(buf);
    if records {
        // A record may span lines; it is complete once the next one has begun.
        if let Some(next_record) = memmem::rfind(buf, b"\n<![LOG[") {
            return next_record + 1;
        }
        if buf.len() < max_entry {
            return 0;
        }
    }
    if line_end == 0 && buf.len() >= max_entry {
        return buf.len();
    }
    line_end
}

/// The entry containing byte `pos` of `chunk`: its line, or the CMTrace record around it.
pub(super) fn entry_at(chunk: &[u8], pos: usize, records: bool) -> Range<usize> {
    let line_start = line_start_before(chunk, pos);
    let line_end = line_end_from(chunk, pos.max(line_start));
    if records {
        let search_to = (pos + RECORD_OPEN.len()).min(chunk.len());
        if let Some(open) = memmem::rfind(&chunk[..search_to], RECORD_OPEN) {
            let open = memchr::memrchr(b'\n', &chunk[..open]).map_or(0, |i| i + 1);
            let close = memmem::find(&chunk[open..], RECORD_CLOSE).map(|c| open + c);
            let end = close.map_or(chunk.len(), |c| {
                memchr::memchr(b'\n', &chunk[c..]).map_or(chunk.len(), |i| c + i + 1)
            });
            if end > pos {
                return open..end;
            }
        }
    }
    line_start..line_end
}
