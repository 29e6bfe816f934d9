//! A prepared rejection with the header that goes with it.

use http::{HeaderName, HeaderValue, Response, StatusCode};
use rimguard_core::{Layer, PreparedRejection, Rejection, ResponseBody};

/// A rejection rendered once and answered many times.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    rejection: PreparedRejection,
    header: Option<(HeaderName, HeaderValue)>,
}

impl Refusal {
    pub(crate) fn new(
        layer: Layer,
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: &'static str,
    ) -> Self {
        let rejection = Rejection::new(layer, status, code, title)
            .with_detail(detail)
            .prepare();
        Self {
            rejection,
            header: None,
        }
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.header = Some((name, value));
        self
    }

    pub(crate) fn to_response<B>(&self) -> Response<ResponseBody<B>> {
        let mut response = self.rejection.to_response();
        if let Some((name, value)) = &self.header {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}
