//! Secret sources: file permissions, `.env` files, the chain's order and
//! its errors.

mod common;

use common::TempDir;
use rimguard_secrets::secret::ExposeSecret;
use rimguard_secrets::source::{Resolver, SecretSource};

fn sources(texts: &[&str]) -> Vec<SecretSource> {
    texts.iter().map(|t| t.parse().unwrap()).collect()
}

#[test]
fn a_file_only_its_owner_can_read_is_loaded_without_its_trailing_newline() {
    let dir = TempDir::new();
    let path = dir.file("wix_key", "rg_live_file_0123456789\n", 0o600);
    let loaded = Resolver::new()
        .load("wix", &sources(&[&format!("file:{}", path.display())]))
        .unwrap();
    assert_eq!(loaded.secret().expose_secret(), "rg_live_file_0123456789");
    assert!(
        loaded.modified().is_some(),
        "a file source reports its modification time"
    );
}

#[test]
fn an_owner_read_only_file_is_accepted() {
    let dir = TempDir::new();
    let path = dir.file("k", "value-0123456789", 0o400);
    assert!(
        Resolver::new()
            .load("k", &sources(&[&format!("file:{}", path.display())]))
            .is_ok()
    );
}

#[cfg(unix)]
#[test]
fn a_file_open_to_group_or_others_is_refused_with_the_chmod_to_run() {
    let dir = TempDir::new();
    for mode in [0o644, 0o640, 0o604, 0o660, 0o602, 0o610] {
        let path = dir.file(&format!("key-{mode:o}"), "rg_live_exposed_0123456789", mode);
        let source = format!("file:{}", path.display());
        let error = Resolver::new()
            .load("wix", &sources(&[&source]))
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains(&format!("run `chmod 600 {}`", path.display())),
            "{text}"
        );
        assert!(text.contains(&format!("mode {mode:04o}")), "{text}");
        assert!(text.contains(&source), "{text}");
        assert!(!text.contains("rg_live_exposed"), "{text}");
    }
}

#[test]
fn a_missing_file_or_a_directory_is_a_named_failure() {
    let dir = TempDir::new();
    let missing = format!("file:{}", dir.0.join("absent").display());
    let directory = format!("file:{}", dir.0.display());
    let error = Resolver::new()
        .load("wix", &sources(&[&missing, &directory]))
        .unwrap_err();
    assert_eq!(error.attempts().len(), 2);
    assert!(
        error.attempts()[0]
            .reason()
            .starts_with("cannot read the file"),
        "{error}"
    );
    assert_eq!(error.attempts()[1].reason(), "not a regular file");
}

#[test]
fn an_empty_file_is_no_secret() {
    let dir = TempDir::new();
    let path = dir.file("empty", "\n", 0o600);
    let error = Resolver::new()
        .load("wix", &sources(&[&format!("file:{}", path.display())]))
        .unwrap_err();
    assert_eq!(error.attempts()[0].reason(), "the value is empty");
}

#[test]
fn a_dotenv_file_is_read_only_when_turned_on_for_development() {
    let dir = TempDir::new();
    let path = dir.file(
        ".env",
        "# dev keys\nexport OTHER=x\nWIX_API_KEY=\"rg_test_dotenv_0123\"\n",
        0o644,
    );
    let chain = sources(&["dotenv:WIX_API_KEY"]);

    let error = Resolver::new().load("wix", &chain).unwrap_err();
    assert!(
        error.to_string().contains("for development only"),
        "{error}"
    );

    let resolver = Resolver::new().with_dotenv_for_development(&path);
    let (loaded, log) = common::capture_text(|| resolver.load("wix", &chain).unwrap());
    assert_eq!(loaded.secret().expose_secret(), "rg_test_dotenv_0123");
    assert!(
        log.contains("WARN") && log.contains("for development only"),
        "{log}"
    );
    assert!(!log.contains("rg_test_dotenv"), "{log}");

    let error = resolver
        .load("x", &sources(&["dotenv:ABSENT"]))
        .unwrap_err();
    assert!(
        error.to_string().contains("not in the .env file"),
        "{error}"
    );
}

#[test]
fn a_malformed_dotenv_line_is_named_by_number_not_content() {
    let dir = TempDir::new();
    let path = dir.file(".env", "A=1\nrg_live_oops_pasted_key\nB=2\n", 0o600);
    let error = Resolver::new()
        .with_dotenv_for_development(&path)
        .load("b", &sources(&["dotenv:B"]))
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("line 2 of the .env file is not KEY=VALUE"),
        "{text}"
    );
    assert!(!text.contains("rg_live_oops"), "{text}");
}

#[test]
fn the_chain_is_tried_in_the_order_written_and_stops_at_the_first_value() {
    let dir = TempDir::new();
    let path = dir.file("k", "from-the-file-0123456", 0o600);
    let file = format!("file:{}", path.display());
    let resolver = Resolver::new()
        .without_keyring()
        .with_env(|n| (n == "K").then(|| "from-the-env-012345".into()));

    let loaded = resolver
        .load("k", &sources(&["keyring:rimguard/k", &file, "env:K"]))
        .unwrap();
    assert_eq!(loaded.source().to_string(), file);
    let loaded = resolver.load("k", &sources(&["env:K", &file])).unwrap();
    assert_eq!(loaded.secret().expose_secret(), "from-the-env-012345");
}

#[test]
fn when_every_source_fails_the_error_names_each_in_order_with_its_reason() {
    let dir = TempDir::new();
    let exposed = dir.file("exposed", "rg_live_exposed_value_0123", 0o644);
    let exposed = format!("file:{}", exposed.display());
    let chain = sources(&[
        "keyring:rimguard/wix_api_key",
        &exposed,
        "env:WIX_API_KEY",
        "dotenv:WIX_API_KEY",
    ]);
    let resolver = Resolver::new().without_keyring().with_env(|_| None);

    let error = resolver.load("wix_api_key", &chain).unwrap_err();

    let tried: Vec<&str> = error.attempts().iter().map(|a| a.source()).collect();
    assert_eq!(
        tried,
        [
            "keyring:rimguard/wix_api_key",
            exposed.as_str(),
            "env:WIX_API_KEY",
            "dotenv:WIX_API_KEY"
        ]
    );
    let reasons: Vec<&str> = error.attempts().iter().map(|a| a.reason()).collect();
    assert_eq!(reasons[0], "keyring sources are turned off here");
    assert!(reasons[1].contains("chmod 600"));
    assert_eq!(reasons[2], "not set");
    assert!(reasons[3].contains("development only"));
    assert!(!error.to_string().contains("rg_live_exposed"));
    assert_eq!(error.name(), "wix_api_key");
}

#[test]
fn sources_round_trip_through_serde_as_strings() {
    let chain = sources(&[
        "keyring:rimguard/bot",
        "file:/run/secrets/bot",
        "env:BOT",
        "dotenv:BOT",
    ]);
    let json = serde_json::to_string(&chain).unwrap();
    assert_eq!(
        json,
        r#"["keyring:rimguard/bot","file:/run/secrets/bot","env:BOT","dotenv:BOT"]"#
    );
    let back: Vec<SecretSource> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, chain);
    assert!(serde_json::from_str::<SecretSource>(r#""vault:bot""#).is_err());
}
