//! Scrubbed logs in text and JSON, and a Tower stack whose `TraceLayer`
//! records masked URIs.
//!
//! Run with `cargo run -p rimguard-redact --example scrub_logs`.

use http::{Request, Response};
use rimguard_redact::http::SensitiveHeadersLayer;
use rimguard_redact::trace::RedactedMakeSpan;
use rimguard_redact::{Redactor, ScrubbingMakeWriter};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_http::trace::TraceLayer;
use tracing::Level;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // In an application, the facade registers every secret it loaded and
    // the fingerprint key named in `[redact]`.
    let redactor = Redactor::builder()
        .secret_bytes(b"wix-key-3b1f9c0d7e5a")
        .header("x-shop-token")
        .fingerprint_key_bytes(b"example fingerprint key, 32 byte")
        .build()
        .expect("the example's rules are valid");

    let text = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(Level::DEBUG)
        .with_writer(ScrubbingMakeWriter::new(std::io::stdout, redactor.clone()))
        .finish();
    tracing::subscriber::with_default(text, || log_some_mistakes("text"));

    let json = tracing_subscriber::fmt()
        .json()
        .with_max_level(Level::DEBUG)
        .with_writer(ScrubbingMakeWriter::new(std::io::stdout, redactor.clone()))
        .finish();
    let _guard = tracing::subscriber::set_default(json);
    log_some_mistakes("json");

    let service = ServiceBuilder::new()
        .layer(SensitiveHeadersLayer::new(&redactor))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(RedactedMakeSpan::new(redactor).level(Level::INFO)),
        )
        .service(service_fn(|request: Request<String>| async move {
            tracing::info!(?request, "looking the customer up");
            Ok::<_, std::convert::Infallible>(Response::new(String::from("ok")))
        }));
    let request = Request::get("/customers/+447911123456?api_key=wix-key-3b1f9c0d7e5a&page=2")
        .header("x-shop-token", "shop-token-value")
        .header(
            "authorization",
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJlLXZhbHVl",
        )
        .body(String::new())
        .expect("a valid request");
    service
        .oneshot(request)
        .await
        .expect("the service never fails");
}

fn log_some_mistakes(format: &str) {
    tracing::info!(
        format,
        card = "4111 1111 1111 1111",
        phone = "+44 7911 123456",
        "payment taken"
    );
    tracing::warn!(
        format,
        "retrying with key wix-key-3b1f9c0d7e5a for jane.doe@example.com"
    );
    tracing::debug!(
        format,
        token = "ghp_R2d2C3poBb8Lk5Mn7Qw9Er1Ty3Ui6Op0As4D",
        "github call"
    );
    tracing::info!(format, input = %"hi\nERROR forged line", "user input");
}
