//! Scrubbing formatted log output on its way to the writer.
//!
//! [`ScrubbingMakeWriter`] wraps any tracing-subscriber
//! [`MakeWriter`] (stdout, a file, a
//! non-blocking appender). Every event that the `fmt` layer formats, in text,
//! JSON or any other format, reaches it as bytes, and is scrubbed by a
//! [`Redactor`] before the inner writer sees it.
//!
//! # Why the writer, and not a layer or a field formatter
//!
//! A tracing `Layer` sees fields only as values it cannot change, so it
//! can drop an event but not mask part of it. A custom `FormatFields` sees
//! the fields of the text formatter, but the JSON formatter does not use it,
//! and neither sees the message's interpolated text, span fields recorded
//! earlier, or what a `Debug` implementation prints. The writer is the one
//! place every formatter's output passes through, whole and final: message,
//! event fields, span fields, timestamps and targets alike. The price is
//! scanning text rather than typed values, which is why the scanner is built
//! for speed (see the crate docs' figures).
//!
//! # Lines
//!
//! tracing-subscriber's `fmt` layer formats each event into one buffer and
//! hands it to a fresh writer with a single `write_all`. The scrubbing
//! writer still buffers until it has seen the event's final newline (or a
//! `flush`, or its drop), so a formatter that writes an event in pieces is
//! scrubbed whole too, and a secret split across two writes is still found.
//!
//! Within an event, every CR, every LF but the last one, and the Unicode
//! line and paragraph separators are written as the escapes `\r`, `\n`,
//! `\u2028`, `\u2029`, so a logged value cannot start a forged log line. In
//! JSON output these bytes never occur raw (serde escapes them) apart from
//! the separators, whose escape is the same JSON string, so JSON stays
//! valid and unchanged in meaning. For the multi-line `pretty` format, see
//! [`ScrubbingMakeWriter::multiline_insecure`].
//!
//! # Example
//!
//! ```
//! use rimguard_redact::{Redactor, ScrubbingMakeWriter};
//!
//! let redactor = Redactor::builder().secret_bytes(b"sk_live_0123456789abcdefXYZ").build().unwrap();
//! let subscriber = tracing_subscriber::fmt()
//!     .json()
//!     .with_writer(ScrubbingMakeWriter::new(std::io::stdout, redactor))
//!     .finish();
//!
//! tracing::subscriber::with_default(subscriber, || {
//!     tracing::info!(key = "sk_live_0123456789abcdefXYZ", "charging card 4111 1111 1111 1111");
//! });
//! ```

use std::io;

use tracing_subscriber::fmt::MakeWriter;

use crate::Redactor;

/// A [`MakeWriter`] whose writers scrub every event; see the
/// [module docs](self).
#[derive(Debug, Clone)]
pub struct ScrubbingMakeWriter<M> {
    inner: M,
    redactor: Redactor,
    escape_newlines: bool,
}

impl<M> ScrubbingMakeWriter<M> {
    /// Wraps `inner`, scrubbing with `redactor`.
    pub fn new(inner: M, redactor: Redactor) -> Self {
        Self {
            inner,
            redactor,
            escape_newlines: true,
        }
    }

    /// Keeps line breaks inside an event as they are, for formats that
    /// write one event on several lines (tracing-subscriber's `pretty`).
    ///
    /// Insecure: a CR or LF inside a logged value can then start a line
    /// that looks like another event. Secrets are still masked.
    pub fn multiline_insecure(mut self) -> Self {
        self.escape_newlines = false;
        self
    }

    /// The wrapped `MakeWriter`.
    pub fn get_ref(&self) -> &M {
        &self.inner
    }

    /// The redactor in use.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for ScrubbingMakeWriter<M> {
    type Writer = ScrubbingWriter<'a, M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        self.wrap(self.inner.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        self.wrap(self.inner.make_writer_for(meta))
    }
}

impl<M> ScrubbingMakeWriter<M> {
    fn wrap<W: io::Write>(&self, inner: W) -> ScrubbingWriter<'_, W> {
        ScrubbingWriter {
            inner,
            redactor: &self.redactor,
            buf: Vec::new(),
            escape_newlines: self.escape_newlines,
        }
    }
}

