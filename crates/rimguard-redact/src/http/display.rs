use std::borrow::Cow;
use std::fmt;

use http::{HeaderMap, HeaderValue, Uri};

use crate::Redactor;

impl Redactor {
    /// A view of `headers` for `Debug`: sensitive headers masked, every
    /// other value scrubbed.
    ///
    /// See the [`http` module docs](crate::http) for an example.
    pub fn headers<'a>(&'a self, headers: &'a HeaderMap) -> RedactedHeaders<'a> {
        RedactedHeaders {
            redactor: self,
            headers,
        }
    }

    /// A view of `uri` for `Display` and `Debug`: sensitive query values
    /// masked, the rest scrubbed (a phone number in the path, a password in
    /// the authority).
    pub fn uri<'a>(&'a self, uri: &'a Uri) -> RedactedUri<'a> {
        RedactedUri {
            redactor: self,
            uri,
        }
    }

    /// `query` (without the `?`) with the values of sensitive parameters
    /// masked and the rest scrubbed.
    pub fn query<'a>(&self, query: &'a str) -> Cow<'a, str> {
        let sensitive = query.split('&').any(|pair| self.is_sensitive_pair(pair));
        if !sensitive {
            return self.scrub(query);
        }
        let masked: Vec<Cow<'_, str>> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if self.is_sensitive_query_param(name) => {
                    Cow::Owned(format!("{name}={}", self.mask(value.as_bytes())))
                }
                _ => Cow::Borrowed(pair),
            })
            .collect();
        Cow::Owned(self.scrub(&masked.join("&")).into_owned())
    }

    fn is_sensitive_pair(&self, pair: &str) -> bool {
        pair.split_once('=')
            .is_some_and(|(name, _)| self.is_sensitive_query_param(name))
    }

    fn header_value(&self, value: &HeaderValue) -> String {
        let text = String::from_utf8_lossy(value.as_bytes());
        self.scrub(&text).into_owned()
    }
}

/// `Debug` of a header map with sensitive values masked; made by
/// [`Redactor::headers`].
pub struct RedactedHeaders<'a> {
    redactor: &'a Redactor,
    headers: &'a HeaderMap,
}

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.headers {
            let shown = if value.is_sensitive() || self.redactor.is_sensitive_header(name) {
                self.redactor.mask(value.as_bytes())
            } else {
                self.redactor.header_value(value)
            };
            map.entry(&name.as_str(), &shown);
        }
        map.finish()
    }
}

/// A URI with sensitive query values masked; made by [`Redactor::uri`].
pub struct RedactedUri<'a> {
    redactor: &'a Redactor,
    uri: &'a Uri,
}

impl fmt::Display for RedactedUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut head = String::new();
        if let Some(scheme) = self.uri.scheme_str() {
            head.push_str(scheme);
            head.push_str("://");
        }
        if let Some(authority) = self.uri.authority() {
            head.push_str(authority.as_str());
        }
        head.push_str(self.uri.path());
        f.write_str(&self.redactor.scrub(&head))?;
        if let Some(query) = self.uri.query() {
            write!(f, "?{}", self.redactor.query(query))?;
        }
        Ok(())
    }
}

impl fmt::Debug for RedactedUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
