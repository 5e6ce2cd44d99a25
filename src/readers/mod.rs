//! The readers of what a snapshot holds, one module per kind of input: the tree walker and
//! listing reader, the log scanner, the parsers of the console and sites exports, the
//! endpoint lists and the registry exports. They know files and text, not rules or flags:
//! each source in `sources/` glues its reader to the rest, and the kinds in `checks/` read
//! what it returns.

pub mod console;
pub mod endpoints;
pub mod entry_time;
pub mod log;
pub mod registry;
pub mod sites;
pub mod tree;
