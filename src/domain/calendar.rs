//! Swedish working days: weekends and public holidays (the Easter-based ones, midsummer and
//! All Saints' computed), plus the eves that are non-working in practice (midsummer eve,
//! Christmas eve, New Year's eve). And how a time of day is read from the files and forms
//! that carry one.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Weekday};

/// Easter Sunday of `year` (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a real date")
}

/// The first `weekday` on or after `from`.
fn first_on_or_after(from: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Days::new(ahead as u64)
}

/// The day's holiday name, if it is a public holiday or a non-working eve.
pub fn holiday(day: NaiveDate) -> Option<&'static str> {
    let year = day.year();
    let fixed = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("fixed holiday");
    let easter = easter_sunday(year);
    let midsummer_eve = first_on_or_after(fixed(6, 19), Weekday::Fri);
    let named = [
        (fixed(1, 1), "Nyårsdagen"),
        (fixed(1, 6), "Trettondedag jul"),
        (easter - Days::new(2), "Långfredagen"),
        (easter, "Påskdagen"),
        (easter + Days::new(1), "Annandag påsk"),
        (fixed(5, 1), "Första maj"),
        (easter + Days::new(39), "Kristi himmelsfärdsdag"),
        (easter + Days::new(49), "Pingstdagen"),
        (fixed(6, 6), "Sveriges nationaldag"),
        (midsummer_eve, "Midsommarafton"),
        (midsummer_eve + Days::new(1), "Midsommardagen"),
        (first_on_or_after(fixed(10, 31), Weekday::Sat), "Alla helgons dag"),
        (fixed(12, 24), "Julafton"),
        (fixed(12, 25), "Juldagen"),
        (fixed(12, 26), "Annandag jul"),
        (fixed(12, 31), "Nyårsafton"),
    ];
    named.iter().find(|(date, _)| *date == day).map(|(_, name)| *name)
}

pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && holiday(day).is_none()
}

/// The day itself if it is a working day, else the next one.
pub fn next_working_day(mut day: NaiveDate) -> NaiveDate {
    while !is_working_day(day) {
        day = day + Days::new(1);
    }
    day
}

/// `count` working days after `start` (`start` itself not counted).
pub fn add_working_days(start: NaiveDate, count: u32) -> NaiveDate {
    let mut day = start;
    let mut left = count;
    while left > 0 {
        day = day + Days::new(1);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// Working days strictly after `from` up to and including `to` (0 when `to` ≤ `from`).
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    from.iter_days().skip(1).take_while(|d| *d <= to).filter(|d| is_working_day(*d)).count() as u32
}

/// `YYYY-MM-DD HH:MM`, with `T` for the space and `:SS` accepted. Read by hand: it runs
/// for several columns of every row of million-row files, where chrono's format parser
/// was the largest cost.
pub fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let b = super::text::trimmed(text).as_bytes();
    if !(b.len() == 16 || (b.len() == 19 && b[16] == b':')) || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' {
        return None;
    }
    let number = |from: usize, to: usize| decimal(&b[from..to]);
    let seconds = if b.len() == 19 { number(17, 19)? } else { 0 };
    let year = number(0, 4).filter(|&year| year >= 1900)?;
    let date = NaiveDate::from_ymd_opt(year as i32, number(5, 7)?, number(8, 10)?)?;
    let time = chrono::NaiveTime::from_hms_opt(number(11, 13)?, number(14, 16)?, seconds)?;
    Some(NaiveDateTime::new(date, time))
}

/// Appends `day` as `YYYY-MM-DD`, digit by digit: chrono's `Display` and `format` go through
/// the formatting machinery, a twentieth of a case list's CPU for its 50 deadlines. Years
/// outside 0–9999 (which no case or episode has) take chrono's own text.
pub fn push_iso_day(text: &mut String, day: NaiveDate) {
    if !(0..=9999).contains(&day.year()) {
        text.push_str(&day.to_string());
        return;
    }
    push_padded(text, day.year() as u32, 4);
    for value in [day.month(), day.day()] {
        text.push('-');
        push_padded(text, value, 2);
    }
}

/// The number the bytes spell in decimal digits; None if one is not a digit. The reading
/// twin of [`push_padded`].
pub fn decimal(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
}

