//! SHA-256 of a tree's files for `collect --hash`, on every core: each thread takes the next
//! file, reads it into its own buffer and hashes the bytes where they were read. A file that
//! can carry an Authenticode signature is examined in the same read (its signed ranges hashed
//! from the same buffers: [`crate::authenticode::examine_and_feed`]). The digests come back in
//! the order of the files, so the listing is the same whatever thread hashed what.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use ring::digest::{Context, SHA256};

use super::Progress;
use crate::authenticode::{self, Examined};
use crate::document::text::hex;
use crate::files;
use crate::readers::tree::TreeFile;

/// Bytes read at a time: large enough that a read costs little beside the bytes it copies,
/// small enough to stay in the core's cache between the copy and the hash (which then reads
/// them from cache, not from memory).
const READ_SIZE: usize = 256 << 10;

/// How often the bytes hashed so far are shown. The threads only add to a counter: a message
/// per read (or per file, in a tree of many small ones) would cost a wake-up each.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What one read of a file gave: its SHA-256, and its signatures examined when its name is one
/// Authenticode signs.
#[derive(Debug)]
pub(super) struct Hashed {
    pub(super) sha256: String,
    pub(super) examined: Option<Examined>,
}

/// The digest of each of `files` (paths under `root`), in the order of `files`, hashed on up
/// to `workers` threads. A file that cannot be read has its error in its place; only an
/// interrupt (`interrupted` set) fails the whole, with `ErrorKind::Interrupted`.
pub(super) fn hash_files(
    root: &Path,
    files: &[TreeFile],
    workers: usize,
    interrupted: &AtomicBool,
    progress: &dyn Progress,
) -> io::Result<Vec<io::Result<Hashed>>> {
    // Largest first: the last file a thread takes is a small one, so at the end neither core
    // waits long for the other.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&index| std::cmp::Reverse(files[index].size));
    let next = AtomicUsize::new(0);
    let read = AtomicU64::new(0);
    let mut digests: Vec<Option<io::Result<Hashed>>> = (0..files.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        // Each thread holds a sender it never sends on: when the last one ends, however it
        // ends, the receiver below stops waiting.
        let (running, all_ended) = mpsc::channel::<()>();
        let threads: Vec<_> = (0..workers.clamp(1, files.len().max(1)))
            .map(|_| {
                let (running, order, next, read) = (running.clone(), &order, &next, &read);
                scope.spawn(move || {
                    let _running = running;
                    let mut buffer = vec![0u8; READ_SIZE];
                    let mut hashed = Vec::new();
                    while let Some(&index) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let digest = read_file(&root.join(&files[index].path), &mut buffer, interrupted, read);
                        let stop = digest.as_ref().is_err_and(|e| e.kind() == io::ErrorKind::Interrupted);
                        hashed.push((index, digest));
                        if stop {
                            break;
                        }
                    }
                    hashed
                })
            })
            .collect();
        drop(running);
        let mut shown = 0;
        loop {
            let ended = all_ended.recv_timeout(PROGRESS_EVERY) == Err(RecvTimeoutError::Disconnected);
            let now = read.load(Ordering::Relaxed);
            if now > shown {
                progress.advance(now - shown);
                shown = now;
            }
            if ended {
                break;
            }
        }
        for thread in threads {
            let hashed = thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (index, digest) in hashed {
                digests[index] = Some(digest);
            }
        }
    });
    digests
        .into_iter()
        .map(|digest| match digest {
            Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Some(digest) => Ok(digest),
            // Left when the threads stopped on an interrupt.
            None => Err(stopped()),
        })
        .collect()
}

fn read_file(path: &Path, buffer: &mut [u8], interrupted: &AtomicBool, read_so_far: &AtomicU64) -> io::Result<Hashed> {
    if interrupted.load(Ordering::Relaxed) {
        return Err(stopped());
    }
    let mut hasher = Context::new(&SHA256);
    let mut feed = |bytes: &[u8]| {
        if interrupted.load(Ordering::Relaxed) {
            return Err(stopped());
        }
        // Whole blocks are hashed straight from the buffer; ring keeps only a partial block.
        hasher.update(bytes);
        read_so_far.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(())
    };
    let examined = if authenticode::signable_name(&path.to_string_lossy()) {
        Some(authenticode::examine_and_feed(path, &mut feed)?)
    } else {
        let (mut file, _) = files::open_regular(path)?;
        authenticode::stream(&mut file, buffer, &mut feed)?;
        None
    };
    Ok(Hashed {
        sha256: hex(hasher.finish().as_ref()),
        examined,
    })
}

