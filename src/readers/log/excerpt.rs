//! What a match looks like in a report: its line and columns, captures, the clipped text,
//! and an excerpt of its entry with the match marked and the entry's component and time.

use std::ops::Range;

use regex::bytes::Regex;

use super::LogMatch;
use super::normalize::original_in;
use crate::finding::Excerpt;

/// Longest match shown before it is clipped, in bytes.
const EXCERPT_WIDTH: usize = 160;

/// Characters of the line kept on each side of the match. A report that is not a terminal
/// (JSON, HTML, a redirected terminal report) shows the line whole, so this bounds only a
/// hostile line (a megabyte of one line), never a log's real one: a cut at 80 bytes hid the
/// end of a CP932 line (a Japanese destination folder) that no one could scroll to. A
/// terminal clips to its own width when it draws the excerpt.
const CONTEXT_CHARS: usize = 400;

/// One entry as patterns match it (folded, see `normalize`) and as the log holds it.
pub(super) struct EntryText<'e> {
    pub matched: &'e [u8],
    pub original: &'e [u8],
}

impl EntryText<'_> {
    /// The range in the original entry of a range in the matched one.
    pub(super) fn original_range(&self, range: Range<usize>) -> Range<usize> {
        if self.matched.len() == self.original.len() {
            return range;
        }
        original_in(self.original, self.matched, range.start)..original_in(self.original, self.matched, range.end)
    }
}

/// Describes a match found in the folded entry, from the entry's original text: a report
/// shows the line as the log wrote it.
pub(super) fn describe_match(
    entry: &EntryText<'_>,
    entry_line: u64,
    regex: &Regex,
    captures: &regex::bytes::Captures<'_>,
) -> LogMatch {
    let original = entry.original;
    let whole = entry.original_range(captures.get(0).map_or(0..0, |m| m.range()));
    let line_start = memchr::memrchr(b'\n', &original[..whole.start]).map_or(0, |i| i + 1);
    let line = entry_line + memchr::memchr_iter(b'\n', &original[..line_start]).count() as u64 + 1;
    let column = char_count(&original[line_start..whole.start]) + 1;
    let end_column = (!original[whole.clone()].contains(&b'\n')).then(|| column + char_count(&original[whole.clone()]));
    let named = regex
        .capture_names()
        .enumerate()
        .filter_map(|(i, name)| Some((name?, captures.get(i)?)))
        .map(|(name, m)| (name.to_owned(), clip_text(&original[entry.original_range(m.range())])))
        .collect();
    LogMatch {
        message: entry_message(original),
        line,
        column,
        end_column,
        // Set by the scanner, which knows how the text was decoded.
        byte_range: None,
        captures: named,
        matched: clip_text(&original[whole.clone()]),
        excerpt: excerpt(original, line_start, whole, line),
    }
}

/// Characters in UTF-8 bytes (invalid bytes count one each, as they render as U+FFFD).
pub(super) fn char_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| !(0x80..0xC0).contains(&b)).count() as u64
}

/// Matched or captured text for messages: lossy, CR/LF-free, at most 200 characters.
fn clip_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches(['\r', '\n']);
    let mut out: String = text.chars().take(200).collect();
    if text.chars().nth(200).is_some() {
        out.push('…');
    }
    out
}

