use super::*;

#[test]
fn the_built_in_roots_are_microsofts_by_their_published_thumbprints() {
    let sha1: Vec<String> = MICROSOFT_ROOTS
        .iter()
        .map(|der| crate::document::text::hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref()))
        .collect();
    assert_eq!(
        sha1.iter().map(|s| s.to_ascii_uppercase()).collect::<Vec<_>>(),
        [
            "3B1EFD3A66EA28B16697394703A72CA340A05BD5",
            "8F43288AD272F3103B6FB1428485EA3014C0BCFE"
        ]
    );
}

#[test]
fn times_read_back_as_dates() {
    assert_eq!(format_time(1_300_831_984), "2011-03-22 22:13:04 UTC");
}

/// Test material made by `scripts/make-signed-fixtures` in a temporary directory, or `None`
/// (said on stderr) when a tool it needs is not installed.
#[allow(clippy::print_stderr)] // a test that cannot run says so instead of passing silently
pub(crate) fn fixtures() -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-signed-fixtures");
    let required = std::env::var_os("SITELINT_REQUIRE_SIGNING_TOOLS").is_some();
    // Under Wine (the Windows test run) there is no bash to start: a skip, said.
    let out = match std::process::Command::new("bash").arg(&script).arg(dir.path()).output() {
        Ok(out) => out,
        Err(e) if !required => {
            eprintln!("SKIPPED: Authenticode fixtures not made: cannot start bash: {e}");
            return None;
        }
        Err(e) => panic!("cannot start bash for make-signed-fixtures: {e}"),
    };
    match out.status.code() {
        Some(0) => Some(dir),
        Some(3) if !required => {
            eprintln!(
                "SKIPPED: Authenticode fixtures not made: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
        _ => panic!("make-signed-fixtures failed: {}", String::from_utf8_lossy(&out.stderr)),
    }
}

/// The DER of the first certificate in a PEM file.
pub(crate) fn pem_der(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).expect("a PEM file");
    crate::authenticode::pem::certificates(&text).expect("PEM").remove(0)
}

fn verdict(dir: &Path, name: &str, signer: Option<&str>) -> Result<Valid, Failure> {
    let roots = vec![pem_der(&dir.join("test-root.pem"))];
    let signer = signer.map(|s| regex::bytes::Regex::new(s).unwrap());
    let policy = Policy {
        roots: &roots,
        signer: signer.as_ref(),
        now: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    };
    verify_file(&dir.join(name), &policy)
}

#[test]
fn each_broken_pe_fails_with_its_own_cause() {
    let Some(dir) = fixtures() else { return };
    let dir = dir.path();
    let good = verdict(dir, "good.exe", Some("CN=sitelint Test Signer")).expect("good.exe verifies");
    assert!(good.signer.contains("CN=sitelint Test Signer"), "{}", good.signer);
    assert!(good.signed_at.is_some(), "the timestamp is read");
    let cause = |name: &str| verdict(dir, name, Some("CN=sitelint Test Signer$")).unwrap_err();
    assert_eq!(cause("changed.exe").cause(), "content-changed");
    let short = cause("short.exe");
    assert_eq!(short.cause(), "unreadable");
    assert!(short.to_string().contains("cut short"), "{short}");
    assert_eq!(cause("unsigned.exe").cause(), "not-signed");
    assert_eq!(cause("other-ca.exe").cause(), "untrusted-root");
    assert_eq!(cause("other-signer.exe").cause(), "signer-mismatch");
    let usage = cause("wrong-usage.exe");
    assert!(usage.to_string().contains("not for code signing"), "{usage}");
    let page = cause("page.msi");
    assert!(page.to_string().contains("HTML"), "{page}");
    // Without a signer pattern, another signer of a trusted CA is valid.
    assert!(verdict(dir, "other-signer.exe", None).is_ok());
}

#[test]
fn a_valid_nested_signature_makes_a_file_valid_whose_first_signature_is_not() {
    let Some(dir) = fixtures() else { return };
    let dir = dir.path();
    let valid = verdict(dir, "nested.exe", Some("CN=sitelint Test Signer$")).expect("the nested signature is valid");
    assert!(valid.signed_at.is_some());
    // Trusting only the other root, the first signature is the valid one.
    let roots = vec![pem_der(&dir.join("other-root.pem"))];
    let policy = Policy {
        roots: &roots,
        signer: None,
        now: 0,
    };
    assert!(
        verify_file(&dir.join("nested.exe"), &policy).is_err(),
        "its timestamp chains to the test root only"
    );
}

