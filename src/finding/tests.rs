//! The fingerprint of a finding.

use super::*;

#[test]
fn fingerprints_depend_on_rule_and_subject_only() {
    let a = identity("setup-download-failed", "ConfigMgrSetup.log: code=0x80072ee2");
    assert_eq!(a.len(), 32);
    assert_eq!(
        a,
        identity("setup-download-failed", "ConfigMgrSetup.log: code=0x80072ee2")
    );
    assert_ne!(
        a,
        identity("setup-download-failed", "ConfigMgrSetup.log: code=0x80072ee7")
    );
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert_ne!(identity("ab", "c"), identity("a", "bc"));
}
