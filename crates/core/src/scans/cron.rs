//! Cron expressions for `scanSchedule`, evaluated in UTC: Quartz's form (seconds, minutes,
//! hours, day of month, month, day of week `1-7` = `SUN-SAT`, optional year) and the classic
//! five fields (minutes, hours, day of month, month, day of week `0-7`, `0` and `7` = Sunday).
//!
//! Each field takes `*`, `?`, numbers, names (`JAN`, `MON`), ranges `a-b`, steps `*/n`, `a/n`,
//! `a-b/n`, and lists of these. When both day fields are restricted, a day matching either
//! matches (as classic cron does; Quartz asks for `?` in one of them).

use jiff::Timestamp;
use jiff::civil::Date;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    seconds: u64,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    /// Bit 0 = Sunday.
    weekdays: u64,
    years: Option<(i16, i16, i16)>,
    days_any: bool,
    weekdays_any: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A field's allowed values as a bit set over `lo..=hi`; `any` when `*` or `?`.
fn field(
    text: &str,
    lo: u32,
    hi: u32,
    names: &[&str],
    name_base: u32,
) -> Result<(u64, bool), String> {
    if text == "*" || text == "?" {
        return Ok(((lo..=hi).fold(0, |m, v| m | 1 << v), true));
    }
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(i as u32 + name_base);
        }
        let v: u32 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
        if v < lo || v > hi {
            return Err(format!("{v} is outside {lo}-{hi}"));
        }
        Ok(v)
    };
    let mut mask = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().map_err(|_| format!("'{s}' is not a step"))?;
                if step == 0 {
                    return Err("a step of 0".into());
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (a, b) = if range == "*" || range == "?" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let a = value(range)?;
            (a, if part.contains('/') { hi } else { a })
        };
        if a > b {
            return Err(format!("range {a}-{b} is backwards"));
        }
        let mut v = a;
        while v <= b {
            mask |= 1 << v;
            v += step;
        }
    }
    Ok((mask, false))
}

impl Schedule {
    /// Parses an expression; the error says what is wrong.
    pub fn parse(expr: &str) -> Result<Schedule, String> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let (sec, rest, quartz) = match fields.len() {
            5 => ("0", &fields[..], false),
            6 | 7 => (fields[0], &fields[1..], true),
            n => return Err(format!("expected 5, 6 or 7 fields, found {n}")),
        };
        let named =
            |what: &str, r: Result<(u64, bool), String>| r.map_err(|e| format!("{what}: {e}"));
        let (seconds, _) = named("seconds", field(sec, 0, 59, &[], 0))?;
        let (minutes, _) = named("minutes", field(rest[0], 0, 59, &[], 0))?;
        let (hours, _) = named("hours", field(rest[1], 0, 23, &[], 0))?;
        let (days, days_any) = named("day of month", field(rest[2], 1, 31, &[], 1))?;
        let (months, _) = named("month", field(rest[3], 1, 12, &MONTHS, 1))?;
        let (weekdays, weekdays_any) = if quartz {
            // 1-7 = SUN-SAT: shift to bit 0 = Sunday.
            let (m, any) = named("day of week", field(rest[4], 1, 7, &DAYS, 1))?;
            (m >> 1, any)
        } else {
            let (m, any) = named("day of week", field(rest[4], 0, 7, &DAYS, 0))?;
            ((m | (m >> 7)) & 0x7f, any)
        };
        let years = match rest.get(5) {
            None | Some(&"*") | Some(&"?") => None,
            Some(y) => {
                let (a, b) = y.split_once('-').unwrap_or((y, y));
                let a: i16 = a.parse().map_err(|_| format!("year: '{y}'"))?;
                let b: i16 = b.parse().map_err(|_| format!("year: '{y}'"))?;
                Some((a, b, 1))
            }
        };
        Ok(Schedule {
            seconds,
            minutes,
            hours,
            days,
            months,
            weekdays,
            years,
            days_any,
            weekdays_any,
        })
    }

    /// Whether the schedule fires at this second (UTC).
    pub fn matches(&self, at: Timestamp) -> bool {
        let t = at.to_zoned(jiff::tz::TimeZone::UTC);
        bit(self.seconds, t.second().into())
            && bit(self.minutes, t.minute().into())
            && bit(self.hours, t.hour().into())
            && self.fires_on(t.date())
    }

    /// Whether the schedule fires at some time of this day.
    fn fires_on(&self, d: Date) -> bool {
        let day = bit(self.days, d.day().into());
        let weekday = bit(self.weekdays, d.weekday().to_sunday_zero_offset().into());
        let day_ok = match (self.days_any, self.weekdays_any) {
            (true, true) => true,
            (true, false) => weekday,
            (false, true) => day,
            (false, false) => day || weekday,
        };
        bit(self.months, d.month().into())
            && day_ok
            && self
                .years
                .is_none_or(|(a, b, _)| (a..=b).contains(&d.year()))
    }

    /// Up to `count` times after `after` when the schedule fires, within the next eight years
    /// (what the settings page previews).
    pub fn next_runs(&self, after: Timestamp, count: usize) -> Vec<Timestamp> {
        let mut out = Vec::new();
        let mut day = after.to_zoned(jiff::tz::TimeZone::UTC).date();
        for _ in 0..(8 * 366) {
            if self.fires_on(day) {
                for (h, m, s) in self.times_of_day() {
                    let Ok(t) = day
                        .at(h, m, s, 0)
                        .to_zoned(jiff::tz::TimeZone::UTC)
                        .map(|z| z.timestamp())
                    else {
                        continue;
                    };
                    if t > after {
                        out.push(t);
                        if out.len() == count {
                            return out;
                        }
                    }
                }
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        out
    }

    /// The (hour, minute, second) of each firing in a day, in order.
    fn times_of_day(&self) -> impl Iterator<Item = (i8, i8, i8)> + '_ {
        let set = |mask: u64, hi: i8| (0..=hi).filter(move |v| bit(mask, (*v).into()));
        set(self.hours, 23).flat_map(move |h| {
            set(self.minutes, 59).flat_map(move |m| set(self.seconds, 59).map(move |s| (h, m, s)))
        })
    }
}

