//! [`ClientIpService`], the middleware that [`ClientIpLayer`](super::ClientIpLayer) builds.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::{ClientIpResolver, ResponseFuture};
use crate::ResponseBody;

/// Resolves the client address of each request, stores it in the request
/// extensions and calls the inner service; or, when the failure policy
/// rejects, answers with the [`Rejection`](crate::Rejection) itself.
///
/// See the [module docs](super) for an example.
#[derive(Debug, Clone)]
pub struct ClientIpService<S> {
    inner: S,
    resolver: Arc<ClientIpResolver>,
}

impl<S> ClientIpService<S> {
    pub(crate) fn new(inner: S, resolver: Arc<ClientIpResolver>) -> Self {
        Self { inner, resolver }
    }

    /// The resolver this service runs.
    pub fn resolver(&self) -> &ClientIpResolver {
        &self.resolver
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, consuming this one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ClientIpService<S>
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
        match self.resolver.resolve_request(&request) {
            Ok(client_ip) => {
                request.extensions_mut().insert(client_ip);
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(error) => ResponseFuture::rejected(self.resolver.rejection(&error).to_response()),
        }
    }
}
