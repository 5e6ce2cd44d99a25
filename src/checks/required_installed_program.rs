//! `required-installed-program`: one finding when no installed program matches `name` at an
//! acceptable version.
//!
//! - **What it checks**: the programs listed under the Uninstall keys of both registry views
//!   (64-bit and WOW6432Node): one whose `DisplayName` matches `name` must have a
//!   `DisplayVersion` within `min-version` and `max-version` and not in `exclude-versions`.
//! - **Why**: the site server's prerequisite check needs ODBC Driver 18 for SQL Server, and
//!   version 18.6.1.1 of it breaks Configuration Manager.
//! - **Example rule**: `name: '^Microsoft ODBC Driver 18 for SQL Server$'`,
//!   `min-version: 18.4.1.1`, `exclude-versions: [18.6.1.1]`.
//! - **Options**: `min-version`, `max-version`, `exclude-versions` (dotted versions, compared
//!   part by part). `version-key`: the product's own key, whose `InstalledVersion` is the
//!   evidence Configuration Manager's prerequisite check reads
//!   (`HKLM\SOFTWARE\Microsoft\MSODBCSQL18`): an export of it is judged like an Uninstall
//!   entry, so an export of the keys the product itself reads is evaluated too. Built-in values: `{name}` (the program found, or the pattern), `{version}`
//!   (its version), `{key}`, `{found}`, `{expected}`.

use super::{Check, Context, Emission, Emissions, Input, Mismatch, SourceRef, values};
use crate::finding::{Location, Outcome};
use crate::readers::log::Pattern;
use crate::readers::registry::{Key, Read, Registry, Value, Version, spelled_out};

const VALUES: [&str; 5] = ["name", "version", "key", "found", "expected"];

/// Where Windows lists installed programs, for 64-bit and for 32-bit installers.
pub(super) const UNINSTALL_KEYS: [&str; 2] = [
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
    "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
];

#[derive(Debug)]
struct RequiredInstalledProgram {
    name: Pattern,
    /// The product's own key, with `InstalledVersion`.
    version_key: Option<String>,
    min: Option<Version>,
    max: Option<Version>,
    exclude: Vec<Version>,
    /// Both Uninstall keys, for `collect --read-registry`.
    reads: Vec<Read>,
}

pub(super) fn compile(f: &mut Context<'_, '_>) -> Option<Box<dyn Check>> {
    let name = f.required_string(
        "name",
        "A regular expression on the program's `DisplayName`, e.g. '^Microsoft ODBC Driver 18 for SQL Server$'.",
    );
    let min = f.string(
        "min-version",
        "The lowest acceptable `DisplayVersion`, e.g. `18.4.1.1`.",
    );
    let max = f.string("max-version", "The highest acceptable `DisplayVersion`.");
    let exclude = f
        .strings(
            "exclude-versions",
            "Versions that are not acceptable, e.g. `[18.6.1.1]`.",
        )
        .unwrap_or_default();
    let version_key = f.string(
        "version-key",
        "The product's own key whose `InstalledVersion` the prerequisite check reads, e.g. 'HKLM\\SOFTWARE\\Microsoft\\MSODBCSQL18'.",
    );
    let name = name.and_then(|n| f.pattern(&n));
    let version_key = version_key.map(|k| f.with_params(&k));
    let version = |f: &mut Context<'_, '_>, text: &crate::document::fields::Sp<String>| {
        let expanded = f.with_params(text)?;
        let parsed = Version::parse(&expanded);
        if parsed.is_none() {
            f.problem_with_help(
                text.span.clone(),
                format!("`{expanded}` is not a dotted version"),
                "not a version",
                "write a version such as 18.4.1.1",
            );
        }
        parsed
    };
    let min = min.map(|m| version(f, &m));
    let max = max.map(|m| version(f, &m));
    let exclude: Vec<Option<Version>> = exclude.iter().map(|e| version(f, e)).collect();
    let version_key = version_key.map_or(Some(None), |k| k.map(Some))?;
    let mut reads: Vec<Read> = UNINSTALL_KEYS
        .iter()
        .map(|parent| Read::Subkeys {
            parent: spelled_out(parent),
            values: ["DisplayName", "DisplayVersion", "Publisher"]
                .map(str::to_owned)
                .to_vec(),
        })
        .collect();
    reads.extend(version_key.iter().map(|key| Read::Value {
        key: spelled_out(key),
        value: INSTALLED_VERSION.to_owned(),
    }));
    Some(Box::new(RequiredInstalledProgram {
        name: name?,
        version_key,
        min: min.map_or(Some(None), |m| m.map(Some))?,
        max: max.map_or(Some(None), |m| m.map(Some))?,
        exclude: exclude.into_iter().collect::<Option<Vec<_>>>()?,
        reads,
    }))
}

/// The value of a product's own key that says which version is installed.
const INSTALLED_VERSION: &str = "InstalledVersion";

/// A program an Uninstall key lists, or a product's own key.
struct Program<'r> {
    key: &'r Key,
    /// Its `DisplayName`, or the product key's path.
    name: &'r str,
    /// Where the program is named: its `DisplayName`, or the product key.
    name_location: &'r Location,
    version: Option<&'r Value>,
}

impl Program<'_> {
    fn display_name(&self) -> &str {
        self.name
    }

    fn version_text(&self) -> String {
        self.version
            .and_then(|v| {
                v.data
                    .text()
                    .map(str::to_owned)
                    .or_else(|| v.data.number().map(|n| n.to_string()))
            })
            .unwrap_or_else(|| "without a DisplayVersion".to_owned())
    }
}

