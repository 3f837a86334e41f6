//! [`TracedBody`]: the response body that ends the request's span when it ends.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::request_span::RequestSpan;

pin_project! {
    /// A response body that finishes the request's span when its last frame has been handed
    /// to the server, or when it is dropped first (the client went away).
    ///
    /// The span is active while the inner body is polled, so spans a streaming body starts
    /// are children of the request's span. gRPC trailers are read for `grpc-status`.
    pub struct TracedBody<B> {
        #[pin]
        inner: B,
        request_span: Option<RequestSpan>,
    }
}

impl<B> TracedBody<B> {
    pub(crate) fn new(inner: B, request_span: Option<RequestSpan>) -> Self {
        TracedBody {
            inner,
            request_span,
        }
    }

    /// The wrapped body.
    pub fn get_ref(&self) -> &B {
        &self.inner
    }

    /// Unwraps the body; the request's span finishes now.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B: std::fmt::Debug> std::fmt::Debug for TracedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedBody")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<B> Body for TracedBody<B>
where
    B: Body,
    B::Error: std::fmt::Display,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let Some(request_span) = this.request_span.as_mut() else {
            return this.inner.poll_frame(cx);
        };
        let span = request_span.span();
        let polled = match catch_unwind(AssertUnwindSafe(|| {
            span.in_scope(|| this.inner.as_mut().poll_frame(cx))
        })) {
            Ok(polled) => polled,
            Err(panic) => {
                request_span.on_panic(&*panic);
                this.request_span.take();
                resume_unwind(panic)
            }
        };
        let done = match &polled {
            Poll::Pending => false,
            Poll::Ready(None) => true,
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    request_span.on_trailers(trailers);
                }
                // Servers stop polling once the body says it has ended.
                this.inner.is_end_stream()
            }
            Poll::Ready(Some(Err(error))) => {
                request_span.on_error(error);
                true
            }
        };
        if done {
            this.request_span.take();
        }
        polled
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    #[inline]
    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
