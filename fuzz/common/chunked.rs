//! A reader for the fuzz targets of streamed inputs: it hands out the input in pieces whose
//! sizes come from the input itself, so that the fuzzer finds the read boundaries that break
//! a decoder or a scanner. Included by each target with `#[path]` (a fuzz target is a binary
//! of its own, with no library to share it through).

use std::io::{self, Read};

pub struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    unit: usize,
    turn: usize,
}

impl<'a> Chunked<'a> {
    /// Reads of `data` whose sizes are taken in turn from `sizes`, each byte `s` making a read
    /// of `s * unit + 1` bytes (or all that is asked for, when there are no sizes).
    pub fn new(data: &'a [u8], sizes: &'a [u8], unit: usize) -> Self {
        Chunked {
            data,
            sizes,
            unit,
            turn: 0,
        }
    }
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let size = self
            .sizes
            .get(self.turn % self.sizes.len().max(1))
            .map_or(out.len(), |&s| usize::from(s) * self.unit + 1);
        self.turn += 1;
        let n = size.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
