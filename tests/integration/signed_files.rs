//! `signed-files` end to end: a pack of signed and broken programs made by
//! `scripts/make-signed-fixtures`, checked live and as a collected snapshot.

use super::{check_with_rules, json, root, sitelint_in};

/// Test material in a new temporary directory, or `None` (said on stderr) when a tool the
/// script needs is missing and `SITELINT_REQUIRE_SIGNING_TOOLS` is not set.
#[allow(clippy::print_stderr)] // a test that cannot run says so instead of passing silently
fn fixtures() -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    let required = std::env::var_os("SITELINT_REQUIRE_SIGNING_TOOLS").is_some();
    let script = root().join("scripts/make-signed-fixtures");
    let out = match std::process::Command::new("bash").arg(&script).arg(dir.path()).output() {
        Ok(out) => out,
        Err(e) if !required => {
            eprintln!("SKIPPED: Authenticode fixtures not made: cannot start bash: {e}");
            return None;
        }
        Err(e) => panic!("cannot start bash: {e}"),
    };
    match out.status.code() {
        Some(0) => Some(dir),
        Some(3) if !required => {
            eprintln!("SKIPPED: {}", String::from_utf8_lossy(&out.stderr).trim());
            None
        }
        _ => panic!("make-signed-fixtures failed: {}", String::from_utf8_lossy(&out.stderr)),
    }
}

/// `(rule, subject, message)` of each finding, without locations (a live tree's are paths, a
/// listing's are lines).
fn findings(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut all: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("rule_id"), text("fingerprint"), text("message"))
        })
        .collect();
    all.sort();
    all
}

#[test]
fn a_pack_checked_live_and_as_a_snapshot_collected_from_it_gives_the_same_findings() {
    let Some(made) = fixtures() else { return };
    let made = made.path();
    let pack = made.join("pack");
    let redist = pack.join("6A5A2D3E-0000-4000-8000-000000000000/Redist");
    std::fs::create_dir_all(&redist).unwrap();
    for name in [
        "good.exe",
        "changed.exe",
        "short.exe",
        "unsigned.exe",
        "other-ca.exe",
        "other-signer.exe",
        "page.msi",
        "good.msi",
        "changed.msi",
        "good-v4.msi",
        "changed-v4.msi",
    ] {
        std::fs::copy(made.join(name), redist.join(name)).unwrap();
    }
    let rules = made.join("rules.yaml");
    std::fs::write(
        &rules,
        "ruleset: t\nrules:\n  - {id: signed, title: t, severity: error, kind: signed-files, tree: updatepack, \
         signer: 'CN=sitelint Test Signer$', roots: [test-root.pem]}\n",
    )
    .unwrap();
    let rules = rules.to_str().unwrap();
    let live = check_with_rules(made, rules, &["--updatepack", pack.to_str().unwrap()]);
    assert_eq!(live.status.code(), Some(1), "{}", String::from_utf8_lossy(&live.stderr));
    let live = json(&live);
    let snapshot = made.join("snap");
    let collected = sitelint_in(
        made,
        &[
            "collect",
            "--updatepack",
            pack.to_str().unwrap(),
            "--out",
            snapshot.to_str().unwrap(),
        ],
    );
    assert!(
        collected.status.success(),
        "{}",
        String::from_utf8_lossy(&collected.stderr)
    );
    // With --hash, the signatures are examined in the same read as the SHA-256.
    let hashed = made.join("snap-hashed");
    let collected = sitelint_in(
        made,
        &[
            "collect",
            "--hash",
            "--updatepack",
            pack.to_str().unwrap(),
            "--out",
            hashed.to_str().unwrap(),
        ],
    );
    assert!(
        collected.status.success(),
        "{}",
        String::from_utf8_lossy(&collected.stderr)
    );
    // Checked elsewhere: the pack itself is gone, only the snapshots are left.
    std::fs::remove_dir_all(&pack).unwrap();
    let checked = check_with_rules(made, rules, &[snapshot.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(1));
    let checked = json(&checked);
    assert_eq!(findings(&live), findings(&checked));
    let checked = check_with_rules(made, rules, &[hashed.to_str().unwrap()]);
    assert_eq!(findings(&live), findings(&json(&checked)), "collected with --hash");
    let messages: Vec<String> = findings(&live).into_iter().map(|(_, _, m)| m).collect();
    let expect = [
        ("changed.exe", "content changed after signing"),
        ("changed.msi", "content changed after signing"),
        // The same MSI with 4096-byte sectors (compound file version 4): the same verdicts.
        ("changed-v4.msi", "content changed after signing"),
        ("other-ca.exe", "does not reach a trusted root"),
        ("other-signer.exe", "which is not the signer required"),
        ("page.msi", "HTML"),
        ("short.exe", "cut short"),
        ("unsigned.exe", "not signed"),
    ];
    assert_eq!(messages.len(), expect.len(), "{messages:#?}");
    for (file, cause) in expect {
        assert!(
            messages.iter().any(|m| m.contains(file) && m.contains(cause)),
            "{file}: {cause} not in {messages:#?}"
        );
    }
    assert!(
        !messages.iter().any(|m| m.contains("good.") || m.contains("good-v4.")),
        "{messages:#?}"
    );
}

#[test]
fn roots_that_cannot_be_read_are_a_rule_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roots.pem"), "not a certificate").unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "ruleset: t\nrules:\n  - {id: signed, title: t, severity: error, kind: signed-files, tree: t, roots: [roots.pem, missing.pem]}\n",
    )
    .unwrap();
    let out = check_with_rules(
        dir.path(),
        rules.to_str().unwrap(),
        &["--tree", &format!("t={}", dir.path().display())],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("roots.pem") && stderr.contains("BEGIN CERTIFICATE"),
        "{stderr}"
    );
    assert!(stderr.contains("missing.pem"), "{stderr}");
}
