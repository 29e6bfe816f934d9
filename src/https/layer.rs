use std::sync::Arc;

use http::HeaderValue;
use http::uri::Authority;
use tower_layer::Layer;

use super::HttpsOnly;

/// What [`HttpsOnly`] does with plain HTTP.
#[derive(Debug, Clone)]
pub(crate) enum Plain {
    Refuse,
    Redirect(Authority),
    Allow,
}

#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) plain: Plain,
    pub(crate) hsts: Option<HeaderValue>,
    pub(crate) trust_forwarded_proto: bool,
}

/// Applies [`HttpsOnly`]: refuse or redirect plain HTTP, send HSTS.
///
/// See the [module docs](super) for an example.
#[derive(Debug, Clone)]
pub struct HttpsOnlyLayer {
    policy: Arc<Policy>,
}

impl HttpsOnlyLayer {
    fn with(plain: Plain) -> Self {
        let hsts = HeaderValue::from_static("max-age=31536000; includeSubDomains");
        let policy = Policy {
            plain,
            hsts: Some(hsts),
            trust_forwarded_proto: true,
        };
        Self {
            policy: Arc::new(policy),
        }
    }

    /// Refuses plain HTTP with `403`; HSTS of one year with subdomains.
    pub fn refuse() -> Self {
        Self::with(Plain::Refuse)
    }

    /// Redirects plain `GET` and `HEAD` to `https://{host}` with `308` and
    /// refuses other methods; HSTS of one year with subdomains.
    pub fn redirect_to(host: Authority) -> Self {
        Self::with(Plain::Redirect(host))
    }

    /// Lets plain HTTP through (local development); HSTS is still sent on
    /// HTTPS responses.
    pub fn allow_plain_http() -> Self {
        Self::with(Plain::Allow)
    }

    /// Sets the `Strict-Transport-Security` value, or none.
    pub fn hsts(mut self, value: Option<HeaderValue>) -> Self {
        self.policy_mut().hsts = value;
        self
    }

    /// Whether a trusted proxy's forwarded protocol counts (default `true`).
    pub fn trust_forwarded_proto(mut self, trust: bool) -> Self {
        self.policy_mut().trust_forwarded_proto = trust;
        self
    }

    fn policy_mut(&mut self) -> &mut Policy {
        if Arc::get_mut(&mut self.policy).is_none() {
            let policy = Policy {
                plain: self.policy.plain.clone(),
                hsts: self.policy.hsts.clone(),
                trust_forwarded_proto: self.policy.trust_forwarded_proto,
            };
            self.policy = Arc::new(policy);
        }
        Arc::get_mut(&mut self.policy).expect("the policy was just made unique")
    }
}

impl<S> Layer<S> for HttpsOnlyLayer {
    type Service = HttpsOnly<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpsOnly::new(inner, self.policy.clone())
    }
}
