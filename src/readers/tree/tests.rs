//! The tree's loaders: the walk on one thread and on several, links, listings, and the files
//! kept for the rules.

use std::fs;

use super::*;
use crate::snapshot::Artifact;

#[test]
fn walks_a_live_tree_with_windows_style_display() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("3B7D/Redist")).unwrap();
    fs::write(dir.path().join("3B7D/Redist/SQLSysClrTypes.msi"), b"").unwrap();
    fs::write(dir.path().join("ConfigMgr.Update.Manifest.cab"), b"MSCF").unwrap();
    let root = Artifact {
        path: dir.path().to_owned(),
        display: r"D:\USB\UpdatePacks".to_owned(),
    };
    let tree = load("updatepack", &TreeSource::Live(root)).unwrap();
    let files: Vec<(&str, u64)> = tree.files.iter().map(|f| (f.path.as_str(), f.size)).collect();
    assert_eq!(
        files,
        [
            ("3B7D/Redist/SQLSysClrTypes.msi", 0),
            ("ConfigMgr.Update.Manifest.cab", 4)
        ]
    );
    assert_eq!(
        tree.location_of(&tree.files[0]).path,
        r"D:\USB\UpdatePacks\3B7D\Redist\SQLSysClrTypes.msi"
    );
}

#[cfg(unix)]
#[test]
fn links_are_followed_only_inside_the_tree_and_the_rest_is_recorded() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), b"not ours").unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("pack/Redist")).unwrap();
    fs::write(dir.path().join("pack/Redist/a.cab"), b"MSCF").unwrap();
    symlink(dir.path().join("pack/Redist/a.cab"), dir.path().join("pack/inside.cab")).unwrap();
    symlink(dir.path().join("pack"), dir.path().join("loop")).unwrap();
    symlink(outside.path().join("secret.txt"), dir.path().join("pack/out.txt")).unwrap();
    symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
    symlink(dir.path().join("gone.cab"), dir.path().join("pack/broken.cab")).unwrap();
    symlink(dir.path().join("pack/loop-b"), dir.path().join("pack/loop-a")).unwrap();
    symlink(dir.path().join("pack/loop-a"), dir.path().join("pack/loop-b")).unwrap();
    let fifo = dir.path().join("pack/Redist/pipe.cab");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let root = Artifact::given(dir.path());
    let tree = load_on("updatepack", &TreeSource::Live(root.clone()), 1, &|_| true).unwrap();
    for workers in [2, 4] {
        let parallel = load_on("updatepack", &TreeSource::Live(root.clone()), workers, &|_| true).unwrap();
        assert_eq!(format!("{parallel:?}"), format!("{tree:?}"), "{workers} threads");
    }
    let files: Vec<(&str, u64)> = tree.files.iter().map(|f| (f.path.as_str(), f.size)).collect();
    assert_eq!(files, [("pack/Redist/a.cab", 4), ("pack/inside.cab", 4)]);
    let skipped: Vec<(&str, &str)> = tree
        .unreadable
        .iter()
        .map(|u| (u.path.as_str(), u.why.as_str()))
        .collect();
    assert_eq!(skipped[0].0, "elsewhere");
    assert_eq!(
        skipped[1],
        ("pack/Redist/pipe.cab", "it is a FIFO, not a regular file: not checked")
    );
    assert_eq!(skipped[2], ("pack/broken.cab", "a broken symbolic link"));
    assert!(skipped[3].0 == "pack/loop-a" && skipped[3].1.starts_with("a symbolic link that cannot be followed: "));
    assert_eq!(skipped[5].0, "pack/out.txt");
    assert!(skipped[5].1.contains("outside the tree: not followed"));
}

/// Deep and wide at once, with empty directories, so the threads both wait for work and
/// take each other's.
#[test]
fn several_threads_walk_to_the_same_tree_as_one() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300 {
        let sub = dir.path().join(format!("{:02}/{}/Redist", i % 23, i % 5));
        fs::create_dir_all(&sub).unwrap();
        fs::create_dir_all(dir.path().join(format!("empty/{i}"))).unwrap();
        fs::write(sub.join(format!("file{i}.msi")), vec![b'x'; i % 3]).unwrap();
    }
    let root = Artifact {
        path: dir.path().to_owned(),
        display: r"D:\USB\UpdatePacks".to_owned(),
    };
    let one = load_on("updatepack", &TreeSource::Live(root.clone()), 1, &|_| true).unwrap();
    assert_eq!(one.files.len(), 300);
    assert!(one.files.windows(2).all(|w| w[0].path < w[1].path));
    for workers in [2, 3, 8, 32] {
        let parallel = load_on("updatepack", &TreeSource::Live(root.clone()), workers, &|_| true).unwrap();
        assert_eq!(format!("{parallel:?}"), format!("{one:?}"), "{workers} threads");
    }
}

