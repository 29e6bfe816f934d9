//! The `RateLimit-Policy` and `RateLimit` response fields.
//!
//! Both follow draft-ietf-httpapi-ratelimit-headers (revision 11): each is
//! a structured-field List of Items whose value is the policy name as a
//! String, with parameters.
//!
//! - `RateLimit-Policy: "burst";q=100;w=60, "daily";q=5000;w=86400`:
//!   the quota `q` per window `w` (seconds) of each policy. It is the
//!   same on every response, so it is rendered once.
//! - `RateLimit: "burst";r=0;t=1, "daily";r=4899;t=18`: the available
//!   quota `r` under each policy and the effective window `t`, the seconds
//!   within which no more than `r` can be used. With GCRA, one more unit
//!   comes back every emission interval, so `t` is the time until the next
//!   unit comes back (0 when the bucket is full); for a refused request it
//!   is the wait before the next request of cost 1 would pass, and never
//!   later than `Retry-After`.

use http::HeaderValue;
use http::header::HeaderName;

use crate::gcra::Decision;
use crate::quota::{Gcra, Policy, ceil_seconds};

/// The `RateLimit-Policy` field name.
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// The `RateLimit` field name.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Renders `RateLimit-Policy` for `policies`.
pub(crate) fn policy_field(policies: &[Policy]) -> HeaderValue {
    let items: Vec<String> = policies
        .iter()
        .map(|p| {
            format!(
                "\"{}\";q={};w={}",
                p.name(),
                p.quota().count(),
                p.window_seconds()
            )
        })
        .collect();
    HeaderValue::try_from(items.join(", ")).expect("policy names are checked to be field-safe")
}

/// Renders `RateLimit` for a decision that carries per-policy state.
pub(crate) fn limit_field(policies: &[Policy], gcra: &[Gcra], decision: &Decision) -> HeaderValue {
    let mut value = String::with_capacity(24 * policies.len());
    for (i, (policy, gcra)) in policies.iter().zip(gcra).enumerate() {
        let (remaining, reset) = available(gcra, decision.debts[i]);
        if i > 0 {
            value.push_str(", ");
        }
        value.push_str(&format!("\"{}\";r={remaining};t={reset}", policy.name()));
    }
    HeaderValue::try_from(value).expect("policy names are checked to be field-safe")
}

/// The available quota and effective window (seconds) of one policy with
/// time debt `debt`.
pub(crate) fn available(gcra: &Gcra, debt: u64) -> (u64, u64) {
    let slack = gcra.capacity.saturating_sub(debt);
    let remaining = slack / gcra.interval;
    let burst = gcra.capacity / gcra.interval;
    if remaining >= burst {
        return (remaining, 0);
    }
    let next_unit = (remaining + 1) * gcra.interval - slack;
    (remaining, ceil_seconds(u128::from(next_unit)))
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::quota::Quota;

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn the_policy_field_lists_every_named_policy() {
        let burst = Policy::new("burst", Quota::per_minute(NonZeroU32::new(100).unwrap())).unwrap();
        let daily = Policy::new("daily", Quota::per_day(NonZeroU32::new(5000).unwrap())).unwrap();
        assert_eq!(
            policy_field(&[burst, daily]),
            "\"burst\";q=100;w=60, \"daily\";q=5000;w=86400"
        );
    }

    #[test]
    fn a_full_bucket_has_its_burst_available_now() {
        let gcra = Gcra {
            interval: 6 * SECOND,
            capacity: 60 * SECOND,
        };
        assert_eq!(available(&gcra, 0), (10, 0));
    }

    #[test]
    fn the_effective_window_is_the_time_until_the_next_unit_comes_back() {
        let gcra = Gcra {
            interval: 6 * SECOND,
            capacity: 60 * SECOND,
        };
        assert_eq!(available(&gcra, 6 * SECOND), (9, 6));
        assert_eq!(available(&gcra, 60 * SECOND), (0, 6));
        assert_eq!(available(&gcra, 58 * SECOND), (0, 4));
        assert_eq!(available(&gcra, 57 * SECOND + 1), (0, 4));
    }
}
