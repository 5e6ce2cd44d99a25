//! Issue 32: a tree or log has one name whatever its case, on the command line, in
//! sitelint.yaml and in a snapshot. Each test failed before the named sources shared one
//! collection: trees were merged by name in the same case and read by name in any case, so a
//! flag in another case kept the config's tree and read it.

use std::fs;
use std::path::Path;

use crate::{json, sitelint_in, stderr, stdout};

/// A site whose sitelint.yaml names the tree `UpdatePack` as `good` (a Redist file with
/// bytes), beside `bad`, whose Redist file is empty (the default rule
/// `redist-zero-byte-file` finds it).
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |relative: &str, text: &str| {
        let path = dir.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write("good/Redist/ndp.cab", "MSCF");
    write("bad/Redist/ndp.cab", "");
    write("sitelint.yaml", "sources:\n  trees: {UpdatePack: good}\n");
    dir
}

fn check(dir: &Path, extra: &[&str]) -> std::process::Output {
    let args = [
        &["check", "--select", "redist-zero-byte-file", "--format", "json"][..],
        extra,
    ]
    .concat();
    sitelint_in(dir, &args)
}

#[test]
fn a_tree_flag_replaces_the_configs_tree_of_the_same_name_in_another_case() {
    let dir = site();
    // The config's tree alone passes: its Redist file has bytes.
    let out = check(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    for flag in [&["--tree", "updatepack=bad"][..], &["--updatepack", "bad"]] {
        let out = check(dir.path(), flag);
        assert_eq!(out.status.code(), Some(1), "{flag:?}: {}", stderr(&out));
        let report = json(&out);
        let finding = crate::finding(&report, "redist-zero-byte-file");
        let path = finding["location"]["path"].as_str().unwrap_or_default();
        assert!(
            path.replace('\\', "/").ends_with("bad/Redist/ndp.cab"),
            "{flag:?}: {finding:#}"
        );
    }

    // `sitelint config` shows one tree, from the flag.
    let out = sitelint_in(dir.path(), &["config", "--tree", "updatepack=bad"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    let trees: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("sources.trees."))
        .map(str::trim)
        .collect();
    assert_eq!(trees.len(), 1, "{trees:#?}");
    assert!(
        trees[0].starts_with("sources.trees.updatepack") && trees[0].contains("(--tree)"),
        "{trees:#?}"
    );
}

#[test]
fn collect_writes_the_tree_the_flag_names_once() {
    let dir = site();
    let out = sitelint_in(dir.path(), &["collect", "--tree", "updatepack=bad", "--out", "snap"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest = fs::read_to_string(dir.path().join("snap/snapshot.yaml")).unwrap();
    let trees = fs::read_dir(dir.path().join("snap/trees")).unwrap().count();
    assert_eq!(trees, 1, "{manifest}");
    assert!(!manifest.contains("UpdatePack"), "{manifest}");

    let out = check(&dir.path().join("snap"), &["."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn two_flags_naming_one_tree_or_log_in_any_case_are_refused() {
    let dir = site();
    for (flags, first, second) in [
        (
            &["--tree", "pack=good", "--tree", "Pack=bad"][..],
            "--tree pack=good",
            "--tree Pack=bad",
        ),
        (
            &["--updatepack", "good", "--tree", "UPDATEPACK=bad"],
            "--tree UPDATEPACK=bad",
            "--updatepack good",
        ),
        (
            &["--log", "a/SCT.log", "--log", "b/sct.LOG"],
            "--log a/SCT.log",
            "--log b/sct.LOG",
        ),
    ] {
        let out = check(dir.path(), flags);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(said.contains(first) && said.contains(second), "{flags:?}: {said}");
    }
}

#[test]
fn a_config_naming_one_tree_or_log_twice_in_any_case_is_refused() {
    let dir = site();
    for (sources, first, second) in [
        ("trees: {Pack: good, pack: bad}", "`pack`", "`Pack`"),
        (
            "updatepack: good\n  trees: {UpdatePack: bad}",
            "`UpdatePack`",
            "`updatepack`",
        ),
        ("logs: [a/SCT.log, b/sct.LOG]", "`sct.LOG`", "`SCT.log`"),
    ] {
        fs::write(dir.path().join("sitelint.yaml"), format!("sources:\n  {sources}\n")).unwrap();
        let out = check(dir.path(), &[]);
        assert_eq!(out.status.code(), Some(2), "{sources}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(
            said.contains(first) && said.contains(second) && said.contains("named twice"),
            "{sources}: {said}"
        );
    }
}
