//! [`Propagator`]: extracts a [`SpanContext`] from incoming headers and injects one into
//! outgoing headers, in the configured styles.

use super::carrier::{Extractor, Injector};
use super::parse::{header, py_int};
use super::{b3, baggage, datadog, tracecontext};
use crate::config::Config;
use crate::config::{ExtractBehavior, PropagationStyle};
use crate::context::{
    LAST_PARENT_ID_KEY, PROPAGATION_ERROR_KEY, SpanContext, TRACEPARENT_KEY, TRACESTATE_KEY,
};
use crate::span::SpanRef;
use crate::span_data::SpanLink;
use crate::str::Str;

/// The order styles are injected in, whatever the configured one: the datadog style may add
/// `_dd.p.tid`, which the tracecontext style then carries in `t.tid`. A style missing here
/// would never be injected: a test checks that every style appears once.
const INJECT_ORDER: [PropagationStyle; 5] = [
    PropagationStyle::Baggage,
    PropagationStyle::Datadog,
    PropagationStyle::B3Multi,
    PropagationStyle::B3Single,
    PropagationStyle::TraceContext,
];

/// The prefix of the local-root tags that copy baggage items (`DD_TRACE_BAGGAGE_TAG_KEYS`).
const BAGGAGE_TAG_PREFIX: &str = "baggage.";

/// Reads and writes trace context in the configured header styles, with the Python tracer's
/// rules for malformed input and for styles that disagree.
///
/// Cheap to clone; build one at start-up and share it.
///
/// ```
/// use std::collections::HashMap;
/// use ddtrace_core::propagation::{PropagationStyle, Propagator};
///
/// let propagator = Propagator::new(
///     [PropagationStyle::Datadog, PropagationStyle::TraceContext],
///     [PropagationStyle::Datadog],
/// );
///
/// let mut incoming = HashMap::new();
/// incoming.insert("X-Datadog-Trace-Id".to_owned(), "123".to_owned());
/// incoming.insert("x-datadog-parent-id".to_owned(), "456".to_owned());
/// incoming.insert("x-datadog-sampling-priority".to_owned(), "2".to_owned());
/// let mut ctx = propagator.extract(&incoming).expect("a context");
/// assert_eq!(ctx.trace_id.0, 123);
///
/// let mut outgoing: HashMap<String, String> = HashMap::new();
/// propagator.inject_context(&mut ctx, &mut outgoing);
/// assert_eq!(outgoing["x-datadog-sampling-priority"], "2");
/// ```
#[derive(Debug, Clone)]
pub struct Propagator {
    extract_styles: Vec<PropagationStyle>,
    inject_styles: Vec<PropagationStyle>,
    extract_first: bool,
    behavior: ExtractBehavior,
    x_datadog_tags_max_length: usize,
    baggage_tag_keys: Vec<String>,
    trace_id_128_bit: bool,
    http_baggage: bool,
}

impl Default for Propagator {
    /// The Python tracer's defaults: `datadog,tracecontext,baggage` both ways.
    fn default() -> Self {
        PropagatorBuilder::default().build()
    }
}

impl Propagator {
    /// A propagator with explicit extraction and injection styles and default settings
    /// otherwise.
    pub fn new(
        extract: impl IntoIterator<Item = PropagationStyle>,
        inject: impl IntoIterator<Item = PropagationStyle>,
    ) -> Self {
        Self::builder()
            .extract_styles(extract)
            .inject_styles(inject)
            .build()
    }

    /// A builder starting from the defaults.
    pub fn builder() -> PropagatorBuilder {
        PropagatorBuilder::default()
    }

    /// A propagator as `config` describes it: `DD_TRACE_PROPAGATION_STYLE(_EXTRACT|_INJECT)`,
    /// `DD_TRACE_PROPAGATION_EXTRACT_FIRST`, `DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT`,
    /// `DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH`, `DD_TRACE_BAGGAGE_TAG_KEYS` and
    /// `DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED`. The configuration parsed the style names
    /// and reported unknown ones (as [`ConfigWarning`](crate::config::ConfigWarning)s) already.
    pub fn from_config(config: &Config) -> Self {
        PropagatorBuilder::from_config(config).build()
    }

