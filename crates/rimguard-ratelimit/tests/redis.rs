//! The Redis backend against a real Redis.
//!
//! The shared Redis is found at `REDIS_URL` (default
//! `redis://127.0.0.1:6379`). When it is unreachable these tests fail under
//! `CI=true` and are skipped with a note otherwise. The fault tests start
//! their own `redis-server` on a free loopback port, so they can stop and
//! restart it without disturbing anyone.

use std::convert::Infallible;
use std::net::TcpListener;
use std::num::NonZeroU32;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Empty;
use rimguard_core::{ClientIp, ResponseBody};
use rimguard_ratelimit::{
    ClientIpKey, Headers, OnFailure, Quota, RateLimit, RateLimitLayer, RedisBackend,
};
use tower::{Layer, Service, ServiceExt, service_fn};

type Body = Empty<Bytes>;
type Inner = tower::util::ServiceFn<
    fn(Request<Body>) -> std::future::Ready<Result<Response<Body>, Infallible>>,
>;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn ok(_: Request<Body>) -> std::future::Ready<Result<Response<Body>, Infallible>> {
    std::future::ready(Ok(Response::new(Body::new())))
}

fn service(layer: &RateLimitLayer) -> RateLimit<Inner> {
    layer.layer(service_fn(ok as fn(_) -> _))
}

async fn send(service: &mut RateLimit<Inner>, ip: &str) -> Response<ResponseBody<Body>> {
    let mut request = Request::new(Body::new());
    request
        .extensions_mut()
        .insert(ClientIp::from_peer(ip.parse().unwrap()));
    service.ready().await.unwrap().call(request).await.unwrap()
}

/// A key prefix no other test or run uses.
fn prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("rimguard:test:{test}:{}:{nanos}", std::process::id())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

async fn reachable(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let connect = client.get_multiplexed_async_connection();
    matches!(
        tokio::time::timeout(Duration::from_secs(2), connect).await,
        Ok(Ok(_))
    )
}

/// The shared Redis, or `None` (with a note) outside CI when it is down.
async fn shared_redis() -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    if reachable(&url).await {
        return Some(url);
    }
    assert!(!in_ci(), "CI=true and no Redis answers at {url}");
    eprintln!("note: skipping, no Redis at {url} (set REDIS_URL; CI fails instead)");
    None
}

/// A redis-server of this test's own, on a free loopback port.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    async fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self { port, child: None };
        if redis.spawn().await {
            return Some(redis);
        }
        assert!(!in_ci(), "CI=true and redis-server could not be started");
        eprintln!("note: skipping, redis-server could not be started");
        None
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self) -> bool {
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else { return false };
        self.child = Some(child);
        for _ in 0..100 {
            if reachable(&self.url()).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn restart(&mut self) {
        assert!(self.spawn().await, "redis-server restarts on the same port");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn shared_limiter(url: &str, prefix: &str, quota: Quota) -> RateLimitLayer {
    let backend = RedisBackend::new(url)
        .unwrap()
        .key_prefix(prefix)
        .timeout(Duration::from_secs(2));
    RateLimitLayer::builder(ClientIpKey::new())
        .quota(quota)
        .redis(backend)
        .build()
        .unwrap()
}

#[tokio::test]
async fn two_instances_sharing_one_redis_enforce_one_quota() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let prefix = prefix("shared");
    let first = shared_limiter(&url, &prefix, Quota::per_minute(nz(10)));
    let second = shared_limiter(&url, &prefix, Quota::per_minute(nz(10)));
    let (mut a, mut b) = (service(&first), service(&second));

    let mut allowed = 0;
    for i in 0..30 {
        let service = if i % 2 == 0 { &mut a } else { &mut b };
        allowed += usize::from(send(service, "198.51.100.7").await.status() == 200);
    }
    assert_eq!(allowed, 10);
    assert_eq!(first.stats().allowed + second.stats().allowed, 10);
    assert_eq!(
        first.stats().backend_fallbacks + second.stats().backend_fallbacks,
        0
    );

    assert_eq!(
        send(&mut a, "198.51.100.8").await.status(),
        200,
        "another client has its own quota"
    );
}

#[tokio::test]
async fn the_redis_backend_answers_with_the_same_fields_as_the_in_memory_one() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let backend = RedisBackend::new(&url)
        .unwrap()
        .key_prefix(prefix("fields"));
    let layer = RateLimitLayer::builder(ClientIpKey::new())
        .quota(Quota::per_minute(nz(2)))
        .headers(Headers::Always)
        .redis(backend)
        .build()
        .unwrap();
    let mut service = service(&layer);

    let first = send(&mut service, "198.51.100.9").await;
    assert_eq!(first.headers()["ratelimit"], "\"default\";r=1;t=30");
    send(&mut service, "198.51.100.9").await;
    let refused = send(&mut service, "198.51.100.9").await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "30");
    assert_eq!(
        refused.headers()["ratelimit-policy"],
        "\"default\";q=2;w=60"
    );
    assert_eq!(refused.headers()["ratelimit"], "\"default\";r=0;t=30");
}

