use std::fmt;
use std::sync::Arc;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use rimguard_core::Layer;
use tower_layer::Layer as TowerLayer;

use super::service::ApiKeyAuth;
use crate::refusal::Refusal;
use crate::rotation::ApiKeys;

/// Checks the API key of each request. See the [module docs](super).
#[derive(Clone)]
pub struct ApiKeyLayer {
    pub(crate) state: Arc<State>,
}

pub(crate) struct State {
    pub(crate) keys: ApiKeys,
    pub(crate) location: KeyLocation,
    pub(crate) unauthorized: Refusal,
    pub(crate) forbidden: Refusal,
}

/// Where a request carries its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLocation {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// A header of its own, such as `X-Api-Key: <key>`.
    Header(HeaderName),
}

/// What a request presented.
pub(crate) enum Presented<'a> {
    Missing,
    Malformed(&'a [u8]),
    Key(&'a [u8]),
}

impl KeyLocation {
    pub(crate) fn find<'a>(&self, headers: &'a HeaderMap) -> Presented<'a> {
        let name = match self {
            Self::Bearer => &AUTHORIZATION,
            Self::Header(name) => name,
        };
        let mut values = headers.get_all(name).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return if headers.contains_key(name) {
                Presented::Malformed(b"")
            } else {
                Presented::Missing
            };
        };
        let raw = value.as_bytes();
        let token = match self {
            Self::Bearer => bearer_token(raw),
            Self::Header(_) => Some(raw),
        };
        match token {
            Some(token) if !token.is_empty() && token.iter().all(u8::is_ascii_graphic) => {
                Presented::Key(token)
            }
            _ => Presented::Malformed(raw),
        }
    }
}

fn bearer_token(raw: &[u8]) -> Option<&[u8]> {
    let scheme = raw.get(..7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    Some(raw[7..].trim_ascii())
}

impl ApiKeyLayer {
    /// Reads the key from `Authorization: Bearer <key>` and checks it
    /// against `keys`.
    pub fn new(keys: ApiKeys) -> Self {
        Self::build(keys, KeyLocation::Bearer)
    }

    /// Reads the key from the header `name` instead (such as `x-api-key`).
    pub fn with_header(self, name: HeaderName) -> Self {
        Self::build(self.state.keys.clone(), KeyLocation::Header(name))
    }

    /// The keys this layer accepts.
    pub fn keys(&self) -> &ApiKeys {
        &self.state.keys
    }

    fn build(keys: ApiKeys, location: KeyLocation) -> Self {
        let (challenge, scope_challenge) = match &location {
            KeyLocation::Bearer => (
                HeaderValue::from_static("Bearer realm=\"rimguard\""),
                HeaderValue::from_static("Bearer realm=\"rimguard\", error=\"insufficient_scope\""),
            ),
            KeyLocation::Header(name) => {
                let challenge = format!("ApiKey realm=\"rimguard\", header=\"{name}\"");
                let value = HeaderValue::try_from(challenge)
                    .expect("a header name is a valid header value");
                (value.clone(), value)
            }
        };
        let unauthorized = Refusal::new(
            Layer::ApiKey,
            StatusCode::UNAUTHORIZED,
            "api-key-invalid",
            "Unauthorized",
            "A valid API key is required.",
        )
        .with_header(WWW_AUTHENTICATE, challenge);
        let forbidden = Refusal::new(
            Layer::ApiKey,
            StatusCode::FORBIDDEN,
            "api-key-scope",
            "Forbidden",
            "The API key may not use this method.",
        )
        .with_header(WWW_AUTHENTICATE, scope_challenge);
        let state = State {
            keys,
            location,
            unauthorized,
            forbidden,
        };
        Self {
            state: Arc::new(state),
        }
    }
}

impl<S> TowerLayer<S> for ApiKeyLayer {
    type Service = ApiKeyAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ApiKeyAuth {
            inner,
            state: self.state.clone(),
        }
    }
}

impl fmt::Debug for ApiKeyLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyLayer")
            .field("keys", &self.state.keys)
            .field("location", &self.state.location)
            .finish()
    }
}
