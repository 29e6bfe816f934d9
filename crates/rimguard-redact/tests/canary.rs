//! The canary harness: known secrets, card numbers, phone numbers and
//! e-mail addresses are planted through every path a value takes into a
//! log (message, event fields, span fields, `Debug` of requests and header
//! maps, URLs, error values, a whole Tower stack with tower-http's
//! `TraceLayer`), into text and JSON subscribers. None may appear in what
//! was written, the surrounding fields must survive, and every JSON line
//! must still parse.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};

use http::{HeaderMap, Request, Response};
use rimguard_redact::http::SensitiveHeadersLayer;
use rimguard_redact::trace::RedactedMakeSpan;
use rimguard_redact::{Redactor, ScrubbingMakeWriter};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_http::trace::TraceLayer;
use tracing::Level;
use tracing_subscriber::fmt::MakeWriter;

/// Registered secrets: one with no known shape, one full of JSON specials.
const WIX_KEY: &str = "Zq8rT2vLm9XwK4pN7cJ1hB6d";
const APP_SECRET: &str = r#"pa"ss\word-42/xyz"#;

/// Credential shapes, never registered.
const GITHUB: &str = "ghp_R2d2C3poBb8Lk5Mn7Qw9Er1Ty3Ui6Op0As4D";
const AWS: &str = "AKIAQWERTYUIOPASDF23";
const SLACK: &str = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx";
const STRIPE: &str = "sk_live_51H8xYzAbCdEfGhIjKlMnOpQr";
const JWT: &str =
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const BEARER: &str = "opaqueBearerValue0123456789";

const PHONE_E164: &str = "+447911123456";
const PHONE_SPACED: &str = "+44 20 7946 0958";
const PHONE_WA: &str = "447700900123";
const CARD: &str = "4111 1111 1111 1111";
const EMAIL: &str = "jane.doe@example.com";

/// Strings that must never be in the output, in every form they could
/// take: the values, and pieces of phones and cards beyond what masks keep.
fn canaries() -> Vec<String> {
    let mut out: Vec<String> = [
        WIX_KEY, APP_SECRET, GITHUB, AWS, SLACK, STRIPE, JWT, BEARER, EMAIL, CARD,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    out.push(
        serde_json::to_string(APP_SECRET)
            .unwrap()
            .trim_matches('"')
            .to_owned(),
    );
    out.push(format!("{APP_SECRET:?}").trim_matches('"').to_owned());
    out.extend(
        [
            "jane.doe",
            "4111111111111111",
            "44791112",
            "7911123",
            "20 7946",
            "4477009",
            "700900",
        ]
        .map(String::from),
    );
    out
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter(self.0.clone())
    }
}

fn redactor() -> Redactor {
    Redactor::builder()
        .secret_bytes(WIX_KEY.as_bytes())
        .secret(&secrecy::SecretString::from(APP_SECRET))
        .fingerprint_key_bytes(b"canary-harness-fingerprint-key!!")
        .build()
        .unwrap()
}

/// An error that echoes what it was given, as careless errors do.
#[derive(Debug)]
struct LookupError {
    phone: String,
    key: String,
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lookup of {} failed with key {}", self.phone, self.key)
    }
}

impl std::error::Error for LookupError {}

/// Logs every canary through every path. Each event carries `order_id=42`
/// and a message that must survive.
fn plant_everything() {
    tracing::info!(
        order_id = 42,
        "message with {WIX_KEY} and {GITHUB} for {PHONE_E164}"
    );
    tracing::info!(
        order_id = 42,
        key = WIX_KEY,
        secret = APP_SECRET,
        aws = AWS,
        "event fields"
    );
    tracing::info!(order_id = 42, phone = %PHONE_SPACED, wa_id = PHONE_WA, card = CARD, email = %EMAIL, "personal fields");
    tracing::info!(order_id = 42, slack = ?SLACK, stripe = %STRIPE, jwt = JWT, "debug and display fields");

    let span = tracing::info_span!("lookup", customer = %PHONE_E164, token = WIX_KEY);
    span.in_scope(|| tracing::info!(order_id = 42, "inside a span"));

    let mut request = Request::get(format!(
        "https://shop.example/orders?api_key={WIX_KEY}&phone=%2B447911123456&page=2"
    ))
    .header("authorization", format!("Bearer {BEARER}"))
    .header("x-api-key", WIX_KEY)
    .header("x-custom", GITHUB)
    .body(())
    .unwrap();
    tracing::info!(order_id = 42, request = ?request, "debug of a request");
    let headers: HeaderMap = request.headers().clone();
    tracing::info!(order_id = 42, headers = ?headers, "debug of a header map");
    rimguard_redact::http::mark_sensitive(request.headers_mut(), &[http::header::AUTHORIZATION]);
    tracing::info!(order_id = 42, "marked: {:?}", request);

    tracing::info!(order_id = 42, url = %format!("https://bot:{WIX_KEY}@api.example/v1?token={STRIPE}"), "urls");
    let error = LookupError {
        phone: PHONE_E164.into(),
        key: WIX_KEY.into(),
    };
    tracing::error!(order_id = 42, error = %error, "error value");
    tracing::error!(order_id = 42, error = ?error, "error debug");
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    tracing::warn!(
        order_id = 42,
        error = boxed.as_ref() as &dyn std::error::Error,
        "error as a field"
    );
}

