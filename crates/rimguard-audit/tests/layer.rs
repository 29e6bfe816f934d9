//! The audit layer writes one complete record per request.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Empty;
use rimguard_audit::{
    AuditContext, AuditLayer, AuditRecord, CaptureIdentityLayer, Direction, MemorySink, Outcome,
    QueryMask, RequestId,
};
use rimguard_core::{ApiKeyId, CallerPhone, ClientIp, Layer, Rejection, ResponseBody};
use tower::{ServiceBuilder, ServiceExt, service_fn};

type Body = ResponseBody<Empty<Bytes>>;

fn get(uri: &str) -> Request<()> {
    let mut req = Request::get(uri)
        .header("user-agent", "curl/8.5.0")
        .body(())
        .unwrap();
    req.extensions_mut()
        .insert(ClientIp::from_peer("203.0.113.7".parse().unwrap()));
    req
}

async fn ok(_req: Request<()>) -> Result<Response<Body>, Infallible> {
    Ok(Response::new(ResponseBody::inner(Empty::new())))
}

async fn one_record(layer: AuditLayer, sink: &MemorySink, req: Request<()>) -> AuditRecord {
    let service = ServiceBuilder::new().layer(layer).service_fn(ok);
    service.oneshot(req).await.unwrap();
    let mut records = sink.take();
    assert_eq!(records.len(), 1, "one record per request");
    records.remove(0)
}

#[tokio::test]
async fn an_allowed_request_has_a_complete_record() {
    let sink = MemorySink::new();
    let before = std::time::SystemTime::now();
    let record = one_record(
        AuditLayer::new(sink.clone()),
        &sink,
        get("/orders/42?token=s3cret&page=2"),
    )
    .await;

    assert!(record.time() >= before);
    assert_eq!(record.request_id().as_str().len(), 32);
    assert_eq!(record.direction(), Direction::Inbound);
    assert_eq!(record.method(), http::Method::GET);
    assert_eq!(record.path(), "/orders/42");
    assert_eq!(record.masked_target(), "/orders/42?token=***&page=2");
    assert_eq!(record.client_ip(), Some("203.0.113.7".parse().unwrap()));
    assert_eq!(record.status(), Some(StatusCode::OK));
    assert!(record.latency() < Duration::from_secs(5));
    assert_eq!(record.outcome(), Outcome::Allowed);
    assert_eq!(record.user_agent().as_deref(), Some("curl/8.5.0"));

    let json: serde_json::Value = serde_json::from_str(&record.to_json()).unwrap();
    for field in [
        "time",
        "request_id",
        "method",
        "target",
        "client_ip",
        "status",
        "latency_us",
        "outcome",
    ] {
        assert!(!json[field].is_null(), "{field} is set");
    }
    assert!(!record.to_json().contains("s3cret"));
}

#[tokio::test]
async fn a_refused_request_names_the_layer_and_the_reason_for_every_layer() {
    let layers = [
        (
            Layer::ClientIp,
            StatusCode::BAD_REQUEST,
            "client-ip-unresolved",
        ),
        (Layer::HttpsOnly, StatusCode::FORBIDDEN, "https-required"),
        (Layer::IpFilter, StatusCode::FORBIDDEN, "ip-denied"),
        (
            Layer::RateLimit,
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
        ),
        (Layer::ApiKey, StatusCode::UNAUTHORIZED, "invalid-key"),
        (
            Layer::WebhookSignature,
            StatusCode::UNAUTHORIZED,
            "bad-signature",
        ),
        (
            Layer::Phone,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-phone",
        ),
        (Layer::Other, StatusCode::FORBIDDEN, "custom"),
    ];
    for (layer, status, code) in layers {
        let sink = MemorySink::new();
        let refusing = service_fn(move |_req: Request<()>| async move {
            let rejection = Rejection::new(layer, status, code, "Refused");
            Ok::<_, Infallible>(rejection.into_response::<Empty<Bytes>>())
        });
        let service = ServiceBuilder::new()
            .layer(AuditLayer::new(sink.clone()))
            .service(refusing);
        service.oneshot(get("/orders")).await.unwrap();

        let record = sink.take().remove(0);
        assert_eq!(
            record.outcome(),
            Outcome::Refused { layer, code },
            "{layer}"
        );
        assert_eq!(record.status(), Some(status));
        let json: serde_json::Value = serde_json::from_str(&record.to_json()).unwrap();
        assert_eq!(json["outcome"], "refused");
        assert_eq!(json["refused_by"], layer.as_str());
        assert_eq!(json["reason"], code);
        assert!(!json["request_id"].is_null() && !json["client_ip"].is_null());
    }
}

