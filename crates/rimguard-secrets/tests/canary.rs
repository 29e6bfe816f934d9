//! A planted secret never shows: not in `Debug` or `{:#?}`, error
//! `Display`, serde output of configuration and error types, panic
//! messages, or logs written by the text and JSON formatters.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use common::{CANARY, TempDir};
use http::{HeaderName, Request, Response, StatusCode};
use http_body_util::{Empty, Full};
use rimguard_secrets::clock::ManualClock;
use rimguard_secrets::config::{ApiKeysConfig, SecretConfig, WebhookConfig};
use rimguard_secrets::key::{ApiKey, Scopes};
use rimguard_secrets::rotation::{ApiKeys, KeySlots};
use rimguard_secrets::secret::{SecretBytes, SecretString};
use rimguard_secrets::signature::{SignatureScheme, SigningSecrets};
use rimguard_secrets::source::{Resolver, SecretSource};
use rimguard_secrets::{
    ApiKeyLayer, HmacSignatureLayer, SetSecretHeaderLayer, WebhookSignatureLayer,
};
use tower::{Layer, ServiceExt, service_fn};

/// The distinctive middle of the canary: no part of it may show either.
const CANARY_CORE: &str = "7f3a9c0e51";

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(CANARY_CORE),
        "{what} shows the canary:\n{text}"
    );
}

fn canary_env(name: &str) -> Option<String> {
    (name == "CANARY").then(|| CANARY.to_owned())
}

fn canary_key() -> ApiKey {
    ApiKey::new(
        "canary-key",
        &SecretString::from(CANARY),
        SystemTime::UNIX_EPOCH,
    )
    .unwrap()
    .with_scopes(Scopes::READ)
}

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the closure panics");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn secrets_keys_and_layers_print_redacted() {
    let secret = SecretString::from(CANARY);
    let bytes = SecretBytes::from(CANARY.as_bytes().to_vec());
    let key = canary_key();
    let keys = ApiKeys::new(key.clone());
    let signing = SigningSecrets::new(bytes.clone())
        .with_previous(SecretBytes::from(CANARY.as_bytes().to_vec()));
    let loaded = Resolver::new()
        .with_env(canary_env)
        .load("canary", &["env:CANARY".parse().unwrap()])
        .unwrap();
    let api_layer = ApiKeyLayer::new(keys.clone());
    let api_service = api_layer.layer(service_fn(|_: Request<()>| async {
        Ok::<_, ()>(Response::new(()))
    }));
    let webhook = WebhookSignatureLayer::whatsapp(signing.clone(), secret.clone());
    let webhook_service = webhook.layer(service_fn(|_: Request<Full<Bytes>>| async {
        Ok::<_, ()>(Response::new(()))
    }));
    let hmac = HmacSignatureLayer::new(SignatureScheme::whatsapp(), signing.clone());
    let client = SetSecretHeaderLayer::bearer(&secret).unwrap();
    let client_service = client.layer(service_fn(|_: Request<()>| async {
        Ok::<_, ()>(Response::new(()))
    }));
    let mut outgoing = Request::new(());
    outgoing.headers_mut().insert("authorization", {
        let mut value = http::HeaderValue::from_str(CANARY).unwrap();
        value.set_sensitive(true);
        value
    });

    let printed = format!(
        "{secret:?} {secret:#?} {bytes:?} {bytes:#?} {key:?} {key:#?} {keys:?} {keys:#?} {signing:?} {signing:#?} \
         {loaded:?} {loaded:#?} {api_layer:?} {api_layer:#?} {api_service:?} {webhook:?} {webhook:#?} \
         {webhook_service:?} {hmac:?} {hmac:#?} {client:?} {client:#?} {client_service:?} {:?} {:#?} {:?}",
        keys.slots(),
        outgoing.headers(),
        ApiKeys::builder(KeySlots::new(key.clone())),
    );
    assert_clean("Debug", &printed);
    assert!(printed.contains("REDACTED"));
}

