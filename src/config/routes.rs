//! `[[routes]]`: named path patterns and the policies they apply.

use std::fmt;

use http::Method;
use rimguard_core::ConfigError;
use serde::Deserialize;

/// One `[[routes]]` entry: which requests it covers and which named
/// policies apply to them.
///
/// Routes are tried in file order and the first whose path pattern and
/// method match wins; a request that matches no route gets only the
/// stack-wide layers (client IP, audit, HTTPS only, headers, CORS).
///
/// ```toml
/// [[routes]]
/// name = "admin"
/// path = "/admin/*"
/// ip_list = "office"
/// rate_limits = ["per_ip"]
/// api_key = "admin"
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// The route's name, unique, used in logs, metrics and audit records.
    pub name: String,
    /// The path pattern: literal segments, `{name}` for one segment, and a
    /// final `*` for any rest (including none).
    pub path: PathPattern,
    /// The methods covered; all when empty (the default).
    #[serde(default)]
    pub methods: Vec<String>,
    /// The `[ip_lists.<name>]` list that callers must be on.
    #[serde(default)]
    pub ip_list: Option<String>,
    /// The `[rate_limits.<name>]` limits applied before authentication
    /// (per client IP, per header), in order.
    #[serde(default)]
    pub rate_limits: Vec<String>,
    /// The `[api_keys.<name>]` key set that authenticates callers.
    #[serde(default)]
    pub api_key: Option<String>,
    /// The `[webhooks.<name>]` signature check for this route.
    #[serde(default)]
    pub webhook: Option<String>,
    /// The `[phone.extract.<name>]` rule that finds and validates the
    /// caller's phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// The `[rate_limits.<name>]` limits applied after authentication and
    /// phone validation (per phone number, per API key), in order.
    #[serde(default)]
    pub customer_rate_limits: Vec<String>,
}

impl RouteConfig {
    /// The parsed methods; empty means all.
    ///
    /// # Errors
    ///
    /// Names the first entry that is not an HTTP method.
    pub fn parsed_methods(&self) -> Result<Vec<Method>, ConfigError> {
        self.methods
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                    .map_err(|_| ConfigError::new(format!("methods[{i}]"), "is not an HTTP method"))
            })
            .collect()
    }

    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        if self.name.is_empty() {
            return Err(ConfigError::new("name", "must not be empty"));
        }
        if self.api_key.is_some() && self.webhook.is_some() {
            let message = "a route authenticates with an API key or a webhook signature, not both";
            return Err(ConfigError::new("webhook", message));
        }
        self.parsed_methods().map(drop)
    }

    /// Whether this route covers a request for `method` and `path`.
    pub fn matches(&self, methods: &[Method], method: &Method, path: &str) -> bool {
        (methods.is_empty() || methods.contains(method)) && self.path.matches(path)
    }
}

/// A route's path pattern, such as `/admin/*` or `/customers/{phone}`.
///
/// Literal segments match exactly (case-sensitive); `{name}` matches one
/// non-empty segment; a final `*` matches any rest, including nothing, so
/// `/admin/*` covers `/admin`, `/admin/` and `/admin/keys/1`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PathPattern {
    text: String,
    segments: Vec<Segment>,
    rest: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

impl PathPattern {
    /// Parses a pattern.
    ///
    /// # Errors
    ///
    /// Refuses a pattern that does not start with `/`, a `*` that is not the
    /// last segment, an empty `{}` and dot segments.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let refuse = |message: &str| Err(ConfigError::new("", message.to_owned()));
        let Some(body) = text.strip_prefix('/') else {
            return refuse("a path pattern starts with `/`");
        };

        let mut segments = Vec::new();
        let mut rest = false;
        let parts: Vec<&str> = if body.is_empty() {
            Vec::new()
        } else {
            body.split('/').collect()
        };
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            match *part {
                "*" if last => rest = true,
                "*" => return refuse("`*` may only be the last segment"),
                "." | ".." => return refuse("dot segments are not allowed"),
                "{}" => return refuse("a `{}` segment needs a name"),
                p if p.starts_with('{') && p.ends_with('}') => segments.push(Segment::Param),
                p if p.contains(['{', '}', '*']) => {
                    return refuse("`{…}` and `*` must fill a whole segment");
                }
                p => segments.push(Segment::Literal(p.to_owned())),
            }
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
            rest,
        })
    }

    /// Whether `path` matches. The path should be canonical (see the stack's
    /// path check): no dot segments, no empty segments, no encoded slashes.
    pub fn matches(&self, path: &str) -> bool {
        let body = path.strip_prefix('/').unwrap_or(path);
        let mut parts = body.split('/').filter(|p| !p.is_empty());

        for segment in &self.segments {
            let Some(part) = parts.next() else {
                return false;
            };
            if let Segment::Literal(literal) = segment
                && literal != part
            {
                return false;
            }
        }
        self.rest || parts.next().is_none()
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for PathPattern {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text).map_err(|e| e.message().to_owned())
    }
}

impl fmt::Debug for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PathPattern").field(&self.text).finish()
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> PathPattern {
        PathPattern::parse(text).unwrap()
    }

    #[test]
    fn a_rest_pattern_covers_its_prefix_and_everything_below() {
        let admin = pattern("/admin/*");
        assert!(admin.matches("/admin"));
        assert!(admin.matches("/admin/"));
        assert!(admin.matches("/admin/keys/1"));
        assert!(!admin.matches("/administrator"));
        assert!(!admin.matches("/"));
    }

    #[test]
    fn a_parameter_matches_exactly_one_segment() {
        let lookup = pattern("/customers/{phone}");
        assert!(lookup.matches("/customers/+441234"));
        assert!(!lookup.matches("/customers"));
        assert!(!lookup.matches("/customers/a/b"));
    }

    #[test]
    fn literal_patterns_match_only_themselves() {
        let webhook = pattern("/webhook");
        assert!(webhook.matches("/webhook"));
        assert!(!webhook.matches("/webhook/x"));
        assert!(pattern("/").matches("/"));
        assert!(pattern("/*").matches("/anything/at/all"));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for text in ["admin", "/a/*/b", "/a/../b", "/a/{}", "/a/x*"] {
            assert!(
                PathPattern::parse(text).is_err(),
                "{text} should be refused"
            );
        }
    }
}
