//! The `[ip_lists.<name>]` configuration and its errors.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::TempDir;
use rimguard_ipfilter::{HostBits, IpListConfig, IpListRegistry};

fn lists(toml: &str) -> BTreeMap<String, IpListConfig> {
    toml::from_str(toml).unwrap()
}

fn build(toml: &str) -> Result<IpListRegistry, rimguard_core::ConfigError> {
    IpListRegistry::from_config(&lists(toml), None)
}

fn allows(registry: &IpListRegistry, name: &str, addr: &str) -> bool {
    let addr: IpAddr = addr.parse().unwrap();
    registry.list(name).unwrap().load().check(addr).is_allowed()
}

#[test]
fn every_field_has_a_default_but_the_ranges() {
    let config: IpListConfig = toml::from_str("allow = [\"192.0.2.0/24\"]").unwrap();
    assert_eq!(config.status, 403);
    assert_eq!(config.on_host_bits, HostBits::Refuse);
    assert!(!config.dry_run && config.watch);
    assert_eq!(config.watch_interval, "2s");
    assert_eq!(
        config,
        IpListConfig {
            allow: vec!["192.0.2.0/24".into()],
            ..Default::default()
        }
    );
}

#[test]
fn unknown_fields_are_refused() {
    let error =
        toml::from_str::<BTreeMap<String, IpListConfig>>("[office]\nalow = []\n").unwrap_err();
    assert!(
        error.to_string().contains("unknown field `alow`"),
        "{error}"
    );
}

#[test]
fn a_bad_entry_is_named_by_its_full_path() {
    let error = build("[office]\nallow = [\"192.0.2.0/24\", \"192.0.2.1/24\"]\n").unwrap_err();
    assert_eq!(error.field(), "ip_lists.office.allow[1]");
    assert!(error.message().contains("host bits"), "{error}");

    let error = build("[office]\ndeny = [\"10.0.0.0/40\"]\n").unwrap_err();
    assert_eq!(error.field(), "ip_lists.office.deny[0]");
}

#[test]
fn host_bits_can_be_truncated_by_configuration() {
    let registry =
        build("[office]\nallow = [\"192.0.2.1/24\"]\non_host_bits = \"truncate\"\n").unwrap();
    assert!(allows(&registry, "office", "192.0.2.200"));
}

#[test]
fn the_status_is_403_or_404() {
    let error = build("[office]\nallow = [\"192.0.2.0/24\"]\nstatus = 401\n").unwrap_err();
    assert_eq!(error.field(), "ip_lists.office.status");
    assert!(build("[office]\nstatus = 404\n").is_ok());
}

#[test]
fn a_bad_watch_interval_is_refused() {
    let dir = TempDir::new("config-interval");
    dir.file("office.txt", "192.0.2.0/24\n");
    let toml = "[office]\nfile = \"office.txt\"\nwatch_interval = \"soon\"\n";
    let error = IpListRegistry::from_config(&lists(toml), Some(&dir.0)).unwrap_err();
    assert_eq!(error.field(), "ip_lists.office.watch_interval");

    let toml = "[office]\nfile = \"office.txt\"\nwatch_interval = \"0s\"\n";
    assert!(IpListRegistry::from_config(&lists(toml), Some(&dir.0)).is_err());
}

#[test]
fn a_list_name_must_be_simple() {
    let error = build("[\"off ice\"]\nallow = []\n").unwrap_err();
    assert_eq!(error.field(), "ip_lists");
}

#[test]
fn a_file_is_read_relative_to_the_config_and_errors_carry_its_line() {
    let dir = TempDir::new("config-file");
    dir.file(
        "office.txt",
        "# office\n203.0.113.0/24\ndeny 203.0.113.66\n",
    );
    let toml = "[office]\nallow = [\"192.0.2.10\"]\nfile = \"office.txt\"\n";
    let registry = IpListRegistry::from_config(&lists(toml), Some(&dir.0)).unwrap();
    assert!(allows(&registry, "office", "203.0.113.1"));
    assert!(allows(&registry, "office", "192.0.2.10"));
    assert!(!allows(&registry, "office", "203.0.113.66"));

    dir.file(
        "office.txt",
        "# office\n203.0.113.0/24\n\n  allow 203.0.113.0/33\n",
    );
    let error = IpListRegistry::from_config(&lists(toml), Some(&dir.0)).unwrap_err();
    assert_eq!(error.field(), "ip_lists.office.file");
    assert_eq!((error.line(), error.column()), (Some(4), Some(9)));
    let shown = error.to_string();
    assert!(
        shown.contains("office.txt:4:9: ip_lists.office.file: `203.0.113.0/33`"),
        "{shown}"
    );
}

#[test]
fn reload_all_reports_each_refused_list_by_name() {
    let dir = TempDir::new("config-reload");
    dir.file("office.txt", "203.0.113.0/24\n");
    dir.file("hooks.txt", "198.51.100.0/24\n");
    let toml = "[office]\nfile = \"office.txt\"\n[hooks]\nfile = \"hooks.txt\"\n";
    let registry = IpListRegistry::from_config(&lists(toml), Some(&dir.0)).unwrap();

    dir.publish("office.txt", "bad\n");
    dir.publish("hooks.txt", "192.0.2.0/24\n");
    let errors = registry.reload_all().unwrap_err();

    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field(), "ip_lists.office.file");
    assert!(allows(&registry, "office", "203.0.113.1"));
    assert!(allows(&registry, "hooks", "192.0.2.1"));
}

#[test]
fn watchers_start_for_listed_files_only() {
    let dir = TempDir::new("config-watch");
    dir.file("office.txt", "203.0.113.0/24\n");
    let toml = "[office]\nfile = \"office.txt\"\nwatch_interval = \"10ms\"\n\
                [hooks]\nallow = [\"198.51.100.0/24\"]\n\
                [static]\nfile = \"office.txt\"\nwatch = false\n";
    let registry = IpListRegistry::from_config(&lists(toml), Some(&dir.0)).unwrap();
    let watchers = registry.watch().unwrap();
    assert_eq!(watchers.len(), 1);

    dir.publish("office.txt", "192.0.2.0/24\n");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !allows(&registry, "office", "192.0.2.1") {
        assert!(
            std::time::Instant::now() < deadline,
            "the watched list was not reloaded"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        allows(&registry, "static", "203.0.113.1"),
        "an unwatched list stays"
    );
}

#[test]
fn the_config_round_trips_through_toml() {
    let config = IpListConfig {
        allow: vec!["192.0.2.0/24".into()],
        status: 404,
        dry_run: true,
        ..Default::default()
    };
    let text = toml::to_string(&config).unwrap();
    assert_eq!(toml::from_str::<IpListConfig>(&text).unwrap(), config);
}