#[test]
fn errors_never_show_the_value_in_display_debug_or_serde() {
    let dir = TempDir::new();
    let exposed = dir.file("exposed", CANARY, 0o644);
    let dotenv = dir.file(".env", &format!("OTHER={CANARY}\n{CANARY}\n"), 0o600);
    let chain: Vec<SecretSource> = [
        format!("file:{}", exposed.display()),
        "dotenv:MISSING".into(),
        "env:ABSENT".into(),
        "keyring:x/y".into(),
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let resolver = Resolver::new()
        .without_keyring()
        .with_env(canary_env)
        .with_dotenv_for_development(&dotenv);
    let error = resolver.load("canary", &chain).unwrap_err();

    let key_error = ApiKey::new(
        "k",
        &SecretString::from(format!("{CANARY} with a space")),
        SystemTime::UNIX_EPOCH,
    )
    .unwrap_err();
    let header_error = SetSecretHeaderLayer::new(
        HeaderName::from_static("x-api-key"),
        &SecretString::from(format!("{CANARY}\r\nX-Injected: 1")),
    )
    .unwrap_err();
    let config: ApiKeysConfig = toml::from_str(&format!(
        "keys = [\"file:{}\"]\nscopes = [\"read\"]",
        exposed.display()
    ))
    .unwrap();
    let config_error = config.build("canary", &resolver).unwrap_err();
    let short: SecretConfig = toml::from_str("sources = [\"env:CANARY\"]").unwrap();
    let short_key: ApiKeysConfig =
        toml::from_str("keys = [\"env:CANARY\"]\nscopes = [\"read\"]").unwrap();
    let spaced_resolver = Resolver::new().with_env(|_| Some(format!("{CANARY} spaced")));
    let spaced_error = short_key.build("spaced", &spaced_resolver).unwrap_err();

    let printed = format!(
        "{error} {error:?} {error:#?} {key_error} {key_error:?} {header_error} {header_error:?} \
         {config_error} {config_error:?} {spaced_error} {spaced_error:?} {}",
        short.load("ok", &resolver).is_ok(),
    );
    assert_clean("error output", &printed);
    let json = format!(
        "{} {} {}",
        serde_json::to_string(&error).unwrap(),
        serde_json::to_string(&key_error).unwrap(),
        serde_json::to_string(&header_error).unwrap()
    );
    assert_clean("error serde", &json);
    assert!(json.contains("chmod 600"), "{json}");
}

#[test]
fn configuration_serializes_to_source_names_only() {
    let api: ApiKeysConfig =
        toml::from_str("keys = [\"env:CANARY\"]\nscopes = [\"read\", \"write\"]").unwrap();
    let webhook: WebhookConfig =
        toml::from_str("app_secret = [\"env:CANARY\"]\nverify_token = \"env:CANARY\"").unwrap();
    let resolver = Resolver::new().with_env(canary_env);
    let layer = api.build("canary", &resolver).unwrap();
    let webhook_layer = webhook.build("whatsapp", &resolver).unwrap();

    let out = format!(
        "{} {} {} {} {layer:?} {webhook_layer:?} {:?}",
        toml::to_string(&api).unwrap(),
        toml::to_string(&webhook).unwrap(),
        serde_json::to_string(&api).unwrap(),
        serde_json::to_string(&layer.keys().slots().primary().unwrap().meta()).unwrap(),
        layer.keys().check_rotation(),
    );
    assert_clean("config serde", &out);
    assert!(out.contains("env:CANARY"));
}

#[test]
fn panics_on_refused_secrets_carry_no_value() {
    let messages = [
        panic_message(|| {
            ApiKey::new(
                "k",
                &SecretString::from(format!("{CANARY} spaced")),
                SystemTime::UNIX_EPOCH,
            )
            .unwrap();
        }),
        panic_message(|| {
            Resolver::new()
                .with_env(|_| None)
                .load("canary", &["env:CANARY".parse().unwrap()])
                .unwrap();
        }),
        panic_message(|| {
            SetSecretHeaderLayer::bearer(&SecretString::from(format!("{CANARY}\n"))).unwrap();
        }),
        panic_message(|| {
            let config: ApiKeysConfig =
                toml::from_str("keys = [\"env:CANARY\"]\nscopes = [\"read\"]").unwrap();
            config
                .build(
                    "canary",
                    &Resolver::new().with_env(|_| Some(format!("{CANARY} x"))),
                )
                .unwrap();
        }),
        panic_message(|| {
            let key = canary_key();
            assert!(key.matches(b"wrong"), "{key:?}");
        }),
        panic_message(|| {
            let secret = SecretString::from(CANARY);
            let other = SecretString::from("other-secret");
            assert!(
                rimguard_secrets::secret::secret_eq(&secret, &other),
                "{secret:?} != {other:?}"
            );
        }),
    ];
    for message in &messages {
        assert!(!message.is_empty());
        assert_clean("a panic message", message);
    }
}

/// Drives every path that logs, with the canary as key, secret, token and
/// body, so the captured log can be searched for it.
fn exercise_everything() {
    let dir = TempDir::new();
    let file = dir.file("key", CANARY, 0o600);
    let exposed = dir.file("exposed", CANARY, 0o640);
    let dotenv = dir.file(".env", &format!("CANARY={CANARY}\n"), 0o600);
    let resolver = Resolver::new()
        .without_keyring()
        .with_env(canary_env)
        .with_dotenv_for_development(&dotenv);
    for source in [
        format!("file:{}", file.display()),
        format!("file:{}", exposed.display()),
        "env:CANARY".into(),
        "dotenv:CANARY".into(),
        "keyring:rimguard/canary".into(),
    ] {
        let _ = resolver.load("canary", &[source.parse().unwrap()]);
    }

    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(200 * 86_400));
    let keys = ApiKeys::builder(KeySlots::new(canary_key()))
        .name("canary")
        .clock(clock)
        .build();
    keys.stage(
        ApiKey::new(
            "second",
            &SecretString::from(format!("{CANARY}-2")),
            SystemTime::UNIX_EPOCH,
        )
        .unwrap()
        .with_scopes(Scopes::READ),
    );
    keys.promote().unwrap();
    keys.retire();
    keys.stage(canary_key());
    keys.check_rotation();

    common::block_on(async {
        let api =
            ApiKeyLayer::new(keys.clone()).layer(service_fn(|_: Request<Empty<Bytes>>| async {
                Ok::<_, ()>(Response::new(()))
            }));
        for (method, value) in [
            ("GET", format!("Bearer {CANARY}")),
            ("POST", format!("Bearer {CANARY}")),
            ("GET", format!("Bearer {CANARY}x")),
            ("GET", format!("Basic {CANARY}")),
            ("GET", format!("Bearer {CANARY} {CANARY}")),
        ] {
            let request = Request::builder()
                .method(method)
                .header("authorization", value)
                .body(Empty::new())
                .unwrap();
            api.clone().oneshot(request).await.unwrap();
        }

        let signing = SigningSecrets::new(SecretBytes::from(CANARY.as_bytes().to_vec()))
            .with_previous(SecretBytes::from(format!("{CANARY}-old").into_bytes()));
        let webhook = WebhookSignatureLayer::whatsapp(signing, SecretString::from(CANARY)).layer(
            service_fn(|_: Request<Full<Bytes>>| async { Ok::<_, ()>(Response::new(())) }),
        );
        let good = SignatureScheme::whatsapp()
            .header_value(format!("{CANARY}-old").as_bytes(), CANARY.as_bytes());
        for (uri, signature) in [
            (
                format!("/wa?hub.mode=subscribe&hub.verify_token={CANARY}&hub.challenge=1"),
                None,
            ),
            (
                format!("/wa?hub.mode=subscribe&hub.verify_token={CANARY}x&hub.challenge=1"),
                None,
            ),
            (
                format!(
                    "/wa?hub.mode=subscribe&hub.verify_token={CANARY}&hub.challenge=%3C{CANARY}%3E"
                ),
                None,
            ),
            ("/wa".to_owned(), Some(good.clone())),
            (
                "/wa".to_owned(),
                Some(format!("sha256={}", hex::encode(CANARY))),
            ),
            ("/wa".to_owned(), Some(CANARY.to_owned())),
        ] {
            let method = if signature.is_some() { "POST" } else { "GET" };
            let mut builder = Request::builder().method(method).uri(uri);
            if let Some(signature) = signature {
                builder = builder.header("x-hub-signature-256", signature);
            }
            let request = builder
                .body(Full::new(Bytes::from_static(CANARY.as_bytes())))
                .unwrap();
            let status = webhook.clone().oneshot(request).await.unwrap().status();
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
        }

        let client = SetSecretHeaderLayer::bearer(&SecretString::from(CANARY))
            .unwrap()
            .layer(service_fn(|request: Request<()>| async move {
                tracing::info!(target: "rimguard::test", headers = ?request.headers(), "outgoing request");
                Ok::<_, ()>(Response::new(()))
            }));
        client.oneshot(Request::new(())).await.unwrap();
    });
}

#[test]
fn the_text_log_never_shows_the_canary() {
    let ((), log) = common::capture_text(exercise_everything);
    assert_clean("the text log", &log);
    for expected in [
        "secret read from a .env file",
        "API key refused",
        "API key lacks the scope",
        "API key is due for rotation",
        "webhook signature does not match",
        "webhook handshake with a wrong verify token",
        "webhook signed with the previous secret",
        "outgoing request",
    ] {
        assert!(log.contains(expected), "the log lacks {expected:?}:\n{log}");
    }
}

#[test]
fn the_json_log_never_shows_the_canary() {
    let ((), log) = common::capture_json(exercise_everything);
    assert_clean("the JSON log", &log);
    assert!(log.lines().count() >= 10, "{log}");
    for line in log.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
}
