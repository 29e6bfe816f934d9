//! The layer's behaviour with a controlled clock.

use std::convert::Infallible;
use std::num::NonZeroU32;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use rimguard_core::{ApiKeyId, CallerPhone, ClientIp, Rejection};
use rimguard_ratelimit::{
    ApiKeyIdKey, ClientIpKey, FakeClock, HeaderKey, Headers, OnMissingKey, PhoneKey, Policy, Quota,
    RateLimitBuilder, RateLimitLayer, RouteAnd, key_fn,
};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

type Body = Empty<Bytes>;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

async fn ok(_: Request<Body>) -> Result<Response<Body>, Infallible> {
    Ok(Response::new(Body::new()))
}

fn from(ip: &str) -> Request<Body> {
    let mut request = Request::new(Body::new());
    request
        .extensions_mut()
        .insert(ClientIp::from_peer(ip.parse().unwrap()));
    request
}

/// A builder on a fake clock with no sweeper thread.
fn per_ip(clock: &FakeClock) -> RateLimitBuilder {
    RateLimitLayer::builder(ClientIpKey::new())
        .clock(clock.clone())
        .sweep_every(None)
}

struct Client<S> {
    service: S,
}

impl<S> Client<S>
where
    S: Service<
            Request<Body>,
            Response = Response<rimguard_core::ResponseBody<Body>>,
            Error = Infallible,
        >,
{
    async fn send(
        &mut self,
        request: Request<Body>,
    ) -> Response<rimguard_core::ResponseBody<Body>> {
        self.service
            .ready()
            .await
            .unwrap()
            .call(request)
            .await
            .unwrap()
    }

    async fn status(&mut self, request: Request<Body>) -> u16 {
        self.send(request).await.status().as_u16()
    }
}

fn client(
    layer: RateLimitLayer,
) -> Client<
    impl Service<
        Request<Body>,
        Response = Response<rimguard_core::ResponseBody<Body>>,
        Error = Infallible,
    >,
> {
    Client {
        service: ServiceBuilder::new().layer(layer).service(service_fn(ok)),
    }
}

#[tokio::test]
async fn a_client_gets_its_burst_then_one_request_per_emission_interval() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_second(nz(3)))
        .build()
        .unwrap();
    let mut client = client(layer);

    for _ in 0..3 {
        assert_eq!(client.status(from("192.0.2.1")).await, 200);
    }
    assert_eq!(client.status(from("192.0.2.1")).await, 429);

    clock.advance(Duration::from_nanos(333_333_332));
    assert_eq!(client.status(from("192.0.2.1")).await, 429);
    clock.advance(Duration::from_nanos(1));
    assert_eq!(client.status(from("192.0.2.1")).await, 200);
    assert_eq!(client.status(from("192.0.2.1")).await, 429);

    clock.advance(Duration::from_secs(1));
    for _ in 0..3 {
        assert_eq!(client.status(from("192.0.2.1")).await, 200);
    }
}

#[tokio::test]
async fn each_client_has_its_own_quota() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_minute(nz(1)))
        .build()
        .unwrap();
    let mut client = client(layer);

    assert_eq!(client.status(from("192.0.2.1")).await, 200);
    assert_eq!(client.status(from("192.0.2.1")).await, 429);
    assert_eq!(client.status(from("192.0.2.2")).await, 200);
    assert_eq!(client.status(from("2001:db8::1")).await, 200);
    assert_eq!(client.status(from("2001:db8::2")).await, 429, "same /64");
}

#[tokio::test]
async fn a_refusal_is_problem_json_with_retry_after_rounded_up_and_the_ratelimit_fields() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .policy(Policy::new("burst", Quota::per_minute(nz(100)).with_burst(nz(2))).unwrap())
        .build()
        .unwrap();
    let mut client = client(layer);
    client.send(from("192.0.2.1")).await;
    client.send(from("192.0.2.1")).await;

    let refused = client.send(from("192.0.2.1")).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        refused.headers()["retry-after"],
        "1",
        "600 ms rounds up to 1 s, never 0"
    );
    assert_eq!(
        refused.headers()["ratelimit-policy"],
        "\"burst\";q=100;w=60"
    );
    assert_eq!(refused.headers()["ratelimit"], "\"burst\";r=0;t=1");
    let rejection = refused.extensions().get::<Rejection>().unwrap();
    assert_eq!(rejection.code(), "rate-limited");

    let body = refused.into_body().collect().await.unwrap().to_bytes();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["status"], 429);
    assert_eq!(
        problem["type"],
        "urn:rimguard:problem:rate-limit:rate-limited"
    );
}

