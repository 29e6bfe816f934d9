use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::sync::Arc;

use bytes::Bytes;
use http::header::WWW_AUTHENTICATE;
use http::{HeaderValue, StatusCode};
use http_body_util::Full;
use rimguard_core::Layer;
use tower_layer::Layer as TowerLayer;

use super::scheme::{SignatureScheme, SigningSecrets};
use super::service::HmacSignature;
use crate::refusal::Refusal;

/// The body size bound unless set: 1 MiB.
pub const DEFAULT_MAX_BODY: NonZeroUsize =
    NonZeroUsize::new(1024 * 1024).expect("1 MiB is not zero");

/// Verifies an HMAC signature of the raw request body. See the
/// [module docs](super).
///
/// `B` is the body type the inner service receives: [`Full<Bytes>`]
/// unless changed with [`forward_body`](Self::forward_body).
pub struct HmacSignatureLayer<B = Full<Bytes>> {
    pub(crate) state: Arc<State>,
    _body: PhantomData<fn() -> B>,
}

#[derive(Clone)]
pub(crate) struct State {
    pub(crate) scheme: SignatureScheme,
    pub(crate) secrets: SigningSecrets,
    pub(crate) max_body: usize,
    pub(crate) unauthorized: Refusal,
    pub(crate) too_large: Refusal,
    pub(crate) unreadable: Refusal,
}

impl HmacSignatureLayer {
    /// Verifies signatures of `scheme` made with one of `secrets`.
    pub fn new(scheme: SignatureScheme, secrets: SigningSecrets) -> Self {
        let challenge = format!("HMAC realm=\"rimguard\", header=\"{}\"", scheme.header());
        let challenge =
            HeaderValue::try_from(challenge).expect("a header name is a valid header value");
        let state = State {
            scheme,
            secrets,
            max_body: DEFAULT_MAX_BODY.get(),
            unauthorized: Refusal::new(
                Layer::WebhookSignature,
                StatusCode::UNAUTHORIZED,
                "webhook-signature-invalid",
                "Unauthorized",
                "The request signature is missing or does not match.",
            )
            .with_header(WWW_AUTHENTICATE, challenge),
            too_large: Refusal::new(
                Layer::WebhookSignature,
                StatusCode::PAYLOAD_TOO_LARGE,
                "webhook-body-too-large",
                "Content Too Large",
                "The request body is larger than this endpoint accepts.",
            ),
            unreadable: Refusal::new(
                Layer::WebhookSignature,
                StatusCode::BAD_REQUEST,
                "webhook-body-unreadable",
                "Bad Request",
                "The request body could not be read.",
            ),
        };
        Self {
            state: Arc::new(state),
            _body: PhantomData,
        }
    }
}

impl<B> HmacSignatureLayer<B> {
    /// Refuses bodies over `max_body` bytes with 413 (1 MiB unless set),
    /// before reading them when `Content-Length` says so.
    pub fn with_max_body(mut self, max_body: NonZeroUsize) -> Self {
        Arc::make_mut(&mut self.state).max_body = max_body.get();
        self
    }

    /// Hands the verified body to the inner service as a `B2` (any type
    /// made from [`Bytes`], such as `axum::body::Body`) instead of `B`.
    pub fn forward_body<B2: From<Bytes>>(self) -> HmacSignatureLayer<B2> {
        HmacSignatureLayer {
            state: self.state,
            _body: PhantomData,
        }
    }

    /// The signature scheme.
    pub fn scheme(&self) -> &SignatureScheme {
        &self.state.scheme
    }

    /// The secrets signatures are checked against.
    pub fn secrets(&self) -> &SigningSecrets {
        &self.state.secrets
    }

    /// The body size bound in bytes.
    pub fn max_body(&self) -> usize {
        self.state.max_body
    }
}

impl<B> Clone for HmacSignatureLayer<B> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            _body: PhantomData,
        }
    }
}

impl<S, B> TowerLayer<S> for HmacSignatureLayer<B> {
    type Service = HmacSignature<S, B>;

    fn layer(&self, inner: S) -> Self::Service {
        HmacSignature::new(inner, self.state.clone())
    }
}

impl<B> fmt::Debug for HmacSignatureLayer<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSignatureLayer")
            .field("scheme", &self.state.scheme)
            .field("secrets", &self.state.secrets)
            .field("max_body", &self.state.max_body)
            .finish()
    }
}
