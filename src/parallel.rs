//! How many threads the work that can use every core (hashing, the tree walk, several
//! snapshots, a run's sources, a large log's chunks) runs on, and a map over items on that
//! many threads.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// One thread per core the process may use; one when the system will not say. Asked once:
/// on Linux the answer takes a dozen system calls (the cgroup's CPU quota).
pub(crate) fn workers() -> usize {
    static WORKERS: OnceLock<usize> = OnceLock::new();
    *WORKERS.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// `work` on every item, on up to [`workers`] threads (the calling one among them), each
/// taking the next item when it is done with one; the results come back in the items' order,
/// whichever thread finished first.
pub(crate) fn map_in_order<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else { break done };
            done.push((index, work(item)));
        }
    };
    let threads = workers().min(items.len()).max(1);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(take)).collect();
        let mut all = take();
        for helper in helpers {
            // A panic in a worker is a bug: pass it on rather than lose its items.
            all.extend(helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        all
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_the_order_of_the_items() {
        let items: Vec<u64> = (0..200).collect();
        // Uneven work, so threads finish out of order.
        let squares = super::map_in_order(&items, |&n| {
            std::thread::sleep(std::time::Duration::from_micros((200 - n) * 10));
            n * n
        });
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
    }
}
