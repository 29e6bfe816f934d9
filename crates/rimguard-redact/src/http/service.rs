use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderMap, HeaderName, Request, Response};
use tower_service::Service;

use super::ResponseFuture;

/// The service made by [`SensitiveHeadersLayer`](super::SensitiveHeadersLayer).
#[derive(Debug, Clone)]
pub struct SensitiveHeaders<S> {
    inner: S,
    headers: Arc<[HeaderName]>,
}

impl<S> SensitiveHeaders<S> {
    pub(crate) fn new(inner: S, headers: Arc<[HeaderName]>) -> Self {
        Self { inner, headers }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, taken out.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SensitiveHeaders<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        mark_sensitive(req.headers_mut(), &self.headers);
        ResponseFuture::new(self.inner.call(req), self.headers.clone())
    }
}

/// Marks every value of every header in `names` as sensitive, so that
/// `Debug` of the map (and of a request or response) prints `Sensitive`.
pub fn mark_sensitive(headers: &mut HeaderMap, names: &[HeaderName]) {
    for name in names {
        if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
            for value in entry.iter_mut() {
                value.set_sensitive(true);
            }
        }
    }
}
