//! Processes, read from `/proc`: who is whose child, what they use.

use std::path::Path;

/// (pid, parent pid, command name) of every process.
fn all() -> Vec<(u32, u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let (head, rest) = stat.rsplit_once(')')?;
            let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
            let comm = head
                .split_once('(')
                .map(|(_, c)| c.to_owned())
                .unwrap_or_default();
            Some((pid, ppid, comm))
        })
        .collect()
}

/// Command names of the direct children of `pid`.
pub fn children(pid: u32) -> Vec<String> {
    all()
        .into_iter()
        .filter(|(_, ppid, _)| *ppid == pid)
        .map(|(_, _, c)| c)
        .collect()
}

/// (pid, command name) of `pid` and every process below it.
pub fn tree(pid: u32) -> Vec<(u32, String)> {
    let procs = all();
    let mut out: Vec<(u32, String)> = procs
        .iter()
        .filter(|(p, _, _)| *p == pid)
        .map(|(p, _, c)| (*p, c.clone()))
        .collect();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for (child, ppid, comm) in &procs {
            if *ppid == parent {
                frontier.push(*child);
                out.push((*child, comm.clone()));
            }
        }
    }
    out
}

/// Resident memory of `pid` in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// RSS of `pid` and everything below it in MiB, with their command names.
pub fn tree_rss(pid: u32) -> (f64, Vec<String>) {
    let procs = tree(pid);
    let total: u64 = procs.iter().map(|(p, _)| rss_kib(*p)).sum();
    (
        total as f64 / 1024.0,
        procs.into_iter().map(|(_, c)| c).collect(),
    )
}

/// Each process of `pid`'s tree: its command name, RSS and PSS (shared pages divided among the
/// processes that share them, `/proc/PID/smaps_rollup`), in KiB.
pub fn tree_memory(pid: u32) -> Vec<(String, u64, u64)> {
    tree(pid)
        .into_iter()
        .map(|(p, comm)| {
            let pss = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("Pss:"))
                        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
                })
                .unwrap_or(0);
            (comm, rss_kib(p), pss)
        })
        .collect()
}

/// CPU seconds (user + system) that process `pid` has used so far (`/proc/PID/stat`); 0 once
/// it is gone.
pub fn cpu_seconds(pid: u32) -> f64 {
    // The kernel's clock tick, as sysconf(_SC_CLK_TCK) says (100 on every Linux we run on).
    let hz = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    ticks as f64 / hz
}

/// CPU seconds (user + system) that `pid`'s process tree has used so far.
pub fn tree_cpu_seconds(pid: u32) -> f64 {
    tree(pid).into_iter().map(|(p, _)| cpu_seconds(p)).sum()
}

/// Where the resident pages of `pid`'s process tree are, by mapping (`/proc/PID/smaps`): the
/// file's name, or `[heap]`, `[anon]`, `[stack]`…, in KiB, largest first.
pub fn tree_mappings(pid: u32) -> Vec<(String, u64)> {
    let mut by_name = std::collections::BTreeMap::<String, u64>::new();
    for (p, _) in tree(pid) {
        let Ok(smaps) = std::fs::read_to_string(format!("/proc/{p}/smaps")) else {
            continue;
        };
        let mut name = String::new();
        for line in smaps.lines() {
            let mut fields = line.split_whitespace();
            let Some(first) = fields.next() else { continue };
            if first == "Rss:" {
                let kib: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                *by_name.entry(name.clone()).or_default() += kib;
            } else if first.contains('-') && !first.ends_with(':') {
                // An address range: `start-end perms offset dev inode [path]`.
                name = fields.nth(4).map_or("[anon]".into(), |path| {
                    Path::new(path)
                        .file_name()
                        .map_or(path.into(), |f| f.to_string_lossy().into_owned())
                });
            }
        }
    }
    let mut sorted: Vec<_> = by_name.into_iter().filter(|(_, kib)| *kib > 0).collect();
    sorted.sort_by_key(|(_, kib)| std::cmp::Reverse(*kib));
    sorted
}

/// The libraries of the window (GTK, GDK, WebKit, JavaScriptCore, libsoup) that process `pid`
/// has mapped: none for the tray process on Linux.
pub fn window_libraries(pid: u32) -> Vec<String> {
    const WINDOW: [&str; 5] = [
        "libgtk-",
        "libgdk-",
        "libwebkit2gtk",
        "libjavascriptcoregtk",
        "libsoup-",
    ];
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let mut found: Vec<String> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter_map(|path| Path::new(path).file_name()?.to_str().map(str::to_owned))
        .filter(|name| WINDOW.iter().any(|w| name.starts_with(w)))
        .collect();
    found.dedup();
    found
}

/// Processes started with `dir` in their environment (one test's or benchmark's own) for
/// which `pred(command name, command line)` holds.
pub fn started_in(dir: &Path, pred: impl Fn(&str, &str) -> bool) -> Vec<u32> {
    let needle = dir.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let environ = std::fs::read(e.path().join("environ")).ok()?;
            let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
            let cmdline = String::from_utf8_lossy(&std::fs::read(e.path().join("cmdline")).ok()?)
                .into_owned();
            (String::from_utf8_lossy(&environ).contains(&needle) && pred(comm.trim(), &cmdline))
                .then_some(pid)
        })
        .collect()
}

/// Whether a process (its `comm` and command line) is a status window: `bbwatch-window` on
/// Linux (which `bbwatch-desktop --window` becomes).
pub fn is_window(comm: &str, cmd: &str) -> bool {
    comm.starts_with("bbwatch-window")
        || (comm.starts_with("bbwatch-desktop") && cmd.contains("--window"))
}

/// The window processes started in `dir`.
pub fn window_processes(dir: &Path) -> Vec<u32> {
    started_in(dir, is_window)
}
