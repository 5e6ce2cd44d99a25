//! The part of docs/writing-rules.md that documents each rule kind, generated from the kinds'
//! own documentation: the registry (`KINDS`: the name and the one-line summary), the `//!` doc
//! of the kind's module in `src/checks/` (what it checks, why, an example, its options), and
//! the fields its loader reads, with their descriptions (`sitelint::schema::rules`, the schema
//! editors complete with). A new kind is documented by its module; the test fails until
//! `SITELINT_README=overwrite cargo test --test integration readme` writes it in.

use serde_json::Value;

use super::{DOCS, overwriting};
use crate::root;

const BEGIN: &str = "<!-- generated from the kinds: src/checks/*.rs and KINDS; SITELINT_README=overwrite cargo test --test integration readme writes it -->";
const END: &str = "<!-- end of the generated kinds -->";

/// The fields every rule has, documented once above the kinds.
const COMMON: [&str; 9] = [
    "id", "title", "severity", "kind", "message", "help", "url", "tags", "enabled",
];

/// A description as a table cell: one line, its pipes escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A field table of `definition`'s properties named by `pick`, required ones first.
fn table(definition: &Value, pick: impl Fn(&str) -> bool) -> String {
    let required: Vec<&str> = definition["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields: Vec<(&String, &Value)> = definition["properties"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| pick(name))
        .collect();
    fields.sort_by_key(|(name, _)| (!required.contains(&name.as_str()), (*name).clone()));
    let mut out = String::from("| field | required | what it is |\n| --- | --- | --- |\n");
    for (name, field) in fields {
        let yes = if required.contains(&name.as_str()) { "yes" } else { "" };
        let what = field["description"].as_str().unwrap_or_default();
        out.push_str(&format!("| `{name}` | {yes} | {} |\n", cell(what)));
    }
    out
}

/// The `//!` doc of a kind's module, without its first paragraph (the registry's summary says
/// it), rustdoc's links as plain code.
fn module_doc(kind: &str) -> String {
    let path = root().join("src/checks").join(format!("{}.rs", kind.replace('-', "_")));
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Vec<&str> = source
        .lines()
        .map_while(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    let body = doc.iter().skip_while(|l| !l.is_empty()).skip(1);
    let mut text = body.copied().collect::<Vec<_>>().join("\n");
    for (open, close) in [("[`", "`]")] {
        while let Some(at) = text.find(open) {
            let Some(end) = text[at..].find(close) else { break };
            let code = text[at + 1..at + end + 1].to_owned();
            text.replace_range(at..at + end + close.len(), &code);
        }
    }
    text.trim().to_owned()
}

/// The generated part, between its markers.
fn generated() -> String {
    let schema = sitelint::schema::rules();
    let definitions = &schema["definitions"];
    let mut out = format!("{BEGIN}\n\n");
    out.push_str("### Fields every rule has\n\n");
    // Any kind's branch has the common fields; `kind` is described as the rule's, not as that
    // kind's summary.
    let mut common = definitions[sitelint::checks::KINDS[0].name].clone();
    common["properties"]["kind"] = definitions["rule"]["properties"]["kind"].clone();
    out.push_str(&table(&common, |f| COMMON.contains(&f)));
    for kind in sitelint::checks::KINDS {
        out.push_str(&format!("\n### `{}`\n\n{}\n\n", kind.name, kind.summary));
        out.push_str(&module_doc(kind.name));
        out.push_str("\n\n");
        out.push_str(&table(&definitions[kind.name], |f| !COMMON.contains(&f)));
    }
    out.push_str(&format!("\n{END}"));
    out
}

#[test]
fn the_kinds_in_writing_rules_are_generated_from_the_kinds_own_docs() {
    let _held = DOCS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = root().join("docs/writing-rules.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(BEGIN)
        .expect("docs/writing-rules.md has the generated kinds' markers");
    let end = text.find(END).expect("the generated kinds end with their marker") + END.len();
    let want = generated();
    if text[start..end] != want {
        if overwriting() {
            std::fs::write(&path, format!("{}{want}{}", &text[..start], &text[end..])).unwrap();
        } else {
            panic!(
                "docs/writing-rules.md's kinds differ from the kinds' own docs: run \
                 SITELINT_README=overwrite cargo test --test integration readme"
            );
        }
    }
}
