//! The stack built from a configuration file, driven with `oneshot`.
#![cfg(feature = "full")]

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use rimguard::body::Body;
use rimguard::core::{ApiKeyId, ConfigError, Rejection};
use rimguard::stack::RouteName;
use rimguard::{BuildContext, Config, Stack};
use rimguard_secrets::Resolver;
use sha2::Sha256;
use tower::{ServiceExt, service_fn};
use tower_layer::Layer;

const BOT_KEY: &str = "rg_test_0123456789abcdef0123";
const APP_SECRET: &str = "wa-app-secret-for-tests";

const CONFIG: &str = r#"
[https]
mode = "off"

[api_keys.bot]
keys = ["env:BOT_KEY"]
scopes = ["read"]

[webhooks.whatsapp]
app_secret = ["env:WA_APP_SECRET"]
verify_token = "env:WA_VERIFY_TOKEN"

[[routes]]
name = "webhook"
path = "/webhook"
webhook = "whatsapp"

[[routes]]
name = "lookup"
path = "/customers/*"
api_key = "bot"
"#;

fn context() -> BuildContext {
    let resolver = Resolver::new()
        .without_keyring()
        .with_env(|name| match name {
            "BOT_KEY" => Some(BOT_KEY.to_owned()),
            "WA_APP_SECRET" => Some(APP_SECRET.to_owned()),
            "WA_VERIFY_TOKEN" => Some("verify-me".to_owned()),
            _ => None,
        });
    BuildContext::new().resolver(resolver)
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::loader()
        .text("rimguard.toml", text)
        .env_vars([])
        .load()
}

/// Answers with the route name and API key id the stack found.
async fn echo(req: Request<Body>) -> Result<Response<Full<Bytes>>, Infallible> {
    let route = req
        .extensions()
        .get::<RouteName>()
        .map_or("-", |r| r.as_str())
        .to_owned();
    let key = req
        .extensions()
        .get::<ApiKeyId>()
        .map_or("-".into(), ToString::to_string);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let text = format!("{route} {key} {}", body.len());
    Ok(Response::new(Full::new(Bytes::from(text))))
}

async fn send(stack: &Stack, req: Request<Full<Bytes>>) -> (StatusCode, Option<Rejection>, String) {
    let mut req = req;
    req.extensions_mut()
        .insert(SocketAddr::from(([127, 0, 0, 1], 40000)));
    let response = stack.layer(service_fn(echo)).oneshot(req).await.unwrap();
    let status = response.status();
    let rejection = response.extensions().get::<Rejection>().cloned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        rejection,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn get(uri: &str) -> http::request::Builder {
    Request::get(uri)
}

#[tokio::test]
async fn a_route_with_an_api_key_refuses_a_caller_without_one() {
    let stack = Stack::from_config_with(&load(CONFIG).unwrap(), &context()).unwrap();

    let (status, rejection, _) =
        send(&stack, get("/customers/1").body(Full::default()).unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(rejection.unwrap().layer(), rimguard::core::Layer::ApiKey);

    let authorized = get("/customers/1").header("authorization", format!("Bearer {BOT_KEY}"));
    let (status, _, body) = send(&stack, authorized.body(Full::default()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("lookup bot-"), "{body}");
}

#[tokio::test]
async fn a_request_outside_every_route_gets_only_the_stack_wide_layers() {
    let stack = Stack::from_config_with(&load(CONFIG).unwrap(), &context()).unwrap();
    let (status, _, body) = send(&stack, get("/public").body(Full::default()).unwrap()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "- - 0"));
}

#[tokio::test]
async fn another_spelling_of_a_protected_path_is_refused() {
    let stack = Stack::from_config_with(&load(CONFIG).unwrap(), &context()).unwrap();
    for path in ["//customers/1", "/x/../customers/1", "/%63ustomers/1"] {
        let (status, rejection, _) = send(&stack, get(path).body(Full::default()).unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(rejection.unwrap().code(), "path-not-canonical");
    }
}

#[tokio::test]
async fn the_webhook_route_checks_the_signature_over_the_raw_body() {
    let stack = Stack::from_config_with(&load(CONFIG).unwrap(), &context()).unwrap();
    let body = Bytes::from_static(br#"{"entry":[]}"#);
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(&body);
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));

    let signed = Request::post("/webhook").header("x-hub-signature-256", &signature);
    let (status, _, answer) = send(&stack, signed.body(Full::new(body.clone())).unwrap()).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "webhook - 12"));

    let forged = Request::post("/webhook").header("x-hub-signature-256", "sha256=00");
    let (status, rejection, _) = send(&stack, forged.body(Full::new(body)).unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        rejection.unwrap().layer(),
        rimguard::core::Layer::WebhookSignature
    );
}

