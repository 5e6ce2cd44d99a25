//! The `sitelint` binary: parses arguments, runs the library, and turns the outcome into an
//! exit code. A closed pipe (`sitelint check ... | head`) ends the run quietly with success.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use sitelint::cli::{self, Cli, Terminal};

/// A Windows console acts on escape sequences only once virtual-terminal mode is on (Windows
/// 10 and later can; an old console host cannot).
#[cfg(windows)]
fn terminal_acts_on_escapes() -> bool {
    anstyle_query::windows::enable_ansi_colors().unwrap_or(false)
}

#[cfg(not(windows))]
fn terminal_acts_on_escapes() -> bool {
    true
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let terminal = Terminal {
        stdout_is_tty: io::stdout().is_terminal(),
        stderr_is_tty: io::stderr().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        escapes: terminal_acts_on_escapes(),
        width: std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100),
    };
    let mut stdout = io::stdout().lock();
    let mut stderr = io::stderr().lock();
    let code = match cli::run(cli, terminal, &mut stdout, &mut stderr).and_then(|code| stdout.flush().map(|()| code)) {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => cli::EXIT_CLEAN,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            cli::EXIT_ERROR
        }
    };
    ExitCode::from(code)
}