fn programs(registry: &Registry) -> impl Iterator<Item = Program<'_>> {
    UNINSTALL_KEYS
        .iter()
        .flat_map(|parent| registry.subkeys(parent))
        .filter(|key| !key.absent)
        .filter_map(|key| {
            let field = |name: &str| key.values.iter().find(|v| v.name.eq_ignore_ascii_case(name));
            let name = field("DisplayName").filter(|v| v.data.text().is_some())?;
            Some(Program {
                key,
                name: name.data.text().unwrap_or_default(),
                name_location: &name.location,
                version: field("DisplayVersion"),
            })
        })
}

/// The product's own key as a program, named by its path, when the export has it.
fn product<'r>(registry: &'r Registry, key: &str) -> impl Iterator<Item = Program<'r>> {
    registry.keys(key).filter(|k| !k.absent).map(|key| Program {
        key,
        name: &key.path,
        name_location: &key.location,
        version: key
            .values
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(INSTALLED_VERSION)),
    })
}

impl RequiredInstalledProgram {
    fn acceptable(&self, version: &Version) -> bool {
        self.min.as_ref().is_none_or(|min| version >= min)
            && self.max.as_ref().is_none_or(|max| version <= max)
            && !self.exclude.contains(version)
    }

    fn expected(&self) -> String {
        let mut parts = Vec::new();
        if let Some(min) = &self.min {
            parts.push(format!("{min} or later"));
        }
        if let Some(max) = &self.max {
            parts.push(format!("{max} or earlier"));
        }
        if !self.exclude.is_empty() {
            let list: Vec<String> = self.exclude.iter().map(Version::to_string).collect();
            parts.push(format!("not {}", list.join(" or ")));
        }
        if parts.is_empty() {
            "any version".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

impl Check for RequiredInstalledProgram {
    fn source(&self) -> SourceRef<'_> {
        SourceRef::Registry(&self.reads)
    }

    fn placeholders(&self) -> Vec<String> {
        VALUES.map(str::to_owned).to_vec()
    }

    fn describe(&self) -> String {
        format!(
            "Fails unless a program whose DisplayName matches `{}` is installed at {}.",
            self.name.source,
            self.expected()
        )
    }

    fn evaluate(&self, input: &Input<'_>, out: &mut Emissions) -> Result<(), Mismatch> {
        let Input::Registry(registry) = input else {
            return Err(Mismatch::new("a registry export", input));
        };
        let expected = self.expected();
        let whole = registry
            .files
            .first()
            .cloned()
            .unwrap_or_else(|| Location::artifact("registry"));
        let uninstall: Vec<&Key> = UNINSTALL_KEYS
            .iter()
            .flat_map(|k| registry.keys(k).chain(registry.subkeys(k)))
            .collect();
        let products: Vec<Program<'_>> = self.version_key.iter().flat_map(|key| product(registry, key)).collect();
        let emission = |outcome, message: String, values, location| Emission {
            outcome,
            subject: format!("program {}", self.name.source),
            message,
            values,
            location,
            excerpt: None,
        };
        if uninstall.is_empty() && products.is_empty() {
            // An export without the Uninstall keys (or the product's own key) says nothing
            // about what is installed.
            out.push(emission(
                Outcome::NotEvaluated,
                format!(
                    "the registry export has no Uninstall key; export {} and {}",
                    spelled_out(UNINSTALL_KEYS[0]),
                    spelled_out(UNINSTALL_KEYS[1])
                ),
                values(
                    &VALUES,
                    [
                        self.name.source.clone(),
                        String::new(),
                        String::new(),
                        "no Uninstall key".to_owned(),
                        expected,
                    ],
                ),
                whole,
            ));
            return Ok(());
        }
        let matching: Vec<Program<'_>> = programs(registry)
            .filter(|p| self.name.regex.is_match(p.display_name().as_bytes()))
            .chain(products)
            .collect();
        if matching.iter().any(|p| {
            p.version
                .and_then(|v| Version::of(&v.data))
                .is_some_and(|v| self.acceptable(&v))
        }) {
            return Ok(());
        }
        let Some(first) = matching.first() else {
            out.push(emission(
                Outcome::Fail,
                format!(
                    "no installed program matches `{}` (the Uninstall keys list {}); needed: {expected}",
                    self.name.source,
                    crate::document::text::plural(programs(registry).count(), "program", "programs")
                ),
                values(
                    &VALUES,
                    [
                        self.name.source.clone(),
                        String::new(),
                        String::new(),
                        "not installed".to_owned(),
                        expected,
                    ],
                ),
                uninstall.first().map_or_else(|| whole.clone(), |k| k.location.clone()),
            ));
            return Ok(());
        };
        let found: Vec<String> = matching
            .iter()
            .map(|p| format!("{} {}", p.display_name(), p.version_text()))
            .collect();
        let found = found.join(", ");
        out.push(emission(
            Outcome::Fail,
            format!("{found} is installed; needed: {expected}"),
            values(
                &VALUES,
                [
                    first.display_name().to_owned(),
                    first.version_text(),
                    first.key.path.clone(),
                    found,
                    expected,
                ],
            ),
            first.version.map_or(first.name_location, |v| &v.location).clone(),
        ));
        Ok(())
    }
}
