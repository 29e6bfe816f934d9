//! Checking an audit file's hash chain.
//!
//! [`verify`] reads the active file and its rotated segments in order and
//! reports the first record that was changed, removed or reordered, by file
//! and line. [`verify_files`] does the same for an explicit list of files.
//!
//! What the chain proves and what it cannot: any edit, deletion, insertion
//! or swap of lines is found, except the removal of the newest records at
//! the end (compare [`VerifyReport::last_hash`] with a copy kept elsewhere,
//! such as the head alert a monitor stores) and a rewrite of the whole
//! chain from the edited record on by someone who can write the files.
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use http::{Method, StatusCode};
//! use rimguard_audit::{AuditSink, FileSink, Outcome, PendingRecord, RequestId, verify};
//!
//! # fn main() -> std::io::Result<()> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("rimguard.jsonl");
//! let (sink, guard) = FileSink::builder(&path).build()?;
//! for _ in 0..3 {
//!     let pending = PendingRecord::new(SystemTime::now(), RequestId::generate(), Method::GET, "/".parse().unwrap());
//!     sink.submit(pending.finish(StatusCode::OK, Default::default(), Outcome::Allowed));
//! }
//! guard.shutdown()?;
//!
//! let report = verify(&path)?;
//! assert!(report.is_intact());
//! assert_eq!(report.records, 3);
//! assert!(report.to_string().starts_with("intact\n3 records in 1 files, seq 0 to 2"));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chain::{self, GENESIS};

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The files read, oldest first.
    pub files: Vec<PathBuf>,
    /// Records checked before the first problem (all of them when intact).
    pub records: u64,
    /// The sequence number of the first record read.
    pub first_seq: Option<u64>,
    /// The sequence number of the last good record.
    pub last_seq: Option<u64>,
    /// The hex hash of the last good record.
    pub last_hash: Option<String>,
    /// Whether the first record read is the chain's first (`seq` 0); when
    /// not, older files were removed (by retention, or not).
    pub starts_at_genesis: bool,
    /// `gap` markers found: the writer reporting records it could not write.
    pub gaps: u64,
    /// Records the gap markers say were dropped or failed.
    pub reported_lost: u64,
    /// The first problem, if any.
    pub problem: Option<Problem>,
}

impl VerifyReport {
    /// Whether no problem was found.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

impl fmt::Display for VerifyReport {
    /// A summary for a command line: the verdict, then the counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Some(problem) => writeln!(f, "BROKEN: {problem}")?,
            None => writeln!(f, "intact")?,
        }
        write!(f, "{} records in {} files", self.records, self.files.len())?;
        if let (Some(first), Some(last)) = (self.first_seq, self.last_seq) {
            write!(f, ", seq {first} to {last}")?;
        }
        if !self.starts_at_genesis && self.first_seq.is_some() {
            f.write_str(" (older files are gone)")?;
        }
        if self.gaps > 0 {
            write!(
                f,
                "; {} gap markers report {} records lost",
                self.gaps, self.reported_lost
            )?;
        }
        if let Some(hash) = &self.last_hash {
            write!(f, "\nlast hash {hash}")?;
        }
        Ok(())
    }
}

/// Where the chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file.
    pub file: PathBuf,
    /// The 1-based line in that file.
    pub line: u64,
    /// What is wrong there.
    pub kind: ProblemKind,
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
#[non_exhaustive]
pub enum ProblemKind {
    /// Not a sealed record (torn by a crash, or written by hand).
    Malformed,
    /// The content does not match its hash: the line was edited.
    Changed,
    /// The record's hash is its own, but it does not link to the line
    /// before: that line was changed and re-hashed, or a line was inserted.
    BrokenLink,
    /// One or more records are missing just before this line.
    Removed {
        /// The sequence number expected here.
        expected_seq: u64,
        /// The one found.
        found_seq: u64,
    },
    /// Records are out of order: the one expected here comes later, or this
    /// one came earlier.
    Reordered {
        /// The sequence number expected here.
        expected_seq: u64,
        /// The one found.
        found_seq: u64,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        match &self.kind {
            ProblemKind::Malformed => f.write_str("not a sealed audit record"),
            ProblemKind::Changed => f.write_str("record changed (its hash does not match)"),
            ProblemKind::BrokenLink => f.write_str("record does not follow the one before it"),
            ProblemKind::Removed {
                expected_seq,
                found_seq,
            } => {
                write!(f, "records {expected_seq} to {} removed", found_seq - 1)
            }
            ProblemKind::Reordered {
                expected_seq,
                found_seq,
            } => {
                write!(
                    f,
                    "records reordered: expected {expected_seq}, found {found_seq}"
                )
            }
        }
    }
}

#[derive(Deserialize)]
struct Line {
    seq: u64,
    prev: String,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    dropped: u64,
    #[serde(default)]
    failed: u64,
}

