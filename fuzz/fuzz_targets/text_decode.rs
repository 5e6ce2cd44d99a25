//! The one decoding step every text input goes through: a BOM, UTF-8 when valid, else a
//! legacy code page (detected, or named). The streaming reader gives the same text whatever
//! the sizes of the reads under it, passes valid UTF-8 through untouched, and its byte widths
//! add up to the file for a clean decode.
#![no_main]

#[path = "../common/chunked.rs"]
mod chunked;

use std::io::Read;

use chunked::Chunked;
use libfuzzer_sys::fuzz_target;
use sitelint::document::text::{Utf8Reader, decode, encoding_named};

fuzz_target!(|data: &[u8]| {
    let (head, text) = data.split_at(data.len().min(3));
    let named = match head.first().map(|b| b % 4) {
        Some(1) => encoding_named("cp932"),
        Some(2) => encoding_named("windows-1252"),
        _ => None,
    };
    let sizes = head.get(1..).unwrap_or(&[]);
    let whole = decode(text, named);
    if let Ok(valid) = std::str::from_utf8(text)
        && whole.encoding.is_utf8()
        && !whole.encoding.bom
    {
        assert_eq!(whole.text, valid);
    }
    let mut outputs = Vec::new();
    for buffer in [1, 7, 4096] {
        let mut reader = Utf8Reader::new(Chunked::new(text, sizes, 61), named).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0; buffer];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        if !reader.encoding.is_utf8() {
            let decoded = std::str::from_utf8(&out).expect("decoded text is UTF-8");
            if !reader.damaged {
                if let Some(len) = reader.encoding.original_len(decoded.as_bytes()) {
                    assert_eq!(len as usize + reader.encoding.bom_len(), text.len(), "{}", reader.encoding);
                }
            }
        } else if !reader.encoding.bom && std::str::from_utf8(text).is_ok() {
            // Valid UTF-8 passes through byte for byte.
            assert_eq!(out, text);
        }
        outputs.push((out, reader.encoding, reader.damaged));
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "the read sizes changed the text");
});
