//! What the history view sums up: the time lost each local day (maintenance, outage) and this
//! month's maintenances. Pure: the periods and the time (with its zone) are passed in.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use crate::period::{End, Period, PeriodKind};

/// One local day of the chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    /// The local date.
    pub date: NaiveDate,
    /// When it began.
    pub start: DateTime<Utc>,
    /// How long it is (23 to 25 h across a clock change; up to now for today).
    pub secs: u64,
    /// Seconds of it in maintenance.
    pub maintenance_secs: u64,
    /// Seconds of it with the api host down or bitbank unreachable.
    pub outage_secs: u64,
}

/// This month's maintenances (the local calendar month of `now`), and the last one ever.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthSummary {
    /// Maintenances begun this month.
    pub count: usize,
    /// Their average length, of those whose length is known.
    pub average_secs: Option<u64>,
    /// The longest of them.
    pub longest_secs: Option<u64>,
    /// The latest maintenance recorded, of any month.
    pub last: Option<Period>,
}

/// From, to.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// The time a period covers, to `now` while under way; none when its end is not known.
fn span(p: &Period, now: DateTime<Utc>) -> Option<Span> {
    let start = p.start?;
    let end = match p.end {
        End::At(t) | End::Unwatched(t) => t,
        End::Ongoing => now,
        End::Unknown => return None,
    };
    (end > start).then_some((start, end))
}

