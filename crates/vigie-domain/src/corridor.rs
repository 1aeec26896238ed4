use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use geo_types::{LineString, MultiPolygon};
use serde::{Deserialize, Serialize};

use crate::{DomainError, ZoneId};

/// A day of the year without a year: `10-01` is the first of October.
///
/// The 29th of February is a valid day; in a year without it, a season that starts or ends
/// there starts or ends on the 1st of March.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MonthDay {
    month: u8,
    day: u8,
}

impl MonthDay {
    /// A validated month (1–12) and day.
    ///
    /// ```
    /// use vigie_domain::MonthDay;
    /// assert!(MonthDay::new(2, 29).is_ok());
    /// assert!(MonthDay::new(4, 31).is_err());
    /// ```
    pub fn new(month: u8, day: u8) -> Result<MonthDay, DomainError> {
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 => 29,
            _ => 0,
        };
        if day == 0 || day > days_in_month {
            return Err(DomainError::InvalidMonthDay(format!("{month:02}-{day:02}")));
        }
        Ok(MonthDay { month, day })
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    fn of_date(date: NaiveDate) -> MonthDay {
        // Month and day from a real date always fit the type's invariants.
        MonthDay {
            month: date.month() as u8,
            day: date.day() as u8,
        }
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:02}-{:02}", self.month, self.day)
    }
}

impl FromStr for MonthDay {
    type Err = DomainError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || DomainError::InvalidMonthDay(text.to_owned());
        let (month, day) = text.trim().split_once('-').ok_or_else(invalid)?;
        let month: u8 = month.parse().map_err(|_| invalid())?;
        let day: u8 = day.parse().map_err(|_| invalid())?;
        MonthDay::new(month, day).map_err(|_| invalid())
    }
}

impl TryFrom<String> for MonthDay {
    type Error = DomainError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<MonthDay> for String {
    fn from(month_day: MonthDay) -> String {
        month_day.to_string()
    }
}

/// The part of the year a corridor is used by herds, both ends inclusive.
///
/// A season may wrap over the new year: the default, 1 October to 30 June, covers the return
/// of the herds after the flood and the dry-season descent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Season {
    /// First day of the season.
    pub start: MonthDay,
    /// Last day of the season (inclusive).
    pub end: MonthDay,
}

impl Default for Season {
    fn default() -> Self {
        Season {
            start: MonthDay { month: 10, day: 1 },
            end: MonthDay { month: 6, day: 30 },
        }
    }
}

impl Season {
    /// Whether `date` falls in the season.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use vigie_domain::Season;
    /// let season = Season::default(); // 10-01 to 06-30
    /// assert!(season.contains(NaiveDate::from_ymd_opt(2019, 1, 15).unwrap()));
    /// assert!(!season.contains(NaiveDate::from_ymd_opt(2019, 8, 15).unwrap()));
    /// ```
    pub fn contains(&self, date: NaiveDate) -> bool {
        let day = MonthDay::of_date(date);
        if self.start <= self.end {
            self.start <= day && day <= self.end
        } else {
            day >= self.start || day <= self.end
        }
    }
}

impl fmt::Display for Season {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.start, self.end)
    }
}

/// A transhumance corridor: the line herds follow, buffered by `buffer_km` on each side, in
/// use during its season.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Corridor {
    /// Stable id, e.g. `TR07`.
    pub id: ZoneId,
    /// Display name, e.g. `Séno - Burkina Faso (Mopti - Bankass - Koro)`.
    pub name: String,
    /// The route through its waypoints, WGS84 lon/lat.
    pub centerline: LineString<f64>,
    /// Distance from the centre line, in kilometres on the sphere, within which a point lies
    /// on the corridor (the corridor is twice as wide).
    pub buffer_km: f64,
    /// When herds use the corridor.
    pub season: Season,
    /// True when the route is a reconstruction rather than a surveyed corridor.
    pub approximate: bool,
    /// The buffer as a polygon, for maps and CAP areas; membership is decided on the
    /// distance to [`Corridor::centerline`], of which this polygon is a close approximation.
    pub area: MultiPolygon<f64>,
}

impl Corridor {
    /// Checks a buffer distance: finite, above zero, at most 500 km.
    pub fn validate_buffer_km(buffer_km: f64) -> Result<f64, DomainError> {
        if buffer_km.is_finite() && buffer_km > 0.0 && buffer_km <= 500.0 {
            Ok(buffer_km)
        } else {
            Err(DomainError::InvalidBuffer(buffer_km))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn wrapping_season_includes_both_ends_and_excludes_the_gap() {
        let season = Season::default();
        assert!(season.contains(date(2020, 10, 1)));
        assert!(season.contains(date(2020, 12, 31)));
        assert!(season.contains(date(2021, 6, 30)));
        assert!(!season.contains(date(2021, 7, 1)));
        assert!(!season.contains(date(2021, 9, 30)));
    }

    #[test]
    fn non_wrapping_season_is_a_plain_interval() {
        let season = Season {
            start: "07-01".parse().unwrap(),
            end: "09-15".parse().unwrap(),
        };
        assert!(season.contains(date(2020, 8, 1)));
        assert!(!season.contains(date(2020, 9, 16)));
        assert!(!season.contains(date(2020, 6, 30)));
    }

    #[test]
    fn month_day_parses_and_rejects() {
        assert_eq!("10-01".parse::<MonthDay>().unwrap().to_string(), "10-01");
        for bad in ["13-01", "02-30", "1001", "aa-bb", "00-10", ""] {
            assert!(bad.parse::<MonthDay>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn buffer_must_be_positive_and_finite() {
        assert!(Corridor::validate_buffer_km(20.0).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 501.0] {
            assert!(Corridor::validate_buffer_km(bad).is_err());
        }
    }
}
