//! `dotenv:` sources: a variable in a `.env` file, for development only.
//!
//! The syntax is the common subset: `KEY=value` lines, an optional
//! `export ` before the key, `#` comments, values in single quotes (taken
//! as is) or double quotes (with `\n`, `\"` and `\\` escapes). The file
//! is read for each lookup and never copied into the process environment.

use std::path::Path;

use zeroize::Zeroizing;

/// The value of `name` in the `.env` file at `path`.
pub(super) fn lookup(path: &Path, name: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let text = std::fs::read(path)
        .map_err(|e| format!("cannot read the .env file {}: {e}", path.display()))?;
    let text = Zeroizing::new(text);
    let text = std::str::from_utf8(&text).map_err(|_| "the .env file is not UTF-8".to_owned())?;

    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "line {} of the .env file is not KEY=VALUE",
                index + 1
            ));
        };
        if key.trim() == name {
            return parse_value(value.trim()).ok_or_else(|| {
                format!("line {} of the .env file has an unclosed quote", index + 1)
            });
        }
    }
    Err(format!("not in the .env file {}", path.display()))
}

fn parse_value(value: &str) -> Option<Zeroizing<Vec<u8>>> {
    if let Some(rest) = value.strip_prefix('\'') {
        let end = rest.find('\'')?;
        return Some(Zeroizing::new(rest.as_bytes()[..end].to_vec()));
    }
    if let Some(rest) = value.strip_prefix('"') {
        return unescape_double_quoted(rest);
    }
    let unquoted = match value.find(" #") {
        Some(comment) => value[..comment].trim_end(),
        None => value,
    };
    Some(Zeroizing::new(unquoted.as_bytes().to_vec()))
}

fn unescape_double_quoted(rest: &str) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(rest.len()));
    let mut chars = rest.chars();
    let mut buf = [0u8; 4];
    while let Some(c) = chars.next() {
        let c = match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => '\n',
                other => other,
            },
            other => other,
        };
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: &str) -> Option<String> {
        parse_value(v).map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    #[test]
    fn values_unquote_like_common_dotenv_files() {
        assert_eq!(value("plain").as_deref(), Some("plain"));
        assert_eq!(value("plain # comment").as_deref(), Some("plain"));
        assert_eq!(value("'single # kept'").as_deref(), Some("single # kept"));
        assert_eq!(value(r#""a\nb \"q\"""#).as_deref(), Some("a\nb \"q\""));
        assert_eq!(value("\"unclosed"), None);
    }
}
