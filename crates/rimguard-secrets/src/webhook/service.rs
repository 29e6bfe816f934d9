use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body::Body;
use http_body_util::Full;
use rimguard_core::ResponseBody;
use secrecy::ExposeSecret;
use tower_service::Service;

use super::layer::Handshake;
use crate::secret::bytes_eq;
use crate::signature::{Answer, HmacSignature, ResponseFuture};

/// The longest challenge echoed back.
const MAX_CHALLENGE: usize = 128;

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
    S: Service<Request<B>, Response = Response<ResBody>> + Clone,
    B: From<Bytes>,
    ReqBody: Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        <HmacSignature<S, B> as Service<Request<ReqBody>>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let handshake = self.handshake.as_deref().zip(handshake_query(&request));
        match handshake {
            Some((handshake, query)) => self.inner.answer(check(handshake, query)),
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

/// The challenge to echo, or the refusal.
fn check(handshake: &Handshake, query: &str) -> Answer {
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
            return invalid(handshake, "a parameter is repeated");
        }
    }

    if mode.as_deref() != Some("subscribe") {
        return invalid(handshake, "hub.mode is not subscribe");
    }
    let Some(token) = token else {
        return invalid(handshake, "hub.verify_token is missing");
    };
    if !bytes_eq(
        token.as_bytes(),
        handshake.verify_token.expose_secret().as_bytes(),
    ) {
        tracing::warn!(target: "rimguard::secrets", "webhook handshake with a wrong verify token");
        return Answer::Refused(handshake.mismatch.clone());
    }
    match challenge {
        Some(challenge) if is_safe_challenge(&challenge) => {
            tracing::debug!(target: "rimguard::secrets", "webhook subscription handshake accepted");
            Answer::Challenge(challenge.into_owned())
        }
        _ => invalid(handshake, "hub.challenge is missing or not a short token"),
    }
}

fn invalid(handshake: &Handshake, reason: &'static str) -> Answer {
    tracing::debug!(target: "rimguard::secrets", reason, "webhook handshake refused");
    Answer::Refused(handshake.invalid.clone())
}

fn is_safe_challenge(challenge: &str) -> bool {
    (1..=MAX_CHALLENGE).contains(&challenge.len())
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
}
