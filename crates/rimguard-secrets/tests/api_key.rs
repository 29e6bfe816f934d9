//! The API-key layer: keys, slots, scopes and refusals.

use std::convert::Infallible;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderName, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use rimguard_core::{ApiKeyId, Layer, Rejection, ResponseBody};
use rimguard_secrets::ApiKeyLayer;
use rimguard_secrets::key::{ApiKey, Scopes};
use rimguard_secrets::rotation::{ApiKeys, KeySlots};
use rimguard_secrets::secret::SecretString;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};

const OLD: &str = "rg_live_old0123456789abcdefghij";
const NEW: &str = "rg_live_new0123456789abcdefghij";

fn key(id: &str, value: &str, scopes: Scopes) -> ApiKey {
    ApiKey::new(id, &SecretString::from(value), SystemTime::now())
        .unwrap()
        .with_scopes(scopes)
}

/// A service that answers with the id of the key the layer found.
fn service(
    layer: ApiKeyLayer,
) -> impl Service<Request<Empty<Bytes>>, Response = Response<ResponseBody<String>>, Error = BoxError>
+ Clone {
    ServiceBuilder::new().layer(layer).service(service_fn(
        |request: Request<Empty<Bytes>>| async move {
            let id = request
                .extensions()
                .get::<ApiKeyId>()
                .expect("the layer stores the key id")
                .clone();
            Ok::<_, BoxError>(Response::new(id.to_string()))
        },
    ))
}

fn request(method: Method, headers: &[(&str, &str)]) -> Request<Empty<Bytes>> {
    let mut builder = Request::builder().method(method).uri("/orders");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Empty::new()).unwrap()
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

async fn send(
    service: &(
         impl Service<Request<Empty<Bytes>>, Response = Response<ResponseBody<String>>, Error = BoxError>
         + Clone
     ),
    request: Request<Empty<Bytes>>,
) -> (StatusCode, Option<Rejection>, Option<String>, Bytes) {
    let response = service.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let rejection = response.extensions().get::<Rejection>().cloned();
    let www = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, rejection, www, body)
}

