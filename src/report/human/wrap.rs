//! Wrapping for every table and diagnostic of the terminal report: at spaces, keeping code
//! spans, identifiers and URLs whole.

/// A code span longer than this is wrapped at its spaces after all: kept whole, it would run
/// past the edge of any terminal narrower than about 70 columns.
const LONGEST_UNBROKEN_CODE_SPAN: usize = 60;

/// Words for wrapping, as textwrap wants them: split at spaces, except inside a `code span`
/// (a command or a state name a user copies). With hyphenation off and long words never
/// broken, identifiers (`prerequisite-check-warning`) and URLs stay whole too.
pub(super) fn words_keeping_code_spans(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut in_code = false;
    let mut code_start = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' if !in_code => {
                // Only a span that closes, and is short enough, is kept whole.
                let close = line[i + 1..].find('`').map(|n| i + 1 + n);
                if close.is_some_and(|c| c - i <= LONGEST_UNBROKEN_CODE_SPAN) {
                    in_code = true;
                    code_start = i;
                }
            }
            b'`' if in_code && i > code_start => in_code = false,
            b' ' if !in_code => {
                let mut end = i;
                while end < bytes.len() && bytes[end] == b' ' {
                    end += 1;
                }
                words.push(textwrap::core::Word::from(&line[start..end]));
                start = end;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if start < line.len() {
        words.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

/// `text` wrapped to `width` by the rules of the diagnostics (code spans, identifiers and URLs
/// whole), the first line after `initial`, the others after `subsequent`.
pub fn wrap(text: &str, width: usize, initial: &str, subsequent: &str) -> String {
    let options = textwrap::Options::new(width)
        .initial_indent(initial)
        .subsequent_indent(subsequent)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .word_separator(textwrap::WordSeparator::Custom(words_keeping_code_spans));
    textwrap::fill(text, options)
}
