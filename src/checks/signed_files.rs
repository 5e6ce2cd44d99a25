//! `signed-files`: one finding per file of a tree whose Authenticode signature is not valid.
//!
//! - **What it checks**: that every file selected by `include` (default `**`) and not by
//!   `exclude` carries an Authenticode signature (PE: `.exe`, `.dll`; cabinets; MSI) whose
//!   digest matches the content, whose signer's signature verifies, whose chain reaches one of `roots`,
//!   valid at the time its timestamp countersignature gives (else now), and, with `signer`,
//!   whose signing certificate's subject matches it. Any one valid signature of a file
//!   with several suffices. No revocation is checked: the machine may be offline.
//! - **Why**: ConfigMgr verifies each redistributable's signature on the site server, hours
//!   into the upgrade window (`Error: failed to verify '...\redist\sqlncli.msi' authenticode
//!   signature.`); a proxy's error page saved under the file's name, a copy cut short or a
//!   byte changed on the way is found here before the pack is carried.
//! - **Example rule**: `tree: updatepack`, `include: ['**/Redist/**/*.exe']`,
//!   `signer: 'O=Microsoft Corporation'`, `roots: [microsoft]`.
//! - **Options**: `include`, `exclude` (globs); `signer` (regex on the subject, e.g.
//!   `C=US, ST=Washington, L=Redmond, O=Microsoft Corporation, CN=Microsoft Corporation`);
//!   `roots` (`microsoft`, Microsoft Root Certificate Authority 2010 and 2011 built in, and/or
//!   PEM files relative to the rule file; default `[microsoft]`). Built-in values: `{path}`,
//!   `{tree}`, `{cause}` (`not-signed`, `unreadable`, `content-changed`, `signature-invalid`,
//!   `untrusted-root`, `expired`, `signer-mismatch`; `cannot-verify`, not evaluated, for a
//!   file a listing recorded without a verdict), `{detail}`.

use std::path::Path;

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, TreeFilter, values};
use crate::authenticode::{self, MICROSOFT_ROOTS, Policy};
use crate::finding::Outcome;
use crate::readers::log::Pattern;

const VALUES: [&str; 4] = ["path", "tree", "cause", "detail"];

#[derive(Debug)]
struct SignedFiles {
    filter: TreeFilter,
    signer: Option<Pattern>,
    /// The trusted roots, DER, and how the rule named them.
    roots: Vec<Vec<u8>>,
    root_names: Vec<String>,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let filter = TreeFilter::read(f, false);
    let signer = f.string(
        "signer",
        "A regular expression the signing certificate's subject must match, e.g. `signer: 'O=Microsoft Corporation'`.",
    );
    let signer = match signer {
        Some(s) => Some(f.pattern(&s)?),
        None => None,
    };
    let named = f.strings(
        "roots",
        "The roots a signature must chain to: `microsoft` (Microsoft Root Certificate Authority 2010 and 2011, built in) and/or PEM files relative to the rule file. Default `[microsoft]`.",
    );
    let named = named.unwrap_or_else(|| {
        vec![crate::document::fields::Sp {
            value: "microsoft".to_owned(),
            span: 0..0,
        }]
    });
    let base = Path::new(&f.file().name)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut roots = Vec::new();
    let mut ok = true;
    for name in &named {
        if name.value == "microsoft" {
            roots.extend(MICROSOFT_ROOTS.iter().map(|r| r.to_vec()));
            continue;
        }
        let path = base.join(&name.value);
        match read_roots(&path) {
            Ok(certs) => roots.extend(certs),
            Err(why) => {
                ok = false;
                f.problem_with_help(
                    name.span.clone(),
                    format!("cannot use {} as roots: {why}", path.display()),
                    "these roots",
                    "name `microsoft` or a PEM file of CA certificates, relative to this rule file",
                );
            }
        }
    }
    let filter = filter?;
    ok.then(|| {
        Box::new(SignedFiles {
            filter,
            signer,
            roots,
            root_names: named.into_iter().map(|n| n.value).collect(),
        }) as Box<dyn Check>
    })
}

