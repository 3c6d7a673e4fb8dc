//! Time as an input: the `no_std` instant type and the timer table.
//!
//! The crate reads no clock. The caller hands in instants with
//! `Connection::handle_timeout`; every timer is a deadline in one small
//! table, indexed by [`Timer`], and `poll_timeout` is the earliest of them.

use core::ops::{Add, Sub};
use core::time::Duration;

/// A point on a monotonic clock: nanoseconds since an epoch the caller
/// picks (process start, boot, the Unix epoch; only differences matter).
///
/// It has no `std::time` dependency, so it works on a microcontroller's
/// tick counter as well as on `std::time::Instant` (see `Clock` with the
/// `std` feature). Arithmetic saturates: an instant never wraps, and a
/// deadline past the end of the clock (about 584 years) is never reached.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The epoch.
    pub const ZERO: Instant = Instant(0);
    /// The last instant the clock can show.
    pub const MAX: Instant = Instant(u64::MAX);

    /// The instant `n` nanoseconds after the epoch.
    pub const fn from_nanos(n: u64) -> Instant {
        Instant(n)
    }

    /// The instant `n` microseconds after the epoch (saturating).
    pub const fn from_micros(n: u64) -> Instant {
        Instant(n.saturating_mul(1_000))
    }

    /// The instant `n` milliseconds after the epoch (saturating).
    pub const fn from_millis(n: u64) -> Instant {
        Instant(n.saturating_mul(1_000_000))
    }

    /// The instant `n` seconds after the epoch (saturating).
    pub const fn from_secs(n: u64) -> Instant {
        Instant(n.saturating_mul(1_000_000_000))
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The time since the epoch.
    pub const fn since_epoch(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// `self + d`, or `None` past [`Instant::MAX`].
    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        let n = u64::try_from(d.as_nanos()).ok()?;
        self.0.checked_add(n).map(Instant)
    }

    /// `self + d`, or [`Instant::MAX`] past it.
    pub fn saturating_add(self, d: Duration) -> Instant {
        self.checked_add(d).unwrap_or(Instant::MAX)
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// `Duration` since the epoch to `Instant`.
impl From<Duration> for Instant {
    fn from(d: Duration) -> Instant {
        Instant(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

/// Saturating: see [`Instant::saturating_add`].
impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

/// Saturating: see [`Instant::saturating_duration_since`].
impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

/// Converts between `std::time::Instant` and [`Instant`], from an epoch
/// taken when it is made. With the `std` feature only; the connection
/// itself never reads it.
#[cfg(feature = "std")]
#[derive(Copy, Clone, Debug)]
pub struct Clock {
    epoch: std::time::Instant,
}

#[cfg(feature = "std")]
impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(feature = "std")]
impl Clock {
    /// A clock whose epoch is now.
    pub fn new() -> Clock {
        Clock {
            epoch: std::time::Instant::now(),
        }
    }

    /// A clock with the given epoch.
    pub fn with_epoch(epoch: std::time::Instant) -> Clock {
        Clock { epoch }
    }

    /// The current time, read from `std::time::Instant::now()`.
    pub fn now(&self) -> Instant {
        self.instant(std::time::Instant::now())
    }

    /// A `std` instant on this clock (the epoch if it is earlier).
    pub fn instant(&self, t: std::time::Instant) -> Instant {
        Instant::from(t.saturating_duration_since(self.epoch))
    }

    /// The `std` instant for `t`, e.g. a deadline from `poll_timeout` to
    /// sleep until (`None` if `std` cannot represent it).
    pub fn to_std(&self, t: Instant) -> Option<std::time::Instant> {
        self.epoch.checked_add(t.since_epoch())
    }

    /// How long from now until `t` (zero if it has passed): a read
    /// timeout for a blocking socket.
    pub fn until(&self, t: Instant) -> Duration {
        t - self.now()
    }
}

/// The connection's timers. Each has one slot in [`Timers`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The opening handshake must complete by then.
    Handshake,
    /// Nothing was received for `ping_interval`: send a keepalive ping.
    Ping,
    /// Our keepalive ping was not answered: the peer is gone.
    Pong,
    /// Our close frame was not answered, or (client) the server did not
    /// close TCP after the closing handshake.
    Close,
    /// The data message under way has been arriving for too long.
    Message,
}

const TIMERS: [Timer; 5] = [
    Timer::Handshake,
    Timer::Ping,
    Timer::Pong,
    Timer::Close,
    Timer::Message,
];

/// No deadline.
const NEVER: u64 = u64::MAX;

/// Every deadline of a connection, and its clock: 48 bytes.
///
/// Until the caller hands in the first instant, the connection does not
/// know the time: timers started before then run from that first instant
/// (they are kept relative to zero and shifted when it arrives), so a
/// connection made long after the caller's epoch does not time out at once.
#[derive(Clone, Debug)]
pub(crate) struct Timers {
    /// Deadlines in nanoseconds, `NEVER` when stopped.
    at: [u64; 5],
    /// The latest instant handed in; `NEVER` until the first.
    now: u64,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            at: [NEVER; 5],
            now: NEVER,
        }
    }
}

impl Timers {
    /// The connection's time: the latest instant handed in.
    pub(crate) fn now(&self) -> Option<Instant> {
        (self.now != NEVER).then_some(Instant(self.now))
    }

    /// Starts (or restarts) `timer` to fire `after` from now; `None` stops it.
    pub(crate) fn start(&mut self, timer: Timer, after: Option<Duration>) {
        let base = if self.now == NEVER { 0 } else { self.now };
        self.at[timer as usize] = match after {
            // `NEVER` itself is never reached: a deadline that saturates
            // there means "not in this clock's lifetime".
            Some(d) => Instant(base).saturating_add(d).0,
            None => NEVER,
        };
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.at[timer as usize] = NEVER;
    }

    pub(crate) fn stop_all(&mut self) {
        self.at = [NEVER; 5];
    }

    pub(crate) fn is_running(&self, timer: Timer) -> bool {
        self.at[timer as usize] != NEVER
    }

    /// The earliest deadline. Before the first instant is known, any
    /// running timer makes it [`Instant::ZERO`]: "hand in the time now".
    pub(crate) fn next(&self) -> Option<Instant> {
        let min = self.at.iter().copied().min().unwrap_or(NEVER);
        match (min, self.now) {
            (NEVER, _) => None,
            (_, NEVER) => Some(Instant::ZERO),
            (m, _) => Some(Instant(m)),
        }
    }

    /// Advances the clock to `now` (never backwards: an earlier instant
    /// counts as the latest one) and returns the time it stands at.
    pub(crate) fn advance(&mut self, now: Instant) -> Instant {
        // `NEVER` marks the unknown time; the last nanosecond of the clock
        // is given up for it.
        let now = now.0.min(NEVER - 1);
        if self.now == NEVER {
            for d in self.at.iter_mut().filter(|d| **d != NEVER) {
                *d = d.saturating_add(now);
            }
            self.now = now;
        } else {
            self.now = self.now.max(now);
        }
        Instant(self.now)
    }

    /// The timer due first at the current time, if any (ties in table
    /// order), stopped as it is returned.
    pub(crate) fn take_due(&mut self) -> Option<Timer> {
        if self.now == NEVER {
            return None;
        }
        let t = TIMERS
            .iter()
            .copied()
            .filter(|&t| self.at[t as usize] <= self.now)
            .min_by_key(|&t| self.at[t as usize])?;
        self.stop(t);
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        assert_eq!(Instant::from_secs(2).as_nanos(), 2_000_000_000);
        assert_eq!(Instant::from_millis(3), Instant::from_micros(3000));
        assert_eq!(Instant::from_secs(u64::MAX), Instant::MAX);
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(Instant::ZERO.checked_add(Duration::MAX), None);
        assert_eq!(
            Instant::from_secs(5) - Instant::from_secs(7),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from_secs(7) - Instant::from_secs(5),
            Duration::from_secs(2)
        );
        assert_eq!(
            Instant::from(Duration::from_millis(1500)),
            Instant::from_millis(1500)
        );
    }

    #[test]
    fn table() {
        let mut t = Timers::default();
        assert_eq!(t.next(), None);
        t.start(Timer::Handshake, Some(Duration::from_secs(10)));
        assert_eq!(t.next(), Some(Instant::ZERO), "time unknown: ask for it");
        assert_eq!(t.take_due(), None, "nothing fires before time is known");
        assert_eq!(t.advance(Instant::from_secs(100)), Instant::from_secs(100));
        assert_eq!(t.next(), Some(Instant::from_secs(110)), "runs from then");
        assert_eq!(t.advance(Instant::from_secs(50)), Instant::from_secs(100));
        t.start(Timer::Close, Some(Duration::from_secs(1)));
        assert_eq!(t.next(), Some(Instant::from_secs(101)));
        t.advance(Instant::from_secs(200));
        assert_eq!(t.take_due(), Some(Timer::Close), "earliest first");
        assert_eq!(t.take_due(), Some(Timer::Handshake));
        assert_eq!(t.take_due(), None);
        t.start(Timer::Ping, Some(Duration::MAX));
        assert!(!t.is_running(Timer::Ping), "past the clock's end: never");
        assert_eq!(t.next(), None);
        t.advance(Instant::MAX);
        assert_eq!(t.take_due(), None, "a saturated deadline never fires");
        t.stop_all();
        assert_eq!(t.next(), None);
    }

    #[test]
    fn the_last_instant_is_a_known_time() {
        // The clock's last nanosecond marks the unknown time: `Instant::MAX`
        // handed in stands for the one before, a known time, at which a
        // timer of zero fires.
        let mut t = Timers::default();
        assert_eq!(t.advance(Instant::MAX), Instant(NEVER - 1));
        t.start(Timer::Handshake, Some(Duration::ZERO));
        assert_eq!(t.next(), Some(Instant(NEVER - 1)));
        assert_eq!(t.take_due(), Some(Timer::Handshake));
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_clock_reads_the_system_time() {
        let clock = Clock::new();
        let before = clock.now();
        std::thread::sleep(core::time::Duration::from_millis(5));
        let after = clock.now();
        assert!(
            after - before >= Duration::from_millis(5),
            "{before:?} {after:?}"
        );
        // How long until a deadline: what is left of it, zero once passed.
        let left = clock.until(after + Duration::from_secs(10));
        assert!(
            left > Duration::from_secs(9) && left <= Duration::from_secs(10),
            "{left:?}"
        );
        assert_eq!(clock.until(before), Duration::ZERO);
    }
}