/// The lines of the match, clipped around it when they are long, with the match highlighted.
fn excerpt(entry: &[u8], line_start: usize, whole: Range<usize>, line: u64) -> Excerpt {
    let line_end = memchr::memchr(b'\n', &entry[whole.end.max(line_start)..])
        .map_or(entry.len(), |i| whole.end.max(line_start) + i);
    let mut from = line_start;
    let mut to = line_end;
    while to > from && matches!(entry[to - 1], b'\r' | b'\n') {
        to -= 1;
    }
    // A match may lie in the line end that is not shown (`\z` or `x?$` after a final CR):
    // it is drawn as an empty mark where the shown line ends.
    let whole = whole.start.min(to)..whole.end.min(to).max(whole.start.min(to));
    let mut highlight_end = whole.end;
    let clipped_match = highlight_end - whole.start > EXCERPT_WIDTH;
    if clipped_match {
        highlight_end = char_floor(entry, whole.start + EXCERPT_WIDTH);
    }
    let clip_left = char_count(&entry[from..whole.start]) > CONTEXT_CHARS as u64;
    if clip_left {
        from = chars_before(entry, whole.start, CONTEXT_CHARS);
    }
    let clip_right = char_count(&entry[highlight_end..to.max(highlight_end)]) > CONTEXT_CHARS as u64;
    if clip_right {
        to = chars_after(entry, highlight_end, CONTEXT_CHARS);
    }
    let mut text = String::new();
    if clip_left {
        text.push('…');
    }
    // Carriage returns go before the highlight is measured: one in the middle of a line
    // (`service.\r*ERROR`) used to shift the underline off the match.
    let push = |text: &mut String, bytes: &[u8]| text.push_str(&String::from_utf8_lossy(bytes).replace('\r', ""));
    push(&mut text, &entry[from..whole.start]);
    let start = text.len();
    push(&mut text, &entry[whole.start..highlight_end]);
    if clipped_match {
        text.push('…');
    }
    let end = text.len();
    if !clipped_match {
        push(&mut text, &entry[highlight_end..to.max(highlight_end)]);
    }
    if clip_right || (clipped_match && to < line_end) {
        text.push('…');
    }
    Excerpt {
        text,
        first_line: line,
        highlight: start..end,
        label: entry_context(entry),
    }
}

/// Moves a byte index back to the start of a UTF-8 character.
/// The byte offset `n` characters after `at` (a character starts at a non-continuation byte).
fn chars_after(bytes: &[u8], at: usize, n: usize) -> usize {
    bytes[at..]
        .iter()
        .enumerate()
        .filter(|&(_, b)| !(0x80..0xC0).contains(b))
        .nth(n)
        .map_or(bytes.len(), |(i, _)| at + i)
}

/// The byte offset `n` characters before `at`.
fn chars_before(bytes: &[u8], at: usize, n: usize) -> usize {
    bytes[..at]
        .iter()
        .enumerate()
        .rev()
        .filter(|&(_, b)| !(0x80..0xC0).contains(b))
        .nth(n - 1)
        .map_or(0, |(i, _)| i)
}

fn char_floor(bytes: &[u8], mut i: usize) -> usize {
    while i > 0 && i < bytes.len() && (0x80..0xC0).contains(&bytes[i]) {
        i -= 1;
    }
    i
}

/// What an entry says, without its writer's layout (the layouts [`entry_context`] reads): a
/// CMTrace record's message, a legacy line before its `$$<...>` suffix, the message column of
/// a line copied out of CMTrace, a line after its time prefix. One line, clipped as matched
/// text is.
pub(super) fn entry_message(entry: &[u8]) -> String {
    let text = String::from_utf8_lossy(entry);
    let message = if let (Some(open), Some(close)) = (text.find("<![LOG["), text.rfind("]LOG]!>")) {
        text.get(open + 7..close).unwrap_or_default()
    } else if let Some(suffix) = text.rfind("$$<") {
        &text[..suffix]
    } else {
        let line = text.lines().next().unwrap_or_default();
        let columns: Vec<&str> = line
            .split('\t')
            .map(str::trim)
            .filter(|c| !c.is_empty() && !is_thread_column(c))
            .collect();
        match columns[..] {
            [message, _, date, ..] if starts_with_date(date) => message,
            _ => match time_prefix(line) {
                Some(stamp) => line[line.find(stamp).map_or(0, |i| i + stamp.len())..].trim_start_matches('>'),
                None => line,
            },
        }
    };
    let one_line: Vec<&str> = message
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    clip_text(
        one_line
            .join(" ")
            .trim_matches(|c: char| c.is_whitespace() || c == '~')
            .as_bytes(),
    )
}

