//! Issue 17, the site config's part: a source flag beside the config's `sources:`, registry
//! exports from both, and a stranger's sitelint.yaml, which is not obeyed. Each test is a
//! regression test for something that once went wrong.

use std::fs;
use std::path::Path;
#[cfg(unix)]
use std::path::PathBuf;

#[cfg(unix)]
use crate::path_str;
use crate::{json, sitelint_in, stderr, stdout};

/// A site whose sitelint.yaml names the failed-download example's logs and allowlist, and the
/// console export of the site server after the import, as its live sources.
fn site_with_sources() -> tempfile::TempDir {
    let (dir, _) = crate::example_copy();
    fs::create_dir(dir.path().join("site-server")).unwrap();
    fs::copy(
        crate::root().join("examples/snapshots/site-server-after-import/console/updates.json"),
        dir.path().join("site-server/updates.json"),
    )
    .unwrap();
    fs::write(
        dir.path().join("sitelint.yaml"),
        "sources:
  logs: [snap/logs/ServiceConnectionTool.log, snap/logs/ConfigMgrSetup.log]
  console-updates: site-server/updates.json
  endpoints-allowlist: snap/network/allowlist.txt
",
    )
    .unwrap();
    fs::create_dir(dir.path().join("fixed")).unwrap();
    fs::write(dir.path().join("fixed/ConfigMgrSetup.log"), "all downloads done\n").unwrap();
    dir
}

#[test]
fn a_source_flag_replaces_only_the_source_it_names() {
    let dir = site_with_sources();
    let statuses = |extra: &[&str]| {
        let out = sitelint_in(dir.path(), &[&["check", "--format", "json"][..], extra].concat());
        let report = json(&out);
        let status = |id: &str| crate::status(&report, id);
        (
            status("sct-redist-download-failed"),
            status("setup-download-failed"),
            status("target-version-not-ready"),
        )
    };
    let failed = "failed".to_owned();
    assert_eq!(statuses(&[]), (failed.clone(), failed.clone(), failed.clone()));
    // Only ConfigMgrSetup.log is replaced: the other log and the console export still count.
    let replaced = statuses(&["--log", "fixed/ConfigMgrSetup.log"]);
    assert_eq!(replaced, (failed.clone(), "passed".to_owned(), failed));

    let out = sitelint_in(dir.path(), &["config", "--log", "fixed/ConfigMgrSetup.log"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let settings: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for expected in [
        "sources.logs.ServiceConnectionTool.log = snap/logs/ServiceConnectionTool.log (sitelint.yaml:1)",
        "sources.logs.ConfigMgrSetup.log = fixed/ConfigMgrSetup.log (--log)",
        "sources.console-updates = site-server/updates.json (sitelint.yaml:1)",
    ] {
        assert!(settings.iter().any(|s| s == expected), "{expected:?} in {settings:#?}");
    }

    let out = sitelint_in(dir.path(), &["check", "-v", "--log", "fixed/ConfigMgrSetup.log"]);
    let said = stderr(&out);
    assert!(
        said.contains("loaded log ConfigMgrSetup.log: fixed/ConfigMgrSetup.log from --log\n"),
        "{said}"
    );
    assert!(
        said.contains("ServiceConnectionTool.log from sitelint.yaml:1\n"),
        "{said}"
    );
}

#[test]
fn registry_exports_of_the_config_and_of_registry_flags_are_both_read() {
    let dir = site_with_sources();
    fs::write(
        dir.path().join("sitelint.yaml"),
        "sources:\n  registry: [snap/registry/connect-machine.reg]\n",
    )
    .unwrap();
    // Another program's key: the same key with another version in two exports is a conflict.
    let odbc = "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{ODBC18-32}]\r\n\
                \"DisplayName\"=\"Microsoft ODBC Driver 18 for SQL Server\"\r\n\"DisplayVersion\"=\"18.6.1.1\"\r\n";
    fs::write(
        dir.path().join("fixed/odbc.reg"),
        format!("Windows Registry Editor Version 5.00\r\n\r\n{odbc}"),
    )
    .unwrap();
    let check = |extra: &[&str]| {
        let out = sitelint_in(dir.path(), &[&["check", "--format", "json"][..], extra].concat());
        let report = json(&out);
        (
            crate::status(&report, "dotnet-framework-too-old"),
            crate::status(&report, "odbc-driver-18-missing"),
        )
    };
    // The config's export alone: the example's machine has everything.
    assert_eq!(check(&[]), ("passed".to_owned(), "passed".to_owned()));
    // Alone, the flag's export fails both: no .NET key, only an ODBC version that is excluded.
    let failed = ("failed".to_owned(), "failed".to_owned());
    assert_eq!(check(&["--no-config", "--registry", "fixed/odbc.reg"]), failed);
    // A flag adds its export to the config's rather than replacing it.
    assert_eq!(
        check(&["--registry", "fixed/odbc.reg"]),
        ("passed".to_owned(), "passed".to_owned())
    );

    let out = sitelint_in(dir.path(), &["config", "--registry", "fixed/odbc.reg"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let settings: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for expected in [
        "sources.registry = snap/registry/connect-machine.reg (sitelint.yaml:1)",
        "sources.registry = fixed/odbc.reg (--registry)",
    ] {
        assert!(settings.iter().any(|s| s == expected), "{expected:?} in {settings:#?}");
    }
    let out = sitelint_in(dir.path(), &["check", "-v", "--registry", "fixed/odbc.reg"]);
    let said = stderr(&out);
    assert!(
        said.contains("loaded registry export: fixed/odbc.reg from --registry\n"),
        "{said}"
    );
    assert!(said.contains("connect-machine.reg from sitelint.yaml:1\n"), "{said}");
}

/// The failed-download example in `site/`, under a folder that holds a sitelint.yaml turning
/// every error off.
#[cfg(unix)]
fn site_under_a_lenient_config() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    crate::copy_dir(
        &crate::root().join("examples/snapshots/failed-download"),
        &site.join("snap"),
    );
    fs::write(
        dir.path().join("sitelint.yaml"),
        "fail-on: never\ndefault-rules: false\nrules: [/etc/hostname]\n",
    )
    .unwrap();
    (dir, site)
}

#[cfg(unix)]
#[test]
fn a_sitelint_yaml_above_a_directory_owned_by_another_user_is_not_used() {
    let (dir, site) = site_under_a_lenient_config();
    // Only root can give a directory away; elsewhere this cannot be set up.
    if std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534)).is_err() {
        return;
    }
    let out = sitelint_in(&site, &["check", "snap", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).starts_with("7 errors"), "{}", stdout(&out));
    let out = sitelint_in(&site, &["config"]);
    let config = stdout(&out);
    let expected = format!(
        "the search stopped at {}: it is owned by another user (--config FILE reads one there)",
        dir.path().display()
    );
    let config = config.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        config.starts_with("config = none (no sitelint.yaml here or above;"),
        "{config}"
    );
    assert!(config.contains(&expected), "{config}");
    // Named, it is read.
    let named = dir.path().join("sitelint.yaml");
    let out = sitelint_in(&site, &["check", "snap", "-q", "--config", path_str(&named)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_sitelint_yaml_in_a_directory_anyone_may_write_to_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, site) = site_under_a_lenient_config();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o1777)).unwrap();
    let out = sitelint_in(&site, &["check", "snap", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).starts_with("7 errors"), "{}", stdout(&out));
}