#[test]
fn each_broken_cabinet_fails_with_its_own_cause() {
    let Some(dir) = fixtures() else { return };
    let dir = dir.path();
    verdict(dir, "good.cab", Some("CN=sitelint Test Signer$")).expect("good.cab verifies");
    let cause = |name: &str| verdict(dir, name, Some("CN=sitelint Test Signer$")).unwrap_err();
    assert_eq!(cause("changed.cab").cause(), "content-changed");
    let short = cause("short.cab");
    assert!(short.to_string().contains("cut short"), "{short}");
    assert_eq!(cause("unsigned.cab").cause(), "not-signed");
    assert_eq!(cause("other-ca.cab").cause(), "untrusted-root");
    assert_eq!(cause("other-signer.cab").cause(), "signer-mismatch");
}

/// Whether `osslsigncode verify` accepts fixture `name`, the test root trusted for the
/// signature and the timestamp, and what it printed.
fn osslsigncode_verifies(dir: &Path, name: &str) -> (bool, String) {
    let root = dir.join("test-root.pem");
    let out = std::process::Command::new("osslsigncode")
        .args(["verify", "-CAfile"])
        .arg(&root)
        .arg("-TSA-CAfile")
        .arg(&root)
        .arg("-in")
        .arg(dir.join(name))
        .output()
        .expect("osslsigncode runs (the fixtures script needed it)");
    let printed = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    (out.status.success(), printed.into_owned())
}

#[test]
#[allow(clippy::print_stderr)]
fn osslsigncode_agrees_on_every_fixture() {
    let Some(dir) = fixtures() else { return };
    let dir = dir.path();
    let cases = ["good", "changed", "short", "unsigned", "other-ca", "other-signer"];
    let files = cases
        .iter()
        .flat_map(|case| [format!("{case}.exe"), format!("{case}.cab"), format!("{case}.msi")]);
    let others = [
        "page.msi",
        "extended.msi",
        "unsigned-v4.msi",
        "good-v4.msi",
        "signed-v4.msi",
        "changed-v4.msi",
        "nested.exe",
        "wrong-usage.exe",
    ];
    for name in files.chain(others.map(str::to_owned)) {
        let name = name.as_str();
        let (theirs, printed) = osslsigncode_verifies(dir, name);
        let ours = verdict(dir, name, None);
        assert_eq!(
            ours.is_ok(),
            theirs,
            "{name}: sitelint {ours:?}, osslsigncode {printed}"
        );
    }
}

#[test]
fn every_byte_cut_or_flipped_in_a_signature_gives_a_reason_not_a_panic() {
    let Some(dir) = fixtures() else { return };
    let bytes = std::fs::read(dir.path().join("good.exe")).unwrap();
    let roots = vec![pem_der(&dir.path().join("test-root.pem"))];
    let policy = Policy {
        roots: &roots,
        signer: None,
        now: 0,
    };
    // The certificate table is the file's tail: damage its bytes in turn. Some are signed by
    // nothing (the SignedData's list of digest algorithms, a certificate's outer copy of its
    // algorithm), so a change there may leave the file valid, as it does for Windows; what
    // must hold is a verdict without a panic, and a reason with every failure.
    let start = bytes.len() - 4000;
    for at in (start..bytes.len()).step_by(7) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x55;
        if let Err(failure) = verify(&mut io::Cursor::new(&damaged), damaged.len() as u64, &policy) {
            assert!(!failure.to_string().is_empty());
        }
        let cut = &bytes[..at];
        assert!(verify(&mut io::Cursor::new(cut), cut.len() as u64, &policy).is_err());
    }
}