/// The component and time an entry carries, in every layout real logs and pasted excerpts
/// have:
/// - CMTrace records, `<![LOG[...]LOG]!><time="15:10:23.450+300" date="12-17-2024"
///   component="X" ...>`, the bias with or without a space before it (`13:36:23.185 -480`);
/// - legacy lines, `message  $$<Component><12-17-2024 15:03:13.201+300><thread=4580 (0x11E4)>`,
///   with or without the thread part, the bias in two or three digits;
/// - lines copied out of CMTrace, TAB-separated `message, component, date, thread`, the date in
///   the admin's locale (`3/13/2019 3:48:35 PM`, `28/06/2021 15:27:16`), and a stray thread
///   column at the start;
/// - a time prefix, `2024-11-19 12:20:42 INFO:...` (ServiceConnectionTool.log) or
///   `<04-19-2012 10:00:00> ...` (old ConfigMgrPrereq.log).
pub fn entry_context(entry: &[u8]) -> String {
    let text = String::from_utf8_lossy(entry);
    if let Some(attrs) = text.rfind("]LOG]!>").map(|i| &text[i..]) {
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            let start = attrs.find(&key)? + key.len();
            let len = attrs[start..].find('"')?;
            Some(attrs[start..start + len].to_owned()).filter(|v| !v.is_empty())
        };
        let time = match (attr("date"), attr("time")) {
            (Some(d), Some(t)) => Some(format!("{d} {t}")),
            (d, t) => d.or(t),
        };
        return join_context(attr("component"), time);
    }
    if let Some(tail) = text.rfind("$$<").map(|i| &text[i + 3..]) {
        let mut fields = tail.split("><").map(|f| f.trim_end_matches(['>', '\r', '\n']));
        let component = fields.next().map(str::to_owned).filter(|c| !c.is_empty());
        let time = fields
            .next()
            .map(str::to_owned)
            .filter(|t| !t.is_empty() && !t.starts_with("thread="));
        return join_context(component, time);
    }
    let line = text.lines().next().unwrap_or_default();
    if let Some(context) = copied_columns(line) {
        return context;
    }
    join_context(None, time_prefix(line).map(str::to_owned))
}

/// `message TAB component TAB date [TAB thread]`, as CMTrace copies a line, with any thread
/// column left out; `None` unless the last two columns left are a component and a date.
fn copied_columns(line: &str) -> Option<String> {
    let columns: Vec<&str> = line
        .split('\t')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !is_thread_column(c))
        .collect();
    let [.., component, date] = columns[..] else {
        return None;
    };
    (columns.len() >= 3 && starts_with_date(date))
        .then(|| join_context(Some(component.to_owned()), Some(date.to_owned())))
}