fn stopped() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "interrupted")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::Silent;
    use crate::readers::tree;
    use crate::snapshot::TreeSource;
    use std::fs;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// Files around the read size (a read that ends exactly on it, one byte past, many
    /// reads), empty ones, and one that cannot be hashed, in many directories.
    fn pack() -> (tempfile::TempDir, tree::Tree) {
        let dir = tempfile::tempdir().unwrap();
        let sizes = [
            0,
            1,
            63,
            64,
            65,
            READ_SIZE - 1,
            READ_SIZE,
            READ_SIZE + 1,
            3 * READ_SIZE + 17,
        ];
        for (i, size) in sizes.iter().cycle().take(40).enumerate() {
            let sub = dir.path().join(format!("{:02}/Redist", i % 7));
            fs::create_dir_all(&sub).unwrap();
            let bytes: Vec<u8> = (0..*size).map(|b| (b * 31 + i) as u8).collect();
            fs::write(sub.join(format!("file{i}.cab")), bytes).unwrap();
        }
        let root = crate::snapshot::Artifact::given(dir.path());
        let tree = tree::load("updatepack", &TreeSource::Live(root)).unwrap();
        (dir, tree)
    }

    fn digests(root: &Path, tree: &tree::Tree, workers: usize) -> Vec<Result<String, io::ErrorKind>> {
        hash_files(root, &tree.files, workers, &AtomicBool::new(false), &Silent)
            .unwrap()
            .into_iter()
            // The kind: the message is the system's, in its words.
            .map(|digest| digest.map(|d| d.sha256).map_err(|e| e.kind()))
            .collect()
    }

    #[test]
    fn several_threads_give_the_digests_of_one_in_the_order_of_the_files() {
        let (dir, tree) = pack();
        // Gone between the walk and the hash, as a file of a pack being copied can be.
        fs::remove_file(dir.path().join(&tree.files[5].path)).unwrap();
        let one = digests(dir.path(), &tree, 1);
        for file in [0, 9, 17] {
            let bytes = fs::read(dir.path().join(&tree.files[file].path)).unwrap();
            assert_eq!(
                one[file],
                Ok(hex(ring::digest::digest(&SHA256, &bytes).as_ref())),
                "{}",
                tree.files[file].path
            );
        }
        assert_eq!(
            one[tree.files.iter().position(|f| f.size == 0).unwrap()],
            Ok(EMPTY.to_owned())
        );
        assert_eq!(one[5], Err(io::ErrorKind::NotFound));
        for workers in [2, 3, 8, 100] {
            assert_eq!(digests(dir.path(), &tree, workers), one, "{workers} threads");
        }
    }

    /// Adds up what the progress was told.
    struct Counted(std::cell::Cell<u64>);

    impl Progress for Counted {
        fn begin(&self, _: &str, _: u64) {}
        fn advance(&self, amount: u64) {
            self.0.set(self.0.get() + amount);
        }
        fn end(&self) {}
    }

    #[test]
    fn the_progress_counts_every_byte_hashed_by_every_thread() {
        let (dir, tree) = pack();
        let counted = Counted(Default::default());
        hash_files(dir.path(), &tree.files, 3, &AtomicBool::new(false), &counted).unwrap();
        assert_eq!(counted.0.get(), tree.files.iter().map(|f| f.size).sum::<u64>());
    }

    #[test]
    fn an_interrupt_stops_every_thread_and_fails_the_whole() {
        let (dir, tree) = pack();
        let result = hash_files(dir.path(), &tree.files, 3, &AtomicBool::new(true), &Silent);
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::Interrupted);
    }
}