fn own_limiter(redis: &OwnRedis, on_failure: OnFailure, prefix: &str) -> RateLimitLayer {
    let backend = RedisBackend::new(&redis.url())
        .unwrap()
        .key_prefix(prefix)
        .timeout(Duration::from_millis(500))
        .retry_every(Duration::from_millis(100))
        .on_failure(on_failure)
        .instances(nz(2));
    RateLimitLayer::builder(ClientIpKey::new())
        .quota(Quota::per_minute(nz(10)))
        .redis(backend)
        .build()
        .unwrap()
}

async fn statuses(service: &mut RateLimit<Inner>, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(send(service, "198.51.100.20").await.status().as_u16());
    }
    statuses
}

async fn recover(redis: &mut OwnRedis, layer: &RateLimitLayer, service: &mut RateLimit<Inner>) {
    redis.restart().await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    for _ in 0..50 {
        let status = send(service, "198.51.100.21").await.status();
        if !layer.stats().backend_down {
            assert_eq!(status, 200, "a fresh client after the restart");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!layer.stats().backend_down);
    assert_eq!(layer.stats().backend_recoveries, 1);
}

#[tokio::test]
async fn with_redis_down_the_local_fallback_holds_the_quota_divided_by_the_instances() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let layer = own_limiter(&redis, OnFailure::Local, "fault:local");
    let mut service = service(&layer);
    assert_eq!(statuses(&mut service, 3).await, [200; 3]);

    redis.stop();
    let during = statuses(&mut service, 8).await;
    assert_eq!(
        during,
        [200, 200, 200, 200, 200, 429, 429, 429],
        "10 a minute over 2 instances is 5 here"
    );
    assert!(layer.stats().backend_down);
    assert_eq!(layer.stats().backend_fallbacks, 8);

    recover(&mut redis, &layer, &mut service).await;
    let fallbacks = layer.stats().backend_fallbacks;
    assert_eq!(
        statuses(&mut service, 2).await,
        [200; 2],
        "Redis lost its state with its restart"
    );
    assert_eq!(
        layer.stats().backend_fallbacks,
        fallbacks,
        "decided by Redis again"
    );
}

#[tokio::test]
async fn with_redis_down_fail_closed_answers_503_and_fail_open_lets_everything_through() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let closed = own_limiter(&redis, OnFailure::Closed, "fault:closed");
    let open = own_limiter(&redis, OnFailure::Open, "fault:open");
    let (mut closed_service, mut open_service) = (service(&closed), service(&open));
    assert_eq!(statuses(&mut closed_service, 1).await, [200]);
    assert_eq!(statuses(&mut open_service, 1).await, [200]);

    redis.stop();
    let refused = send(&mut closed_service, "198.51.100.20").await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(statuses(&mut open_service, 20).await, [200; 20]);
    assert_eq!(open.stats().backend_fallbacks, 20);

    recover(&mut redis, &closed, &mut closed_service).await;
}
