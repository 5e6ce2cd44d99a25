//! Every Windows encoding, detection of legacy code pages, streams read in any sizes, and
//! text made visible.

use std::borrow::Cow;
use std::io::Read;

use super::*;

fn utf16le_bom(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fn text(bytes: &[u8]) -> String {
    decode(bytes, None).text
}

#[test]
fn decodes_every_windows_encoding() {
    assert_eq!(text(b"\xEF\xBB\xBFabc"), "abc");
    assert_eq!(text(&utf16le_bom("Größe\r\n")), "Größe\r\n");
    let mut be = vec![0xFE, 0xFF];
    be.extend("ok".encode_utf16().flat_map(u16::to_be_bytes));
    assert_eq!(text(&be), "ok");
    let no_bom: Vec<u8> = "[{}]".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert_eq!(text(&no_bom), "[{}]");
}

/// What Windows PowerShell 5.1's `Set-Content` writes on Japanese Windows.
pub(crate) fn cp932(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = SHIFT_JIS.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// Regression (issue 19): a CP932 export showed its Japanese as U+FFFD.
#[test]
fn legacy_code_pages_are_detected_when_the_bytes_are_not_utf8() {
    let name = "{\r\n    \"Name\":  \"Configuration Manager 2409 修正プログラム ロールアップ (KB30385346)\",\r\n    \"State\":  327679\r\n}";
    let decoded = decode(&cp932(name), None);
    assert_eq!(decoded.text, name);
    assert_eq!(decoded.encoding.to_string(), "Shift_JIS (Windows code page 932)");
    assert!(decoded.clean);
    let (western, _, _) = encoding_rs::WINDOWS_1252.encode("Größe: café, naïve résumé\r\n");
    let decoded = decode(&western, None);
    assert_eq!(decoded.text, "Größe: café, naïve résumé\r\n");
    assert_eq!(decoded.encoding.to_string(), "windows-1252");
    // Named on the command line, the code page is used without a guess.
    assert_eq!(decode(b"caf\xE9", encoding_named("cp1252")).text, "café");
    // UTF-8 with BOM and without stays as it is; UTF-8 with one stray byte stays UTF-8.
    assert_eq!(decode("修正プログラム".as_bytes(), None).encoding, Encoding::UTF8);
    let damaged = decode(b"\xE4\xBF\xAE\xE6\xAD\xA3 \xFF ok", None);
    assert_eq!(
        (damaged.text.as_str(), damaged.encoding, damaged.clean),
        ("修正 \u{FFFD} ok", Encoding::UTF8, false)
    );
}

/// CP932's `ソ` ends in 0x5C, the backslash: read byte by byte a path splits inside it.
#[test]
fn a_cp932_path_with_a_backslash_trail_byte_is_one_path() {
    let bytes = cp932("D:\\ソフト\\UpdatePacks\r\n");
    assert_eq!(bytes[3..5], [0x83, 0x5C]);
    assert_eq!(text(&bytes), "D:\\ソフト\\UpdatePacks\r\n");
    assert_eq!(text(&bytes).split('\\').count(), 3);
}

#[test]
fn windows_names_for_code_pages_are_understood() {
    for name in ["cp932", "932", "Shift_JIS", "sjis", "ms932", "windows-31j"] {
        assert_eq!(encoding_named(name), Some(SHIFT_JIS), "{name}");
    }
    assert_eq!(encoding_named("CP1252"), Some(encoding_rs::WINDOWS_1252));
    assert_eq!(encoding_named("latin1"), Some(encoding_rs::WINDOWS_1252));
    assert_eq!(encoding_named("klingon"), None);
}

/// Regression (issue 17 item 6): a UTF-8 log starting `a\0b\0` was read as UTF-16.
#[test]
fn utf16_without_a_bom_needs_strong_evidence() {
    assert_eq!(
        text(b"a\0b\0INFO: Connecting to service\n"),
        "a\0b\0INFO: Connecting to service\n"
    );
    assert_eq!(
        read_all(b"a\0b\0INFO: Connecting to service\n"),
        "a\0b\0INFO: Connecting to service\n"
    );
    let no_bom: Vec<u8> = "INFO: Connecting\r\n"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    assert_eq!(read_all(&no_bom), "INFO: Connecting\r\n");
}

/// Issue 35 (M2): a Japanese SCT log in UTF-16LE without a BOM is far from nine tenths ASCII,
/// and was read as windows-1251; where the zero bytes fall says UTF-16 all the same, in both
/// byte orders, and with CJK characters whose low byte is zero (U+3000, U+4E00).
#[test]
fn utf16_without_a_bom_is_known_by_where_its_zero_bytes_fall() {
    let log = "ERROR: 接続が切断されました: 送信時に、予期しないエラーが発生しました。\u{3000}一 ~~  $$<SMS_DMP_DOWNLOADER><12-17-2024 14:40:12.332+300><thread=4116 (0x1014)>\r\n".repeat(20);
    let le: Vec<u8> = log.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = log.encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert_eq!(decode(&le, None).encoding.charset, encoding_rs::UTF_16LE);
    assert_eq!(text(&le), log);
    assert_eq!(read_all(&le), log);
    assert_eq!(read_all(&be), log);
    // All Japanese but the line ends.
    let japanese = "予期しないエラーが発生しました。接続が切断されました\r\n".repeat(10);
    let le: Vec<u8> = japanese.encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert_eq!(text(&le), japanese);
}

#[test]
fn yaml_in_a_legacy_code_page_is_refused_with_how_to_convert_it() {
    let rule = "rules:\n  - id: proxy\n    message: プロキシ認証が必要です\n";
    let err = decode_yaml(&cp932(rule)).unwrap_err();
    assert_eq!(err.line, 3);
    assert_eq!(
        err.to_string(),
        "it is not UTF-8 (byte 0x83 on line 3); it looks like Shift_JIS (Windows code page 932). \
         Rule files and sitelint.yaml must be UTF-8: convert it once, for example in PowerShell: \
         `Get-Content -Encoding Default f.yaml | Set-Content -Encoding UTF8 f.yaml`"
    );
    assert_eq!(decode_yaml(rule.as_bytes()).unwrap(), rule);
    assert_eq!(decode_yaml(&utf16le_bom(rule)).unwrap(), rule);
}

/// A stream that is ASCII for longer than the prefix judged, then CP932.
#[test]
fn a_stream_ascii_until_late_switches_to_the_legacy_code_page_there() {
    let head = "INFO: Connecting to service\r\n".repeat(10_000);
    let tail = "ERROR:D:\\ソフト\\UpdatePacks 基になる接続が閉じられました\r\n";
    let mut bytes = head.clone().into_bytes();
    bytes.extend(cp932(tail));
    let mut reader = Utf8Reader::new(bytes.as_slice(), None).unwrap();
    let mut out = Vec::new();
    reader.read_to_end(&mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), head + tail);
    assert_eq!(reader.encoding.charset, SHIFT_JIS);
    assert!(!reader.damaged);
    assert_eq!(
        reader.encoding.original_len(tail.as_bytes()),
        Some(cp932(tail).len() as u64)
    );
}

/// Found by the text_decode fuzz target's invariant: one-byte reads carried a cut lead byte
/// out before it was judged (CP932's `錢` starts E8, a UTF-8 lead byte), so the same file
/// was CP932 read in big reads and damaged UTF-8 read byte by byte.
#[test]
fn the_sizes_of_the_reads_do_not_change_the_text() {
    let bytes = cp932("INFO: ok\r\nERROR: 錢 接続が切断されました\r\n");
    let mut texts = Vec::new();
    for size in [1, 2, 3, 4096] {
        let mut reader = Utf8Reader::new(bytes.as_slice(), None).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0; size];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        texts.push((String::from_utf8(out).unwrap(), reader.encoding.charset.name()));
    }
    for text in &texts {
        assert_eq!(
            text,
            &("INFO: ok\r\nERROR: 錢 接続が切断されました\r\n".to_owned(), "Shift_JIS")
        );
    }
}

