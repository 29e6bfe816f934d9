//! The hash-chained JSON Lines file sink.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::num::{NonZeroU64, NonZeroUsize};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

use super::queue::{FlushPolicy, OnFull, QueueOptions, QueuedSink, RecordWriter, SinkGuard};
use crate::alert::AlertSender;
use crate::chain::{self, GENESIS};
use crate::record::AuditRecord;
use crate::verify::VerifyReport;
use crate::{json, time};

/// How far back from a file's end to look for its last record.
const TAIL_WINDOW: u64 = 64 * 1024;

/// When the active audit file is renamed and a new one started.
///
/// The chain goes on across files: the first record of the new file links
/// to the last record of the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rotation {
    max_bytes: Option<NonZeroU64>,
    daily: bool,
}

impl Rotation {
    /// Never rotate.
    pub fn never() -> Self {
        Self::default()
    }

    /// Rotate once the file holds `max_bytes` (the record that crosses the
    /// limit stays in the old file).
    pub fn max_bytes(max_bytes: NonZeroU64) -> Self {
        Self {
            max_bytes: Some(max_bytes),
            daily: false,
        }
    }

    /// Rotate when a record's UTC date is later than the file's first.
    pub fn daily() -> Self {
        Self {
            max_bytes: None,
            daily: true,
        }
    }

    /// Also rotate daily.
    pub fn and_daily(mut self) -> Self {
        self.daily = true;
        self
    }

    /// The size limit, if any.
    pub fn size_limit(&self) -> Option<NonZeroU64> {
        self.max_bytes
    }

    /// Whether files rotate at each new UTC day.
    pub fn is_daily(&self) -> bool {
        self.daily
    }
}

/// The tamper-evident audit file: JSON Lines, one record a line, each line
/// carrying the SHA-256 of the one before.
///
/// See the [crate docs](crate#the-file) for the line format and
/// [`verify`](crate::verify::verify) for checking a file.
///
/// # Example
///
/// ```
/// use std::num::NonZeroU64;
/// use rimguard_audit::{FileSink, FlushPolicy, OnFull, Rotation};
///
/// # fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let (sink, guard) = FileSink::builder(dir.path().join("rimguard.jsonl"))
///     .flush(FlushPolicy::EveryRecord)
///     .on_full(OnFull::Block)
///     .rotate(Rotation::max_bytes(NonZeroU64::new(100 << 20).unwrap()).and_daily())
///     .build()?;
/// # let _ = sink;
/// let stats = guard.shutdown()?;
/// assert_eq!(stats.lost(), 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FileSink {
    _priv: (),
}

impl FileSink {
    /// Starts configuring a file sink writing to `path`.
    pub fn builder(path: impl Into<PathBuf>) -> FileSinkBuilder {
        FileSinkBuilder {
            path: path.into(),
            rotation: Rotation::never(),
            fsync: false,
            verify_on_open: false,
            options: QueueOptions::default(),
            alerts: None,
        }
    }
}

/// Configures a [`FileSink`].
#[derive(Debug)]
pub struct FileSinkBuilder {
    path: PathBuf,
    rotation: Rotation,
    fsync: bool,
    verify_on_open: bool,
    options: QueueOptions,
    alerts: Option<AlertSender>,
}

impl FileSinkBuilder {
    /// Verifies the existing chain before continuing it (default off: it
    /// reads every file). A broken chain raises an
    /// [`AuditChainBroken`](crate::AlertKind::AuditChainBroken) alert to
    /// [`alerts`](Self::alerts) and is logged at ERROR; the sink still
    /// starts, so that recording goes on.
    pub fn verify_on_open(mut self, verify: bool) -> Self {
        self.verify_on_open = verify;
        self
    }

    /// When to rotate (default: never).
    pub fn rotate(mut self, rotation: Rotation) -> Self {
        self.rotation = rotation;
        self
    }

    /// Also `fdatasync` at each flush, so a power cut loses nothing
    /// flushed (default off: a flush hands the bytes to the OS, which
    /// survives a crash of the process).
    pub fn fsync(mut self, fsync: bool) -> Self {
        self.fsync = fsync;
        self
    }

    /// Records the queue holds (default 8192).
    pub fn capacity(mut self, capacity: NonZeroUsize) -> Self {
        self.options.capacity = capacity;
        self
    }

    /// What to do when the queue is full (default [`OnFull::Block`]).
    pub fn on_full(mut self, on_full: OnFull) -> Self {
        self.options.on_full = on_full;
        self
    }

    /// When to flush (default [`FlushPolicy::EveryRecord`]).
    pub fn flush(mut self, flush: FlushPolicy) -> Self {
        self.options.flush = flush;
        self
    }

