//! UTC calendar arithmetic for record timestamps and day rotation.
//!
//! Records are stamped in the writer thread, so this is plain integer
//! arithmetic (the days-from-civil algorithm) with no time zone database.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch (negative before it).
pub(crate) fn unix_micros(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

/// The UTC day number since 1970-01-01.
pub(crate) fn utc_day(time: SystemTime) -> i64 {
    unix_micros(time).div_euclid(86_400_000_000)
}

/// Year, month and day of a day number (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The day number of a civil date (the inverse of [`civil_from_days`]).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day number of an RFC 3339 timestamp's date (`YYYY-MM-DD…`).
pub(crate) fn parse_day(text: &str) -> Option<i64> {
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    Some(days_from_civil(year, month, day))
}

/// Appends `2026-12-03T11:43:02.123456Z`.
pub(crate) fn write_rfc3339(out: &mut Vec<u8>, time: SystemTime) {
    let micros = unix_micros(time);
    let days = micros.div_euclid(86_400_000_000);
    let in_day = micros.rem_euclid(86_400_000_000);
    let (year, month, day) = civil_from_days(days);
    let secs = in_day / 1_000_000;

    push_digits(out, year.clamp(0, 9999) as u64, 4);
    out.push(b'-');
    push_digits(out, u64::from(month), 2);
    out.push(b'-');
    push_digits(out, u64::from(day), 2);
    out.push(b'T');
    push_digits(out, (secs / 3600) as u64, 2);
    out.push(b':');
    push_digits(out, (secs / 60 % 60) as u64, 2);
    out.push(b':');
    push_digits(out, (secs % 60) as u64, 2);
    out.push(b'.');
    push_digits(out, (in_day % 1_000_000) as u64, 6);
    out.push(b'Z');
}

/// The RFC 3339 text of `time`, as records and alerts carry it.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let mut out = Vec::with_capacity(27);
    write_rfc3339(&mut out, time);
    String::from_utf8(out).expect("a timestamp is ASCII")
}

fn push_digits(out: &mut Vec<u8>, mut value: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_with_microseconds() {
        let time = UNIX_EPOCH + Duration::from_micros(1_796_298_182_123_456);
        assert_eq!(rfc3339(time), "2026-12-03T11:43:02.123456Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn leap_days_are_counted() {
        let time = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(time), "2000-02-29T00:00:00.000000Z");
        assert_eq!(utc_day(time), 11_016);
        assert_eq!(parse_day("2000-02-29T00:00:00Z"), Some(11_016));
    }

    #[test]
    fn day_numbers_round_trip() {
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_790, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
