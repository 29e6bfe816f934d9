//! Admin routes for the office only, webhooks for the providers only, and a
//! list reloaded from a file while the router serves.
//!
//! `cargo run -p rimguard-ipfilter --example office_allowlist`

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use http::Request;
use rimguard_core::ClientIp;
use rimguard_ipfilter::{IpListConfig, IpListRegistry};
use tower::ServiceExt;

const CONFIG: &str = r#"
[office]
allow = ["2001:db8:1::/48"]
file = "office.txt"
watch_interval = "50ms"

[webhook-providers]
allow = ["198.51.100.0/24"]
status = 404
"#;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .init();

    let dir =
        std::env::temp_dir().join(format!("rimguard-ipfilter-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("office.txt"),
        "# the shop\n203.0.113.0/24\ndeny 203.0.113.66\n",
    )?;

    let config: BTreeMap<String, IpListConfig> = toml::from_str(CONFIG)?;
    let lists = IpListRegistry::from_config(&config, Some(&dir))?;
    let _watchers = lists.watch()?;

    let admin = Router::new()
        .route("/admin/orders", get(|| async { "orders" }))
        .route_layer(lists.layer("office")?);
    let webhooks = Router::new()
        .route("/webhooks/whatsapp", post(|| async { "received" }))
        .route_layer(lists.layer("webhook-providers")?);
    let app = Router::new().merge(admin).merge(webhooks);

    for (method, path, ip) in [
        ("GET", "/admin/orders", "203.0.113.10"),
        ("GET", "/admin/orders", "203.0.113.66"),
        ("GET", "/admin/orders", "::ffff:203.0.113.10"),
        ("GET", "/admin/orders", "192.0.2.1"),
        ("POST", "/webhooks/whatsapp", "198.51.100.7"),
        ("POST", "/webhooks/whatsapp", "203.0.113.10"),
    ] {
        println!(
            "{method} {path} from {ip}: {}",
            send(&app, method, path, ip).await
        );
    }

    println!("-- the office moves to 192.0.2.0/24; the file is replaced");
    let staged = dir.join(".office.txt.new");
    std::fs::write(&staged, "192.0.2.0/24\n")?;
    std::fs::rename(&staged, dir.join("office.txt"))?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for ip in ["203.0.113.10", "192.0.2.1"] {
        println!(
            "GET /admin/orders from {ip}: {}",
            send(&app, "GET", "/admin/orders", ip).await
        );
    }

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

async fn send(app: &Router, method: &str, path: &str, ip: &str) -> u16 {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    // In a real stack, the client IP layer of rimguard-core sets this.
    request
        .extensions_mut()
        .insert(ClientIp::from_peer(ip.parse().unwrap()));
    app.clone()
        .oneshot(request)
        .await
        .unwrap()
        .status()
        .as_u16()
}