#[tokio::test]
async fn retry_after_is_the_wait_in_seconds_rounded_up() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_minute(nz(2)))
        .build()
        .unwrap();
    let mut client = client(layer);
    client.send(from("192.0.2.1")).await;
    client.send(from("192.0.2.1")).await;

    let refused = client.send(from("192.0.2.1")).await;
    assert_eq!(refused.headers()["retry-after"], "30");
    clock.advance(Duration::from_millis(29_001));
    let refused = client.send(from("192.0.2.1")).await;
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(refused.headers()["ratelimit"], "\"default\";r=0;t=1");
}

#[tokio::test]
async fn allowed_responses_carry_the_fields_when_asked() {
    let clock = FakeClock::new();
    let quiet = per_ip(&clock)
        .quota(Quota::per_minute(nz(10)))
        .build()
        .unwrap();
    let response = client(quiet).send(from("192.0.2.1")).await;
    assert!(response.headers().get("ratelimit").is_none());

    let loud = per_ip(&clock)
        .quota(Quota::per_minute(nz(10)))
        .headers(Headers::Always)
        .build()
        .unwrap();
    let response = client(loud).send(from("192.0.2.1")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["ratelimit-policy"],
        "\"default\";q=10;w=60"
    );
    assert_eq!(response.headers()["ratelimit"], "\"default\";r=9;t=6");
}

#[tokio::test]
async fn every_policy_must_allow_a_request() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .policy(Policy::new("burst", Quota::per_second(nz(10))).unwrap())
        .policy(Policy::new("daily", Quota::per_day(nz(3))).unwrap())
        .headers(Headers::Always)
        .build()
        .unwrap();
    let mut client = client(layer);

    for _ in 0..3 {
        assert_eq!(client.status(from("192.0.2.1")).await, 200);
    }
    clock.advance(Duration::from_secs(5));
    let refused = client.send(from("192.0.2.1")).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.headers()["ratelimit-policy"],
        "\"burst\";q=10;w=1, \"daily\";q=3;w=86400"
    );
    assert_eq!(
        refused.headers()["ratelimit"],
        "\"burst\";r=10;t=0, \"daily\";r=0;t=28795"
    );
    assert_eq!(refused.headers()["retry-after"], "28795");
}

#[tokio::test]
async fn a_costly_request_takes_its_cost_from_the_quota() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_minute(nz(10)))
        .cost_fn(|request| {
            if request.method() == Method::POST {
                4
            } else {
                1
            }
        })
        .build()
        .unwrap();
    let mut client = client(layer);
    let post = || {
        let mut request = from("192.0.2.1");
        *request.method_mut() = Method::POST;
        request
    };

    assert_eq!(client.status(post()).await, 200);
    assert_eq!(client.status(post()).await, 200);
    assert_eq!(
        client.status(post()).await,
        429,
        "8 of 10 used, 4 more do not fit"
    );
    assert_eq!(client.status(from("192.0.2.1")).await, 200);
    assert_eq!(client.status(from("192.0.2.1")).await, 200);
    assert_eq!(client.status(from("192.0.2.1")).await, 429);
}

#[test]
fn a_fixed_cost_above_the_burst_is_refused_at_build_time() {
    let error = RateLimitLayer::builder(ClientIpKey::new())
        .quota(Quota::per_minute(nz(10)).with_burst(nz(2)))
        .cost(nz(3))
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "cost");
}

#[tokio::test]
async fn exempt_networks_and_keys_are_never_limited() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_minute(nz(1)))
        .exempt_network("10.0.0.0/8".parse().unwrap())
        .build()
        .unwrap();
    let stats = layer.clone();
    let mut client = client(layer);
    for _ in 0..5 {
        assert_eq!(client.status(from("10.1.2.3")).await, 200);
    }
    assert_eq!(stats.stats().exempt, 5);

    let by_key = RateLimitLayer::builder(ApiKeyIdKey)
        .clock(clock.clone())
        .sweep_every(None)
        .quota(Quota::per_minute(nz(1)))
        .exempt_key("monitoring")
        .build()
        .unwrap();
    let mut client = self::client(by_key);
    let with_key = |id: &str| {
        let mut request = Request::new(Body::new());
        request.extensions_mut().insert(ApiKeyId::new(id));
        request
    };
    for _ in 0..5 {
        assert_eq!(client.status(with_key("monitoring")).await, 200);
    }
    assert_eq!(client.status(with_key("bot")).await, 200);
    assert_eq!(client.status(with_key("bot")).await, 429);
}

