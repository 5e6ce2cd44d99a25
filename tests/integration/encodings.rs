//! Inputs as Japanese and Western Windows write them (issue 19): CP932 and Windows-1252
//! without a BOM, UTF-16 with one, UTF-8 with and without, for every kind of input. The
//! report shows the real text, and byte spans point at the file's own bytes.

use std::fs;
use std::path::Path;

use crate::{check_with_rules, finding, json, path_str, sitelint, sitelint_in, stderr};

/// An encoding as a Windows tool writes it, and text it can hold.
struct Written {
    name: &'static str,
    /// A folder name, an update name and a proxy's answer in the language of the code page.
    folder: &'static str,
    update: &'static str,
    detail: &'static str,
    encode: fn(&str) -> Vec<u8>,
}

const JAPANESE: (&str, &str, &str) = (
    "ソフト",
    "Configuration Manager 2409 修正プログラム ロールアップ (KB30385346)",
    "(407)プロキシ認証が必要です。",
);
const WESTERN: (&str, &str, &str) = (
    "Données",
    "Configuration Manager 2409 Cumul de correctifs à installer (KB30385346)",
    "(407) Authentification du proxy nécessaire.",
);

fn written() -> Vec<Written> {
    let with = |name, (folder, update, detail): (&'static str, &'static str, &'static str), encode| Written {
        name,
        folder,
        update,
        detail,
        encode,
    };
    vec![
        with("UTF-8", JAPANESE, |t| t.as_bytes().to_vec()),
        with("UTF-8 with a BOM", JAPANESE, |t| {
            [&b"\xEF\xBB\xBF"[..], t.as_bytes()].concat()
        }),
        with("UTF-16LE with a BOM", JAPANESE, |t| {
            [vec![0xFF, 0xFE], t.encode_utf16().flat_map(u16::to_le_bytes).collect()].concat()
        }),
        with("UTF-16BE with a BOM", JAPANESE, |t| {
            [vec![0xFE, 0xFF], t.encode_utf16().flat_map(u16::to_be_bytes).collect()].concat()
        }),
        with("Shift_JIS (Windows code page 932)", JAPANESE, |t| {
            encoding_rs::SHIFT_JIS.encode(t).0.into_owned()
        }),
        with("windows-1252", WESTERN, |t| {
            encoding_rs::WINDOWS_1252.encode(t).0.into_owned()
        }),
    ]
}

const GUID: &str = "AA928926-5C76-4DE0-B51F-0FE4D365DFE2";

fn log_text(folder: &str) -> String {
    format!(
        "INFO:Connecting to service\r\nINFO:Downloading to D:\\{folder}\\UpdatePacks\r\n\
         ERROR:Failed to download redist for {GUID} into D:\\{folder}\\UpdatePacks\\{GUID}\\Redist\r\n"
    )
}

/// `Get-CMSiteUpdate -Name ... | ConvertTo-Json | Set-Content updates.json` in 5.1.
fn console_text(update: &str) -> String {
    format!(
        "{{\r\n    \"Name\":  \"{update}\",\r\n    \"FullVersion\":  \"5.00.9132.1011\",\r\n    \
         \"PackageGuid\":  \"8E1F2AB5-0B43-4D3B-9C8F-3A4B5C6D7E8F\",\r\n    \"State\":  327679,\r\n    \
         \"DateReleased\":  \"\\/Date(1720919582928)\\/\"\r\n}}\r\n"
    )
}

fn probes_text(detail: &str) -> String {
    format!(
        "[{{\"endpoint\": \"go.microsoft.com\", \"host\": \"go.microsoft.com\", \"port\": 443, \
         \"reachable\": false, \"route\": \"http://proxy:8080\", \"detail\": \"{detail}\"}}]"
    )
}

const RULES: &str = r#"ruleset: encodings
rules:
  - id: redist
    title: A redistributable failed to download
    severity: error
    kind: forbidden-log-pattern
    log: ServiceConnectionTool.log
    pattern: 'ERROR:Failed to download redist for (?P<package>[0-9A-F-]{36}) into (?P<folder>\S+)'
    message: 'package {package} into {folder}'
  - id: ready
    title: The target version is ready to install
    severity: error
    kind: required-update-version
    version: "2409"
  - id: endpoints
    title: The download endpoints are reachable
    severity: error
    kind: required-endpoints
    endpoints: [go.microsoft.com]
    message: '{endpoint}: {why}'
