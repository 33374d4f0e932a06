//! Whether another core is idle enough to take a signature check off the JS
//! thread. Measured (bench/README.md): the hop to a worker and back costs
//! more CPU than an RS256 check itself, so it pays only when a core would
//! otherwise sit idle; on a machine whose cores are all busy it makes every
//! request slower. Idle time is sampled from `/proc/stat` at most every
//! `SAMPLE_EVERY`, over the cores this process may run on
//! (`Cpus_allowed_list` in `/proc/self/status`: a container's cpuset, or
//! `taskset`), since a worker cannot use a core outside them; where that is not
//! available, checks stay inline.

use std::sync::Mutex;
use std::time::{Duration, Instant};

const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// CPU numbers at or above this are ignored (a bound on the set's size).
const MAX_CPUS: usize = 4096;

struct Sample {
    at: Instant,
    idle: u64,
    total: u64,
    cpus: u64,
    spare: bool,
}

pub struct SpareCpu {
    last: Mutex<Option<Sample>>,
}

/// The CPUs in a `Cpus_allowed_list` value ("0-3,6"), as a set indexed by
/// CPU number; `None` when the text is not such a list.
fn cpu_list(list: &str) -> Option<Vec<bool>> {
    let mut set = Vec::new();
    for item in list.trim().split(',') {
        let (first, last) = match item.split_once('-') {
            Some((first, last)) => (first.parse::<usize>().ok()?, last.parse::<usize>().ok()?),
            None => {
                let cpu = item.parse::<usize>().ok()?;
                (cpu, cpu)
            }
        };
        if first > last {
            return None;
        }
        let last = last.min(MAX_CPUS - 1);
        if first <= last {
            if set.len() <= last {
                set.resize(last + 1, false);
            }
            set[first..=last].fill(true);
        }
    }
    Some(set)
}

/// This process's CPUs, from the text of `/proc/self/status`.
fn allowed_cpus(status: &str) -> Option<Vec<bool>> {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?;
    cpu_list(line)
}

/// The idle (idle + iowait) and total jiffies of one `/proc/stat` CPU line's fields.
fn idle_and_total(fields: &str) -> Option<(u64, u64)> {
    let fields: Vec<u64> = fields
        .split_whitespace()
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
    // guest times are already included in user and nice.
    let total = fields.iter().take(8).sum();
    Some((idle, total))
}

/// Idle and total jiffies summed over the CPUs in `allowed` (every CPU when
/// `None`), and how many CPUs that is, from the text of `/proc/stat`.
fn usage(stat: &str, allowed: Option<&[bool]>) -> Option<(u64, u64, u64)> {
    let (mut idle, mut total, mut cpus) = (0u64, 0u64, 0u64);
    for line in stat.lines().take_while(|l| l.starts_with("cpu")) {
        // The first line is the machine's aggregate ("cpu  …"); then "cpuN …".
        let Some((name, fields)) = line.split_once(' ') else {
            continue;
        };
        let Ok(cpu) = name["cpu".len()..].parse::<usize>() else {
            continue;
        };
        if allowed.is_some_and(|set| !set.get(cpu).copied().unwrap_or(false)) {
            continue;
        }
        let (i, t) = idle_and_total(fields)?;
        idle = idle.saturating_add(i);
        total = total.saturating_add(t);
        cpus += 1;
    }
    (cpus > 0).then_some((idle, total, cpus))
}

fn read_proc_stat() -> Option<(u64, u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let allowed = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| allowed_cpus(&status));
    usage(&stat, allowed.as_deref())
}

/// At least one core's worth of idle time over this window, on a set of two
/// cores or more (with one, the worker would share the JS thread's core).
fn is_spare(idle: u64, total: u64, cpus: u64) -> bool {
    cpus >= 2 && total > 0 && idle.saturating_mul(cpus) >= total
}