    /// The styles read on extraction, in order of precedence.
    pub fn extract_styles(&self) -> &[PropagationStyle] {
        &self.extract_styles
    }

    /// The styles written on injection.
    pub fn inject_styles(&self) -> &[PropagationStyle] {
        &self.inject_styles
    }

    /// Reads the trace context from `carrier`.
    ///
    /// Every configured style is read; the first that yields a context wins. A context from
    /// another style with a different trace id becomes a span link on it
    /// (`reason=terminated_context`); a `tracecontext` context with the same trace id passes on
    /// its `tracestate`, and its parent id (recording the Datadog one in `_dd.parent_id`).
    /// Baggage is attached last.
    ///
    /// As in the Python tracer, a context comes back even when no trace headers were found (it
    /// may carry only baggage, or nothing: see [`SpanContext::has_trace_id`]). `None` comes back
    /// only with `DD_TRACE_PROPAGATION_EXTRACT_FIRST` when the first style finds nothing and
    /// there is no baggage. Malformed headers never panic: they are ignored, or recorded as
    /// `_dd.propagation_error`, and reported in a rate-limited log message.
    pub fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        if self.extract_styles.is_empty()
            || self.behavior == ExtractBehavior::Ignore
            || carrier.is_empty()
        {
            return Some(SpanContext::default());
        }
        let first_style;
        let mut context = if self.extract_first {
            let style = self.extract_styles[0];
            first_style = Some(style);
            let mut ctx = self.extract_style(style, carrier);
            if let Some(ctx) = &mut ctx {
                self.attach_ot_baggage(ctx, carrier);
            }
            ctx
        } else {
            let found: Vec<(PropagationStyle, SpanContext)> = self
                .extract_styles
                .iter()
                .filter(|s| **s != PropagationStyle::Baggage)
                .filter_map(|s| Some((*s, self.extract_style(*s, carrier)?)))
                .collect();
            first_style = found.first().map(|(s, _)| *s);
            if found.is_empty() {
                Some(SpanContext::default())
            } else {
                let mut ctx = resolve(found, carrier);
                self.attach_ot_baggage(&mut ctx, carrier);
                Some(ctx)
            }
        };

        if self.extract_styles.contains(&PropagationStyle::Baggage) {
            let items = baggage::extract(carrier);
            if !items.is_empty() {
                let ctx = context.get_or_insert_with(SpanContext::default);
                ctx.baggage = items;
                self.tag_baggage(ctx);
            }
        }

