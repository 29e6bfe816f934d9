//! The serde configuration and its conversion into layers.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use rimguard_secrets::config::{ApiKeysConfig, KeyConfig, SecretConfig, WebhookConfig};
use rimguard_secrets::secret::ExposeSecret;
use rimguard_secrets::source::Resolver;
use serde::Deserialize;

/// The three sections as they sit in `rimguard.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    secrets: BTreeMap<String, SecretConfig>,
    #[serde(default)]
    api_keys: BTreeMap<String, ApiKeysConfig>,
    #[serde(default)]
    webhooks: BTreeMap<String, WebhookConfig>,
}

const EXAMPLE: &str = r#"
[secrets.wix_api_key]
sources = ["keyring:rimguard/wix_api_key", "env:WIX_API_KEY"]

[api_keys.bot]
keys = ["env:BOT_KEY_PRIMARY", { sources = ["env:BOT_KEY_SECONDARY"], id = "bot-old", created = "2026-01-01" }]
scopes = ["read"]
rotate_after = "90d"

[api_keys.admin]
keys = ["env:ADMIN_KEY"]
scopes = ["read", "write"]
rotate_after = "30d"
header = "x-api-key"

[webhooks.whatsapp]
app_secret = ["env:WA_APP_SECRET", "env:WA_APP_SECRET_OLD"]
verify_token = "env:WA_VERIFY_TOKEN"
max_body = 65536

[webhooks.shop]
provider = "hmac"
app_secret = ["env:SHOP_SECRET"]
header = "x-shop-hmac-sha256"
encoding = "base64"
algorithm = "hmac-sha256"
"#;

fn env(name: &str) -> Option<String> {
    let value = match name {
        "WIX_API_KEY" => "wix-key-0123456789abcdef",
        "BOT_KEY_PRIMARY" => "rg_live_bot_primary_0123456789",
        "BOT_KEY_SECONDARY" => "rg_live_bot_secondary_012345678",
        "ADMIN_KEY" => "rg_live_admin_0123456789abcdef",
        "WA_APP_SECRET" => "app-secret-current",
        "WA_APP_SECRET_OLD" => "app-secret-previous",
        "WA_VERIFY_TOKEN" => "verify-me-123",
        "SHOP_SECRET" => "shop-secret",
        _ => return None,
    };
    Some(value.to_owned())
}

fn resolver() -> Resolver {
    Resolver::new().without_keyring().with_env(env)
}

#[test]
fn the_example_file_parses_and_builds_every_layer() {
    let file: File = toml::from_str(EXAMPLE).unwrap();
    let resolver = resolver();

    let wix = file.secrets["wix_api_key"]
        .load("wix_api_key", &resolver)
        .unwrap();
    assert_eq!(wix.expose_secret(), "wix-key-0123456789abcdef");

    let bot = &file.api_keys["bot"];
    assert_eq!(bot.rotate_after, Duration::from_secs(90 * 86_400));
    let keys = bot.build_keys("bot", &resolver).unwrap();
    assert_eq!(keys.name(), "bot");
    let slots = keys.slots();
    assert!(slots.primary().unwrap().id().as_str().starts_with("bot-"));
    assert_eq!(slots.secondary().unwrap().id().as_str(), "bot-old");
    assert_eq!(
        keys.overdue_keys(),
        1,
        "a key created on 2026-01-01 is past 90 days"
    );
    assert!(keys.verify(b"rg_live_bot_secondary_012345678").is_some());

    let admin = file.api_keys["admin"].build("admin", &resolver).unwrap();
    assert_eq!(
        admin.keys().rotate_after(),
        Duration::from_secs(30 * 86_400)
    );

    let whatsapp = file.webhooks["whatsapp"]
        .build("whatsapp", &resolver)
        .unwrap();
    assert!(whatsapp.app_secrets().has_previous());
    file.webhooks["shop"].build("shop", &resolver).unwrap();
}

