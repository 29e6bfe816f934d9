use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use jiff::tz::TimeZone;
use rimguard_core::ConfigError;

/// A day of the week (jiff's).
pub use jiff::civil::Weekday;

/// Opening hours in a time zone, for [`Rule::outside_business_hours`](super::Rule::outside_business_hours).
///
/// Time zones come from the IANA database bundled into the binary (jiff's
/// `tzdb-bundle-always`), so the answer does not depend on the host's
/// `/usr/share/zoneinfo` and daylight saving time is followed. A window
/// whose close is before its open (`22:00` to `06:00`) runs overnight.
///
/// # Example
///
/// ```
/// use rimguard_audit::{BusinessHours, Weekday};
///
/// let hours = BusinessHours::new("Europe/London", "08:00", "18:00")
///     .unwrap()
///     .days([Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday,
///            Weekday::Friday, Weekday::Saturday]);
/// assert_eq!(hours.to_string(), "Mon Tue Wed Thu Fri Sat 08:00-18:00 Europe/London");
/// assert!(BusinessHours::new("Mars/Olympus", "08:00", "18:00").is_err());
/// ```
#[derive(Clone)]
pub struct BusinessHours {
    tz: TimeZone,
    tz_name: Arc<str>,
    days: [bool; 7],
    open: u16,
    close: u16,
}

impl BusinessHours {
    /// Open from `open` to `close` (`"HH:MM"`, local time in `time_zone`,
    /// such as `"Europe/London"`), Monday to Friday.
    ///
    /// # Errors
    ///
    /// An unknown time zone (field `time_zone`), a time that is not
    /// `HH:MM` (fields `open`, `close`), or `open` equal to `close`.
    pub fn new(time_zone: &str, open: &str, close: &str) -> Result<Self, ConfigError> {
        let tz = TimeZone::get(time_zone)
            .map_err(|_| ConfigError::new("time_zone", "unknown IANA time zone"))?;
        let open_at = parse_hhmm(open).ok_or_else(|| ConfigError::new("open", "expected HH:MM"))?;
        let close_at =
            parse_hhmm(close).ok_or_else(|| ConfigError::new("close", "expected HH:MM"))?;
        if open_at == close_at {
            return Err(ConfigError::new("close", "must differ from open"));
        }
        let weekdays = [true, true, true, true, true, false, false];
        Ok(Self {
            tz,
            tz_name: time_zone.into(),
            days: weekdays,
            open: open_at,
            close: close_at,
        })
    }

    /// The days it opens (replacing Monday to Friday).
    pub fn days(mut self, days: impl IntoIterator<Item = Weekday>) -> Self {
        self.days = [false; 7];
        for day in days {
            self.days[day_index(day)] = true;
        }
        self
    }

    /// Whether `time` falls within opening hours.
    pub fn is_open(&self, time: SystemTime) -> bool {
        self.outside(time).is_none()
    }

    /// The local time of `time` (such as `"Sat 23:14 GMT"`) when it falls
    /// outside opening hours.
    pub(crate) fn outside(&self, time: SystemTime) -> Option<String> {
        let stamp = jiff::Timestamp::try_from(time).ok()?;
        let local = stamp.to_zoned(self.tz.clone());
        let minute = u16::from(local.hour() as u8) * 60 + u16::from(local.minute() as u8);
        let in_window = if self.open < self.close {
            (self.open..self.close).contains(&minute)
        } else {
            minute >= self.open || minute < self.close
        };
        let open = self.days[day_index(local.weekday())] && in_window;
        (!open).then(|| local.strftime("%a %H:%M %Z").to_string())
    }
}

fn day_index(day: Weekday) -> usize {
    day.to_monday_zero_offset() as usize
}

fn parse_hhmm(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    let valid = (hours < 24 && minutes < 60) || (hours == 24 && minutes == 0);
    valid.then_some(hours * 60 + minutes)
}

impl fmt::Display for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        for (i, name) in NAMES.iter().enumerate().filter(|(i, _)| self.days[*i]) {
            let _ = i;
            write!(f, "{name} ")?;
        }
        let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(
            f,
            "{}-{} {}",
            hhmm(self.open),
            hhmm(self.close),
            self.tz_name
        )
    }
}

impl fmt::Debug for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BusinessHours({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_must_be_hh_mm() {
        assert_eq!(parse_hhmm("08:30"), Some(510));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("8:30"), None);
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("12:60"), None);
    }
}
