//! The [`Redactor`]: redaction rules compiled once, applied to any text.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use http::HeaderName;
use rimguard_core::ConfigError;
use secrecy::{ExposeSecret, SecretSlice};
use zeroize::Zeroizing;

use crate::detect::credentials::credential_patterns;
use crate::detect::keys::{Extent, KeyRule};
use crate::detect::{Engine, Hit, Settings, Span, escaped_at, line_is_json};
use crate::fingerprint::Fingerprinter;
use crate::rules::{DEFAULT_FIELDS, DEFAULT_HEADERS, DEFAULT_QUERY_PARAMS, LINE_HEADERS};

/// The shortest secret value that may be registered, in bytes. Shorter
/// values cannot be told from ordinary text.
pub const MIN_SECRET_LEN: usize = 8;

/// How much of a card number a masked card keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardMask {
    /// The first six digits (the issuer) and the last four, the most PCI DSS
    /// allows to be shown: `[card:411111******1111]`.
    #[default]
    IssuerAndLastFour,
    /// Only the last four digits: `[card:************1111]`.
    LastFour,
}

/// What a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FindingKind {
    /// The exact value of a registered secret.
    Secret,
    /// A known credential shape, by name (see [`credential_patterns`](crate::credential_patterns)).
    Credential(&'static str),
    /// A payment card number that passes the Luhn check.
    Card,
    /// A phone number.
    Phone,
    /// An e-mail address.
    Email,
    /// The value of a sensitive header, query parameter or field, a token
    /// after `Bearer`/`Basic`, or overlapping finds merged into one.
    SensitiveValue,
}

/// One stretch of text the redactor masks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where it is, in bytes.
    pub range: Range<usize>,
    /// What it is.
    pub kind: FindingKind,
}

