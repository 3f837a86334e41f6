//! The record the spans of one local trace share: finished spans, open count, sampling
//! decision and trace-level tags.
//!
//! Every span of a local trace holds an `Arc` to the same record, so finishing a span locks this
//! trace's record and nothing else: there is no global map of traces and no lock shared with
//! other traces.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::clock::Anchor;
use crate::export::TraceChunk;
use crate::id::{SpanId, TraceId};
use crate::sampling::{SamplingDecision, SamplingMechanism, SamplingPriority, format_rate};
use crate::span::SpanInner;
use crate::span_data::SpanData;
use crate::str::Str;
use crate::tracer::TracerShared;

/// With partial flush off, a trace whose root never finishes still cannot grow without bound:
/// its finished spans are sent in chunks of this size.
pub(crate) const HARD_MAX_BUFFERED_SPANS: usize = 10_000;

pub(crate) struct TraceState {
    pub(crate) trace_id: TraceId,
    pub(crate) anchor: Anchor,
    pub(crate) tracer: Arc<TracerShared>,
    open: AtomicUsize,
    inner: Mutex<TraceInner>,
}

#[derive(Default)]
struct TraceInner {
    /// Finished spans, still in their shared allocation: their data is moved out once, when
    /// the chunk is emitted, rather than copied on every finish.
    finished: Vec<Arc<SpanInner>>,
    root: Weak<SpanInner>,
    root_id: SpanId,
    decision: Option<SamplingDecision>,
    origin: Option<Str>,
    /// Propagated `_dd.p.*` tags.
    tags: Vec<(Str, Str)>,
    baggage: Vec<(String, String)>,
}

/// What a trace carries over from an upstream service.
#[derive(Default)]
pub(crate) struct Inherited {
    pub(crate) priority: Option<SamplingPriority>,
    pub(crate) origin: Option<String>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) baggage: Vec<(String, String)>,
}

impl TraceState {
    pub(crate) fn new(
        tracer: Arc<TracerShared>,
        trace_id: TraceId,
        anchor: Anchor,
        inherited: Inherited,
    ) -> Arc<Self> {
        let decision = inherited.priority.map(|priority| SamplingDecision {
            priority,
            // An upstream decision keeps the upstream's `_dd.p.dm`, carried in the tags.
            mechanism: SamplingMechanism::DEFAULT,
            rate: None,
            root_metrics: Vec::new(),
            discard: false,
        });
        let inner = TraceInner {
            decision,
            origin: inherited.origin.map(Str::from),
            tags: inherited
                .tags
                .into_iter()
                .map(|(k, v)| (Str::from(k), Str::from(v)))
                .collect(),
            baggage: inherited.baggage,
            ..Default::default()
        };
        Arc::new(TraceState {
            trace_id,
            anchor,
            tracer,
            open: AtomicUsize::new(1),
            inner: Mutex::new(inner),
        })
    }

