//! The `[audit]` configuration: parsing, field paths, and a running build.

use std::convert::Infallible;

use http::{Request, Response};
use rimguard_audit::{AuditConfig, verify};
use rimguard_core::ClientIp;
use tower::{ServiceBuilder, ServiceExt, service_fn};

const FULL: &str = r#"
file = "audit/rimguard.jsonl"
flush = { batch = { records = 64, ms = 100 } }
rotate = { max_bytes = 104857600, daily = true }
on_full = "drop-and-count"
capacity = 4096
fsync = false
verify_on_open = true
tracing = true
mask_query = ["token", "phone"]
user_agent_max = 128
alerts = [{ webhook = "http://127.0.0.1:9000/alerts", timeout = "2s", retries = 3 }, { log = true }]

[[rules]]
kind = "too-many-requests"
key = "client-ip"
max = 300
window = "1m"

[[rules]]
kind = "auth-failures"
max = 5
window = "10m"
cooldown = "30m"

[[rules]]
kind = "outside-business-hours"
time_zone = "Europe/London"
open = "08:00"
close = "18:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat"]

[[rules]]
kind = "phone-enumeration"
max = 10
window = "10m"
max_keys = 50000

[[rules]]
kind = "new-network"
name = "bot-new-network"
ipv4_prefix = 24
ipv6_prefix = 64
"#;

fn parse(text: &str) -> Result<AuditConfig, toml::de::Error> {
    toml::from_str(text)
}

#[cfg(feature = "webhook")]
#[test]
fn the_full_sketch_parses_and_validates() {
    let config = parse(FULL).unwrap();
    config.validate().unwrap();
    assert_eq!(config.detection_rules().unwrap().len(), 5);
    assert_eq!(
        config.detection_rules().unwrap()[4].name(),
        "bot-new-network"
    );
}

#[cfg(feature = "webhook")]
#[test]
fn the_architecture_sketch_parses() {
    let config = parse(
        r#"
        file = "audit/rimguard.jsonl"
        flush = "every-record"
        alerts = [{ webhook = "http://127.0.0.1:9000/alerts" }]
        "#,
    )
    .unwrap();
    config.validate().unwrap();
}

#[test]
fn unknown_fields_are_refused_everywhere() {
    for text in [
        "fiel = \"x\"",
        "rotate = { max_byte = 1 }",
        "flush = { batch = { records = 1, ms = 1, extra = 2 } }",
        "alerts = [{ webhok = \"http://127.0.0.1/\" }]",
        "[[rules]]\nkind = \"auth-failures\"\nmax = 1\nwindow = \"1m\"\nmaxx = 2",
        "[[rules]]\nkind = \"sudden-joy\"",
        "on_full = \"shrug\"",
    ] {
        assert!(parse(text).is_err(), "refused: {text}");
    }
}

#[test]
fn invalid_values_name_their_field() {
    let cases = [
        (
            "flush = { batch = { records = 0, ms = 1 } }",
            "flush.batch.records",
        ),
        (
            "flush = { batch = { records = 1, ms = 0 } }",
            "flush.batch.ms",
        ),
        ("rotate = { max_bytes = 0 }", "rotate.max_bytes"),
        ("capacity = 0", "capacity"),
        (
            "alerts = [{ log = true }, { webhook = \"https://hooks.example/\" }]",
            "alerts[1].webhook",
        ),
        ("alerts = [{ timeout = \"1s\" }]", "alerts[0]"),
        (
            "alerts = [{ log = true, timeout = \"1s\" }]",
            "alerts[0].timeout",
        ),
        (
            "[[rules]]\nkind = \"auth-failures\"\nmax = 0\nwindow = \"1m\"",
            "rules[0].max",
        ),
        (
            "[[rules]]\nkind = \"auth-failures\"\nmax = 1\nwindow = \"a while\"",
            "rules[0].window",
        ),
        (
            "[[rules]]\nkind = \"phone-enumeration\"\nmax = 1\nwindow = \"1m\"\ncooldown = \"later\"",
            "rules[0].cooldown",
        ),
        (
            "[[rules]]\nkind = \"outside-business-hours\"\ntime_zone = \"Europe/Londn\"\nopen = \"08:00\"\nclose = \"18:00\"",
            "rules[0].time_zone",
        ),
        (
            "[[rules]]\nkind = \"outside-business-hours\"\ntime_zone = \"UTC\"\nopen = \"08:00\"\nclose = \"18:00\"\ndays = [\"mon\", \"funday\"]",
            "rules[0].days[1]",
        ),
        (
            "[[rules]]\nkind = \"new-network\"\nipv4_prefix = 40",
            "rules[0].ipv4_prefix",
        ),
    ];
    for (text, field) in cases {
        let error = parse(text).unwrap().validate().unwrap_err();
        assert_eq!(error.field(), field, "{text}");
    }
}

#[tokio::test]
async fn a_built_pipeline_writes_a_verified_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit").join("rimguard.jsonl");
    let mut config = AuditConfig {
        file: Some(path.clone()),
        ..AuditConfig::default()
    };
    config.mask_query = Some(vec!["order_ref".into()]);
    let pipeline = config.build().unwrap();

    let service = ServiceBuilder::new()
        .layer(pipeline.layer())
        .service(service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(()))
        }));
    for _ in 0..10 {
        let mut req = Request::get("/orders?order_ref=R-1").body(()).unwrap();
        req.extensions_mut()
            .insert(ClientIp::from_peer("203.0.113.7".parse().unwrap()));
        service.clone().oneshot(req).await.unwrap();
    }
    pipeline.flush().unwrap();
    assert_eq!(pipeline.file_stats().unwrap().written, 10);
    let stats = pipeline.shutdown().unwrap().unwrap();
    assert_eq!(stats.lost(), 0);

    let report = verify(&path).unwrap();
    assert!(report.is_intact());
    assert_eq!(report.records, 10);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("order_ref=***")
    );
}

#[test]
fn a_file_that_cannot_be_opened_is_a_config_error_on_file() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let config = AuditConfig {
        file: Some(blocker.join("rimguard.jsonl")),
        ..AuditConfig::default()
    };
    assert_eq!(config.build().unwrap_err().field(), "file");
}

#[test]
fn the_config_round_trips_through_serde() {
    let config = parse(FULL).unwrap();
    let text = toml::to_string(&config).unwrap();
    assert_eq!(parse(&text).unwrap(), config);
}

#[cfg(not(feature = "webhook"))]
#[test]
fn without_the_webhook_feature_a_webhook_is_refused_by_name() {
    let config = parse("alerts = [{ webhook = \"http://127.0.0.1:9000/alerts\" }]").unwrap();
    let error = config.validate().unwrap_err();
    assert_eq!(error.field(), "alerts[0].webhook");
    assert!(error.message().contains("webhook"));
}
