use std::fmt;
use std::sync::Arc;

use tower_layer::Layer;

use super::Audit;
use crate::mask::QueryMask;
use crate::record::{DEFAULT_USER_AGENT_MAX, Direction};
use crate::sink::AuditSink;

/// Writes one audit record per request into an [`AuditSink`].
///
/// See the [module docs](crate::middleware) for what a record holds and
/// where identities come from.
///
/// # Example
///
/// A server stack writing a hash-chained file, with the `token` and `phone`
/// query values masked:
///
/// ```no_run
/// use rimguard_audit::{AuditLayer, FileSink, QueryMask};
///
/// # fn main() -> std::io::Result<()> {
/// let (sink, guard) = FileSink::builder("audit/rimguard.jsonl").build()?;
/// let layer = AuditLayer::new(sink).mask(QueryMask::new(["token", "phone"]));
/// # let _ = layer;
/// // … serve with `layer`; on shutdown:
/// guard.shutdown()?;
/// # Ok(())
/// # }
/// ```
///
/// A client stack recording calls to an upstream API:
///
/// ```
/// use rimguard_audit::{AuditLayer, MemorySink};
///
/// let layer = AuditLayer::client(MemorySink::new());
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct AuditLayer {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) sink: Arc<dyn AuditSink>,
    pub(crate) mask: Arc<QueryMask>,
    pub(crate) direction: Direction,
    pub(crate) user_agent_max: usize,
    pub(crate) echo_request_id: bool,
}

impl AuditLayer {
    /// Records the requests a server receives; echoes the request id in
    /// the `x-request-id` response header.
    pub fn new(sink: impl AuditSink) -> Self {
        Self::from_shared(Arc::new(sink), Direction::Inbound, true)
    }

    /// Records the requests a client sends; sets `x-request-id` on each
    /// outgoing request that has none.
    pub fn client(sink: impl AuditSink) -> Self {
        Self::from_shared(Arc::new(sink), Direction::Outbound, true)
    }

    /// A layer writing into a shared sink.
    pub fn from_arc(sink: Arc<dyn AuditSink>) -> Self {
        Self::from_shared(sink, Direction::Inbound, true)
    }

    fn from_shared(sink: Arc<dyn AuditSink>, direction: Direction, echo_request_id: bool) -> Self {
        let shared = Shared {
            sink,
            mask: Arc::new(QueryMask::default()),
            direction,
            user_agent_max: DEFAULT_USER_AGENT_MAX,
            echo_request_id,
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// The query parameters whose values are masked (default:
    /// [`DEFAULT_MASKED_PARAMS`](crate::DEFAULT_MASKED_PARAMS)).
    pub fn mask(self, mask: QueryMask) -> Self {
        self.map(|s| s.mask = Arc::new(mask))
    }

    /// The longest user agent kept, in bytes (default 256).
    pub fn user_agent_max(self, max: usize) -> Self {
        self.map(|s| s.user_agent_max = max)
    }

    /// Whether to put the request id in the response (server) or the
    /// outgoing request (client) as `x-request-id`. On by default.
    pub fn echo_request_id(self, echo: bool) -> Self {
        self.map(|s| s.echo_request_id = echo)
    }

    /// Marks records inbound or outbound.
    pub fn direction(self, direction: Direction) -> Self {
        self.map(|s| s.direction = direction)
    }

    fn map(self, change: impl FnOnce(&mut Shared)) -> Self {
        let mut shared = Shared {
            sink: self.shared.sink.clone(),
            mask: self.shared.mask.clone(),
            direction: self.shared.direction,
            user_agent_max: self.shared.user_agent_max,
            echo_request_id: self.shared.echo_request_id,
        };
        change(&mut shared);
        Self {
            shared: Arc::new(shared),
        }
    }
}

impl<S> Layer<S> for AuditLayer {
    type Service = Audit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Audit {
            inner,
            shared: self.shared.clone(),
        }
    }
}

impl fmt::Debug for AuditLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLayer")
            .field("direction", &self.shared.direction)
            .field("mask", &self.shared.mask)
            .field("user_agent_max", &self.shared.user_agent_max)
            .finish_non_exhaustive()
    }
}
