//! Typed reading of a mapping's fields from the YAML tree (a rule, a rule file's header, a
//! manifest, a config). Every read that fails records a problem at the exact value and returns
//! `None`, so a file is checked to the end and the author sees every mistake at once.

use std::ops::Range;
use std::sync::Arc;

use crate::document::diag::{Problem, SourceFile, suggest};
use crate::document::yaml::{Node, Value};

/// A value and the bytes it came from.
#[derive(Debug, Clone)]
pub struct Sp<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// The shape of a field's value, as its reader takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    String,
    /// A string or a list of strings.
    Strings,
    /// A whole number, 0 or more.
    Count,
    Bool,
    /// A mapping read by its own fields (`sources:`).
    Map,
    /// A mapping of names to strings or numbers (`params:`).
    ScalarMap,
    /// A list of mappings (`rules:`, `waivers:`).
    List,
}

/// A field as its reader asked for it: what `sitelint schema` describes, and what an unknown
/// field is compared with. Reading and describing are one act, so they cannot drift apart.
#[derive(Debug, Clone)]
pub struct FieldDoc {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
    pub doc: String,
    /// The values it may take, when they are few and named.
    pub values: Vec<String>,
    /// Whole numbers are accepted besides `values` (console states by their numeric code).
    pub integers_too: bool,
}

/// The kind of document a mapping is, so that its problems name it: a manifest with a field
/// missing is not "a rule" to the person who wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Rule,
    /// The header of a rule file (`ruleset:`, `params:`, `rules:`).
    RuleFile,
    /// A snapshot's `snapshot.yaml`, or one of its sections.
    Manifest,
    Waiver,
    /// `sitelint.yaml`, or one of its sections.
    Config,
    /// A rule test case's `expect.yaml`.
    TestCase,
}

impl Document {
    /// The document as "this ..." names it.
    fn noun(self) -> &'static str {
        match self {
            Document::Rule => "rule",
            Document::RuleFile => "rule file",
            Document::Manifest => "manifest",
            Document::Waiver => "waiver",
            Document::Config => "config",
            Document::TestCase => "test case",
        }
    }
}

/// The fields of one mapping. `'n` is the YAML tree (values read from it live that long),
/// `'c` the file it came from.
pub struct Fields<'n, 'c> {
    file: &'c Arc<SourceFile>,
    document: Document,
    entries: &'n [(Node, Node)],
    used: Vec<bool>,
    /// Where "missing field" problems point: the mapping's first key.
    anchor: Range<usize>,
    problems: Vec<Problem>,
    /// Every field a reader asked for: the fields this mapping may have.
    docs: Vec<FieldDoc>,
}

impl<'n, 'c> Fields<'n, 'c> {
    /// The fields of `entries`, a mapping of a `document` in `file`.
    pub fn new(
        file: &'c Arc<SourceFile>,
        document: Document,
        entries: &'n [(Node, Node)],
        anchor: Range<usize>,
    ) -> Self {
        Fields {
            file,
            document,
            entries,
            used: vec![false; entries.len()],
            anchor,
            problems: Vec::new(),
            docs: Vec::new(),
        }
    }

    /// The fields asked for so far, in the order they were.
    pub fn docs(&self) -> &[FieldDoc] {
        &self.docs
    }

    /// Names the values a field may take (for a schema's `enum`).
    pub fn values<S: Into<String>>(&mut self, name: &str, values: impl IntoIterator<Item = S>) {
        if let Some(doc) = self.docs.iter_mut().find(|d| d.name == name) {
            doc.values = values.into_iter().map(Into::into).collect();
        }
    }

    /// Names the values a field may take, besides any whole number.
    pub fn values_or_integers<S: Into<String>>(&mut self, name: &str, values: impl IntoIterator<Item = S>) {
        self.values(name, values);
        if let Some(doc) = self.docs.iter_mut().find(|d| d.name == name) {
            doc.integers_too = true;
        }
    }

    fn record(&mut self, name: &'static str, shape: Shape, doc: &str) {
        if self.docs.iter().all(|d| d.name != name) {
            self.docs.push(FieldDoc {
                name,
                shape,
                required: false,
                doc: doc.to_owned(),
                values: Vec::new(),
                integers_too: false,
            });
        }
    }

