use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;
use rimguard_core::Layer;
use secrecy::SecretString;
use tower_layer::Layer as TowerLayer;

use super::service::WebhookSignature;
use crate::refusal::Refusal;
use crate::signature::{HmacSignatureLayer, SignatureScheme, SigningSecrets};

/// Verifies signed webhooks; for the WhatsApp Cloud API, also answers the
/// subscription handshake. See the [module docs](super).
pub struct WebhookSignatureLayer<B = Full<Bytes>> {
    signature: HmacSignatureLayer<B>,
    handshake: Option<Arc<Handshake>>,
}

pub(crate) struct Handshake {
    pub(crate) verify_token: SecretString,
    pub(crate) mismatch: Refusal,
    pub(crate) invalid: Refusal,
}

impl WebhookSignatureLayer {
    /// A webhook of any provider signing with `scheme`, without a
    /// handshake (the same checks as [`HmacSignatureLayer`]).
    pub fn new(scheme: SignatureScheme, secrets: SigningSecrets) -> Self {
        Self {
            signature: HmacSignatureLayer::new(scheme, secrets),
            handshake: None,
        }
    }

    /// The WhatsApp Cloud API webhook: `X-Hub-Signature-256` with one of
    /// `app_secrets`, and the handshake with `verify_token`.
    pub fn whatsapp(app_secrets: SigningSecrets, verify_token: SecretString) -> Self {
        let handshake = Handshake {
            verify_token,
            mismatch: Refusal::new(
                Layer::WebhookSignature,
                StatusCode::FORBIDDEN,
                "webhook-verify-token-mismatch",
                "Forbidden",
                "The verify token does not match.",
            ),
            invalid: Refusal::new(
                Layer::WebhookSignature,
                StatusCode::BAD_REQUEST,
                "webhook-handshake-invalid",
                "Bad Request",
                "The subscription handshake is malformed.",
            ),
        };
        let signature = HmacSignatureLayer::new(SignatureScheme::whatsapp(), app_secrets);
        Self {
            signature,
            handshake: Some(Arc::new(handshake)),
        }
    }
}

impl<B> WebhookSignatureLayer<B> {
    /// Refuses bodies over `max_body` bytes with 413 (1 MiB unless set).
    pub fn with_max_body(self, max_body: NonZeroUsize) -> Self {
        Self {
            signature: self.signature.with_max_body(max_body),
            handshake: self.handshake,
        }
    }

    /// Hands the verified body on as a `B2` (such as `axum::body::Body`).
    pub fn forward_body<B2: From<Bytes>>(self) -> WebhookSignatureLayer<B2> {
        WebhookSignatureLayer {
            signature: self.signature.forward_body(),
            handshake: self.handshake,
        }
    }

    /// The app secrets signatures are checked against.
    pub fn app_secrets(&self) -> &SigningSecrets {
        self.signature.secrets()
    }
}

impl<B> Clone for WebhookSignatureLayer<B> {
    fn clone(&self) -> Self {
        Self {
            signature: self.signature.clone(),
            handshake: self.handshake.clone(),
        }
    }
}

impl<S, B> TowerLayer<S> for WebhookSignatureLayer<B> {
    type Service = WebhookSignature<S, B>;

    fn layer(&self, inner: S) -> Self::Service {
        WebhookSignature::new(self.signature.layer(inner), self.handshake.clone())
    }
}

impl<B> fmt::Debug for WebhookSignatureLayer<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSignatureLayer")
            .field("signature", &self.signature)
            .field(
                "verify_token",
                &self.handshake.as_ref().map(|h| &h.verify_token),
            )
            .finish()
    }
}
