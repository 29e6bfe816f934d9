use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderMap, HeaderName, Request, Response};
use tower_service::Service;

use super::ResponseFuture;

/// The service made by [`SensitiveHeadersLayer`](super::SensitiveHeadersLayer).
#[derive(Debug, Clone)]
pub struct SensitiveHeaders<S> {
    inner: S,
    headers: Arc<[HeaderName]>,
}

impl<S> SensitiveHeaders<S> {
    pub(crate) fn new(inner: S, headers: Arc<[HeaderName]>) -> Self {
        Self { inner, headers }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, taken out.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SensitiveHeaders<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        mark_sensitive(req.headers_mut(), &self.headers);
        ResponseFuture::new(self.inner.call(req), self.headers.clone())
    }
}

/// Marks every value of every header in `names` as sensitive, so that
/// `Debug` of the map (and of a request or response) prints `Sensitive`.
pub fn mark_sensitive(headers: &mut HeaderMap, names: &[HeaderName]) {
    // Two ways to the same marks, the cheaper one for the map at hand: a
    // request or response carries a handful of headers while the list holds
    // twenty or so names, and comparing a present name with the list costs
    // far less than hashing every listed name to look it up.
    if headers.len() <= names.len() {
        for (name, value) in headers.iter_mut() {
            if names.contains(name) {
                value.set_sensitive(true);
            }
        }
    } else {
        for name in names {
            if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
                for value in entry.iter_mut() {
                    value.set_sensitive(true);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use http::header::{ACCEPT, AUTHORIZATION, COOKIE};
    use http::{HeaderMap, HeaderName, HeaderValue};

    use super::mark_sensitive;

    fn map(names: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for &(name, value) in names {
            headers.append(name, HeaderValue::from_static(value));
        }
        headers
    }

    fn marked(headers: &HeaderMap) -> Vec<(String, bool)> {
        headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.is_sensitive()))
            .collect()
    }

    #[test]
    fn every_value_of_a_listed_header_is_marked_and_nothing_else_when_the_list_is_longer() {
        let names = [
            AUTHORIZATION,
            COOKIE,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("x-shop-token"),
        ];
        let mut headers = map(&[("cookie", "a=1"), ("accept", "*/*"), ("cookie", "b=2")]);
        mark_sensitive(&mut headers, &names);
        assert_eq!(
            marked(&headers),
            [
                ("cookie".into(), true),
                ("cookie".into(), true),
                ("accept".into(), false)
            ]
        );
    }

    #[test]
    fn every_value_of_a_listed_header_is_marked_and_nothing_else_when_the_map_is_longer() {
        let names = [HeaderName::from_static("x-shop-token")];
        let mut headers = map(&[
            ("x-shop-token", "t1"),
            ("accept", "*/*"),
            ("x-shop-token", "t2"),
        ]);
        mark_sensitive(&mut headers, &names);
        assert_eq!(
            marked(&headers),
            [
                ("x-shop-token".into(), true),
                ("x-shop-token".into(), true),
                ("accept".into(), false)
            ]
        );
        assert!(!headers[ACCEPT].is_sensitive());
    }

    #[test]
    fn an_empty_map_stays_empty() {
        let mut headers = HeaderMap::new();
        mark_sensitive(&mut headers, &[AUTHORIZATION]);
        assert!(headers.is_empty());
    }
}