/// After real UTF-8, a bad byte is damage, not a code page: nothing already read changes.
#[test]
fn utf8_then_a_bad_byte_stays_utf8_and_is_marked_damaged() {
    let mut bytes = "修正プログラム\n".repeat(10_000).into_bytes();
    bytes.extend(b"\xFF\n");
    let mut reader = Utf8Reader::new(bytes.as_slice(), None).unwrap();
    let mut out = Vec::new();
    reader.read_to_end(&mut out).unwrap();
    assert_eq!(out, bytes);
    assert!(reader.encoding.is_utf8() && reader.damaged);
}

#[test]
fn streaming_decoder_matches_whole_decode_across_small_reads() {
    let text = "INFO: é 😀 line\r\n".repeat(10_000);
    let bytes = utf16le_bom(&text);
    let mut reader = Utf8Reader::new(bytes.as_slice(), None).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 3];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(String::from_utf8(out).unwrap(), text);
}

fn read_all(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    Utf8Reader::new(bytes, None).unwrap().read_to_end(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Regression: a UTF-16 log copied while it was being written ends inside a character; the
/// reader used to call the finished decoder again and panic.
#[test]
fn utf16_cut_inside_a_character_ends_with_a_replacement_character() {
    assert_eq!(read_all(b"\xff\xfeA"), "\u{FFFD}");
    assert_eq!(read_all(b"\xfe\xff\x00A\x00"), "A\u{FFFD}");
    let mut cut = utf16le_bom("ERROR: Download() failed\r\n");
    cut.pop();
    assert_eq!(read_all(&cut), "ERROR: Download() failed\r\u{FFFD}");
    // A lone high surrogate at the end, without a BOM.
    let mut lone: Vec<u8> = "abcdefghij".encode_utf16().flat_map(u16::to_le_bytes).collect();
    lone.extend([0x3D, 0xD8]);
    assert_eq!(read_all(&lone), "abcdefghij\u{FFFD}");
    // The end is flushed even when the caller's buffer is small.
    let mut reader = Utf8Reader::new(&b"\xff\xfeA\x00B"[..], None).unwrap();
    let mut buf = [0u8; 4];
    let mut out = Vec::new();
    for _ in 0..10 {
        let n = reader.read(&mut buf).unwrap();
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(String::from_utf8(out).unwrap(), "A\u{FFFD}");
}

#[test]
fn characters_that_act_on_a_terminal_are_made_visible() {
    let hostile = "418 \x1b[2J\x1b[31mPWNED\x1b]0;title\x07 \u{202e}txt.exe\u{9b}\x08\x7f a\rb\r\n";
    assert_eq!(
        visible(hostile),
        "418 \\x1b[2J\\x1b[31mPWNED\\x1b]0;title\\x07 \\u{202e}txt.exe\\u{9b}\\x08\\x7f a\\x0db\r\n"
    );
    assert!(matches!(visible("Größe\tok\r\n"), Cow::Borrowed(_)));
}

#[test]
fn spans_of_the_original_map_onto_the_visible_text() {
    let original = "a\x1bb \u{202e}ERROR x";
    let shown = VisibleText::new(original);
    let error = original.find("ERROR").unwrap();
    let range = shown.range(error..error + 5);
    assert_eq!(&shown.text[range], "ERROR");
    assert_eq!(shown.offset(0), 0);
    assert_eq!(&shown.text[shown.range(1..2)], "\\x1b");
}

#[test]
fn utf8_passes_through_with_invalid_bytes() {
    let bytes = b"\xEF\xBB\xBFa\xFFb";
    let mut reader = Utf8Reader::new(&bytes[..], None).unwrap();
    let mut out = Vec::new();
    reader.read_to_end(&mut out).unwrap();
    assert_eq!(out, b"a\xFFb");
    assert_eq!(
        reader.encoding,
        Encoding {
            charset: UTF_8,
            bom: true
        }
    );
}
