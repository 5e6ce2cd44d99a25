//! The one place that parses YAML: a document becomes a tree of [`Node`]s that remember where
//! they stand in the source, so every later check can point at the exact value it rejects.
//!
//! Rule files and snapshot manifests are read into this tree first and then validated by hand
//! rather than through `#[derive(Deserialize)]`: serde stops at the first error, and a rule
//! author wants every problem of a file in one run.

use std::fmt;
use std::ops::Range;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// A YAML value with its position in the source text.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    /// Byte range of the value in the source text (for a mapping or sequence, its first token).
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// How the value is named in a "expected X, found Y" message.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error with the byte offset where the parser stopped.
#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

/// Parses one YAML document. Duplicate keys are syntax errors (serde-saphyr's default policy),
/// which is what a rule author wants: the second `pattern:` would otherwise win silently.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let index = LineIndex::new(text);
    match serde_saphyr::from_str::<Spanned<RawNode>>(text) {
        Ok(root) => Ok(convert(root, &index)),
        Err(err) => {
            let offset = err.location().map_or(0, |loc| index.offset(&loc));
            Err(SyntaxError {
                message: first_line(&err.to_string()),
                offset,
            })
        }
    }
}

/// serde-saphyr's error text repeats the location and draws its own snippet; sitelint draws
/// the snippet with miette, so only the message itself is kept.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    // "line 2 column 2: illegal placement of ':' indicator" -> the part after the position.
    match line.split_once(": ") {
        Some((pos, rest)) if pos.starts_with("line ") => rest.to_owned(),
        _ => line.to_owned(),
    }
}

fn convert(node: Spanned<RawNode>, index: &LineIndex) -> Node {
    let span = index.span(&node.referenced);
    let value = match node.value {
        RawNode::Null => Value::Null,
        RawNode::Bool(b) => Value::Bool(b),
        RawNode::Int(i) => Value::Int(i),
        RawNode::Float(f) => Value::Float(f),
        RawNode::Str(s) => Value::Str(s),
        RawNode::Seq(items) => Value::Seq(items.into_iter().map(|n| convert(n, index)).collect()),
        RawNode::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (convert(k, index), convert(v, index)))
                .collect(),
        ),
    };
    Node { value, span }
}

/// Turns serde-saphyr's character-based line and column into byte offsets. Byte offsets are
/// reported for most values, but not for every error, so one conversion serves both.
struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { text, line_starts }
    }

    fn offset(&self, loc: &Location) -> usize {
        let span = loc.span();
        if let Some(byte) = span.byte_offset()
            && usize::try_from(byte).is_ok_and(|b| b <= self.text.len())
        {
            return usize::try_from(byte).unwrap_or(0);
        }
        let line = usize::try_from(loc.line().saturating_sub(1)).unwrap_or(0);
        let Some(&start) = self.line_starts.get(line) else {
            return self.text.len();
        };
        let column = usize::try_from(loc.column().saturating_sub(1)).unwrap_or(0);
        self.text[start..]
            .char_indices()
            .nth(column)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    fn span(&self, loc: &Location) -> Range<usize> {
        let start = self.offset(loc);
        let len = loc.span().byte_len().and_then(|l| usize::try_from(l).ok()).unwrap_or(0);
        start..(start + len).min(self.text.len())
    }
}

/// Parses a user's file, turning a syntax error into a [`Problem`](crate::document::diag::Problem) at its place.
pub fn parse_file(
    file: &std::sync::Arc<crate::document::diag::SourceFile>,
) -> Result<Node, crate::document::diag::Problem> {
    parse(&file.text).map_err(|e| {
        crate::document::diag::Problem::new(file, e.offset..e.offset, format!("invalid YAML: {}", e.message), "here")
    })
}

/// The shape serde-saphyr fills; converted to [`Node`] right away so that no serde-saphyr type
/// leaves this module.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<RawNode>, Spanned<RawNode>)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_none<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
        Ok(RawNode::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
        Ok(RawNode::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RawNode, E> {
        // Values above i64::MAX only occur as typos in a rule file; keep them as text.
        Ok(i64::try_from(v).map_or_else(|_| RawNode::Str(v.to_string()), RawNode::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
        Ok(RawNode::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
        Ok(RawNode::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
        Ok(RawNode::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(RawNode::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_values_including_quotes() {
        let text = "a: 'x(y'\nb:\n  - 2409\n";
        let root = parse(text).unwrap();
        let Value::Map(entries) = &root.value else {
            panic!("not a map")
        };
        assert_eq!(&text[entries[0].1.span.clone()], "'x(y'");
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("not a seq")
        };
        assert_eq!(&text[items[0].span.clone()], "2409");
    }

    #[test]
    fn syntax_error_has_offset_and_short_message() {
        let err = parse("a: [1, 2\nb: x\n").unwrap_err();
        assert_eq!(err.offset, 10);
        assert!(err.message.contains("':'"), "{}", err.message);
        assert!(!err.message.starts_with("line"), "{}", err.message);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert!(err.message.contains("duplicate"), "{}", err.message);
    }

    #[test]
    fn non_ascii_before_value_keeps_byte_offsets_right() {
        let text = "é: 'ü'\nb: x\n";
        let root = parse(text).unwrap();
        let Value::Map(entries) = &root.value else { panic!() };
        assert_eq!(&text[entries[1].1.span.clone()], "x");
    }
}