/// Redaction rules, compiled once and cheap to clone.
///
/// A redactor masks, in any text it is given:
///
/// - the exact values of registered secrets, raw or escaped as JSON,
///   `Debug` and URLs print them;
/// - every [known credential shape](crate::credential_patterns);
/// - the values of sensitive headers, query parameters and fields, and the
///   token after `Bearer` or `Basic`;
/// - payment card numbers (Luhn-checked), phone numbers and e-mail
///   addresses.
///
/// Masks keep what is useful and safe: a card's issuer and last four
/// digits, a phone's last four, an e-mail's domain, and a short keyed
/// [fingerprint](crate::fingerprint) when a key is set. A mask never holds a
/// quote, a backslash or a control character, so JSON stays JSON; a find
/// outside any string of a JSON line (a bare number) becomes a string.
///
/// # Example
///
/// ```
/// use rimguard_redact::Redactor;
///
/// let redactor = Redactor::builder()
///     .secret_bytes(b"wix-key-0123456789")
///     .fingerprint_key_bytes(b"a per-deployment fingerprint key")
///     .build()
///     .unwrap();
///
/// let line = "calling wix with wix-key-0123456789 for +44 7911 123456, card 4111 1111 1111 1111";
/// let clean = redactor.scrub(line);
///
/// assert!(!clean.contains("wix-key-0123456789"));
/// assert!(clean.contains("[card:411111******1111]"));
/// assert!(clean.contains("[phone:***3456#"));
/// ```
#[derive(Clone)]
pub struct Redactor {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    secret_prints: Vec<Option<String>>,
    fingerprinter: Option<Fingerprinter>,
    card_mask: CardMask,
    headers: Vec<HeaderName>,
    query_params: Vec<String>,
    fields: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.inner.secret_prints.len())
            .field("headers", &self.inner.headers.len())
            .field("query_params", &self.inner.query_params.len())
            .field("fingerprints", &self.inner.fingerprinter.is_some())
            .field("card_mask", &self.inner.card_mask)
            .finish_non_exhaustive()
    }
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Redactor {
    /// A redactor with the default rules, no registered secret and no
    /// fingerprints.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default rules are valid")
    }

    /// Starts a redactor with the default rules.
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::default()
    }

    /// `text` with everything sensitive masked; borrowed when nothing was.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.scrub_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// `bytes` with everything sensitive masked; borrowed when nothing was.
    ///
    /// The input need not be UTF-8; UTF-8 input gives UTF-8 output.
    pub fn scrub_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let spans = self.spans(bytes);
        if spans.is_empty() {
            return Cow::Borrowed(bytes);
        }
        Cow::Owned(self.render(bytes, &spans))
    }

    /// What [`scrub_bytes`](Self::scrub_bytes) would mask, in order and
    /// without overlaps.
    pub fn findings(&self, bytes: &[u8]) -> Vec<Finding> {
        self.spans(bytes)
            .into_iter()
            .map(|span| Finding {
                range: span.start..span.end,
                kind: kind(span.hit),
            })
            .collect()
    }

    /// The mask of a whole sensitive value: `[redacted]`, or
    /// `[redacted#fingerprint]` when a fingerprint key is set.
    pub fn mask(&self, value: &[u8]) -> String {
        let mut out = Vec::new();
        self.write_mask(&mut out, "redacted", None, value);
        String::from_utf8(out).expect("masks are ASCII")
    }

    /// Redacts a parsed JSON document in place: the value of every
    /// sensitive field (a JSON field name or a header name, ASCII case
    /// ignored) becomes a mask, whatever its type, and
    /// every other string is scrubbed. For bodies kept or forwarded to an
    /// audit log.
    ///
    /// # Example
    ///
    /// ```
    /// use rimguard_redact::Redactor;
    ///
    /// let mut body = serde_json::json!({
    ///     "customer": { "phone": "+447911123456", "password": "hunter22" },
    ///     "items": [{ "note": "card 4111 1111 1111 1111" }],
    ///     "pin": 1234,
    /// });
    /// Redactor::new().redact_json(&mut body);
    ///
    /// assert_eq!(body["customer"]["password"], "[redacted]");
    /// assert_eq!(body["customer"]["phone"], "[phone:***3456]");
    /// assert_eq!(body["items"][0]["note"], "card [card:411111******1111]");
    /// assert_eq!(body["pin"], "[redacted]");
    /// ```
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(text) => {
                if let Cow::Owned(clean) = self.scrub(text) {
                    *text = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_json(item)),
            Value::Object(map) => {
                for (name, item) in map.iter_mut() {
                    if self.is_sensitive_name(name) && !item.is_null() {
                        *item = Value::String(self.mask(item.to_string().as_bytes()));
                    } else {
                        self.redact_json(item);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn is_sensitive_name(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        self.inner.fields.contains(&lower) || self.inner.headers.iter().any(|h| h.as_str() == lower)
    }

    /// The header names this redactor treats as sensitive, lower-case.
    pub fn sensitive_headers(&self) -> &[HeaderName] {
        &self.inner.headers
    }

    /// True when `name` is a sensitive query parameter (ASCII case ignored).
    pub fn is_sensitive_query_param(&self, name: &str) -> bool {
        self.inner
            .query_params
            .iter()
            .any(|p| p.eq_ignore_ascii_case(name))
    }

    /// True when `name` is a sensitive header.
    pub fn is_sensitive_header(&self, name: &HeaderName) -> bool {
        self.inner.headers.contains(name)
    }

    fn spans(&self, bytes: &[u8]) -> Vec<Span> {
        let found = self.inner.engine.find(bytes);
        if found.is_empty() {
            return found;
        }
        resolve(bytes, found)
    }

    fn render(&self, hay: &[u8], spans: &[Span]) -> Vec<u8> {
        let mut out = Vec::with_capacity(hay.len() + 32 * spans.len());
        let mut json = JsonCursor::default();
        let mut last = 0;
        for (i, span) in spans.iter().enumerate() {
            let quote = json.outside_string(hay, span);
            let (start, end) = if quote {
                let next = spans.get(i + 1).map_or(hay.len(), |s| s.start);
                whole_number(hay, span, last, next)
            } else {
                (span.start, span.end)
            };
            out.extend_from_slice(&hay[last..start]);
            if quote {
                out.push(b'"');
            }
            self.write_replacement(&mut out, &hay[span.start..span.end], span.hit);
            if quote {
                out.push(b'"');
            }
            last = end;
        }
        out.extend_from_slice(&hay[last..]);
        out
    }

    fn write_replacement(&self, out: &mut Vec<u8>, value: &[u8], hit: Hit) {
        match hit {
            Hit::Secret(index) => {
                let print = self.inner.secret_prints[index as usize].as_deref();
                out.extend_from_slice(b"[redacted:secret");
                if let Some(print) = print {
                    out.push(b'#');
                    out.extend_from_slice(print.as_bytes());
                }
                out.push(b']');
            }
            Hit::Credential(index) => {
                let name = credential_patterns()[usize::from(index)].name();
                self.write_mask(out, "redacted:", Some(name), value);
            }
            Hit::Field => self.write_mask(out, "redacted", None, value),
            Hit::Card => self.write_card(out, value),
            Hit::Phone => self.write_phone(out, value),
            Hit::Email => self.write_email(out, value),
        }
    }

    fn write_mask(&self, out: &mut Vec<u8>, label: &str, name: Option<&str>, value: &[u8]) {
        out.push(b'[');
        out.extend_from_slice(label.as_bytes());
        if let Some(name) = name {
            out.extend_from_slice(name.as_bytes());
        }
        self.write_print(out, value);
        out.push(b']');
    }

    fn write_print(&self, out: &mut Vec<u8>, value: &[u8]) {
        if let Some(fingerprinter) = &self.inner.fingerprinter {
            out.push(b'#');
            out.extend_from_slice(fingerprinter.fingerprint(value).as_str().as_bytes());
        }
    }

    fn write_card(&self, out: &mut Vec<u8>, value: &[u8]) {
        let digits: Vec<u8> = value.iter().copied().filter(u8::is_ascii_digit).collect();
        let keep_head = match self.inner.card_mask {
            CardMask::IssuerAndLastFour => 6,
            CardMask::LastFour => 0,
        };
        out.extend_from_slice(b"[card:");
        for (i, digit) in digits.iter().enumerate() {
            let shown = i < keep_head || i + 4 >= digits.len();
            out.push(if shown { *digit } else { b'*' });
        }
        out.push(b']');
    }

    fn write_phone(&self, out: &mut Vec<u8>, value: &[u8]) {
        let value = match value.get(..3) {
            Some(head) if head.eq_ignore_ascii_case(b"%2b") => &value[3..],
            _ => value,
        };
        let digits: Vec<u8> = value.iter().copied().filter(u8::is_ascii_digit).collect();
        out.extend_from_slice(b"[phone:***");
        out.extend_from_slice(&digits[digits.len().saturating_sub(4)..]);
        self.write_print(out, &digits);
        out.push(b']');
    }

    fn write_email(&self, out: &mut Vec<u8>, value: &[u8]) {
        let at = value.iter().rposition(|b| *b == b'@').unwrap_or(0);
        out.extend_from_slice(b"[email:***");
        out.extend_from_slice(&value[at..]);
        self.write_print(out, &value.to_ascii_lowercase());
        out.push(b']');
    }
}

fn kind(hit: Hit) -> FindingKind {
    match hit {
        Hit::Secret(_) => FindingKind::Secret,
        Hit::Credential(i) => FindingKind::Credential(credential_patterns()[usize::from(i)].name()),
        Hit::Card => FindingKind::Card,
        Hit::Phone => FindingKind::Phone,
        Hit::Email => FindingKind::Email,
        Hit::Field => FindingKind::SensitiveValue,
    }
}

/// The whole bare JSON number around `span` (`-4111…`, `447911123456.5`),
/// within `floor..ceiling`, so that a mask replaces all of it.
fn whole_number(hay: &[u8], span: &Span, floor: usize, ceiling: usize) -> (usize, usize) {
    let is_number = |b: &u8| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E');
    let before = hay[floor..span.start]
        .iter()
        .rev()
        .take_while(|b| is_number(b))
        .count();
    let after = hay[span.end..ceiling]
        .iter()
        .take_while(|b| is_number(b))
        .count();
    (span.start - before, span.end + after)
}

/// Keeps escape sequences whole, sorts, and merges overlapping spans.
fn resolve(hay: &[u8], mut spans: Vec<Span>) -> Vec<Span> {
    for span in &mut spans {
        if span.start < span.end && escaped_at(hay, span.start) {
            span.start += if hay[span.start] == b'u' { 5 } else { 1 };
        }
        let end = span.end.max(span.start);
        let trailing = hay[span.start.min(end)..end]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        span.end = end - trailing % 2;
        if span.start < span.end && memchr::memchr(b'"', &hay[span.start..span.end]).is_some() {
            span.end = structural_quote(hay, span.start, span.end).unwrap_or(span.end);
        }
    }
    spans.retain(|s| s.start < s.end);
    spans.sort_unstable_by_key(|s| (s.start, Reverse(s.end)));

    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start < last.end => {
                // Two different finds that overlap are masked whole, as a
                // field: a partial mask (an email keeps its domain, a card
                // its first six and last four digits) would show what the
                // other find covers, such as a secret inside the domain.
                if span.end > last.end || span.hit != last.hit {
                    last.end = last.end.max(span.end);
                    last.hit = Hit::Field;
                }
            }
            _ => merged.push(span),
        }
    }
    merged
}

/// In a JSON line, the first quote in `start..end` that is not escaped:
/// a mask must end before it, or the line would no longer parse.
fn structural_quote(hay: &[u8], start: usize, end: usize) -> Option<usize> {
    if !line_is_json(hay, start) {
        return None;
    }
    let mut i = start;
    while i < end {
        match hay[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Follows JSON string state along one line, so that a mask outside any
/// string (a bare number in a JSON line) can be written as a string.
#[derive(Default)]
struct JsonCursor {
    line_start: Option<usize>,
    is_json: bool,
    pos: usize,
    in_string: bool,
    escape: bool,
}

impl JsonCursor {
    fn outside_string(&mut self, hay: &[u8], span: &Span) -> bool {
        let line_start = memchr::memrchr(b'\n', &hay[..span.start]).map_or(0, |i| i + 1);
        if self.line_start != Some(line_start) {
            *self = Self {
                line_start: Some(line_start),
                is_json: line_is_json(hay, span.start),
                pos: line_start,
                ..Self::default()
            };
        }
        if !self.is_json {
            return false;
        }
        for &b in &hay[self.pos..span.start] {
            match (self.in_string, self.escape, b) {
                (true, true, _) => self.escape = false,
                (true, false, b'\\') => self.escape = true,
                (true, false, b'"') => self.in_string = false,
                (false, _, b'"') => self.in_string = true,
                _ => {}
            }
        }
        self.pos = span.end;
        self.escape = false;
        !self.in_string
    }
}

/// Builds a [`Redactor`]; see its docs.
///
/// Every `header`, `query_param` and `json_field` adds to the defaults in
/// [`rules`](crate::rules).
#[derive(Default)]
pub struct RedactorBuilder {
    headers: Vec<String>,
    query_params: Vec<String>,
    fields: Vec<String>,
    secrets: Vec<Zeroizing<Vec<u8>>>,
    fingerprint_key: Option<Zeroizing<Vec<u8>>>,
    card_mask: CardMask,
    skip_credentials: bool,
    skip_cards: bool,
    skip_phones: bool,
    skip_emails: bool,
}

impl fmt::Debug for RedactorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactorBuilder")
            .field("headers", &self.headers)
            .field("query_params", &self.query_params)
            .field("fields", &self.fields)
            .field("secrets", &self.secrets.len())
            .field(
                "fingerprint_key",
                &self.fingerprint_key.as_ref().map(|_| "[hidden]"),
            )
            .finish_non_exhaustive()
    }
}

impl RedactorBuilder {
    /// Adds a sensitive header name.
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.headers.push(name.into());
        self
    }

    /// Adds a sensitive query parameter name.
    pub fn query_param(mut self, name: impl Into<String>) -> Self {
        self.query_params.push(name.into());
        self
    }

    /// Adds a sensitive JSON or log field name.
    pub fn json_field(mut self, name: impl Into<String>) -> Self {
        self.fields.push(name.into());
        self
    }

    /// Registers the exact value of a secret the application loaded, such
    /// as a `SecretString` or a `SecretSlice<u8>`.
    pub fn secret<T: AsRef<[u8]> + ?Sized>(self, value: &impl ExposeSecret<T>) -> Self {
        self.secret_bytes(value.expose_secret().as_ref())
    }

    /// Registers the exact value of a secret, as bytes. The builder keeps a
    /// copy that is wiped when the builder is dropped.
    pub fn secret_bytes(mut self, value: &[u8]) -> Self {
        self.secrets.push(Zeroizing::new(value.to_vec()));
        self
    }

    /// Sets the per-deployment fingerprint key (see [`crate::fingerprint`]).
    pub fn fingerprint_key(self, key: &SecretSlice<u8>) -> Self {
        self.fingerprint_key_bytes(key.expose_secret())
    }

    /// Sets the fingerprint key from bytes.
    pub fn fingerprint_key_bytes(mut self, key: &[u8]) -> Self {
        self.fingerprint_key = Some(Zeroizing::new(key.to_vec()));
        self
    }

    /// Sets how much of a card number stays visible.
    pub fn card_mask(mut self, mask: CardMask) -> Self {
        self.card_mask = mask;
        self
    }

    /// Turns the credential shapes on or off (on by default).
    pub fn credentials(mut self, on: bool) -> Self {
        self.skip_credentials = !on;
        self
    }

    /// Turns card number detection on or off (on by default).
    pub fn cards(mut self, on: bool) -> Self {
        self.skip_cards = !on;
        self
    }

    /// Turns phone number detection on or off (on by default).
    pub fn phones(mut self, on: bool) -> Self {
        self.skip_phones = !on;
        self
    }

    /// Turns e-mail address detection on or off (on by default).
    pub fn emails(mut self, on: bool) -> Self {
        self.skip_emails = !on;
        self
    }

    /// Checks the header, query parameter and field names without
    /// compiling anything.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), for the names.
    pub fn check_names(&self) -> Result<(), ConfigError> {
        header_names(&self.headers)?;
        names("query_params", &self.query_params, DEFAULT_QUERY_PARAMS)?;
        names("json_fields", &self.fields, DEFAULT_FIELDS)?;
        Ok(())
    }

    /// Compiles the rules.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the field: `headers[i]` for a name that is
    /// not a header name, `query_params[i]` or `json_fields[i]` for an
    /// empty name or one holding a space, quote, `=` or `&`,
    /// `secrets[i]` for a secret shorter than [`MIN_SECRET_LEN`], and
    /// `fingerprint_key` for a key that is too short.
    pub fn build(self) -> Result<Redactor, ConfigError> {
        let headers = header_names(&self.headers)?;
        let query_params = names("query_params", &self.query_params, DEFAULT_QUERY_PARAMS)?;
        let fields = names("json_fields", &self.fields, DEFAULT_FIELDS)?;
        for (i, secret) in self.secrets.iter().enumerate() {
            if secret.len() < MIN_SECRET_LEN {
                let message =
                    format!("a registered secret must be at least {MIN_SECRET_LEN} bytes long");
                return Err(ConfigError::new(format!("secrets[{i}]"), message));
            }
        }
        let fingerprinter = self
            .fingerprint_key
            .as_deref()
            .map(|key| Fingerprinter::new(key))
            .transpose()?;

        let rules = name_rules(&headers, &query_params, &fields);
        let secrets: Vec<&[u8]> = self.secrets.iter().map(|s| s.as_slice()).collect();
        let settings = Settings {
            credentials: !self.skip_credentials,
            cards: !self.skip_cards,
            phones: !self.skip_phones,
            emails: !self.skip_emails,
        };
        let secret_prints = secrets
            .iter()
            .map(|s| fingerprinter.as_ref().map(|f| f.fingerprint(s).to_string()))
            .collect();
        let engine = Engine::new(&secrets, &rules, settings);
        let inner = Inner {
            engine,
            secret_prints,
            fingerprinter,
            card_mask: self.card_mask,
            headers,
            query_params,
            fields,
        };
        Ok(Redactor {
            inner: Arc::new(inner),
        })
    }
}

fn header_names(extra: &[String]) -> Result<Vec<HeaderName>, ConfigError> {
    let mut out: Vec<HeaderName> = DEFAULT_HEADERS
        .iter()
        .map(|h| HeaderName::from_static(h))
        .collect();
    for (i, name) in extra.iter().enumerate() {
        let header =
            HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()).map_err(|_| {
                ConfigError::new(format!("headers[{i}]"), "not a valid HTTP header name")
            })?;
        if !out.contains(&header) {
            out.push(header);
        }
    }
    Ok(out)
}

