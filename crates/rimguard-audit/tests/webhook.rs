//! Webhook alerts reach a real HTTP server on 127.0.0.1, with retries.
#![cfg(feature = "webhook")]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rimguard_audit::{Alert, AlertKind, Alerts, RequestId, WebhookAlerts};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

struct Received {
    path: String,
    content_type: String,
    body: serde_json::Value,
}

/// Serves on 127.0.0.1:0; answers 500 to the first `failures` requests.
async fn server(failures: usize) -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (tx, seen) = (tx.clone(), seen.clone());
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let (tx, seen) = (tx.clone(), seen.clone());
                async move {
                    let path = req.uri().path().to_owned();
                    let content_type = req.headers()["content-type"].to_str().unwrap().to_owned();
                    let bytes = req.into_body().collect().await.unwrap().to_bytes();
                    let n = seen.fetch_add(1, Ordering::SeqCst);
                    let status = if n < failures {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    };
                    if status == StatusCode::OK {
                        let body = serde_json::from_slice(&bytes).unwrap();
                        let _ = tx.send(Received {
                            path,
                            content_type,
                            body,
                        });
                    }
                    let mut response = Response::new(Full::new(Bytes::new()));
                    *response.status_mut() = status;
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    (format!("http://{addr}/alerts"), rx)
}

fn alert() -> Alert {
    Alert::new(
        AlertKind::PhoneEnumeration,
        "enumeration",
        "client-ip 203.0.113.7",
        "more than 10 distinct phone numbers within 10m",
    )
    .with_request_id(RequestId::parse("req-1").unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_is_posted_as_json_to_the_webhook() {
    let (url, mut received) = server(0).await;
    let webhook = WebhookAlerts::new(&url).unwrap();
    let (alerts, guard) = Alerts::builder().sink(webhook).spawn().unwrap();

    alerts.send(alert());
    let got = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.path, "/alerts");
    assert_eq!(got.content_type, "application/json");
    assert_eq!(got.body["kind"], "phone-enumeration");
    assert_eq!(got.body["rule"], "enumeration");
    assert_eq!(got.body["subject"], "client-ip 203.0.113.7");
    assert_eq!(got.body["request_id"], "req-1");
    assert!(got.body["time"].as_str().unwrap().ends_with('Z'));

    tokio::task::spawn_blocking(move || guard.shutdown())
        .await
        .unwrap();
    assert_eq!(alerts.failed(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried() {
    let (url, mut received) = server(2).await;
    let webhook = WebhookAlerts::new(&url)
        .unwrap()
        .retries(3)
        .backoff(Duration::from_millis(10));
    let (alerts, guard) = Alerts::builder().sink(webhook).spawn().unwrap();

    alerts.send(alert());
    let got = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.body["kind"], "phone-enumeration");
    tokio::task::spawn_blocking(move || guard.shutdown())
        .await
        .unwrap();
    assert_eq!(alerts.failed(), 0, "the third attempt succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_never_answers_times_out_and_is_counted() {
    // A listener that accepts and never replies.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let webhook = WebhookAlerts::new(&url)
        .unwrap()
        .timeout(Duration::from_millis(100))
        .retries(1)
        .backoff(Duration::from_millis(10));
    let (alerts, guard) = Alerts::builder().sink(webhook).spawn().unwrap();

    alerts.send(alert());
    tokio::task::spawn_blocking(move || guard.shutdown())
        .await
        .unwrap();
    assert_eq!(alerts.failed(), 1);
}

#[test]
fn sending_never_blocks_and_a_full_queue_counts_what_it_drops() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = std::sync::Mutex::new(rx);
    let blocking = rimguard_audit::FnAlerts::new(move |_alert: &Alert| {
        let _ = rx.lock().unwrap().recv();
    });
    let (alerts, guard) = Alerts::builder()
        .sink(blocking)
        .capacity(std::num::NonZeroUsize::new(2).unwrap())
        .spawn()
        .unwrap();

    let started = std::time::Instant::now();
    for _ in 0..50 {
        alerts.send(alert());
    }
    assert!(alerts.dropped() >= 47, "dropped {}", alerts.dropped());
    assert_eq!(alerts.sent() + alerts.dropped(), 50);
    drop(tx);
    guard.shutdown();
    assert!(started.elapsed() < Duration::from_secs(30));
}
