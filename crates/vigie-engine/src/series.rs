//! The events one rule counts in one zone, as sorted daily buckets with running totals, so
//! that any window's sums are two subtractions.

use chrono::{Datelike, NaiveDate};

use crate::rules::{Condition, Rule, RuleKind, Thresholds, WarningLevel};
use crate::stats::ln_poisson_upper_tail;

/// A day number (days since 1 January of year 1, chrono's `num_days_from_ce`). Integers
/// keep windows exact and cheap.
pub(crate) type Day = i32;

pub(crate) fn day_of(date: NaiveDate) -> Day {
    date.num_days_from_ce()
}

pub(crate) fn date_of(day: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).expect("day numbers come from real dates")
}

/// One counted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    pub(crate) day: Day,
    pub(crate) id: i64,
    pub(crate) weight_milli: u32,
    pub(crate) fatalities: u32,
}

/// Running totals before a bucket.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    weight_milli: i64,
    fatalities: i64,
    events: u32,
}

/// The series of one (rule, zone): entries sorted by (day, id), one bucket per day with an
/// event, and running totals (`totals[i]` sums the buckets before `i`).
#[derive(Debug, Default)]
pub(crate) struct Series {
    pending: Vec<Entry>,
    entries: Vec<Entry>,
    bucket_days: Vec<Day>,
    totals: Vec<Totals>,
}

/// Sums over a range of days.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Sums {
    pub(crate) weight_milli: i64,
    pub(crate) fatalities: i64,
    pub(crate) events: u32,
    pub(crate) days: u32,
}

impl Series {
    pub(crate) fn push(&mut self, entry: Entry) {
        self.pending.push(entry);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.pending.is_empty()
    }

    /// Folds pending entries in and rebuilds the buckets.
    pub(crate) fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.entries.append(&mut self.pending);
        // Mostly sorted already (appended runs): the standard sort finds the runs.
        self.entries.sort_unstable();
        self.bucket_days.clear();
        self.totals.clear();
        let mut running = Totals::default();
        self.totals.push(running);
        let mut previous: Option<Day> = None;
        for entry in &self.entries {
            if previous != Some(entry.day) {
                if previous.is_some() {
                    self.totals.push(running);
                }
                self.bucket_days.push(entry.day);
                previous = Some(entry.day);
            }
            running.weight_milli += i64::from(entry.weight_milli);
            running.fatalities += i64::from(entry.fatalities);
            running.events += 1;
        }
        if previous.is_some() {
            self.totals.push(running);
        }
    }

    pub(crate) fn bucket_count(&self) -> usize {
        self.bucket_days.len()
    }

    pub(crate) fn bucket_day(&self, bucket: usize) -> Day {
        self.bucket_days[bucket]
    }

    /// Weighted events of one bucket, in thousandths.
    pub(crate) fn bucket_weight_milli(&self, bucket: usize) -> i64 {
        self.totals[bucket + 1].weight_milli - self.totals[bucket].weight_milli
    }

    /// First bucket on or after `day`.
    pub(crate) fn first_bucket_from(&self, day: Day) -> usize {
        self.bucket_days.partition_point(|known| *known < day)
    }

    fn sums_of_buckets(&self, first: usize, end: usize) -> Sums {
        let (low, high) = (self.totals[first], self.totals[end]);
        Sums {
            weight_milli: high.weight_milli - low.weight_milli,
            fatalities: high.fatalities - low.fatalities,
            events: high.events - low.events,
            days: (end - first) as u32,
        }
    }

    /// Sums over `first..=last` days.
    pub(crate) fn sums_between(&self, first: Day, last: Day) -> Sums {
        if self.bucket_days.is_empty() || last < first {
            return Sums::default();
        }
        let start = self.first_bucket_from(first);
        let end = self.first_bucket_from(last + 1);
        self.sums_of_buckets(start, end)
    }

    /// Ids of the events in `first..=last`, by (day, id).
    pub(crate) fn ids_between(&self, first: Day, last: Day) -> Vec<i64> {
        let start = self.entries.partition_point(|entry| entry.day < first);
        let end = self.entries.partition_point(|entry| entry.day <= last);
        self.entries[start..end.max(start)]
            .iter()
            .map(|entry| entry.id)
            .collect()
    }
}