impl SpareCpu {
    pub fn new() -> Self {
        Self {
            last: Mutex::new(None),
        }
    }

    /// True when, over the last sample window, at least one core's worth of
    /// the machine was idle.
    pub fn available(&self, now: Instant) -> bool {
        // Never wait on the JS thread: a contended lock just means "inline".
        let Ok(mut last) = self.last.try_lock() else {
            return false;
        };
        match last.as_mut() {
            Some(sample) if now.saturating_duration_since(sample.at) < SAMPLE_EVERY => sample.spare,
            _ => {
                let previous = last.take();
                let Some((idle, total, cpus)) = read_proc_stat() else {
                    return false;
                };
                // Comparable only while the set of cores is the same size.
                let spare = previous.is_some_and(|p| {
                    p.cpus == cpus
                        && is_spare(
                            idle.saturating_sub(p.idle),
                            total.saturating_sub(p.total),
                            cpus,
                        )
                });
                *last = Some(Sample {
                    at: now,
                    idle,
                    total,
                    cpus,
                    spare,
                });
                spare
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  400 0 100 500 0 0 0 0 0 0\n\
        cpu0 390 0 90 20 0 0 0 0 0 0\n\
        cpu1 10 0 10 480 0 0 0 0 0 0\n\
        intr 12345\n";

    #[test]
    fn reads_cpu_lists() {
        assert_eq!(
            cpu_list("0-2,5\n"),
            Some(vec![true, true, true, false, false, true])
        );
        assert_eq!(cpu_list("1"), Some(vec![false, true]));
        assert_eq!(cpu_list("3-1"), None);
        assert_eq!(cpu_list("x"), None);
        assert_eq!(cpu_list(""), None);
        // A huge number is bounded, never a huge allocation.
        assert_eq!(
            cpu_list("0-18446744073709551615").map(|s| s.len()),
            Some(MAX_CPUS)
        );
        assert_eq!(cpu_list("99999999").map(|s| s.len()), Some(0));
        let status = "Name:\tnode\nCpus_allowed:\t2\nCpus_allowed_list:\t1\n";
        assert_eq!(allowed_cpus(status), Some(vec![false, true]));
        assert_eq!(allowed_cpus("Name:\tnode\n"), None);
    }

    #[test]
    fn counts_only_the_cores_this_process_may_use() {
        // Every core: the machine's idle half is a core's worth.
        let every = usage(STAT, None).unwrap();
        assert_eq!(every, (500, 1000, 2));
        assert!(is_spare(every.0, every.1, every.2));
        // Pinned to the busy core: its idle neighbour is out of reach.
        let busy = usage(STAT, Some(&[true, false])).unwrap();
        assert_eq!(busy, (20, 500, 1));
        assert!(!is_spare(busy.0, busy.1, busy.2));
        // One core, even an idle one, is the JS thread's own.
        let idle = usage(STAT, Some(&[false, true])).unwrap();
        assert!(!is_spare(idle.0, idle.1, idle.2));
        // Both allowed: the same as every core.
        assert_eq!(usage(STAT, Some(&[true, true])), Some(every));
        // A set naming no CPU of this machine: nothing to measure, so inline.
        assert_eq!(usage(STAT, Some(&[false, false, true])), None);
        assert_eq!(usage("intr 1\n", None), None);
    }

    #[test]
    fn samples_at_most_every_window() {
        let spare = SpareCpu::new();
        let t0 = Instant::now();
        // The first look has nothing to compare with: inline.
        assert!(!spare.available(t0));
        if read_proc_stat().is_some() {
            let at = spare.last.lock().unwrap().as_ref().unwrap().at;
            spare.available(t0 + Duration::from_millis(10));
            assert_eq!(spare.last.lock().unwrap().as_ref().unwrap().at, at);
            spare.available(t0 + SAMPLE_EVERY);
            assert_ne!(spare.last.lock().unwrap().as_ref().unwrap().at, at);
        }
    }
}
