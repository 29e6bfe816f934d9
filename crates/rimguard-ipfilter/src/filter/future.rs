//! The response future of [`IpFilter`](super::IpFilter): the inner service's
//! response, or the refusal written by the filter. It is the pass-or-reject
//! future every rimguard layer shares.

pub use rimguard_core::future::ResponseFuture;
