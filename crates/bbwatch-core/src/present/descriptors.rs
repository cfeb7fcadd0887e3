//! The process's limit on open descriptors. Every socket, pipe and file counts against it: the
//! monitor's polls, the history, a hook's pipes and each client of the local API. Linux starts a
//! process with a soft limit of 1 024 and a hard one far higher; the soft limit is raised to the
//! hard one at start so that clients cannot use up what the monitor needs, and the local API
//! sizes its connection caps from what is left.

/// The highest soft limit we ask for: enough for any use, and no more than the kernel's
/// default `nr_open`, which a larger value would exceed.
#[cfg(unix)]
const MOST: u64 = 1 << 20;

/// Raise the soft limit on open descriptors to the hard limit (at most 2^20), once at start.
/// Returns the soft limit in force afterwards; `None` where there is no such limit (not Unix).
/// A limit that cannot be raised stays as it was (logged at debug level).
pub fn raise_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let now = getrlimit(Resource::Nofile);
        let wanted = now.maximum.unwrap_or(MOST).min(MOST);
        if now.current.is_some_and(|c| c < wanted) {
            let raised = Rlimit {
                current: Some(wanted),
                maximum: now.maximum,
            };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::debug!("cannot raise the open-file limit to {wanted}: {e}");
            }
        }
        limit()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The soft limit on open descriptors in force; `None` when unlimited or not Unix.
pub fn limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(unix)]
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
        let after = raise_limit().unwrap();
        assert_eq!(after, hard.unwrap_or(MOST).min(MOST));
        assert_eq!(limit(), Some(after));
    }
}
