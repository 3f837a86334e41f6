//! How long a cache line takes to go from one CPU to the other and back on this machine: two
//! threads take turns writing one atomic, 500,000 round trips, and the mean is printed.
//!
//! Run it a few times (`cargo run --release --bin pingpong`): on a VM whose vCPUs the host
//! places anew from one process to the next, the figure moves, and every tracer whose spans are
//! written on one thread and read on another moves with it (see BENCHMARKS.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const ROUND_TRIPS: u64 = 500_000;

fn main() {
    let turn = Arc::new(AtomicU64::new(0));
    let other = turn.clone();
    let answerer = std::thread::spawn(move || {
        for i in 0..ROUND_TRIPS {
            while other.load(Ordering::Acquire) != 2 * i + 1 {
                std::hint::spin_loop();
            }
            other.store(2 * i + 2, Ordering::Release);
        }
    });
    let start = Instant::now();
    for i in 0..ROUND_TRIPS {
        turn.store(2 * i + 1, Ordering::Release);
        while turn.load(Ordering::Acquire) != 2 * i + 2 {
            std::hint::spin_loop();
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / ROUND_TRIPS as f64;
    answerer
        .join()
        .expect("the answering thread does not panic");
    println!("{ns:.0} ns per round trip");
}
