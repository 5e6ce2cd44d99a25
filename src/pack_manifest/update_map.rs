//! `update.map`, the payload's list of its files (extracted from the signed
//! `SMSSetup\update.map.cab`): text in sections, a `BEGIN_DIRECTORY` whose next line names the
//! directory (`<bin\x64>`), then `FILEEX <name><flag><size><SHA256><hex>` lines (a real
//! excerpt is in `../shared/reference/pack-verification.md`). Only the `FILEEX` fields and the
//! directory are read; the other lines have no documented meaning and are skipped.
//!
//! Where the directories are is not documented: they are taken relative to the folder that
//! holds `update.map`, and a file that is a 0-byte placeholder there (normal under
//! `SMSSetup\`: CMUpdate then takes the file from the payload's `redist` folder, as its log
//! shows with `Expected hash` and `Actual hash:E3B0C442...`) is looked for in `../redist/`.

use super::{Listed, Listing, MAX_ENTRIES, relative, sha256};

pub(super) fn parse(bytes: &[u8]) -> Result<Listing, String> {
    let text = crate::document::text::decode(bytes, None).text;
    let mut listing = Listing {
        files: Vec::new(),
        unusable: 0,
    };
    let mut directory = String::new();
    let mut directory_next = false;
    let mut seen = 0usize;
    for line in text.lines() {
        let line = line.trim();
        if directory_next {
            directory_next = false;
            if let [name] = fields(line).as_slice() {
                directory = name.to_string();
                continue;
            }
        }
        if line.eq_ignore_ascii_case("BEGIN_DIRECTORY") {
            directory_next = true;
            continue;
        }
        if line.eq_ignore_ascii_case("END_DIRECTORY") {
            directory.clear();
            continue;
        }
        let Some(rest) = line.strip_prefix("FILEEX") else {
            continue;
        };
        seen += 1;
        let entry = match fields(rest).as_slice() {
            [name, _flag, size, algorithm, hash] if algorithm.eq_ignore_ascii_case("SHA256") => {
                let path = relative(&format!("{directory}\\{name}"));
                let fallback = relative(name).map(|n| format!("../redist/{n}"));
                match (path, size.parse::<u64>().ok(), sha256(hash)) {
                    (Some(path), Some(size), Some(sha256)) => Some(Listed {
                        path,
                        sha256,
                        size: Some(size),
                        fallback,
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        match entry {
            Some(entry) if listing.files.len() < MAX_ENTRIES => listing.files.push(entry),
            _ => listing.unusable += 1,
        }
    }
    if seen == 0 {
        return Err("it has no `FILEEX <name><flag><size><SHA256><hash>` lines: not the known update.map".to_owned());
    }
    Ok(listing)
}

/// The `<...>` fields of a line, in order; text between them is ignored.
fn fields(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else { break };
        out.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    out
}
