use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, HeaderValue, USER_AGENT};
use http::{Method, Request, Uri};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use rimguard_core::ConfigError;
use tokio::net::TcpStream;

use super::{Alert, AlertError, AlertSink, DeliveryFuture};

/// POSTs each alert as JSON to an HTTP endpoint, with a timeout per
/// attempt and retries with exponential backoff.
///
/// A 2xx answer is a delivery; anything else, a timeout or a connection
/// error is retried. The client is a minimal hyper HTTP/1.1 client, one
/// connection per attempt; only `http://` URLs are accepted (put a local
/// relay or your own [`AlertSink`] in front of an HTTPS endpoint).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use rimguard_audit::WebhookAlerts;
///
/// let webhook = WebhookAlerts::new("http://127.0.0.1:9000/alerts")
///     .unwrap()
///     .timeout(Duration::from_secs(2))
///     .retries(3);
/// # let _ = webhook;
/// assert!(WebhookAlerts::new("ftp://example.invalid/").is_err());
/// ```
#[derive(Clone)]
pub struct WebhookAlerts {
    inner: Arc<Webhook>,
}

struct Webhook {
    uri: Uri,
    host: String,
    port: u16,
    host_header: HeaderValue,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
}

impl WebhookAlerts {
    /// A webhook at `url` (`http://host[:port]/path`), 5 s timeout, 3
    /// retries starting 200 ms apart.
    ///
    /// # Errors
    ///
    /// When `url` is not an absolute `http://` URL with a host.
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        let invalid = |why: &str| ConfigError::new("webhook", why);
        let uri: Uri = url.parse().map_err(|_| invalid("not a valid URL"))?;
        if uri.scheme_str() != Some("http") {
            return Err(invalid("only http:// webhooks are supported"));
        }
        let host = uri.host().ok_or_else(|| invalid("the URL has no host"))?;
        let port = uri.port_u16().unwrap_or(80);
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
        let host_header = HeaderValue::from_str(authority)
            .map_err(|_| invalid("the URL's host is not a valid header"))?;

        let webhook = Webhook {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            host_header,
            uri,
            timeout: Duration::from_secs(5),
            retries: 3,
            backoff: Duration::from_millis(200),
        };
        Ok(Self {
            inner: Arc::new(webhook),
        })
    }

    /// The time allowed for one attempt (default 5 s).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|w| w.timeout = timeout)
    }

    /// Attempts after the first (default 3).
    pub fn retries(self, retries: u32) -> Self {
        self.map(|w| w.retries = retries)
    }

    /// The wait before the first retry, doubled for each next one
    /// (default 200 ms).
    pub fn backoff(self, backoff: Duration) -> Self {
        self.map(|w| w.backoff = backoff)
    }

    fn map(self, change: impl FnOnce(&mut Webhook)) -> Self {
        let w = &self.inner;
        let mut webhook = Webhook {
            uri: w.uri.clone(),
            host: w.host.clone(),
            port: w.port,
            host_header: w.host_header.clone(),
            timeout: w.timeout,
            retries: w.retries,
            backoff: w.backoff,
        };
        change(&mut webhook);
        Self {
            inner: Arc::new(webhook),
        }
    }
}

impl AlertSink for WebhookAlerts {
    fn deliver(&self, alert: Arc<Alert>) -> DeliveryFuture {
        let webhook = self.inner.clone();
        Box::pin(async move { webhook.deliver(Bytes::from(alert.to_json())).await })
    }
}

impl Webhook {
    async fn deliver(&self, body: Bytes) -> Result<(), AlertError> {
        let mut last_error = AlertError::new("no attempt made");
        for attempt in 0..=self.retries {
            if attempt > 0 {
                let factor = 2u32.saturating_pow(attempt - 1);
                tokio::time::sleep(self.backoff.saturating_mul(factor)).await;
            }
            match tokio::time::timeout(self.timeout, self.post(body.clone())).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(error)) => last_error = error,
                Err(_) => last_error = AlertError::new("webhook timed out"),
            }
        }
        Err(AlertError::new(format!(
            "webhook failed after {} attempts: {last_error}",
            self.retries + 1
        )))
    }

    async fn post(&self, body: Bytes) -> Result<(), AlertError> {
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| AlertError::new(format!("webhook connection failed: {}", e.kind())))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| AlertError::new("webhook handshake failed"))?;
        let driver = tokio::spawn(connection);

        let path = self.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, self.host_header.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, "rimguard-audit")
            .body(Full::new(body))
            .map_err(|_| AlertError::new("webhook request could not be built"))?;
        let result = sender.send_request(request).await;
        driver.abort();

        let response = result.map_err(|_| AlertError::new("webhook request failed"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(AlertError::new(format!(
                "webhook answered {}",
                response.status().as_u16()
            )))
        }
    }
}

impl fmt::Debug for WebhookAlerts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The path may carry a token: show only where it goes.
        f.debug_struct("WebhookAlerts")
            .field("host", &self.inner.host)
            .field("port", &self.inner.port)
            .field("timeout", &self.inner.timeout)
            .field("retries", &self.inner.retries)
            .finish_non_exhaustive()
    }
}
