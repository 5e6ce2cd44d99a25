//! `{name}` templates in rule strings: a named capture, a ruleset param or a kind's built-in
//! value, optionally through a filter (`{code|hresult}` explains a Windows error code).
//! `{{` and `}}` stand for literal braces.

use std::collections::BTreeMap;

use crate::checks::hresult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `range`: the placeholder's bytes in the template text, braces included.
    Value {
        name: String,
        filter: Option<Filter>,
        range: std::ops::Range<usize>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    Hresult,
}

const FILTERS: &[&str] = &["hresult"];

/// A template error, at a byte range of the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub range: std::ops::Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text.char_indices().peekable();
        while let Some((i, c)) = rest.next() {
            match c {
                '{' if rest.peek().is_some_and(|&(_, n)| n == '{') => {
                    rest.next();
                    literal.push('{');
                }
                '}' if rest.peek().is_some_and(|&(_, n)| n == '}') => {
                    rest.next();
                    literal.push('}');
                }
                '{' => {
                    let Some(close) = text[i..].find('}').map(|j| i + j) else {
                        return Err(TemplateError {
                            range: i..text.len(),
                            message: "unclosed `{` in template".into(),
                            help: Some("write `{{` for a literal brace".into()),
                        });
                    };
                    let inner = &text[i + 1..close];
                    let (name, filter) = match inner.split_once('|') {
                        Some((name, filter)) => (name.trim(), Some(filter.trim())),
                        None => (inner.trim(), None),
                    };
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                        return Err(TemplateError {
                            range: i..close + 1,
                            message: format!("`{{{inner}}}` is not a placeholder name"),
                            help: Some("placeholders look like `{name}`; write `{{` for a literal brace".into()),
                        });
                    }
                    let filter = match filter {
                        None => None,
                        Some("hresult") => Some(Filter::Hresult),
                        Some(other) => {
                            return Err(TemplateError {
                                range: i..close + 1,
                                message: format!("unknown filter `{other}`"),
                                help: Some(format!("known filters: {}", FILTERS.join(", "))),
                            });
                        }
                    };
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Value {
                        name: name.to_owned(),
                        filter,
                        range: i..close + 1,
                    });
                    while rest.peek().is_some_and(|&(j, _)| j <= close) {
                        rest.next();
                    }
                }
                '}' => {
                    return Err(TemplateError {
                        range: i..i + 1,
                        message: "unmatched `}` in template".into(),
                        help: Some("write `}}` for a literal brace".into()),
                    });
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template { parts })
    }

    /// Placeholder names with their byte range in the template text, for validation.
    pub fn names_with_ranges(&self) -> impl Iterator<Item = (&str, std::ops::Range<usize>)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Value { name, range, .. } => Some((name.as_str(), range.clone())),
            Part::Literal(_) => None,
        })
    }

    /// Renders with `lookup`; a name it does not know renders as empty (an optional capture
    /// group that did not take part in the match).
    pub fn render(&self, lookup: impl Fn(&str) -> Option<String>) -> String {
        self.render_within(usize::MAX, lookup)
    }

    /// Renders a finding's message from a map of values, cut at [`MAX_MESSAGE_BYTES`] with a
    /// note that says so: a rule file may repeat a placeholder thousands of times over a
    /// capture of a whole log line, which would otherwise build gigabytes.
    pub fn render_message(&self, values: &BTreeMap<String, String>) -> String {
        let mut out = self.render_within(MAX_MESSAGE_BYTES, |name| values.get(name).cloned());
        if out.len() > MAX_MESSAGE_BYTES {
            let mut end = MAX_MESSAGE_BYTES;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
            out.push_str(CUT_NOTE);
        }
        out
    }

    /// Renders until the text is longer than `limit`, then stops.
    fn render_within(&self, limit: usize, lookup: impl Fn(&str) -> Option<String>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            if out.len() > limit {
                break;
            }
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Value { name, filter, .. } => {
                    let value = lookup(name).unwrap_or_default();
                    match filter {
                        None => out.push_str(&value),
                        Some(Filter::Hresult) => out.push_str(&hresult::explain(&value)),
                    }
                }
            }
        }
        out
    }
}

/// The longest message a rule's template renders to, in bytes: a screenful, far past any
/// message a person reads whole.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;

/// What ends a message that was cut.
const CUT_NOTE: &str = " [message cut at 8 KiB]";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_values_filters_and_escaped_braces() {
        let t = Template::parse("{{x}} update {package} failed with {code|hresult}").unwrap();
        let mut values = BTreeMap::new();
        values.insert("package".to_owned(), "AA92".to_owned());
        values.insert("code".to_owned(), "0x80072ee2".to_owned());
        assert_eq!(
            t.render_message(&values),
            "{x} update AA92 failed with 0x80072EE2 (ERROR_WINHTTP_TIMEOUT: the request timed out)"
        );
    }

    #[test]
    fn reports_where_a_template_is_wrong() {
        let err = Template::parse("ok {pkg|upper}").unwrap_err();
        assert_eq!(err.range, 3..14);
        assert!(err.message.contains("upper"));
        assert_eq!(Template::parse("a {b").unwrap_err().range, 2..4);
        assert_eq!(Template::parse("a } b").unwrap_err().range, 2..3);
    }

    #[test]
    fn lists_names_with_positions() {
        let text = "for {package} at {path}";
        let t = Template::parse(text).unwrap();
        let names: Vec<_> = t.names_with_ranges().collect();
        assert_eq!(names, vec![("package", 4..13), ("path", 17..23)]);
    }

    #[test]
    fn a_message_is_cut_at_its_limit_and_says_so() {
        let text = "{x}".repeat(10_000);
        let t = Template::parse(&text).unwrap();
        let values = BTreeMap::from([("x".to_owned(), "é".repeat(150_000))]);
        let message = t.render_message(&values);
        assert!(message.len() <= MAX_MESSAGE_BYTES + CUT_NOTE.len(), "{}", message.len());
        assert!(message.ends_with("é [message cut at 8 KiB]"));
        let short = Template::parse("{x} and {x}").unwrap();
        let values = BTreeMap::from([("x".to_owned(), "AA92".to_owned())]);
        assert_eq!(short.render_message(&values), "AA92 and AA92");
    }

    /// Found while writing the template fuzz target: the range was looked up by searching the
    /// text for `{name`, which lands on an escaped `{{name}}` before the placeholder, so the
    /// caret of an unknown placeholder could point at the literal.
    #[test]
    fn a_placeholder_after_its_escaped_twin_keeps_its_own_range() {
        let text = "{{package}} {package} {pkg}";
        let t = Template::parse(text).unwrap();
        let names: Vec<_> = t.names_with_ranges().collect();
        assert_eq!(names, vec![("package", 12..21), ("pkg", 22..27)]);
    }
}