"#;

fn snapshot(dir: &Path, how: &Written) {
    for part in ["logs", "console", "network"] {
        fs::create_dir_all(dir.join(part)).unwrap();
    }
    let write = |path: &str, text: &str| fs::write(dir.join(path), (how.encode)(text)).unwrap();
    write("logs/ServiceConnectionTool.log", &log_text(how.folder));
    write("console/updates.json", &console_text(how.update));
    write("network/probes.json", &probes_text(how.detail));
    fs::write(
        dir.join("snapshot.yaml"),
        "sitelint_snapshot: 1\nlogs:\n  ServiceConnectionTool.log: logs/ServiceConnectionTool.log\n\
         console:\n  updates: console/updates.json\nendpoints:\n  probes: network/probes.json\n",
    )
    .unwrap();
    fs::write(dir.join("rules.yaml"), RULES).unwrap();
}

/// Regression (issue 19): CP932 and Windows-1252 inputs showed their text as U+FFFD, and a
/// CP932 path split inside `ソ` (0x83 0x5C). UTF-8 and UTF-16 inputs read as before.
#[test]
fn every_kind_of_input_in_every_encoding_windows_writes_shows_its_real_text() {
    for how in written() {
        let dir = tempfile::tempdir().unwrap();
        snapshot(dir.path(), &how);
        let out = check_with_rules(dir.path(), "rules.yaml", &[".", "-v"]);
        assert_eq!(out.status.code(), Some(1), "{}: {}", how.name, stderr(&out));
        let report = json(&out);
        let folder = format!("D:\\{}\\UpdatePacks\\{GUID}\\Redist", how.folder);
        let log = finding(&report, "redist");
        assert_eq!(log["message"], format!("package {GUID} into {folder}"), "{}", how.name);
        // The column counts characters of the decoded line; the byte span is in the file.
        let text = log_text(how.folder);
        let line = text.lines().nth(2).unwrap();
        let file = (how.encode)(&text);
        let bom = (how.encode)("").len();
        let start = bom + (how.encode)(&text[..text.find("ERROR").unwrap()]).len() - bom;
        let length = (how.encode)(line).len() - bom;
        let location = &log["location"];
        assert_eq!(
            (location["line"].as_u64(), location["column"].as_u64()),
            (Some(3), Some(1))
        );
        assert_eq!(
            location["end_column"].as_u64(),
            Some(line.chars().count() as u64 + 1),
            "{}",
            how.name
        );
        assert_eq!(
            (location["byte_offset"].as_u64(), location["byte_length"].as_u64()),
            (Some(start as u64), Some(length as u64)),
            "{}",
            how.name
        );
        assert!(file.len() >= start + length);
        let console = finding(&report, "ready")["message"].as_str().unwrap().to_owned();
        assert!(console.contains(how.update), "{}: {console}", how.name);
        let probe = finding(&report, "endpoints")["message"].as_str().unwrap().to_owned();
        assert!(probe.contains(how.detail), "{}: {probe}", how.name);
        // -v names the encoding of every file read.
        let err = stderr(&out);
        for part in [
            "logs/ServiceConnectionTool.log",
            "console/updates.json",
            "network/probes.json",
        ] {
            assert!(
                err.contains(&format!("read {part} as {}\n", how.name)),
                "{}: {err}",
                how.name
            );
        }
        assert!(!err.contains("warning"), "{err}");
    }
}

/// A CP932 allowlist: the entry it cannot read is named in the admin's own words.
#[test]
fn a_cp932_allowlist_names_a_bad_entry_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let allowlist = dir.path().join("allowlist.txt");
    let text = "# プロキシの許可リスト\r\ngo.microsoft.com\r\nプロキシ経由/\r\n";
    fs::write(&allowlist, encoding_rs::SHIFT_JIS.encode(text).0).unwrap();
    fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    let out = sitelint_in(
        dir.path(),
        &[
            "check",
            "--endpoints-allowlist",
            "allowlist.txt",
            "--no-default-rules",
            "--rules",
            "rules.yaml",
            "-v",
        ],
    );
    let err = stderr(&out);
    assert!(
        err.contains("read allowlist.txt as Shift_JIS (Windows code page 932)"),
        "{err}"
    );
    assert!(err.contains("プロキシ経由"), "{err}");
}

