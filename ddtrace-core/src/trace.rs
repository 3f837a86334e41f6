//! The record the spans of one local trace share: their data, the open count, the sampling
//! decision and the trace-level tags.
//!
//! The spans of a local trace live in one buffer owned by this record, and a span handle is an
//! `Arc` to the record plus the span's slot in it. So a span costs no allocation of its own and
//! no lock of its own: starting, tagging and finishing a span lock this trace's record and
//! nothing else (there is no global map of traces), and a finished trace leaves as the buffer
//! itself, without copying its spans. Handing one buffer per trace to the writer's thread also
//! keeps the allocator's cross-thread frees to one per trace instead of one per span.
//!
//! Who holds a share of the record's `Arc`, and when it is released, is the protocol of
//! [`share`](crate::share); this record keeps its side of it under its lock: the open-span
//! count, and per slot whether a borrowed active-stack entry may still point here.
//!
//! The tags the tracer adds when a span finishes and when a chunk leaves are
//! [`rules::span_finish`](crate::rules::span_finish) and [`rules::chunk`](crate::rules::chunk);
//! the propagated sampling tags are the [`SamplingDecision`]'s.

use std::cell::Cell;
use std::sync::Arc;

use smallvec::SmallVec;
use spin::mutex::{SpinMutex, SpinMutexGuard};
use spin::relax::Yield;

use crate::clock::{self, Anchor, Instant};
use crate::export::TraceChunk;
use crate::id::{SpanId, TraceId};
use crate::raw;
use crate::rules::{chunk, span_finish};
use crate::sampling::{SamplingDecision, SamplingPriority};
use crate::span_data::SpanData;
use crate::str::Str;
use crate::tag::{TraceTags, set_pair};
use crate::tracer_shared::TracerShared;

/// With partial flush off, a trace whose root never finishes still cannot grow without bound:
/// its finished spans are sent in chunks of this size.
pub(crate) const HARD_MAX_BUFFERED_SPANS: usize = 10_000;

/// The most slots a trace reserves up front; larger traces grow their buffer.
const MAX_RESERVED_SLOTS: usize = 64;

/// What a thread remembers from the traces it finished, for the next one it starts.
struct LastTrace {
    /// How many spans the latest trace finished on this thread held: a new trace started here
    /// reserves that many slots, so a service's usual trace neither regrows its buffer (which
    /// copies every span in it) nor holds much unused room.
    spans: Cell<usize>,
    /// The slot bookkeeping of the latest trace finished here, emptied: the next trace's, so
    /// that a trace allocates no bookkeeping of its own.
    slots: Cell<Vec<Slot>>,
}

thread_local! {
    /// Per thread, so no thread writes a location another one reads.
    static LAST_TRACE: LastTrace = const {
        LastTrace {
            spans: Cell::new(8),
            slots: Cell::new(Vec::new()),
        }
    };
}

/// Marks "no local parent" in [`Slot::parent`].
const NO_SLOT: u32 = u32::MAX;

pub(crate) struct TraceState {
    pub(crate) trace_id: TraceId,
    pub(crate) anchor: Anchor,
    pub(crate) tracer: Arc<TracerShared>,
    /// A spin lock that yields the CPU while it waits, not a `std::sync::Mutex`: see
    /// [`TraceState::lock`].
    inner: SpinMutex<TraceInner, Yield>,
}

/// Everything about a trace that changes, behind its one lock.
pub(crate) struct TraceInner {
    /// The spans of the chunk being assembled, open and finished, indexed by slot. A finished
    /// trace is sent as this vector; slots freed by a partial flush are reused.
    spans: Vec<SpanData>,
    /// Bookkeeping per slot that the agent does not see (same indices as `spans`).
    slots: Vec<Slot>,
    /// Slots freed by a partial flush.
    free: Vec<u32>,
    open: usize,
    finished: usize,
    root_slot: u32,
    root_id: SpanId,
    decision: Option<SamplingDecision>,
    origin: Option<Str>,
    /// Propagated `_dd.p.*` tags.
    tags: TraceTags,
    baggage: Vec<(String, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Finished,
    Free,
}

struct Slot {
    state: State,
    /// Whether an active-stack entry that borrows the span's share of this record may still
    /// be on a stack (see `active`).
    borrowed_entry: bool,
    start: Instant,
    /// The local parent's slot, or [`NO_SLOT`].
    parent: u32,
    /// The local parent's service when its data is no longer in the buffer (it was flushed
    /// before this span finished): `_dd.top_level` compares against it.
    parent_service: Option<Str>,
}

/// What a trace carries over from an upstream service.
#[derive(Default)]
pub(crate) struct Inherited {
    pub(crate) priority: Option<SamplingPriority>,
    pub(crate) origin: Option<String>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) baggage: Vec<(String, String)>,
}

