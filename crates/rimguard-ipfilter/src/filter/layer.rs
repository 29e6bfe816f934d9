//! [`IpFilterLayer`], which wraps services in [`IpFilter`].

use std::sync::Arc;

use http::{Response, StatusCode};
use rimguard_core::{Layer as Refuser, PreparedRejection, Rejection, ResponseBody};
use tower_layer::Layer;

use super::IpFilter;
use crate::shared::SharedIpList;

/// The status of a refused request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RefusalStatus {
    /// `403 Forbidden`, with a problem body naming the reason (the default).
    #[default]
    Forbidden,
    /// `404 Not Found`, with a generic not-found problem body, for
    /// endpoints whose existence should not be revealed. The typed reason
    /// still rides in the response extensions for the audit layer.
    NotFound,
}

impl RefusalStatus {
    /// The HTTP status code.
    pub fn status_code(self) -> StatusCode {
        match self {
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

/// Refuses requests whose [`ClientIp`](rimguard_core::ClientIp) a list does
/// not admit. See the [crate docs](crate) for the rules.
///
/// # Example
///
/// ```
/// use rimguard_ipfilter::{IpFilterLayer, IpList, RefusalStatus};
///
/// let office = IpList::builder().name("office").allow("203.0.113.0/24").build()?;
/// let layer = IpFilterLayer::new(office)
///     .status(RefusalStatus::NotFound) // hide the endpoint
///     .dry_run(false);
/// # let _ = layer;
/// # Ok::<(), rimguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct IpFilterLayer {
    pub(crate) state: Arc<FilterState>,
}

#[derive(Debug)]
pub(crate) struct FilterState {
    pub(crate) list: SharedIpList,
    pub(crate) status: RefusalStatus,
    pub(crate) dry_run: bool,
    pub(crate) denied: Refusal,
    pub(crate) not_listed: Refusal,
    pub(crate) unknown: Refusal,
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A deny range matched.
    Denied,
    /// No allow range matched.
    NotListed,
    /// The request has no `ClientIp`.
    Unknown,
}

impl FilterState {
    /// The prepared refusal for `reason`.
    pub(crate) fn refusal(&self, reason: Reason) -> &Refusal {
        match reason {
            Reason::Denied => &self.denied,
            Reason::NotListed => &self.not_listed,
            Reason::Unknown => &self.unknown,
        }
    }
}

/// A refusal ready to send: the body (generic in 404 mode) and the typed
/// reason for the response extensions.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) prepared: PreparedRejection,
    pub(crate) typed: Rejection,
}

/// The stable reason codes of the filter's refusals.
pub(crate) mod code {
    pub(crate) const DENIED: &str = "ip-denied";
    pub(crate) const NOT_LISTED: &str = "ip-not-allowed";
    pub(crate) const UNKNOWN: &str = "client-ip-unknown";
}

impl IpFilterLayer {
    /// A layer that admits the clients `list` allows, answering others with
    /// 403. `list` is an [`IpList`](crate::IpList) or a reloadable
    /// [`SharedIpList`].
    pub fn new(list: impl Into<SharedIpList>) -> Self {
        Self::with(list.into(), RefusalStatus::default(), false)
    }

    /// Sets the status of refusals (default 403).
    pub fn status(self, status: RefusalStatus) -> Self {
        Self::with(self.state.list.clone(), status, self.state.dry_run)
    }

    /// In dry-run mode, a request the list would refuse is let through and
    /// logged (INFO, `rimguard::ipfilter`, `dry_run = true`) instead.
    pub fn dry_run(self, dry_run: bool) -> Self {
        Self::with(self.state.list.clone(), self.state.status, dry_run)
    }

    /// The list this layer decides with.
    pub fn list(&self) -> &SharedIpList {
        &self.state.list
    }

    fn with(list: SharedIpList, status: RefusalStatus, dry_run: bool) -> Self {
        let refusal = |code, detail| Refusal::new(status, code, detail);
        let state = FilterState {
            list,
            status,
            dry_run,
            denied: refusal(
                code::DENIED,
                "The client address is not allowed to reach this resource.",
            ),
            not_listed: refusal(
                code::NOT_LISTED,
                "The client address is not allowed to reach this resource.",
            ),
            unknown: refusal(code::UNKNOWN, "The client address could not be determined."),
        };
        Self {
            state: Arc::new(state),
        }
    }
}

impl Refusal {
    /// The response that sends this refusal.
    pub(crate) fn to_response<B>(&self) -> Response<ResponseBody<B>> {
        let mut response = self.prepared.to_response();
        response.extensions_mut().insert(self.typed.clone());
        response
    }

    fn new(status: RefusalStatus, code: &'static str, detail: &'static str) -> Self {
        let status_code = status.status_code();
        let title = match status {
            RefusalStatus::Forbidden => "Forbidden",
            RefusalStatus::NotFound => "Not Found",
        };
        let typed = Rejection::new(Refuser::IpFilter, status_code, code, title).with_detail(detail);
        let prepared = match status {
            RefusalStatus::Forbidden => typed.clone().prepare(),
            RefusalStatus::NotFound => {
                Rejection::new(Refuser::Other, status_code, "not-found", "Not Found").prepare()
            }
        };
        Self { prepared, typed }
    }
}

impl<S> Layer<S> for IpFilterLayer {
    type Service = IpFilter<S>;

    fn layer(&self, inner: S) -> Self::Service {
        IpFilter {
            inner,
            state: self.state.clone(),
        }
    }
}
