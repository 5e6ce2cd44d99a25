//! Text as Windows writes it: UTF-8 with or without BOM, UTF-16LE/BE (PowerShell 5.1's `>`),
//! and bytes that are valid in neither. Everything leaves this module as UTF-8.

use std::io::{self, Read};

use encoding_rs::{Decoder, UTF_16BE, UTF_16LE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, or bytes treated as such (Windows-1252 text keeps its ASCII intact).
    Utf8 {
        bom: bool,
    },
    Utf16Le {
        bom: bool,
    },
    Utf16Be {
        bom: bool,
    },
}

impl Encoding {
    /// Decides from the first bytes of a file. Without a BOM, UTF-16 is recognised by its
    /// zero bytes around ASCII text, which no UTF-8 log has.
    pub fn sniff(prefix: &[u8]) -> Encoding {
        match prefix {
            [0xEF, 0xBB, 0xBF, ..] => Encoding::Utf8 { bom: true },
            [0xFF, 0xFE, ..] => Encoding::Utf16Le { bom: true },
            [0xFE, 0xFF, ..] => Encoding::Utf16Be { bom: true },
            [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Encoding::Utf16Le { bom: false },
            [0, a, 0, b, ..] if *a != 0 && *b != 0 => Encoding::Utf16Be { bom: false },
            _ => Encoding::Utf8 { bom: false },
        }
    }

    pub fn bom_len(self) -> usize {
        match self {
            Encoding::Utf8 { bom: true } => 3,
            Encoding::Utf16Le { bom: true } | Encoding::Utf16Be { bom: true } => 2,
            _ => 0,
        }
    }

    pub fn is_utf8(self) -> bool {
        matches!(self, Encoding::Utf8 { .. })
    }

    fn decoder(self) -> Option<Decoder> {
        match self {
            Encoding::Utf8 { .. } => None,
            Encoding::Utf16Le { .. } => Some(UTF_16LE.new_decoder_without_bom_handling()),
            Encoding::Utf16Be { .. } => Some(UTF_16BE.new_decoder_without_bom_handling()),
        }
    }
}

/// Lowercase hexadecimal, for digests (SARIF fingerprints, listing hashes).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a whole small file (a rule file, a console export, an allowlist) to a `String`.
/// Invalid sequences become U+FFFD rather than errors: a stray byte must not hide the rest.
pub fn decode(bytes: &[u8]) -> String {
    let encoding = Encoding::sniff(bytes);
    let body = &bytes[encoding.bom_len()..];
    match encoding.decoder() {
        None => String::from_utf8_lossy(body).into_owned(),
        Some(mut decoder) => {
            let capacity = decoder.max_utf8_buffer_length(body.len()).unwrap_or(body.len() * 3);
            let mut out = String::with_capacity(capacity);
            let _ = decoder.decode_to_string(body, &mut out, true);
            out
        }
    }
}

/// Reads a stream of any supported encoding as UTF-8 bytes, without holding the file in memory.
/// UTF-8 input passes through untouched (invalid bytes included) so that byte offsets in the
/// output are byte offsets in the file, shifted by the BOM.
pub struct Utf8Reader<R> {
    inner: R,
    decoder: Option<Decoder>,
    /// Raw bytes read from `inner` but not yet decoded (UTF-16 only).
    raw: Vec<u8>,
    raw_start: usize,
    eof: bool,
    pub encoding: Encoding,
}

impl<R: Read> Utf8Reader<R> {
    /// Sniffs the encoding from the first bytes and skips the BOM.
    pub fn new(mut inner: R) -> io::Result<Self> {
        let mut raw = vec![0; 4];
        let mut filled = 0;
        while filled < raw.len() {
            let n = inner.read(&mut raw[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        raw.truncate(filled);
        let encoding = Encoding::sniff(&raw);
        Ok(Utf8Reader {
            inner,
            decoder: encoding.decoder(),
            raw,
            raw_start: encoding.bom_len(),
            eof: false,
            encoding,
        })
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let Some(decoder) = &mut self.decoder else {
            // UTF-8: first hand out what the sniffing read, then read straight through.
            if self.raw_start < self.raw.len() {
                let n = out.len().min(self.raw.len() - self.raw_start);
                out[..n].copy_from_slice(&self.raw[self.raw_start..self.raw_start + n]);
                self.raw_start += n;
                return Ok(n);
            }
            return self.inner.read(out);
        };
        // A UTF-16 code unit turns into at most 3 UTF-8 bytes; decode_to_utf8 never writes a
        // partial character, so the output buffer needs room for one.
        if out.len() < 4 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "buffer too small"));
        }
        loop {
            if self.raw_start == self.raw.len() && !self.eof {
                self.raw.resize(64 * 1024, 0);
                let n = self.inner.read(&mut self.raw)?;
                self.raw.truncate(n);
                self.raw_start = 0;
                self.eof = n == 0;
            }
            let (_, read, written, _) = decoder.decode_to_utf8(&self.raw[self.raw_start..], out, self.eof);
            self.raw_start += read;
            if written > 0 || self.eof {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    #[test]
    fn decodes_every_windows_encoding() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc"), "abc");
        assert_eq!(decode(&utf16le_bom("Größe\r\n")), "Größe\r\n");
        let mut be = vec![0xFE, 0xFF];
        be.extend("ok".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be), "ok");
        assert_eq!(decode(b"caf\xE9"), "caf\u{FFFD}");
        let no_bom: Vec<u8> = "[{}]".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&no_bom), "[{}]");
    }

    #[test]
    fn streaming_decoder_matches_whole_decode_across_small_reads() {
        let text = "INFO: é 😀 line\r\n".repeat(10_000);
        let bytes = utf16le_bom(&text);
        let mut reader = Utf8Reader::new(bytes.as_slice()).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn utf8_passes_through_with_invalid_bytes() {
        let bytes = b"\xEF\xBB\xBFa\xFFb";
        let mut reader = Utf8Reader::new(&bytes[..]).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"a\xFFb");
        assert_eq!(reader.encoding, Encoding::Utf8 { bom: true });
    }
}
