//! Every detector, with true positives and near misses: one sample of
//! every credential shape in the table, shapes that are almost right,
//! cards that fail Luhn, numbers that are not phones, and strings that are
//! almost e-mail addresses.

use rimguard_redact::{FindingKind, Redactor, credential_patterns};

fn cycle(alphabet: &str, n: usize) -> String {
    alphabet.chars().cycle().take(n).collect()
}

fn alnum(n: usize) -> String {
    cycle("aB3dE5gH7jK9mN1pQ2sT4vW6yZ8", n)
}

fn hex(n: usize) -> String {
    cycle("0123456789abcdef", n)
}

fn upper(n: usize) -> String {
    cycle("QWERTYUIOPASDFGHJKLZXCVBNM234567", n)
}

fn digits(n: usize) -> String {
    cycle("1234567890", n)
}

/// One made-up token of every shape in the table.
fn samples() -> Vec<(&'static str, String)> {
    vec![
        ("aws-access-key-id", format!("AKIA{}", upper(16))),
        (
            "aws-mws-key",
            format!(
                "amzn.mws.{}-{}-{}-{}-{}",
                hex(8),
                hex(4),
                hex(4),
                hex(4),
                hex(12)
            ),
        ),
        ("gcp-api-key", format!("AIza{}", alnum(35))),
        ("gcp-oauth-client-secret", format!("GOCSPX-{}", alnum(28))),
        ("google-oauth-access-token", format!("ya29.{}", alnum(40))),
        ("google-oauth-refresh-token", format!("1//0{}", alnum(40))),
        (
            "azure-storage-account-key",
            format!("AccountKey={}==", alnum(86)),
        ),
        (
            "azure-ad-client-secret",
            format!("{}8Q~{}", alnum(3), alnum(32)),
        ),
        ("digitalocean-pat", format!("dop_v1_{}", hex(64))),
        ("digitalocean-oauth-token", format!("doo_v1_{}", hex(64))),
        ("digitalocean-refresh-token", format!("dor_v1_{}", hex(64))),
        ("heroku-api-key", format!("HRKU-{}", alnum(60))),
        (
            "cloudflare-origin-ca-key",
            format!("v1.0-{}-{}", hex(24), hex(146)),
        ),
        ("fly-io-token", format!("fo1_{}", alnum(43))),
        ("pulumi-token", format!("pul-{}", hex(40))),
        ("planetscale-token", format!("pscale_tkn_{}", alnum(40))),
        ("hashicorp-vault-token", format!("hvs.{}", alnum(90))),
        ("doppler-token", format!("dp.pt.{}", alnum(43))),
        ("databricks-token", format!("dapi{}", hex(32))),
        ("github-pat", format!("ghp_{}", alnum(36))),
        ("github-oauth-token", format!("gho_{}", alnum(36))),
        ("github-user-token", format!("ghu_{}", alnum(36))),
        ("github-app-token", format!("ghs_{}", alnum(36))),
        ("github-refresh-token", format!("ghr_{}", alnum(36))),
        (
            "github-fine-grained-pat",
            format!("github_pat_{}_{}", alnum(22), alnum(59)),
        ),
        ("gitlab-pat", format!("glpat-{}", alnum(20))),
        (
            "gitlab-pipeline-trigger-token",
            format!("glptt-{}", hex(40)),
        ),
        (
            "gitlab-runner-registration-token",
            format!("GR1348941{}", alnum(20)),
        ),
        ("gitlab-runner-token", format!("glrt-{}", alnum(20))),
        ("gitlab-deploy-token", format!("gldt-{}", alnum(20))),
        ("gitlab-feed-token", format!("glft-{}", alnum(20))),
        ("gitlab-oauth-secret", format!("gloas-{}", alnum(64))),
        ("gitlab-job-token", format!("glcbt-{}", alnum(30))),
        ("npm-token", format!("npm_{}", alnum(36))),
        ("pypi-token", format!("pypi-AgEIcHlwaS5vcmc{}", alnum(60))),
        (
            "huggingface-token",
            format!("hf_{}", cycle("abcdefghijKLMNOPQRST", 34)),
        ),
        ("postman-api-key", format!("PMAK-{}-{}", hex(24), hex(34))),
        (
            "slack-bot-token",
            format!("xoxb-{}-{}-{}", digits(12), digits(13), alnum(24)),
        ),
        (
            "slack-user-token",
            format!(
                "xoxp-{}-{}-{}-{}",
                digits(12),
                digits(12),
                digits(12),
                alnum(32)
            ),
        ),
        ("slack-config-token", format!("xoxe.xoxp-1-{}", alnum(150))),
        ("slack-refresh-token", format!("xoxe-1-{}", alnum(140))),
        ("slack-legacy-token", format!("xoxs-{}", alnum(30))),
        (
            "slack-app-token",
            format!("xapp-1-{}-{}-{}", upper(11), digits(13), hex(64)),
        ),
        (
            "slack-webhook-url",
            format!("hooks.slack.com/services/T0000/B0000/{}", alnum(24)),
        ),
        (
            "discord-webhook-url",
            format!("discord.com/api/webhooks/{}/{}", digits(18), alnum(68)),
        ),
        (
            "discord-bot-token",
            format!("Bot M{}.{}.{}", alnum(23), alnum(6), alnum(27)),
        ),
        (
            "telegram-bot-token",
            format!("{}:AA{}", digits(10), alnum(33)),
        ),
        ("meta-access-token", format!("EAAG{}", alnum(150))),
        ("instagram-access-token", format!("IGQV{}", alnum(100))),
        ("twilio-api-key", format!("SK{}", hex(32))),
        (
            "sendgrid-api-key",
            format!("SG.{}.{}", alnum(22), alnum(43)),
        ),
        (
            "brevo-api-key",
            format!("xkeysib-{}-{}", hex(64), alnum(16)),
        ),
        ("mailgun-api-key", format!("key-{}", hex(32))),
        ("mailchimp-api-key", format!("{}-us12", hex(32))),
        ("stripe-secret-key", format!("sk_live_{}", alnum(24))),
        ("stripe-restricted-key", format!("rk_test_{}", alnum(24))),
        ("stripe-webhook-secret", format!("whsec_{}", alnum(32))),
        (
            "paypal-braintree-access-token",
            format!("access_token$production${}${}", hex(16), hex(32)),
        ),
        (
            "braintree-tokenization-key",
            format!("sandbox_{}_{}", hex(8), hex(16)),
        ),
        ("square-access-token", format!("sq0atp-{}", alnum(22))),
        ("square-oauth-secret", format!("sq0csp-{}", alnum(43))),
        ("flutterwave-secret-key", format!("FLWSECK-{}-X", hex(32))),
        ("shopify-access-token", format!("shpat_{}", hex(32))),
        ("shopify-custom-app-token", format!("shpca_{}", hex(32))),
        ("shopify-private-app-token", format!("shppa_{}", hex(32))),
        ("shopify-shared-secret", format!("shpss_{}", hex(32))),
        ("wix-api-key", format!("IST.eyJ{}", alnum(100))),
        ("openai-project-key", format!("sk-proj-{}", alnum(48))),
        (
            "openai-service-account-key",
            format!("sk-svcacct-{}", alnum(48)),
        ),
        ("openai-admin-key", format!("sk-admin-{}", alnum(48))),
        ("anthropic-api-key", format!("sk-ant-api03-{}", alnum(90))),
        (
            "openai-legacy-key",
            format!("sk-{}T3BlbkFJ{}", alnum(20), alnum(20)),
        ),
        ("atlassian-api-token", format!("ATATT3{}", alnum(150))),
        ("linear-api-key", format!("lin_api_{}", alnum(40))),
        ("notion-token", format!("ntn_{}", alnum(46))),
        (
            "grafana-service-account-token",
            format!("glsa_{}_{}", alnum(32), hex(8)),
        ),
        ("grafana-cloud-token", format!("glc_{}", alnum(40))),
        ("sentry-org-token", format!("sntrys_eyJ{}", alnum(60))),
        ("sentry-user-token", format!("sntryu_{}", hex(64))),
        ("new-relic-user-key", format!("NRAK-{}", upper(27))),
        ("mapbox-secret-token", format!("sk.eyJ{}", alnum(60))),
        ("dropbox-token", format!("sl.{}", alnum(140))),
        ("age-secret-key", format!("AGE-SECRET-KEY-1{}", upper(58))),
        (
            "jwt",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX3ZhbHVl".to_owned(),
        ),
        (
            "url-credentials",
            "https://bot:pw-0123456789@localhost:8080/".to_owned(),
        ),
        (
            "private-key",
            format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----",
                alnum(64),
                alnum(40)
            ),
        ),
    ]
}