/// An [`io::Write`] that scrubs what it is given, one event at a time,
/// before writing it to the inner writer.
///
/// Made by [`ScrubbingMakeWriter`], or by [`ScrubbingWriter::new`] around
/// any writer. Bytes are held until a write ends with a newline, until
/// [`flush`](io::Write::flush), or until the writer is dropped (errors at
/// drop are lost, as with `BufWriter`).
#[derive(Debug)]
pub struct ScrubbingWriter<'a, W: io::Write> {
    inner: W,
    redactor: &'a Redactor,
    buf: Vec<u8>,
    escape_newlines: bool,
}

impl<'a, W: io::Write> ScrubbingWriter<'a, W> {
    /// Wraps `inner`; line breaks inside an event are escaped.
    pub fn new(inner: W, redactor: &'a Redactor) -> Self {
        Self {
            inner,
            redactor,
            buf: Vec::new(),
            escape_newlines: true,
        }
    }

    fn emit(&mut self, event: &[u8]) -> io::Result<()> {
        let scrubbed = self.redactor.scrub_bytes(event);
        if self.escape_newlines {
            write_escaped(&mut self.inner, &scrubbed)
        } else {
            self.inner.write_all(&scrubbed)
        }
    }

    fn emit_buffered(&mut self) -> io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let result = self.emit(&buf);
        self.buf = buf;
        self.buf.clear();
        result
    }
}

impl<W: io::Write> io::Write for ScrubbingWriter<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buf.is_empty() && bytes.ends_with(b"\n") {
            self.emit(bytes)?;
            return Ok(bytes.len());
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.ends_with(b"\n") {
            self.emit_buffered()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.emit_buffered()?;
        }
        self.inner.flush()
    }
}

impl<W: io::Write> Drop for ScrubbingWriter<'_, W> {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.emit_buffered();
        }
    }
}

/// Writes `event` with every line break but a final LF escaped.
fn write_escaped(out: &mut impl io::Write, event: &[u8]) -> io::Result<()> {
    let body = event.strip_suffix(b"\n").unwrap_or(event);
    let mut last = 0;
    for i in memchr::memchr3_iter(b'\r', b'\n', 0xe2, body) {
        let escape: &[u8] = match (body[i], body.get(i + 1..i + 3)) {
            (b'\r', _) => br"\r",
            (b'\n', _) => br"\n",
            (_, Some([0x80, 0xa8])) => br"\u2028",
            (_, Some([0x80, 0xa9])) => br"\u2029",
            _ => continue,
        };
        out.write_all(&body[last..i])?;
        out.write_all(escape)?;
        last = if body[i] == 0xe2 { i + 3 } else { i + 1 };
    }
    out.write_all(&body[last..])?;
    if body.len() < event.len() {
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn through_writer(chunks: &[&[u8]]) -> String {
        let redactor = Redactor::builder()
            .secret_bytes(b"split-secret-value")
            .build()
            .unwrap();
        let mut out = Vec::new();
        {
            let mut writer = ScrubbingWriter::new(&mut out, &redactor);
            for chunk in chunks {
                writer.write_all(chunk).unwrap();
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_event_written_in_pieces_is_scrubbed_whole() {
        let out = through_writer(&[b"key=split-sec", b"ret-value done\n"]);
        assert_eq!(out, "key=[redacted:secret] done\n");
    }

    #[test]
    fn bytes_without_a_final_newline_are_written_at_drop() {
        assert_eq!(
            through_writer(&[b"tail split-secret-value"]),
            "tail [redacted:secret]"
        );
    }

    #[test]
    fn interior_line_breaks_cannot_forge_a_line() {
        let out = through_writer(&[b"INFO user said: hi\nERROR forged\r\n\xe2\x80\xa8x\n"]);
        assert_eq!(out, "INFO user said: hi\\nERROR forged\\r\\n\\u2028x\n");
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn other_multibyte_text_is_left_alone() {
        assert_eq!(
            through_writer(&["caf\u{e9} \u{2022} \u{2026}\n".as_bytes()]),
            "caf\u{e9} \u{2022} \u{2026}\n"
        );
    }
}
