//! One rule, compiled: the fields every rule has (id, title, severity, kind, message, help,
//! url, tags, enabled), then the kind's own through the registry, with every mistake recorded.

use std::sync::Arc;

use super::{MAX_ID_LEN, Rule, When};
use crate::checks::evidence::LogEvidence;
use crate::checks::{Context, KINDS, Params};
use crate::document::diag::{Problem, SourceFile, did_you_mean, suggest};
use crate::document::fields::{Document, FieldDoc, Fields, mapping};
use crate::document::origin::Origin;
use crate::document::yaml::Node;
use crate::finding::Severity;
use crate::report::steps::{OTHER, step_of};
use crate::rules::waivers::BuiltIn;

pub(super) fn compile_rule(
    file: &Arc<SourceFile>,
    node: &Node,
    top_level_keys: &[usize],
    params: &Params,
    problems: &mut Vec<Problem>,
    docs: &mut Vec<FieldDoc>,
) -> Option<Rule> {
    let entries = match mapping(file, node, "a rule", "start a rule with `- id: NAME`") {
        Ok(entries) => entries,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let anchor = entries.first().map_or(node.span.clone(), |(k, _)| k.span.clone());
    let mut f = Context::new(Fields::new(file, Document::Rule, entries, anchor.clone()), params);
    let id = f.required_string(
        "id",
        "The rule's id: kebab-case, unique across the loaded files and stable forever, e.g. `id: sct-redist-download-failed`.",
    );
    let title = f.required_string("title", "The rule's title, one line.");
    let severity = f.required_string("severity", "How bad a finding is: `error`, `warning` or `note`.");
    let kind = f.required_string(
        "kind",
        &format!("What the rule checks: one of {}.", kind_names().join(", ")),
    );
    f.values("severity", Severity::NAMES.iter().copied());
    f.values("kind", kind_names());
    let message = f.string(
        "message",
        "What a finding says; `{name}` takes a named capture, a param or the kind's built-in value.",
    );
    let help = f.string("help", "What to do about a finding.");
    let url = f.string("url", "Where to read more.");
    let tags = f
        .strings("tags", "Labels for `--select tag:NAME` and `--ignore tag:NAME`.")
        .unwrap_or_default();
    let enabled = f
        .bool("enabled", "`false` keeps the rule loaded but does not run it.")
        .unwrap_or(true);

    if let Some(id) = &id {
        if id.value.len() > MAX_ID_LEN {
            f.problem_with_help(
                id.span.clone(),
                format!("rule id is {} bytes long", id.value.len()),
                "too long",
                format!("rule ids are at most {MAX_ID_LEN} bytes: they are typed in `--select` and waivers and shown in every report"),
            );
        } else if BuiltIn::of(&id.value).is_some() {
            f.problem_with_help(
                id.span.clone(),
                format!("rule id `{}` is reserved", id.value),
                "a built-in rule's id",
                format!(
                    "the built-in rules {} report on waivers; give the rule another id",
                    BuiltIn::ALL
                        .iter()
                        .map(|built_in| format!("`{}`", built_in.id()))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
        }
        let kebab = !id.value.is_empty()
            && id
                .value
                .split('-')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if id.value.len() <= MAX_ID_LEN && !kebab {
            f.problem_with_help(id.span.clone(), format!("rule id `{}` is not kebab-case", id.value), "not kebab-case", "ids use lower-case letters, digits and single dashes, e.g. `sct-redist-download-failed`; they are stable forever");
        }
    }
    let severity = severity.and_then(|s| match Severity::parse(&s.value) {
        Some(sev) => Some(sev),
        None => {
            let help = suggest(&s.value, Severity::NAMES.iter().copied(), || {
                "use `error`, `warning` or `note`".to_owned()
            });
            f.problem_with_help(
                s.span.clone(),
                format!("unknown severity `{}`", s.value),
                "not a severity",
                help,
            );
            None
        }
    });
    // A misspelt kind with a close match is judged as that kind, so the author sees every
    // other mistake of the rule in the same run; the rule itself is not loaded.
    let mut misspelt = false;
    let kind = kind.and_then(|k| match KINDS.iter().find(|kind| kind.name == k.value) {
        Some(kind) => Some(kind),
        None => {
            let help = suggest(&k.value, kind_names(), || format!("kinds: {}", kind_names().join(", ")));
            let close = did_you_mean(&k.value, kind_names());
            f.problem_with_help(
                k.span.clone(),
                format!("unknown rule kind `{}`", k.value),
                "not a kind",
                help,
            );
            misspelt = true;
            close.and_then(|close| KINDS.iter().find(|kind| kind.name == close))
        }
    });
    // Without a kind at all the other fields cannot be judged, so they are left alone rather
    // than all reported as unknown.
    let Some(kind) = kind else {
        problems.extend(f.into_fields().abandon());
        return None;
    };
    let check = (kind.compile)(&mut f);
    let when = LogEvidence::read(
        &mut f,
        "when-log",
        "when-entry",
        "the rule judges only once the snapshot shows that entry (or when the run asks for it with `--step` or `--select`), e.g. the post-upgrade rules wait for CMUpdate.log's `Configuration Manager v5\\.00 \\(Build {target_build}\\)`.",
    );
    let title = title.and_then(|t| f.with_params(&t));
    let help = help.and_then(|h| f.with_params(&h));
    let url = url.and_then(|u| {
        let text = f.with_params(&u)?;
        if let Err(why) = absolute_uri(&text) {
            f.problem_with_help(
                u.span.clone(),
                format!("`url` is not an absolute URI: {why}"),
                "not a URI",
                "write a web address such as https://learn.microsoft.com/...; encode a space as %20",
            );
        }
        Some(text)
    });
    let message = match (&message, &check) {
        (Some(m), Some(check)) => f.template(m, &check.placeholders()).map(Some),
        (None, _) => Some(None),
        (Some(_), None) => None,
    };
    *docs = f.docs().to_vec();
    problems.extend(f.into_fields().finish(&format!("a `{}` rule", kind.name)));
    if misspelt {
        return None;
    }

    let id = id?.value;
    let (line, _) = file.line_column(anchor.start);
    let tags: Vec<String> = tags.into_iter().map(|t| t.value).collect();
    let when = when?.map(|evidence| When {
        evidence,
        asked: None,
        how_to_ask: how_to_ask(&id, &tags),
    });
    Some(Rule {
        disabled: (!enabled).then(|| "disabled in its rule file (`enabled: false`)".to_owned()),
        when,
        id,
        kind: kind.name,
        severity: severity?,
        title: title?,
        message: message?,
        help: help.filter(|h| !h.trim().is_empty()).map(|h| h.trim_end().to_owned()),
        url,
        tags,
        origin: Origin::line(&file.name, line),
        definition: definition_text(file, anchor.start, top_level_keys),
        check: check?,
    })
}

/// `ask for it with --step post-upgrade (or --select tag:post-upgrade)`, or by its id for a
/// rule of no step.
fn how_to_ask(id: &str, tags: &[String]) -> String {
    let step = step_of(tags);
    if step.tag == OTHER.tag {
        format!("ask for it with --select {id}")
    } else {
        format!("ask for it with --step {0} (or --select tag:{0})", step.tag)
    }
}

fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

/// The rule's own lines: from its first key to the next rule (or the next top-level key),
/// without the common indentation.
fn definition_text(file: &SourceFile, start: usize, top_level_keys: &[usize]) -> String {
    let text = &file.text;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let after = &text[start..];
    // The next rule begins at a line whose first non-space character is `-` at the same
    // indentation as this rule's dash.
    let dash_indent = text[line_start..start].find('-').unwrap_or(0);
    let mut end = text.len();
    let mut offset = start + after.find('\n').map_or(after.len(), |i| i + 1);
    while offset < text.len() {
        let line = &text[offset..];
        let indent = line.len() - line.trim_start_matches(' ').len();
        let trimmed = line.trim_start_matches(' ');
        let next_rule = indent == dash_indent && trimmed.starts_with('-');
        if next_rule || top_level_keys.contains(&offset) {
            end = offset;
            break;
        }
        offset += line.find('\n').map_or(line.len(), |i| i + 1);
    }
    let block = text[line_start..end].trim_end();
    let indent = block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '-']).len())
        .min()
        .unwrap_or(0);
    block
        .lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a rule's `url` is an absolute URI (RFC 3986), as SARIF's `helpUri` must be and as
/// every report links it: a scheme, then only the characters a URI may hold, with `%` only
/// before two hex digits. Not a full parse: what a browser would refuse or correct (a space,
/// a non-ASCII letter, a control character) is what is refused.
fn absolute_uri(text: &str) -> Result<(), String> {
    let Some((scheme, rest)) = text.split_once(':') else {
        return Err("it has no scheme (`https:`)".to_owned());
    };
    let mut letters = scheme.chars();
    let scheme_ok = letters.next().is_some_and(|c| c.is_ascii_alphabetic())
        && letters.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(format!("`{}` is not a scheme", crate::document::text::visible(scheme)));
    }
    if rest.is_empty() {
        return Err("nothing follows the scheme".to_owned());
    }
    let bytes = rest.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let allowed = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return Err("a `%` is not followed by two hex digits".to_owned());
            }
        } else if !allowed {
            let c = rest[i..].chars().next().unwrap_or('?');
            return Err(format!("it holds {c:?}, which a URI may not"));
        }
    }
    Ok(())
}
