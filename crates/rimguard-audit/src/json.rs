//! Hand-written JSON for records: one pass into a reused buffer, no
//! intermediate values, so the writer thread spends its time on I/O.

use std::io::Write as _;

use crate::chain;
use crate::record::{AuditRecord, Outcome};
use crate::time;

/// Appends the record's members (without braces) to `out`.
pub(crate) fn write_record_fields(out: &mut Vec<u8>, record: &AuditRecord) {
    out.extend_from_slice(b"\"time\":\"");
    time::write_rfc3339(out, record.time());
    out.extend_from_slice(b"\",\"event\":\"request\",\"request_id\":");
    string(out, record.request_id().as_str());
    out.extend_from_slice(b",\"direction\":\"");
    out.extend_from_slice(record.direction().as_str().as_bytes());
    out.extend_from_slice(b"\",\"method\":");
    string(out, record.method().as_str());
    if record.direction() == crate::Direction::Outbound {
        out.extend_from_slice(b",\"host\":");
        opt_string(out, record.host());
    }
    out.extend_from_slice(b",\"route\":");
    opt_string(out, record.route());

    out.extend_from_slice(b",\"target\":\"");
    let start = out.len();
    record.write_masked_target(out);
    if out[start..].iter().any(|&b| needs_escape(b)) {
        // Rare: a URI with a quote or backslash in it.
        let raw = out.split_off(start);
        escape_into(out, &String::from_utf8_lossy(&raw));
    }
    out.push(b'"');

    out.extend_from_slice(b",\"client_ip\":");
    match record.client_ip() {
        Some(ip) => {
            let _ = write!(out, "\"{ip}\"");
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"status\":");
    match record.status() {
        Some(status) => chain::push_u64(out, u64::from(status.as_u16())),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"latency_us\":");
    chain::push_u64(
        out,
        u64::try_from(record.latency().as_micros()).unwrap_or(u64::MAX),
    );

    write_outcome(out, record.outcome());
    out.extend_from_slice(b",\"api_key\":");
    opt_string(out, record.api_key().map(|k| k.as_str()));
    out.extend_from_slice(b",\"phone\":");
    match record.phone() {
        Some(masked) => string(out, &masked.to_string()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"user_agent\":");
    opt_string(out, record.user_agent().as_deref());
}

fn write_outcome(out: &mut Vec<u8>, outcome: Outcome) {
    out.extend_from_slice(b",\"outcome\":\"");
    out.extend_from_slice(outcome.as_str().as_bytes());
    out.push(b'"');
    if let Outcome::Refused { layer, code } = outcome {
        out.extend_from_slice(b",\"refused_by\":\"");
        out.extend_from_slice(layer.as_str().as_bytes());
        out.extend_from_slice(b"\",\"reason\":");
        string(out, code);
    }
}

fn opt_string(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => string(out, value),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends `value` as a JSON string, escaping quotes, backslashes and
/// control characters.
pub(crate) fn string(out: &mut Vec<u8>, value: &str) {
    out.push(b'"');
    escape_into(out, value);
    out.push(b'"');
}

fn needs_escape(b: u8) -> bool {
    matches!(b, b'"' | b'\\' | 0..=0x1f | 0x7f)
}

/// Appends `value` escaped, without quotes.
fn escape_into(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    let mut clean_from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f | 0x7f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[clean_from..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.extend_from_slice(escape);
        }
        clean_from = i + 1;
    }
    out.extend_from_slice(&bytes[clean_from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_json_requires() {
        let mut out = Vec::new();
        string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8(out).unwrap(), r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn every_target_the_uri_parser_accepts_serializes_to_valid_json() {
        use std::time::{Duration, SystemTime};
        for target in ["/a\"b?token=\"x", "/a\\b", "/{id}|^`", "/%22?q=%5C"] {
            let Ok(uri) = target.parse::<http::Uri>() else {
                continue;
            };
            let record = crate::PendingRecord::new(
                SystemTime::now(),
                crate::RequestId::generate(),
                http::Method::GET,
                uri,
            )
            .finish(http::StatusCode::OK, Duration::ZERO, Outcome::Allowed);
            let json: serde_json::Value = serde_json::from_str(&record.to_json()).unwrap();
            assert!(json["target"].as_str().unwrap().starts_with('/'));
        }
    }

    #[test]
    fn escaped_strings_parse_back() {
        let mut out = Vec::new();
        let text = "tab\there \u{7f} \u{0} \"quoted\"";
        string(&mut out, text);
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, text);
    }
}
