//! The service: extract, decide, then pass on or refuse.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use rimguard_core::{Layer, Rejection, ResponseBody};
use tower_service::Service;

use super::builder::Settings;
use super::policy::{PhoneSource, ScopedSender, ValidatedPhone};
use crate::{Details, ParseError, PhoneNumber, WaSender, parse_wa_sender};

const TARGET: &str = "rimguard::phone";

/// The service built by [`PhoneLayer`](super::PhoneLayer).
#[derive(Clone)]
pub struct PhoneService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> PhoneService<S> {
    pub(crate) fn new(inner: S, settings: Arc<Settings>) -> Self {
        Self { inner, settings }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, consuming the layer's.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: fmt::Debug> fmt::Debug for PhoneService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhoneService")
            .field("inner", &self.inner)
            .field("settings", &self.settings)
            .finish()
    }
}

type Boxed<B, E> = Pin<Box<dyn Future<Output = Result<Response<ResponseBody<B>>, E>> + Send>>;

/// The response future of [`PhoneService`].
pub struct ResponseFuture<B, E> {
    inner: Boxed<B, E>,
}

impl<B, E> fmt::Debug for ResponseFuture<B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseFuture")
    }
}

impl<B, E> Future for ResponseFuture<B, E> {
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

/// What the layer decided about one value.
enum Decision {
    Pass(Option<Found>),
    Refuse(Rejection),
}

enum Found {
    Phone(PhoneNumber, Details),
    Scoped(ScopedSender),
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for PhoneService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Body<Data = Bytes> + From<Bytes> + Send + 'static,
    ReqBody::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    ResBody: Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let settings = self.settings.clone();
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);

        if let PhoneSource::JsonBody { pointer, max_body } = &settings.source {
            let (pointer, max_body) = (pointer.clone(), *max_body);
            let inner_future = async move {
                let (parts, body) = request.into_parts();
                let bytes = match Limited::new(body, max_body).collect().await {
                    Ok(collected) => collected.to_bytes(),
                    Err(error) => {
                        let too_large = error.is::<http_body_util::LengthLimitError>();
                        return Ok(refuse_body(too_large));
                    }
                };
                let decision = match json_field(&bytes, &pointer) {
                    Ok(value) => decide(&settings, value.as_deref()),
                    Err(rejection) => Decision::Refuse(rejection),
                };
                let request = Request::from_parts(parts, ReqBody::from(bytes));
                finish(&mut inner, request, decision).await
            };
            return ResponseFuture {
                inner: Box::pin(inner_future),
            };
        }

        let decision = {
            let value = extract(&settings.source, &request);
            decide(&settings, value.as_deref())
        };
        let future = async move { finish(&mut inner, request, decision).await };
        ResponseFuture {
            inner: Box::pin(future),
        }
    }
}

async fn finish<S, ReqBody, ResBody>(
    inner: &mut S,
    mut request: Request<ReqBody>,
    decision: Decision,
) -> Result<Response<ResponseBody<ResBody>>, S::Error>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    match decision {
        Decision::Refuse(rejection) => Ok(rejection.into_response()),
        Decision::Pass(found) => {
            match found {
                Some(Found::Phone(number, details)) => {
                    if let Some(caller) = number.to_caller_phone() {
                        request.extensions_mut().insert(caller);
                    }
                    request
                        .extensions_mut()
                        .insert(ValidatedPhone::new(number, &details));
                }
                Some(Found::Scoped(sender)) => {
                    request.extensions_mut().insert(sender);
                }
                None => {}
            }
            let response = inner.call(request).await?;
            Ok(response.map(ResponseBody::inner))
        }
    }
}

