//! The report's style sheet, inline: the file loads nothing.

/// The grid of a check of several snapshots, added to [`STYLE`] there only.
pub(super) const GRID_STYLE: &str = "
.grid td.failed { color: var(--fail); font-weight: 600; } .grid td.passed { color: var(--pass); } .grid td.not-evaluated { color: var(--gap); }
@media print { .snapshot { break-before: page; } }
";

/// Plain, readable without colours (every status is also a word); a step with findings starts
/// a printed page, the others follow on.
/// `overflow-wrap: anywhere` on the body, inherited by everything: a path, a host or a log
/// line without a space breaks where it must instead of running off the page (and, in a table
/// cell, the cell's narrowest width no longer grows with it).
pub(super) const STYLE: &str = "
:root { color-scheme: light; --fail: #b3261e; --warn: #8a5300; --pass: #1e6b2f; --gap: #5f6368; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 70rem; padding: 1rem 1.5rem; color: #1b1b1b; background: #fff; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; margin: 0.2rem 0; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 1.6rem; }
h3 { font-size: 1rem; margin: 0 0 0.3rem; }
code, pre { font-family: ui-monospace, Consolas, 'DejaVu Sans Mono', monospace; font-size: 0.9em; }
.verdict { font-size: 1.15rem; font-weight: 600; padding: 0.5rem 0.8rem; border-left: 0.4rem solid; margin: 0.4rem 0 0; }
.verdict.failed { border-color: var(--fail); } .verdict.passed { border-color: var(--pass); } .verdict.not-evaluated { border-color: var(--gap); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
dt { font-weight: 600; } dd { margin: 0; } dd ul { margin: 0; padding-left: 1.1rem; }
.origin, .place, .none { color: #555; }
.board { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(12.5rem, 1fr)); gap: 0.6rem; }
.step-card a { display: block; height: 100%; box-sizing: border-box; padding: 0.6rem 0.7rem; border: 1px solid #bbb; border-top: 0.35rem solid var(--gap); color: inherit; text-decoration: none; }
.step-card.failed a { border-top-color: var(--fail); } .step-card.passed a { border-top-color: var(--pass); }
.step-card span { display: block; } .step-title { font-weight: 600; } .step-card .place { font-size: 0.85em; }
.status { text-transform: uppercase; font-size: 0.8em; font-weight: 700; letter-spacing: 0.04em; }
.failed > .status, .failed .status { color: var(--fail); } .passed .status { color: var(--pass); } .not-evaluated .status { color: var(--gap); }
.finding { border: 1px solid #ccc; border-left: 0.35rem solid var(--fail); padding: 0.6rem 0.8rem; margin: 0.7rem 0; break-inside: avoid; }
.finding.warning { border-left-color: var(--warn); } .finding.note { border-left-color: var(--gap); }
.severity { font-size: 0.8em; font-weight: 700; letter-spacing: 0.04em; }
.error .severity { color: var(--fail); } .warning .severity { color: var(--warn); }
.new { font-size: 0.8em; font-weight: 700; border: 1px solid currentColor; padding: 0 0.3em; }
.message { margin: 0.2rem 0; font-weight: 500; } .location { margin: 0.2rem 0; color: #333; }
.excerpt { margin: 0.4rem 0; } .excerpt pre { margin: 0; padding: 0.5rem; background: #f4f4f4; border: 1px solid #ddd; white-space: pre-wrap; }
.excerpt figcaption { font-size: 0.85em; color: #555; }
mark { background: #ffe08a; color: inherit; font-weight: 700; text-decoration: underline; text-decoration-thickness: 2px; }
.occurrences { margin: 0.3rem 0; padding-left: 1.4rem; } .occurrences li { margin: 0.3rem 0; } .count { font-weight: 400; color: #555; }
.help { margin: 0.3rem 0; } .url { margin: 0; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; } th, td { text-align: left; vertical-align: top; border: 1px solid #ccc; padding: 0.25rem 0.5rem; }
thead th { background: #f0f0f0; }
.counts span { white-space: nowrap; }
tr.failed td:nth-child(3) { color: var(--fail); font-weight: 600; }
footer { margin-top: 2rem; font-size: 0.85em; color: #555; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
  .step.paged { break-before: page; }
  .finding, .occurrences li, tr, .step-card { break-inside: avoid; }
  .excerpt pre { background: none; }
  mark { background: none; }
}
";
