//! A one-line progress bar on stderr for long work (hashing a tree, probing endpoints), drawn
//! only on a terminal and at most ten times a second.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::time::{Duration, Instant};

use crate::collect::Progress;

pub(super) struct Bar<'w> {
    out: RefCell<&'w mut dyn Write>,
    width: usize,
    /// The terminal erases a line on `ESC [2K`; without it, a shorter line is padded instead.
    escapes: bool,
    task: RefCell<String>,
    total: Cell<u64>,
    done: Cell<u64>,
    drawn: Cell<Option<Instant>>,
}

impl<'w> Bar<'w> {
    pub(super) fn new(out: &'w mut dyn Write, width: usize, escapes: bool) -> Self {
        Bar {
            out: RefCell::new(out),
            width,
            escapes,
            task: RefCell::new(String::new()),
            total: Cell::new(0),
            done: Cell::new(0),
            drawn: Cell::new(None),
        }
    }

    fn draw(&self) {
        let (done, total) = (self.done.get(), self.total.get().max(1));
        let task = self.task.borrow();
        let label = format!("{task} {}%", done.min(total) * 100 / total);
        let cells = self.width.saturating_sub(label.chars().count() + 4).min(40);
        let filled = (done.min(total) as usize * cells) / total as usize;
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(cells - filled));
        // A failed write to a terminal is not worth failing the collection for.
        let _ = write!(self.out.borrow_mut(), "{}{label} [{bar}]", self.erase());
        let _ = self.out.borrow_mut().flush();
    }

    /// Back to the start of the line, with the line emptied.
    fn erase(&self) -> String {
        if self.escapes {
            "\r\x1b[2K".to_owned()
        } else {
            format!("\r{}\r", " ".repeat(self.width.saturating_sub(1)))
        }
    }
}

impl Progress for Bar<'_> {
    fn begin(&self, task: &str, total: u64) {
        *self.task.borrow_mut() = task.to_owned();
        self.total.set(total);
        self.done.set(0);
        self.drawn.set(None);
    }

    fn advance(&self, amount: u64) {
        self.done.set(self.done.get() + amount);
        let due = self
            .drawn
            .get()
            .is_none_or(|at| at.elapsed() >= Duration::from_millis(100));
        if due {
            self.drawn.set(Some(Instant::now()));
            self.draw();
        }
    }

    fn end(&self) {
        if self.drawn.get().is_some() {
            let _ = write!(self.out.borrow_mut(), "{}", self.erase());
            let _ = self.out.borrow_mut().flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(escapes: bool) -> String {
        let mut out = Vec::new();
        {
            let bar = Bar::new(&mut out, 60, escapes);
            bar.begin("hashing tree updatepack", 200);
            bar.advance(100);
            bar.end();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_console_without_escapes_gets_plain_redraws() {
        let plain = drawn(false);
        assert!(!plain.contains('\x1b'), "{plain:?}");
        assert!(plain.contains("\rhashing tree updatepack 50% ["), "{plain:?}");
        assert!(plain.ends_with(&format!("\r{}\r", " ".repeat(59))));
        assert!(drawn(true).starts_with("\r\x1b[2Khashing tree updatepack 50% ["));
    }
}