fn credentials_only() -> Redactor {
    Redactor::builder()
        .cards(false)
        .phones(false)
        .emails(false)
        .build()
        .unwrap()
}

#[test]
fn every_credential_shape_has_a_sample_and_there_are_at_least_fifty() {
    let samples = samples();
    assert!(credential_patterns().len() >= 50);
    for pattern in credential_patterns() {
        assert!(
            samples.iter().any(|(name, _)| *name == pattern.name()),
            "no sample for {}",
            pattern.name()
        );
    }
}

#[test]
fn every_credential_shape_is_found_and_masked() {
    let redactor = credentials_only();
    for (name, sample) in samples() {
        let line = format!("INFO call failed: {sample} (retrying)");
        let findings = redactor.findings(line.as_bytes());
        assert!(
            findings
                .iter()
                .any(|f| f.kind == FindingKind::Credential(name)),
            "{name} not found in {line:?}: {findings:?}"
        );
        let clean = redactor.scrub(&line);
        assert!(!clean.contains(&sample), "{name} still in {clean}");
        assert!(
            clean.starts_with("INFO call failed: ") && clean.ends_with(" (retrying)"),
            "{clean}"
        );
    }
}

#[test]
fn every_credential_shape_is_found_in_a_json_string_and_the_json_stays_valid() {
    let redactor = credentials_only();
    for (name, sample) in samples() {
        let line = serde_json::json!({ "message": format!("got {sample}"), "n": 1 }).to_string();
        let clean = redactor.scrub(&line);
        let value: serde_json::Value =
            serde_json::from_str(&clean).unwrap_or_else(|e| panic!("{name}: {e}: {clean}"));
        assert_eq!(value["n"], 1);
        assert!(
            !value["message"].as_str().unwrap().contains(&sample),
            "{name}: {clean}"
        );
    }
}