#[tokio::test]
async fn only_the_filtered_methods_and_paths_are_limited() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_minute(nz(1)))
        .methods([Method::POST])
        .path_prefix("/pay")
        .build()
        .unwrap();
    let mut client = client(layer);
    let request = |method: Method, path: &str| {
        let mut request = from("192.0.2.1");
        *request.method_mut() = method;
        *request.uri_mut() = path.parse().unwrap();
        request
    };

    for _ in 0..3 {
        assert_eq!(client.status(request(Method::GET, "/pay")).await, 200);
        assert_eq!(client.status(request(Method::POST, "/orders")).await, 200);
    }
    assert_eq!(client.status(request(Method::POST, "/pay")).await, 200);
    assert_eq!(client.status(request(Method::POST, "/payments")).await, 429);
}

#[tokio::test]
async fn shadow_mode_counts_what_it_would_refuse_and_refuses_nothing() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_minute(nz(2)))
        .shadow(true)
        .build()
        .unwrap();
    let stats = layer.clone();
    let mut client = client(layer);
    for _ in 0..5 {
        assert_eq!(client.status(from("192.0.2.1")).await, 200);
    }
    assert_eq!(stats.stats().allowed, 2);
    assert_eq!(stats.stats().shadow_limited, 3);
    assert_eq!(stats.stats().limited, 0);
}

#[tokio::test]
async fn a_request_without_a_key_is_refused_or_let_through_as_configured_never_a_500() {
    let clock = FakeClock::new();
    for (on_missing, status) in [
        (OnMissingKey::BadRequest, 400),
        (OnMissingKey::Unauthorized, 401),
        (OnMissingKey::Allow, 200),
    ] {
        let layer = RateLimitLayer::builder(PhoneKey)
            .clock(clock.clone())
            .sweep_every(None)
            .quota(Quota::per_minute(nz(1)))
            .on_missing_key(on_missing)
            .build()
            .unwrap();
        let stats = layer.clone();
        let response = client(layer).send(Request::new(Body::new())).await;
        assert_eq!(response.status().as_u16(), status);
        if status != 200 {
            let rejection = response.extensions().get::<Rejection>().unwrap();
            assert_eq!(rejection.code(), "rate-limit-key-missing");
        }
        assert_eq!(stats.stats().missing_key, 1);
    }
}

#[tokio::test]
async fn phone_header_route_and_custom_keys_each_count_their_own_clients() {
    let clock = FakeClock::new();
    let build = |builder: RateLimitBuilder| {
        builder
            .clock(clock.clone())
            .sweep_every(None)
            .quota(Quota::per_minute(nz(1)))
            .build()
            .unwrap()
    };
    let phone = |number: &str| {
        let mut request = Request::new(Body::new());
        request
            .extensions_mut()
            .insert(CallerPhone::from_e164(number).unwrap());
        request
    };
    let mut by_phone = client(build(RateLimitLayer::builder(PhoneKey)));
    assert_eq!(by_phone.status(phone("+447911123456")).await, 200);
    assert_eq!(by_phone.status(phone("+447911123456")).await, 429);
    assert_eq!(by_phone.status(phone("+447911123457")).await, 200);

    let tenant = |t: &str, path: &str| {
        Request::builder()
            .uri(path)
            .header("x-tenant", t)
            .body(Body::new())
            .unwrap()
    };
    let mut by_header = client(build(RateLimitLayer::builder(HeaderKey::new(
        "x-tenant".parse().unwrap(),
    ))));
    assert_eq!(by_header.status(tenant("a", "/")).await, 200);
    assert_eq!(by_header.status(tenant("a", "/")).await, 429);
    assert_eq!(by_header.status(tenant("b", "/")).await, 200);

    let mut by_route = client(build(RateLimitLayer::builder(RouteAnd(HeaderKey::new(
        "x-tenant".parse().unwrap(),
    )))));
    assert_eq!(by_route.status(tenant("a", "/orders")).await, 200);
    assert_eq!(by_route.status(tenant("a", "/payments")).await, 200);
    assert_eq!(by_route.status(tenant("a", "/orders")).await, 429);

    let mut custom = client(build(RateLimitLayer::builder(key_fn(
        |r: &rimguard_ratelimit::RequestView<'_>| r.uri().query().map(str::to_owned),
    ))));
    let query = |q: &str| {
        Request::builder()
            .uri(format!("/?{q}"))
            .body(Body::new())
            .unwrap()
    };
    assert_eq!(custom.status(query("u=1")).await, 200);
    assert_eq!(custom.status(query("u=1")).await, 429);
    assert_eq!(custom.status(query("u=2")).await, 200);
}

