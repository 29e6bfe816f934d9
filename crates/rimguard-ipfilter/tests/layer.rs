//! The layer: refusals, fail-closed behaviour, 404 mode, dry run and logs.

mod common;

use bytes::Bytes;
use common::{Logs, anonymous, from, inner};
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http_body_util::BodyExt;
use rimguard_core::{Layer, Rejection, ResponseBody};
use rimguard_ipfilter::{IpFilter, IpFilterLayer, IpList, RefusalStatus};
use tower::{ServiceBuilder, ServiceExt, service_fn};

fn office() -> IpList {
    IpList::builder()
        .name("office")
        .allow("203.0.113.0/24")
        .deny("203.0.113.66")
        .build()
        .unwrap()
}

async fn body_of(response: http::Response<ResponseBody<http_body_util::Full<Bytes>>>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn an_allowed_client_reaches_the_service_untouched() {
    let service = ServiceBuilder::new()
        .layer(IpFilterLayer::new(office()))
        .service_fn(inner);
    let response = service.oneshot(from("203.0.113.10")).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.extensions().get::<Rejection>().is_none());
    assert_eq!(body_of(response).await, "inner");
}

#[tokio::test]
async fn a_client_outside_the_list_gets_a_403_problem_without_its_address() {
    let service = ServiceBuilder::new()
        .layer(IpFilterLayer::new(office()))
        .service_fn(inner);
    let response = service.oneshot(from("192.0.2.44")).await.unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let rejection = response.extensions().get::<Rejection>().unwrap().clone();
    assert_eq!(rejection.layer(), Layer::IpFilter);
    assert_eq!(rejection.code(), "ip-not-allowed");

    let body = body_of(response).await;
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 403);
    assert_eq!(problem["code"], "ip-not-allowed");
    assert!(
        !body.contains("192.0.2.44") && !body.contains("192.0.2"),
        "{body}"
    );
}

#[tokio::test]
async fn a_denied_client_is_refused_with_its_own_reason() {
    let service = ServiceBuilder::new()
        .layer(IpFilterLayer::new(office()))
        .service_fn(inner);
    let response = service.oneshot(from("203.0.113.66")).await.unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.extensions().get::<Rejection>().unwrap().code(),
        "ip-denied"
    );
}

#[tokio::test]
async fn a_request_without_a_client_ip_is_refused_never_let_through() {
    let (logs, _guard) = Logs::capture();
    let service = ServiceBuilder::new()
        .layer(IpFilterLayer::new(office()))
        .service_fn(inner);
    let response = service.oneshot(anonymous()).await.unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.extensions().get::<Rejection>().unwrap().code(),
        "client-ip-unknown"
    );
    let events = logs.lines_with("rimguard::ipfilter");
    assert_eq!(events.len(), 1, "{}", logs.text());
    assert!(
        events[0].contains("WARN") && events[0].contains("client-ip-unknown"),
        "{events:?}"
    );
}

#[tokio::test]
async fn even_a_blocklist_refuses_a_request_without_a_client_ip() {
    let blocklist = IpList::builder().deny("192.0.2.0/24").build().unwrap();
    let service = ServiceBuilder::new()
        .layer(IpFilterLayer::new(blocklist))
        .service_fn(inner);

    let response = service.clone().oneshot(anonymous()).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = service.oneshot(from("198.51.100.1")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_404_mode_hides_the_endpoint_but_tells_the_audit_layer_why() {
    let layer = IpFilterLayer::new(office()).status(RefusalStatus::NotFound);
    let service = ServiceBuilder::new().layer(layer).service_fn(inner);
    let response = service.oneshot(from("203.0.113.66")).await.unwrap();

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let rejection = response.extensions().get::<Rejection>().unwrap().clone();
    assert_eq!(
        (rejection.layer(), rejection.code()),
        (Layer::IpFilter, "ip-denied")
    );
    assert_eq!(rejection.status(), StatusCode::NOT_FOUND);

    let body = body_of(response).await;
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["title"], "Not Found");
    assert!(
        !body.contains("ip-"),
        "the body names neither filter nor reason: {body}"
    );
}

#[tokio::test]
async fn a_refusal_is_one_debug_event_without_the_address() {
    let (logs, _guard) = Logs::capture();
    let service = ServiceBuilder::new()
        .layer(IpFilterLayer::new(office()))
        .service_fn(inner);
    let response = service.oneshot(from("192.0.2.44")).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let events = logs.lines_with("rimguard::ipfilter");
    assert_eq!(events.len(), 1, "{}", logs.text());
    let event = &events[0];
    assert!(event.contains("DEBUG"), "{event}");
    for field in [
        "list=\"office\"",
        "code=\"ip-not-allowed\"",
        "status=403",
        "dry_run=false",
    ] {
        assert!(event.contains(field), "{field} missing in {event}");
    }
    assert!(!logs.text().contains("192.0.2.44"));
}

#[tokio::test]
async fn dry_run_lets_the_request_through_and_logs_what_it_would_refuse() {
    let (logs, _guard) = Logs::capture();
    let layer = IpFilterLayer::new(office()).dry_run(true);
    let service = ServiceBuilder::new().layer(layer).service_fn(inner);

    let response = service.clone().oneshot(from("192.0.2.44")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_of(response).await, "inner");
    let response = service.oneshot(from("203.0.113.10")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let events = logs.lines_with("rimguard::ipfilter");
    assert_eq!(
        events.len(),
        1,
        "only the would-be refusal is logged: {}",
        logs.text()
    );
    assert!(
        events[0].contains("INFO") && events[0].contains("would be refused"),
        "{events:?}"
    );
    assert!(events[0].contains("dry_run=true") && events[0].contains("ip-not-allowed"));
}

#[tokio::test]
async fn dry_run_passes_a_request_without_a_client_ip_but_warns() {
    let (logs, _guard) = Logs::capture();
    let layer = IpFilterLayer::new(office()).dry_run(true);
    let response = ServiceBuilder::new()
        .layer(layer)
        .service_fn(inner)
        .oneshot(anonymous())
        .await;
    assert_eq!(response.unwrap().status(), StatusCode::OK);
    let events = logs.lines_with("client-ip-unknown");
    assert_eq!(events.len(), 1, "{}", logs.text());
    assert!(events[0].contains("WARN") && events[0].contains("let through (dry run)"));
}

#[tokio::test]
async fn the_filter_keeps_the_inner_error_type() {
    #[derive(Debug, PartialEq)]
    struct Broken;
    let failing = service_fn(|_req: http::Request<http_body_util::Full<Bytes>>| async {
        Err::<http::Response<http_body_util::Full<Bytes>>, _>(Broken)
    });
    let service = ServiceBuilder::new()
        .layer(IpFilterLayer::new(office()))
        .service(failing);

    let error = service
        .clone()
        .oneshot(from("203.0.113.10"))
        .await
        .unwrap_err();
    assert_eq!(error, Broken);
    let refused = service.oneshot(from("192.0.2.1")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_service_can_be_built_without_a_layer() {
    let service = IpFilter::new(service_fn(inner), office());
    let refused = service.clone().oneshot(from("192.0.2.1")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let passed = service
        .into_inner()
        .oneshot(from("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(
        passed.status(),
        StatusCode::OK,
        "the unwrapped inner service does not filter"
    );
}