/// A CP932 log whose Japanese starts after more than the prefix the encoding is judged from:
/// the first ERROR after it is still read right, and byte spans still point into the file.
#[test]
fn a_cp932_log_whose_japanese_comes_late_is_read_right() {
    let dir = tempfile::tempdir().unwrap();
    let head = "INFO:Connecting to service\r\n".repeat(20_000);
    let tail = format!("ERROR:Failed to download redist for {GUID} into D:\\ソフト\\UpdatePacks\r\n");
    let mut bytes = head.clone().into_bytes();
    bytes.extend(encoding_rs::SHIFT_JIS.encode(&tail).0.iter());
    fs::write(dir.path().join("ServiceConnectionTool.log"), &bytes).unwrap();
    fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    let out = check_with_rules(dir.path(), "rules.yaml", &["--log", "ServiceConnectionTool.log"]);
    let report = json(&out);
    let log = finding(&report, "redist");
    assert_eq!(log["message"], format!("package {GUID} into D:\\ソフト\\UpdatePacks"));
    assert_eq!(log["location"]["line"], 20_001);
    assert_eq!(log["location"]["byte_offset"], head.len());
    assert_eq!(log["location"]["byte_length"], bytes.len() - head.len() - 2);
}

/// A log no candidate decodes cleanly: one warning naming it, and the run goes on. Here a
/// CP932 log copied while it was written, cut inside its last character.
#[test]
fn a_log_that_does_not_decode_cleanly_gets_one_warning_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        format!("INFO:フォルダー D:\\ソフト\r\nERROR:Failed to download redist for {GUID} into D:\\x\r\nINFO:接続");
    let mut bytes = encoding_rs::SHIFT_JIS.encode(&text).0.into_owned();
    bytes.pop();
    fs::write(dir.path().join("ServiceConnectionTool.log"), &bytes).unwrap();
    fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    let out = check_with_rules(dir.path(), "rules.yaml", &["--log", "ServiceConnectionTool.log"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.matches("warning:").count(), 1, "{err}");
    assert!(
        err.contains("warning: ServiceConnectionTool.log: some bytes are not Shift_JIS (Windows code page 932); they show as U+FFFD"),
        "{err}"
    );
    assert_eq!(
        finding(&json(&out), "redist")["message"],
        format!("package {GUID} into D:\\x")
    );
}

/// `--encoding` and sitelint.yaml's `encoding:` name the code page when detection cannot
/// tell: a few bytes of Windows-1252 look like many code pages.
#[test]
fn the_code_page_can_be_named_on_the_command_line_or_in_sitelint_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("ERROR:Failed to download redist for {GUID} into D:\\Größe\r\n");
    fs::write(
        dir.path().join("ServiceConnectionTool.log"),
        encoding_rs::WINDOWS_1252.encode(&text).0,
    )
    .unwrap();
    fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    let args = [
        "check",
        "--log",
        "ServiceConnectionTool.log",
        "--no-default-rules",
        "--rules",
        "rules.yaml",
        "--format",
        "json",
        "-v",
    ];
    let with_flag = sitelint_in(dir.path(), &[&args[..], &["--encoding", "cp1252"]].concat());
    assert_eq!(
        finding(&json(&with_flag), "redist")["message"],
        format!("package {GUID} into D:\\Größe")
    );
    assert!(stderr(&with_flag).contains("read ServiceConnectionTool.log as windows-1252"));
    fs::write(dir.path().join("sitelint.yaml"), "encoding: windows-1252\n").unwrap();
    let with_config = sitelint_in(dir.path(), &args);
    assert_eq!(
        finding(&json(&with_config), "redist")["message"],
        format!("package {GUID} into D:\\Größe")
    );
    let unknown = sitelint_in(dir.path(), &[&args[..], &["--encoding", "klingon"]].concat());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("unknown encoding `klingon`"),
        "{}",
        stderr(&unknown)
    );
}