#[tokio::test]
async fn security_headers_are_on_every_answer_refusals_included() {
    let stack = Stack::from_config_with(&load(CONFIG).unwrap(), &context()).unwrap();
    let mut req = get("/customers/1").body(Full::default()).unwrap();
    req.extensions_mut()
        .insert(SocketAddr::from(([127, 0, 0, 1], 40000)));
    let response = stack.layer(service_fn(echo)).oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[test]
fn an_inline_secret_is_refused_where_a_source_is_expected() {
    let text = "[api_keys.bot]\nkeys = [\"rg_live_pasted_by_mistake_0123\"]\nscopes = [\"read\"]\n";
    let error = load(text).unwrap_err();
    assert_eq!(error.field(), "api_keys.bot.keys[0]");
    assert_eq!((error.line(), error.column()), (Some(2), Some(9)));
    assert!(
        !error.to_string().contains("rg_live_pasted_by_mistake"),
        "{error}"
    );
}

#[test]
fn a_route_naming_a_missing_key_set_is_refused_at_its_line() {
    let text = "[[routes]]\nname = \"admin\"\npath = \"/admin/*\"\napi_key = \"admins\"\n";
    let config = load(text).unwrap();
    let error = Stack::from_config_with(&config, &context()).unwrap_err();
    assert_eq!(error.field(), "routes[0].api_key");
    assert_eq!(error.line(), Some(4));
    assert!(error.message().contains("[api_keys.admins]"));
}

#[test]
fn a_secret_that_cannot_be_loaded_names_its_sources_not_a_value() {
    let text = "[api_keys.bot]\nkeys = [\"env:NOT_SET_ANYWHERE\"]\nscopes = [\"read\"]\n[[routes]]\nname = \"a\"\npath = \"/a\"\napi_key = \"bot\"\n";
    let error = Stack::from_config_with(&load(text).unwrap(), &context()).unwrap_err();
    assert_eq!(error.field(), "api_keys.bot.keys[0]");
    assert_eq!(error.line(), Some(2));
    assert!(
        error.message().contains("env:NOT_SET_ANYWHERE: not set"),
        "{error}"
    );
}

const LIMITED: &str = r#"
[https]
mode = "off"

[audit]
file = "AUDIT_FILE"

[rate_limits.per_ip]
key = "client-ip"
policies = [{ name = "burst", quota = 2, window = "1m" }]
max_keys = 1000

[[routes]]
name = "lookup"
path = "/customers/*"
rate_limits = ["per_ip"]
"#;

#[tokio::test]
async fn a_per_ip_limit_answers_429_with_its_headers_and_every_request_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let text = LIMITED.replace("AUDIT_FILE", file.to_str().unwrap());
    let stack = Stack::from_config_with(&load(&text).unwrap(), &context()).unwrap();
    assert_eq!(
        stack.layer_names()[..3],
        ["client-ip", "sensitive-headers", "audit"]
    );

    for _ in 0..2 {
        let (status, _, _) = send(&stack, get("/customers/1").body(Full::default()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
    }
    let mut req = get("/customers/1").body(Full::default()).unwrap();
    req.extensions_mut()
        .insert(SocketAddr::from(([127, 0, 0, 1], 40000)));
    let response = stack.layer(service_fn(echo)).oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    assert!(
        response.headers()["ratelimit-policy"]
            .to_str()
            .unwrap()
            .contains("q=2")
    );

    stack.audit().unwrap().flush().unwrap();
    let records = std::fs::read_to_string(&file).unwrap();
    assert_eq!(records.lines().count(), 3);
    assert!(
        records.contains(r#""refused_by":"rate-limit""#),
        "{records}"
    );
    assert!(records.contains(r#""client_ip":"127.0.0.1""#), "{records}");
    assert!(rimguard::audit::verify(&file).unwrap().is_intact());
}

#[test]
fn a_route_naming_a_missing_limit_is_refused() {
    let text = "[[routes]]\nname = \"a\"\npath = \"/a\"\nrate_limits = [\"per_ip\"]\n";
    let error = Stack::from_config_with(&load(text).unwrap(), &context()).unwrap_err();
    assert_eq!(error.field(), "routes[0].rate_limits[0]");
    assert_eq!((error.line(), error.column()), (Some(4), Some(16)));
}

#[test]
fn a_bad_limit_is_refused_with_its_line() {
    let text = "[rate_limits.per_ip]\nkey = \"client-ip\"\npolicies = [{ name = \"burst\", quota = 0, window = \"1m\" }]\n";
    let error = match load(text) {
        Ok(config) => Stack::from_config_with(&config, &context()).unwrap_err(),
        Err(error) => error,
    };
    assert!(
        error.field().starts_with("rate_limits.per_ip.policies[0]"),
        "{error}"
    );
    assert_eq!(error.line(), Some(3), "{error}");
}

const ADMIN: &str = r#"
[https]
mode = "off"

[ip_lists.office]
allow = ["203.0.113.0/24"]

[api_keys.admin]
keys = ["env:BOT_KEY"]
scopes = ["read", "write"]

[[routes]]
name = "admin"
path = "/admin/*"
ip_list = "office"
api_key = "admin"
"#;

async fn send_from(stack: &Stack, peer: [u8; 4], req: Request<Full<Bytes>>) -> StatusCode {
    let mut req = req;
    req.extensions_mut().insert(SocketAddr::from((peer, 40000)));
    stack
        .layer(service_fn(echo))
        .oneshot(req)
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_admin_route_needs_the_office_network_and_then_a_key() {
    let stack = Stack::from_config_with(&load(ADMIN).unwrap(), &context()).unwrap();
    assert_eq!(stack.routes()[0].layer_names(), ["ip-filter", "api-key"]);
    let with_key = || get("/admin/keys").header("authorization", format!("Bearer {BOT_KEY}"));

    let outside = send_from(
        &stack,
        [198, 51, 100, 1],
        with_key().body(Full::default()).unwrap(),
    )
    .await;
    assert_eq!(outside, StatusCode::FORBIDDEN);

    let no_key = send_from(
        &stack,
        [203, 0, 113, 5],
        get("/admin/keys").body(Full::default()).unwrap(),
    )
    .await;
    assert_eq!(no_key, StatusCode::UNAUTHORIZED);

    let office = send_from(
        &stack,
        [203, 0, 113, 5],
        with_key().body(Full::default()).unwrap(),
    )
    .await;
    assert_eq!(office, StatusCode::OK);
}

#[test]
fn a_bad_list_entry_is_refused_with_its_position() {
    let text = "[ip_lists.office]\nallow = [\"203.0.113.0/24\", \"not-a-network\"]\n";
    let error = Stack::from_config_with(&load(text).unwrap(), &context()).unwrap_err();
    assert_eq!(error.field(), "ip_lists.office.allow[1]");
    assert_eq!((error.line(), error.column()), (Some(2), Some(28)));
}

#[tokio::test]
async fn a_service_behind_the_stack_that_is_not_ready_is_waited_for_not_overrun() {
    use tower::limit::ConcurrencyLimitLayer;

    let stack = Stack::from_config_with(&load(CONFIG).unwrap(), &context()).unwrap();
    // One call at a time behind the stack: a second caller must wait for
    // the permit, which the stack may only take by polling it ready.
    let (gate_tx, gate_rx) = tokio::sync::oneshot::channel::<()>();
    let gate = std::sync::Arc::new(tokio::sync::Mutex::new(Some(gate_rx)));
    let held = service_fn(move |req: Request<Body>| {
        let gate = gate.clone();
        async move {
            if let Some(rx) = gate.lock().await.take() {
                let _ = rx.await;
            }
            echo(req).await
        }
    });
    let service = stack.layer(ConcurrencyLimitLayer::new(1).layer(held));
    let request = || {
        let mut req = get("/public").body(Full::default()).unwrap();
        req.extensions_mut()
            .insert(SocketAddr::from(([127, 0, 0, 1], 40000)));
        req
    };

    let first = tokio::spawn(service.clone().oneshot(request()));
    tokio::task::yield_now().await;
    let mut second = Box::pin(service.clone().oneshot(request()));
    let waited = tokio::time::timeout(std::time::Duration::from_millis(50), &mut second).await;
    assert!(
        waited.is_err(),
        "the second call ran while the first held the only permit"
    );

    gate_tx.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
    assert_eq!(second.await.unwrap().status(), StatusCode::OK);
}

#[test]
fn the_stack_redactor_masks_every_key_and_app_secret_it_loaded() {
    // Values that no built-in rule (credentials, cards, phones) would mask
    // on their own: only the registered secrets can hide them.
    let config = r#"
[redact]
[api_keys.bot]
keys = ["env:BOT_KEY"]
scopes = ["read"]
[webhooks.whatsapp]
app_secret = ["env:WA_APP_SECRET"]
verify_token = "env:WA_VERIFY_TOKEN"
"#;
    let stack = Stack::from_config_with(&load(config).unwrap(), &context()).unwrap();
    let redactor = stack.redactor().expect("[redact] is configured");
    for secret in [BOT_KEY, APP_SECRET, "verify-me"] {
        let line = format!("upstream said: {secret} (end)");
        let scrubbed = redactor.scrub(&line);
        assert!(
            !scrubbed.contains(secret),
            "{secret} reached the log: {scrubbed}"
        );
        assert!(scrubbed.starts_with("upstream said: "), "{scrubbed}");
    }
}

const IDENTIFIED: &str = r#"
[https]
mode = "off"

[audit]
file = "AUDIT_FILE"

[api_keys.bot]
keys = ["env:BOT_KEY"]
scopes = ["read"]

[phone.lookup]
default_region = "GB"
source = { query = "phone" }

[rate_limits.per_phone]
key = "phone"
policies = [{ name = "lookup", quota = 1, window = "1m" }]
max_keys = 1000

[[routes]]
name = "lookup"
path = "/customers"
api_key = "bot"
phone = "lookup"
customer_rate_limits = ["per_phone"]
"#;

#[tokio::test]
async fn the_audit_record_names_the_key_and_masked_phone_found_by_inner_layers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let text = IDENTIFIED.replace("AUDIT_FILE", file.to_str().unwrap());
    let stack = Stack::from_config_with(&load(&text).unwrap(), &context()).unwrap();
    let lookup = || {
        get("/customers?phone=07911%20123456")
            .header("authorization", format!("Bearer {BOT_KEY}"))
            .body(Full::default())
            .unwrap()
    };

    // Allowed by every layer, then refused by the per-phone limit (inner
    // to both identity layers), then refused by the phone layer.
    assert_eq!(send(&stack, lookup()).await.0, StatusCode::OK);
    assert_eq!(
        send(&stack, lookup()).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    let bad_phone = get("/customers?phone=12")
        .header("authorization", format!("Bearer {BOT_KEY}"))
        .body(Full::default())
        .unwrap();
    assert_eq!(
        send(&stack, bad_phone).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    stack.audit().unwrap().flush().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3, "{text}");
    for record in &records {
        let key = record["api_key"].as_str().unwrap_or_default();
        assert!(
            key.starts_with("bot-"),
            "every record names the key: {record}"
        );
    }
    for record in &records[..2] {
        assert_eq!(record["phone"], "+••••••••3456", "{record}");
    }
    assert_eq!(records[1]["refused_by"], "rate-limit");
    assert!(records[2]["phone"].is_null(), "{}", records[2]);
    assert!(
        !text.contains("7911123456"),
        "a whole number reached the audit file"
    );
}