/// The start of local day `date` in `zone` (the first moment that exists, across a gap).
fn day_start<Tz: TimeZone>(zone: &Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    (0..4)
        .find_map(|h| {
            zone.from_local_datetime(&(midnight + Duration::hours(h)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

fn overlap(a: Span, b: Span) -> u64 {
    let (from, to) = (a.0.max(b.0), a.1.min(b.1));
    u64::try_from((to - from).num_seconds()).unwrap_or(0)
}

/// Spans in order, those that overlap or touch made one: the time some of them cover.
fn merged(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.0 <= last.1 => last.1 = last.1.max(s.1),
            _ => out.push(s),
        }
    }
    out
}

/// The last `n` local days up to `now` (today included, up to now), oldest first, with the
/// time of each in maintenance and in outage (down, unreachable). The periods may be of
/// several exchanges: time when two were in maintenance at once counts once, and time in
/// maintenance is not counted as outage too, so a day never holds more than itself.
pub fn days<Tz: TimeZone>(periods: &[Period], n: u32, now: &DateTime<Tz>) -> Vec<Day> {
    let zone = now.timezone();
    let now_utc = now.with_timezone(&Utc);
    let today = now.date_naive();
    let spans_of = |kinds: &[PeriodKind]| {
        merged(
            periods
                .iter()
                .filter(|p| kinds.contains(&p.kind))
                .filter_map(|p| span(p, now_utc))
                .collect(),
        )
    };
    let maintenance = spans_of(&[PeriodKind::Maintenance]);
    let outage = spans_of(&[PeriodKind::Down, PeriodKind::Unreachable]);
    (0..n)
        .rev()
        .filter_map(|back| {
            let date = today.checked_sub_days(chrono::Days::new(u64::from(back)))?;
            let start = day_start(&zone, date)?;
            let end = date
                .succ_opt()
                .and_then(|d| day_start(&zone, d))?
                .min(now_utc);
            let day_span = (start, end);
            let maintenance_secs = maintenance.iter().map(|m| overlap(*m, day_span)).sum();
            let outage_secs = outage
                .iter()
                .map(|o| {
                    let within = overlap(*o, day_span);
                    // Already counted as maintenance (another exchange's).
                    let both: u64 = maintenance
                        .iter()
                        .map(|m| overlap(*m, (o.0.max(start), o.1.min(end))))
                        .sum();
                    within.saturating_sub(both)
                })
                .sum();
            Some(Day {
                date,
                start,
                secs: u64::try_from((end - start).num_seconds()).unwrap_or(0),
                maintenance_secs,
                outage_secs,
            })
        })
        .collect()
}

/// This month's maintenances and the last one, from `periods` (any order). Every maintenance
/// given counts, whichever exchange's: pass one exchange's periods for that exchange's
/// summary (`Filter::exchanges`).
pub fn month_summary<Tz: TimeZone>(periods: &[Period], now: &DateTime<Tz>) -> MonthSummary {
    let zone = now.timezone();
    let first = now.date_naive().with_day(1);
    let month_start = first.and_then(|d| day_start(&zone, d));
    let maintenances = || periods.iter().filter(|p| p.kind == PeriodKind::Maintenance);
    let this_month: Vec<&Period> = maintenances()
        .filter(|p| matches!((p.start, month_start), (Some(s), Some(m)) if s >= m))
        .collect();
    let known: Vec<u64> = this_month
        .iter()
        .filter(|p| p.end != End::Unknown)
        .filter_map(|p| p.duration_secs)
        .collect();
    let count = u64::try_from(known.len()).unwrap_or(u64::MAX);
    MonthSummary {
        count: this_month.len(),
        average_secs: (count > 0).then(|| known.iter().sum::<u64>() / count),
        longest_secs: known.iter().copied().max(),
        last: maintenances().max_by_key(|p| p.start).cloned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::FixedOffset;

    fn tokyo() -> FixedOffset {
        FixedOffset::east_opt(9 * 3600).unwrap()
    }

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        tokyo()
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn period(kind: PeriodKind, start: DateTime<Utc>, end: End) -> Period {
        let duration_secs = match end {
            End::At(t) => Some(u64::try_from((t - start).num_seconds()).unwrap()),
            _ => None,
        };
        Period {
            exchange: bbwatch_core::model::exchange::Exchange::Bitbank,
            kind,
            pair: None,
            start: Some(start),
            start_observed: true,
            end,
            duration_secs,
            reason: None,
            pair_state: None,
        }
    }

    #[test]
    fn a_maintenance_across_midnight_counts_on_both_local_days() {
        let now = tokyo().with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let periods = [
            // 23:30 to 01:00, Tokyo time.
            period(
                PeriodKind::Maintenance,
                at(28, 23, 30),
                End::At(at(29, 1, 0)),
            ),
            period(PeriodKind::Down, at(29, 10, 0), End::At(at(29, 10, 5))),
            // A pair's halt is no outage of bitbank.
            period(PeriodKind::Halted, at(29, 11, 0), End::At(at(29, 12, 0))),
            // Its end is not known: not counted rather than invented.
            period(PeriodKind::Maintenance, at(27, 9, 0), End::Unknown),
        ];
        let d = days(&periods, 3, &now);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].date, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
        assert_eq!(d[0].start, at(28, 0, 0));
        assert_eq!((d[0].maintenance_secs, d[0].outage_secs), (1800, 0));
        assert_eq!((d[1].maintenance_secs, d[1].outage_secs), (3600, 300));
        assert_eq!(d[1].secs, 86_400);
        // Today is counted up to now.
        assert_eq!(d[2].secs, 12 * 3600);
    }

    #[test]
    fn two_exchanges_at_once_count_once_and_a_day_never_holds_more_than_itself() {
        let now = tokyo().with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let mut gmo = period(
            PeriodKind::Maintenance,
            at(29, 9, 30),
            End::At(at(29, 11, 0)),
        );
        gmo.exchange = bbwatch_core::model::exchange::Exchange::Gmocoin;
        let mut bitflyer_down = period(PeriodKind::Down, at(29, 10, 30), End::At(at(29, 12, 0)));
        bitflyer_down.exchange = bbwatch_core::model::exchange::Exchange::Bitflyer;
        let periods = [
            period(
                PeriodKind::Maintenance,
                at(29, 9, 0),
                End::At(at(29, 10, 0)),
            ),
            gmo,
            // Half an hour of it during GMO Coin's maintenance, counted there only.
            bitflyer_down,
        ];
        let d = days(&periods, 2, &now);
        // 09:00 to 11:00 in maintenance (one exchange or the other), 11:00 to 12:00 down.
        assert_eq!((d[0].maintenance_secs, d[0].outage_secs), (7200, 3600));
    }

    #[test]
    fn an_ongoing_maintenance_counts_up_to_now() {
        let now = tokyo().with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let periods = [period(PeriodKind::Maintenance, at(30, 11, 0), End::Ongoing)];
        let d = days(&periods, 1, &now);
        assert_eq!(d[0].maintenance_secs, 3600);
    }

    #[test]
    fn the_month_counts_its_maintenances_and_knows_the_last() {
        let now = tokyo().with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let october = tokyo()
            .with_ymd_and_hms(2026, 10, 31, 23, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let periods = [
            period(
                PeriodKind::Maintenance,
                october,
                End::At(october + Duration::hours(5)),
            ),
            period(PeriodKind::Maintenance, at(3, 9, 0), End::At(at(3, 10, 0))),
            period(
                PeriodKind::Maintenance,
                at(20, 9, 0),
                End::At(at(20, 9, 30)),
            ),
            period(PeriodKind::Maintenance, at(25, 9, 0), End::Unknown),
            period(PeriodKind::Down, at(26, 9, 0), End::At(at(26, 12, 0))),
        ];
        let s = month_summary(&periods, &now);
        assert_eq!(s.count, 3, "October's is not this month's");
        assert_eq!(
            s.average_secs,
            Some(2700),
            "of the two whose length is known"
        );
        assert_eq!(s.longest_secs, Some(3600));
        assert_eq!(s.last.unwrap().start, Some(at(25, 9, 0)));
        let none = month_summary(&[], &now);
        assert_eq!((none.count, none.average_secs, none.last), (0, None, None));
    }
}