fn names(field: &str, extra: &[String], defaults: &[&str]) -> Result<Vec<String>, ConfigError> {
    let mut out: Vec<String> = defaults.iter().map(|s| (*s).to_owned()).collect();
    for (i, name) in extra.iter().enumerate() {
        let bad = name.is_empty()
            || name
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b"\"'=&\\".contains(&b));
        if bad {
            let message = "must be a non-empty name without spaces, quotes, `=` or `&`";
            return Err(ConfigError::new(format!("{field}[{i}]"), message));
        }
        let lower = name.to_ascii_lowercase();
        if !out.contains(&lower) {
            out.push(lower);
        }
    }
    Ok(out)
}

fn name_rules(
    headers: &[HeaderName],
    query: &[String],
    fields: &[String],
) -> BTreeMap<String, KeyRule> {
    let mut rules: BTreeMap<String, KeyRule> = BTreeMap::new();
    let none = KeyRule {
        field: false,
        query: false,
        extent: Extent::Token,
    };
    for header in headers {
        let rule = rules.entry(header.as_str().to_owned()).or_insert(none);
        rule.field = true;
        if LINE_HEADERS.contains(&header.as_str()) {
            rule.extent = Extent::Line;
        }
    }
    for name in query {
        rules.entry(name.clone()).or_insert(none).query = true;
    }
    for name in fields {
        rules.entry(name.clone()).or_insert(none).field = true;
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_are_refused_with_their_field_path() {
        let error = Redactor::builder()
            .header("bad header")
            .build()
            .unwrap_err();
        assert_eq!(error.field(), "headers[0]");
        let error = Redactor::builder()
            .query_param("ok")
            .query_param("a=b")
            .build()
            .unwrap_err();
        assert_eq!(error.field(), "query_params[1]");
        let error = Redactor::builder().json_field("").build().unwrap_err();
        assert_eq!(error.field(), "json_fields[0]");
    }

    #[test]
    fn a_short_secret_is_refused_without_printing_it() {
        let error = Redactor::builder()
            .secret_bytes(b"abc")
            .build()
            .unwrap_err();
        assert_eq!(error.field(), "secrets[0]");
        assert!(!error.to_string().contains("abc"));
    }

    #[test]
    fn debug_shows_counts_not_values() {
        let redactor = Redactor::builder()
            .secret_bytes(b"super-secret-value")
            .build()
            .unwrap();
        let debug = format!("{redactor:?}");
        assert!(debug.contains("secrets: 1"));
        assert!(!debug.contains("super-secret"));
    }

    #[test]
    fn a_bare_number_in_a_json_line_becomes_a_string() {
        let redactor = Redactor::new();
        let line = r#"{"fields":{"phone":447911123456,"n":1}}"#;
        let clean = redactor.scrub(line);
        let value: serde_json::Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(value["fields"]["phone"], "[phone:***3456]");
        assert_eq!(value["fields"]["n"], 1);
    }

    #[test]
    fn a_find_right_after_an_escape_keeps_the_escape_whole() {
        let redactor = Redactor::new();
        let line = r#"{"message":"a\nbob@example.com\tz"}"#;
        let clean = redactor.scrub(line);
        let value: serde_json::Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(value["message"], "a\n[email:***@example.com]\tz");
    }

    #[test]
    fn scrubbing_twice_changes_nothing_more() {
        let redactor = Redactor::builder()
            .fingerprint_key_bytes(&[7; 32])
            .build()
            .unwrap();
        let line = "token=abc123 +447911123456 4111111111111111 bob@example.com ghp_0123456789abcdefghijABCDEFGHIJ012345";
        let once = redactor.scrub(line).into_owned();
        assert_eq!(redactor.scrub(&once), once);
    }
}