/// Where a new span's parent is, for [`TraceInner::insert`].
pub(crate) enum LocalParent {
    /// The parent's slot in the same buffer.
    Slot(u32),
    /// The parent is no longer in the buffer: its service, for `_dd.top_level`.
    Flushed(Str),
}

impl TraceState {
    /// A new local trace whose root, in slot 0, `fill_root` fills in place; returns the trace
    /// and the root's id.
    pub(crate) fn with_root(
        tracer: Arc<TracerShared>,
        trace_id: TraceId,
        anchor: Anchor,
        inherited: Inherited,
        start: Instant,
        borrowed_entry: bool,
        fill_root: impl FnOnce(&mut SpanData),
    ) -> (Arc<Self>, SpanId) {
        let decision = inherited.priority.map(SamplingDecision::inherited);
        let (reserve, mut slots) = LAST_TRACE
            .try_with(|last| (last.spans.get(), last.slots.take()))
            .unwrap_or((1, Vec::new()));
        let reserve = reserve.clamp(1, MAX_RESERVED_SLOTS);
        slots.reserve(reserve);
        let spans = match tracer.exporter.span_buffer() {
            Some(mut spans) => {
                // Slot indices start at 0: an exporter's own pool may hand back a
                // buffer it did not empty (free when it did).
                spans.clear();
                spans.reserve(reserve);
                spans
            }
            None => Vec::with_capacity(reserve),
        };
        // Built in place and filled under its lock, rather than filled on the stack and moved:
        // the moves into the mutex, the state and the `Arc` were three copies of a large
        // record.
        let trace = Arc::new(TraceState {
            trace_id,
            anchor,
            tracer,
            inner: SpinMutex::new(TraceInner {
                spans,
                slots,
                free: Vec::new(),
                open: 0,
                finished: 0,
                root_slot: 0,
                root_id: SpanId::NONE,
                decision,
                origin: inherited.origin.map(Str::from),
                tags: if inherited.tags.is_empty() {
                    SmallVec::new()
                } else {
                    inherited
                        .tags
                        .into_iter()
                        .map(|(k, v)| (Str::from(k), Str::from(v)))
                        .collect()
                },
                baggage: inherited.baggage,
            }),
        });
        let root_id = {
            let mut g = trace.lock();
            let (_, root) = g.insert(start, None, borrowed_entry);
            fill_root(root);
            let root_id = root.span_id;
            g.root_id = root_id;
            root_id
        };
        (trace, root_id)
    }