/// The buckets of a sliding window `[day − window + 1, day]`, moved forward day by day.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cursor {
    first: usize,
    end: usize,
}

impl Cursor {
    /// A cursor whose window ends on `day`.
    pub(crate) fn at(series: &Series, window_days: u32, day: Day) -> Cursor {
        Cursor {
            first: series.first_bucket_from(day - window_days as Day + 1),
            end: series.first_bucket_from(day + 1),
        }
    }

    /// Moves the window's end to `day` (never backwards).
    pub(crate) fn advance(&mut self, series: &Series, window_days: u32, day: Day) {
        let count = series.bucket_count();
        while self.end < count && series.bucket_days[self.end] <= day {
            self.end += 1;
        }
        let first_day = day - window_days as Day + 1;
        while self.first < self.end && series.bucket_days[self.first] < first_day {
            self.first += 1;
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first == self.end
    }

    /// The next bucket after the window, if any.
    pub(crate) fn next_bucket(&self) -> usize {
        self.end
    }

    pub(crate) fn sums(&self, series: &Series) -> Sums {
        series.sums_of_buckets(self.first, self.end)
    }
}

/// What a surge rule compared the window with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BaselineFigures {
    pub(crate) first: Day,
    pub(crate) last: Day,
    pub(crate) mean: f64,
    pub(crate) standard_deviation: Option<f64>,
    pub(crate) rate: Option<f64>,
}

/// The measures of one window, and the surge statistic when it was computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Measures {
    pub(crate) sums: Sums,
    pub(crate) baseline: Option<BaselineFigures>,
    pub(crate) ratio: Option<f64>,
    pub(crate) ln_p_value: Option<f64>,
    pub(crate) z: Option<f64>,
}

/// Measures of the window ending on `day` (the cursor must be positioned on it).
pub(crate) fn measure(rule: &Rule, series: &Series, cursor: &Cursor, day: Day) -> Measures {
    let sums = cursor.sums(series);
    let mut measures = Measures {
        sums,
        baseline: None,
        ratio: None,
        ln_p_value: None,
        z: None,
    };
    if rule.kind() == RuleKind::Threshold || sums.weight_milli < rule.surge.min_events_milli {
        return measures;
    }
    let window = rule.window_days() as Day;
    let windows = rule.surge.baseline_windows as Day;
    let current = sums.weight_milli as f64 / 1000.0;
    let last = day - window;
    let first = day - window * (windows + 1) + 1;
    let total = series.sums_between(first, last).weight_milli as f64 / 1000.0;
    let mean = total / windows as f64;
    let mut baseline = BaselineFigures {
        first,
        last,
        mean,
        standard_deviation: None,
        rate: None,
    };
    match rule.kind() {
        RuleKind::Threshold => {}
        RuleKind::AcledSurge => {
            if mean >= rule.surge.min_baseline_mean {
                measures.ratio = Some(current / mean);
            }
        }
        RuleKind::Poisson => {
            let rate = mean.max(rule.surge.min_rate);
            baseline.rate = Some(rate);
            // Weighted counts are rounded down: half-weight reports never tip the test.
            measures.ln_p_value = Some(ln_poisson_upper_tail(current.floor() as u64, rate));
        }
        RuleKind::Zscore => {
            // One pass over the baseline's buckets, window by window from the oldest (empty
            // windows count too): cheaper than two searches per window.
            let mut sum_of_squares = 0.0;
            let mut flush = |weight_milli: i64| {
                let deviation = weight_milli as f64 / 1000.0 - mean;
                sum_of_squares += deviation * deviation;
            };
            let (start, end) = (
                series.first_bucket_from(first),
                series.first_bucket_from(last + 1),
            );
            let mut current_window = 0;
            let mut current_weight = 0;
            for bucket in start..end {
                let bucket_window = (series.bucket_day(bucket) - first) / window;
                while current_window < bucket_window {
                    flush(current_weight);
                    current_weight = 0;
                    current_window += 1;
                }
                current_weight += series.bucket_weight_milli(bucket);
            }
            while current_window < windows {
                flush(current_weight);
                current_weight = 0;
                current_window += 1;
            }
            let deviation = (sum_of_squares / windows as f64).sqrt();
            baseline.standard_deviation = Some(deviation);
            measures.z = Some((current - mean) / deviation.max(rule.surge.sigma_floor));
        }
    }
    measures.baseline = Some(baseline);
    measures
}

