//! The IP filter middleware: [`IpFilterLayer`] and its [`IpFilter`] service.
//!
//! See the [crate docs](crate) for the decision rules, refusals and logs.

mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::{IpFilterLayer, RefusalStatus};
pub use service::IpFilter;
