use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use rimguard_core::ResponseBody;
use tower_service::Service;

use super::future::ResponseFuture;
use super::layer::{Presented, State};
use crate::key::Scopes;

/// The service built by [`ApiKeyLayer`](super::ApiKeyLayer).
#[derive(Clone)]
pub struct ApiKeyAuth<S> {
    pub(crate) inner: S,
    pub(crate) state: Arc<State>,
}

impl<S> ApiKeyAuth<S> {
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ApiKeyAuth<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let state = &self.state;
        let (reason, key) = match state.location.find(request.headers()) {
            Presented::Missing => ("missing", None),
            // Hashed all the same, so a malformed key costs what a wrong one does.
            Presented::Malformed(raw) => ("malformed", state.keys.verify(raw).and(None)),
            Presented::Key(raw) => ("unknown", state.keys.verify(raw)),
        };

        let Some(key) = key else {
            tracing::debug!(target: "rimguard::secrets", reason, keys = %state.keys.name(), "API key refused");
            return ResponseFuture::rejected(state.unauthorized.to_response());
        };
        if !key.scopes().allows(request.method()) {
            tracing::debug!(
                target: "rimguard::secrets",
                key_id = %key.id(),
                method = %request.method(),
                required = ?Scopes::required_for(request.method()),
                "API key lacks the scope for this method"
            );
            return ResponseFuture::rejected(state.forbidden.to_response());
        }

        request.extensions_mut().insert(key.id().clone());
        ResponseFuture::inner(self.inner.call(request))
    }
}

impl<S: fmt::Debug> fmt::Debug for ApiKeyAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyAuth")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}
