//! The one deadline a probe keeps from its first step to its last (name resolution, connect,
//! the proxy's CONNECT, the TLS handshake), and the failures that are this machine's own
//! rather than the network's. Shared by `probe` and `tls`, which otherwise know nothing of
//! each other's insides.

use std::io;
use std::time::{Duration, Instant};

/// The time left before `deadline`, or a timeout once it has passed. Every blocking step of a
/// probe asks for it first and blocks at most that long, so no server, however slow it
/// trickles, holds a probe past `--timeout`.
pub(super) fn remaining(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    Ok(left)
}

/// Whether an error is a limit of this machine (no file descriptor, socket buffer or memory
/// left): the network said nothing, so it is no probe result.
pub(super) fn is_local(error: &io::Error) -> bool {
    // errno values of Linux and the WSA codes of Windows, the two systems sitelint ships for.
    #[cfg(windows)]
    const LOCAL: [i32; 4] = [
        10024, /* WSAEMFILE */
        10055, /* WSAENOBUFS */
        8,     /* ERROR_NOT_ENOUGH_MEMORY */
        14,    /* ERROR_OUTOFMEMORY */
    ];
    #[cfg(not(windows))]
    const LOCAL: [i32; 4] = [
        24,  /* EMFILE */
        23,  /* ENFILE */
        105, /* ENOBUFS */
        12,  /* ENOMEM */
    ];
    error.kind() == io::ErrorKind::OutOfMemory || error.raw_os_error().is_some_and(|code| LOCAL.contains(&code))
}
