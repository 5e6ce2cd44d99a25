use super::*;

/// A redist manifest's XML in the shape a public 2013 script reads (`ConfigMgr` / `Group` /
/// `File` with `CopyName`, `Source`, `SHA256`); the names and links are from
/// ConfigMgrSetup.log lines Microsoft shows, the hashes made up.
const XML: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<ConfigMgr>
  <Group Name="Dot_Net_Framework">
    <File CopyName="NDP462-KB3151800-x86-x64-AllOS-ENU.exe" Source="https://go.microsoft.com/fwlink/?LinkID=2171070" SHA256="6953438BE14562E2E2A2860195BC7308FE3647ABF803F98269F8976A145063AC" />
  </Group>
  <Group Name="SQL">
    <File CopyName="sqlncli.msi" Source="https://go.microsoft.com/fwlink/?LinkId=2115685" SHA256="A335EE6EDF6593AF9F1498B1F6297C0B9E49E58BF3C472929AFEA38F09F51C85" />
    <File CopyName="..\escape.exe" SHA256="A335EE6EDF6593AF9F1498B1F6297C0B9E49E58BF3C472929AFEA38F09F51C85" />
    <File CopyName="nohash.exe" SHA256="not a hash" />
  </Group>
</ConfigMgr>
"#;

/// A cabinet of one file, MSZIP-compressed, as the `cab` crate writes it.
pub(crate) fn cabinet(name: &str, content: &[u8]) -> Vec<u8> {
    let mut builder = ::cab::CabinetBuilder::new();
    builder.add_folder(::cab::CompressionType::MsZip).add_file(name);
    let mut writer = builder.build(std::io::Cursor::new(Vec::new())).unwrap();
    while let Some(mut file) = writer.next_file().unwrap() {
        std::io::Write::write_all(&mut file, content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn a_redist_manifest_cabinet_lists_its_files_and_counts_what_it_cannot_use() {
    let cab = cabinet("ConfigMgr.Manifest.xml", XML.as_bytes());
    let Manifest::Listed(listing) = parse("ConfigMgr.Manifest.cab", &cab) else {
        panic!("read: {:?}", parse("ConfigMgr.Manifest.cab", &cab));
    };
    let paths: Vec<&str> = listing.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["NDP462-KB3151800-x86-x64-AllOS-ENU.exe", "sqlncli.msi"]);
    assert_eq!(
        listing.files[1].sha256,
        "a335ee6edf6593af9f1498b1f6297c0b9e49e58bf3c472929afea38f09f51c85"
    );
    // The one that climbs out of the folder and the one without a hash.
    assert_eq!(listing.unusable, 2);
}

#[test]
fn a_manifest_in_utf16_with_child_elements_reads_the_same() {
    let xml = "<ConfigMgr><Group><File><CopyName>a.msi</CopyName><SHA256>6953438BE14562E2E2A2860195BC7308FE3647ABF803F98269F8976A145063AC</SHA256></File></Group></ConfigMgr>";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
    let Manifest::Listed(listing) = parse(
        "ConfigMgr.LN.Manifest.cab",
        &cabinet("ConfigMgr.LN.Manifest.xml", &utf16),
    ) else {
        panic!("not read");
    };
    assert_eq!(listing.files.len(), 1);
    assert_eq!(listing.files[0].path, "a.msi");
}

#[test]
fn a_manifest_of_another_shape_cannot_be_verified_against() {
    for (name, bytes, why) in [
        (
            "ConfigMgr.Manifest.cab",
            cabinet("x.xml", b"<Other><Item/></Other>"),
            "no `File` elements",
        ),
        (
            "ConfigMgr.Manifest.cab",
            cabinet("x.xml", b"<ConfigMgr><File"),
            "XML cannot be read",
        ),
        (
            "ConfigMgr.Manifest.cab",
            b"<html>403</html>".to_vec(),
            "does not start with MSCF",
        ),
        (
            "ConfigMgr.Manifest.cab",
            cabinet("a.txt", b"x").into_iter().take(60).collect(),
            "cut short",
        ),
        (
            "update.map",
            b"BEGIN_COMPONENT_FILELIST\nEND_COMPONENT_FILELIST\n".to_vec(),
            "no `FILEEX",
        ),
    ] {
        match parse(name, &bytes) {
            Manifest::Unreadable(reason) => assert!(reason.contains(why), "{name}: {reason}"),
            listed => panic!("{name}: {listed:?}"),
        }
    }
}

/// rust-cab's own regression input (c26111e): a file at a nonzero offset of a folder that
/// claims no data blocks. `cab` 0.6.0 panics on it; the check before it refuses it.
#[test]
fn a_cabinet_whose_file_lies_past_its_folders_data_is_refused_not_a_panic() {
    let mut binary = b"MSCF\0\0\0\0\x80\0\0\0\0\0\0\0\
        \x2c\0\0\0\0\0\0\0\x03\x01\x01\0\x02\0\0\0\x34\x12\0\0\
        \x5b\0\0\0\x01\0\0\0\
        \x0e\0\0\0\0\0\0\0\0\0\x6c\x22\xe7\x59\x01\0hi.txt\0\
        \x0f\0\0\0\x0e\0\0\0\0\0\x6c\x22\xe7\x59\x01\0bye.xml\0\
        \0\0\0\0\x1d\0\x1d\0Hello, world!\nSee you later!\n"
        .to_vec();
    binary[40] = 0;
    match parse("ConfigMgr.Manifest.cab", &binary) {
        Manifest::Unreadable(reason) => assert!(reason.contains("past its folder's data"), "{reason}"),
        listed => panic!("{listed:?}"),
    }
}

/// What the `pack_manifest` fuzz target found: stored data blocks that hold fewer bytes than
/// their headers say, on which `cab` 0.6.0 underflows (a panic, or a slice past the block's
/// end). Each is refused with its reason, as every name the target reads it under.
#[test]
fn the_fuzzers_cabinets_are_refused_not_a_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-crashes/pack_manifest");
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        inputs += 1;
        for name in ["ConfigMgr.Manifest.cab", "ConfigMgr.Manifest.xml", "update.map"] {
            if let Manifest::Unreadable(reason) = parse(name, &bytes) {
                assert!(!reason.is_empty());
            }
        }
        match parse("ConfigMgr.Manifest.cab", &bytes) {
            Manifest::Unreadable(reason) => assert!(reason.contains("stored data block"), "{reason}"),
            listed => panic!("{listed:?}"),
        }
    }
    assert!(inputs >= 4, "the crash inputs are in {}", dir.display());
}

