//! Response deadlines per ladder level: a number of calendar or working days from the day
//! the case entered the level. Administrators may change them; these are the defaults.

use super::calendar::{add_working_days, next_working_day};
use super::ladder::Level;
use chrono::{Days, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayCount {
    Calendar,
    Working,
}

impl DayCount {
    pub fn as_str(self) -> &'static str {
        match self {
            DayCount::Calendar => "calendar",
            DayCount::Working => "working",
        }
    }

    pub fn parse(s: &str) -> Option<DayCount> {
        [DayCount::Calendar, DayCount::Working].into_iter().find(|d| d.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DayCount::Calendar => "kalenderdagar",
            DayCount::Working => "arbetsdagar",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineRule {
    pub days: u32,
    pub count: DayCount,
}

/// The longest deadline an administrator may set (two years).
pub const MAX_DAYS: u32 = 730;

/// The defaults. The local level follows other regions' practice of 60 calendar days; the
/// payment ladder's first step matches the three-week review window. A case at a general
/// court has no deadline of ours.
pub fn default_rule(level: Level) -> Option<DeadlineRule> {
    let rule = |days, count| Some(DeadlineRule { days, count });
    match level {
        Level::Local => rule(60, DayCount::Calendar),
        Level::Review => rule(30, DayCount::Working),
        Level::Steering => rule(60, DayCount::Calendar),
        Level::Vis => rule(90, DayCount::Calendar),
        Level::NearestManagers => rule(21, DayCount::Calendar),
        Level::Directors => rule(30, DayCount::Calendar),
        Level::Court => None,
    }
}

/// The last day to respond. A calendar-day deadline that ends on a weekend or holiday moves
/// to the next working day, as Swedish deadlines do (lag 1930:173).
pub fn due_date(entered: NaiveDate, rule: DeadlineRule) -> NaiveDate {
    match rule.count {
        DayCount::Calendar => next_working_day(entered + Days::new(rule.days as u64)),
        DayCount::Working => add_working_days(entered, rule.days),
    }
}

/// Days from `today` to the deadline: negative when it has passed.
pub fn days_left(deadline: NaiveDate, today: NaiveDate) -> i64 {
    (deadline - today).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_local_level_has_sixty_calendar_days() {
        let rule = default_rule(Level::Local).unwrap();
        // 2026-11-23 + 60 = 2027-01-22, a Friday.
        assert_eq!(due_date(day(2026, 11, 23), rule), day(2027, 1, 22));
    }

    #[test]
    fn a_calendar_deadline_on_a_holiday_moves_to_the_next_working_day() {
        let rule = DeadlineRule { days: 31, count: DayCount::Calendar };
        // 2026-11-23 + 31 = 2026-12-24 (Christmas eve) → Monday 28 December.
        assert_eq!(due_date(day(2026, 11, 23), rule), day(2026, 12, 28));
        let rule = DeadlineRule { days: 5, count: DayCount::Calendar };
        // Tuesday + 5 = Sunday → Monday.
        assert_eq!(due_date(day(2026, 11, 24), rule), day(2026, 11, 30));
    }

    #[test]
    fn working_day_deadlines_count_working_days() {
        let rule = DeadlineRule { days: 30, count: DayCount::Working };
        // 22 working days to 23 December, then 28–30 December, 4–5, 7–8 and 11 January
        // (Christmas, New Year and Epiphany skipped).
        assert_eq!(due_date(day(2026, 11, 23), rule), day(2027, 1, 11));
    }

    #[test]
    fn a_court_has_no_deadline_of_ours() {
        assert_eq!(default_rule(Level::Court), None);
    }

    #[test]
    fn days_left_go_negative_when_overdue() {
        assert_eq!(days_left(day(2026, 11, 30), day(2026, 11, 23)), 7);
        assert_eq!(days_left(day(2026, 11, 23), day(2026, 11, 23)), 0);
        assert_eq!(days_left(day(2026, 11, 20), day(2026, 11, 23)), -3);
    }
}