    /// Where write failures and dropped records are reported.
    pub fn alerts(mut self, alerts: AlertSender) -> Self {
        self.alerts = Some(alerts);
        self
    }

    /// Opens (or continues) the file and starts its writer thread.
    ///
    /// An existing file is continued: the next record links to its last
    /// one. A file whose last line was torn by a crash is continued from
    /// the last complete line, and `verify` reports the torn one.
    ///
    /// # Errors
    ///
    /// When the directory or file cannot be created or read, when the last
    /// record of an existing file cannot be read (the chain cannot go on
    /// from it: check the file with `verify`), or when the thread cannot
    /// start.
    pub fn build(self) -> io::Result<(QueuedSink, SinkGuard)> {
        if self.verify_on_open {
            self.check_existing_chain();
        }
        let writer = ChainedFile::open(&self.path, self.rotation, self.fsync)?;
        QueuedSink::spawn("file", writer, self.options, self.alerts)
    }
}

impl FileSinkBuilder {
    fn check_existing_chain(&self) {
        let report = match &self.alerts {
            Some(alerts) => crate::verify::verify_and_alert(&self.path, alerts),
            None => crate::verify(&self.path),
        };
        // No file yet (NotFound) is a fresh start, not a problem.
        if let Ok(VerifyReport {
            problem: Some(problem),
            ..
        }) = report
        {
            tracing::error!(target: crate::TARGET, %problem, "the existing audit chain is broken");
        }
    }
}

/// The writer behind [`FileSink`], on the writer thread.
pub(crate) struct ChainedFile {
    path: PathBuf,
    file: File,
    rotation: Rotation,
    fsync: bool,
    /// Bytes in the active file.
    len: u64,
    /// Sequence number and UTC day of the active file's first record.
    first: Option<(u64, i64)>,
    /// The same for the first buffered record when the file has none yet.
    pending_first: Option<(u64, i64)>,
    next_seq: u64,
    head: [u8; 32],
    committed_seq: u64,
    committed_head: [u8; 32],
    buf: Vec<u8>,
    /// The active file ends in a torn line that must be ended first.
    torn: bool,
}

#[derive(Deserialize)]
struct Link {
    seq: u64,
    hash: String,
    #[serde(default)]
    time: Option<String>,
}

impl ChainedFile {
    pub(crate) fn open(path: &Path, rotation: Rotation, fsync: bool) -> io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let len = file.metadata()?.len();