/// A DLL Microsoft signed, named by `SITELINT_MICROSOFT_SIGNED_DLL` (`.ci/run` takes
/// `vcruntime140.dll` from PyPI's `msvc-runtime` wheel; its licence forbids committing it).
#[test]
#[allow(clippy::print_stderr)]
fn a_microsoft_signed_dll_verifies_against_the_built_in_roots_at_its_signing_time() {
    let Some(path) = std::env::var_os("SITELINT_MICROSOFT_SIGNED_DLL") else {
        eprintln!("SKIPPED: SITELINT_MICROSOFT_SIGNED_DLL does not name a Microsoft-signed DLL");
        return;
    };
    let roots: Vec<Vec<u8>> = MICROSOFT_ROOTS.iter().map(|r| r.to_vec()).collect();
    let signer = regex::bytes::Regex::new("O=Microsoft Corporation").unwrap();
    // Judged in 2100, after every certificate of the chain has expired: only the timestamp's
    // time can make it valid.
    let policy = Policy {
        roots: &roots,
        signer: Some(&signer),
        now: 4_102_444_800,
    };
    let valid = verify_file(Path::new(&path), &policy).expect("the Microsoft-signed DLL verifies");
    assert!(valid.signed_at.is_some_and(|t| t < policy.now), "{valid:?}");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 1;
    let changed = verify(&mut io::Cursor::new(&bytes), bytes.len() as u64, &policy).unwrap_err();
    assert_eq!(changed.cause(), "content-changed", "{changed}");
    // Trusting only another root, the same file is refused for its chain.
    let other = vec![MICROSOFT_ROOTS[0].to_vec()];
    let only_2010 = Policy {
        roots: &other,
        ..policy
    };
    let untrusted = verify_file(Path::new(&path), &only_2010).unwrap_err();
    assert_eq!(untrusted.cause(), "untrusted-root", "{untrusted}");
}

#[test]
fn each_broken_msi_fails_with_its_own_cause() {
    let Some(dir) = fixtures() else { return };
    let dir = dir.path();
    let good = verdict(dir, "good.msi", Some("CN=sitelint Test Signer$")).expect("good.msi verifies");
    assert!(good.signed_at.is_some(), "the timestamp is read");
    verdict(dir, "extended.msi", Some("CN=sitelint Test Signer$")).expect("an MSI with MsiDigitalSignatureEx verifies");
    let cause = |name: &str| verdict(dir, name, Some("CN=sitelint Test Signer$")).unwrap_err();
    let changed = cause("changed.msi");
    assert_eq!(changed.cause(), "content-changed", "{changed}");
    let short = cause("short.msi");
    assert_eq!(short.cause(), "unreadable");
    assert!(short.to_string().contains("cut short"), "{short}");
    assert_eq!(cause("unsigned.msi").cause(), "not-signed");
    assert_eq!(cause("other-ca.msi").cause(), "untrusted-root");
    assert_eq!(cause("other-signer.msi").cause(), "signer-mismatch");
}

/// The MSI with 4096-byte sectors (compound file version 4, which msibuild never writes):
/// the same streams as the 512-byte one, so the same verdicts, read through the other sector
/// size: the header's sector 0 of 4096 bytes, FAT and directory sectors of 1024 and 32
/// entries, a mini stream of two sectors.
#[test]
fn an_msi_with_4096_byte_sectors_is_judged_as_the_same_msi_with_512_byte_sectors() {
    let Some(dir) = fixtures() else { return };
    let dir = dir.path();
    // Each says version 4 with sectors of 2^12 bytes, or this test (and every other that
    // reads these files) would read version 3 without noticing.
    for name in ["unsigned-v4.msi", "good-v4.msi", "signed-v4.msi", "changed-v4.msi"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        assert_eq!(
            (u16_at(0x1A), u16_at(0x1E)),
            (4, 12),
            "{name}: major version and sector shift"
        );
    }
    // osslsigncode, reading the same files, is the independent judge.
    for (name, valid) in [
        ("good-v4.msi", true),
        ("signed-v4.msi", true),
        ("changed-v4.msi", false),
    ] {
        let (verified, printed) = osslsigncode_verifies(dir, name);
        assert_eq!(verified, valid, "osslsigncode on {name}: {printed}");
    }
    let signer = Some("CN=sitelint Test Signer$");
    let good = verdict(dir, "good.msi", signer).expect("good.msi verifies");
    assert_eq!(verdict(dir, "good-v4.msi", signer), Ok(good));
    let signed = verdict(dir, "signed-v4.msi", signer).expect("an MSI signed as version 4 verifies");
    assert!(signed.signed_at.is_some(), "the timestamp is read");
    let changed = verdict(dir, "changed-v4.msi", signer).unwrap_err();
    assert_eq!(changed.cause(), "content-changed", "{changed}");
    assert_eq!(Err(changed), verdict(dir, "changed.msi", signer));
    let unsigned = verdict(dir, "unsigned-v4.msi", signer).unwrap_err();
    assert_eq!(unsigned.cause(), "not-signed", "{unsigned}");
}

