//! The agent's answer to a trace payload: `{"rate_by_service": {"service:S,env:E": rate}}`.

use std::collections::HashMap;

use serde_json::Value;

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

/// Reads an agent's answer to a trace payload exactly as the writer does and, when it holds a
/// `rate_by_service` table, stores it in `rates`. Returns the number of rates stored (`None`
/// when the answer had no table). Not a stable API: the entry point of the `agent_response`
/// fuzz target (fuzz/), since the parser itself is private.
#[doc(hidden)]
pub fn apply_agent_response(
    body: &[u8],
    rates: &ddtrace_core::sampling::AgentRates,
) -> Result<Option<usize>, String> {
    match parse_rates(body).map_err(|e| e.to_string())? {
        Rates::Absent => Ok(None),
        Rates::Table { rates: table, .. } => {
            let n = table.len();
            rates.update(table);
            Ok(Some(n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
