//! Inputs that once got past the redactor, kept as tests.

use rimguard_redact::Redactor;

#[test]
fn a_card_after_a_masked_name_value_is_masked_in_one_pass() {
    let redactor = Redactor::builder()
        .fingerprint_key_bytes(b"regression test fingerprint key!")
        .build()
        .unwrap();
    for line in [
        "password= +447911123456 4111 1111 1111 1111",
        "password= +447911123456 x 4111 1111 1111 1111",
        "password= 123 4111 1111 1111 1111",
        "password= abc 4111 1111 1111 1111",
        "password=+447911123456 4111 1111 1111 1111",
        "password= x 4111 1111 1111 1111",
        "note +447911123456 4111 1111 1111 1111",
    ] {
        let once = redactor.scrub(line).into_owned();
        assert!(
            !once.contains("4111 1111 1111 1111"),
            "{line:?} -> {once:?}"
        );
        assert!(!once.contains("7911123456"), "{line:?} -> {once:?}");
        assert_eq!(redactor.scrub(&once), once, "{line:?}");
    }
}