    pub fn file(&self) -> &Arc<SourceFile> {
        self.file
    }

    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn take(&mut self, name: &'static str, shape: Shape, doc: &str) -> Option<&'n Node> {
        self.record(name, shape, doc);
        let index = self
            .entries
            .iter()
            .position(|(k, _)| matches!(&k.value, Value::Str(s) if s == name))?;
        self.used[index] = true;
        Some(&self.entries[index].1)
    }

    /// Where the key `name` is written, if it is: what a value's origin points at.
    pub fn key_span(&self, name: &str) -> Option<Range<usize>> {
        self.entries
            .iter()
            .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == name))
            .map(|(k, _)| k.span.clone())
    }

    pub fn problem(&mut self, span: Range<usize>, message: impl Into<String>, label: impl Into<String>) {
        self.problems.push(Problem::new(self.file, span, message, label));
    }

    pub fn problem_with_help(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.problems
            .push(Problem::new(self.file, span, message, label).with_help(help));
    }

    fn wrong_type(&mut self, name: &str, node: &Node, expected: &str) {
        let found = node.value.type_name();
        self.problem(
            node.span.clone(),
            format!("`{name}` must be {expected}"),
            format!("found {found}"),
        );
    }

    /// Reports a required field as missing (and records it as required).
    pub fn missing(&mut self, name: &str, help: &str) {
        if let Some(doc) = self.docs.iter_mut().find(|d| d.name == name) {
            doc.required = true;
        }
        let anchor = self.anchor.clone();
        self.problem_with_help(
            anchor,
            format!("missing field `{name}`"),
            format!("this {} has no `{name}`", self.document.noun()),
            help,
        );
    }

    /// An optional string. Numbers are taken as their text (`version: 2409`).
    pub fn string(&mut self, name: &'static str, doc: &str) -> Option<Sp<String>> {
        let node = self.take(name, Shape::String, doc)?;
        match scalar_text(self.file, node) {
            Some(text) => Some(Sp {
                value: text,
                span: node.span.clone(),
            }),
            None => {
                self.wrong_type(name, node, "a string");
                None
            }
        }
    }

    /// A required string; `doc` says what to write, and is the help when it is missing.
    pub fn required_string(&mut self, name: &'static str, doc: &str) -> Option<Sp<String>> {
        let value = self.string(name, doc);
        if self.key_span(name).is_none() {
            self.missing(name, doc);
        }
        if let Some(field) = self.docs.iter_mut().find(|d| d.name == name) {
            field.required = true;
        }
        value
    }

    /// A list of strings; a single string counts as a list of one.
    pub fn strings(&mut self, name: &'static str, doc: &str) -> Option<Vec<Sp<String>>> {
        let node = self.take(name, Shape::Strings, doc)?;
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        let mut out = Vec::new();
        for item in items {
            match scalar_text(self.file, item) {
                Some(text) => out.push(Sp {
                    value: text,
                    span: item.span.clone(),
                }),
                None => self.wrong_type(name, item, "a string or a list of strings"),
            }
        }
        Some(out)
    }

    /// A mapping-valued field's entries (`trees:` in a manifest); null counts as empty.
    pub fn map(&mut self, name: &'static str, doc: &str) -> Option<&'n [(Node, Node)]> {
        let node = self.take(name, Shape::Map, doc)?;
        match &node.value {
            Value::Map(entries) => Some(entries),
            Value::Null => Some(&[]),
            _ => {
                self.wrong_type(name, node, "a mapping");
                None
            }
        }
    }

    /// A list-valued field's items (`rules:` in a rule file); null counts as empty.
    pub fn list(&mut self, name: &'static str, doc: &str) -> Option<&'n [Node]> {
        let node = self.take(name, Shape::List, doc)?;
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => Some(&[]),
            _ => {
                self.wrong_type(name, node, "a list");
                None
            }
        }
    }

    /// A mapping of names to scalar values (`params:`), each name with its key's span; a value
    /// that is a list or a mapping is a problem at that value.
    pub fn scalar_map(&mut self, name: &'static str, doc: &str) -> Vec<(Sp<String>, String)> {
        let mut out = Vec::new();
        let entries = self.map(name, doc).unwrap_or_default();
        if let Some(field) = self.docs.iter_mut().find(|d| d.name == name) {
            field.shape = Shape::ScalarMap;
        }
        for (key, value) in entries {
            let key_text = scalar_text(self.file, key).unwrap_or_default();
            match scalar_text(self.file, value) {
                Some(text) => out.push((
                    Sp {
                        value: key_text,
                        span: key.span.clone(),
                    },
                    text,
                )),
                None => self.problem(
                    value.span.clone(),
                    format!("`{key_text}` must be a string or number"),
                    format!("found {}", value.value.type_name()),
                ),
            }
        }
        out
    }

    pub fn count(&mut self, name: &'static str, doc: &str) -> Option<Sp<u64>> {
        let node = self.take(name, Shape::Count, doc)?;
        match &node.value {
            Value::Int(n) if *n >= 0 => Some(Sp {
                value: n.unsigned_abs(),
                span: node.span.clone(),
            }),
            _ => {
                self.wrong_type(name, node, "a whole number, 0 or more");
                None
            }
        }
    }

    pub fn bool(&mut self, name: &'static str, doc: &str) -> Option<bool> {
        let node = self.take(name, Shape::Bool, doc)?;
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(name, node, "`true` or `false`");
                None
            }
        }
    }

    /// A byte range inside a string value mapped to the file: exact when the value is written
    /// as-is (plain or simply quoted), otherwise the whole value.
    pub fn inner_span(&self, text: &Sp<String>, range: Range<usize>) -> Range<usize> {
        let raw = self.file.text.get(text.span.clone()).unwrap_or("");
        let body_start = usize::from(raw.starts_with(['\'', '"']));
        if raw.get(body_start..body_start + text.value.len()) == Some(text.value.as_str()) {
            let start = text.span.start + body_start + range.start;
            start..start + range.len()
        } else {
            text.span.clone()
        }
    }

    /// The problems found so far, without judging unread fields (used when the fields cannot
    /// be judged, such as a rule of an unknown kind).
    pub fn abandon(self) -> Vec<Problem> {
        self.problems
    }

    /// Returns the problems found, plus one for every field no reader asked for, with the
    /// closest known name. `place` says where the fields are ("a `zero-byte-files` rule").
    pub fn finish(mut self, place: &str) -> Vec<Problem> {
        for (index, (key, _)) in self.entries.iter().enumerate() {
            if self.used[index] {
                continue;
            }
            let name = match &key.value {
                Value::Str(s) => s.as_str(),
                _ => "?",
            };
            let problem = Problem::new(
                self.file,
                key.span.clone(),
                format!("unknown field `{name}` in {place}"),
                "unknown field",
            );
            let known: Vec<&str> = self.docs.iter().map(|d| d.name).collect();
            let help = suggest(name, known.iter().copied(), || {
                format!("fields here: {}", known.join(", "))
            });
            self.problems.push(problem.with_help(help));
        }
        self.problems
    }
}

