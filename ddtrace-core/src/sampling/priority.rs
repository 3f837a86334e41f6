//! Sampling priorities and the mechanisms that decide them.

use std::fmt;

use crate::str::Str;

/// A trace's sampling priority, as carried in `_sampling_priority_v1` and propagation headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SamplingPriority(pub i8);

impl SamplingPriority {
    /// -1: the user (or a user rule) dropped the trace.
    pub const USER_REJECT: Self = Self(-1);
    /// 0: the default or agent rate dropped the trace.
    pub const AUTO_REJECT: Self = Self(0);
    /// 1: the default or agent rate kept the trace.
    pub const AUTO_KEEP: Self = Self(1);
    /// 2: the user (or a user rule) kept the trace.
    pub const USER_KEEP: Self = Self(2);

    /// Whether the trace is kept (priority > 0).
    pub const fn is_keep(self) -> bool {
        self.0 > 0
    }
}

impl fmt::Display for SamplingPriority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What took a sampling decision; written as `_dd.p.dm = -<value>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SamplingMechanism(pub u8);

impl SamplingMechanism {
    /// No rule and no agent rate matched.
    pub const DEFAULT: Self = Self(0);
    /// The agent's rate for the trace's service and env.
    pub const AGENT_RATE: Self = Self(1);
    /// A local trace sampling rule (`DD_TRACE_SAMPLING_RULES` or code).
    pub const LOCAL_USER_RULE: Self = Self(3);
    /// The user kept or dropped the trace by hand (`manual.keep`, `manual.drop`).
    pub const MANUAL: Self = Self(4);
    /// A single-span sampling rule.
    pub const SPAN_SAMPLING_RULE: Self = Self(8);
    /// A remote rule with provenance `customer`.
    pub const REMOTE_USER_RULE: Self = Self(11);
    /// A remote rule with provenance `dynamic`.
    pub const REMOTE_DYNAMIC_RULE: Self = Self(12);

    /// The `_dd.p.dm` value for this mechanism (`-0`, `-1`, `-3`, ...).
    pub fn decision_maker_tag(self) -> String {
        self.decision_maker().as_str().to_owned()
    }

    /// The `_dd.p.dm` value as a [`Str`]: the mechanisms this tracer uses come from literals,
    /// so recording a decision allocates nothing.
    pub fn decision_maker(self) -> Str {
        match self.0 {
            0 => Str::from_static("-0"),
            1 => Str::from_static("-1"),
            3 => Str::from_static("-3"),
            4 => Str::from_static("-4"),
            8 => Str::from_static("-8"),
            11 => Str::from_static("-11"),
            12 => Str::from_static("-12"),
            n => Str::from(format!("-{n}")),
        }
    }

    /// The priorities this mechanism uses to keep and to reject.
    pub const fn priorities(self) -> (SamplingPriority, SamplingPriority) {
        match self.0 {
            3 | 4 | 11 | 12 => (SamplingPriority::USER_KEEP, SamplingPriority::USER_REJECT),
            _ => (SamplingPriority::AUTO_KEEP, SamplingPriority::AUTO_REJECT),
        }
    }
}
