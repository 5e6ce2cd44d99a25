//! Exports as `reg export` and regedit write them, and lines that are not exports.

use super::*;

/// What `reg export` writes: UTF-16LE with a BOM and CRLF.
fn utf16(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.replace('\n', "\r\n").encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

const EXPORT: &str = r#"Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\X64]
"Installed"=dword:00000001
"Version"="v14.40.33810.00"
"Path"="C:\\Program Files\\a \"b\""
@="default"
"Expand"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,00,\
  25,00,00,00
"Multi"=hex(7):61,00,00,00,62,00,00,00,00,00
"Q"=hex(b):2a,00,00,00,00,00,00,00
"Bin"=hex:01,02
"None"=hex(0):
"Gone"=-

[-HKEY_LOCAL_MACHINE\SOFTWARE\Old]
"#;

#[test]
fn every_value_type_reg_export_writes_is_read_at_its_line() {
    let keys = parse("vc.reg", &utf16(EXPORT), None)
        .map(|(keys, _)| keys)
        .expect("an export");
    assert_eq!(keys.len(), 2);
    let key = &keys[0];
    assert_eq!(key.location.line, Some(3));
    let data: Vec<(&str, &Data)> = key.values.iter().map(|v| (v.name.as_str(), &v.data)).collect();
    assert_eq!(
        data,
        [
            ("Installed", &Data::Dword(1)),
            ("Version", &Data::String("v14.40.33810.00".into())),
            ("Path", &Data::String(r#"C:\Program Files\a "b""#.into())),
            ("", &Data::String("default".into())),
            ("Expand", &Data::Expandable("%SystemRoot%".into())),
            ("Multi", &Data::Multi(vec!["a".into(), "b".into()])),
            ("Q", &Data::Qword(42)),
            (
                "Bin",
                &Data::Binary {
                    kind: 3,
                    bytes: vec![1, 2]
                }
            ),
            ("None", &Data::Binary { kind: 0, bytes: vec![] }),
            ("Gone", &Data::Deleted),
        ]
    );
    let lines: Vec<Option<u64>> = key.values.iter().map(|v| v.location.line).collect();
    assert_eq!(lines, [4, 5, 6, 7, 8, 10, 11, 12, 13, 14].map(Some));
    assert!(keys[1].absent);
    // Decoding from UTF-16 moves bytes: no byte span is claimed.
    assert_eq!(key.location.byte_offset, None);
}

#[test]
fn regedit4_in_ansi_with_abbreviated_keys_in_any_case_is_looked_up() {
    let text = "REGEDIT4\r\n\r\n[hklm\\Software\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full]\r\n\"Release\"=dword:00060636\r\n\"Name\"=hex(2):41,42,00\r\n";
    let mut registry = Registry::default();
    registry.add("site.reg", text.as_bytes(), None).expect("an export");
    let found: Vec<_> = registry
        .values(
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\MICROSOFT\\NET Framework Setup\\NDP\\v4\\Full",
            "release",
        )
        .map(|(_, v)| (&v.data, v.location.line, v.location.byte_offset))
        .collect();
    assert_eq!(found, [(&Data::Dword(394_806), Some(4), Some(71))]);
    let (_, name) = registry
        .values("HKLM\\Software\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full", "Name")
        .next()
        .unwrap();
    assert_eq!(name.data, Data::Expandable("AB".into()));
    assert_eq!(
        registry.keys[0].path,
        "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full"
    );
}

#[test]
fn a_file_that_is_not_an_export_names_its_first_bad_line() {
    let err = parse("notes.txt", b"\r\nhello\r\n", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "notes.txt:2: not a registry export: the first line is `hello`, not `Windows Registry Editor Version 5.00` or `REGEDIT4`"
    );
    let err = parse("x.reg", b"REGEDIT4\n\n[HKLM\\A]\n\"A\"=dword:1\n\"B\"=word:1\n", None).unwrap_err();
    assert_eq!(err.line, 5);
    assert!(
        matches!(&err.problem, LineError::Data { name, problem: DataError::NotAValue(_) } if name == "B"),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("x.reg:5: value `B`: `word:1` is not a value"),
        "{err}"
    );
    let err = parse("x.reg", b"REGEDIT4\n\"A\"=dword:1\n", None).unwrap_err();
    assert_eq!(
        (err.line, err.problem),
        (2, LineError::NotUnderKey("\"A\"=dword:1".to_owned()))
    );
    for bad in [
        "\"A\"=hex(b):01",
        "\"A\"=dword:123456789",
        "\"A\"=\"open",
        "\"A\"=hex:zz",
        "\"A",
        "[HKLM\\A",
    ] {
        let text = format!("REGEDIT4\n[HKLM\\A]\n{bad}\n");
        assert!(parse("x.reg", text.as_bytes(), None).is_err(), "{bad}");
    }
    assert_eq!(parse("x.reg", b"", None).unwrap_err().line, 1);
}

#[test]
fn files_merge_and_a_value_given_twice_differently_is_a_conflict() {
    let mut registry = Registry::default();
    registry
        .add("a.reg", b"REGEDIT4\n[HKLM\\A]\n\"X\"=dword:1\n", None)
        .unwrap();
    registry
        .add(
            "b.reg",
            &utf16("Windows Registry Editor Version 5.00\n[HKEY_LOCAL_MACHINE\\a]\n\"x\"=dword:0\n"),
            None,
        )
        .unwrap();
    let found: Vec<(&str, &Data)> = registry
        .values("hklm\\a", "X")
        .map(|(_, v)| (v.location.path.as_str(), &v.data))
        .collect();
    assert_eq!(found, [("a.reg", &Data::Dword(1)), ("b.reg", &Data::Dword(0))]);
    assert!(registry.conflict().is_some());
}

/// Issue 35 (M1): never one of two answers picked, whether the two are in two files, twice in
/// one key, or a key deleted (`[-KEY]`) in one file and exported in another.
#[test]
fn exports_that_disagree_are_a_conflict_and_agreeing_ones_are_not() {
    let conflict = |files: &[&str]| {
        let mut registry = Registry::default();
        for (n, text) in files.iter().enumerate() {
            registry.add(&format!("{n}.reg"), text.as_bytes(), None).unwrap();
        }
        registry.conflict().map(|c| c.to_string())
    };
    let v = |data: &str| format!("REGEDIT4\n[HKLM\\A]\n\"V\"={data}\n");
    assert_eq!(conflict(&[&v("dword:1"), &v("dword:1")]), None);
    assert_eq!(
        conflict(&[&v("dword:1"), &v("dword:0")]).unwrap(),
        "the registry exports disagree: HKEY_LOCAL_MACHINE\\A: value V is 1 at 0.reg:3 and 0 at 1.reg:3; export it again, once"
    );
    assert!(conflict(&["REGEDIT4\n[HKLM\\A]\n\"V\"=\"18.6\"\n\"v\"=\"18.4\"\n"]).is_some());
    assert!(
        conflict(&["REGEDIT4\n[-HKLM\\A]\n", &v("dword:1")])
            .unwrap()
            .contains("recorded absent at 0.reg:2 and present at 1.reg:2")
    );
    assert!(conflict(&[&v("dword:1"), &format!("REGEDIT4\n{ABSENT_MARK}HKLM\\A\n")]).is_some());
}

/// Issue 35 (lookalike keys): names compare as Windows compares them, by the simple uppercase
/// mapping: the Kelvin sign is not K, `ß` is not `SS`, and a trailing space makes another name.
#[test]
fn names_compare_as_windows_compares_them() {
    assert_eq!(windows_name("SchUseStrongCrypto"), windows_name("schusestrongcrypto"));
    assert_eq!(windows_name("Ölpreis"), windows_name("ölpreis"));
    assert_ne!(windows_name("\u{212A}ey"), windows_name("key"));
    assert_ne!(windows_name("straße"), windows_name("STRASSE"));
    assert_ne!(normalize("HKLM\\SOFTWARE\\X "), normalize("HKLM\\SOFTWARE\\X"));
    let mut registry = Registry::default();
    registry
        .add(
            "k.reg",
            "REGEDIT4\n[HKLM\\SOFTWARE\\\u{212A}ey ]\n\"V\"=dword:1\n".as_bytes(),
            None,
        )
        .unwrap();
    assert_eq!(registry.keys("HKLM\\SOFTWARE\\key").count(), 0);
    assert_eq!(registry.keys("HKLM\\SOFTWARE\\\u{212A}EY ").count(), 1);
}

#[test]
fn subkeys_are_the_children_only_and_absent_marks_are_keys() {
    let text = format!(
        "REGEDIT4\n[HKLM\\U]\n[HKLM\\U\\one]\n\"DisplayName\"=\"One\"\n[HKLM\\U\\one\\deeper]\n{ABSENT_MARK}HKLM\\Gone\n"
    );
    let mut registry = Registry::default();
    registry.add("u.reg", text.as_bytes(), None).unwrap();
    let children: Vec<&str> = registry
        .subkeys("HKEY_LOCAL_MACHINE\\u")
        .map(|k| k.path.as_str())
        .collect();
    assert_eq!(children, ["HKEY_LOCAL_MACHINE\\U\\one"]);
    let gone: Vec<(bool, Option<u64>)> = registry
        .keys("hklm\\gone")
        .map(|k| (k.absent, k.location.line))
        .collect();
    assert_eq!(gone, [(true, Some(6))]);
}

#[test]
fn versions_compare_part_by_part() {
    let v = |t| Version::parse(t).unwrap();
    assert!(v("v14.40.33810.00") > v("14.28.29914"));
    assert!(v("14.28.29914.0") == v("14.28.29914"));
    assert!(v("14.28.29913") < v("14.28.29914"));
    assert!(v("18.10.1.1") > v("18.6.1.1"));
    assert_eq!(Version::parse("abc"), None);
    assert_eq!(Version::of(&Data::Dword(394_802)), Some(v("394802")));
}

/// Issue 35 (L): a line ending in `\` goes on only inside a value's hex data, as regedit reads
/// it: a comment ending in `\` no longer hides the value on the next line, which regedit
/// imports. And a dword is hex digits only: `dword:+1` is refused, as regedit refuses it.
#[test]
fn only_hex_data_continues_and_a_dword_has_no_sign() {
    let text = "REGEDIT4\n[HKLM\\A]\n; TLS settings follow \\\n\"SchUseStrongCrypto\"=dword:00000000\n\"Bin\"=hex:01,02,\\\n  03\n";
    let (keys, _) = parse("c.reg", text.as_bytes(), None).unwrap();
    let values: Vec<(&str, &Data, Option<u64>)> = keys[0]
        .values
        .iter()
        .map(|v| (v.name.as_str(), &v.data, v.location.line))
        .collect();
    assert_eq!(
        values,
        [
            ("SchUseStrongCrypto", &Data::Dword(0), Some(4)),
            (
                "Bin",
                &Data::Binary {
                    kind: 3,
                    bytes: vec![1, 2, 3]
                },
                Some(5)
            ),
        ]
    );
    for bad in ["dword:+1", "dword:-1", "dword:", "hex:+1"] {
        let text = format!("REGEDIT4\n[HKLM\\A]\n\"V\"={bad}\n");
        assert!(parse("x.reg", text.as_bytes(), None).is_err(), "{bad}");
    }
}
