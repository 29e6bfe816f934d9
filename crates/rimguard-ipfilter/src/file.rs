//! List files: one range per line, `#` comments, blank lines.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use ipnet::IpNet;
use rimguard_core::ConfigError;

use crate::entry::{HostBits, parse_entry};
use crate::list::{Action, warn_truncated};

/// What identifies one version of a file without reading it: size,
/// modification time and, on Unix, device and inode (so that a file
/// replaced by a rename, or a symlink switched to a new target, is seen as
/// changed even with an equal size and time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    inode: (u64, u64),
}

impl Fingerprint {
    /// The fingerprint of the file at `path` now, following symlinks, or
    /// `None` when it cannot be read.
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let meta = fs::metadata(path).ok()?;
        Some(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode: inode(&meta),
        })
    }
}

#[cfg(unix)]
fn inode(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn inode(_meta: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Validated ranges with their actions, in list order.
pub(crate) type Entries = Vec<(IpNet, Action)>;

/// `inline` entries followed by those of `file`, when there is one.
pub(crate) fn with_file(
    list: &str,
    mut inline: Vec<(IpNet, Action)>,
    file: Option<&Path>,
    host_bits: HostBits,
) -> Result<Vec<(IpNet, Action)>, ConfigError> {
    if let Some(path) = file {
        let (entries, _) = read_list_file(list, path, host_bits)?;
        inline.extend(entries);
    }
    Ok(inline)
}

/// Reads and parses a list file, with the fingerprint of the version read.
///
/// The file is fingerprinted before and after it is read; when the two
/// differ, it was being written meanwhile and the read is refused, so a
/// half-written file never becomes a list.
pub(crate) fn read_list_file(
    list: &str,
    path: &Path,
    host_bits: HostBits,
) -> Result<(Entries, Option<Fingerprint>), ConfigError> {
    let before = Fingerprint::of(path);
    let text = fs::read_to_string(path).map_err(|error| {
        ConfigError::new("file", format!("cannot read the list file: {error}")).in_file(path)
    })?;
    if Fingerprint::of(path) != before {
        let message = "the list file changed while it was read; it will be read again";
        return Err(ConfigError::new("file", message).in_file(path));
    }
    Ok((parse_list_text(list, &text, path, host_bits)?, before))
}

/// Parses the text of a list file. Each non-blank line, once a `#` comment
/// is cut off, is a range or bare address, optionally after the word
/// `allow` or `deny` (allow when omitted).
///
/// # Errors
///
/// The first bad line, as a [`ConfigError`] on field `file` with the file,
/// line and column.
pub(crate) fn parse_list_text(
    list: &str,
    text: &str,
    path: &Path,
    host_bits: HostBits,
) -> Result<Vec<(IpNet, Action)>, ConfigError> {
    let mut entries = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let at_line = |column: usize, message: String| {
            ConfigError::new("file", message)
                .in_file(path)
                .at(number + 1, column)
        };
        let Some(Line {
            column,
            action,
            entry,
        }) = split_line(line).map_err(|(c, m)| at_line(c, m))?
        else {
            continue;
        };
        let (net, truncated) = parse_entry(entry, host_bits).map_err(|m| at_line(column, m))?;
        if truncated {
            let origin = format!("{}:{}", path.display(), number + 1);
            warn_truncated(list, &origin, entry, net);
        }
        entries.push((net, action));
    }
    Ok(entries)
}

/// The entry of one line of a list file.
struct Line<'a> {
    /// 1-based column of the range.
    column: usize,
    action: Action,
    entry: &'a str,
}

/// A line's entry, `None` for a blank or comment line, or the column and
/// message of what is wrong with it.
fn split_line(line: &str) -> Result<Option<Line<'_>>, (usize, String)> {
    let content = line.split('#').next().unwrap_or_default();
    let mut words = content.split_whitespace();
    let Some(first) = words.next() else {
        return Ok(None);
    };

    let (action, entry) = match first {
        "allow" => (Action::Allow, words.next()),
        "deny" => (Action::Deny, words.next()),
        _ => (Action::Allow, Some(first)),
    };
    let column_of = |word: &str| {
        let offset = word.as_ptr() as usize - line.as_ptr() as usize;
        line[..offset].chars().count() + 1
    };
    let Some(entry) = entry else {
        return Err((
            column_of(first),
            format!("`{first}` must be followed by a range"),
        ));
    };
    if let Some(extra) = words.next() {
        return Err((
            column_of(extra),
            "one range per line; use `#` for comments".to_owned(),
        ));
    }
    Ok(Some(Line {
        column: column_of(entry),
        action,
        entry,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(IpNet, Action)>, ConfigError> {
        parse_list_text(
            "test",
            text,
            Path::new("lists/office.txt"),
            HostBits::Refuse,
        )
    }

    #[test]
    fn comments_blank_lines_and_keywords_are_understood() {
        let text =
            "# office\n\n203.0.113.0/24   # main site\n  deny 203.0.113.66\nallow 2001:db8::/32\n";
        let entries = parse(text).unwrap();
        let shown: Vec<_> = entries
            .iter()
            .map(|(net, action)| format!("{action:?} {net}"))
            .collect();
        assert_eq!(
            shown,
            [
                "Allow 203.0.113.0/24",
                "Deny 203.0.113.66/32",
                "Allow 2001:db8::/32"
            ]
        );
    }

    #[test]
    fn an_empty_file_is_an_empty_list() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("# nothing yet\n\n   \n").unwrap().is_empty());
    }

    #[test]
    fn a_bad_range_is_reported_with_file_line_and_column() {
        let error = parse("10.0.0.0/8\n# ok\n   deny 10.0.0.300\n").unwrap_err();
        assert_eq!(error.field(), "file");
        assert_eq!(error.line(), Some(3));
        assert_eq!(error.column(), Some(9));
        assert_eq!(error.file(), Some(Path::new("lists/office.txt")));
        assert!(
            error
                .to_string()
                .starts_with("lists/office.txt:3:9: file: `10.0.0.300`"),
            "{error}"
        );
    }

    #[test]
    fn two_ranges_on_a_line_are_refused() {
        let error = parse("10.0.0.0/8 10.1.0.0/16\n").unwrap_err();
        assert_eq!((error.line(), error.column()), (Some(1), Some(12)));
    }

    #[test]
    fn a_keyword_without_a_range_is_refused() {
        let error = parse("\ndeny\n").unwrap_err();
        assert_eq!(error.line(), Some(2));
        assert!(
            error.message().contains("`deny` must be followed"),
            "{error}"
        );
    }

    #[test]
    fn host_bits_in_a_file_are_refused_with_the_line() {
        let error = parse("192.0.2.0/24\n192.0.2.1/24\n").unwrap_err();
        assert_eq!(error.line(), Some(2));
        assert!(error.message().contains("host bits"), "{error}");
    }
}