fn holds(condition: &Condition, measures: &Measures) -> bool {
    let sums = &measures.sums;
    condition
        .min_weight_milli
        .is_none_or(|minimum| sums.weight_milli >= minimum)
        && condition
            .min_fatalities
            .is_none_or(|minimum| sums.fatalities >= minimum)
        && condition
            .min_days
            .is_none_or(|minimum| sums.days >= minimum)
        && condition
            .min_ratio
            .is_none_or(|minimum| measures.ratio.is_some_and(|ratio| ratio >= minimum))
        && condition
            .max_log_p
            .is_none_or(|maximum| measures.ln_p_value.is_some_and(|ln_p| ln_p <= maximum))
        && condition
            .min_z
            .is_none_or(|minimum| measures.z.is_some_and(|z| z >= minimum))
}

/// The highest level whose enter condition holds, and the highest whose exit condition
/// holds.
pub(crate) fn levels_reached(
    thresholds: &Thresholds,
    measures: &Measures,
) -> (Option<WarningLevel>, Option<WarningLevel>) {
    let mut entered = None;
    let mut held = None;
    for level in WarningLevel::ALL {
        if let Some(level_thresholds) = thresholds.level(level) {
            if holds(&level_thresholds.enter, measures) {
                entered = Some(level);
            }
            if holds(&level_thresholds.exit, measures) {
                held = Some(level);
            }
        }
    }
    (entered, held)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(day: Day, id: i64, weight_milli: u32, fatalities: u32) -> Entry {
        Entry {
            day,
            id,
            weight_milli,
            fatalities,
        }
    }

    #[test]
    fn window_sums_match_a_brute_force_scan() {
        let mut series = Series::default();
        let mut all = Vec::new();
        let mut state: u64 = 99;
        for id in 0..400 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let day = (state >> 33) as Day % 300;
            let weight = [500, 1000][(state >> 20) as usize % 2];
            let fatalities = (state >> 40) as u32 % 7;
            let new = entry(day, id, weight, fatalities);
            all.push(new);
            series.push(new);
            if id % 97 == 0 {
                series.settle();
            }
        }
        series.settle();
        let window = 13;
        let mut cursor = Cursor::default();
        for day in -5..320 {
            cursor.advance(&series, window, day);
            let in_window: Vec<&Entry> = all
                .iter()
                .filter(|entry| entry.day > day - window as Day && entry.day <= day)
                .collect();
            let mut distinct: Vec<Day> = in_window.iter().map(|entry| entry.day).collect();
            distinct.sort();
            distinct.dedup();
            let expected = Sums {
                weight_milli: in_window.iter().map(|e| i64::from(e.weight_milli)).sum(),
                fatalities: in_window.iter().map(|e| i64::from(e.fatalities)).sum(),
                events: in_window.len() as u32,
                days: distinct.len() as u32,
            };
            assert_eq!(cursor.sums(&series), expected, "day {day}");
            assert_eq!(series.sums_between(day - window as Day + 1, day), expected);
            let fresh = Cursor::at(&series, window, day);
            assert_eq!(fresh.sums(&series), expected);
            let mut ids: Vec<(Day, i64)> = in_window.iter().map(|e| (e.day, e.id)).collect();
            ids.sort();
            let ids: Vec<i64> = ids.into_iter().map(|(_, id)| id).collect();
            assert_eq!(series.ids_between(day - window as Day + 1, day), ids);
        }
    }
}