#[tokio::test]
async fn a_valid_bearer_key_passes_with_its_id_in_the_extensions() {
    let service = service(ApiKeyLayer::new(ApiKeys::new(key(
        "bot-new",
        NEW,
        Scopes::READ,
    ))));
    let (status, rejection, _, body) = send(
        &service,
        request(Method::GET, &[("authorization", &bearer(NEW))]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(rejection.is_none());
    assert_eq!(&body[..], b"bot-new");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let service = service(ApiKeyLayer::new(ApiKeys::new(key("k", NEW, Scopes::READ))));
    let value = format!("bearer   {NEW}");
    let (status, ..) = send(&service, request(Method::GET, &[("authorization", &value)])).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn missing_malformed_wrong_and_wrong_length_keys_get_the_same_401() {
    let service = service(ApiKeyLayer::new(ApiKeys::new(key("k", NEW, Scopes::READ))));
    let too_long = "x".repeat(4096);
    let mut one_off = NEW.to_owned();
    one_off.pop();
    one_off.push('k');
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("authorization", bearer(OLD))],
        vec![("authorization", bearer(&one_off))],
        vec![("authorization", bearer(&NEW[..NEW.len() - 1]))],
        vec![("authorization", bearer(&format!("{NEW}x")))],
        vec![("authorization", bearer("short"))],
        vec![("authorization", bearer(&too_long))],
        vec![("authorization", "Bearer".to_owned())],
        vec![("authorization", "Bearer ".to_owned())],
        vec![("authorization", format!("Basic {NEW}"))],
        vec![("authorization", NEW.to_owned())],
        vec![
            ("authorization", bearer(NEW)),
            ("authorization", bearer(NEW)),
        ],
        vec![("x-api-key", NEW.to_owned())],
    ];

    let mut bodies = Vec::new();
    for headers in &cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let (status, rejection, www, body) = send(&service, request(Method::GET, &headers)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{headers:?}");
        let rejection = rejection.expect("the rejection rides in the response extensions");
        assert_eq!(
            (rejection.layer(), rejection.code()),
            (Layer::ApiKey, "api-key-invalid")
        );
        assert_eq!(www.as_deref(), Some("Bearer realm=\"rimguard\""));
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "every 401 body is the same"
    );
    let problem: serde_json::Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(problem["status"], 401);
    assert_eq!(
        problem["type"],
        "urn:rimguard:problem:api-key:api-key-invalid"
    );
}

#[tokio::test]
async fn a_key_in_the_query_string_is_never_read() {
    let service = service(ApiKeyLayer::new(ApiKeys::new(key("k", NEW, Scopes::READ))));
    for uri in [
        format!("/orders?api_key={NEW}"),
        format!("/orders?access_token={NEW}"),
        format!("/orders?key={NEW}"),
    ] {
        let request = Request::get(uri).body(Empty::new()).unwrap();
        let (status, ..) = send(&service, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_named_header_is_read_instead_of_authorization() {
    let layer = ApiKeyLayer::new(ApiKeys::new(key("shop", NEW, Scopes::READ)))
        .with_header(HeaderName::from_static("x-api-key"));
    let service = service(layer);

    let (status, ..) = send(&service, request(Method::GET, &[("x-api-key", NEW)])).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, www, _) = send(
        &service,
        request(Method::GET, &[("authorization", &bearer(NEW))]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        www.as_deref(),
        Some("ApiKey realm=\"rimguard\", header=\"x-api-key\"")
    );
}

#[tokio::test]
async fn a_read_only_key_is_refused_on_methods_that_write() {
    let service = service(ApiKeyLayer::new(ApiKeys::new(key(
        "bot",
        NEW,
        Scopes::READ,
    ))));
    for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
        let (status, ..) = send(
            &service,
            request(method.clone(), &[("authorization", &bearer(NEW))]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{method}");
    }
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let (status, rejection, www, _) = send(
            &service,
            request(method.clone(), &[("authorization", &bearer(NEW))]),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method}");
        assert_eq!(rejection.unwrap().code(), "api-key-scope");
        assert_eq!(
            www.as_deref(),
            Some("Bearer realm=\"rimguard\", error=\"insufficient_scope\"")
        );
    }
}

#[tokio::test]
async fn a_read_write_key_may_write_and_a_write_only_key_may_not_read() {
    let keys = ApiKeys::from_slots(
        KeySlots::new(key("rw", NEW, Scopes::READ_WRITE)).with_secondary(key(
            "w",
            OLD,
            Scopes::WRITE,
        )),
    );
    let service = service(ApiKeyLayer::new(keys));
    let (status, ..) = send(
        &service,
        request(Method::POST, &[("authorization", &bearer(NEW))]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, ..) = send(
        &service,
        request(Method::POST, &[("authorization", &bearer(OLD))]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, ..) = send(
        &service,
        request(Method::GET, &[("authorization", &bearer(OLD))]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn during_a_rotation_both_keys_work_and_afterwards_only_the_new_one() {
    let keys = ApiKeys::new(key("bot-old", OLD, Scopes::READ));
    let service = service(ApiKeyLayer::new(keys.clone()));
    let status_of = |k: &str| {
        let request = request(Method::GET, &[("authorization", &bearer(k))]);
        let service = service.clone();
        async move { send(&service, request).await }
    };

    assert_eq!(status_of(NEW).await.0, StatusCode::UNAUTHORIZED);

    keys.stage(key("bot-new", NEW, Scopes::READ));
    assert_eq!(&status_of(OLD).await.3[..], b"bot-old");
    assert_eq!(&status_of(NEW).await.3[..], b"bot-new");

    keys.promote().unwrap();
    assert_eq!(keys.slots().primary().unwrap().id().as_str(), "bot-new");
    assert_eq!(status_of(OLD).await.0, StatusCode::OK);
    assert_eq!(status_of(NEW).await.0, StatusCode::OK);

    let retired = keys.retire().unwrap();
    assert_eq!(retired.id().as_str(), "bot-old");
    assert_eq!(status_of(OLD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(&status_of(NEW).await.3[..], b"bot-new");
}

#[tokio::test]
async fn promoting_an_empty_secondary_slot_changes_nothing() {
    let keys = ApiKeys::new(key("only", NEW, Scopes::READ));
    assert!(keys.promote().is_err());
    assert_eq!(keys.slots().primary().unwrap().id().as_str(), "only");
    assert!(keys.retire().is_none());
}

#[tokio::test]
async fn the_layer_works_under_a_plain_hyper_server() {
    use hyper_util::rt::TokioIo;
    use tower::ServiceExt as _;

    let layer = ApiKeyLayer::new(ApiKeys::new(key("bot", NEW, Scopes::READ)));
    let app = ServiceBuilder::new().layer(layer).service(service_fn(
        |request: Request<hyper::body::Incoming>| async move {
            let id = request.extensions().get::<ApiKeyId>().unwrap().to_string();
            Ok::<_, Infallible>(Response::new(http_body_util::Full::new(Bytes::from(id))))
        },
    ));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let (stream, _) = listener.accept().await.unwrap();
            let app = app.clone();
            let hyper_service =
                hyper::service::service_fn(move |request| app.clone().oneshot(request));
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), hyper_service)
                .await
                .unwrap();
        }
    });

    for (authorization, expected) in [
        (bearer(NEW), StatusCode::OK),
        (bearer(OLD), StatusCode::UNAUTHORIZED),
    ] {
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let request = Request::get("/orders")
            .header("host", "127.0.0.1")
            .header("authorization", authorization)
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), expected);
    }
    server.await.unwrap();
}
