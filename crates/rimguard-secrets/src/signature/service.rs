use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use rimguard_core::ResponseBody;
use tower_service::Service;

use super::layer::State;
use super::scheme::SignedWith;
use crate::refusal::Refusal;

/// The boxed response future of [`HmacSignature`] and
/// [`WebhookSignature`](crate::webhook::WebhookSignature): the body is read
/// before the inner service is called.
pub type ResponseFuture<ResBody, E> =
    Pin<Box<dyn Future<Output = Result<Response<ResponseBody<ResBody>>, E>> + Send>>;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service built by [`HmacSignatureLayer`](super::HmacSignatureLayer).
pub struct HmacSignature<S, B = Full<Bytes>> {
    inner: S,
    state: Arc<State>,
    _body: PhantomData<fn() -> B>,
}

impl<S, B> HmacSignature<S, B> {
    pub(crate) fn new(inner: S, state: Arc<State>) -> Self {
        Self {
            inner,
            state,
            _body: PhantomData,
        }
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

impl<S: Clone, B> Clone for HmacSignature<S, B> {
    fn clone(&self) -> Self {
        Self::new(self.inner.clone(), self.state.clone())
    }
}

impl<S: fmt::Debug, B> fmt::Debug for HmacSignature<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSignature")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ReqBody, ResBody> Service<Request<ReqBody>> for HmacSignature<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    B: From<Bytes> + Send + 'static,
    ReqBody: Body + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<BoxError>,
    ResBody: 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move {
            match verify::<ReqBody, B>(&state, request).await {
                Ok(request) => inner
                    .call(request)
                    .await
                    .map(|response| response.map(ResponseBody::inner)),
                Err(refusal) => Ok(refusal.to_response()),
            }
        })
    }
}

/// Reads the body within the bound and checks its signature; the request
/// with the body intact, or the refusal to answer with.
async fn verify<ReqBody, B>(
    state: &State,
    request: Request<ReqBody>,
) -> Result<Request<B>, &Refusal>
where
    ReqBody: Body,
    ReqBody::Error: Into<BoxError>,
    B: From<Bytes>,
{
    let signature = state.scheme.find(request.headers()).map_err(|reason| {
        tracing::debug!(target: "rimguard::secrets", reason, header = %state.scheme.header(), "webhook signature refused");
        &state.unauthorized
    })?;
    if declared_length(request.headers()).is_some_and(|length| length > state.max_body as u64) {
        tracing::debug!(target: "rimguard::secrets", max_body = state.max_body, "webhook body over the bound");
        return Err(&state.too_large);
    }

    let (mut parts, body) = request.into_parts();
    let body = read_bounded(body, state).await?;

    match state
        .secrets
        .verify(state.scheme.algorithm(), &body, signature.as_slice())
    {
        Some(signed_with) => {
            if signed_with == SignedWith::Previous {
                tracing::debug!(target: "rimguard::secrets", "webhook signed with the previous secret");
            }
            parts.extensions.insert(signed_with);
            Ok(Request::from_parts(parts, B::from(body)))
        }
        None => {
            tracing::warn!(target: "rimguard::secrets", header = %state.scheme.header(), "webhook signature does not match");
            Err(&state.unauthorized)
        }
    }
}

async fn read_bounded<ReqBody>(body: ReqBody, state: &State) -> Result<Bytes, &Refusal>
where
    ReqBody: Body,
    ReqBody::Error: Into<BoxError>,
{
    match collect(Limited::new(body, state.max_body)).await {
        Ok(body) => Ok(body),
        Err(error) if error.is::<LengthLimitError>() => {
            tracing::debug!(target: "rimguard::secrets", max_body = state.max_body, "webhook body over the bound");
            Err(&state.too_large)
        }
        Err(_) => {
            tracing::debug!(target: "rimguard::secrets", "webhook body could not be read");
            Err(&state.unreadable)
        }
    }
}

/// The body's data frames joined; a body of one frame is handed on
/// without a copy. Trailers are dropped.
async fn collect<B: Body>(body: B) -> Result<Bytes, B::Error> {
    let mut body = pin!(body);
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(mut data) = frame?.into_data() else {
            continue;
        };
        let chunk = data.copy_to_bytes(data.remaining());
        match (&first, &mut joined) {
            (None, _) => first = Some(chunk),
            (Some(_), Some(joined)) => joined.extend_from_slice(&chunk),
            (Some(first), None) => {
                let mut buffer = BytesMut::with_capacity(first.len() + chunk.len());
                buffer.extend_from_slice(first);
                buffer.extend_from_slice(&chunk);
                joined = Some(buffer);
            }
        }
    }
    Ok(joined.map(BytesMut::freeze).or(first).unwrap_or_default())
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}
