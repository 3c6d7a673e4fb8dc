//! The peak-heap meter shared by the memory tests (tests/memory.rs,
//! tests/deflate_memory.rs, tests/deflate_conn_memory.rs). Each of those
//! binaries installs `alloc_count::CountingAlloc` as its own
//! `#[global_allocator]` (the main crate forbids `unsafe_code`, which a
//! `GlobalAlloc` needs) and calls `alloc_count::start` before measuring;
//! elsewhere the counters stay at zero.
//!
//! Around every call the meter takes
//!
//! ```text
//! live before the call + bytes requested during the call
//! ```
//!
//! which bounds the peak of live bytes during the call from above: live
//! bytes only grow by what is requested, and a `realloc` requests its
//! growth (whether the allocator extends the block in place or moves it is
//! its own business; `alloc_count`'s own `peak` counts a `realloc`'s old
//! and new blocks together, as a move holds both). Between calls it is
//! exact.

/// Measures a sequence of calls: the upper bound on peak live bytes over
/// them, counted from the live bytes when the meter was made (what was
/// allocated before is not counted).
pub struct Meter {
    base: i64,
    /// The highest bound seen so far.
    pub peak: i64,
}

impl Meter {
    pub fn new() -> Meter {
        Meter {
            base: alloc_count::snapshot().live,
            peak: 0,
        }
    }

    /// Runs `f`, taking its bound into the peak.
    pub fn call<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let before = alloc_count::snapshot();
        let r = f();
        let after = alloc_count::snapshot();
        let bound = before.live - self.base + (after.bytes - before.bytes) as i64;
        self.peak = self.peak.max(bound);
        r
    }

    /// The live bytes now, counted from the meter's start.
    pub fn live(&self) -> i64 {
        alloc_count::snapshot().live - self.base
    }
}
