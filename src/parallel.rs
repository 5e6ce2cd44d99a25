//! How many threads the work that can use every core (hashing, the tree walk) runs on.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// One thread per core the process may use; one when the system will not say. Asked once:
/// on Linux the answer takes a dozen system calls (the cgroup's CPU quota).
pub(crate) fn workers() -> usize {
    static WORKERS: OnceLock<usize> = OnceLock::new();
    *WORKERS.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}
