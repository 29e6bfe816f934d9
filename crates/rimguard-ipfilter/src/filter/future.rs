//! The response future of [`IpFilter`](super::IpFilter).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Response;
use pin_project_lite::pin_project;
use rimguard_core::ResponseBody;

use super::layer::{FilterState, Reason};

pin_project! {
    /// The response future of [`IpFilter`](super::IpFilter): the inner
    /// service's response, or the refusal written by the filter.
    pub struct ResponseFuture<F, B> {
        #[pin]
        kind: Kind<F, B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B> {
        Inner { #[pin] future: F },
        // The refusal is built when polled, from the layer's prepared ones:
        // so the future stays the size of the inner one plus two words,
        // instead of carrying a whole response on the allowed path too.
        Refused {
            refusal: Option<(Arc<FilterState>, Reason)>,
            body: PhantomData<fn() -> B>,
        },
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn inner(future: F) -> Self {
        Self {
            kind: Kind::Inner { future },
        }
    }

    pub(crate) fn refused(state: Arc<FilterState>, reason: Reason) -> Self {
        Self {
            kind: Kind::Refused {
                refusal: Some((state, reason)),
                body: PhantomData,
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future.poll(cx).map_ok(|r| r.map(ResponseBody::inner)),
            KindProj::Refused { refusal, .. } => Poll::Ready(Ok(respond(
                refusal
                    .take()
                    .expect("a completed future is not polled again"),
            ))),
        }
    }
}

/// Builds the refusal's response, away from the allowed path.
#[cold]
#[inline(never)]
fn respond<B>((state, reason): (Arc<FilterState>, Reason)) -> Response<ResponseBody<B>> {
    state.refusal(reason).to_response()
}

impl<F, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            Kind::Inner { .. } => "inner",
            Kind::Refused { .. } => "refused",
        };
        f.debug_struct("ResponseFuture")
            .field("kind", &kind)
            .finish()
    }
}