fn assert_clean(output: &str) {
    for canary in canaries() {
        assert!(
            !output.contains(&canary),
            "canary {canary:?} leaked into:\n{output}"
        );
    }
}

fn text_output(ansi: bool) -> String {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(ansi)
        .with_max_level(Level::TRACE)
        .with_writer(ScrubbingMakeWriter::new(capture.clone(), redactor()))
        .finish();
    tracing::subscriber::with_default(subscriber, plant_everything);
    capture.text()
}

fn json_output() -> String {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_max_level(Level::TRACE)
        .with_writer(ScrubbingMakeWriter::new(capture.clone(), redactor()))
        .finish();
    tracing::subscriber::with_default(subscriber, plant_everything);
    capture.text()
}

#[test]
fn the_canaries_are_there_without_the_scrubbing_writer() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, plant_everything);
    let output = capture.text();
    for canary in [WIX_KEY, GITHUB, PHONE_E164, CARD, EMAIL] {
        assert!(output.contains(canary), "the harness must plant {canary}");
    }
}

#[test]
fn no_canary_reaches_text_output() {
    let output = text_output(false);
    assert_clean(&output);
    assert_eq!(output.lines().count(), 12);
    assert_eq!(output.matches("order_id=42").count(), 12);
    for message in [
        "event fields",
        "inside a span",
        "debug of a request",
        "error value",
    ] {
        assert!(
            output.contains(message),
            "{message} is missing from:\n{output}"
        );
    }
    assert!(output.contains("page=2"));
    assert!(output.contains("[card:411111******1111]"));
    assert!(output.contains("[phone:***3456#"));
}

#[test]
fn no_canary_reaches_coloured_text_output() {
    let output = text_output(true);
    assert_clean(&output);
    assert_eq!(output.lines().count(), 12);
    assert!(output.contains("inside a span"));
}

#[test]
fn no_canary_reaches_json_output_and_every_line_still_parses() {
    let output = json_output();
    assert_clean(&output);
    let lines: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(lines.len(), 12);
    assert!(lines.iter().all(|line| line["fields"]["order_id"] == 42));
    let spanned = lines
        .iter()
        .find(|l| l["fields"]["message"] == "inside a span")
        .unwrap();
    assert_eq!(spanned["span"]["name"], "lookup");
    assert!(
        spanned["span"]["customer"]
            .as_str()
            .unwrap()
            .starts_with("[phone:***3456#")
    );
}

#[test]
fn the_same_customer_gets_the_same_fingerprint_in_every_line() {
    let output = json_output();
    let prints: Vec<&str> = output
        .match_indices("[phone:***3456#")
        .map(|(i, _)| &output[i + 15..i + 27])
        .collect();
    assert!(prints.len() >= 3);
    assert!(prints.windows(2).all(|w| w[0] == w[1]), "{prints:?}");
}

#[test]
fn a_logged_line_break_cannot_forge_a_log_line() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(ScrubbingMakeWriter::new(capture.clone(), redactor()))
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let input = "hello\n2026-01-01T00:00:00Z ERROR admin: forged\r\nagain";
        tracing::info!(user_input = %input, "user said {input}");
    });
    let output = capture.text();
    assert_eq!(output.lines().count(), 1, "{output}");
    assert!(output.contains(r"hello\n2026-01-01T00:00:00Z ERROR admin: forged\r\nagain"));
}

#[tokio::test]
async fn a_tower_stack_with_trace_layer_logs_nothing_secret() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_max_level(Level::TRACE)
        .with_writer(ScrubbingMakeWriter::new(capture.clone(), redactor()))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let redactor = redactor();
    let service = ServiceBuilder::new()
        .layer(SensitiveHeadersLayer::new(&redactor))
        .layer(
            TraceLayer::new_for_http().make_span_with(
                RedactedMakeSpan::new(redactor)
                    .level(Level::INFO)
                    .include_headers(true),
            ),
        )
        .service(service_fn(|req: Request<String>| async move {
            assert!(req.headers()["x-api-key"].is_sensitive());
            tracing::info!(request = ?req, "handler saw");
            let response = Response::builder()
                .header("set-cookie", format!("session={WIX_KEY}"))
                .body(String::new())
                .unwrap();
            Ok::<_, std::convert::Infallible>(response)
        }));

    let request = Request::get(format!(
        "/webhook?hub.verify_token={STRIPE}&from={PHONE_WA}"
    ))
    .header("x-api-key", WIX_KEY)
    .header("x-hub-signature-256", format!("sha256={JWT}"))
    .body(String::new())
    .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert!(response.headers()["set-cookie"].is_sensitive());
    tracing::info!(headers = ?response.headers(), status = %response.status(), "response");

    let output = capture.text();
    assert_clean(&output);
    for line in output.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert!(output.contains("handler saw"));
    assert!(output.contains("/webhook?hub.verify_token=[redacted"));
}
