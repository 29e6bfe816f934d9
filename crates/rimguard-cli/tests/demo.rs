//! The demo app on 127.0.0.1:0, driven over real HTTP through every
//! protection, then its audit file verified.

use http::StatusCode;
use rimguard_cli::demo::{DEMO_SECRETS, Demo, Outcome, drive, verify_audit};

async fn run() -> (tempfile::TempDir, Demo, Vec<Outcome>) {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(dir.path()).await.unwrap();
    let outcomes = drive(demo.addr).await.unwrap();
    (dir, demo, outcomes)
}

fn find<'a>(outcomes: &'a [Outcome], label: &str) -> &'a Outcome {
    outcomes.iter().find(|o| o.label.contains(label)).unwrap()
}

fn code(outcome: &Outcome) -> String {
    let body: serde_json::Value = serde_json::from_str(&outcome.body).unwrap();
    body["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_protection_answers_as_the_demo_expects() {
    let (_dir, _demo, outcomes) = run().await;
    for outcome in &outcomes {
        assert!(
            outcome.as_expected(),
            "{}: got {} ({})",
            outcome.label,
            outcome.status,
            outcome.body
        );
    }
    assert_eq!(outcomes.len(), 12);
}

#[tokio::test]
async fn each_refusal_names_its_layer_and_reason() {
    let (_dir, _demo, outcomes) = run().await;

    let limited = find(&outcomes, "over the per-phone quota");
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(limited.headers["ratelimit-policy"], "\"lookup\";q=3;w=60");
    assert!(
        limited.headers["ratelimit"]
            .to_str()
            .unwrap()
            .contains("r=0")
    );

    assert_eq!(
        code(find(&outcomes, "outside the office")),
        "ip-not-allowed"
    );
    assert_eq!(
        code(find(&outcomes, "without an API key")),
        "api-key-invalid"
    );
    assert_eq!(code(find(&outcomes, "malformed phone")), "phone-invalid");
    assert_eq!(
        code(find(&outcomes, "forged signature")),
        "webhook-signature-invalid"
    );
    assert_eq!(
        code(find(&outcomes, "another spelling")),
        "path-not-canonical"
    );

    let allowed = find(&outcomes, "customer lookup with the bot's key");
    assert!(allowed.body.contains("Alice"), "{}", allowed.body);
    assert_eq!(allowed.headers["x-content-type-options"], "nosniff");
    assert_eq!(allowed.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn the_audit_file_has_one_record_per_request_and_an_intact_chain() {
    let (_dir, demo, outcomes) = run().await;
    let report = verify_audit(&demo).unwrap();
    assert!(
        report.starts_with(&format!("{} records", outcomes.len())),
        "{report}"
    );

    let text = std::fs::read_to_string(&demo.audit_file).unwrap();
    assert!(text.contains(r#""refused_by":"ip-filter""#));
    assert!(text.contains(r#""refused_by":"rate-limit""#));
    assert!(text.contains(r#""refused_by":"webhook-signature""#));
    for (_, value) in DEMO_SECRETS {
        assert!(!text.contains(value), "a secret reached the audit file");
    }
    assert!(
        !text.contains("447911123456"),
        "a full phone number reached the audit file"
    );
}

#[tokio::test]
async fn editing_one_audit_record_is_caught_at_its_line() {
    let (_dir, demo, _) = run().await;
    verify_audit(&demo).unwrap();

    let text = std::fs::read_to_string(&demo.audit_file).unwrap();
    let edited = text.replacen(r#""status":403"#, r#""status":200"#, 1);
    assert_ne!(text, edited);
    std::fs::write(&demo.audit_file, edited).unwrap();

    let report = rimguard::audit::verify(&demo.audit_file).unwrap();
    let problem = report.problem.expect("the edit is found");
    let line = text
        .lines()
        .position(|l| l.contains(r#""status":403"#))
        .unwrap()
        + 1;
    assert_eq!(problem.line, line as u64);
}

#[tokio::test]
async fn the_printed_curl_lines_carry_no_secret_value() {
    let (_dir, _demo, outcomes) = run().await;
    for outcome in &outcomes {
        for (_, value) in DEMO_SECRETS {
            assert!(!outcome.curl.contains(value), "{}", outcome.curl);
        }
        assert!(outcome.curl.starts_with("curl -i"));
    }
}
