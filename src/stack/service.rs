use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body::Body as HttpBody;
use rimguard_core::{Layer, Rejection};
use tower_service::Service;

use super::step::Svc;
use crate::body::{self, Body, BoxError};
use crate::config::PathPattern;

const NOT_CANONICAL: Rejection = Rejection::new(
    Layer::Other,
    StatusCode::BAD_REQUEST,
    "path-not-canonical",
    "Bad request path",
);

/// The name of the route that matched a request, in its extensions, for the
/// service and the audit layer. Absent when no route matched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteName(pub(crate) Arc<str>);

impl RouteName {
    /// The route's name from the configuration.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub(crate) struct Matcher {
    pub(crate) name: RouteName,
    pub(crate) pattern: PathPattern,
    pub(crate) methods: Vec<Method>,
}

/// The future of [`StackService`].
pub type ResponseFuture<E> = Pin<Box<dyn Future<Output = Result<Response<Body>, E>> + Send>>;

/// The service a [`Stack`](super::Stack) builds: the stack-wide layers,
/// then the first matching route's layers, then the service.
pub struct StackService<E> {
    outer: Svc<E>,
}

impl<E> StackService<E> {
    pub(crate) fn new(outer: Svc<E>) -> Self {
        Self { outer }
    }
}

impl<E> Clone for StackService<E> {
    fn clone(&self) -> Self {
        Self {
            outer: self.outer.clone(),
        }
    }
}

impl<E> std::fmt::Debug for StackService<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackService").finish_non_exhaustive()
    }
}

impl<B, E> Service<Request<B>> for StackService<E>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    E: 'static,
{
    type Response = Response<Body>;
    type Error = E;
    type Future = ResponseFuture<E>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        self.outer.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        self.outer.call(req.map(body::boxed))
    }
}

/// Sends each request to the first route that matches it, or to the
/// fallback; refuses paths that could alias a route.
pub(crate) struct Dispatch<E> {
    routes: Arc<[(Matcher, Svc<E>)]>,
    fallback: Svc<E>,
}

impl<E> Dispatch<E> {
    pub(crate) fn new(routes: Vec<(Matcher, Svc<E>)>, fallback: Svc<E>) -> Self {
        Self {
            routes: routes.into(),
            fallback,
        }
    }
}

impl<E> Clone for Dispatch<E> {
    fn clone(&self) -> Self {
        Self {
            routes: self.routes.clone(),
            fallback: self.fallback.clone(),
        }
    }
}

impl<E: Send + 'static> Service<Request<Body>> for Dispatch<E> {
    type Response = Response<Body>;
    type Error = E;
    type Future = ResponseFuture<E>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        if !self.routes.is_empty() && !is_canonical(req.uri().path()) {
            tracing::debug!(target: "rimguard::stack", "non-canonical path refused");
            let response = NOT_CANONICAL.into_response::<Body>().map(into_body);
            return Box::pin(std::future::ready(Ok(response)));
        }

        let (method, path) = (req.method(), req.uri().path());
        let found = self.routes.iter().find(|(m, _)| {
            (m.methods.is_empty() || m.methods.contains(method)) && m.pattern.matches(path)
        });
        let service = match found {
            Some((matcher, service)) => {
                req.extensions_mut().insert(matcher.name.clone());
                service
            }
            None => &self.fallback,
        };
        service.call_shared(req)
    }
}

fn into_body(body: rimguard_core::ResponseBody<Body>) -> Body {
    body::boxed(body)
}

/// Whether a path has one spelling only: no empty or dot segments, no
/// backslash, and no percent-encoding of `/`, `\` or of characters that
/// never need it (letters, digits, `-._~`). Anything else could reach a
/// route's handler while missing the route's pattern.
pub(crate) fn is_canonical(path: &str) -> bool {
    if path.contains("//") || path.contains('\\') {
        return false;
    }
    if path.split('/').any(|s| s == "." || s == "..") {
        return false;
    }

    let bytes = path.as_bytes();
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'%') {
        let at = i + offset;
        let Some(code) = path
            .get(at + 1..at + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        else {
            return false;
        };
        if code.is_ascii_alphanumeric() || b"-._~/\\".contains(&code) {
            return false;
        }
        i = at + 3;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_canonical;

    #[test]
    fn only_one_spelling_of_a_path_is_accepted() {
        assert!(is_canonical("/admin/keys"));
        assert!(is_canonical("/customers/%2B44"));
        assert!(is_canonical("/"));
        for path in [
            "//admin",
            "/a/../admin",
            "/./admin",
            "/%61dmin",
            "/admin%2Fkeys",
            "/a\\b",
            "/a%zz",
            "/a%2",
        ] {
            assert!(!is_canonical(path), "{path} should be refused");
        }
    }
}
