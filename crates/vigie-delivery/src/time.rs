//! Durations as committees files write them (`30s`, `5m`, `24h`, `1h30m`) and quiet hours
//! (`22:00-06:00`) in Bamako time.
//!
//! Bamako keeps UTC+0 all year, without daylight saving, so a time of day in Bamako is the
//! same time of day in UTC: quiet hours compare directly with the UTC `now` the caller gives.

use std::fmt;

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};

/// Reads a duration written as one or more `<number><unit>` parts, units `d`, `h`, `m`, `s`
/// (`30s`, `5m`, `24h`, `1h30m`). Zero (`0s`) is allowed.
///
/// ```
/// use chrono::TimeDelta;
/// use vigie_delivery::parse_duration;
/// assert_eq!(parse_duration("1h30m"), Ok(TimeDelta::minutes(90)));
/// assert!(parse_duration("soon").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("a duration such as \"30s\", \"5m\" or \"24h\" is expected".to_owned());
    }
    let mut total_seconds: i64 = 0;
    let mut number = String::new();
    for character in trimmed.chars() {
        if character.is_ascii_digit() {
            number.push(character);
            continue;
        }
        let unit_seconds = match character {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => {
                return Err(format!(
                    "{text:?} is not a duration: use numbers with units d, h, m, s (\"1h30m\")"
                ));
            }
        };
        if number.is_empty() {
            return Err(format!("{text:?} has a unit without a number"));
        }
        let value: i64 = number
            .parse()
            .map_err(|_| format!("{text:?} is too large"))?;
        total_seconds = value
            .checked_mul(unit_seconds)
            .and_then(|seconds| total_seconds.checked_add(seconds))
            .filter(|seconds| *seconds <= 366 * 86_400)
            .ok_or_else(|| format!("{text:?} is longer than a year"))?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(format!(
            "{text:?} ends with a number without a unit (d, h, m or s)"
        ));
    }
    Ok(TimeDelta::seconds(total_seconds))
}

/// A daily span of time in Bamako (UTC+0, no daylight saving) during which committees do not
/// want non-urgent messages, such as `22:00-06:00`. The start is inside, the end is not; a
/// span whose end is before its start runs over midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    start: NaiveTime,
    end: NaiveTime,
}

impl QuietHours {
    /// Reads `HH:MM-HH:MM` (Bamako time, which is UTC).
    ///
    /// ```
    /// use vigie_delivery::QuietHours;
    /// let night = QuietHours::parse("22:00-06:00").unwrap();
    /// assert_eq!(night.to_string(), "22:00-06:00");
    /// assert!(QuietHours::parse("22:00-22:00").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<QuietHours, String> {
        let expected = || format!("{text:?} is not a span of hours such as \"22:00-06:00\"");
        let (start, end) = text.trim().split_once('-').ok_or_else(expected)?;
        let read = |part: &str| NaiveTime::parse_from_str(part.trim(), "%H:%M").ok();
        let (Some(start), Some(end)) = (read(start), read(end)) else {
            return Err(expected());
        };
        if start == end {
            return Err(format!(
                "{text:?} starts and ends at the same time: leave quiet hours out instead"
            ));
        }
        Ok(QuietHours { start, end })
    }

    /// When quiet hours begin each day (Bamako time = UTC).
    pub fn start(&self) -> NaiveTime {
        self.start
    }

    /// When quiet hours end each day (Bamako time = UTC).
    pub fn end(&self) -> NaiveTime {
        self.end
    }

    /// Whether `at` falls inside the quiet hours.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let time = at.time();
        if self.start < self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// `at` itself outside quiet hours, otherwise the end of the quiet hours it falls in.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use vigie_delivery::QuietHours;
    /// let night = QuietHours::parse("22:00-06:00").unwrap();
    /// let late = Utc.with_ymd_and_hms(2019, 3, 23, 23, 10, 0).unwrap();
    /// assert_eq!(night.defer(late), Utc.with_ymd_and_hms(2019, 3, 24, 6, 0, 0).unwrap());
    /// ```
    pub fn defer(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        if !self.contains(at) {
            return at;
        }
        let end_today = at.date_naive().and_time(self.end).and_utc();
        if end_today > at {
            end_today
        } else {
            end_today + TimeDelta::days(1)
        }
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2019, 3, 23, hour, minute, 0).unwrap()
    }

    #[test]
    fn durations_read_every_unit_and_refuse_garbage() {
        assert_eq!(parse_duration("30s"), Ok(TimeDelta::seconds(30)));
        assert_eq!(parse_duration("5m"), Ok(TimeDelta::minutes(5)));
        assert_eq!(parse_duration("24h"), Ok(TimeDelta::hours(24)));
        assert_eq!(parse_duration("2d"), Ok(TimeDelta::days(2)));
        assert_eq!(parse_duration("0s"), Ok(TimeDelta::zero()));
        for bad in ["", "5", "m", "5 minutes", "-5m", "400d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quiet_hours_over_midnight_defer_to_the_next_morning() {
        let night = QuietHours::parse("22:00-06:00").unwrap();
        assert!(night.contains(at(22, 0)));
        assert!(night.contains(at(3, 0)));
        assert!(!night.contains(at(6, 0)));
        assert!(!night.contains(at(21, 59)));
        assert_eq!(night.defer(at(3, 0)), at(6, 0));
        assert_eq!(night.defer(at(12, 0)), at(12, 0));
        assert_eq!(
            night.defer(at(22, 30)),
            Utc.with_ymd_and_hms(2019, 3, 24, 6, 0, 0).unwrap()
        );
    }

    #[test]
    fn quiet_hours_within_a_day_defer_to_their_end() {
        let siesta = QuietHours::parse("13:00-15:30").unwrap();
        assert!(!siesta.contains(at(12, 59)));
        assert_eq!(siesta.defer(at(14, 0)), at(15, 30));
        assert!(QuietHours::parse("25:00-06:00").is_err());
        assert!(QuietHours::parse("22h-6h").is_err());
    }
}