/// A stream's size is 64 bits in version 4 ([MS-CFB] 2.6.3); in version 3 only the low half
/// counts, the high half being junk some old writers left, which MS-CFB says to ignore. So
/// the payload's entry with 1 in its high half is a stream past 4 GiB in a 72 KB version-4
/// file, which is damaged, while the same change leaves a version-3 file valid.
#[test]
fn a_stream_size_s_high_half_counts_in_version_4_and_not_in_version_3() {
    let Some(dir) = fixtures() else { return };
    let dir = dir.path();
    let roots = vec![pem_der(&dir.join("test-root.pem"))];
    let policy = Policy {
        roots: &roots,
        signer: None,
        now: 0,
    };
    for (name, valid) in [("good.msi", true), ("good-v4.msi", false)] {
        let mut bytes = std::fs::read(dir.join(name)).unwrap();
        // The payload's directory entry: a stream (type 2) of 38000 bytes, 128-byte aligned.
        let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        let entry = (512..bytes.len() - 128)
            .step_by(128)
            .find(|&at| bytes[at + 0x42] == 2 && u32_at(&bytes, at + 0x78) == 38000 && u32_at(&bytes, at + 0x7C) == 0)
            .expect("the payload's directory entry");
        bytes[entry + 0x7C] = 1;
        let verdict = verify(&mut io::Cursor::new(&bytes), bytes.len() as u64, &policy);
        if valid {
            assert!(verdict.is_ok(), "{name}: {verdict:?}");
        } else {
            let failure = verdict.unwrap_err();
            assert_eq!(failure.cause(), "unreadable", "{name}: {failure}");
            assert!(failure.to_string().contains("4295005296 bytes"), "{name}: {failure}");
        }
    }
}

#[test]
fn every_byte_of_an_msi_cut_or_flipped_gives_a_verdict_not_a_panic() {
    let Some(dir) = fixtures() else { return };
    for name in ["good.msi", "extended.msi", "good-v4.msi"] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        let roots = vec![pem_der(&dir.path().join("test-root.pem"))];
        let policy = Policy {
            roots: &roots,
            signer: None,
            now: 0,
        };
        // The header, the FAT, the directory and the signature stream are all in the damage's
        // way: every 13th byte, flipped, and the file cut there.
        for at in (0..bytes.len()).step_by(13) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0xA5;
            if let Err(failure) = verify(&mut io::Cursor::new(&damaged), damaged.len() as u64, &policy) {
                assert!(!failure.to_string().is_empty());
            }
            let cut = &bytes[..at];
            assert!(verify(&mut io::Cursor::new(cut), cut.len() as u64, &policy).is_err());
        }
    }
}

#[test]
fn a_compound_file_with_a_bad_header_and_an_html_page_named_msi_are_unreadable() {
    let policy = Policy {
        roots: &[],
        signer: None,
        now: 0,
    };
    let mut msi = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    msi.resize(4096, 0);
    let failure = verify(&mut io::Cursor::new(&msi), msi.len() as u64, &policy).unwrap_err();
    assert_eq!(failure.cause(), "unreadable");
    assert!(failure.to_string().contains("not a valid MSI"), "{failure}");
    let page = b"<!DOCTYPE html><html>blocked</html>";
    let failure = verify(&mut io::Cursor::new(page), page.len() as u64, &policy).unwrap_err();
    assert_eq!(failure.cause(), "unreadable");
    let failure = verify(&mut io::Cursor::new(b""), 0, &policy).unwrap_err();
    assert!(failure.to_string().contains("empty"), "{failure}");
}

#[test]
fn one_read_feeds_every_byte_and_examines_the_file_as_a_read_of_its_own_does() {
    let Some(dir) = fixtures() else { return };
    for name in [
        "good.exe",
        "changed.exe",
        "short.exe",
        "unsigned.exe",
        "nested.exe",
        "good.cab",
        "short.cab",
        "good.msi",
        "extended.msi",
        "good-v4.msi",
        "page.msi",
    ] {
        let path = dir.path().join(name);
        let mut fed = Vec::new();
        let examined = examine_and_feed(&path, &mut |bytes| {
            fed.extend_from_slice(bytes);
            Ok(())
        })
        .unwrap();
        assert!(fed == std::fs::read(&path).unwrap(), "{name}: the feed got other bytes");
        assert_eq!(examined, examine_file(&path), "{name}");
    }
    // The feed's own error (an interrupt) stops the read and comes back as it was.
    let stopped = examine_and_feed(&dir.path().join("good.exe"), &mut |_| {
        Err(io::Error::new(io::ErrorKind::Interrupted, "stop"))
    })
    .unwrap_err();
    assert_eq!(stopped.kind(), io::ErrorKind::Interrupted);
}
