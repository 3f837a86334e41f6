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
use crate::request_span::RequestSpan;
use crate::settings::Settings;

/// The service [`DdTraceLayer`](crate::DdTraceLayer) builds: traces each request, then hands it
/// to the inner service with the request's span active.
#[derive(Clone)]
pub struct DdTraceService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> std::fmt::Debug for DdTraceService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DdTraceService").finish_non_exhaustive()
    }
}

impl<S> DdTraceService<S> {
    pub(crate) fn new(inner: S, settings: Arc<Settings>) -> Self {
        DdTraceService { inner, settings }
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
        let request_span = match self.settings.resolved() {
            Some(resolved) if resolved.tracer.is_enabled() => {
                Some(RequestSpan::start(resolved, &self.settings, &req))
            }
            _ => None,
        };
        let Some(request_span) = request_span else {
            return ResponseFuture {
                inner: self.inner.call(req).in_current_span(),
                request_span: None,
            };
        };
        // The inner service's `call` may do work of its own (routing, synchronous handlers):
        // it runs with the span active too.
        let inner = &mut self.inner;
        let span = request_span.span();
        match catch_unwind(AssertUnwindSafe(|| {
            span.in_scope(|| inner.call(req).in_current_span())
        })) {
            Ok(future) => ResponseFuture {
                inner: future,
                request_span: Some(request_span),
            },
            Err(panic) => {
                request_span.on_panic(&*panic);
                drop(request_span);
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
        request_span: Option<RequestSpan>,
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
        let polled = if this.request_span.is_some() {
            // A panic is recorded on the span, then goes on to whoever catches panics (a
            // catch-panic layer, or the server's task).
            match catch_unwind(AssertUnwindSafe(|| this.inner.as_mut().poll(cx))) {
                Ok(polled) => polled,
                Err(panic) => {
                    if let Some(request_span) = this.request_span.take() {
                        request_span.on_panic(&*panic);
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
        let mut request_span = this.request_span.take();
        Poll::Ready(match result {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                if let Some(t) = &mut request_span {
                    t.on_response(&parts);
                }
                Ok(Response::from_parts(
                    parts,
                    TracedBody::new(body, request_span),
                ))
            }
            Err(error) => {
                if let Some(t) = &request_span {
                    t.on_error(&error);
                }
                Err(error)
            }
        })
    }
}