#[tokio::test]
async fn a_well_formed_caller_request_id_is_kept_and_echoed() {
    let sink = MemorySink::new();
    let service = ServiceBuilder::new()
        .layer(AuditLayer::new(sink.clone()))
        .service_fn(ok);
    let mut req = get("/");
    req.headers_mut()
        .insert("x-request-id", "abc-123".parse().unwrap());
    let response = service.oneshot(req).await.unwrap();

    assert_eq!(response.headers()["x-request-id"], "abc-123");
    assert_eq!(sink.take()[0].request_id().as_str(), "abc-123");
}

#[tokio::test]
async fn a_malformed_caller_request_id_is_replaced() {
    let sink = MemorySink::new();
    let mut req = get("/");
    req.headers_mut()
        .insert("x-request-id", "a b \"c\"".parse().unwrap());
    let record = one_record(AuditLayer::new(sink.clone()), &sink, req).await;
    assert_ne!(record.request_id().as_str(), "a b \"c\"");
    assert_eq!(record.request_id().as_str().len(), 32);
}

#[tokio::test]
async fn the_service_sees_the_request_id_and_the_audit_context() {
    let sink = MemorySink::new();
    let service = ServiceBuilder::new()
        .layer(AuditLayer::new(sink.clone()))
        .service_fn(|req: Request<()>| async move {
            let id = *req
                .extensions()
                .get::<RequestId>()
                .expect("the layer sets a request id");
            let context = req
                .extensions()
                .get::<AuditContext>()
                .expect("and an audit context");
            context.set_api_key(ApiKeyId::new("handler-key"));
            context.set_phone(CallerPhone::from_e164("+447911123456").unwrap());
            let mut response = Response::new(ResponseBody::<Empty<Bytes>>::inner(Empty::new()));
            response
                .headers_mut()
                .insert("x-seen", id.to_header_value());
            Ok::<_, Infallible>(response)
        });
    let response = service.oneshot(get("/")).await.unwrap();

    let record = sink.take().remove(0);
    assert_eq!(response.headers()["x-seen"], record.request_id().as_str());
    assert_eq!(record.api_key().unwrap().as_str(), "handler-key");
    assert_eq!(record.phone().unwrap().to_string(), "+••••••••3456");
    assert!(!record.to_json().contains("7911123456"));
}

#[tokio::test]
async fn identities_in_the_response_extensions_are_recorded() {
    let sink = MemorySink::new();
    let refusing = service_fn(|_req: Request<()>| async {
        let mut response = Rejection::new(
            Layer::RateLimit,
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too Many",
        )
        .into_response::<Empty<Bytes>>();
        response.extensions_mut().insert(ApiKeyId::new("bot"));
        response
            .extensions_mut()
            .insert(CallerPhone::from_e164("+442079460958").unwrap());
        Ok::<_, Infallible>(response)
    });
    let service = ServiceBuilder::new()
        .layer(AuditLayer::new(sink.clone()))
        .service(refusing);
    service.oneshot(get("/")).await.unwrap();

    let record = sink.take().remove(0);
    assert_eq!(record.api_key().unwrap().as_str(), "bot");
    assert_eq!(record.phone().unwrap().to_string(), "+••••••••0958");
}

#[tokio::test]
async fn the_capture_layer_copies_identities_set_by_inner_layers() {
    let sink = MemorySink::new();
    let service = ServiceBuilder::new()
        .layer(AuditLayer::new(sink.clone()))
        .map_request(|mut req: Request<()>| {
            req.extensions_mut().insert(ApiKeyId::new("bot-secondary"));
            req.extensions_mut()
                .insert(CallerPhone::from_e164("+14155550100").unwrap());
            req
        })
        .layer(CaptureIdentityLayer::new())
        .service_fn(ok);
    service.oneshot(get("/")).await.unwrap();

    let record = sink.take().remove(0);
    assert_eq!(record.api_key().unwrap().as_str(), "bot-secondary");
    assert_eq!(record.phone().unwrap().to_string(), "+•••••••0100");
}