/// Parses and judges the extracted value.
fn decide(settings: &Settings, value: Option<&str>) -> Decision {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        if settings.required {
            tracing::debug!(target: TARGET, code = "phone-missing", "refused");
            return Decision::Refuse(rejection("phone-missing", "The phone number is missing."));
        }
        return Decision::Pass(None);
    };

    let parsed = if settings.whatsapp {
        match parse_wa_sender(value) {
            Ok(WaSender::Phone(number)) => Ok(number),
            Ok(WaSender::BusinessScoped(id)) => {
                return Decision::Pass(Some(Found::Scoped(ScopedSender(id))));
            }
            Err(e) => Err(e),
        }
    } else {
        PhoneNumber::parse_with(value, settings.default_region, settings.strictness)
    };
    let number = match parsed {
        Ok(number) => number,
        Err(error) => {
            let suspicious = matches!(error, ParseError::ForbiddenCharacter);
            if suspicious {
                tracing::warn!(target: TARGET, code = error.code(), "refused");
            } else {
                tracing::debug!(target: TARGET, code = error.code(), "refused");
            }
            return Decision::Refuse(rejection(
                error.code(),
                "The phone number could not be read.",
            ));
        }
    };
    let details = number.details();
    if let Some(code) = settings.policy.refusal(&number, &details) {
        tracing::debug!(target: TARGET, code, phone = %number.masked(), "refused");
        return Decision::Refuse(rejection(code, "The phone number is not accepted here."));
    }
    Decision::Pass(Some(Found::Phone(number, details)))
}

fn rejection(code: &'static str, detail: &'static str) -> Rejection {
    Rejection::new(
        Layer::Phone,
        StatusCode::UNPROCESSABLE_ENTITY,
        code,
        "Invalid phone number",
    )
    .with_detail(detail)
}

fn refuse_body<B>(too_large: bool) -> Response<ResponseBody<B>> {
    let rejection = if too_large {
        tracing::debug!(target: TARGET, code = "phone-body-too-large", "refused");
        Rejection::new(
            Layer::Phone,
            StatusCode::PAYLOAD_TOO_LARGE,
            "phone-body-too-large",
            "Request body too large",
        )
    } else {
        tracing::debug!(target: TARGET, code = "phone-body-unreadable", "refused");
        Rejection::new(
            Layer::Phone,
            StatusCode::BAD_REQUEST,
            "phone-body-unreadable",
            "Unreadable request body",
        )
    };
    rejection.into_response()
}

/// The value at `pointer` in a JSON body: a string, or an integer as digits.
fn json_field(body: &[u8], pointer: &str) -> Result<Option<String>, Rejection> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        tracing::debug!(target: TARGET, code = "phone-body-not-json", "refused");
        rejection("phone-body-not-json", "The request body is not JSON.")
    })?;
    Ok(match json.pointer(pointer) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) if n.is_u64() => Some(n.to_string()),
        _ => None,
    })
}

/// The raw value from a path segment, query parameter or header.
fn extract<'a, B>(source: &PhoneSource, request: &'a Request<B>) -> Option<Cow<'a, str>> {
    match source {
        PhoneSource::PathSegment(index) => {
            let segment = request
                .uri()
                .path()
                .split('/')
                .filter(|s| !s.is_empty())
                .nth(*index)?;
            percent_decode(segment)
        }
        PhoneSource::Query(name) => {
            let query = request.uri().query()?;
            let value = query.split('&').find_map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(key)?.as_ref() == name.as_str()).then_some(value)
            })?;
            percent_decode(value)
        }
        PhoneSource::Header(name) => {
            let value = request.headers().get(name)?;
            std::str::from_utf8(value.as_bytes())
                .ok()
                .map(Cow::Borrowed)
        }
        PhoneSource::JsonBody { .. } => None,
    }
}

/// `%XX` escapes decoded; `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('%') {
        return Some(Cow::Borrowed(s));
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_are_decoded_and_plus_is_kept() {
        assert_eq!(percent_decode("%2B447911123456").unwrap(), "+447911123456");
        assert_eq!(percent_decode("+44%207911").unwrap(), "+44 7911");
        assert_eq!(percent_decode("%zz").unwrap(), "%zz");
        assert!(percent_decode("%ff").is_none());
    }
}
