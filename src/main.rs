//! The `sitelint` binary: parses arguments, runs the library, and turns the outcome into an
//! exit code. A closed pipe (`sitelint check ... | head`) only stops standard output: the run
//! goes on, writes the report files it was asked for and ends with its own exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use sitelint::cli::{self, Cli, ColorChoice, Terminal};

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

/// What the environment asks of colour, in the order the conventions rank them: NO_COLOR
/// (no-color.org) first, then the forcing variables, then CLICOLOR=0 and a dumb terminal.
fn color_from_environment() -> ColorChoice {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let forced = |name: &str| set(name).is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"));
    if set("NO_COLOR").is_some() {
        ColorChoice::Never
    } else if forced("CLICOLOR_FORCE") || forced("FORCE_COLOR") {
        ColorChoice::Always
    } else if set("CLICOLOR").as_deref() == Some("0") || set("TERM").as_deref() == Some("dumb") {
        ColorChoice::Never
    } else {
        ColorChoice::Auto
    }
}

/// `COLUMNS` when set, else the terminal's own width (stdout, then stderr), else 100.
fn terminal_width() -> usize {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w| w > 0);
    let from_terminal = || {
        terminal_size::terminal_size_of(io::stdout())
            .or_else(|| terminal_size::terminal_size_of(io::stderr()))
            .map(|(terminal_size::Width(w), _)| usize::from(w))
    };
    from_env.or_else(from_terminal).unwrap_or(100)
}

/// Standard output that its reader may close early: past a closed pipe, what is written is
/// dropped instead of failing the run (which would lose the report files not yet written and
/// turn the exit code into a pipe's).
struct UntilClosed<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> UntilClosed<W> {
    fn absorb(&mut self, result: io::Result<()>) -> io::Result<()> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

impl<W: Write> Write for UntilClosed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.closed {
            let written = self.inner.write_all(buf);
            self.absorb(written)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let flushed = self.inner.flush();
        self.absorb(flushed)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    let terminal = Terminal {
        stdout_is_tty: io::stdout().is_terminal(),
        stderr_is_tty: io::stderr().is_terminal(),
        env_color: color_from_environment(),
        escapes: terminal_acts_on_escapes(),
        width: terminal_width(),
        width_asked: std::env::var("COLUMNS").is_ok_and(|c| c.parse::<usize>().is_ok_and(|w| w > 0)),
    };
    let mut stdout = UntilClosed {
        inner: io::stdout().lock(),
        closed: false,
    };
    let mut stderr = io::stderr().lock();
    let code = match cli::run(cli, terminal, &mut stdout, &mut stderr).and_then(|code| stdout.flush().map(|()| code)) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            cli::EXIT_ERROR
        }
    };
    ExitCode::from(code)
}
