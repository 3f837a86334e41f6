//! Starting a span: under the active span, under a given local parent, under a remote
//! context, or as the root of a new trace. Each path opens the span in its trace's record
//! ([`OpenShare`]) and fills it in place with the tags every span starts with
//! ([`rules::span_start`]).

use std::sync::Arc;

use super::Span;
use crate::active;
use crate::clock::{self, Anchor, Instant};
use crate::context::SpanContext;
use crate::id::{SpanId, TraceId, new_span_id, new_trace_id};
use crate::rules::span_start;
use crate::share::OpenShare;
use crate::span_data::{SpanData, SpanLink};
use crate::span_ref::SpanRef;
use crate::str::Str;
use crate::trace::{Inherited, LocalParent, TraceInner, TraceState};
use crate::tracer_shared::TracerShared;

/// Where a span's parent is.
pub(super) enum Parent {
    Active,
    Root,
    Local(SpanRef),
    /// Boxed: a context is large, and a builder is moved by value at every call.
    Remote(Box<SpanContext>),
}

/// The fields a span starts with.
pub(super) struct Fields {
    pub(super) name: Str,
    pub(super) service: Option<Str>,
    pub(super) resource: Option<Str>,
    pub(super) span_type: Option<Str>,
}

impl Fields {
    /// Whether `fill` took everything: what is left owns nothing.
    pub(super) fn is_taken(&self) -> bool {
        self.name.is_static()
            && self.service.is_none()
            && self.resource.is_none()
            && self.span_type.is_none()
    }
}

/// Starts a child of the active span, or a new trace when there is none, and makes it the
/// active span if `activate`. The active span's trace is locked once: to check that the span
/// is still open, read what the child inherits and put the child in the buffer; and the
/// thread's stack is visited once.
pub(super) fn start_under_active(
    shared: &Arc<TracerShared>,
    fields: &mut Fields,
    activate: bool,
) -> Span {
    let now = clock::now();
    active::start_under_current(activate, |current, activate| match current {
        Some((parent, g)) => {
            let at = Position {
                slot: parent.slot(),
                id: parent.span_id(),
            };
            let trace = parent.lend();
            start_child(shared, &trace, at, g, fields, now, activate)
        }
        None => start_new_trace(shared, fields, now, activate),
    })
}

/// Where a span is in its trace's record.
#[derive(Clone, Copy)]
pub(super) struct Position {
    pub(super) slot: u32,
    pub(super) id: SpanId,
}

/// Starts a child of the span at `parent` in `trace`, whose record `g` is (locked). With
/// `borrowed_entry`, the caller activates it with the span's borrowed entry
/// (`OpenSpan::borrowed_entry`).
#[inline]
#[allow(clippy::too_many_arguments)]
pub(super) fn start_child(
    shared: &Arc<TracerShared>,
    trace: &Arc<TraceState>,
    parent: Position,
    g: &mut TraceInner,
    fields: &mut Fields,
    now: Instant,
    borrowed_entry: bool,
) -> Span {
    let Position {
        slot: parent_slot,
        id: parent_id,
    } = parent;
    // A parent that has already been sent is no longer in the buffer: its service is not
    // known, and the child takes the tracer's.
    let (inherited_service, local_parent) = match g.buffered_span(parent_slot, parent_id) {
        Some(p) => (
            fields.service.is_none().then(|| p.service.clone()),
            LocalParent::Slot(parent_slot),
        ),
        None => (None, LocalParent::Flushed(shared.config.service.clone())),
    };
    let explicit_service = fields.service.is_some();
    let service = match fields.service.take() {
        Some(service) => service,
        None => inherited_service.unwrap_or_else(|| shared.config.service.clone()),
    };
    let span_id = new_span_id();
    let (share, slot, data) = OpenShare::insert(trace, g, now, local_parent, borrowed_entry);
    fill(
        data,
        shared,
        trace.trace_id,
        span_id,
        parent_id,
        fields,
        service,
        explicit_service,
    );
    data.start = trace.anchor.epoch_ns(now);
    Span::started(share, slot, span_id)
}