/// Whether bit `v` of `mask` is set.
fn bit(mask: u64, v: i64) -> bool {
    (0..64).contains(&v) && mask & (1 << v) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn quartz_and_classic() {
        // Saturday 2026-01-03 12:00:00 UTC.
        let noon_sat = at("2026-01-03T12:00:00Z");
        let q = Schedule::parse("0 0 12 ? * 7").unwrap();
        assert!(q.matches(noon_sat));
        assert!(!q.matches(at("2026-01-03T12:00:01Z")));
        assert!(!q.matches(at("2026-01-04T12:00:00Z")));
        assert!(Schedule::parse("0 0 12 ? * SAT").unwrap().matches(noon_sat));
        let c = Schedule::parse("0 12 * * 6").unwrap();
        assert!(c.matches(noon_sat));
        assert!(
            Schedule::parse("0 12 * * 0,7")
                .unwrap()
                .matches(at("2026-01-04T12:00:00Z"))
        );
        let every = Schedule::parse("*/2 * * * * ?").unwrap();
        assert!(every.matches(at("2026-01-03T12:00:02Z")));
        assert!(!every.matches(at("2026-01-03T12:00:03Z")));
        assert!(
            Schedule::parse("0 0 0 1 JAN-MAR ? 2026")
                .unwrap()
                .matches(at("2026-02-01T00:00:00Z"))
        );
        // The next runs, for the settings page's preview.
        let runs = Schedule::parse("30 2 * * 1")
            .unwrap()
            .next_runs(noon_sat, 2);
        assert_eq!(
            runs,
            [at("2026-01-05T02:30:00Z"), at("2026-01-12T02:30:00Z")]
        );
        let leap = Schedule::parse("0 0 29 2 *")
            .unwrap()
            .next_runs(noon_sat, 1);
        assert_eq!(leap, [at("2028-02-29T00:00:00Z")]);
        for bad in [
            "",
            "* * *",
            "61 * * * * ?",
            "0 0 12 ? * 8",
            "a b c d e",
            "*/0 * * * *",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }
}