        if self.behavior == ExtractBehavior::Restart {
            let ctx = context.unwrap_or_default();
            let link = first_style.and_then(|s| to_link(&ctx, s, "propagation_behavior_extract"));
            return Some(SpanContext {
                baggage: ctx.baggage,
                links: link.into_iter().collect(),
                ..Default::default()
            });
        }
        context
    }

    fn extract_style(
        &self,
        style: PropagationStyle,
        carrier: &dyn Extractor,
    ) -> Option<SpanContext> {
        match style {
            PropagationStyle::Datadog => datadog::extract(carrier, self.trace_id_128_bit),
            PropagationStyle::TraceContext => tracecontext::extract(carrier),
            PropagationStyle::B3Multi => b3::extract_multi(carrier),
            PropagationStyle::B3Single => b3::extract_single(carrier),
            PropagationStyle::Baggage => Some(SpanContext {
                baggage: baggage::extract(carrier),
                ..Default::default()
            }),
        }
    }

    fn attach_ot_baggage(&self, ctx: &mut SpanContext, carrier: &dyn Extractor) {
        if self.http_baggage {
            for (k, v) in baggage::extract_ot(carrier) {
                ctx.set_baggage_item(k, v);
            }
        }
    }

    /// Copies the baggage items named in `DD_TRACE_BAGGAGE_TAG_KEYS` (`*`: all) into
    /// `baggage.<key>` tags of the local root.
    fn tag_baggage(&self, ctx: &mut SpanContext) {
        let all = self.baggage_tag_keys.iter().any(|k| k == "*");
        let keys: Vec<String> = if all {
            ctx.baggage.iter().map(|(k, _)| k.clone()).collect()
        } else {
            self.baggage_tag_keys.clone()
        };
        for key in keys {
            let Some(value) = ctx.baggage_item(&key).map(str::to_owned) else {
                continue;
            };
            let tag = format!("{BAGGAGE_TAG_PREFIX}{key}");
            if ctx.root_tag(&tag).is_none() {
                ctx.set_root_tag(tag, value);
            }
        }
    }

    /// Writes `span`'s context into `carrier` in every injection style.
    ///
    /// The trace's sampling decision is taken first if nobody has taken it yet (through
    /// [`SpanRef::context`]), so downstream services receive the final priority. A handle to
    /// no span (tracing disabled) injects nothing.
    pub fn inject(&self, span: &SpanRef, carrier: &mut dyn Injector) {
        // A handle to no span (tracing disabled) gives an empty context: nothing is written.
        let mut ctx = span.context();
        // Trace-level tags that only the local root holds: the upstream tracestate (other
        // vendors' entries go on) and an earlier propagation error (not retried).
        for key in [TRACESTATE_KEY, PROPAGATION_ERROR_KEY] {
            if let Some(v) = span.local_root_meta(key) {
                ctx.set_root_tag(key, v);
            }
        }
        let before = ctx.propagation_error().map(str::to_owned);
        self.inject_inner(&mut ctx, carrier, true);
        if let Some(error) = ctx.propagation_error()
            && before.as_deref() != Some(error)
        {
            span.set_local_root_meta(PROPAGATION_ERROR_KEY, error.to_owned());
        }
    }

    /// Writes `ctx` into `carrier` in every injection style, as for a context received from
    /// another process (the W3C `p` entry passes on its `_dd.parent_id`).
    ///
    /// Like the Python tracer, injection records on `ctx` what it learnt: `_dd.p.tid` for a
    /// 128-bit trace id (datadog style), and `_dd.propagation_error` when `x-datadog-tags`
    /// could not be sent; a context that carries a propagation error does not send
    /// `x-datadog-tags` again. The priority is sent as it is: take the sampling decision before
    /// (or use [`inject`](Self::inject) with the span).
    pub fn inject_context(&self, ctx: &mut SpanContext, carrier: &mut dyn Injector) {
        self.inject_inner(ctx, carrier, false);
    }

    fn inject_inner(&self, ctx: &mut SpanContext, carrier: &mut dyn Injector, local: bool) {
        // Baggage goes out even without a trace.
        if self.inject_styles.contains(&PropagationStyle::Baggage) {
            baggage::inject(&ctx.baggage, carrier);
        }
        if ctx.trace_id.is_zero() || ctx.span_id.is_none() {
            return;
        }
        if self.http_baggage {
            baggage::inject_ot(&ctx.baggage, carrier);
        }
        for style in INJECT_ORDER {
            if !self.inject_styles.contains(&style) {
                continue;
            }
            // Exhaustive on purpose: a new style does not compile until it says how it injects.
            match style {
                PropagationStyle::Datadog => {
                    datadog::inject(ctx, carrier, self.x_datadog_tags_max_length)
                }
                PropagationStyle::B3Multi => b3::inject_multi(ctx, carrier),
                PropagationStyle::B3Single => b3::inject_single(ctx, carrier),
                PropagationStyle::TraceContext => tracecontext::inject(ctx, carrier, local),
                // Written above, before the trace check: baggage goes out even without a trace.
                PropagationStyle::Baggage => {}
            }
        }
    }
}