    /// Locks the record. A spin lock because it is taken four to six times per span and
    /// almost never contended (only threads working on the same trace meet here): taking and
    /// releasing it costs one atomic instruction where `std::sync::Mutex` costs two. Nothing
    /// slow runs under it: no I/O, no exporter, and of pluggable code only a
    /// [`Sampler`](crate::sampling::Sampler)'s `decide` when a context is injected before the
    /// trace is decided (samplers decide from a span's tags, quickly). A waiter yields its CPU
    /// rather than spin, so a holder that is preempted is not starved.
    #[inline]
    pub(crate) fn lock(&self) -> SpinMutexGuard<'_, TraceInner, Yield> {
        self.inner.lock()
    }

    /// A stack drops the borrowed entry of span `id` in `slot` ([`share`](crate::share)):
    /// while the span is open the open spans' share keeps the record alive, and the span is
    /// told its entry is gone; otherwise the span gave the entry a share when it finished.
    /// Returns whether the entry owns a share to release. Only `share::Entry`'s drop calls
    /// this: the answer is the protocol's, not a query.
    pub(crate) fn release_entry(&self, slot: u32, id: SpanId) -> bool {
        let mut g = self.lock();
        match g.index_of(slot, id, false) {
            Some(i) => {
                g.slots[i].borrowed_entry = false;
                false
            }
            None => true,
        }
    }

    /// The user kept or dropped the trace by hand: this beats any other decision.
    pub(crate) fn set_manual_priority(&self, priority: SamplingPriority) {
        let g = &mut *self.lock();
        g.decision = Some(SamplingDecision::manual(priority, &mut g.tags));
    }

    /// Decides the trace's sampling priority if nobody has yet, from the local root while it
    /// is in the buffer (a trace whose root is gone keeps by default).
    pub(crate) fn ensure_sampled(&self) -> SamplingPriority {
        self.ensure_sampled_locked(&mut self.lock())
    }

    fn ensure_sampled_locked(&self, g: &mut TraceInner) -> SamplingPriority {
        if let Some(p) = g.priority() {
            return p;
        }
        let decision = match g.root() {
            Some(root) => self.tracer.sampler.decide(self.trace_id, root),
            None => SamplingDecision::default_keep(),
        };
        g.record(decision)
    }

    /// Finishes the span in `slot` (if `id` is still open there) as of `end`, and hands a
    /// chunk to the exporter when the trace is complete or large enough for a partial flush.
    /// Returns true if this was the last open span: the caller then releases the open spans'
    /// share of the record ([`share`](crate::share)), and must not touch the record otherwise.
    /// Only `share::OpenSpan::finish` calls this: finishing a span for a holder that is not
    /// its `Span` would let the open spans' share go while that `Span` still points here.
    ///
    /// `entry_elsewhere`: the span's handle activated it with a borrowed entry that it could
    /// not remove from the calling thread's stack, so the entry may outlive the handle.
    pub(crate) fn finish_span(
        self: &Arc<Self>,
        slot: u32,
        id: SpanId,
        end: Instant,
        entry_elsewhere: bool,
    ) -> bool {
        let (spans, root_id, decided, last, _alive) = {
            let mut g = self.lock();
            let finished = g.finish(slot, id, end, &self.tracer);
            if entry_elsewhere && g.take_borrowed_entry(slot, id, finished) {
                // The entry owns a share from now on; whoever removes it releases the share
                // (`share::Entry`'s drop).
                std::mem::forget(Arc::clone(self));
            }
            if !finished {
                // Not counted open, so not this caller's to release: leak rather than free.
                return false;
            }
            let config = &self.tracer.config;
            let (spans, last, alive) = if g.open == 0 {
                (g.take_all(), true, None)
            } else if (config.partial_flush_enabled && g.finished >= config.partial_flush_min_spans)
                || g.finished >= HARD_MAX_BUFFERED_SPANS
            {
                // Spans still open share the record: it must outlive their finishing while
                // this chunk is emitted.
                (g.take_finished(), false, Some(Arc::clone(self)))
            } else {
                return false;
            };
            (spans, g.root_id, g.decision.is_some(), last, alive)
        };
        self.emit(spans, root_id, decided);
        last
    }

    /// Hands `spans` to the exporter, with what the trace adds to its chunks. The record is
    /// locked once more, not once per step; the sampler, user code, runs outside the lock, on
    /// the chunk's own copy of the root.
    fn emit(&self, mut spans: Vec<SpanData>, root_id: SpanId, decided: bool) {
        if spans.is_empty() {
            return;
        }
        let root_pos = spans.iter().position(|s| s.span_id == root_id);
        let early = match root_pos {
            Some(i) if !decided => Some(self.tracer.sampler.decide(self.trace_id, &spans[i])),
            _ => None,
        };
        // The local root leads its chunk; otherwise the earliest span does.
        if let Some(i) = root_pos {
            // Usually there already; `swap` would copy a span through the stack even then.
            if i != 0 {
                spans.swap(0, i);
            }
        }
        let tid = chunk::trace_id_high(self.trace_id);
        let (priority, discard) = {
            let mut g = self.lock();
            let priority = match (g.priority(), early) {
                // Decided before, or concurrently (manual keep/drop, injection).
                (Some(p), _) => p,
                (None, Some(decision)) => g.record(decision),
                (None, None) => self.ensure_sampled_locked(&mut g),
            };
            let d = g.decision.as_mut().expect("decided above");
            let discard = d.discard;
            // The root is in exactly one chunk: its metrics move there.
            if root_pos.is_some() {
                chunk::root_metrics(&mut spans[0], std::mem::take(&mut d.root_metrics));
            }
            // Set while the record is locked anyway, rather than copied out of it: span
            // sampling, below, tags spans but keeps them in place.
            chunk::trace_tags(&mut spans, &g.tags, tid, g.origin.as_ref());
            (priority, discard)
        };
        if discard && !priority.is_keep() {
            return;
        }
        chunk::git(&mut spans[0], &self.tracer.git_tags);
        self.tracer.sampler.sample_spans(priority, &mut spans);
        chunk::priority(&mut spans[0], priority);
        self.tracer.exporter.export(TraceChunk {
            trace_id: self.trace_id,
            priority: Some(priority),
            spans,
        });
    }
}

