//! Client side: [`SetSecretHeaderLayer`] puts a secret header on every
//! outgoing request, for calling an API (such as the shop's) through any
//! Tower HTTP client.
//!
//! The header value is marked sensitive ([`HeaderValue::set_sensitive`](http::HeaderValue::set_sensitive)),
//! so HTTP/2 clients keep it out of their compression tables and `Debug`
//! of the request headers prints `Sensitive` instead of the value. A value
//! already on the request under the same name is replaced.
//!
//! # Example
//!
//! ```
//! use http::{Request, Response};
//! use rimguard_secrets::client::SetSecretHeaderLayer;
//! use rimguard_secrets::secret::SecretString;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let key = SecretString::from("wix-api-key-0123456789");
//! let client = ServiceBuilder::new()
//!     .layer(SetSecretHeaderLayer::bearer(&key).unwrap())
//!     .service(service_fn(|request: Request<()>| async move {
//!         let value = &request.headers()["authorization"];
//!         assert!(value.is_sensitive());
//!         assert_eq!(format!("{value:?}"), "Sensitive");
//!         Ok::<_, std::convert::Infallible>(Response::new(()))
//!     }));
//!
//! client.oneshot(Request::get("https://shop.example/orders").body(()).unwrap()).await.unwrap();
//! # }
//! ```
//!
//! A key in a header of its own:
//!
//! ```
//! # use rimguard_secrets::{client::SetSecretHeaderLayer, secret::SecretString};
//! let layer = SetSecretHeaderLayer::new(
//!     http::HeaderName::from_static("x-api-key"),
//!     &SecretString::from("wix-api-key-0123456789"),
//! )
//! .unwrap();
//! ```

use std::fmt;
use std::task::{Context, Poll};

use http::header::AUTHORIZATION;
use http::{HeaderName, HeaderValue, Request};
use secrecy::{ExposeSecret, SecretString};
use tower_layer::Layer;
use tower_service::Service;
use zeroize::Zeroizing;

/// A secret that cannot be a header value (it holds a control character
/// or a non-visible byte). It never holds the value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("the secret cannot be sent in the {header} header: it holds a byte a header value may not")]
pub struct InvalidSecretHeader {
    header: String,
}

/// Sets a secret header on every request. See the [module docs](self).
#[derive(Clone)]
pub struct SetSecretHeaderLayer {
    name: HeaderName,
    value: HeaderValue,
}

impl SetSecretHeaderLayer {
    /// Sets `name: <secret>`.
    ///
    /// # Errors
    ///
    /// When the secret is not a valid header value.
    pub fn new(name: HeaderName, secret: &SecretString) -> Result<Self, InvalidSecretHeader> {
        let value = sensitive_value(&name, secret.expose_secret())?;
        Ok(Self { name, value })
    }

    /// Sets `Authorization: Bearer <secret>`.
    ///
    /// # Errors
    ///
    /// When the secret is not a valid header value.
    pub fn bearer(secret: &SecretString) -> Result<Self, InvalidSecretHeader> {
        let text = Zeroizing::new(format!("Bearer {}", secret.expose_secret()));
        let value = sensitive_value(&AUTHORIZATION, &text)?;
        Ok(Self {
            name: AUTHORIZATION,
            value,
        })
    }

    /// The header name.
    pub fn header(&self) -> &HeaderName {
        &self.name
    }
}

fn sensitive_value(name: &HeaderName, text: &str) -> Result<HeaderValue, InvalidSecretHeader> {
    let mut value = HeaderValue::from_str(text).map_err(|_| InvalidSecretHeader {
        header: name.as_str().to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

impl<S> Layer<S> for SetSecretHeaderLayer {
    type Service = SetSecretHeader<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SetSecretHeader {
            inner,
            name: self.name.clone(),
            value: self.value.clone(),
        }
    }
}

impl fmt::Debug for SetSecretHeaderLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetSecretHeaderLayer")
            .field("header", &self.name)
            .field("value", &"[REDACTED]")
            .finish()
    }
}

/// The service built by [`SetSecretHeaderLayer`].
#[derive(Clone)]
pub struct SetSecretHeader<S> {
    inner: S,
    name: HeaderName,
    value: HeaderValue,
}

impl<S> SetSecretHeader<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, taken out.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B> Service<Request<B>> for SetSecretHeader<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        request
            .headers_mut()
            .insert(self.name.clone(), self.value.clone());
        self.inner.call(request)
    }
}

impl<S: fmt::Debug> fmt::Debug for SetSecretHeader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetSecretHeader")
            .field("inner", &self.inner)
            .field("header", &self.name)
            .field("value", &"[REDACTED]")
            .finish()
    }
}
