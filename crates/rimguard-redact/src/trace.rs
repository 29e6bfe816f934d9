//! A span maker for tower-http's `TraceLayer` that records the request
//! path with sensitive query values masked.
//!
//! tower-http's `DefaultMakeSpan` records `uri = %request.uri()`, query
//! string and all. [`RedactedMakeSpan`] records the same fields (`method`,
//! `uri`, `version`, and `headers` when asked), with the URI and headers
//! seen through a [`Redactor`].
//!
//! # Example
//!
//! ```
//! use http::{Request, Response};
//! use rimguard_redact::{Redactor, trace::RedactedMakeSpan};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//! use tower_http::trace::TraceLayer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let redactor = Redactor::new();
//! let service = ServiceBuilder::new()
//!     .layer(TraceLayer::new_for_http().make_span_with(RedactedMakeSpan::new(redactor)))
//!     .service(service_fn(|_req: Request<String>| async {
//!         Ok::<_, std::convert::Infallible>(Response::new(String::new()))
//!     }));
//!
//! let request = Request::get("/hook?hub.verify_token=s3cr3t").body(String::new()).unwrap();
//! service.oneshot(request).await.unwrap();
//! # }
//! ```
//!
//! With a level and the headers:
//!
//! ```
//! use rimguard_redact::{Redactor, trace::RedactedMakeSpan};
//! use tracing::Level;
//!
//! let make_span = RedactedMakeSpan::new(Redactor::new()).level(Level::INFO).include_headers(true);
//! # let _ = make_span;
//! ```

use http::Request;
use tower_http::trace::MakeSpan;
use tracing::{Level, Span};

use crate::Redactor;

/// Makes a `request` span with a masked URI; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct RedactedMakeSpan {
    redactor: Redactor,
    level: Level,
    include_headers: bool,
}

impl RedactedMakeSpan {
    /// Spans at DEBUG (as tower-http's default), without headers.
    pub fn new(redactor: Redactor) -> Self {
        Self {
            redactor,
            level: Level::DEBUG,
            include_headers: false,
        }
    }

    /// Sets the span's level.
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// Records the request headers too, through [`Redactor::headers`].
    pub fn include_headers(mut self, include: bool) -> Self {
        self.include_headers = include;
        self
    }
}

impl<B> MakeSpan<B> for RedactedMakeSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let uri = self.redactor.uri(request.uri());
        // `span!` needs a constant level, hence one arm per level.
        macro_rules! span_at {
            ($level:expr) => {
                if self.include_headers {
                    tracing::span!(
                        $level,
                        "request",
                        method = %request.method(),
                        uri = %uri,
                        version = ?request.version(),
                        headers = ?self.redactor.headers(request.headers()),
                    )
                } else {
                    tracing::span!($level, "request", method = %request.method(), uri = %uri, version = ?request.version())
                }
            };
        }
        match self.level {
            Level::ERROR => span_at!(Level::ERROR),
            Level::WARN => span_at!(Level::WARN),
            Level::INFO => span_at!(Level::INFO),
            Level::DEBUG => span_at!(Level::DEBUG),
            Level::TRACE => span_at!(Level::TRACE),
        }
    }
}
