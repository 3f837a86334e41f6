//! The agent's per-service sampling rates, as the writer last received them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

/// Rates by `"service:S,env:E"` key, replaced wholesale on each agent response.
///
/// The writer stores; the sampler reads on the hot path without taking a lock (an atomically
/// swapped pointer).
#[derive(Debug, Default)]
pub struct AgentRates {
    rates: ArcSwap<HashMap<String, f64>>,
}

impl AgentRates {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The key the agent uses for a service and env.
    pub fn key(service: &str, env: &str) -> String {
        format!("service:{service},env:{env}")
    }

    /// Replaces the whole table with the agent's latest answer.
    pub fn update(&self, rates: HashMap<String, f64>) {
        self.rates.store(Arc::new(rates));
    }

    /// The rate for `service` and `env`, if the agent gave one.
    pub fn rate_for(&self, service: &str, env: &str) -> Option<f64> {
        let rates = self.rates.load();
        if rates.is_empty() {
            return None;
        }
        // Called once per trace: build the key in a reused per-thread buffer, not a new String.
        thread_local!(static KEY: RefCell<String> = const { RefCell::new(String::new()) });
        KEY.with(|key| match key.try_borrow_mut() {
            Ok(mut key) => {
                key.clear();
                key.push_str("service:");
                key.push_str(service);
                key.push_str(",env:");
                key.push_str(env);
                rates.get(key.as_str()).copied()
            }
            // Only reachable re-entrantly; fall back to a fresh key.
            Err(_) => rates.get(&Self::key(service, env)).copied(),
        })
    }

    /// A copy of the whole table (for diagnostics and tests).
    pub fn snapshot(&self) -> HashMap<String, f64> {
        (**self.rates.load()).clone()
    }
}
