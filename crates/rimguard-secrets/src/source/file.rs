//! `file:` sources: a file that only its owner can read.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use zeroize::Zeroizing;

/// Reads the whole file, less one trailing newline, after checking that
/// group and others have no access to it (on Unix).
pub(super) fn read_protected(
    path: &Path,
) -> Result<(Zeroizing<Vec<u8>>, Option<SystemTime>), String> {
    let metadata = fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if !metadata.is_file() {
        return Err("not a regular file".to_owned());
    }
    check_mode(path, &metadata)?;

    let mut raw = Zeroizing::new(fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?);
    strip_one_newline(&mut raw);
    Ok((raw, metadata.modified().ok()))
}

#[cfg(unix)]
fn check_mode(path: &Path, metadata: &fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;

    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    Err(format!(
        "the file is open to group or others (mode {mode:04o}) and is refused, as ssh refuses \
         such keys; run `chmod 600 {}`",
        path.display()
    ))
}

#[cfg(not(unix))]
fn check_mode(_path: &Path, _metadata: &fs::Metadata) -> Result<(), String> {
    Ok(())
}

fn strip_one_newline(raw: &mut Vec<u8>) {
    if raw.last() == Some(&b'\n') {
        raw.pop();
        if raw.last() == Some(&b'\r') {
            raw.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_dropped() {
        for (input, output) in [
            (&b"k\n"[..], &b"k"[..]),
            (b"k\r\n", b"k"),
            (b"k\n\n", b"k\n"),
            (b"k", b"k"),
        ] {
            let mut raw = input.to_vec();
            strip_one_newline(&mut raw);
            assert_eq!(raw, output);
        }
    }
}
