//! `manifest-hashes` on a live pack and on the snapshot `collect --hash` made of it: the same
//! findings, so a pack checked on the internet machine and its snapshot checked on the site
//! server agree. The pack (`tests/fixtures/manifest-pack`) is the one the kind's `fail` case
//! was collected from: a redist manifest cabinet made by `gcab -z` and an `update.map` in the
//! shape of the real excerpt in `../shared/reference/pack-verification.md`.

use super::{check_with_rules, json, root};

fn findings(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("rule_id"), text("outcome"), text("message"))
        })
        .collect()
}

#[test]
fn a_live_pack_and_the_snapshot_collected_from_it_give_the_same_manifest_findings() {
    let root = root();
    let rules = "tests/fixtures/kinds/manifest-hashes/rules.yaml";
    let live = check_with_rules(
        &root,
        rules,
        &["--no-config", "--updatepack", "tests/fixtures/manifest-pack"],
    );
    assert_eq!(live.status.code(), Some(1), "{}", String::from_utf8_lossy(&live.stderr));
    let snapshot = check_with_rules(
        &root,
        rules,
        &["--no-config", "tests/fixtures/kinds/manifest-hashes/fail"],
    );
    let (live, snapshot) = (findings(&json(&live)), findings(&json(&snapshot)));
    assert_eq!(live, snapshot);
    let causes = [
        "missing",
        "SQLSysClrTypes.msi",
        "sqlncli.msi",
        "ReportViewer.msi",
        "cmupdate.exe: 22 bytes",
        "setupcore.dll: 0 bytes",
    ];
    for cause in causes {
        assert!(
            live.iter().any(|(_, _, m)| m.contains(cause)),
            "{cause} not in {live:#?}"
        );
    }
}