#[test]
fn near_misses_of_credential_shapes_are_left_alone() {
    let redactor = credentials_only();
    let near_misses = [
        format!("AKIA{}", upper(15)),
        format!("XAKIA{}", upper(16)),
        format!("ghp_{}", alnum(20)),
        format!("mygho_{}", alnum(36)),
        "xoxb-not-a-token".to_owned(),
        "sk_live_short".to_owned(),
        "task-proj-123".to_owned(),
        "eyJhbGciOiJIUzI1NiJ9".to_owned(),
        "-----BEGIN PUBLIC KEY-----".to_owned(),
        "SKU-12345 in stock".to_owned(),
        "Bot says hello".to_owned(),
        "key-value pairs".to_owned(),
        "hooks.slack.com/services/short".to_owned(),
        "https://example.com/path?page=2".to_owned(),
        format!("AIza{}", alnum(20)),
        format!("glpat-{}", alnum(10)),
        "production_line_7 ready".to_owned(),
        format!("{}:AB{}", digits(10), alnum(33)),
    ];
    for text in near_misses {
        let findings = redactor.findings(text.as_bytes());
        assert!(findings.is_empty(), "{text:?} gave {findings:?}");
    }
}

#[test]
fn a_token_longer_than_its_shape_is_masked_whole() {
    let token = format!("ghp_{}", alnum(40));
    let clean = credentials_only().scrub(&token).into_owned();
    assert_eq!(clean, "[redacted:github-pat]");
}

#[test]
fn sensitive_names_mask_their_values_in_every_shape() {
    let redactor = Redactor::builder()
        .json_field("iban")
        .query_param("voucher")
        .header("x-shop-token")
        .build()
        .unwrap();
    let cases = [
        ("password=hunter2 user=bob", "password=[redacted] user=bob"),
        (
            r#"{"password":"hunter2","user":"bob"}"#,
            r#"{"password":"[redacted]","user":"bob"}"#,
        ),
        (
            r#"{"pin":1234,"user":"bob"}"#,
            r#"{"pin":"[redacted]","user":"bob"}"#,
        ),
        (
            r#"{"iban":"GB33BUKB20201555555555"}"#,
            r#"{"iban":"[redacted]"}"#,
        ),
        ("x-shop-token: abc123", "x-shop-token: [redacted]"),
        (
            "Authorization: Bearer abcdefgh12345",
            "Authorization: Bearer [redacted]",
        ),
        (
            "GET /x?voucher=SAVE20&page=2",
            "GET /x?voucher=[redacted]&page=2",
        ),
        ("GET /x?Token=t1&page=2", "GET /x?Token=[redacted]&page=2"),
        ("clientSecret: s3cr3t!", "clientSecret: [redacted]"),
        ("cookie: a=1; session=xyz", "cookie: [redacted]"),
        ("sent basic dXNlcjpwYXNzd29yZA==", "sent basic [redacted]"),
    ];
    for (input, expected) in cases {
        assert_eq!(redactor.scrub(input), expected, "for {input}");
    }
}

