//! Decoding while reading: a log of any size read as UTF-8 without holding it in memory.

use std::io::{self, Read};

use encoding_rs::{CoderResult, Decoder};

use super::{Encoding, PREFIX, legacy_encoding};

/// Reads a stream of any supported encoding as UTF-8 bytes, without holding the file in memory.
/// UTF-8 input passes through untouched (invalid bytes included) so that byte offsets in the
/// output are byte offsets in the file, shifted by the BOM. A stream that is ASCII until its
/// first byte that is not UTF-8 (a CP932 log whose first Japanese line comes after megabytes of
/// English) is decoded in the legacy code page from there on: ASCII reads the same in both.
pub struct Utf8Reader<R> {
    inner: R,
    /// The code page `--encoding` names, for bytes that are not UTF-8.
    named: Option<&'static encoding_rs::Encoding>,
    /// `None` while the bytes pass through as UTF-8.
    decoder: Option<Decoder>,
    /// Bytes read from `inner` but not yet handed out or decoded.
    raw: Vec<u8>,
    raw_start: usize,
    eof: bool,
    /// The decoder has flushed its last partial character after the end of input; encoding_rs
    /// panics if it is used again, so further reads return 0 without touching it.
    finished: bool,
    /// One decoded character waiting for a caller whose buffer was too small for it.
    spill: [u8; 4],
    spill_start: usize,
    spill_len: usize,
    /// Bytes of `raw` before this are handed out as they are (UTF-8, or the ASCII before a
    /// legacy code page took over).
    checked_to: usize,
    /// While UTF-8 passes through and is still checked, and whether all of it was ASCII so far
    /// (a legacy code page can then still take over).
    checking: bool,
    ascii_so_far: bool,
    pub encoding: Encoding,
    /// Some bytes did not decode: U+FFFD in the text, or invalid UTF-8 passed through.
    pub damaged: bool,
    /// The first bytes, decoded, are full of control characters ([`super::garbled`]).
    pub garbled: bool,
}

impl<R: Read> Utf8Reader<R> {
    /// Judges the encoding from the first bytes and skips the BOM. `named` is the legacy code
    /// page to use when the bytes are not UTF-8 (detected when `None`).
    pub fn new(mut inner: R, named: Option<&'static encoding_rs::Encoding>) -> io::Result<Self> {
        let mut raw = Vec::with_capacity(PREFIX);
        let eof = fill_to(&mut inner, &mut raw, PREFIX)?;
        let sniffed = Encoding::sniff(&raw);
        let encoding = sniffed.unwrap_or(Encoding::UTF8);
        let decoder = sniffed
            .filter(|e| !e.is_utf8())
            .map(|e| e.charset.new_decoder_without_bom_handling());
        let start = &raw[encoding.bom_len()..];
        let garbled = super::garbled(&encoding.charset.decode_without_bom_handling(start).0);
        Ok(Utf8Reader {
            inner,
            named,
            checking: decoder.is_none(),
            decoder,
            raw,
            raw_start: encoding.bom_len(),
            eof,
            finished: false,
            spill: [0; 4],
            spill_start: 0,
            spill_len: 0,
            ascii_so_far: true,
            checked_to: 0,
            encoding,
            damaged: false,
            garbled,
        })
    }

    /// Byte offsets into the file can be computed from the decoded text: it is UTF-8 as read,
    /// or was decoded cleanly in an encoding whose widths are known.
    pub fn offsets_exact(&self) -> bool {
        self.encoding.is_utf8() || !self.damaged
    }
}

