use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http::Response;
use pin_project_lite::pin_project;
use rimguard_core::{ApiKeyId, CallerPhone};

use super::AuditContext;
use super::layer::Shared;
use crate::record::{Direction, NoResponse, Outcome, PendingRecord};
use crate::request_id::REQUEST_ID_HEADER;

pin_project! {
    /// The response future of [`Audit`](super::Audit).
    ///
    /// Dropped before it completes (the caller went away), it still
    /// writes the record, with the outcome `cancelled`.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        state: Option<State>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(state) = this.project().state.take() {
                let latency = state.started.elapsed();
                let pending = identities(state.pending, &state.context, &http::Extensions::new());
                let record = pending.finish_without_response(latency, NoResponse::Cancelled);
                state.shared.sink.submit(record);
            }
        }
    }
}

struct State {
    pending: PendingRecord,
    context: AuditContext,
    started: Instant,
    shared: Arc<Shared>,
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(
        inner: F,
        pending: PendingRecord,
        context: AuditContext,
        started: Instant,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            inner,
            state: Some(State {
                pending,
                context,
                started,
                shared,
            }),
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let state = this
            .state
            .take()
            .expect("a response future is not polled after it completed");
        let latency = state.started.elapsed();

        let mut response = match result {
            Ok(response) => response,
            Err(error) => {
                let pending = identities(state.pending, &state.context, &http::Extensions::new());
                let record = pending.finish_without_response(latency, NoResponse::Error);
                state.shared.sink.submit(record);
                return Poll::Ready(Err(error));
            }
        };

        let request_id = *state.pending.request_id();
        let record = identities(state.pending, &state.context, response.extensions()).finish(
            response.status(),
            latency,
            Outcome::of_response(response.extensions()),
        );
        state.shared.sink.submit(record);

        let echo = state.shared.echo_request_id && state.shared.direction == Direction::Inbound;
        if echo && !response.headers().contains_key(REQUEST_ID_HEADER) {
            response
                .headers_mut()
                .insert(REQUEST_ID_HEADER, request_id.to_header_value());
        }
        Poll::Ready(Ok(response))
    }
}

/// Adds the identities the inner layers found: response extensions first,
/// then the audit context; what the request already carried stays.
fn identities(
    mut pending: PendingRecord,
    context: &AuditContext,
    extensions: &http::Extensions,
) -> PendingRecord {
    if let Some(key) = extensions
        .get::<ApiKeyId>()
        .cloned()
        .or_else(|| context.api_key())
    {
        pending = pending.api_key(key);
    }
    if let Some(phone) = extensions
        .get::<CallerPhone>()
        .cloned()
        .or_else(|| context.phone())
    {
        pending = pending.phone(phone);
    }
    pending
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
