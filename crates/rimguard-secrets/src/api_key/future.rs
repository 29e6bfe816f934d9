//! The response future of [`ApiKeyAuth`](super::ApiKeyAuth): the inner
//! service's response, or the refusal answered at once. It is the
//! pass-or-reject future every rimguard layer shares.

pub use rimguard_core::future::ResponseFuture;