/// Reads from `inner` until `raw` holds `len` bytes or the input ends; true at the end.
fn fill_to(inner: &mut impl Read, raw: &mut Vec<u8>, len: usize) -> io::Result<bool> {
    let mut filled = raw.len();
    raw.resize(len.max(filled), 0);
    while filled < raw.len() {
        match inner.read(&mut raw[filled..]) {
            Ok(0) => {
                raw.truncate(filled);
                return Ok(true);
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.decoder.is_none() || self.raw_start < self.checked_to {
            return self.pass_through(out);
        }
        if self.spill_start < self.spill_len {
            return Ok(self.take_spill(out));
        }
        // decode_to_utf8 never writes part of a character, and one takes up to 4 bytes: a
        // smaller buffer (`read_to_end` probes with one) is served from a character decoded
        // aside.
        if out.len() < 4 {
            let mut spill = [0; 4];
            self.spill_len = self.decode(&mut spill)?;
            self.spill = spill;
            self.spill_start = 0;
            return Ok(self.take_spill(out));
        }
        self.decode(out)
    }
}

impl<R: Read> Utf8Reader<R> {
    /// UTF-8: handed out from `raw` once checked, so that where the first bad byte lies does
    /// not depend on the sizes of the reads.
    fn pass_through(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.raw_start < self.checked_to {
                let n = out.len().min(self.checked_to - self.raw_start);
                out[..n].copy_from_slice(&self.raw[self.raw_start..self.raw_start + n]);
                self.raw_start += n;
                return Ok(n);
            }
            if self.decoder.is_some() {
                return self.read(out);
            }
            // Keep what is not handed out yet (a character cut by the end of the buffer).
            self.raw.drain(..self.raw_start);
            self.raw_start = 0;
            if !self.eof {
                self.eof = fill_to(&mut self.inner, &mut self.raw, PREFIX)?;
            }
            if self.raw.is_empty() {
                return Ok(0);
            }
            if !self.checking {
                self.checked_to = self.raw.len();
                continue;
            }
            self.check_utf8()?;
        }
    }

    /// Checks the bytes in `raw` as UTF-8 and moves `checked_to` past what may be handed out.
    /// At the first bad byte it decides: UTF-8 with damage (a BOM said UTF-8, or real UTF-8
    /// came before), or the legacy code page from there on.
    fn check_utf8(&mut self) -> io::Result<()> {
        let bad = match std::str::from_utf8(&self.raw) {
            Ok(_) => {
                self.ascii_so_far &= self.raw.is_ascii();
                self.checked_to = self.raw.len();
                return Ok(());
            }
            Err(e) if e.error_len().is_none() && !self.eof => {
                // A character cut by the end of the buffer: the rest comes with the next fill.
                self.ascii_so_far &= self.raw[..e.valid_up_to()].is_ascii();
                self.checked_to = e.valid_up_to();
                return Ok(());
            }
            Err(e) => e.valid_up_to(),
        };
        self.checking = false;
        self.checked_to = self.raw.len();
        if self.encoding.bom || !(self.ascii_so_far && self.raw[..bad].is_ascii()) {
            self.damaged = true;
            return Ok(());
        }
        if !self.eof {
            self.eof = fill_to(&mut self.inner, &mut self.raw, bad + PREFIX)?;
        }
        self.encoding = legacy_encoding(&self.raw[bad..], self.named);
        if self.encoding.is_utf8() {
            self.damaged = true;
            self.checked_to = self.raw.len();
        } else {
            // What came before the bad byte is ASCII, the same in either; decoding starts there.
            self.checked_to = bad;
            self.decoder = Some(self.encoding.charset.new_decoder_without_bom_handling());
        }
        Ok(())
    }

    fn take_spill(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.spill_len - self.spill_start);
        out[..n].copy_from_slice(&self.spill[self.spill_start..self.spill_start + n]);
        self.spill_start += n;
        n
    }

    /// Decodes into `out` (at least 4 bytes); 0 only at the end.
    fn decode(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let Some(decoder) = &mut self.decoder else {
            return Ok(0);
        };
        loop {
            if self.finished {
                return Ok(0);
            }
            if self.raw_start == self.raw.len() && !self.eof {
                self.raw.clear();
                self.raw_start = 0;
                self.checked_to = 0;
                self.eof = fill_to(&mut self.inner, &mut self.raw, PREFIX)?;
            }
            // A file cut in the middle of a character (copied while being written) ends in half
            // a code unit or a lone surrogate: with `last`, the decoder turns it into U+FFFD.
            let (result, read, written, replaced) = decoder.decode_to_utf8(&self.raw[self.raw_start..], out, self.eof);
            self.raw_start += read;
            self.damaged |= replaced;
            self.finished = self.eof && result == CoderResult::InputEmpty;
            if written > 0 || self.finished {
                return Ok(written);
            }
        }
    }
}