#[tokio::test]
async fn the_sweep_forgets_clients_whose_state_is_stale() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_second(nz(1)))
        .build()
        .unwrap();
    let stats = layer.clone();
    let mut client = client(layer);
    client.send(from("192.0.2.1")).await;
    client.send(from("192.0.2.2")).await;
    assert_eq!(stats.stats().keys, 2);

    clock.advance(Duration::from_millis(999));
    assert_eq!(stats.sweep(), 0);
    clock.advance(Duration::from_millis(1));
    assert_eq!(stats.sweep(), 2);
    assert_eq!(stats.stats().keys, 0);
    assert_eq!(stats.stats().swept, 2);
}

#[tokio::test]
async fn the_background_sweeper_runs_by_itself_and_stops() {
    let layer = RateLimitLayer::builder(ClientIpKey::new())
        .quota(Quota::new(nz(1), Duration::from_millis(10)).unwrap())
        .sweep_every(Some(Duration::from_millis(20)))
        .build()
        .unwrap();
    let stats = layer.clone();
    client(layer).send(from("192.0.2.1")).await;
    assert_eq!(stats.stats().keys, 1);

    for _ in 0..200 {
        if stats.stats().keys == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(stats.stats().keys, 0);
    stats.stop_sweeper();
}

#[tokio::test]
async fn a_full_table_told_to_refuse_answers_new_keys_with_429_and_counts_them() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_minute(nz(10)))
        .max_keys(64)
        .when_full(rimguard_ratelimit::WhenFull::Refuse)
        .build()
        .unwrap();
    let stats = layer.clone();
    let mut client = client(layer);

    let mut refused = None;
    for i in 0..1000u32 {
        let response = client
            .send(from(&format!("10.0.{}.{}", i / 256, i % 256)))
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("a 64-key table refuses some of 1000 new keys");
    assert_eq!(
        refused.extensions().get::<Rejection>().unwrap().code(),
        "rate-limit-capacity"
    );
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(stats.stats().refused_full, 1);
    assert_eq!(stats.stats().evicted, 0);
    assert!(stats.stats().keys <= 64);
}

#[tokio::test]
async fn a_full_table_told_to_evict_admits_every_new_key_and_counts_the_evictions() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_minute(nz(10)))
        .max_keys(64)
        .build()
        .unwrap();
    let stats = layer.clone();
    let mut client = client(layer);
    for i in 0..1000u32 {
        let status = client
            .status(from(&format!("10.0.{}.{}", i / 256, i % 256)))
            .await;
        assert_eq!(status, 200);
    }
    assert_eq!(stats.stats().keys, 64);
    assert_eq!(stats.stats().evicted, 1000 - 64);
}

#[tokio::test]
async fn shadow_mode_never_refuses_even_when_the_table_is_full() {
    let clock = FakeClock::new();
    let layer = per_ip(&clock)
        .quota(Quota::per_minute(nz(10)))
        .max_keys(64)
        .when_full(rimguard_ratelimit::WhenFull::Refuse)
        .shadow(true)
        .build()
        .unwrap();
    let stats = layer.clone();
    let mut client = client(layer);
    for i in 0..1000u32 {
        let status = client
            .status(from(&format!("10.0.{}.{}", i / 256, i % 256)))
            .await;
        assert_eq!(status, 200);
    }
    assert!(stats.stats().refused_full > 0);
    assert_eq!(stats.stats().shadow_limited, stats.stats().refused_full);
}
