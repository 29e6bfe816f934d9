use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::future::ResponseFuture;
use super::layer::Headers;

/// Adds security headers to responses and removes banner headers.
///
/// Built by [`SecurityHeadersLayer`](super::SecurityHeadersLayer); see the
/// [module docs](super).
#[derive(Debug, Clone)]
pub struct SecurityHeaders<S> {
    inner: S,
    headers: Arc<Headers>,
}

impl<S> SecurityHeaders<S> {
    pub(crate) fn new(inner: S, headers: Arc<Headers>) -> Self {
        Self { inner, headers }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Consumes the layer, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SecurityHeaders<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        ResponseFuture::new(self.inner.call(req), self.headers.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use bytes::Bytes;
    use http::StatusCode;
    use http_body_util::Empty;
    use rimguard_core::{Layer, Rejection};
    use tower::{ServiceBuilder, ServiceExt, service_fn};

    use crate::headers::SecurityHeadersLayer;
    use tower_layer::Layer as _;

    use super::*;

    #[tokio::test]
    async fn every_owasp_header_is_added_and_banners_removed() {
        let service = service_fn(|_req: Request<()>| async {
            let mut response = Response::new(Empty::<Bytes>::new());
            response
                .headers_mut()
                .insert("x-powered-by", "PHP/8".parse().unwrap());
            Ok::<_, Infallible>(response)
        });
        let service = ServiceBuilder::new()
            .layer(SecurityHeadersLayer::api())
            .service(service);
        let response = service.oneshot(Request::new(())).await.unwrap();

        let headers = response.headers();
        assert!(!headers.contains_key("x-powered-by"));
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["cross-origin-resource-policy"], "same-origin");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors")
        );
    }

    #[tokio::test]
    async fn the_service_own_values_win() {
        let service = service_fn(|_req: Request<()>| async {
            let mut response = Response::new(Empty::<Bytes>::new());
            response
                .headers_mut()
                .insert("cache-control", "max-age=60".parse().unwrap());
            Ok::<_, Infallible>(response)
        });
        let service = SecurityHeadersLayer::api().layer(service);
        let response = service.oneshot(Request::new(())).await.unwrap();
        assert_eq!(response.headers()["cache-control"], "max-age=60");
    }

    #[tokio::test]
    async fn rejections_get_the_headers_too() {
        let service = service_fn(|_req: Request<()>| async {
            let rejection = Rejection::new(Layer::Other, StatusCode::FORBIDDEN, "no", "No");
            Ok::<_, Infallible>(rejection.into_response::<Empty<Bytes>>())
        });
        let service = SecurityHeadersLayer::api().layer(service);
        let response = service.oneshot(Request::new(())).await.unwrap();
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }

    #[tokio::test]
    async fn a_response_without_headers_gets_the_same_headers_as_one_with_some() {
        let set = vec![
            (
                http::header::X_FRAME_OPTIONS,
                http::HeaderValue::from_static("DENY"),
            ),
            (
                http::header::X_FRAME_OPTIONS,
                http::HeaderValue::from_static("SAMEORIGIN"),
            ),
            (
                http::HeaderName::from_static("x-team"),
                http::HeaderValue::from_static("rimguard"),
            ),
        ];
        let layer = SecurityHeadersLayer::new(set, vec![http::header::SERVER]);
        let respond = |with_header: bool| {
            let service = service_fn(move |_req: Request<()>| async move {
                let mut response = Response::new(Empty::<Bytes>::new());
                if with_header {
                    response
                        .headers_mut()
                        .insert("content-type", "text/plain".parse().unwrap());
                }
                Ok::<_, Infallible>(response)
            });
            layer.layer(service).oneshot(Request::new(()))
        };

        let bare = respond(false).await.unwrap();
        let with_one = respond(true).await.unwrap();
        let mut with_one = with_one.headers().clone();
        with_one.remove("content-type");
        assert_eq!(bare.headers(), &with_one);
        assert_eq!(bare.headers().len(), 2);
        assert_eq!(bare.headers()["x-frame-options"], "DENY");
        assert_eq!(bare.headers()["x-team"], "rimguard");
    }
}