/// Verifies the audit file at `path` (the active file, as configured) and
/// its rotated segments.
///
/// # Errors
///
/// When a file cannot be listed or read. A broken chain is not an error:
/// it is the report's [`problem`](VerifyReport::problem).
pub fn verify(path: impl AsRef<Path>) -> io::Result<VerifyReport> {
    let path = path.as_ref();
    let mut files: Vec<PathBuf> = chain::rotated_segments(path)?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    if path.exists() {
        files.push(path.to_path_buf());
    }
    if files.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no audit file or rotated segment found",
        ));
    }
    verify_files(&files)
}

/// Verifies the audit file at `path` like [`verify`], and raises an
/// [`AuditChainBroken`](crate::AlertKind::AuditChainBroken) alert when the
/// chain is broken, so that a scheduled check (or a start-up check, see
/// [`FileSinkBuilder::verify_on_open`](crate::FileSinkBuilder::verify_on_open))
/// tells someone.
///
/// # Errors
///
/// As [`verify`].
pub fn verify_and_alert(
    path: impl AsRef<Path>,
    alerts: &crate::AlertSender,
) -> io::Result<VerifyReport> {
    let report = verify(path)?;
    if let Some(problem) = &report.problem {
        let alert = crate::Alert::new(
            crate::AlertKind::AuditChainBroken,
            "audit-verify",
            "audit file",
            problem.to_string(),
        );
        alerts.send(alert);
    }
    Ok(report)
}

/// Verifies `files` as one chain, in the order given.
///
/// # Errors
///
/// When a file cannot be read.
pub fn verify_files(files: &[PathBuf]) -> io::Result<VerifyReport> {
    let mut state = Walk {
        report: VerifyReport {
            files: files.to_vec(),
            records: 0,
            first_seq: None,
            last_seq: None,
            last_hash: None,
            starts_at_genesis: false,
            gaps: 0,
            reported_lost: 0,
            problem: None,
        },
        expected: None,
        last_hash: GENESIS,
    };

    for (index, file) in files.iter().enumerate() {
        let reader = BufReader::new(File::open(file)?);
        for (number, line) in reader.split(b'\n').enumerate() {
            let line = line?;
            let Some(kind) = state.check(&line) else {
                continue;
            };
            let kind = refine(kind, files, index, number as u64 + 1)?;
            state.report.problem = Some(Problem {
                file: file.clone(),
                line: number as u64 + 1,
                kind,
            });
            return Ok(state.report);
        }
    }
    Ok(state.report)
}

struct Walk {
    report: VerifyReport,
    /// The sequence number the next line must have.
    expected: Option<u64>,
    last_hash: [u8; 32],
}

impl Walk {
    /// Checks one line; the problem, if any.
    fn check(&mut self, line: &[u8]) -> Option<ProblemKind> {
        let Some((claimed, actual)) = chain::check_line(line) else {
            return Some(ProblemKind::Malformed);
        };
        let Ok(parsed) = serde_json::from_slice::<Line>(line) else {
            return Some(ProblemKind::Malformed);
        };
        if claimed != actual {
            return Some(ProblemKind::Changed);
        }

        let mut prev = [0; 32];
        if hex::decode_to_slice(&parsed.prev, &mut prev).is_err() {
            return Some(ProblemKind::Malformed);
        }
        match self.expected {
            None => {
                self.report.first_seq = Some(parsed.seq);
                self.report.starts_at_genesis = parsed.seq == 0;
                if parsed.seq == 0 && prev != GENESIS {
                    return Some(ProblemKind::BrokenLink);
                }
            }
            Some(expected) if parsed.seq > expected => {
                return Some(ProblemKind::Removed {
                    expected_seq: expected,
                    found_seq: parsed.seq,
                });
            }
            Some(expected) if parsed.seq < expected => {
                return Some(ProblemKind::Reordered {
                    expected_seq: expected,
                    found_seq: parsed.seq,
                });
            }
            Some(_) if prev != self.last_hash => return Some(ProblemKind::BrokenLink),
            Some(_) => {}
        }

        if parsed.event.as_deref() == Some("gap") {
            self.report.gaps += 1;
            self.report.reported_lost += parsed.dropped + parsed.failed;
        }
        self.expected = Some(parsed.seq + 1);
        self.last_hash = claimed;
        self.report.records += 1;
        self.report.last_seq = Some(parsed.seq);
        self.report.last_hash = Some(hex::encode(claimed));
        None
    }
}

/// Tells a removal from a reordering: if the expected record turns up
/// later, the records were reordered.
fn refine(
    kind: ProblemKind,
    files: &[PathBuf],
    index: usize,
    line: u64,
) -> io::Result<ProblemKind> {
    let ProblemKind::Removed {
        expected_seq,
        found_seq,
    } = kind
    else {
        return Ok(kind);
    };
    for (i, file) in files.iter().enumerate().skip(index) {
        let reader = BufReader::new(File::open(file)?);
        let skip = if i == index { line as usize } else { 0 };
        for later in reader.split(b'\n').skip(skip) {
            let later = later?;
            if serde_json::from_slice::<Line>(&later).is_ok_and(|l| l.seq == expected_seq) {
                return Ok(ProblemKind::Reordered {
                    expected_seq,
                    found_seq,
                });
            }
        }
    }
    Ok(kind)
}
