//! The refusal every rimguard layer answers with.
//!
//! A [`Rejection`] is a typed reason: which layer refused ([`Layer`]), a
//! stable machine-readable code, the HTTP status, a short title and an
//! optional short detail. It turns into an `application/problem+json`
//! response (RFC 9457) and rides along in that response's extensions, so
//! the audit layer can record who refused and why without parsing bodies.
//!
//! A rejection never carries user input: codes and titles are static, and a
//! detail is for facts the layer computed itself (such as a wait in seconds).
//!
//! # Example
//!
//! ```
//! use http::StatusCode;
//! use rimguard_core::{Layer, Rejection, ResponseBody};
//!
//! let rejection = Rejection::new(Layer::IpFilter, StatusCode::FORBIDDEN, "ip-denied", "Forbidden")
//!     .with_detail("The client address is not allowed here.");
//! let response = rejection.into_response::<http_body_util::Empty<bytes::Bytes>>();
//!
//! assert_eq!(response.status(), StatusCode::FORBIDDEN);
//! assert_eq!(response.headers()["content-type"], "application/problem+json");
//! let seen = response.extensions().get::<Rejection>().unwrap();
//! assert_eq!(seen.code(), "ip-denied");
//! ```

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use serde::Serialize;

use crate::body::ResponseBody;

/// The media type of every rejection body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Which rimguard layer refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Layer {
    /// Client IP resolution (`rimguard-core`).
    ClientIp,
    /// HTTPS-only enforcement and security headers (the facade).
    HttpsOnly,
    /// CIDR allow and deny lists (`rimguard-ipfilter`).
    IpFilter,
    /// Rate limiting (`rimguard-ratelimit`).
    RateLimit,
    /// API key authentication (`rimguard-secrets`).
    ApiKey,
    /// Webhook signature verification (`rimguard-secrets`).
    WebhookSignature,
    /// Phone number extraction and validation (`rimguard-phone`).
    Phone,
    /// A layer outside rimguard that uses its rejection type.
    Other,
}

impl Layer {
    /// The stable kebab-case name used in logs, audit records and problem types.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClientIp => "client-ip",
            Self::HttpsOnly => "https-only",
            Self::IpFilter => "ip-filter",
            Self::RateLimit => "rate-limit",
            Self::ApiKey => "api-key",
            Self::WebhookSignature => "webhook-signature",
            Self::Phone => "phone",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed refusal of a request by a rimguard layer.
///
/// See the [module docs](self) for an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    layer: Layer,
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: Option<Cow<'static, str>>,
}

impl Rejection {
    /// A rejection by `layer` with `status`, a stable `code` (kebab-case,
    /// such as `"rate-limited"`) and a short human `title`.
    pub const fn new(
        layer: Layer,
        status: StatusCode,
        code: &'static str,
        title: &'static str,
    ) -> Self {
        Self {
            layer,
            status,
            code,
            title,
            detail: None,
        }
    }

    /// Adds a short detail. It must not contain user input, secrets or
    /// internal addresses: it is sent to the client as is.
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The layer that refused.
    pub fn layer(&self) -> Layer {
        self.layer
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable machine-readable reason, such as `"ip-denied"`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The short human title.
    pub fn title(&self) -> &'static str {
        self.title
    }

    /// The short detail, when there is one.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The problem type URI: `urn:rimguard:problem:<layer>:<code>`.
    pub fn problem_type(&self) -> String {
        format!("urn:rimguard:problem:{}:{}", self.layer.as_str(), self.code)
    }

    /// The `application/problem+json` body of this rejection.
    pub fn to_body(&self) -> Bytes {
        let problem = Problem {
            kind: self.problem_type(),
            title: self.title,
            status: self.status.as_u16(),
            detail: self.detail.as_deref(),
            code: self.code,
        };
        let json =
            serde_json::to_vec(&problem).expect("a problem of strings and numbers serializes");
        Bytes::from(json)
    }

    /// Renders the body once, for a layer that answers with the same
    /// rejection many times.
    pub fn prepare(self) -> PreparedRejection {
        let body = self.to_body();
        PreparedRejection {
            rejection: self,
            body,
        }
    }

    /// The complete response: status, `Content-Type: application/problem+json`,
    /// `Cache-Control: no-store`, the body, and this rejection in the
    /// response extensions.
    pub fn into_response<B>(self) -> Response<ResponseBody<B>> {
        let body = self.to_body();
        build_response(self, body)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} refused the request: {} ({})",
            self.layer,
            self.code,
            self.status.as_u16()
        )
    }
}

impl std::error::Error for Rejection {}

/// A [`Rejection`] with its body rendered once.
///
/// Cloning it and answering with it costs a reference count, not a
/// serialization, which matters on the path of a flood of refused requests.
#[derive(Debug, Clone)]
pub struct PreparedRejection {
    rejection: Rejection,
    body: Bytes,
}

impl PreparedRejection {
    /// The rejection this was prepared from.
    pub fn rejection(&self) -> &Rejection {
        &self.rejection
    }

    /// The response, as [`Rejection::into_response`] builds it.
    pub fn to_response<B>(&self) -> Response<ResponseBody<B>> {
        build_response(self.rejection.clone(), self.body.clone())
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    code: &'a str,
}

fn build_response<B>(rejection: Rejection, body: Bytes) -> Response<ResponseBody<B>> {
    let mut response = Response::new(ResponseBody::full(body));
    *response.status_mut() = rejection.status;

    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));

    response.extensions_mut().insert(rejection);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty};

    fn forbidden() -> Rejection {
        Rejection::new(
            Layer::IpFilter,
            StatusCode::FORBIDDEN,
            "ip-denied",
            "Forbidden",
        )
    }

    #[tokio::test]
    async fn the_body_is_problem_json_with_type_title_status_and_code() {
        let response = forbidden()
            .with_detail("not here")
            .into_response::<Empty<Bytes>>();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();

        assert_eq!(value["type"], "urn:rimguard:problem:ip-filter:ip-denied");
        assert_eq!(value["title"], "Forbidden");
        assert_eq!(value["status"], 403);
        assert_eq!(value["detail"], "not here");
        assert_eq!(value["code"], "ip-denied");
    }

    #[test]
    fn a_rejection_without_detail_omits_the_member() {
        let body = forbidden().to_body();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(value.get("detail").is_none());
    }

    #[test]
    fn a_prepared_rejection_answers_like_the_original() {
        let prepared = forbidden().prepare();
        let response = prepared.to_response::<Empty<Bytes>>();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        assert_eq!(response.extensions().get::<Rejection>(), Some(&forbidden()));
    }
}