/// The excerpt of a real update.map in `../shared/reference/pack-verification.md`.
#[test]
fn update_map_lists_each_fileex_under_its_directory_with_size_and_a_redist_fallback() {
    let map = "BEGIN_COMPONENT_FILELIST\r\n    <CONFIGURATION_MANAGER_UPDATE>\r\n    <268436008>\r\n    BEGIN_DIRECTORY\r\n        <bin\\x64>\r\n        <5><AMD64><>\r\n        FILEEX <cmupdate.exe><1><26699848><SHA256><6953438BE14562E2E2A2860195BC7308FE3647ABF803F98269F8976A145063AC>\r\n        FILEEX <setupcore.dll><0><28034624><SHA256><A335EE6EDF6593AF9F1498B1F6297C0B9E49E58BF3C472929AFEA38F09F51C85>\r\n    END_DIRECTORY\r\n    UNIT <SMS>\r\nEND_COMPONENT_FILELIST\r\n";
    let Manifest::Listed(listing) = parse("update.map", map.as_bytes()) else {
        panic!("not read");
    };
    assert_eq!(
        listing.files[0],
        Listed {
            path: "bin/x64/cmupdate.exe".to_owned(),
            sha256: "6953438be14562e2e2a2860195bc7308fe3647abf803f98269f8976a145063ac".to_owned(),
            size: Some(26_699_848),
            fallback: Some("../redist/cmupdate.exe".to_owned()),
        }
    );
    assert_eq!(listing.files[1].path, "bin/x64/setupcore.dll");
    assert_eq!(listing.unusable, 0);
}

#[test]
fn only_the_manifests_by_name_are_recorded() {
    assert!(manifest_name("GUID/Redist/ConfigMgr.Manifest.cab"));
    assert!(manifest_name("GUID/redist/configmgr.ln.manifest.cab"));
    assert!(manifest_name("SMSSetup/update.map"));
    assert!(!manifest_name("ConfigMgr.Update.Manifest.cab"));
    assert!(!manifest_name("GUID/Redist/sqlncli.msi"));
}
