//! A bad `rimguard.toml` is refused with its file, line, column and field.

use rimguard::config::Config;
use rimguard::core::ConfigError;

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::loader()
        .text("rimguard.toml", text)
        .env_vars([])
        .load()
}

fn load_with(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Config::loader()
        .text("rimguard.toml", text)
        .env_vars(vars)
        .load()
}

fn position(error: &ConfigError) -> (Option<usize>, Option<usize>) {
    (error.line(), error.column())
}

#[test]
fn an_unknown_key_is_named_with_its_line_and_column() {
    let error = load("[gateway]\nlisten = \"127.0.0.1:8080\"\nupstream = \"http://127.0.0.1:3000\"\nupstrem = 1\n")
        .unwrap_err();
    assert!(error.message().contains("unknown field"), "{error}");
    assert_eq!(error.file().unwrap().to_str(), Some("rimguard.toml"));
    assert_eq!(position(&error), (Some(4), Some(1)));
    assert!(error.field().starts_with("gateway"), "{error}");
}

#[test]
fn a_value_of_the_wrong_type_names_the_dotted_field() {
    let text = "[[routes]]\nname = \"admin\"\npath = \"/admin/*\"\n\n[[routes]]\nname = \"lookup\"\npath = 7\n";
    let error = load(text).unwrap_err();
    assert_eq!(error.field(), "routes[1].path");
    assert_eq!(position(&error), (Some(7), Some(8)));
    assert_eq!(
        error.to_string(),
        format!("rimguard.toml:7:8: routes[1].path: {}", error.message())
    );
}

#[test]
fn a_bad_pattern_is_refused_where_it_is_written() {
    let error = load("[[routes]]\nname = \"a\"\npath = \"admin/*\"\n").unwrap_err();
    assert_eq!(error.field(), "routes[0].path");
    assert_eq!(position(&error), (Some(3), Some(8)));
    assert!(error.message().contains("starts with `/`"));
}

#[test]
fn a_check_after_parsing_still_finds_the_line() {
    let text = "[[routes]]\nname = \"a\"\npath = \"/a\"\nmethods = [\"GET\", \"NOT A METHOD\"]\n";
    let error = load(text).unwrap_err();
    assert_eq!(error.field(), "routes[0].methods[1]");
    assert_eq!(position(&error), (Some(4), Some(19)));
}

#[test]
fn duplicate_route_names_are_refused() {
    let text = "[[routes]]\nname = \"a\"\npath = \"/a\"\n[[routes]]\nname = \"a\"\npath = \"/b\"\n";
    let error = load(text).unwrap_err();
    assert_eq!(error.field(), "routes[1].name");
    assert_eq!(error.line(), Some(5));
}

#[test]
fn invalid_toml_is_refused_with_its_position() {
    let error = load("[https]\nmode = \n").unwrap_err();
    assert!(error.message().starts_with("not valid TOML"), "{error}");
    assert_eq!(error.line(), Some(2));
}

#[test]
fn an_environment_variable_overrides_one_value() {
    let text = "[gateway]\nlisten = \"127.0.0.1:8080\"\nupstream = \"http://127.0.0.1:3000\"\n";
    let vars = [
        ("RIMGUARD__GATEWAY__REQUEST_TIMEOUT", "2s"),
        ("RIMGUARD__GATEWAY__LISTEN", "127.0.0.1:9999"),
    ];
    let config = load_with(text, &vars).unwrap();
    let gateway = config.gateway.unwrap();
    assert_eq!(gateway.request_timeout, std::time::Duration::from_secs(2));
    assert_eq!(gateway.listen.port(), 9999);
}

#[test]
fn a_bad_override_names_the_variable_not_a_line() {
    let text = "[gateway]\nlisten = \"127.0.0.1:8080\"\nupstream = \"http://127.0.0.1:3000\"\n";
    let error = load_with(text, &[("RIMGUARD__GATEWAY__LISTEN", "not an address")]).unwrap_err();
    assert_eq!(error.field(), "gateway.listen");
    assert_eq!(
        error.file().unwrap().to_str(),
        Some("environment variable RIMGUARD__GATEWAY__LISTEN")
    );
    assert_eq!(error.line(), None);
}

#[test]
fn an_override_can_index_an_array() {
    let text = "[[routes]]\nname = \"a\"\npath = \"/a\"\n";
    let config = load_with(text, &[("RIMGUARD__ROUTES__0__PATH", "/b/*")]).unwrap();
    assert_eq!(config.routes[0].path.as_str(), "/b/*");
}

#[test]
fn values_echoed_by_serde_are_hidden() {
    let error =
        load("[gateway]\nlisten = \"sk_live_do_not_print\"\nupstream = \"x\"\n").unwrap_err();
    assert!(
        !error.to_string().contains("sk_live_do_not_print"),
        "{error}"
    );
    assert_eq!(error.field(), "gateway.listen");
}

#[test]
fn a_missing_file_is_named() {
    let error = Config::loader()
        .file("/nonexistent/rimguard.toml")
        .env_vars([])
        .load()
        .unwrap_err();
    assert_eq!(
        error.file().unwrap().to_str(),
        Some("/nonexistent/rimguard.toml")
    );
}