#[test]
fn names_that_only_look_sensitive_are_left_alone() {
    let redactor = Redactor::new();
    for text in [
        "passwordless=true",
        "tokens_used=5",
        "the password is required",
        "/x?page=2&keyword=tyres",
        "spin=3",
    ] {
        assert_eq!(redactor.scrub(text), text);
    }
}

#[test]
fn cards_that_pass_luhn_are_masked_and_others_are_not() {
    let redactor = Redactor::new();
    assert_eq!(
        redactor.scrub("pan 4111111111111111"),
        "pan [card:411111******1111]"
    );
    assert_eq!(
        redactor.scrub("pan 5500-0000-0000-0004"),
        "pan [card:550000******0004]"
    );
    assert_eq!(
        redactor.scrub("amex 3782 822463 10005"),
        "amex [card:378282*****0005]"
    );
    for near in [
        "4111111111111112",
        "1234567812345678",
        "4111-1111 1111-1111",
        "41111111111111111111111",
    ] {
        let findings = redactor.findings(near.as_bytes());
        assert!(
            findings.iter().all(|f| f.kind != FindingKind::Card),
            "{near}: {findings:?}"
        );
    }
    let last_four = Redactor::builder()
        .card_mask(rimguard_redact::CardMask::LastFour)
        .build()
        .unwrap();
    assert_eq!(
        last_four.scrub("4111111111111111"),
        "[card:************1111]"
    );
}

#[test]
fn phones_keep_their_last_four_digits_and_other_numbers_stay() {
    let redactor = Redactor::new();
    assert_eq!(
        redactor.scrub("from +44 20 7946 0958"),
        "from [phone:***0958]"
    );
    assert_eq!(
        redactor.scrub("wa_id=447911123456"),
        "wa_id=[phone:***3456]"
    );
    assert_eq!(
        redactor.scrub("call 07911 123456 now"),
        "call [phone:***3456] now"
    );
    for text in [
        "2026-12-03T11:43:02.123456Z",
        "ts=1733226182123",
        "peer=192.168.100.200:443",
        "id=550e8400-e29b-41d4-a716-446655440000",
        "order 123456 qty 2",
        "price 1,234,567.89",
        "v10.0.19041.1234",
        "sha=4a7d1ed414474e4033ac29ccb8653d9b",
    ] {
        assert_eq!(redactor.scrub(text), text);
    }
}

#[test]
fn emails_keep_their_domain() {
    let redactor = Redactor::new();
    assert_eq!(
        redactor.scrub("to jane.doe@example.com."),
        "to [email:***@example.com]."
    );
    for text in ["user@localhost", "@handle", "a@b.c", "see foo@bar"] {
        assert_eq!(redactor.scrub(text), text);
    }
}

#[test]
fn registered_secrets_are_found_raw_escaped_and_percent_encoded() {
    let secret = r#"s3"cr\et/value"#;
    let redactor = Redactor::builder()
        .secret_bytes(secret.as_bytes())
        .build()
        .unwrap();
    let json = serde_json::to_string(secret).unwrap();
    let debug = format!("{secret:?}");
    for text in [
        format!("raw {secret} end"),
        format!(r#"{{"v":{json}}}"#),
        format!("debug {debug}"),
        "url ?x=s3%22cr%5Cet%2Fvalue".to_owned(),
    ] {
        let clean = redactor.scrub(&text);
        assert!(clean.contains("[redacted"), "{text} -> {clean}");
        assert!(
            !clean.contains("cr\\et") && !clean.contains("cr\\\\et") && !clean.contains("cr%5Cet"),
            "{clean}"
        );
    }
}

#[test]
fn toggles_turn_detectors_off() {
    let redactor = Redactor::builder()
        .cards(false)
        .phones(false)
        .emails(false)
        .credentials(false)
        .build()
        .unwrap();
    let text = format!(
        "4111111111111111 +447911123456 a@example.com ghp_{}",
        alnum(36)
    );
    assert_eq!(redactor.scrub(&text), text);
}
