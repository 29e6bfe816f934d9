//! End to end: an axum server on 127.0.0.1 behind the client IP layer and
//! the audit layer, called over real TCP, leaves a verified audit file.
#![cfg(feature = "axum")]

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use rimguard_audit::{AuditLayer, FileSink, verify};
use rimguard_core::client_ip::ClientIpLayer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn call(addr: SocketAddr, target: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: shop\r\nUser-Agent: e2e/1.0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_server_writes_one_verified_record_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    let (sink, guard) = FileSink::builder(&path).build().unwrap();

    let app = Router::new()
        .route("/orders/{id}", get(|| async { "order" }))
        .layer(AuditLayer::new(sink.clone()))
        .layer(ClientIpLayer::peer_only());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service).await.unwrap();
    });

    let ok = call(addr, "/orders/42?token=s3cret").await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.to_ascii_lowercase().contains("x-request-id: "));
    let missing = call(addr, "/nowhere").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");

    tokio::time::timeout(
        Duration::from_secs(10),
        tokio::task::spawn_blocking(move || sink.flush()),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    server.abort();
    tokio::task::spawn_blocking(move || guard.shutdown())
        .await
        .unwrap()
        .unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["route"], "/orders/{id}");
    assert_eq!(records[0]["target"], "/orders/42?token=***");
    assert_eq!(records[0]["client_ip"], "127.0.0.1");
    assert_eq!(records[0]["status"], 200);
    assert_eq!(records[0]["user_agent"], "e2e/1.0");
    assert_eq!(records[1]["status"], 404);
    assert!(!text.contains("s3cret"));
    assert!(verify(&path).unwrap().is_intact());
}
