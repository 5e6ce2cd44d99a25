//! Many probes at once for `collect --probe-endpoints`: at most a few dozen in flight, each
//! on a thread of its own that is not waited for, so Ctrl-C stops the probing at once and a
//! probe still going past its deadline is recorded as timed out. A probe that failed for a
//! reason of this machine (no file descriptor left) is made again with fewer in flight, or
//! stops the probing, saying why.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::{Local, Settings, probe, timed_out};
use crate::readers::endpoints::{Probe, Required};

/// Probes in flight at once: enough for Microsoft's ~20 endpoints in one round.
const CONCURRENCY: usize = 32;

/// How often the probing looks at Ctrl-C and at probes past their deadline.
const TICK: Duration = Duration::from_millis(50);

/// How long past its deadline a probe's thread may take to say it timed out before the probe
/// is recorded as timed out without it (a read returns up to its timeout after the deadline
/// was checked, and a loaded machine is late to wake a thread).
const GRACE: Duration = Duration::from_secs(2);

/// How many times one endpoint is tried again after failing for a reason of this machine.
const LOCAL_RETRIES: u32 = 8;

/// Why probing stopped before every endpoint had a result.
#[derive(Debug)]
pub(super) enum Stopped {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// A probe failed for a reason of this machine even when made alone (or too often).
    Local { endpoint: String, why: String },
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stopped::Interrupted => f.write_str("interrupted"),
            Stopped::Local { endpoint, why } => write!(
                f,
                "the probe of {endpoint} failed on this machine, not on the network: {why}; raise the limit (`ulimit -n` for open files) or free what is exhausted, and collect again"
            ),
        }
    }
}

/// The results, in the order of the endpoints given, and how many probes were made again
/// after failing for a reason of this machine (with why, the last time).
#[derive(Debug, Default)]
pub(super) struct Probed {
    pub(super) probes: Vec<Probe>,
    pub(super) retried: usize,
    pub(super) local_reason: Option<String>,
}

/// Probes every endpoint once, at most [`CONCURRENCY`] at a time, and returns the results in
/// the order given. `done` is called as each probe finishes (for a progress display).
/// A probe that failed locally is made again with fewer probes in flight, down to one alone;
/// one that fails locally even alone stops the probing. Probes run on threads of their own that
/// are not waited for: Ctrl-C stops the probing at once, and a probe still going past its
/// deadline is recorded as timed out.
pub(super) fn probe_all(
    endpoints: &[Required],
    settings: &Settings,
    interrupted: &AtomicBool,
    done: &mut dyn FnMut(),
) -> Result<Probed, Stopped> {
    struct Running {
        deadline: Instant,
        /// Other probes in flight when it started.
        beside: usize,
    }
    let settings = Arc::new(settings.clone());
    let (sender, receiver) = mpsc::channel::<(usize, Result<Probe, Local>)>();
    let mut results: Vec<Option<Probe>> = vec![None; endpoints.len()];
    let mut pending: VecDeque<usize> = (0..endpoints.len()).collect();
    let mut running: BTreeMap<usize, Running> = BTreeMap::new();
    let mut tries = vec![0u32; endpoints.len()];
    let mut limit = CONCURRENCY;
    let mut probed = Probed::default();
    let local = |index: usize, why: String| Stopped::Local {
        endpoint: endpoints[index].name(),
        why,
    };
    while !pending.is_empty() || !running.is_empty() {
        if interrupted.load(Ordering::Relaxed) {
            return Err(Stopped::Interrupted);
        }
        while running.len() < limit
            && let Some(index) = pending.pop_front()
        {
            let (required, shared, sender) = (endpoints[index].clone(), settings.clone(), sender.clone());
            let spawned = thread::Builder::new().name("probe".to_owned()).spawn(move || {
                let _ = sender.send((index, probe(&required, &shared)));
            });
            match spawned {
                Ok(_) => {
                    let beside = running.len();
                    let deadline = Instant::now() + settings.timeout;
                    running.insert(index, Running { deadline, beside });
                }
                Err(e) if running.is_empty() => return Err(local(index, format!("cannot start a thread: {e}"))),
                Err(_) => {
                    pending.push_front(index);
                    limit = running.len().max(1);
                    break;
                }
            }
        }
        let message = receiver.recv_timeout(TICK);
        if let Ok((index, result)) = message {
            let Some(run) = running.remove(&index) else {
                continue; // Already recorded as timed out.
            };
            match result {
                Ok(probe) => {
                    results[index] = Some(probe);
                    done();
                }
                Err(Local(why)) => {
                    // Whichever probe asked last for a descriptor failed: half of those still
                    // in flight is a number this machine can hold. One that ran alone, with
                    // none beside it from start to end, shows that not even one fits.
                    tries[index] += 1;
                    let others = running.len();
                    if (others == 0 && run.beside == 0) || tries[index] > LOCAL_RETRIES {
                        return Err(local(index, why));
                    }
                    limit = limit.min((others / 2).max(1));
                    probed.retried += 1;
                    probed.local_reason = Some(why);
                    pending.push_back(index);
                }
            }
        }
        let now = Instant::now();
        let late: Vec<usize> = running
            .iter()
            .filter(|(_, run)| now > run.deadline + GRACE)
            .map(|(&index, _)| index)
            .collect();
        for index in late {
            running.remove(&index);
            results[index] = Some(timed_out(&endpoints[index], &settings));
            done();
        }
    }
    probed.probes = results.into_iter().flatten().collect();
    Ok(probed)
}
