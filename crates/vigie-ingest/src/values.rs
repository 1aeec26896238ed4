//! Parsing of the values every source shares: dates, counts, coordinates, small codes. Each
//! parser returns a [`FieldProblem`] naming the column and quoting the value, which becomes
//! the quarantine reason.

use chrono::NaiveDate;
use vigie_domain::EventFlag;

use crate::{FieldProblem, IngestOptions, RegionOfInterest};

/// A problem with one column.
pub(crate) fn problem(field: &str, reason: String) -> FieldProblem {
    FieldProblem {
        field: Some(field.to_owned()),
        reason,
    }
}

/// Why a text is not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateError {
    /// Not in any of the accepted layouts.
    Unrecognised,
    /// In an accepted layout, but no such day exists (`2019-02-30`).
    NoSuchDay,
}

/// Reads the date layouts ACLED and UCDP files use: `2020-12-31` (optionally followed by a
/// time, as UCDP writes it), `2020/12/31`, `31 December 2020`, `31-December-2020`,
/// `31 Dec 2020`, `31/12/2020` and `31-12-2020` (day first: ACLED never writes month-first).
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let text = text.trim();
    let bytes = text.as_bytes();
    // The common case first, without splitting: `yyyy-mm-dd`, possibly with a time after it.
    if bytes.len() >= 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && (bytes.len() == 10 || matches!(bytes[10], b' ' | b'T'))
        && let (Some(year), Some(month), Some(day)) = (
            digits(&text[0..4]),
            digits(&text[5..7]),
            digits(&text[8..10]),
        )
    {
        return ymd(year, month, day);
    }
    let mut parts = text
        .split([' ', '-', '/', '.'])
        .filter(|part| !part.is_empty());
    let (Some(first), Some(second), Some(third), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DateError::Unrecognised);
    };
    if first.len() == 4 {
        let year = digits(first).ok_or(DateError::Unrecognised)?;
        let month = month_number(second).ok_or(DateError::Unrecognised)?;
        let day = short_number(third).ok_or(DateError::Unrecognised)?;
        return ymd(year, month, day);
    }
    if third.len() == 4 {
        let day = short_number(first).ok_or(DateError::Unrecognised)?;
        let month = month_number(second).ok_or(DateError::Unrecognised)?;
        let year = digits(third).ok_or(DateError::Unrecognised)?;
        return ymd(year, month, day);
    }
    Err(DateError::Unrecognised)
}

fn ymd(year: u32, month: u32, day: u32) -> Result<NaiveDate, DateError> {
    let year = i32::try_from(year).map_err(|_| DateError::Unrecognised)?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::NoSuchDay)
}

/// An unsigned number written with ASCII digits only.
fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn short_number(text: &str) -> Option<u32> {
    if text.len() > 2 {
        return None;
    }
    digits(text)
}

/// A month given as a number (`12`) or an English name, full or abbreviated (`December`,
/// `Dec`, `Sept`).
fn month_number(text: &str) -> Option<u32> {
    if let Some(number) = short_number(text) {
        return Some(number);
    }
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if text.len() < 3 || !text.is_ascii() {
        return None;
    }
    let folded = text.to_ascii_lowercase();
    if folded == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|name| *name == folded || (folded.len() == 3 && name.starts_with(&folded)))
        .map(|position| position as u32 + 1)
}

/// The event date of a record: parsed, and refused when it lies before the earliest date the
/// sources cover or after today.
pub(crate) fn event_date(
    field: &str,
    text: Option<&str>,
    options: &IngestOptions,
) -> Result<NaiveDate, FieldProblem> {
    let Some(text) = text else {
        return Err(problem(field, format!("{field} is empty")));
    };
    let date = parse_date(text).map_err(|error| match error {
        DateError::Unrecognised => problem(
            field,
            format!(
                "{field} {text:?} is not a date (expected e.g. 2020-12-31 or 31 December 2020)"
            ),
        ),
        DateError::NoSuchDay => problem(
            field,
            format!("{field} {text:?} is not a valid date: no such day in the calendar"),
        ),
    })?;
    if date < options.earliest_date {
        return Err(problem(
            field,
            format!(
                "{field} {date} is before the earliest accepted date, {}",
                options.earliest_date
            ),
        ));
    }
    if date > options.today {
        return Err(problem(
            field,
            format!(
                "{field} {date} is in the future (today is {})",
                options.today
            ),
        ));
    }
    Ok(date)
}

/// A non-negative whole number. `3.0` is accepted (spreadsheets write counts that way); `-2`,
/// `3.5` and `many` are not.
pub(crate) fn count(field: &str, text: &str) -> Result<u32, FieldProblem> {
    let integral = text
        .strip_suffix(".0")
        .or_else(|| text.strip_suffix(".00"))
        .unwrap_or(text);
    if !integral.is_empty() && integral.bytes().all(|byte| byte.is_ascii_digit()) {
        return integral
            .parse()
            .map_err(|_| problem(field, format!("{field} {text:?} is too large")));
    }
    if let Some(magnitude) = integral.strip_prefix('-')
        && !magnitude.is_empty()
        && magnitude.bytes().all(|byte| byte.is_ascii_digit())
    {
        return Err(problem(field, format!("{field} {text} is negative")));
    }
    Err(problem(
        field,
        format!("{field} {text:?} is not a whole number"),
    ))
}

/// Fatalities: a count, or zero flagged [`EventFlag::MissingFatalities`] when empty.
pub(crate) fn fatalities(
    field: &str,
    text: Option<&str>,
    flags: &mut Vec<EventFlag>,
) -> Result<u32, FieldProblem> {
    match text {
        Some(text) => count(field, text),
        None => {
            flags.push(EventFlag::MissingFatalities);
            Ok(0)
        }
    }
}

