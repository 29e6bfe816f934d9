use std::sync::Arc;

use http::HeaderName;
use tower_layer::Layer;

use super::SensitiveHeaders;
use crate::Redactor;

/// Marks sensitive request and response headers before inner layers see
/// them.
///
/// See the [module docs](super) for an example.
#[derive(Debug, Clone)]
pub struct SensitiveHeadersLayer {
    headers: Arc<[HeaderName]>,
}

impl SensitiveHeadersLayer {
    /// Marks the headers `redactor` treats as sensitive: the defaults in
    /// [`rules`](crate::rules) and the user's own.
    pub fn new(redactor: &Redactor) -> Self {
        Self {
            headers: redactor.sensitive_headers().into(),
        }
    }

    /// Marks exactly `headers`.
    pub fn from_names(headers: impl IntoIterator<Item = HeaderName>) -> Self {
        Self {
            headers: headers.into_iter().collect(),
        }
    }
}

impl<S> Layer<S> for SensitiveHeadersLayer {
    type Service = SensitiveHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SensitiveHeaders::new(inner, self.headers.clone())
    }
}
