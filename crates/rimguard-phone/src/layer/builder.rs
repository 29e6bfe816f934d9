//! The layer and its settings.

use std::sync::Arc;

use tower_layer::Layer;

use super::policy::{PhonePolicy, PhoneSource};
use super::service::PhoneService;
use crate::{Region, Strictness};

/// Extracts, validates and stores the caller's phone number; see the
/// [module docs](super) for an example.
///
/// Strict parsing is on by default; the number is required by default.
///
/// # Example: a JSON body field, mobile numbers of two regions
///
/// ```
/// use rimguard_phone::layer::Validity;
/// use rimguard_phone::{NumberType, PhoneLayer, PhonePolicy, PhoneSource, Region};
///
/// let layer = PhoneLayer::new(PhoneSource::JsonBody { pointer: "/customer/phone".into(), max_body: 64 * 1024 })
///     .default_region(Region::new("GB").unwrap())
///     .policy(
///         PhonePolicy::default()
///             .validity(Validity::Valid)
///             .regions([Region::new("GB").unwrap(), Region::new("IE").unwrap()])
///             .types([NumberType::Mobile]),
///     );
/// # let _ = layer;
/// ```
#[derive(Debug, Clone)]
pub struct PhoneLayer {
    pub(crate) settings: Arc<Settings>,
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) source: PhoneSource,
    pub(crate) default_region: Option<Region>,
    pub(crate) strictness: Strictness,
    pub(crate) whatsapp: bool,
    pub(crate) required: bool,
    pub(crate) policy: PhonePolicy,
}

impl PhoneLayer {
    /// A layer reading the number from `source`, strict, required, valid numbers only.
    pub fn new(source: PhoneSource) -> Self {
        let settings = Settings {
            source,
            default_region: None,
            strictness: Strictness::Strict,
            whatsapp: false,
            required: true,
            policy: PhonePolicy::default(),
        };
        Self {
            settings: Arc::new(settings),
        }
    }

    fn with(mut self, f: impl FnOnce(&mut Settings)) -> Self {
        f(Arc::make_mut(&mut self.settings));
        self
    }

    /// The region of numbers written without `+` and calling code.
    pub fn default_region(self, region: Region) -> Self {
        self.with(|s| s.default_region = Some(region))
    }

    /// What numbers to accept.
    pub fn policy(self, policy: PhonePolicy) -> Self {
        self.with(|s| s.policy = policy)
    }

    /// Strict (default) or libphonenumber's lenient parsing.
    pub fn strictness(self, strictness: Strictness) -> Self {
        self.with(|s| s.strictness = strictness)
    }

    /// Reads the value as a WhatsApp `wa_id` (digits, no `+`); a
    /// business-scoped user id passes without a phone.
    pub fn whatsapp_ids(self) -> Self {
        self.with(|s| s.whatsapp = true)
    }

    /// Lets requests without a number through (without a phone in their
    /// extensions); a number that is present must still pass.
    pub fn optional(self) -> Self {
        self.with(|s| s.required = false)
    }
}

impl<S> Layer<S> for PhoneLayer {
    type Service = PhoneService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PhoneService::new(inner, self.settings.clone())
    }
}