/// `4580 (0x11E4)`: CMTrace's thread column.
fn is_thread_column(column: &str) -> bool {
    let Some((id, hex)) = column.split_once(" (0x") else {
        return false;
    };
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && hex
            .strip_suffix(')')
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A date in any order and separator (`3/13/2019`, `28/06/2021`, `2024-11-19`,
/// `12-17-2024`, `19.11.2024`) followed by a time.
fn starts_with_date(text: &str) -> bool {
    let Some((date, time)) = text.split_once(' ') else {
        return false;
    };
    let parts: Vec<&str> = date.split(['/', '-', '.']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| (1..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        && time.split(':').count() >= 2
        && time.starts_with(|c: char| c.is_ascii_digit())
}

/// The date and time at the start of a line: `2024-11-19 12:20:42 ` or `<04-19-2012 10:00:00> `.
fn time_prefix(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix('<') {
        let stamp = &rest[..rest.find('>')?];
        return starts_with_date(stamp).then_some(stamp);
    }
    // `YYYY-MM-DD HH:MM:SS`: the date, a space, and the time up to the next space.
    let mut words = line.splitn(3, ' ');
    let (date, time) = (words.next()?, words.next()?);
    let stamp = &line[..date.len() + 1 + time.len()];
    (starts_with_date(stamp) && time.bytes().all(|b| b.is_ascii_digit() || b == b':' || b == b'.')).then_some(stamp)
}

fn join_context(component: Option<String>, time: Option<String>) -> String {
    match (component, time) {
        (Some(c), Some(t)) => format!("{c} · {t}"),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => "matched here".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::entry_context;

    #[test]
    fn every_real_layout_gives_its_component_and_time() {
        let cases: &[(&str, &str)] = &[
            // Legacy lines: no thread part, a two-digit bias, a message starting with `~`.
            (
                "~Setup failed to configure SQL Service Broker.  $$<Configuration Manager Setup><09-11-2026 08:55:59.872+240>\r\n",
                "Configuration Manager Setup · 09-11-2026 08:55:59.872+240",
            ),
            (
                "INFO: Setup downloader setupdl.exe: STARTED  $$<Configuration Manager Setup><11-19-2024 11:53:40.128+00><thread=6212 (0x1844)>",
                "Configuration Manager Setup · 11-19-2024 11:53:40.128+00",
            ),
            // CMTrace with a space before the bias.
            (
                "<![LOG[Download manifest.cab~~]LOG]!><time=\"13:36:23.185 -480\" date=\"8-2-2016\" component=\"SMS_DMP_DOWNLOADER\" context=\"\" type=\"1\" thread=\"7568\" file=\"\">",
                "SMS_DMP_DOWNLOADER · 8-2-2016 13:36:23.185 -480",
            ),
            // Copied out of CMTrace, in two locales.
            (
                "Download manifest.cab\tSMS_DMP_DOWNLOADER\t8/2/2016 2:20:24 PM\t7568 (0x1D90)\r\n",
                "SMS_DMP_DOWNLOADER · 8/2/2016 2:20:24 PM",
            ),
            (
                "ERROR: Download() failed with 0x80072ee2\tConfiguration Manager Setup\t28/06/2021 15:27:16\t4580 (0x11E4)",
                "Configuration Manager Setup · 28/06/2021 15:27:16",
            ),
            // A stray thread column at the start, before the copied columns.
            (
                "4580 (0x11e4)\tINFO: Verifying signature for file 'x.msi'\tConfiguration Manager Setup\t3/13/2019 3:48:35 PM\t4580 (0x11e4)",
                "Configuration Manager Setup · 3/13/2019 3:48:35 PM",
            ),
            // Time prefixes.
            (
                "2024-11-19 12:20:42 INFO:Successfully download redist for 5B8886C7-F967-4F8A-92AA-009E28368853\r\n",
                "2024-11-19 12:20:42",
            ),
            (
                "<04-19-2012 10:00:00> site01.contoso.com;    Pending system restart;    Warning;    A system restart is pending.",
                "04-19-2012 10:00:00",
            ),
        ];
        for (entry, label) in cases {
            assert_eq!(entry_context(entry.as_bytes()), *label, "{entry}");
        }
    }

    #[test]
    fn plain_lines_and_look_alikes_have_no_context() {
        for entry in [
            "ERROR:Failed to download redist for 5B8886C7-F967-4F8A-92AA-009E28368853",
            "4580 (0x11e4)    INFO: Verifying signature for file 'x.msi'",
            "site01;    Pending system restart;    Warning;    A system restart is pending.",
            "a\tb\tnot a date",
            "2409 is ready",
        ] {
            assert_eq!(entry_context(entry.as_bytes()), "matched here", "{entry}");
        }
    }
}

#[cfg(test)]
mod message_tests {
    use super::entry_message;

    #[test]
    fn an_entrys_message_is_read_out_of_every_layout() {
        for (entry, message) in [
            (
                "ERROR: Failed to process configuration manager update.~~  $$<CONFIGURATION_MANAGER_UPDATE><12-18-2024 09:12:45.332+300><thread=4116 (0x1014)>\r\n",
                "ERROR: Failed to process configuration manager update.",
            ),
            (
                "<![LOG[Failed to call Initialize.\nsecond line]LOG]!><time=\"15:10:23.450+300\" date=\"12-17-2024\" component=\"SMS_DMP_DOWNLOADER\" context=\"\" type=\"3\" thread=\"1\" file=\"\">",
                "Failed to call Initialize. second line",
            ),
            (
                "Failed to calculate hash\tSMS_HIERARCHY_MANAGER\t12/19/2016 5:15:34 PM\t13688 (0x3578)\n",
                "Failed to calculate hash",
            ),
            (
                "2024-11-19 12:20:42 ERROR:Failed to download redist\n",
                "ERROR:Failed to download redist",
            ),
            ("plain line\n", "plain line"),
        ] {
            assert_eq!(entry_message(entry.as_bytes()), message, "{entry}");
        }
    }
}
