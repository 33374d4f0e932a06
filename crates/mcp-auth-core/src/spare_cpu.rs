//! Whether another core is idle enough to take a signature check off the JS
//! thread. Measured (bench/README.md): the hop to a worker and back costs
//! more CPU than an RS256 check itself, so it pays only when a core would
//! otherwise sit idle; on a machine whose cores are all busy it makes every
//! request slower. The machine-wide idle time is sampled from `/proc/stat`
//! at most every `SAMPLE_EVERY`; where that is not available, checks stay
//! inline.

use std::sync::Mutex;
use std::time::{Duration, Instant};

const SAMPLE_EVERY: Duration = Duration::from_millis(100);

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

/// Aggregate idle (idle + iowait) and total jiffies, and the CPU count.
fn read_proc_stat() -> Option<(u64, u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let mut lines = text.lines();
    let fields: Vec<u64> = lines
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
    // guest times are already included in user and nice.
    let total = fields.iter().take(8).sum();
    let cpus = lines.take_while(|l| l.starts_with("cpu")).count() as u64;
    Some((idle, total, cpus.max(1)))
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
                let spare = previous.is_some_and(|p| {
                    let (idle, total) =
                        (idle.saturating_sub(p.idle), total.saturating_sub(p.total));
                    total > 0 && idle * p.cpus >= total
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