#[test]
fn a_default_key_id_is_the_set_name_and_a_fingerprint() {
    let config: ApiKeysConfig =
        toml::from_str("keys = [\"env:BOT_KEY_PRIMARY\"]\nscopes = [\"read\"]").unwrap();
    let keys = config.build_keys("bot", &resolver()).unwrap();
    // python3 -c 'import hashlib; print(hashlib.sha256(b"rg_live_bot_primary_0123456789").hexdigest()[:8])'
    assert_eq!(
        keys.slots().primary().unwrap().id().as_str(),
        "bot-f1e47f62"
    );
    assert_eq!(
        config.rotate_after,
        Duration::from_secs(90 * 86_400),
        "90 days unless set"
    );
}

#[test]
fn unknown_fields_are_refused_everywhere() {
    for text in [
        "sources = []\nsource = \"env:X\"",
        "keys = [\"env:X\"]\nscopes = [\"read\"]\nrotate = \"90d\"",
        "keys = [{ sources = [\"env:X\"], owner = \"me\" }]\nscopes = [\"read\"]",
        "app_secret = [\"env:X\"]\nverify-token = \"env:Y\"",
    ] {
        let secret = toml::from_str::<SecretConfig>(text).is_err();
        let keys = toml::from_str::<ApiKeysConfig>(text).is_err();
        let webhook = toml::from_str::<WebhookConfig>(text).is_err();
        assert!(secret && keys && webhook, "{text}");
    }
}

#[test]
fn a_value_instead_of_a_source_is_refused_at_parse_time() {
    let error =
        toml::from_str::<SecretConfig>("sources = [\"rg_live_pasted_by_mistake\"]").unwrap_err();
    assert!(
        error.to_string().contains("expected `kind:location`"),
        "{error}"
    );
    let error =
        toml::from_str::<ApiKeysConfig>("keys = [\"env:X\"]\nscopes = [\"admin\"]").unwrap_err();
    assert!(error.to_string().contains("unknown variant"), "{error}");
}

#[test]
fn rotation_periods_are_checked_at_parse_time() {
    let parse = |period: &str| {
        toml::from_str::<ApiKeysConfig>(&format!(
            "keys = [\"env:X\"]\nscopes = []\nrotate_after = \"{period}\""
        ))
    };
    assert_eq!(
        parse("12h").unwrap().rotate_after,
        Duration::from_secs(12 * 3600)
    );
    assert!(
        parse("0d")
            .unwrap_err()
            .to_string()
            .contains("longer than zero")
    );
    assert!(
        parse("soon")
            .unwrap_err()
            .to_string()
            .contains("such as \"90d\"")
    );
}

#[test]
fn build_errors_name_the_dotted_field() {
    let resolver = resolver();
    let cases: [(&str, &str, &str); 7] = [
        (
            "keys = []\nscopes = [\"read\"]",
            "api_keys.bot.keys",
            "one or two keys",
        ),
        (
            "keys = [\"env:BOT_KEY_PRIMARY\"]\nscopes = []",
            "api_keys.bot.scopes",
            "at least one",
        ),
        (
            "keys = [\"env:A\", \"env:B\", \"env:C\"]\nscopes = [\"read\"]",
            "api_keys.bot.keys",
            "one or two keys",
        ),
        (
            "keys = [\"env:BOT_KEY_PRIMARY\", \"env:NOPE\"]\nscopes = [\"read\"]",
            "api_keys.bot.keys[1]",
            "env:NOPE: not set",
        ),
        (
            "keys = [\"env:SHOP_SECRET\"]\nscopes = [\"read\"]",
            "api_keys.bot.keys[0]",
            "at least 16 bytes",
        ),
        (
            "keys = [{ sources = [\"env:BOT_KEY_PRIMARY\"], created = \"yesterday\" }]\nscopes = [\"read\"]",
            "api_keys.bot.keys[0].created",
            "expected a date",
        ),
        (
            "keys = [\"env:BOT_KEY_PRIMARY\"]\nscopes = [\"read\"]\nheader = \"x api key\"",
            "api_keys.bot.header",
            "header name",
        ),
    ];
    for (text, field, message) in cases {
        let config: ApiKeysConfig = toml::from_str(text).unwrap();
        let error = config.build("bot", &resolver).unwrap_err();
        assert_eq!(error.field(), field, "{text}");
        assert!(error.message().contains(message), "{error}");
    }
}