/// A Unix timestamp in seconds (`1618326541`; `1618326541.0` is accepted too).
pub(crate) fn unix_seconds(field: &str, text: &str) -> Result<i64, FieldProblem> {
    let integral = text.strip_suffix(".0").unwrap_or(text);
    integral.parse::<i64>().map_err(|_| {
        problem(
            field,
            format!("{field} {text:?} is not a Unix time in seconds"),
        )
    })
}

/// One coordinate in decimal degrees.
fn coordinate(field: &str, text: Option<&str>, limit: f64) -> Result<f64, FieldProblem> {
    let Some(text) = text else {
        return Err(problem(field, format!("{field} is empty")));
    };
    let value: f64 = text.parse().map_err(|_| {
        problem(
            field,
            format!("{field} {text:?} is not a number in decimal degrees"),
        )
    })?;
    if !value.is_finite() {
        return Err(problem(
            field,
            format!("{field} {text:?} is not a number in decimal degrees"),
        ));
    }
    if value.abs() > limit {
        return Err(problem(
            field,
            format!("{field} {text} is out of range (-{limit} to {limit})"),
        ));
    }
    Ok(value)
}

/// Latitude and longitude, checked against the region of interest: a point that is in the
/// region only once the two are exchanged is exchanged back and flagged; any other point
/// outside the region is kept and flagged.
pub(crate) fn coordinates(
    latitude: Option<&str>,
    longitude: Option<&str>,
    region: &RegionOfInterest,
    flags: &mut Vec<EventFlag>,
) -> Result<(f64, f64), FieldProblem> {
    let latitude = coordinate("latitude", latitude, 90.0)?;
    let longitude = coordinate("longitude", longitude, 180.0)?;
    if region.contains(longitude, latitude) {
        return Ok((latitude, longitude));
    }
    if region.contains(latitude, longitude) {
        flags.push(EventFlag::SwappedCoordinates);
        return Ok((longitude, latitude));
    }
    flags.push(EventFlag::OutsideRegion);
    Ok((latitude, longitude))
}

/// A small code with an allowed range (`time_precision` 1–3): `None` when empty.
pub(crate) fn small_code(
    field: &str,
    text: Option<&str>,
    allowed: std::ops::RangeInclusive<u8>,
) -> Result<Option<u8>, FieldProblem> {
    let Some(text) = text else {
        return Ok(None);
    };
    let integral = text.strip_suffix(".0").unwrap_or(text);
    match integral.parse::<u8>() {
        Ok(code) if allowed.contains(&code) => Ok(Some(code)),
        _ => Err(problem(
            field,
            format!(
                "{field} {text:?} is not one of {}–{}",
                allowed.start(),
                allowed.end()
            ),
        )),
    }
}

/// A value as an owned string, `None` when empty.
pub(crate) fn owned(text: Option<&str>) -> Option<String> {
    text.map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn every_layout_acled_has_written_reads_as_the_same_day() {
        for text in [
            "2020-12-31",
            "31 December 2020",
            "31-December-2020",
            "31 Dec 2020",
            "31-dec-2020",
            "31/12/2020",
            "2020/12/31",
            " 2020-12-31 ",
            "2020-12-31 00:00:00.000",
            "2020-12-31T00:00:00",
        ] {
            assert_eq!(parse_date(text), Ok(date(2020, 12, 31)), "{text}");
        }
        assert_eq!(parse_date("1 Sept 2019"), Ok(date(2019, 9, 1)));
        assert_eq!(parse_date("05/03/2019"), Ok(date(2019, 3, 5)), "day first");
    }

    #[test]
    fn impossible_days_and_other_text_are_told_apart() {
        assert_eq!(parse_date("2019-02-30"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("30 February 2019"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("12/31/2020"), Err(DateError::NoSuchDay));
        for text in [
            "",
            "yesterday",
            "2020-12",
            "31 Decembre 2020",
            "31/12/20",
            "2020-1a-01",
        ] {
            assert_eq!(parse_date(text), Err(DateError::Unrecognised), "{text}");
        }
    }

    #[test]
    fn counts_refuse_negative_and_fractional_values() {
        assert_eq!(count("fatalities", "12"), Ok(12));
        assert_eq!(count("fatalities", "12.0"), Ok(12));
        assert!(
            count("fatalities", "-2")
                .unwrap_err()
                .reason
                .contains("negative")
        );
        assert!(count("fatalities", "2.5").is_err());
        assert!(
            count("fatalities", "99999999999")
                .unwrap_err()
                .reason
                .contains("too large")
        );
    }

    #[test]
    fn swapped_coordinates_are_exchanged_back_only_when_that_lands_in_the_region() {
        let mut flags = Vec::new();
        let region = RegionOfInterest::MALI;
        assert_eq!(
            coordinates(Some("-3.51"), Some("14.07"), &region, &mut flags),
            Ok((14.07, -3.51))
        );
        assert_eq!(flags, vec![EventFlag::SwappedCoordinates]);
        flags.clear();
        assert_eq!(
            coordinates(Some("48.85"), Some("2.35"), &region, &mut flags),
            Ok((48.85, 2.35))
        );
        assert_eq!(flags, vec![EventFlag::OutsideRegion]);
        assert!(coordinates(Some("NaN"), Some("2"), &region, &mut flags).is_err());
        assert!(coordinates(Some("91"), Some("2"), &region, &mut flags).is_err());
        assert!(coordinates(Some("14,23"), Some("2"), &region, &mut flags).is_err());
    }
}