/// The entries of a document's top-level mapping, or the problem that it is not one:
/// `what` names the document ("a rule file"), `help` says how one starts.
pub fn mapping<'n>(
    file: &Arc<SourceFile>,
    node: &'n Node,
    what: &str,
    help: &str,
) -> Result<&'n [(Node, Node)], Problem> {
    match &node.value {
        Value::Map(entries) => Ok(entries),
        other => Err(Problem::new(
            file,
            node.span.clone(),
            format!("{what} must be a mapping"),
            format!("found {}", other.type_name()),
        )
        .with_help(help)),
    }
}

/// A scalar's text, or `None` for lists, mappings and null. A number or boolean is taken as
/// written, not as YAML reads it: `id: off` stays `off` (YAML 1.1 reads `false`) and
/// `version: 2409.10` stays `2409.10` (a float would drop the zero).
pub fn scalar_text(file: &SourceFile, node: &Node) -> Option<String> {
    let written = || {
        file.text
            .get(node.span.clone())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => written().or_else(|| Some(i.to_string())),
        Value::Float(f) => written().or_else(|| Some(f.to_string())),
        Value::Bool(b) => written().or_else(|| Some(b.to_string())),
        Value::Null | Value::Seq(_) | Value::Map(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::yaml::parse_file;

    #[test]
    fn numbers_and_booleans_are_read_as_written() {
        let file = SourceFile::new(
            "r.yaml",
            "id: off\nversion: 2409.10\nbuild: 0x1F\nflow: {answer: no, count: 007}\n",
        );
        let node = parse_file(&file).unwrap();
        let entries = mapping(&file, &node, "a rule", "").unwrap();
        let mut f = Fields::new(&file, Document::Rule, entries, 0..0);
        let text = |sp: Option<Sp<String>>| sp.map(|s| s.value);
        assert_eq!(text(f.string("id", "an id")), Some("off".to_owned()));
        assert_eq!(text(f.string("version", "a version")), Some("2409.10".to_owned()));
        assert_eq!(text(f.string("build", "a build")), Some("0x1F".to_owned()));
        let flow: Vec<(String, String)> = f
            .scalar_map("flow", "values")
            .into_iter()
            .map(|(k, v)| (k.value, v))
            .collect();
        assert_eq!(
            flow,
            [
                ("answer".to_owned(), "no".to_owned()),
                ("count".to_owned(), "007".to_owned())
            ]
        );
        assert!(f.finish("a rule").is_empty());
    }
}