        let mut chained = Self {
            path: path.to_path_buf(),
            file,
            rotation,
            fsync,
            len,
            first: None,
            pending_first: None,
            next_seq: 0,
            head: GENESIS,
            committed_seq: 0,
            committed_head: GENESIS,
            buf: Vec::with_capacity(64 * 1024),
            torn: false,
        };
        chained.resume()?;
        Ok(chained)
    }

    /// Continues the chain from the active file, or else from the newest
    /// rotated segment.
    fn resume(&mut self) -> io::Result<()> {
        let from = if self.len > 0 {
            let first = read_first(&self.path)?;
            let day = first.time.as_deref().and_then(time::parse_day).unwrap_or(0);
            self.first = Some((first.seq, day));
            Some(self.path.clone())
        } else {
            chain::rotated_segments(&self.path)?
                .pop()
                .map(|(_, path)| path)
        };
        let Some(from) = from else { return Ok(()) };

        let (last, torn) = read_last(&from)?;
        let mut head = [0; 32];
        hex::decode_to_slice(&last.hash, &mut head).map_err(|_| unreadable(&from))?;
        self.next_seq = last.seq + 1;
        self.head = head;
        self.committed_seq = self.next_seq;
        self.committed_head = head;
        self.torn = torn && from == self.path;
        Ok(())
    }

    fn push_record(
        &mut self,
        time: SystemTime,
        fields: impl FnOnce(&mut Vec<u8>),
    ) -> io::Result<()> {
        let day = time::utc_day(time);
        if self.rotation_due(day) {
            self.flush_buffer()?;
            self.rotate()?;
        }

        let start = self.buf.len();
        chain::open_line(&mut self.buf, self.next_seq, &self.head);
        fields(&mut self.buf);
        self.head = chain::seal_line(&mut self.buf, start);
        if self.first.is_none() && self.pending_first.is_none() {
            self.pending_first = Some((self.next_seq, day));
        }
        self.next_seq += 1;
        Ok(())
    }

    fn rotation_due(&self, day: i64) -> bool {
        let Some((_, first_day)) = self.first.or(self.pending_first) else {
            return false;
        };
        let size = self.len + self.buf.len() as u64;
        let too_big = self.rotation.max_bytes.is_some_and(|max| size >= max.get());
        let new_day = self.rotation.daily && day > first_day;
        too_big || new_day
    }

    fn rotate(&mut self) -> io::Result<()> {
        let Some((first_seq, _)) = self.first else {
            return Ok(());
        };
        let target = chain::segment_path(&self.path, first_seq)?;
        if target.exists() {
            // Never overwrite a segment: that would erase part of the chain.
            let message = format!("rotated audit file {} already exists", target.display());
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, message));
        }
        fs::rename(&self.path, &target)?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.len = 0;
        self.first = None;
        self.torn = false;
        Ok(())
    }

    /// Writes the buffer; on failure discards it and rolls the chain back
    /// to the last record that reached the file.
    fn flush_buffer(&mut self) -> io::Result<()> {
        if self.torn {
            self.write_counted(b"\n")?;
            self.torn = false;
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let result = self.write_counted(&buf).and_then(|()| self.sync());
        self.buf = buf;
        self.buf.clear();

        match result {
            Ok(()) => {
                self.committed_seq = self.next_seq;
                self.committed_head = self.head;
                self.first = self.first.or(self.pending_first.take());
                Ok(())
            }
            Err(error) => {
                self.next_seq = self.committed_seq;
                self.head = self.committed_head;
                self.pending_first = None;
                Err(error)
            }
        }
    }

    /// Writes all of `bytes`, counting what reached the file even when a
    /// later part fails; a partial line marks the file torn.
    fn write_counted(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut written = 0;
        while written < bytes.len() {
            match self.file.write(&bytes[written..]) {
                Ok(0) => {
                    self.torn |= written > 0;
                    return Err(io::ErrorKind::WriteZero.into());
                }
                Ok(n) => {
                    written += n;
                    self.len += n as u64;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    self.torn |= written > 0 && bytes[written - 1] != b'\n';
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        if self.fsync {
            self.file.sync_data()
        } else {
            Ok(())
        }
    }
}

impl RecordWriter for ChainedFile {
    fn write_record(&mut self, record: &AuditRecord) -> io::Result<()> {
        self.push_record(record.time(), |out| json::write_record_fields(out, record))
    }

    fn write_gap(&mut self, time: SystemTime, dropped: u64, failed: u64) -> io::Result<()> {
        self.push_record(time, |out| {
            out.extend_from_slice(b"\"time\":\"");
            time::write_rfc3339(out, time);
            out.extend_from_slice(b"\",\"event\":\"gap\",\"dropped\":");
            chain::push_u64(out, dropped);
            out.extend_from_slice(b",\"failed\":");
            chain::push_u64(out, failed);
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buffer()
    }

    fn flush_before(&self, time: SystemTime) -> bool {
        !self.buf.is_empty() && self.rotation_due(time::utc_day(time))
    }
}

fn unreadable(path: &Path) -> io::Error {
    let message = format!(
        "cannot continue the audit chain: the last record of {} is unreadable (check it with verify)",
        path.display()
    );
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn read_first(path: &Path) -> io::Result<Link> {
    let mut head = Vec::with_capacity(4096);
    File::open(path)?.take(TAIL_WINDOW).read_to_end(&mut head)?;
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    serde_json::from_slice(line).map_err(|_| unreadable(path))
}

/// The last complete record of `path`, and whether a torn line follows it.
fn read_last(path: &Path) -> io::Result<(Link, bool)> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL_WINDOW)))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;

    let torn = !tail.ends_with(b"\n");
    let complete = match tail.iter().rposition(|&b| b == b'\n') {
        Some(end) => &tail[..end],
        None => return Err(unreadable(path)),
    };
    let line = complete.rsplit(|&b| b == b'\n').next().unwrap_or(complete);
    let link = serde_json::from_slice(line).map_err(|_| unreadable(path))?;
    Ok((link, torn))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{Method, StatusCode};

    use super::*;
    use crate::{Outcome, PendingRecord, RequestId};

    #[test]
    fn a_gap_marker_is_part_of_the_chain_and_counted_by_verify() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rimguard.jsonl");
        let mut file = ChainedFile::open(&path, Rotation::never(), false).unwrap();
        let record = PendingRecord::new(
            SystemTime::now(),
            RequestId::generate(),
            Method::GET,
            "/".parse().unwrap(),
        )
        .finish(StatusCode::OK, Duration::ZERO, Outcome::Allowed);

        file.write_record(&record).unwrap();
        file.write_gap(SystemTime::now(), 7, 2).unwrap();
        file.write_record(&record).unwrap();
        file.flush().unwrap();

        let report = crate::verify(&path).unwrap();
        assert!(report.is_intact(), "{:?}", report.problem);
        assert_eq!(
            (report.records, report.gaps, report.reported_lost),
            (3, 1, 9)
        );
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""event":"gap","dropped":7,"failed":2"#));
    }
}