/// Appends `value`'s last `width` decimal digits, zero-padded.
pub fn push_padded(text: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        text.push(char::from(b'0' + (value / 10u32.pow(place) % 10) as u8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_written_as_chrono_writes_them() {
        for day in [day(2026, 1, 2), day(2026, 12, 31), day(99, 3, 4), day(9999, 12, 31), day(10000, 1, 1), day(-5, 6, 7)] {
            let mut text = String::from("x");
            push_iso_day(&mut text, day);
            assert_eq!(text, format!("x{day}"));
        }
    }

    #[test]
    fn times_in_every_accepted_spelling() {
        assert!(parse_time("2026-01-02 11:59").is_some());
        assert!(parse_time("2026-01-02T11:59").is_some());
        assert!(parse_time("2026-01-02 11:59:30").is_some());
        assert!(parse_time("2026-01-02").is_none());
        assert!(parse_time("2026-02-30 10:00").is_none());
        assert!(parse_time("2026-01-02 24:00").is_none());
        assert!(parse_time("2026-01-02 1:00").is_none());
        assert!(parse_time("2026-01-02 10:00:").is_none());
        assert!(parse_time("2026-01-02 10:0x").is_none());
        assert!(parse_time("1899-12-31 23:59").is_none());
        assert!(parse_time("1900-01-01 00:00").is_some());
        assert_eq!(parse_time(" 2026-01-02T23:59:59 ").unwrap().to_string(), "2026-01-02 23:59:59");
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_falls_on_the_known_dates() {
        assert_eq!(easter_sunday(2020), day(2020, 4, 12));
        assert_eq!(easter_sunday(2024), day(2024, 3, 31));
        assert_eq!(easter_sunday(2025), day(2025, 4, 20));
        assert_eq!(easter_sunday(2026), day(2026, 4, 5));
        assert_eq!(easter_sunday(2038), day(2038, 4, 25));
    }

    #[test]
    fn the_moving_holidays_of_2026() {
        assert_eq!(holiday(day(2026, 4, 3)), Some("Långfredagen"));
        assert_eq!(holiday(day(2026, 4, 6)), Some("Annandag påsk"));
        assert_eq!(holiday(day(2026, 5, 14)), Some("Kristi himmelsfärdsdag"));
        assert_eq!(holiday(day(2026, 5, 24)), Some("Pingstdagen"));
        assert_eq!(holiday(day(2026, 6, 19)), Some("Midsommarafton"));
        assert_eq!(holiday(day(2026, 6, 20)), Some("Midsommardagen"));
        assert_eq!(holiday(day(2026, 10, 31)), Some("Alla helgons dag"));
        assert_eq!(holiday(day(2026, 11, 23)), None);
    }

    #[test]
    fn midsummer_eve_is_the_friday_between_the_19th_and_25th() {
        assert_eq!(holiday(day(2020, 6, 19)), Some("Midsommarafton"));
        assert_eq!(holiday(day(2024, 6, 21)), Some("Midsommarafton"));
        assert_eq!(holiday(day(2025, 6, 20)), Some("Midsommarafton"));
        assert_eq!(holiday(day(2021, 6, 25)), Some("Midsommarafton"));
        assert_eq!(holiday(day(2021, 6, 18)), None);
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        assert!(is_working_day(day(2026, 11, 23)));
        assert!(!is_working_day(day(2026, 11, 22)));
        assert!(!is_working_day(day(2026, 12, 24)));
        assert!(!is_working_day(day(2026, 1, 6)));
        // Thursday before Easter + 1 working day = the Tuesday after Easter Monday.
        assert_eq!(add_working_days(day(2026, 4, 2), 1), day(2026, 4, 7));
        // From Wednesday 23 December 2026: the 24th to the 27th are not working days, and
        // neither are New Year's eve and day, nor the weekend after.
        assert_eq!(add_working_days(day(2026, 12, 23), 3), day(2026, 12, 30));
        assert_eq!(add_working_days(day(2026, 12, 23), 5), day(2027, 1, 5));
        assert_eq!(add_working_days(day(2026, 12, 23), 6), day(2027, 1, 7));
        assert_eq!(add_working_days(day(2026, 11, 23), 5), day(2026, 11, 30));
        assert_eq!(add_working_days(day(2026, 11, 23), 0), day(2026, 11, 23));
    }

    #[test]
    fn counting_and_moving_to_the_next_working_day() {
        assert_eq!(working_days_between(day(2026, 11, 23), day(2026, 11, 30)), 5);
        assert_eq!(working_days_between(day(2026, 11, 30), day(2026, 11, 23)), 0);
        assert_eq!(next_working_day(day(2026, 12, 24)), day(2026, 12, 28));
        assert_eq!(next_working_day(day(2026, 11, 23)), day(2026, 11, 23));
    }
}