impl TraceInner {
    /// Takes a slot for a span that starts now (reusing a freed one first), counts it open,
    /// and returns the slot with its data, empty, for the caller to fill in place: building the
    /// span elsewhere and moving it in would copy the whole struct.
    #[inline]
    pub(crate) fn insert(
        &mut self,
        start: Instant,
        parent: Option<LocalParent>,
        borrowed_entry: bool,
    ) -> (u32, &mut SpanData) {
        let (parent, parent_service) = match parent {
            None => (NO_SLOT, None),
            Some(LocalParent::Slot(s)) => (s, None),
            Some(LocalParent::Flushed(service)) => (NO_SLOT, Some(service)),
        };
        let slot = Slot {
            state: State::Open,
            borrowed_entry,
            start,
            parent,
            parent_service,
        };
        self.open += 1;
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = slot;
                i as usize
            }
            None => {
                // Written straight into the buffer: `push` builds the empty span on the stack
                // and copies the whole struct.
                raw::push_default(&mut self.spans);
                self.slots.push(slot);
                self.spans.len() - 1
            }
        };
        (i as u32, &mut self.spans[i])
    }

    /// The index of span `id` if `slot` still holds it (a handle outlives its span, and a
    /// freed slot is reused), and it is open or `finished_too`.
    #[inline]
    fn index_of(&self, slot: u32, id: SpanId, finished_too: bool) -> Option<usize> {
        let i = slot as usize;
        let state = self.slots.get(i)?.state;
        let held = state == State::Open || (finished_too && state == State::Finished);
        (held && self.spans[i].span_id == id).then_some(i)
    }

    /// The data of span `id` in `slot` while it is open.
    #[inline]
    pub(crate) fn open_span(&self, slot: u32, id: SpanId) -> Option<&SpanData> {
        self.index_of(slot, id, false).map(|i| &self.spans[i])
    }

    /// The data of span `id` in `slot` while it is open, for changing it.
    #[inline]
    pub(crate) fn open_span_mut(&mut self, slot: u32, id: SpanId) -> Option<&mut SpanData> {
        self.index_of(slot, id, false).map(|i| &mut self.spans[i])
    }

    /// The data of span `id` in `slot` while it is in the buffer, finished or not.
    #[inline]
    pub(crate) fn buffered_span(&self, slot: u32, id: SpanId) -> Option<&SpanData> {
        self.index_of(slot, id, true).map(|i| &self.spans[i])
    }

    /// The local root's slot and data while it is in the buffer.
    pub(crate) fn root_slot(&self) -> Option<(u32, SpanId)> {
        self.buffered_span(self.root_slot, self.root_id)
            .map(|_| (self.root_slot, self.root_id))
    }

    fn root(&self) -> Option<&SpanData> {
        self.buffered_span(self.root_slot, self.root_id)
    }

    /// How many spans are open: the open spans share one share of the record while it is
    /// more than zero ([`share`](crate::share)).
    #[inline]
    pub(crate) fn open_count(&self) -> usize {
        self.open
    }

    /// The sampling priority, if decided.
    pub(crate) fn priority(&self) -> Option<SamplingPriority> {
        self.decision.as_ref().map(|d| d.priority)
    }

    pub(crate) fn origin(&self) -> Option<&Str> {
        self.origin.as_ref()
    }

    pub(crate) fn trace_tags(&self) -> &[(Str, Str)] {
        &self.tags
    }

    pub(crate) fn baggage(&self) -> &[(String, String)] {
        &self.baggage
    }

    pub(crate) fn set_baggage_item(&mut self, key: String, value: String) {
        match self.baggage.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.baggage.push((key, value)),
        }
    }

    pub(crate) fn set_trace_tag(&mut self, key: Str, value: Str) {
        set_pair(&mut self.tags, key, value);
    }

    /// Stores a sampling decision and its propagated tags; returns its priority.
    fn record(&mut self, decision: SamplingDecision) -> SamplingPriority {
        decision.tag_trace(&mut self.tags);
        let priority = decision.priority;
        self.decision = Some(decision);
        priority
    }

    /// Whether the borrowed entry of span `id` in `slot` is still on a stack, forgetting that
    /// it is: its owner just finished (`finished`) or found the span already finished, and the
    /// entry now needs a share of its own.
    fn take_borrowed_entry(&mut self, slot: u32, id: SpanId, finished: bool) -> bool {
        match self.index_of(slot, id, true) {
            Some(i) if finished => std::mem::take(&mut self.slots[i].borrowed_entry),
            // Not finished by this call: an entry left on a stack treats itself as owning a
            // share of a span that is not open, so give it one.
            _ => true,
        }
    }

    /// Ends the span `id` in `slot`: its duration and the tags that depend on how it ended.
    /// Returns false if it was not open there (finished already, or a stale handle).
    fn finish(&mut self, slot: u32, id: SpanId, end: Instant, tracer: &TracerShared) -> bool {
        let i = slot as usize;
        if self.open_span(slot, id).is_none() {
            return false;
        }
        let (start, parent, parent_service) = {
            let s = &mut self.slots[i];
            s.state = State::Finished;
            (s.start, s.parent, s.parent_service.take())
        };
        self.open -= 1;
        self.finished += 1;
        let top_level = {
            let data = &self.spans[i];
            let parent_data = (parent != NO_SLOT)
                .then(|| self.buffered_span(parent, data.parent_id))
                .flatten();
            match (parent_data, &parent_service) {
                (Some(p), _) => p.service != data.service,
                (None, Some(service)) => *service != data.service,
                (None, None) => true,
            }
        };
        let data = &mut self.spans[i];
        data.duration = clock::nanos(end.saturating_duration_since(start));
        span_finish::tag(data, top_level, &tracer.config);
        true
    }

    /// Takes the whole buffer: every span in it has finished. The slots' bookkeeping goes to
    /// this thread's next trace, and their number sets how many it reserves.
    fn take_all(&mut self) -> Vec<SpanData> {
        self.finished = 0;
        let spans = if self.free.is_empty() {
            std::mem::take(&mut self.spans)
        } else {
            std::mem::take(&mut self.spans)
                .into_iter()
                .zip(&self.slots)
                .filter(|(_, s)| s.state == State::Finished)
                .map(|(d, _)| d)
                .collect()
        };
        self.slots.clear();
        self.free.clear();
        let count = spans.len();
        let slots = std::mem::take(&mut self.slots);
        let _ = LAST_TRACE.try_with(|last| {
            last.spans.set(count);
            // A trace far larger than usual keeps its room to itself.
            if slots.capacity() <= MAX_RESERVED_SLOTS {
                last.slots.set(slots);
            }
        });
        spans
    }

    /// Takes the finished spans and frees their slots, leaving the open ones in place.
    fn take_finished(&mut self) -> Vec<SpanData> {
        // Open spans whose parent leaves now remember its service for `_dd.top_level`.
        for i in 0..self.slots.len() {
            let s = &self.slots[i];
            if s.state != State::Open || s.parent == NO_SLOT {
                continue;
            }
            let parent = s.parent as usize;
            if self.slots[parent].state == State::Finished {
                let service = self.spans[parent].service.clone();
                let s = &mut self.slots[i];
                s.parent = NO_SLOT;
                s.parent_service = Some(service);
            }
        }
        let mut out = Vec::with_capacity(self.finished);
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.state == State::Finished {
                s.state = State::Free;
                out.push(std::mem::take(&mut self.spans[i]));
                self.free.push(i as u32);
            }
        }
        self.finished = 0;
        out
    }
}