/// Rule files and sitelint.yaml are YAML: one saved in CP932 is refused, saying so and how to
/// convert it, never loaded with its Japanese garbled (issue 19 item 4).
#[test]
fn a_cp932_rule_file_or_config_is_refused_with_how_to_convert_it() {
    let dir = tempfile::tempdir().unwrap();
    let rules = RULES.replace(
        "message: '{endpoint}: {why}'",
        "message: 'プロキシ認証が必要です: {endpoint}'",
    );
    fs::write(dir.path().join("rules.yaml"), encoding_rs::SHIFT_JIS.encode(&rules).0).unwrap();
    let out = sitelint(&[
        "check",
        "--no-default-rules",
        "--rules",
        path_str(&dir.path().join("rules.yaml")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("is not UTF-8 (byte 0x83 on line 20); it looks like Shift_JIS (Windows code page 932)"),
        "{err}"
    );
    assert!(
        err.contains("Get-Content -Encoding Default f.yaml | Set-Content -Encoding UTF8 f.yaml"),
        "{err}"
    );
    fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    let config = "# サイトの設定\nstrict: true\n";
    fs::write(
        dir.path().join("sitelint.yaml"),
        encoding_rs::SHIFT_JIS.encode(config).0,
    )
    .unwrap();
    let out = sitelint_in(dir.path(), &["check", "--no-default-rules", "--rules", "rules.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("cannot read config sitelint.yaml: it is not UTF-8 (byte 0x83 on line 1)"),
        "{err}"
    );
}

/// A yen sign where a Windows path separator belongs (on the command line, in `sources:`) gets
/// a did-you-mean for the separator.
#[test]
fn a_yen_sign_in_a_path_gets_a_did_you_mean_for_the_separator() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("ソフト")).unwrap();
    fs::write(dir.path().join("ソフト/ServiceConnectionTool.log"), "INFO:ok\r\n").unwrap();
    let sep = std::path::MAIN_SEPARATOR;
    let out = sitelint_in(dir.path(), &["check", "--log", "ソフト¥ServiceConnectionTool.log"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "did you mean `ソフト{sep}ServiceConnectionTool.log`? A yen sign is not a path separator"
        )),
        "{err}"
    );
    fs::write(
        dir.path().join("sitelint.yaml"),
        "sources:\n  logs: ['ソフト￥ServiceConnectionTool.log']\n",
    )
    .unwrap();
    let out = sitelint_in(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("did you mean `ソフト{sep}ServiceConnectionTool.log`?")),
        "{}",
        stderr(&out)
    );
}

/// A manifest written by hand in Notepad's ANSI on a Japanese site server: its CP932 path
/// holds `ソ` (0x83 0x5C) and is read as one path, not split at the 0x5C.
#[test]
fn a_cp932_manifest_names_a_japanese_folder_as_one_path() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("logs/ソフト")).unwrap();
    let log = format!("ERROR:Failed to download redist for {GUID} into D:\\x\r\n");
    fs::write(dir.path().join("logs/ソフト/ServiceConnectionTool.log"), log).unwrap();
    let manifest = "sitelint_snapshot: 1\r\nhost: 配布ポイント01\r\nlogs:\r\n  ServiceConnectionTool.log: logs\\ソフト\\ServiceConnectionTool.log\r\n";
    let bytes = encoding_rs::SHIFT_JIS.encode(manifest).0;
    assert!(bytes.windows(2).any(|w| w == [0x83, 0x5C]));
    fs::write(dir.path().join("snapshot.yaml"), &bytes).unwrap();
    fs::write(dir.path().join("rules.yaml"), RULES).unwrap();
    let out = sitelint_in(
        dir.path(),
        &[
            "check",
            ".",
            "--no-default-rules",
            "--rules",
            "rules.yaml",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["snapshot"]["host"], "配布ポイント01");
    assert_eq!(
        finding(&report, "redist")["location"]["path"],
        "logs/ソフト/ServiceConnectionTool.log"
    );
}
