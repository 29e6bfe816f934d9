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
use pin_project_lite::pin_project;
use rimguard_core::future::ResponseFuture as CoreFuture;
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

pin_project! {
    /// The response future of [`PhoneService`].
    ///
    /// A number read from the path, the query or a header is judged before
    /// the inner service is called, so this is the inner service's future
    /// (or the rejection) with no allocation. Only a JSON body source, which
    /// must be buffered first, boxes its future.
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        kind: Kind<F, B, E>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B, E> {
        Direct { #[pin] future: CoreFuture<F, B> },
        Buffered { future: Boxed<B, E> },
    }
}

impl<F, B, E> fmt::Debug for ResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseFuture")
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Direct { future } => future.poll(cx),
            KindProj::Buffered { future } => future.as_mut().poll(cx),
        }
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
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        if let PhoneSource::JsonBody { pointer, max_body } = &self.settings.source {
            let settings = self.settings.clone();
            let (pointer, max_body) = (pointer.clone(), *max_body);
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
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
                let mut request = Request::from_parts(parts, ReqBody::from(bytes));
                match decision {
                    Decision::Refuse(rejection) => Ok(rejection.into_response()),
                    Decision::Pass(found) => {
                        store(&mut request, found);
                        let response = inner.call(request).await?;
                        Ok(response.map(ResponseBody::inner))
                    }
                }
            };
            return ResponseFuture {
                kind: Kind::Buffered {
                    future: Box::pin(inner_future),
                },
            };
        }

        let settings = &self.settings;
        let decision = with_value(&settings.source, &request, |value| decide(settings, value));
        let future = match decision {
            Decision::Refuse(rejection) => CoreFuture::rejected(rejection.into_response()),
            Decision::Pass(found) => {
                store(&mut request, found);
                CoreFuture::inner(self.inner.call(request))
            }
        };
        ResponseFuture {
            kind: Kind::Direct { future },
        }
    }
}

/// Puts what the layer found into the request extensions.
fn store<B>(request: &mut Request<B>, found: Option<Found>) {
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

/// Calls `f` with the raw value from a path segment, query parameter or
/// header (`None` when absent or not UTF-8), percent-decoded without
/// allocating when it is short.
fn with_value<B, R>(
    source: &PhoneSource,
    request: &Request<B>,
    f: impl FnOnce(Option<&str>) -> R,
) -> R {
    match source {
        PhoneSource::PathSegment(index) => {
            let segment = request
                .uri()
                .path()
                .split('/')
                .filter(|s| !s.is_empty())
                .nth(*index);
            match segment {
                Some(segment) => with_decoded(segment, f),
                None => f(None),
            }
        }
        PhoneSource::Query(name) => {
            let value = request.uri().query().and_then(|query| {
                query.split('&').find_map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    with_decoded(key, |key| key == Some(name.as_str())).then_some(value)
                })
            });
            match value {
                Some(value) => with_decoded(value, f),
                None => f(None),
            }
        }
        PhoneSource::Header(name) => {
            let value = request.headers().get(name);
            f(value.and_then(|v| std::str::from_utf8(v.as_bytes()).ok()))
        }
        PhoneSource::JsonBody { .. } => f(None),
    }
}

/// The longest escaped value decoded on the stack; longer ones are rare
/// (a phone number is at most a few dozen bytes) and go to the heap.
const STACK_DECODE: usize = 64;

/// Calls `f` with `s` percent-decoded, `None` when the result is not UTF-8.
fn with_decoded<R>(s: &str, f: impl FnOnce(Option<&str>) -> R) -> R {
    if !s.contains('%') {
        return f(Some(s));
    }
    if s.len() <= STACK_DECODE {
        let mut buf = [0u8; STACK_DECODE];
        let mut len = 0;
        decode(s.as_bytes(), |byte| {
            buf[len] = byte;
            len += 1;
        });
        return f(std::str::from_utf8(&buf[..len]).ok());
    }
    f(percent_decode(s).as_deref())
}

/// `%XX` escapes decoded; `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('%') {
        return Some(Cow::Borrowed(s));
    }
    let mut out = Vec::with_capacity(s.len());
    decode(s.as_bytes(), |byte| out.push(byte));
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Feeds `push` the bytes of `bytes` with `%XX` escapes decoded; never more
/// bytes than `bytes` holds.
fn decode(bytes: &[u8], mut push: impl FnMut(u8)) {
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                push(byte);
                i += 3;
            }
            (b, _) => {
                push(b);
                i += 1;
            }
        }
    }
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

    #[test]
    fn short_and_long_values_decode_alike_on_the_stack_and_the_heap() {
        let long = "%2B44".repeat(20);
        for input in [
            "%2B447911123456",
            "+44%207911",
            "%zz",
            "%ff",
            "%",
            long.as_str(),
        ] {
            let heap = percent_decode(input).map(Cow::into_owned);
            let stack = with_decoded(input, |v| v.map(str::to_owned));
            assert_eq!(stack, heap, "{input}");
        }
    }
}