#[test]
fn listings_record_entries_that_could_not_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("updatepack.jsonl");
    fs::write(
        &path,
        "{\"path\":\"a/Redist/x.cab\",\"size\":0}\n{\"path\":\"a/locked\",\"error\":\"Access is denied. (os error 5)\"}\n",
    )
    .unwrap();
    let listing = Artifact {
        path,
        display: "trees/updatepack.jsonl".to_owned(),
    };
    let tree = load("updatepack", &TreeSource::Listing(listing)).unwrap();
    assert_eq!(tree.files.len(), 1);
    assert_eq!(
        tree.describe_unreadable(&tree.unreadable[0]),
        "trees/updatepack.jsonl:2: `a/locked` in tree `updatepack` could not be read when the snapshot was collected: Access is denied. (os error 5)"
    );
}

#[test]
fn listing_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tree.jsonl");
    fs::write(
        &path,
        "{\"path\":\"a\",\"size\":1}\n{\"path\":\"../../x\",\"size\":0}\n",
    )
    .unwrap();
    let listing = Artifact {
        path,
        display: "trees/updatepack.jsonl".to_owned(),
    };
    let err = load("updatepack", &TreeSource::Listing(listing)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "trees/updatepack.jsonl:2: path `../../x` points outside the snapshot"
    );
}

/// A tree checked by rules keeps only the files they asked for, in the order the whole tree
/// has them, whatever the number of threads; what could not be read is kept whatever they ask.
#[cfg(unix)]
#[test]
fn a_walk_keeps_only_the_files_asked_for_in_the_whole_tree_order() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..400 {
        let sub = dir.path().join(format!("{:02}/{}/Redist", i % 17, i % 3));
        fs::create_dir_all(&sub).unwrap();
        fs::write(sub.join(format!("file{i}.msi")), vec![b'x'; usize::from(i % 7 != 0)]).unwrap();
    }
    std::os::unix::fs::symlink(dir.path().join("gone.cab"), dir.path().join("05/broken.cab")).unwrap();
    let root = Artifact::given(dir.path());
    let whole = load_on("updatepack", &TreeSource::Live(root.clone()), 1, &|_| true).unwrap();
    let empty: Vec<&TreeFile> = whole.files.iter().filter(|f| f.size == 0).collect();
    assert_eq!(empty.len(), 58);
    for workers in [1, 2, 5, 16] {
        let kept = load_on("updatepack", &TreeSource::Live(root.clone()), workers, &|f| f.size == 0).unwrap();
        assert_eq!(format!("{:?}", kept.files), format!("{empty:?}"), "{workers} threads");
        assert_eq!(format!("{:?}", kept.unreadable), format!("{:?}", whole.unreadable));
        assert_eq!(kept.unreadable.len(), 1);
    }
}

#[test]
fn a_listing_keeps_only_the_files_asked_for_with_their_lines() {
    let listing = "{\"path\":\"a/Redist/x.cab\",\"size\":0}\n\
                   {\"path\":\"a/Redist/y.cab\",\"size\":12}\n\
                   {\"path\":\"a/locked\",\"error\":\"Access is denied. (os error 5)\"}\n\
                   {\"path\":\"b/z.msi\",\"size\":0}\n";
    let (files, unreadable) =
        listing::parse_listing_keeping(listing.as_bytes(), "trees/updatepack.jsonl", &|f| f.size == 0).unwrap();
    let kept: Vec<(&str, u64)> = files.iter().map(|f| (f.path.as_str(), f.line)).collect();
    assert_eq!(kept, [("a/Redist/x.cab", 1), ("b/z.msi", 4)]);
    assert_eq!(unreadable.len(), 1);
    // Entries not kept are still read: a bad one after them is still an error.
    let bad = format!("{listing}{{\"path\":\"../x\",\"size\":3}}\n");
    let err = listing::parse_listing_keeping(bad.as_bytes(), "trees/updatepack.jsonl", &|_| false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "trees/updatepack.jsonl:5: path `../x` points outside the snapshot"
    );
}
