//! The layer logs its refusals on `rimguard::phone` without the number.

use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use rimguard_phone::{PhoneLayer, PhoneSource, Region};
use tower::{ServiceBuilder, ServiceExt};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn send(value: &str) {
    let layer = PhoneLayer::new(PhoneSource::Header("x-phone".parse().unwrap()))
        .default_region(Region::new("GB").unwrap());
    let service = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|_: Request<Full<Bytes>>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(Full::<Bytes>::default()))
        });
    let request = Request::builder()
        .header("x-phone", value)
        .body(Full::default())
        .unwrap();
    service.oneshot(request).await.unwrap();
}

#[test]
fn refusals_are_logged_once_with_a_code_and_never_the_number() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            send("+44 20 7946 095").await;
            send("+44 20 7946 0958\u{200B}").await;
            send("020 7946 0958").await;
        });
    });

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logs.lines().count(), 2, "{logs}");
    assert!(logs.contains("rimguard::phone"), "{logs}");
    assert!(
        logs.contains("phone-invalid") && logs.contains("phone-forbidden-character"),
        "{logs}"
    );
    assert!(
        logs.contains("WARN"),
        "a hidden character is logged as suspicious: {logs}"
    );
    assert!(!logs.contains("7946") && !logs.contains("207946"), "{logs}");
}
