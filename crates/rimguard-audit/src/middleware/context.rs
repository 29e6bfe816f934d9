use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rimguard_core::{ApiKeyId, CallerPhone};

/// A slot in the request extensions where inner layers and handlers leave
/// identities for the audit record.
///
/// The audit layer inserts one per request; cloning it shares the slot.
/// A value set here is used when the response extensions do not carry one.
///
/// # Example
///
/// ```
/// use http::Request;
/// use rimguard_audit::AuditContext;
/// use rimguard_core::ApiKeyId;
///
/// fn authenticated(request: &Request<()>) {
///     if let Some(context) = request.extensions().get::<AuditContext>() {
///         context.set_api_key(ApiKeyId::new("bot-primary"));
///     }
/// }
/// # authenticated(&Request::new(()));
/// ```
#[derive(Clone, Default)]
pub struct AuditContext {
    slot: Arc<Mutex<Identities>>,
}

#[derive(Default)]
struct Identities {
    api_key: Option<ApiKeyId>,
    phone: Option<CallerPhone>,
}

impl AuditContext {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the API key that authenticated the request.
    pub fn set_api_key(&self, key: ApiKeyId) {
        self.lock().api_key = Some(key);
    }

    /// Records the caller's phone number (the record keeps it masked).
    pub fn set_phone(&self, phone: CallerPhone) {
        self.lock().phone = Some(phone);
    }

    /// The API key id set so far.
    pub fn api_key(&self) -> Option<ApiKeyId> {
        self.lock().api_key.clone()
    }

    /// The phone number set so far.
    pub fn phone(&self) -> Option<CallerPhone> {
        self.lock().phone.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Identities> {
        // The slot holds plain values; a panic elsewhere cannot leave them
        // half-written, so a poisoned lock is still good to use.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for AuditContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids = self.lock();
        f.debug_struct("AuditContext")
            .field("api_key", &ids.api_key)
            .field("phone", &ids.phone)
            .finish()
    }
}
