//! `_dd.tracer_kr`: the share of recent traces the writer managed to deliver, set on the first
//! span of each chunk so the agent can scale what it computes from the traces it did get.

use std::collections::VecDeque;

/// Send cycles the rate looks back over (about ten seconds at the default interval).
const WINDOW: usize = 10;

#[derive(Debug, Default)]
pub(crate) struct KeepRate {
    cycles: VecDeque<(u64, u64)>,
}

impl KeepRate {
    /// Records one cycle: traces delivered and traces dropped (for any reason) since the last.
    pub(crate) fn record(&mut self, sent: u64, dropped: u64) {
        if sent == 0 && dropped == 0 {
            return;
        }
        if self.cycles.len() == WINDOW {
            self.cycles.pop_front();
        }
        self.cycles.push_back((sent, dropped));
    }

    /// 1 - dropped / (sent + dropped) over the window; 1 before anything happened.
    pub(crate) fn rate(&self) -> f64 {
        let (sent, dropped) = self
            .cycles
            .iter()
            .fold((0u64, 0u64), |(s, d), (cs, cd)| (s + cs, d + cd));
        if sent + dropped == 0 {
            1.0
        } else {
            1.0 - dropped as f64 / (sent + dropped) as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_one_and_forgets_old_cycles() {
        let mut k = KeepRate::default();
        assert_eq!(k.rate(), 1.0);
        k.record(3, 1);
        assert_eq!(k.rate(), 0.75);
        for _ in 0..WINDOW {
            k.record(1, 0);
        }
        assert_eq!(k.rate(), 1.0);
    }
}
