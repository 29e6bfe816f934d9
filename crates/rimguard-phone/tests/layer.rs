//! PhoneLayer: extraction from every source, policy decisions, and what a refusal reveals.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use rimguard_core::{CallerPhone, Rejection};
use rimguard_phone::layer::{ScopedSender, Validity};
use rimguard_phone::{NumberType, PhoneLayer, PhonePolicy, PhoneSource, Region, ValidatedPhone};
use tower::{ServiceBuilder, ServiceExt};

/// Answers with the caller's E.164 number (or "none") and the body it received.
async fn echo(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let phone = request
        .extensions()
        .get::<CallerPhone>()
        .map(|p| p.as_e164().to_owned());
    let validated = request
        .extensions()
        .get::<ValidatedPhone>()
        .map(|v| v.number_type());
    let scoped = request.extensions().get::<ScopedSender>().is_some();
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let text = format!(
        "{}|{:?}|{scoped}|{}",
        phone.unwrap_or_else(|| "none".into()),
        validated,
        String::from_utf8_lossy(&body)
    );
    Ok(Response::new(Full::new(Bytes::from(text))))
}

async fn send(
    layer: PhoneLayer,
    request: Request<Full<Bytes>>,
) -> (StatusCode, String, Option<Rejection>) {
    let service = ServiceBuilder::new().layer(layer).service_fn(echo);
    let response = service.oneshot(request).await.unwrap();
    let status = response.status();
    let rejection = response.extensions().get::<Rejection>().cloned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&body).into_owned(),
        rejection,
    )
}

fn header(value: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .uri("/lookup")
        .header("x-phone", value)
        .body(Full::default())
        .unwrap()
}

fn gb() -> Region {
    Region::new("GB").unwrap()
}

fn by_header() -> PhoneLayer {
    PhoneLayer::new(PhoneSource::Header("x-phone".parse().unwrap())).default_region(gb())
}

#[tokio::test]
async fn a_valid_number_reaches_the_service_as_e164() {
    let (status, body, _) = send(by_header(), header("07911 123456")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "+447911123456|Some(Mobile)|false|");
}

#[tokio::test]
async fn an_invalid_number_gets_422_without_the_number() {
    let (status, body, rejection) = send(by_header(), header("+44 20 7946 095")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rejection.unwrap().code(), "phone-invalid");
    assert!(!body.contains("7946"), "{body}");
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["type"], "urn:rimguard:problem:phone:phone-invalid");
}

#[tokio::test]
async fn a_possible_policy_accepts_what_a_valid_policy_refuses() {
    let layer = by_header().policy(PhonePolicy::default().validity(Validity::Possible));
    let (status, _, _) = send(layer, header("+44 20 7946 095")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_missing_number_is_refused_unless_optional() {
    let request = || Request::builder().uri("/").body(Full::default()).unwrap();
    let (status, _, rejection) = send(by_header(), request()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rejection.unwrap().code(), "phone-missing");
    let (status, body, _) = send(by_header().optional(), request()).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "none|None|false|")
    );
}

#[tokio::test]
async fn strict_parsing_refuses_hidden_characters_by_default() {
    let (_, _, rejection) = send(by_header(), header("+44 20 7946 0958\u{200B}")).await;
    assert_eq!(rejection.unwrap().code(), "phone-forbidden-character");
    let lenient = by_header().strictness(rimguard_phone::Strictness::Lenient);
    let (status, _, _) = send(lenient, header("+44 20 7946 0958\u{200B}")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn regions_and_types_are_enforced() {
    let only_gb = by_header().policy(PhonePolicy::default().regions([gb()]));
    let (_, _, rejection) = send(only_gb.clone(), header("+1 202 555 0173")).await;
    assert_eq!(rejection.unwrap().code(), "phone-region-not-allowed");
    assert_eq!(
        send(only_gb, header("020 7946 0958")).await.0,
        StatusCode::OK
    );

    let mobiles = by_header().policy(PhonePolicy::default().types([NumberType::Mobile]));
    let (_, _, rejection) = send(mobiles.clone(), header("020 7946 0958")).await;
    assert_eq!(rejection.unwrap().code(), "phone-type-not-allowed");
    assert_eq!(
        send(mobiles, header("07911 123456")).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_number_can_come_from_a_path_segment_or_query() {
    let path = PhoneLayer::new(PhoneSource::PathSegment(1));
    let request = Request::builder()
        .uri("/customers/%2B447911123456/orders")
        .body(Full::default())
        .unwrap();
    assert!(send(path, request).await.1.starts_with("+447911123456|"));

    let query = PhoneLayer::new(PhoneSource::Query("phone".into()));
    let request = Request::builder()
        .uri("/find?x=1&phone=%2B44%207911%20123456")
        .body(Full::default())
        .unwrap();
    assert!(send(query, request).await.1.starts_with("+447911123456|"));
}

fn json(body: &'static str) -> Request<Full<Bytes>> {
    Request::builder()
        .method("POST")
        .uri("/orders")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

fn by_json(max_body: usize) -> PhoneLayer {
    PhoneLayer::new(PhoneSource::JsonBody {
        pointer: "/customer/phone".into(),
        max_body,
    })
    .default_region(gb())
}

#[tokio::test]
async fn a_json_field_is_read_and_the_body_handed_on_intact() {
    let body = r#"{"customer": {"phone": "07911 123456"}, "items": [1, 2]}"#;
    let (status, echoed, _) = send(by_json(1024), json(body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(echoed, format!("+447911123456|Some(Mobile)|false|{body}"));
}

#[tokio::test]
async fn json_bodies_that_are_too_large_missing_or_broken_are_refused() {
    let body = r#"{"customer": {"phone": "07911 123456"}}"#;
    let (status, _, rejection) = send(by_json(10), json(body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(rejection.unwrap().code(), "phone-body-too-large");

    let (_, _, rejection) = send(by_json(1024), json(r#"{"customer": {}}"#)).await;
    assert_eq!(rejection.unwrap().code(), "phone-missing");

    let (_, _, rejection) = send(by_json(1024), json("not json")).await;
    assert_eq!(rejection.unwrap().code(), "phone-body-not-json");
}

#[tokio::test]
async fn whatsapp_ids_and_business_scoped_ids() {
    let layer = PhoneLayer::new(PhoneSource::JsonBody {
        pointer: "/from".into(),
        max_body: 1024,
    })
    .whatsapp_ids();
    let (status, body, _) = send(layer.clone(), json(r#"{"from": "447911123456"}"#)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("+447911123456|"), "{body}");

    let (status, body, _) = send(
        layer.clone(),
        json(r#"{"from": "US.13491208655302741918"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("none|None|true|"), "{body}");

    let (_, _, rejection) = send(layer, json(r#"{"from": "+44 7911 123456"}"#)).await;
    assert_eq!(rejection.unwrap().code(), "phone-surrounding-text");
}

#[tokio::test]
async fn a_config_builds_the_same_layer() {
    let config: rimguard_phone::PhoneConfig = toml::from_str(
        r#"
        default_region = "GB"
        policy = "valid"
        regions = ["GB"]
        types = ["mobile"]
        source = { header = "x-phone" }
        "#,
    )
    .unwrap();
    let layer = config.into_layer().unwrap();
    let (status, body, _) = send(layer.clone(), header("07400 123456")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        send(layer, header("020 7946 0958")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