    fn lock(&self) -> MutexGuard<'_, TraceInner> {
        // A panic while holding this lock cannot leave the record inconsistent in a way that
        // matters more than losing the trace; keep going rather than propagate the poison.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_root(&self, root: &Arc<SpanInner>, id: SpanId) {
        let mut g = self.lock();
        g.root = Arc::downgrade(root);
        g.root_id = id;
    }

    /// The local root span, while it is open (for trace-level tags only it carries).
    pub(crate) fn local_root(&self) -> Option<Arc<SpanInner>> {
        self.lock().root.upgrade()
    }

    pub(crate) fn span_started(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    /// The sampling priority, if decided.
    pub(crate) fn priority(&self) -> Option<SamplingPriority> {
        self.lock().decision.as_ref().map(|d| d.priority)
    }

    pub(crate) fn origin(&self) -> Option<Str> {
        self.lock().origin.clone()
    }

    pub(crate) fn trace_tags(&self) -> Vec<(Str, Str)> {
        self.lock().tags.clone()
    }

    pub(crate) fn baggage(&self) -> Vec<(String, String)> {
        self.lock().baggage.clone()
    }

    pub(crate) fn set_baggage_item(&self, key: String, value: String) {
        let mut g = self.lock();
        match g.baggage.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => g.baggage.push((key, value)),
        }
    }

    pub(crate) fn set_trace_tag(&self, key: Str, value: Str) {
        set_pair(&mut self.lock().tags, key, value);
    }

    /// The user kept or dropped the trace by hand: this beats any other decision.
    pub(crate) fn set_manual_priority(&self, priority: SamplingPriority) {
        let mut g = self.lock();
        g.decision = Some(SamplingDecision {
            priority,
            mechanism: SamplingMechanism::MANUAL,
            rate: None,
            root_metrics: Vec::new(),
            discard: false,
        });
        set_pair(&mut g.tags, Str::Static("_dd.p.dm"), Str::Static("-4"));
        g.tags.retain(|(k, _)| k.as_str() != "_dd.p.ksr");
    }

    /// Decides the trace's sampling priority if nobody has yet. `finished_root` is the local
    /// root when it has already finished (it is then no longer reachable through its span).
    pub(crate) fn ensure_sampled(&self, finished_root: Option<&SpanData>) -> SamplingPriority {
        let root = {
            let g = self.lock();
            if let Some(d) = &g.decision {
                return d.priority;
            }
            g.root.clone()
        };
        let sampler = &self.tracer.sampler;
        let decision = match (finished_root, root.upgrade()) {
            (Some(data), _) => sampler.decide(self.trace_id, data),
            (None, Some(live)) => live.with_data(|data| sampler.decide(self.trace_id, data)),
            (None, None) => SamplingDecision::default_keep(),
        };
        let mut g = self.lock();
        if let Some(d) = &g.decision {
            return d.priority; // decided concurrently (manual keep/drop, injection)
        }
        if !g.tags.iter().any(|(k, _)| k.as_str() == "_dd.p.dm") {
            let dm = decision_maker(decision.mechanism);
            g.tags.push((Str::Static("_dd.p.dm"), dm));
        }
        if let Some(rate) = decision.rate {
            set_pair(
                &mut g.tags,
                Str::Static("_dd.p.ksr"),
                Str::from(format_rate(rate)),
            );
        }
        let priority = decision.priority;
        g.decision = Some(decision);
        priority
    }

    /// A span of this trace finished: buffer it, and hand a chunk to the exporter when the
    /// trace is complete or large enough for a partial flush.
    pub(crate) fn finish_span(&self, span: Arc<SpanInner>) {
        let finished = {
            let mut g = self.lock();
            if g.finished.capacity() == 0 {
                g.finished.reserve(8);
            }
            g.finished.push(span);
            let open = self.open.fetch_sub(1, Ordering::AcqRel) - 1;
            let config = &self.tracer.config;
            let n = g.finished.len();
            let flush = open == 0
                || (config.partial_flush_enabled && n >= config.partial_flush_min_spans)
                || n >= HARD_MAX_BUFFERED_SPANS;
            if !flush {
                return;
            }
            std::mem::take(&mut g.finished)
        };
        let spans = finished.iter().map(|s| s.take_data()).collect();
        self.emit(spans);
    }

    fn emit(&self, mut spans: Vec<SpanData>) {
        let root_pos = {
            let root_id = self.lock().root_id;
            spans.iter().position(|s| s.span_id == root_id)
        };
        let priority = self.ensure_sampled(root_pos.map(|i| &spans[i]));
        let (tags, origin, root_metrics, discard) = {
            let g = self.lock();
            let d = g.decision.as_ref();
            (
                g.tags.clone(),
                g.origin.clone(),
                d.map(|d| d.root_metrics.clone()).unwrap_or_default(),
                d.is_some_and(|d| d.discard),
            )
        };
        if discard && !priority.is_keep() {
            return;
        }
        self.tracer.sampler.sample_spans(priority, &mut spans);
        // The local root leads its chunk; otherwise the earliest finished span does.
        if let Some(i) = root_pos {
            spans.swap(0, i);
            for (k, v) in root_metrics {
                spans[0].set_metric(k, v);
            }
        }
        let first = &mut spans[0];
        first.set_meta(Str::Static("language"), Str::Static("rust"));
        for (k, v) in tags {
            first.set_meta(k, v);
        }
        if self.trace_id.high() != 0 {
            first.set_meta(
                Str::Static("_dd.p.tid"),
                Str::from(self.trace_id.high_hex16()),
            );
        }
        first.set_metric(Str::Static("_sampling_priority_v1"), f64::from(priority.0));
        if let Some(origin) = origin {
            for s in &mut spans {
                s.set_meta(Str::Static("_dd.origin"), origin.clone());
            }
        }
        self.tracer.exporter.export(TraceChunk {
            trace_id: self.trace_id,
            priority: Some(priority),
            spans,
        });
    }
}

fn set_pair(pairs: &mut Vec<(Str, Str)>, key: Str, value: Str) {
    match pairs.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => pairs.push((key, value)),
    }
}

fn decision_maker(m: SamplingMechanism) -> Str {
    match m.0 {
        0 => Str::Static("-0"),
        1 => Str::Static("-1"),
        3 => Str::Static("-3"),
        4 => Str::Static("-4"),
        8 => Str::Static("-8"),
        11 => Str::Static("-11"),
        12 => Str::Static("-12"),
        _ => Str::from(m.decision_maker_tag()),
    }
}
