//! A counting global allocator for the benchmark harness (`benches/ws.rs`).
//!
//! It lives in its own tiny crate because the main crate forbids `unsafe_code`
//! for every target, and implementing [`GlobalAlloc`] needs `unsafe impl`.
//!
//! Counting is off by default: while off, each allocator call costs a single
//! relaxed atomic load on top of the system allocator, so timed runs are not
//! skewed. [`start`] / [`stop`] switch it on and off; [`snapshot`] reads the
//! counters.
//!
//! Only the thread that called [`start`] is counted. A test binary runs
//! other tests, and the harness itself, on other threads at the same time;
//! their allocations and frees are none of the measurement's business (a
//! test once saw 156 bytes fewer than its own send allocated, freed meanwhile
//! by another thread). Every measurement here is single-threaded; a
//! current-thread tokio runtime polls on the caller's thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

/// The allocator. Install with `#[global_allocator]`.
pub struct CountingAlloc;

static ON: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

thread_local! {
    /// Set on the thread that called [`start`]. A `const` initializer and no
    /// destructor: reading it never allocates, so the allocator may.
    static MEASURED: Cell<bool> = const { Cell::new(false) };
}

/// Whether this allocator call is counted: counting is on, and this is the
/// measured thread.
fn counted() -> bool {
    ON.load(Relaxed) && MEASURED.try_with(Cell::get).unwrap_or(false)
}

/// Adds `n` to the live bytes and records a new peak.
fn grow_live(n: i64) {
    let live = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(live, Relaxed);
}

/// Counter values since the last [`reset`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// `alloc` + `alloc_zeroed` calls.
    pub allocs: u64,
    /// `realloc` calls (counted separately; a realloc may move and copy).
    pub reallocs: u64,
    /// `dealloc` calls.
    pub frees: u64,
    /// Bytes requested by `alloc`/`alloc_zeroed` plus growth requested by `realloc`.
    pub bytes: u64,
    /// Net bytes still allocated (allocated minus freed) by calls made while counting.
    pub live: i64,
    /// The highest `live` reached since the last [`reset`] (a `realloc`
    /// counts its old and new blocks together, as a move holds both).
    pub peak: i64,
}

impl Snapshot {
    /// Allocation events: fresh allocations plus reallocations.
    pub fn events(&self) -> u64 {
        self.allocs + self.reallocs
    }
}

/// Zero all counters.
pub fn reset() {
    for c in [&ALLOCS, &REALLOCS, &FREES, &BYTES] {
        c.store(0, Relaxed);
    }
    LIVE.store(0, Relaxed);
    PEAK.store(0, Relaxed);
}

/// Reset the counters and start counting this thread's allocations.
pub fn start() {
    reset();
    MEASURED.with(|m| m.set(true));
    ON.store(true, Relaxed);
}

/// Stop counting and return what was counted since [`start`].
pub fn stop() -> Snapshot {
    ON.store(false, Relaxed);
    MEASURED.with(|m| m.set(false));
    snapshot()
}

/// Read the counters (counting state unchanged).
pub fn snapshot() -> Snapshot {
    Snapshot {
        allocs: ALLOCS.load(Relaxed),
        reallocs: REALLOCS.load(Relaxed),
        frees: FREES.load(Relaxed),
        bytes: BYTES.load(Relaxed),
        live: LIVE.load(Relaxed),
        peak: PEAK.load(Relaxed),
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the only extra work is updating atomic counters.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
            grow_live(layout.size() as i64);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if counted() {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
            grow_live(layout.size() as i64);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            FREES.fetch_add(1, Relaxed);
            LIVE.fetch_sub(layout.size() as i64, Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            REALLOCS.fetch_add(1, Relaxed);
            let old = layout.size();
            if new_size > old {
                BYTES.fetch_add((new_size - old) as u64, Relaxed);
            }
            grow_live(new_size as i64);
            LIVE.fetch_sub(old as i64, Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