#[tokio::test]
async fn a_failing_service_is_recorded_as_an_error_without_status() {
    let sink = MemorySink::new();
    let failing =
        service_fn(|_req: Request<()>| async { Err::<Response<Body>, _>("upstream down") });
    let service = ServiceBuilder::new()
        .layer(AuditLayer::new(sink.clone()))
        .service(failing);
    assert!(service.oneshot(get("/")).await.is_err());

    let record = sink.take().remove(0);
    assert_eq!(record.outcome(), Outcome::Error);
    assert_eq!(record.status(), None);
    assert!(record.to_json().contains(r#""status":null"#));
}

#[tokio::test]
async fn a_request_dropped_before_its_response_is_recorded_as_cancelled() {
    let sink = MemorySink::new();
    let slow = service_fn(|_req: Request<()>| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        ok(Request::new(())).await
    });
    let service = ServiceBuilder::new()
        .layer(AuditLayer::new(sink.clone()))
        .service(slow);
    let call = service.oneshot(get("/slow"));
    assert!(
        tokio::time::timeout(Duration::from_millis(10), call)
            .await
            .is_err()
    );

    let record = sink.take().remove(0);
    assert_eq!(record.outcome(), Outcome::Cancelled);
    assert_eq!(record.path(), "/slow");
}

#[tokio::test]
async fn a_long_user_agent_is_cut() {
    let sink = MemorySink::new();
    let mut req = get("/");
    req.headers_mut()
        .insert("user-agent", "x".repeat(10_000).parse().unwrap());
    let layer = AuditLayer::new(sink.clone()).user_agent_max(64);
    let record = one_record(layer, &sink, req).await;
    assert_eq!(record.user_agent().unwrap().len(), 64);
}

#[tokio::test]
async fn configured_query_names_are_masked_and_others_kept() {
    let sink = MemorySink::new();
    let layer = AuditLayer::new(sink.clone()).mask(QueryMask::new(["order_secret"]));
    let record = one_record(layer, &sink, get("/a?order_secret=1&token=2")).await;
    assert_eq!(record.masked_target(), "/a?order_secret=***&token=2");
}

#[tokio::test]
async fn a_client_stack_records_the_upstream_call_and_sends_a_request_id() {
    let sink = MemorySink::new();
    let upstream = service_fn(|req: Request<()>| async move {
        assert!(
            req.headers().contains_key("x-request-id"),
            "the id travels upstream"
        );
        Ok::<_, Infallible>(Response::new(ResponseBody::<Empty<Bytes>>::inner(
            Empty::new(),
        )))
    });
    let client = ServiceBuilder::new()
        .layer(AuditLayer::client(sink.clone()))
        .service(upstream);
    let mut req = Request::get("https://shop.example/api/orders?phone=%2B447911123456")
        .body(())
        .unwrap();
    req.extensions_mut().insert(ApiKeyId::new("wix"));
    let response = client.oneshot(req).await.unwrap();
    assert!(!response.headers().contains_key("x-request-id"));

    let record = sink.take().remove(0);
    assert_eq!(record.direction(), Direction::Outbound);
    assert_eq!(record.host(), Some("shop.example"));
    assert_eq!(record.api_key().unwrap().as_str(), "wix");
    assert_eq!(record.masked_target(), "/api/orders?phone=***");
    let json: serde_json::Value = serde_json::from_str(&record.to_json()).unwrap();
    assert_eq!(json["direction"], "outbound");
    assert_eq!(json["host"], "shop.example");
    assert!(json["client_ip"].is_null());
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn inside_an_axum_router_the_route_template_is_recorded() {
    use axum::routing::get as route_get;
    let sink = MemorySink::new();
    let app = axum::Router::new()
        .route("/orders/{id}", route_get(|| async { "order" }))
        .layer(AuditLayer::new(sink.clone()));
    let req = Request::get("/orders/42")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let record = sink.take().remove(0);
    assert_eq!(record.route(), Some("/orders/{id}"));
    assert_eq!(record.path(), "/orders/42");
}

#[tokio::test]
async fn the_tracing_sink_emits_one_event_on_the_audit_target() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let service = ServiceBuilder::new()
        .layer(AuditLayer::new(rimguard_audit::TracingSink::new()))
        .service_fn(ok);
    service.oneshot(get("/orders?token=s3cret")).await.unwrap();

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let event: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(event["target"], "rimguard::audit");
    assert_eq!(event["fields"]["outcome"], "allowed");
    assert_eq!(event["fields"]["target"], "/orders?token=***");
    assert!(!text.contains("s3cret"));
}
