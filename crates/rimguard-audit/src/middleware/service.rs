use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use http::header::USER_AGENT;
use http::{Request, Response};
use rimguard_core::{ApiKeyId, CallerPhone, ClientIp};
use tower_service::Service;

use super::layer::Shared;
use super::{AuditContext, ResponseFuture};
use crate::record::{Direction, PendingRecord};
use crate::request_id::{REQUEST_ID_HEADER, RequestId};

/// The service of [`AuditLayer`](super::AuditLayer).
#[derive(Clone)]
pub struct Audit<S> {
    pub(crate) inner: S,
    pub(crate) shared: Arc<Shared>,
}

impl<S> Audit<S> {
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Audit<S>
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
        let started = Instant::now();
        let shared = &self.shared;
        let taken = RequestId::from_headers(req.headers());
        let request_id = taken.unwrap_or_else(RequestId::generate);
        if taken.is_none() && shared.echo_request_id && shared.direction == Direction::Outbound {
            req.headers_mut()
                .insert(REQUEST_ID_HEADER, request_id.to_header_value());
        }

        let pending = start_record(shared, &req, request_id);
        let context = AuditContext::new();
        let extensions = req.extensions_mut();
        extensions.insert(request_id);
        extensions.insert(context.clone());

        ResponseFuture::new(
            self.inner.call(req),
            pending,
            context,
            started,
            shared.clone(),
        )
    }
}

fn start_record<B>(shared: &Shared, req: &Request<B>, request_id: RequestId) -> PendingRecord {
    let time = SystemTime::now();
    let mut record = PendingRecord::new(time, request_id, req.method().clone(), req.uri().clone())
        .direction(shared.direction)
        .mask(shared.mask.clone());

    let extensions = req.extensions();
    if let Some(ip) = extensions.get::<ClientIp>() {
        record = record.client_ip(ip.addr());
    }
    #[cfg(feature = "axum")]
    if let Some(path) = extensions.get::<axum::extract::MatchedPath>() {
        record = record.matched_path(path.clone());
    }
    if let Some(key) = extensions.get::<ApiKeyId>() {
        record = record.api_key(key.clone());
    }
    if let Some(phone) = extensions.get::<CallerPhone>() {
        record = record.phone(phone.clone());
    }
    if let Some(agent) = req.headers().get(USER_AGENT) {
        record = record.user_agent(agent, shared.user_agent_max);
    }
    record
}

impl<S: fmt::Debug> fmt::Debug for Audit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Audit")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}