/// The first context wins; the others either become links or, for `tracecontext` on the same
/// trace, lend it their tracestate and parent.
fn resolve(found: Vec<(PropagationStyle, SpanContext)>, carrier: &dyn Extractor) -> SpanContext {
    let datadog_parent = found
        .iter()
        .find(|(s, _)| *s == PropagationStyle::Datadog)
        .map(|(_, c)| datadog_parent_hex(c.span_id, carrier));
    let mut iter = found.into_iter();
    let Some((_, mut primary)) = iter.next() else {
        return SpanContext::default();
    };
    let mut links = Vec::new();
    for (style, ctx) in iter {
        if !ctx.trace_id.is_zero() && ctx.trace_id != primary.trace_id {
            links.extend(to_link(&ctx, style, "terminated_context"));
        } else if style == PropagationStyle::TraceContext {
            if let Some(tp) = ctx.root_tag(TRACEPARENT_KEY) {
                primary.set_root_tag(TRACEPARENT_KEY, tp);
            }
            // The tracestate as the tracecontext style cleaned it (limits, whitespace, `ot=`),
            // as the Python tracer passes it on.
            if let Some(ts) = ctx.root_tag(TRACESTATE_KEY) {
                primary.set_root_tag(TRACESTATE_KEY, ts);
            }
            if primary.trace_id == ctx.trace_id && primary.span_id != ctx.span_id {
                if let Some(p) = ctx.root_tag(LAST_PARENT_ID_KEY) {
                    primary.set_root_tag(LAST_PARENT_ID_KEY, p);
                } else if let Some(dd) = &datadog_parent {
                    primary.set_root_tag(LAST_PARENT_ID_KEY, dd.as_str());
                }
                // The W3C parent is the most recent hop (a non-Datadog service may sit between).
                primary.span_id = ctx.span_id;
            }
        }
    }
    primary.links = links;
    primary
}

/// The datadog parent as `_dd.parent_id` holds it: 16 hex digits, or more for an
/// `x-datadog-parent-id` of 2^64 and above, which the Python tracer keeps as a big integer
/// and prints in full (`10000000000000000` for 2^64) while a `SpanId` leaves it unset.
fn datadog_parent_hex(span_id: crate::id::SpanId, carrier: &dyn Extractor) -> String {
    if span_id.is_none()
        && let Some(m) = header(carrier, datadog::PARENT_ID)
            .and_then(|raw| py_int(raw, 10))
            .filter(|p| !p.negative)
            .and_then(|p| p.magnitude)
            .filter(|m| *m > u128::from(u64::MAX))
    {
        return format!("{m:016x}");
    }
    span_id.to_hex16()
}

/// A link to `ctx`, if it has both ids.
fn to_link(ctx: &SpanContext, style: PropagationStyle, reason: &'static str) -> Option<SpanLink> {
    if ctx.trace_id.is_zero() || ctx.span_id.is_none() {
        return None;
    }
    let mut link = SpanLink::new(ctx.trace_id, ctx.span_id);
    link.flags = Some(u32::from(
        ctx.sampling_priority.is_some_and(|p| p.is_keep()),
    ));
    if style == PropagationStyle::TraceContext {
        link.tracestate = Some(ctx.tracestate().unwrap_or_default().to_owned());
    }
    link.attributes = vec![
        (Str::from_static("reason"), Str::from_static(reason)),
        (
            Str::from_static("context_headers"),
            Str::from_static(style.as_str()),
        ),
    ];
    Some(link)
}

/// Builds a [`Propagator`]; starts from the Python tracer's defaults.
#[derive(Debug, Clone)]
pub struct PropagatorBuilder {
    inner: Propagator,
}

impl Default for PropagatorBuilder {
    fn default() -> Self {
        let default_styles = vec![
            PropagationStyle::Datadog,
            PropagationStyle::TraceContext,
            PropagationStyle::Baggage,
        ];
        PropagatorBuilder {
            inner: Propagator {
                extract_styles: default_styles.clone(),
                inject_styles: default_styles,
                extract_first: false,
                behavior: ExtractBehavior::Continue,
                x_datadog_tags_max_length: 512,
                baggage_tag_keys: vec!["user.id".into(), "account.id".into(), "session.id".into()],
                trace_id_128_bit: true,
                http_baggage: false,
            },
        }
    }
}

