//! The hash chain shared by the file writer and [`verify`](crate::verify).
//!
//! Each line of an audit file is one JSON object whose first members are
//! `"seq"` (0, 1, 2, … across all files of a chain) and `"prev"` (the hex
//! SHA-256 of the previous record, 64 zeros before the first one), and
//! whose last member is `"hash"`: the hex SHA-256 of the line's bytes from
//! its `{` up to, not including, the `,"hash":` that ends it. A rotated
//! file is renamed `<stem>.<first seq, 12 digits>.<ext>` and the new active
//! file goes on from the last hash of the old one.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The `prev` of the first record of a chain.
pub(crate) const GENESIS: [u8; 32] = [0; 32];

/// What ends the hashed part of a line.
pub(crate) const HASH_MEMBER: &[u8] = b",\"hash\":\"";

/// Starts a line: `{"seq":N,"prev":"…",`.
pub(crate) fn open_line(out: &mut Vec<u8>, seq: u64, prev: &[u8; 32]) {
    out.extend_from_slice(b"{\"seq\":");
    push_u64(out, seq);
    out.extend_from_slice(b",\"prev\":\"");
    push_hex(out, prev);
    out.extend_from_slice(b"\",");
}

/// Hashes the line that starts at `start` and ends it with its hash.
pub(crate) fn seal_line(out: &mut Vec<u8>, start: usize) -> [u8; 32] {
    let hash: [u8; 32] = Sha256::digest(&out[start..]).into();
    out.extend_from_slice(HASH_MEMBER);
    push_hex(out, &hash);
    out.extend_from_slice(b"\"}\n");
    hash
}

/// The hash a line claims and the one its content has, when the line has
/// the shape of a sealed line.
pub(crate) fn check_line(line: &[u8]) -> Option<([u8; 32], [u8; 32])> {
    let body_end = line.len().checked_sub(HASH_MEMBER.len() + 64 + 2)?;
    let (body, tail) = line.split_at(body_end);
    let hex_part = tail.strip_prefix(HASH_MEMBER)?.strip_suffix(b"\"}")?;
    let mut claimed = [0; 32];
    hex::decode_to_slice(hex_part, &mut claimed).ok()?;
    Some((claimed, Sha256::digest(body).into()))
}

pub(crate) fn push_hex(out: &mut Vec<u8>, bytes: &[u8; 32]) {
    let start = out.len();
    out.resize(start + 64, 0);
    hex::encode_to_slice(bytes, &mut out[start..]).expect("64 hex digits fit 64 bytes");
}

pub(crate) fn push_u64(out: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut rest = value;
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// The stem and extension that name an audit file's rotated segments.
pub(crate) fn name_parts(active: &Path) -> io::Result<(String, Option<String>)> {
    let stem = active.file_stem().and_then(|s| s.to_str()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the audit file needs a UTF-8 file name",
        )
    })?;
    let ext = active
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_owned);
    Ok((stem.to_owned(), ext))
}

/// The name of the rotated segment whose first record is `first_seq`.
pub(crate) fn segment_path(active: &Path, first_seq: u64) -> io::Result<PathBuf> {
    let (stem, ext) = name_parts(active)?;
    let name = match ext {
        Some(ext) => format!("{stem}.{first_seq:012}.{ext}"),
        None => format!("{stem}.{first_seq:012}"),
    };
    Ok(active.with_file_name(name))
}

/// The rotated segments of `active`, oldest first (the active file not
/// included).
pub(crate) fn rotated_segments(active: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let (stem, ext) = name_parts(active)?;
    let dir = match active.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut found = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if let Some(seq) = segment_seq(&name, &stem, ext.as_deref()) {
            found.push((seq, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

fn segment_seq(name: &str, stem: &str, ext: Option<&str>) -> Option<u64> {
    let rest = name.strip_prefix(stem)?.strip_prefix('.')?;
    let digits = match ext {
        Some(ext) => rest.strip_suffix(ext)?.strip_suffix('.')?,
        None => rest,
    };
    let all_digits = digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| digits.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_line_checks_and_an_edited_one_does_not() {
        let mut line = Vec::new();
        open_line(&mut line, 7, &GENESIS);
        line.extend_from_slice(b"\"event\":\"request\"");
        seal_line(&mut line, 0);
        let text = line.strip_suffix(b"\n").unwrap();

        let (claimed, actual) = check_line(text).unwrap();
        assert_eq!(claimed, actual);

        let edited = String::from_utf8(text.to_vec())
            .unwrap()
            .replace("request", "requesT");
        let (claimed, actual) = check_line(edited.as_bytes()).unwrap();
        assert_ne!(claimed, actual);
    }

    #[test]
    fn segment_names_sort_by_first_sequence_number() {
        let active = Path::new("/var/audit/rimguard.jsonl");
        let path = segment_path(active, 1000).unwrap();
        assert_eq!(path, Path::new("/var/audit/rimguard.000000001000.jsonl"));
        assert_eq!(
            segment_seq("rimguard.000000001000.jsonl", "rimguard", Some("jsonl")),
            Some(1000)
        );
        assert_eq!(
            segment_seq("rimguard.jsonl", "rimguard", Some("jsonl")),
            None
        );
        assert_eq!(
            segment_seq("rimguard.12.jsonl", "rimguard", Some("jsonl")),
            None
        );
    }
}
