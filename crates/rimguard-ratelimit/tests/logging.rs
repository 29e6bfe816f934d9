//! Decisions are logged once, on `rimguard::ratelimit`, without the raw key.
//!
//! Alone in its own test binary: tracing's per-callsite interest cache is
//! shared by every test of a binary.

use std::convert::Infallible;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Empty;
use rimguard_core::CallerPhone;
use rimguard_ratelimit::{FakeClock, PhoneKey, Quota, RateLimitLayer};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

type Body = Empty<Bytes>;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

async fn ok(_: Request<Body>) -> Result<Response<Body>, Infallible> {
    Ok(Response::new(Body::new()))
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_refusal_is_logged_once_at_debug_without_the_raw_key() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let clock = FakeClock::new();
    let layer = RateLimitLayer::builder(PhoneKey)
        .clock(clock)
        .sweep_every(None)
        .quota(Quota::per_minute(nz(1)))
        .build()
        .unwrap();
    let mut service = ServiceBuilder::new().layer(layer).service(service_fn(ok));
    for _ in 0..2 {
        let mut request = Request::new(Body::new());
        request
            .extensions_mut()
            .insert(CallerPhone::from_e164("+447911123456").unwrap());
        service.ready().await.unwrap().call(request).await.unwrap();
    }

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logs.matches("request rate limited").count(), 1, "{logs}");
    assert!(logs.contains("DEBUG"));
    assert!(logs.contains("rimguard::ratelimit"));
    assert!(!logs.contains("7911123456"), "{logs}");
    assert!(!logs.contains("123456"), "{logs}");
}