impl PropagatorBuilder {
    /// A builder starting from what `config` describes (see [`Propagator::from_config`]), for
    /// adjusting a setting from code.
    pub fn from_config(config: &Config) -> Self {
        Self::default()
            .extract_styles(config.propagation_style_extract.iter().copied())
            .inject_styles(config.propagation_style_inject.iter().copied())
            .extract_first(config.propagation_extract_first)
            .extract_behavior(config.propagation_behavior_extract)
            .x_datadog_tags_max_length(config.x_datadog_tags_max_length)
            .baggage_tag_keys(config.baggage_tag_keys.iter().cloned())
            .trace_id_128_bit(config.trace_id_128_bit)
            .http_baggage(config.propagation_http_baggage_enabled)
    }

    /// The styles read on extraction, first one winning (duplicates are dropped).
    pub fn extract_styles(mut self, styles: impl IntoIterator<Item = PropagationStyle>) -> Self {
        self.inner.extract_styles = dedup(styles);
        self
    }

    /// The styles written on injection.
    pub fn inject_styles(mut self, styles: impl IntoIterator<Item = PropagationStyle>) -> Self {
        self.inner.inject_styles = dedup(styles);
        self
    }

    /// Read only the first extraction style (`DD_TRACE_PROPAGATION_EXTRACT_FIRST`).
    pub fn extract_first(mut self, first_only: bool) -> Self {
        self.inner.extract_first = first_only;
        self
    }

    /// Continue, restart or ignore incoming traces (`DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT`).
    pub fn extract_behavior(mut self, behavior: ExtractBehavior) -> Self {
        self.inner.behavior = behavior;
        self
    }

    /// The longest `x-datadog-tags` value injected; 0 disables the header
    /// (`DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH`, default 512).
    pub fn x_datadog_tags_max_length(mut self, max: usize) -> Self {
        self.inner.x_datadog_tags_max_length = max;
        self
    }

    /// Baggage keys copied into `baggage.<key>` tags on extraction; `*` copies all
    /// (`DD_TRACE_BAGGAGE_TAG_KEYS`).
    pub fn baggage_tag_keys(mut self, keys: impl IntoIterator<Item = String>) -> Self {
        self.inner.baggage_tag_keys = keys
            .into_iter()
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty())
            .collect();
        self
    }

    /// Whether an incoming `_dd.p.tid` makes the trace id 128-bit
    /// (`DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED`, default true).
    pub fn trace_id_128_bit(mut self, enabled: bool) -> Self {
        self.inner.trace_id_128_bit = enabled;
        self
    }

    /// Also read and write baggage as legacy `ot-baggage-<key>` headers
    /// (`DD_TRACE_PROPAGATION_HTTP_BAGGAGE_ENABLED`, default false).
    pub fn http_baggage(mut self, enabled: bool) -> Self {
        self.inner.http_baggage = enabled;
        self
    }

    /// The propagator.
    pub fn build(self) -> Propagator {
        self.inner
    }
}

fn dedup(styles: impl IntoIterator<Item = PropagationStyle>) -> Vec<PropagationStyle> {
    let mut out = Vec::new();
    for s in styles {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every style is in [`INJECT_ORDER`], once. The match fails to compile when a variant is
    /// added, pointing here: list the new style in `ALL` and in `INJECT_ORDER`.
    #[test]
    fn the_inject_order_names_every_style_once() {
        const ALL: [PropagationStyle; 5] = [
            PropagationStyle::Datadog,
            PropagationStyle::TraceContext,
            PropagationStyle::B3Multi,
            PropagationStyle::B3Single,
            PropagationStyle::Baggage,
        ];
        for style in ALL {
            match style {
                PropagationStyle::Datadog
                | PropagationStyle::TraceContext
                | PropagationStyle::B3Multi
                | PropagationStyle::B3Single
                | PropagationStyle::Baggage => {}
            }
            assert_eq!(INJECT_ORDER.iter().filter(|s| **s == style).count(), 1);
        }
        assert_eq!(INJECT_ORDER.len(), ALL.len());
    }
}
