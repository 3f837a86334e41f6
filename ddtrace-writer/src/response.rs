//! The agent's answer to a trace payload: `{"rate_by_service": {"service:S,env:E": rate}}`.

use std::collections::HashMap;

use ddtrace_core::RateLimitedLog;
use ddtrace_core::sampling::AgentRates;
use serde_json::Value;

use crate::stats::{Counters, add};
use crate::transport::Response;

/// What a 2xx answer contained.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rates {
    /// No `rate_by_service` (old agents answer `OK`): keep the current rates.
    Absent,
    /// The new table; entries that were not rates in [0, 1] are left out and counted.
    Table {
        rates: HashMap<String, f64>,
        invalid_entries: usize,
    },
}

/// Why the answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ResponseError {
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    #[error("rate_by_service is not an object")]
    NotAnObject,
}

pub(crate) fn parse_rates(body: &[u8]) -> Result<Rates, ResponseError> {
    let text = body.trim_ascii();
    // Agents before 6.x answer a bare `OK`; an empty body says as little.
    if text.is_empty() || text.eq_ignore_ascii_case(b"ok") {
        return Ok(Rates::Absent);
    }
    let v: Value =
        serde_json::from_slice(text).map_err(|e| ResponseError::NotJson(e.to_string()))?;
    let Some(table) = v.get("rate_by_service") else {
        return Ok(Rates::Absent);
    };
    let table = table.as_object().ok_or(ResponseError::NotAnObject)?;
    let mut rates = HashMap::with_capacity(table.len());
    let mut invalid_entries = 0;
    for (key, rate) in table {
        match rate.as_f64() {
            Some(r) if (0.0..=1.0).contains(&r) && key.starts_with("service:") => {
                rates.insert(key.clone(), r);
            }
            _ => invalid_entries += 1,
        }
    }
    Ok(Rates::Table {
        rates,
        invalid_entries,
    })
}

/// What [`apply_agent_response`] did with an answer.
#[doc(hidden)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The number of rates now in the sampler's table; `None` when the answer carried no
    /// table and the rates are unchanged.
    pub stored: Option<usize>,
    /// Why the answer, or part of it, could not be used; the writer counts and logs it.
    pub problem: Option<String>,
}

/// Reads an agent's 2xx answer to a trace payload and, when it holds a `rate_by_service`
/// table, stores that table in `rates`. `body_error` says why the body could not be read
/// whole, if it could not.
///
/// The writer applies every answer through this function, and so does the `agent_response`
/// fuzz target (fuzz/), since the parser itself is private. Not a stable API.
#[doc(hidden)]
pub fn apply_agent_response(body: &[u8], body_error: Option<&str>, rates: &AgentRates) -> Applied {
    let parsed = match body_error {
        Some(e) => Err(format!("the answer could not be read: {e}")),
        None => parse_rates(body).map_err(|e| e.to_string()),
    };
    match parsed {
        Ok(Rates::Absent) => Applied::default(),
        Ok(Rates::Table {
            rates: table,
            invalid_entries,
        }) => {
            let stored = table.len();
            rates.update(table);
            Applied {
                stored: Some(stored),
                problem: (invalid_entries > 0)
                    .then(|| format!("{invalid_entries} entries of rate_by_service are not rates")),
            }
        }
        Err(problem) => Applied {
            stored: None,
            problem: Some(problem),
        },
    }
}

/// Applies a 2xx answer with [`apply_agent_response`], and counts it: a rate update, or a bad
/// answer with a log line (rate limited by `log_limit`).
pub(crate) fn handle_answer(
    resp: &Response,
    agent_rates: &AgentRates,
    counters: &Counters,
    log_limit: &RateLimitedLog,
    url: &str,
) {
    let applied = apply_agent_response(&resp.body, resp.body_error.as_deref(), agent_rates);
    if applied.stored.is_some() {
        add(&counters.rate_updates, 1);
    }
    if let Some(problem) = applied.problem {
        add(&counters.bad_responses, 1);
        if let Some(n) = log_limit.check() {
            ddtrace_core::diag_warn!(
                "ddtrace: unexpected answer from the Datadog Agent at {url}: {problem} \
                 (body: {}) ({n} similar answers not logged)",
                snippet(&resp.body)
            );
        }
    }
}

/// The start of an answer body, printable.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.trim().replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use ddtrace_core::export::SpanBufferPool;

    use super::*;

    #[test]
    fn bad_answers_are_counted_and_rates_applied() {
        let rates = AgentRates::new();
        let counters = Counters::default();
        let log = RateLimitedLog::new(Duration::from_secs(60));
        let answer = |body: &'static [u8], body_error: Option<&str>| Response {
            status: http::StatusCode::OK,
            body: Bytes::from_static(body),
            body_error: body_error.map(str::to_owned),
        };
        let good = answer(br#"{"rate_by_service": {"service:a,env:b": 0.25}}"#, None);
        handle_answer(&good, &rates, &counters, &log, "u");
        assert_eq!(rates.rate_for("a", "b"), Some(0.25));
        handle_answer(&answer(b"garbage", None), &rates, &counters, &log, "u");
        handle_answer(
            &answer(b"", Some("length limit exceeded")),
            &rates,
            &counters,
            &log,
            "u",
        );
        assert_eq!(rates.rate_for("a", "b"), Some(0.25));
        let s = counters.snapshot(Default::default(), &SpanBufferPool::new(0));
        assert_eq!((s.rate_updates, s.bad_responses), (1, 2));
    }

    #[test]
    fn reads_rates_and_skips_bad_entries() {
        let r = parse_rates(br#"{"rate_by_service": {"service:a,env:b": 0.5, "service:,env:": 1, "service:x,env:": "high", "service:y,env:": 7}}"#);
        let Ok(Rates::Table {
            rates,
            invalid_entries,
        }) = r
        else {
            panic!("{r:?}");
        };
        assert_eq!(rates["service:a,env:b"], 0.5);
        assert_eq!(rates["service:,env:"], 1.0);
        assert_eq!(rates.len(), 2);
        assert_eq!(invalid_entries, 2);
    }

    #[test]
    fn old_agents_and_garbage() {
        assert_eq!(parse_rates(b"OK\n"), Ok(Rates::Absent));
        assert_eq!(parse_rates(b"{}"), Ok(Rates::Absent));
        assert!(matches!(
            parse_rates(b"\xc1\xff"),
            Err(ResponseError::NotJson(_))
        ));
        assert_eq!(
            parse_rates(br#"{"rate_by_service": [1]}"#),
            Err(ResponseError::NotAnObject)
        );
    }
}