/// The certificates of a PEM file, each one readable as X.509.
fn read_roots(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let bytes = crate::files::read_limited(path, crate::files::WHOLE_FILE_LIMIT).map_err(|e| e.to_string())?;
    let certs = authenticode::pem::certificates(&String::from_utf8_lossy(&bytes))?;
    for cert in &certs {
        x509_parser::parse_x509_certificate(cert).map_err(|e| format!("a certificate cannot be read: {e}"))?;
    }
    Ok(certs)
}

impl Check for SignedFiles {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Tree(&self.filter.tree)
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        let signer = self.signer.as_ref().map_or_else(String::new, |s| {
            format!(", signed by a subject matching `{}`", s.source)
        });
        format!(
            "Fails for each of the {} without a valid Authenticode signature chained to {}{signer}.",
            self.filter.files(),
            self.root_names.join(", ")
        )
    }

    fn needs_file(&self, file: &crate::readers::tree::TreeFile) -> bool {
        self.filter.matches(&file.path)
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Tree(tree) = input else {
            return Err(Mismatch::new("a tree", input));
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let policy = Policy {
            roots: &self.roots,
            signer: self.signer.as_ref().map(|s| &s.regex),
            now,
        };
        let files: Vec<_> = tree.files.iter().filter(|f| self.filter.matches(&f.path)).collect();
        // A listing that records no signature at all was not collected by a sitelint that
        // examines them (or was written by hand): one finding for the tree, not one per file.
        if tree.root.is_none() && !files.is_empty() && files.iter().all(|f| f.authenticode.is_none()) {
            out.push(Emission {
                outcome: Outcome::NotEvaluated,
                subject: format!("{}: signatures", tree.name),
                message: format!(
                    "the listing of tree `{}` records no signatures: collect the snapshot again with this sitelint, or check the folder itself",
                    tree.name
                ),
                values: values(&VALUES, [String::new(), tree.name.clone(), "cannot-verify".to_owned(), String::new()]),
                location: tree.location.clone(),
                excerpt: None,
            });
            return Ok(());
        }
        // A live tree's files are examined now, on every core; a listing's were when the
        // snapshot was collected, and are judged here with this rule's roots and signer.
        let verdicts = crate::parallel::map_in_order(&files, |file| match (&tree.root, &file.authenticode) {
            (Some(root), _) => Some(authenticode::judge(
                &authenticode::examine_file(&root.join(&file.path)),
                &policy,
            )),
            (None, Some(examined)) => Some(authenticode::judge(examined, &policy)),
            (None, None) => None,
        });
        for (file, verdict) in files.into_iter().zip(verdicts) {
            let (outcome, cause, detail, message) = match verdict {
                Some(Ok(_)) => continue,
                Some(Err(failure)) if failure.cause == authenticode::Cause::CannotVerify => (
                    Outcome::NotEvaluated,
                    failure.cause().to_owned(),
                    failure.to_string(),
                    format!("{}: {failure}", file.path),
                ),
                Some(Err(failure)) => (
                    Outcome::Fail,
                    failure.cause().to_owned(),
                    failure.to_string(),
                    format!("{}: {failure}", file.path),
                ),
                None => (
                    Outcome::NotEvaluated,
                    "cannot-verify".to_owned(),
                    String::new(),
                    format!(
                        "{}: its signature was not examined when the snapshot was collected (`collect` examines .exe, .dll, .sys, .ocx, .msi, .msp and .cab files)",
                        file.path
                    ),
                ),
            };
            out.push(Emission {
                outcome,
                subject: format!("{}: {}", tree.name, file.path),
                message,
                values: values(&VALUES, [file.path.clone(), tree.name.clone(), cause, detail]),
                location: tree.location_of(file),
                excerpt: None,
            });
        }
        Ok(())
    }
}
