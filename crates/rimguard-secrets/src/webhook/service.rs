use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use rimguard_core::ResponseBody;
use tower_service::Service;

use super::layer::Handshake;
use crate::refusal::Refusal;
use crate::secret::bytes_eq;
use crate::signature::{HmacSignature, ResponseFuture};
use secrecy::ExposeSecret;

/// The longest challenge echoed back.
const MAX_CHALLENGE: usize = 128;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service built by [`WebhookSignatureLayer`](super::WebhookSignatureLayer).
pub struct WebhookSignature<S, B = Full<Bytes>> {
    inner: HmacSignature<S, B>,
    handshake: Option<Arc<Handshake>>,
}

impl<S, B> WebhookSignature<S, B> {
    pub(crate) fn new(inner: HmacSignature<S, B>, handshake: Option<Arc<Handshake>>) -> Self {
        Self { inner, handshake }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref()
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        self.inner.get_mut()
    }

    /// The inner service, taken out.
    pub fn into_inner(self) -> S {
        self.inner.into_inner()
    }
}

impl<S: Clone, B> Clone for WebhookSignature<S, B> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            handshake: self.handshake.clone(),
        }
    }
}

impl<S: fmt::Debug, B> fmt::Debug for WebhookSignature<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSignature")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ReqBody, ResBody> Service<Request<ReqBody>> for WebhookSignature<S, B>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send,
    B: From<Bytes> + Send + 'static,
    ReqBody: Body + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<BoxError>,
    ResBody: Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        <HmacSignature<S, B> as Service<Request<ReqBody>>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let handshake = self.handshake.as_deref().zip(handshake_query(&request));
        match handshake {
            Some((handshake, query)) => {
                let response = answer(handshake, query);
                Box::pin(std::future::ready(Ok(response)))
            }
            None => self.inner.call(request),
        }
    }
}

/// The query of a subscription handshake: a `GET` that names `hub.mode`.
fn handshake_query<B>(request: &Request<B>) -> Option<&str> {
    let query = request.uri().query()?;
    let is_handshake = request.method() == Method::GET
        && form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "hub.mode");
    is_handshake.then_some(query)
}

fn answer<B>(handshake: &Handshake, query: &str) -> Response<ResponseBody<B>> {
    match check(handshake, query) {
        Ok(challenge) => {
            tracing::debug!(target: "rimguard::secrets", "webhook subscription handshake accepted");
            challenge_response(challenge)
        }
        Err(refusal) => refusal.to_response(),
    }
}

/// The challenge to echo, or the refusal.
fn check<'h>(handshake: &'h Handshake, query: &str) -> Result<String, &'h Refusal> {
    let mut mode = None;
    let mut token = None;
    let mut challenge = None;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match &*name {
            "hub.mode" => &mut mode,
            "hub.verify_token" => &mut token,
            "hub.challenge" => &mut challenge,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(invalid(handshake, "a parameter is repeated"));
        }
    }

    if mode.as_deref() != Some("subscribe") {
        return Err(invalid(handshake, "hub.mode is not subscribe"));
    }
    let token = token.ok_or_else(|| invalid(handshake, "hub.verify_token is missing"))?;
    if !bytes_eq(
        token.as_bytes(),
        handshake.verify_token.expose_secret().as_bytes(),
    ) {
        tracing::warn!(target: "rimguard::secrets", "webhook handshake with a wrong verify token");
        return Err(&handshake.mismatch);
    }
    match challenge {
        Some(challenge) if is_safe_challenge(&challenge) => Ok(challenge.into_owned()),
        _ => Err(invalid(
            handshake,
            "hub.challenge is missing or not a short token",
        )),
    }
}

fn invalid<'h>(handshake: &'h Handshake, reason: &'static str) -> &'h Refusal {
    tracing::debug!(target: "rimguard::secrets", reason, "webhook handshake refused");
    &handshake.invalid
}

fn is_safe_challenge(challenge: &str) -> bool {
    (1..=MAX_CHALLENGE).contains(&challenge.len())
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
}

fn challenge_response<B>(challenge: String) -> Response<ResponseBody<B>> {
    let mut response = Response::new(ResponseBody::full(challenge));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
