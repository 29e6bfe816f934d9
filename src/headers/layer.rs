use std::sync::Arc;

use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SERVER, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use tower_layer::Layer;

use super::SecurityHeaders;

/// The default headers, in the order of [`HeadersConfig`](super::HeadersConfig)'s fields.
pub(crate) fn defaults() -> [(HeaderName, &'static str); 9] {
    [
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("permissions-policy"),
            "accelerometer=(), camera=(), geolocation=(), microphone=(), payment=(), usb=()",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-embedder-policy"),
            "require-corp",
        ),
        (CACHE_CONTROL, "no-store"),
    ]
}

#[derive(Debug)]
pub(crate) struct Headers {
    pub(crate) set: Vec<(HeaderName, HeaderValue)>,
    pub(crate) remove: Vec<HeaderName>,
    /// `set` applied to an empty map, built once: a response that comes
    /// without headers gets a clone of it instead of one lookup per header.
    pub(crate) on_empty: HeaderMap,
}

impl Headers {
    fn new(set: Vec<(HeaderName, HeaderValue)>, remove: Vec<HeaderName>) -> Self {
        let mut on_empty = HeaderMap::with_capacity(set.len());
        add_absent(&mut on_empty, &set);
        Self {
            set,
            remove,
            on_empty,
        }
    }

    /// Removes the banners from `headers` and adds each header of `set` it
    /// lacks.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        for name in &self.remove {
            headers.remove(name);
        }
        if headers.is_empty() {
            headers.clone_from(&self.on_empty);
        } else {
            add_absent(headers, &self.set);
        }
    }
}

/// Adds each header of `set` that `headers` lacks; the first of a name wins.
fn add_absent(headers: &mut HeaderMap, set: &[(HeaderName, HeaderValue)]) {
    headers.reserve(set.len());
    for (name, value) in set {
        headers.entry(name).or_insert_with(|| value.clone());
    }
}

/// Applies [`SecurityHeaders`]: adds security headers, removes banners.
///
/// See the [module docs](super) for an example.
#[derive(Debug, Clone)]
pub struct SecurityHeadersLayer {
    headers: Arc<Headers>,
}

impl SecurityHeadersLayer {
    /// The OWASP recommendations for a JSON API (see the module docs), and
    /// `Server` and `X-Powered-By` removed.
    pub fn api() -> Self {
        let set = defaults()
            .into_iter()
            .map(|(n, v)| (n, HeaderValue::from_static(v)))
            .collect();
        Self::new(set, vec![SERVER, HeaderName::from_static("x-powered-by")])
    }

    /// Exactly these headers added (when absent) and these removed.
    pub fn new(set: Vec<(HeaderName, HeaderValue)>, remove: Vec<HeaderName>) -> Self {
        Self {
            headers: Arc::new(Headers::new(set, remove)),
        }
    }

    /// The headers this layer adds.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers.set
    }
}

impl<S> Layer<S> for SecurityHeadersLayer {
    type Service = SecurityHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SecurityHeaders::new(inner, self.headers.clone())
    }
}
