//! Properties over generated text: JSON stays JSON with the same shape, a
//! registered secret never survives wherever it sits, and scrubbing twice
//! changes nothing more than scrubbing once.

use std::sync::OnceLock;

use proptest::prelude::*;
use rimguard_redact::Redactor;

const SECRET: &str = "Kx7pQ2mZ9vL4wR8t";

fn redactor() -> &'static Redactor {
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    REDACTOR.get_or_init(|| {
        Redactor::builder()
            .secret_bytes(SECRET.as_bytes())
            .fingerprint_key_bytes(b"property test fingerprint key..!")
            .build()
            .unwrap()
    })
}

/// Pieces of log text: plain words, the characters that matter to JSON
/// and to line breaks, and things the redactor masks.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 .:=/-]{0,10}",
        any::<String>().prop_map(|s| s.chars().take(6).collect()),
        prop::sample::select(vec![
            "\"",
            "\\",
            "\n",
            "\r",
            "\t",
            "\\n",
            "\\\"",
            " ",
            "=",
            ":",
            "{",
            "}",
            "@",
            "+",
            "%2B",
            SECRET,
            "password=",
            "\"token\":",
            "Bearer ",
            "?api_key=",
            "&sig=",
            "+447911123456",
            "07911 123456",
            "4111 1111 1111 1111",
            "4111111111111111",
            "jane@example.com",
            "ghp_aB3dE5gH7jK9mN1pQ2sT4vW6yZ8aB3dE5gH7j",
            "AKIAQWERTYUIOPASDFGH",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "-----BEGIN PRIVATE KEY-----",
            "-----END PRIVATE KEY-----",
            "\u{1b}[3m",
            "\u{1b}[0m",
        ])
        .prop_map(String::from),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..14).prop_map(|parts| parts.concat())
}

/// Fragments apart from each other: a mask is a word boundary that the
/// original did not have, so a number glued to a secret (`…t07911 123456`,
/// not a phone: it continues a word) becomes one after the first pass.
fn spaced_text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..14).prop_map(|parts| parts.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn json_lines_stay_json_with_the_same_keys(message in text(), other in text(), n in any::<i64>()) {
        let line = serde_json::json!({
            "fields": { "message": message, "other": other, "n": n, "phone": 447911123456u64 },
            "target": "rimguard::test",
        })
        .to_string();
        let clean = redactor().scrub(&line).into_owned();
        let value: serde_json::Value = serde_json::from_str(&clean)
            .map_err(|e| TestCaseError::fail(format!("{e}: {clean}")))?;
        let fields = value["fields"].as_object().unwrap();
        let mut keys: Vec<&String> = fields.keys().collect();
        keys.sort();
        prop_assert_eq!(keys, vec!["message", "n", "other", "phone"]);
        prop_assert_eq!(&value["target"], "rimguard::test");
        prop_assert!(!clean.contains(SECRET));
    }

    #[test]
    fn a_registered_secret_never_survives(before in text(), after in text()) {
        let line = format!("{before}{SECRET}{after}");
        let clean = redactor().scrub(&line).into_owned();
        prop_assert!(!clean.contains(SECRET), "{}", clean);
        let json = serde_json::json!({ "message": line }).to_string();
        let clean = redactor().scrub(&json).into_owned();
        prop_assert!(!clean.contains(SECRET), "{}", clean);
    }

    #[test]
    fn scrubbing_twice_is_scrubbing_once(line in spaced_text()) {
        let redactor = redactor();
        let once = redactor.scrub(&line).into_owned();
        let twice = redactor.scrub(&once).into_owned();
        prop_assert_eq!(twice, once);
    }
}