#[test]
fn webhook_build_errors_name_the_dotted_field() {
    let resolver = resolver();
    let cases: [(&str, &str, &str); 6] = [
        (
            "app_secret = []\nverify_token = \"env:WA_VERIFY_TOKEN\"",
            "webhooks.wa.app_secret",
            "one or two",
        ),
        (
            "app_secret = [\"env:WA_APP_SECRET\", \"env:GONE\"]\nverify_token = \"env:WA_VERIFY_TOKEN\"",
            "webhooks.wa.app_secret[1]",
            "env:GONE: not set",
        ),
        (
            "app_secret = [\"env:WA_APP_SECRET\"]",
            "webhooks.wa.verify_token",
            "needs a verify token",
        ),
        (
            "app_secret = [\"env:WA_APP_SECRET\"]\nverify_token = \"env:GONE\"",
            "webhooks.wa.verify_token",
            "env:GONE: not set",
        ),
        (
            "app_secret = [\"env:WA_APP_SECRET\"]\nverify_token = \"env:WA_VERIFY_TOKEN\"\nencoding = \"base64\"",
            "webhooks.wa.encoding",
            "only for provider",
        ),
        (
            "provider = \"hmac\"\nsecret = [\"env:SHOP_SECRET\"]",
            "webhooks.wa.header",
            "needs a header",
        ),
    ];
    for (text, field, message) in cases {
        let config: WebhookConfig = toml::from_str(text).unwrap();
        let error = config.build("wa", &resolver).unwrap_err();
        assert_eq!(error.field(), field, "{text}");
        assert!(error.message().contains(message), "{error}");
    }
}

#[test]
fn config_serializes_back_to_the_same_source_names() {
    let file: File = toml::from_str(EXAMPLE).unwrap();
    let bot = toml::to_string(&file.api_keys["bot"]).unwrap();
    let again: ApiKeysConfig = toml::from_str(&bot).unwrap();
    assert_eq!(again, file.api_keys["bot"]);
    assert!(matches!(again.keys[0], KeyConfig::Source(_)));
    assert!(bot.contains("rotate_after = \"90d\""), "{bot}");
    let webhook = toml::to_string(&file.webhooks["whatsapp"]).unwrap();
    assert_eq!(
        toml::from_str::<WebhookConfig>(&webhook).unwrap(),
        file.webhooks["whatsapp"]
    );
}

#[test]
fn a_reload_puts_the_new_pair_in_force_and_a_bad_one_leaves_the_old() {
    let resolver = resolver();
    let old: ApiKeysConfig =
        toml::from_str("keys = [\"env:BOT_KEY_PRIMARY\"]\nscopes = [\"read\"]").unwrap();
    let keys = old.build_keys("bot", &resolver).unwrap();

    let bad: ApiKeysConfig =
        toml::from_str("keys = [\"env:MISSING\"]\nscopes = [\"read\"]").unwrap();
    assert_eq!(
        bad.load_slots("bot", &resolver).unwrap_err().field(),
        "api_keys.bot.keys[0]"
    );
    assert!(
        keys.verify(b"rg_live_bot_primary_0123456789").is_some(),
        "the old pair stays"
    );

    let new: ApiKeysConfig =
        toml::from_str("keys = [\"env:ADMIN_KEY\", \"env:BOT_KEY_PRIMARY\"]\nscopes = [\"read\"]")
            .unwrap();
    keys.replace(new.load_slots("bot", &resolver).unwrap());
    assert!(keys.verify(b"rg_live_admin_0123456789abcdef").is_some());
    assert!(keys.verify(b"rg_live_bot_primary_0123456789").is_some());
}

#[test]
fn a_secret_that_cannot_be_loaded_names_its_section() {
    let config: SecretConfig =
        toml::from_str("sources = [\"keyring:rimguard/wix\", \"env:NOPE\"]").unwrap();
    let error = config.load("wix_api_key", &resolver()).unwrap_err();
    assert_eq!(error.field(), "secrets.wix_api_key.sources");
    assert_eq!(
        error.message(),
        "secret `wix_api_key` could not be loaded: keyring:rimguard/wix: keyring sources are turned off here; \
         env:NOPE: not set"
    );
}
