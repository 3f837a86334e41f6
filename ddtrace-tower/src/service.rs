//! [`DdTraceService`] and its [`ResponseFuture`].

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ddtrace_core::{Instrument, Instrumented};
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::body::TracedBody;
use crate::layer::Shared;
use crate::tracking::Tracking;

/// The service [`DdTraceLayer`](crate::DdTraceLayer) builds: traces each request, then hands it
/// to the inner service with the request's span active.
#[derive(Clone)]
pub struct DdTraceService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> std::fmt::Debug for DdTraceService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DdTraceService").finish_non_exhaustive()
    }
}

impl<S> DdTraceService<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        DdTraceService { inner, shared }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for DdTraceService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: std::fmt::Display,
{
    type Response = Response<TracedBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let tracking = match self.shared.resolved() {
            Some(resolved) if resolved.tracer.is_enabled() => {
                Some(Tracking::start(resolved, &self.shared, &req))
            }
            _ => None,
        };
        let Some(tracking) = tracking else {
            return ResponseFuture {
                inner: self.inner.call(req).in_current_span(),
                tracking: None,
            };
        };
        // The inner service's `call` may do work of its own (routing, synchronous handlers):
        // it runs with the span active too.
        let inner = &mut self.inner;
        let span = tracking.span();
        match catch_unwind(AssertUnwindSafe(|| {
            span.in_scope(|| inner.call(req).in_current_span())
        })) {
            Ok(future) => ResponseFuture {
                inner: future,
                tracking: Some(tracking),
            },
            Err(panic) => {
                tracking.on_panic(&*panic);
                drop(tracking);
                resume_unwind(panic)
            }
        }
    }
}

pin_project! {
    /// The response future of [`DdTraceService`]: runs the inner future with the request's span
    /// active, records the response head, and hands the span on to the response body.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Instrumented<F>,
        tracking: Option<Tracking>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: std::fmt::Display,
{
    type Output = Result<Response<TracedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let polled = if this.tracking.is_some() {
            // A panic is recorded on the span, then goes on to whoever catches panics (a
            // catch-panic layer, or the server's task).
            match catch_unwind(AssertUnwindSafe(|| this.inner.as_mut().poll(cx))) {
                Ok(polled) => polled,
                Err(panic) => {
                    if let Some(tracking) = this.tracking.take() {
                        tracking.on_panic(&*panic);
                    }
                    resume_unwind(panic)
                }
            }
        } else {
            this.inner.as_mut().poll(cx)
        };
        let Poll::Ready(result) = polled else {
            return Poll::Pending;
        };
        let mut tracking = this.tracking.take();
        Poll::Ready(match result {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                if let Some(t) = &mut tracking {
                    t.on_response(&parts);
                }
                Ok(Response::from_parts(parts, TracedBody::new(body, tracking)))
            }
            Err(error) => {
                if let Some(t) = &tracking {
                    t.on_error(&error);
                }
                Err(error)
            }
        })
    }
}