#[test]
fn every_report_names_the_config_it_used() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    crate::copy_dir(
        &crate::root().join("examples/snapshots/failed-download"),
        &site.join("snap"),
    );
    fs::write(dir.path().join("sitelint.yaml"), "fail-on: never\n").unwrap();
    let out = sitelint_in(
        &site,
        &[
            "check",
            "snap",
            "-q",
            "--format",
            "human",
            "--format",
            "json=r.json",
            "--format",
            "sarif=r.sarif",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config = Path::new("..").join("sitelint.yaml");
    assert!(
        stdout(&out).ends_with(&format!("; config {}\n", config.display())),
        "{}",
        stdout(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&fs::read(site.join("r.json")).unwrap()).unwrap();
    assert_eq!(report["config"], "../sitelint.yaml");
    let sarif: serde_json::Value = serde_json::from_slice(&fs::read(site.join("r.sarif")).unwrap()).unwrap();
    let named = &sarif["runs"][0]["invocations"][0]["properties"]["config"];
    let uri = crate::directory_uri(dir.path()) + "sitelint.yaml";
    assert_eq!(named["uri"], uri.as_str(), "{named:#}");

    for (format, says) in [
        ("markdown", "config `../sitelint.yaml`"),
        ("junit", "<property name=\"config\" value=\"../sitelint.yaml\"/>"),
        ("html", "<dt>Site config</dt><dd><code>../sitelint.yaml</code></dd>"),
    ] {
        let out = sitelint_in(&site, &["check", "snap", "--format", format]);
        assert!(stdout(&out).contains(says), "{format}: {}", stdout(&out));
    }

    // Without one, the reports say nothing of it.
    let out = sitelint_in(&site, &["check", "snap", "-q", "--no-config", "--format", "json"]);
    assert!(json(&out).get("config").is_none());
}