pub(super) fn start_new_trace(
    shared: &Arc<TracerShared>,
    fields: &mut Fields,
    now: Instant,
    borrowed_entry: bool,
) -> Span {
    let anchor = Anchor::at(now);
    let trace_id = new_trace_id(
        (anchor.wall_ns() / 1_000_000_000) as u64,
        shared.config.trace_id_128_bit,
    );
    start_local_root(
        shared,
        trace_id,
        anchor,
        Inherited::default(),
        SpanId::NONE,
        fields,
        Vec::new(),
        Vec::new(),
        now,
        borrowed_entry,
    )
}

/// Fills an empty span's fields and the tags every span starts with. `service` is the one
/// named in the builder (`explicit_service`), or else the parent's or the tracer's. Decided
/// by the caller and passed as plain values: a closure's captures, or an enum holding the
/// text, were copied through the stack in a way the CPU could not forward.
#[inline]
#[allow(clippy::too_many_arguments)]
fn fill(
    data: &mut SpanData,
    shared: &TracerShared,
    trace_id: TraceId,
    span_id: SpanId,
    parent_id: SpanId,
    fields: &mut Fields,
    service: Str,
    explicit_service: bool,
) {
    data.trace_id = trace_id;
    data.span_id = span_id;
    data.parent_id = parent_id;
    let name = std::mem::take(&mut fields.name);
    data.resource = fields.resource.take().unwrap_or_else(|| name.clone());
    data.name = name;
    data.service = service;
    if let Some(t) = fields.span_type.take() {
        data.span_type = t;
    }
    span_start::every_span(data, shared, explicit_service);
}

pub(super) fn start_remote_child(
    shared: &Arc<TracerShared>,
    fields: &mut Fields,
    ctx: SpanContext,
    now: Instant,
) -> Span {
    let anchor = Anchor::at(now);
    let trace_id = if ctx.trace_id.is_zero() {
        new_trace_id(
            (anchor.wall_ns() / 1_000_000_000) as u64,
            shared.config.trace_id_128_bit,
        )
    } else {
        ctx.trace_id
    };
    let inherited = Inherited {
        priority: ctx.sampling_priority,
        origin: ctx.origin,
        tags: ctx.trace_tags,
        baggage: ctx.baggage,
    };
    start_local_root(
        shared,
        trace_id,
        anchor,
        inherited,
        ctx.span_id,
        fields,
        ctx.root_tags,
        ctx.links,
        now,
        false,
    )
}

#[allow(clippy::too_many_arguments)]
fn start_local_root(
    shared: &Arc<TracerShared>,
    trace_id: TraceId,
    anchor: Anchor,
    inherited: Inherited,
    parent_id: SpanId,
    fields: &mut Fields,
    root_tags: Vec<(String, String)>,
    links: Vec<SpanLink>,
    now: Instant,
    borrowed_entry: bool,
) -> Span {
    let start = anchor.epoch_ns(now);
    let (share, span_id) = OpenShare::new_record(
        shared.clone(),
        trace_id,
        anchor,
        inherited,
        now,
        borrowed_entry,
        |data| {
            let explicit_service = fields.service.is_some();
            let service = match fields.service.take() {
                Some(service) => service,
                None => shared.config.service.clone(),
            };
            fill(
                data,
                shared,
                trace_id,
                new_span_id(),
                parent_id,
                fields,
                service,
                explicit_service,
            );
            span_start::local_root(data, shared);
            for (k, v) in root_tags {
                data.set_meta(Str::from(k), Str::from(v));
            }
            data.links = links;
            data.start = start;
        },
    );
    // The new record's one share is its open spans': the root's.
    Span::started(share, 0, span_id)
}
