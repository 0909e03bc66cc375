//! Originals being read and resized at once in one isolate. The resize itself runs one at a
//! time (it is synchronous), but the reads of concurrent requests overlap, and every original
//! is held in the JS heap and then in wasm memory, which share the isolate's 128 MB. So an
//! isolate admits originals up to a byte budget; above it a request waits briefly, then gets
//! a 503 with `Retry-After` (another isolate or a moment later will do), never a crash.

use crate::config::Limits;
use crate::error::{Error, Result};
use crate::flow::ports::Clock;
use std::cell::RefCell;

/// One isolate's gate: the originals it is reading and resizing now.
#[derive(Debug, Default)]
pub struct Gate(RefCell<InFlight>);

/// A share of the gate's budget, given back when dropped (also on errors and panics).
pub struct Slot<'g> {
    gate: &'g Gate,
    size: u64,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.gate.0.borrow_mut().give_back(self.size);
    }
}

impl Gate {
    /// Waits up to `IN_FLIGHT_WAIT_MS` for room to read and resize an original of `size` bytes,
    /// then answers 503.
    pub async fn take(&self, size: u64, limits: &Limits, clock: &dyn Clock) -> Result<Slot<'_>> {
        let deadline = clock.now_ms() + limits.in_flight_wait_ms as f64;
        loop {
            if self.0.borrow_mut().try_take(size, limits.in_flight_budget) {
                return Ok(Slot { gate: self, size });
            }
            if clock.now_ms() >= deadline {
                return Err(busy(*self.0.borrow(), limits.in_flight_budget));
            }
            clock.sleep(25).await;
        }
    }

    /// Room now or never: for work that may be skipped (a mezzanine another miss can make).
    pub fn try_take(&self, size: u64, limits: &Limits) -> Option<Slot<'_>> {
        self.0.borrow_mut().try_take(size, limits.in_flight_budget).then_some(Slot { gate: self, size })
    }

    pub fn in_flight(&self) -> InFlight {
        *self.0.borrow()
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct InFlight {
    pub bytes: u64,
    pub requests: u32,
}

impl InFlight {
    /// Takes `size` bytes if they fit, or if nothing else is in flight (an original larger
    /// than the budget alone must still be served: memory admission decides about it).
    pub fn try_take(&mut self, size: u64, budget: u64) -> bool {
        if self.requests > 0 && self.bytes + size > budget {
            return false;
        }
        self.bytes += size;
        self.requests += 1;
        true
    }

    pub fn give_back(&mut self, size: u64) {
        self.bytes = self.bytes.saturating_sub(size);
        self.requests = self.requests.saturating_sub(1);
    }
}

/// The answer when waiting did not free enough.
pub fn busy(in_flight: InFlight, budget: u64) -> Error {
    Error::Busy(format!(
        "{} originals ({} MB) are being resized here, the limit is {} MB; retry in a moment",
        in_flight.requests,
        in_flight.bytes.div_ceil(1 << 20),
        budget >> 20
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_within_the_budget_and_always_one() {
        let mut f = InFlight::default();
        assert!(f.try_take(100, 50), "alone, even over the budget");
        assert!(!f.try_take(1, 50));
        f.give_back(100);
        assert!(f.try_take(30, 50));
        assert!(f.try_take(20, 50));
        assert!(!f.try_take(1, 50));
        f.give_back(30);
        assert!(f.try_take(30, 50));
        assert_eq!(f, InFlight { bytes: 50, requests: 2 });
        assert_eq!(busy(f, 50 << 20).status(), 503);
    }
}
