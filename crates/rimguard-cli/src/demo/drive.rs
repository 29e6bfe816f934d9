//! The requests the demo sends, one per protection, and what it prints.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;

use super::demo_secret;

/// One request of the demo and what came back.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What the request shows.
    pub label: &'static str,
    /// The status expected.
    pub expected: StatusCode,
    /// The status received.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The response body.
    pub body: String,
    /// The same request as a `curl` command line.
    pub curl: String,
}

impl Outcome {
    /// Whether the answer was the one expected.
    pub fn as_expected(&self) -> bool {
        self.status == self.expected
    }
}

struct Step {
    label: &'static str,
    expected: StatusCode,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Bytes>,
    from_outside: bool,
}

impl Step {
    fn get(label: &'static str, expected: StatusCode, path: &str) -> Self {
        let (method, path, headers, body) = (Method::GET, path.to_owned(), Vec::new(), None);
        Self {
            label,
            expected,
            method,
            path,
            headers,
            body,
            from_outside: false,
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn post(mut self, body: &'static [u8]) -> Self {
        self.method = Method::POST;
        self.body = Some(Bytes::from_static(body));
        self
    }

    fn sent_from_outside(mut self) -> Self {
        self.from_outside = true;
        self
    }
}

const NOTIFICATION: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"from":"447911123456","text":{"body":"where is my order?"}}]}}]}]}"#;

fn steps() -> Vec<Step> {
    let bot = format!("Bearer {}", secret("RIMGUARD_DEMO_BOT_KEY"));
    let admin = format!("Bearer {}", secret("RIMGUARD_DEMO_ADMIN_KEY"));
    let signature = sign(
        secret("RIMGUARD_DEMO_WA_APP_SECRET").as_bytes(),
        NOTIFICATION,
    );
    let handshake = format!(
        "/webhook?hub.mode=subscribe&hub.verify_token={}&hub.challenge=1158201444",
        secret("RIMGUARD_DEMO_WA_VERIFY_TOKEN")
    );
    let ok = StatusCode::OK;

    vec![
        Step::get(
            "customer lookup with the bot's key",
            ok,
            "/customers?phone=%2B447911123456",
        )
        .header("authorization", bot.clone()),
        Step::get(
            "order lookup, number as a customer types it",
            ok,
            "/orders?phone=07911%20123456",
        )
        .header("authorization", bot.clone()),
        Step::get(
            "lookup without an API key",
            StatusCode::UNAUTHORIZED,
            "/customers?phone=%2B447911123456",
        ),
        Step::get(
            "lookup with a malformed phone number",
            StatusCode::UNPROCESSABLE_ENTITY,
            "/customers?phone=12345",
        )
        .header("authorization", bot.clone()),
        Step::get(
            "third lookup of one number this minute",
            ok,
            "/customers?phone=%2B447911123456",
        )
        .header("authorization", bot.clone()),
        Step::get(
            "fourth lookup: over the per-phone quota",
            StatusCode::TOO_MANY_REQUESTS,
            "/customers?phone=%2B447911123456",
        )
        .header("authorization", bot),
        Step::get("admin from the office network", ok, "/admin/stats")
            .header("authorization", admin.clone()),
        Step::get(
            "admin from outside the office network",
            StatusCode::FORBIDDEN,
            "/admin/stats",
        )
        .header("authorization", admin)
        .sent_from_outside(),
        Step::get(
            "another spelling of an admin path",
            StatusCode::BAD_REQUEST,
            "//admin/stats",
        ),
        Step::get("WhatsApp subscription handshake", ok, &handshake),
        Step::get("WhatsApp notification, signed", ok, "/webhook")
            .header("x-hub-signature-256", signature)
            .header("content-type", "application/json")
            .post(NOTIFICATION),
        Step::get(
            "WhatsApp notification, forged signature",
            StatusCode::UNAUTHORIZED,
            "/webhook",
        )
        .header("x-hub-signature-256", format!("sha256={}", "0".repeat(64)))
        .header("content-type", "application/json")
        .post(NOTIFICATION),
    ]
}

fn secret(name: &str) -> &'static str {
    demo_secret(name).expect("every name the demo asks for is in DEMO_SECRETS")
}

/// The address the demo's "outsider" connects from: loopback, but not on
/// the office list.
pub(crate) const OUTSIDE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Sends every demo request to `addr`, in order.
///
/// # Errors
///
/// A request that could not be sent at all.
pub async fn drive(addr: SocketAddr) -> Result<Vec<Outcome>, String> {
    let inside = client(None);
    let outside = client(Some(OUTSIDE));

    let mut outcomes = Vec::new();
    for step in steps() {
        let client = if step.from_outside { &outside } else { &inside };
        outcomes.push(send(client, addr, step).await?);
    }
    Ok(outcomes)
}

fn client(local: Option<IpAddr>) -> Client<HttpConnector, Full<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_local_address(local);
    Client::builder(TokioExecutor::new()).build(connector)
}

async fn send(
    client: &Client<HttpConnector, Full<Bytes>>,
    addr: SocketAddr,
    step: Step,
) -> Result<Outcome, String> {
    let mut request = Request::builder()
        .method(step.method.clone())
        .uri(format!("http://{addr}{}", step.path));
    for (name, value) in &step.headers {
        request = request.header(*name, value);
    }
    let body = Full::new(step.body.clone().unwrap_or_default());
    let request = request.body(body).map_err(|e| e.to_string())?;

    let response = client
        .request(request)
        .await
        .map_err(|e| format!("{}: {e}", step.label))?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Outcome {
        label: step.label,
        expected: step.expected,
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        curl: curl(addr, &step),
    })
}

/// The step as a `curl` line, secrets as the shell variables the demo
/// prints in `--serve` mode.
fn curl(addr: SocketAddr, step: &Step) -> String {
    let mut line = String::from("curl -i");
    if step.from_outside {
        line.push_str(" --interface 127.0.0.2");
    }
    if step.method != Method::GET {
        line.push_str(&format!(" -X {}", step.method));
    }
    for (name, value) in &step.headers {
        let value = shell_value(value);
        line.push_str(&format!(" -H \"{name}: {value}\""));
    }
    if let Some(body) = &step.body {
        line.push_str(&format!(" --data '{}'", String::from_utf8_lossy(body)));
    }
    let path = shell_value(&step.path);
    line.push_str(&format!(" \"http://{addr}{path}\""));
    line
}

/// Replaces demo secret values by `$NAME`, so printed lines carry no value.
fn shell_value(text: &str) -> String {
    let mut text = text.to_owned();
    for (name, value) in super::DEMO_SECRETS {
        text = text.replace(value, &format!("${name}"));
    }
    let signed = text.starts_with("sha256=") && !text.ends_with(&"0".repeat(64));
    if signed {
        "$SIGNATURE".to_owned()
    } else {
        text
    }
}

/// `sha256=` + hex HMAC-SHA256 of the body, as WhatsApp signs its calls.
fn sign(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
