//! JSON Schema (draft-07, what yaml-language-server reads) for rule files and the site config,
//! built from the fields the loader itself asks for ([`FieldDoc`]), so the schema an editor
//! completes with cannot drift from what sitelint accepts.

use serde_json::{Map, Value, json};

use crate::document::fields::{FieldDoc, Shape};
use crate::rules::describe;
use crate::site_config;

const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// The schema of a rule file: its header, and a rule of each kind with only that kind's
/// fields (chosen by `kind`, so an editor completes and checks the right ones).
pub fn rules() -> Value {
    let (header, kinds) = describe();
    let kind_names: Vec<&str> = kinds.iter().map(|(kind, _)| kind.name).collect();
    let mut definitions = Map::new();
    let mut branches = Vec::new();
    for (kind, fields) in &kinds {
        let name = kind.name;
        let mut branch = object(fields, &Map::new());
        branch["properties"]["kind"] = json!({"const": name, "description": kind.summary});
        definitions.insert((*name).to_owned(), branch);
        branches.push(json!({
            "if": {"properties": {"kind": {"const": name}}, "required": ["kind"]},
            "then": {"$ref": format!("#/definitions/{name}")},
        }));
    }
    definitions.insert(
        "rule".to_owned(),
        json!({
            "type": "object",
            "description": "A rule: its `kind` decides which other fields it has.",
            "required": ["kind"],
            "properties": {"kind": {"enum": kind_names, "description": "What the rule checks."}},
            "allOf": branches,
        }),
    );
    let mut nested = Map::new();
    nested.insert("rules".to_owned(), json!({"$ref": "#/definitions/rule"}));
    let mut schema = object(&header, &nested);
    schema["$schema"] = json!(DRAFT_07);
    schema["title"] = json!("sitelint rule file");
    schema["definitions"] = Value::Object(definitions);
    schema
}

/// The schema of `sitelint.yaml`.
pub fn config() -> Value {
    let docs = site_config::describe();
    let mut nested = Map::new();
    nested.insert("sources".to_owned(), object(&docs.sources, &Map::new()));
    nested.insert("waivers".to_owned(), object(&docs.waiver, &Map::new()));
    let mut schema = object(&docs.top, &nested);
    schema["$schema"] = json!(DRAFT_07);
    schema["title"] = json!("sitelint site config (sitelint.yaml)");
    schema
}

/// An object with exactly these fields. `nested` gives the schema of a mapping's fields
/// (`sources`) or of a list's items (`rules`, `waivers`).
fn object(fields: &[FieldDoc], nested: &Map<String, Value>) -> Value {
    let mut properties = Map::new();
    for field in fields {
        let mut property = shape(field, nested.get(field.name));
        property["description"] = json!(field.doc);
        properties.insert(field.name.to_owned(), property);
    }
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    let mut object = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        object["required"] = json!(required);
    }
    object
}

fn shape(field: &FieldDoc, nested: Option<&Value>) -> Value {
    // YAML numbers and booleans are read as the text written (`version: 2409`).
    let scalar = || json!({"type": ["string", "number", "boolean"]});
    let one = || {
        if field.values.is_empty() {
            scalar()
        } else if field.integers_too {
            json!({"anyOf": [{"enum": field.values}, {"type": "integer"}]})
        } else {
            json!({"enum": field.values})
        }
    };
    match field.shape {
        Shape::String => one(),
        Shape::Strings => json!({"anyOf": [one(), {"type": "array", "items": one()}]}),
        Shape::Count => json!({"type": "integer", "minimum": 0}),
        Shape::Bool => json!({"type": "boolean"}),
        Shape::Map => nested
            .cloned()
            .unwrap_or_else(|| json!({"type": ["object", "null"], "additionalProperties": scalar()})),
        Shape::ScalarMap => json!({"type": ["object", "null"], "additionalProperties": one()}),
        Shape::List => json!({"type": ["array", "null"], "items": nested.cloned().unwrap_or_else(|| json!({}))}),
    }
}
