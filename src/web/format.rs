//! How pages write numbers, amounts, dates and times: the Swedish way. Thousands are
//! grouped by a narrow no-break space, decimals follow a comma, a negative number carries a
//! real minus sign (U+2212) and amounts end in "kr"; dates are `ÅÅÅÅ-MM-DD` and times
//! `HH:MM` in Stockholm time. Downloads keep their own formats: CSV a plain decimal comma,
//! XLSX numbers as numbers.

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::payment::Fraction;

/// A value as templates pass it: itself, or behind one or two references.
pub trait Value<T> {
    fn value(&self) -> T;
}

impl<T: Copy> Value<T> for T {
    fn value(&self) -> T {
        *self
    }
}

impl<T: Copy> Value<T> for &T {
    fn value(&self) -> T {
        **self
    }
}

impl<T: Copy> Value<T> for &&T {
    fn value(&self) -> T {
        ***self
    }
}

/// Between groups of three digits: narrow, and never a place to break the line.
const GROUP: char = '\u{202F}';
const MINUS: char = '\u{2212}';
/// Between a number and its unit, so "12 kr" never breaks apart.
const NO_BREAK: char = '\u{A0}';

/// What a page says where a year has no daily amount yet (§6: the statistics stand).
pub const RATE_MISSING: &str = "dagbelopp saknas";

/// A whole number: "1 047 413", "−242 730".
pub fn integer(n: impl Value<i64>) -> String {
    grouped(i128::from(n.value()))
}

fn grouped(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 2 * digits.len() / 3 + 3);
    if n < 0 {
        out.push(MINUS);
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(GROUP);
        }
        out.push(digit);
    }
    out
}

/// Whole kronor: "125 000 kr".
pub fn kronor(amount: impl Value<i64>) -> String {
    format!("{}{NO_BREAK}kr", integer(amount))
}

/// An amount that is missing while the year's daily amount is not entered.
pub fn amount(amount: impl Value<Option<i64>>) -> String {
    amount.value().map_or_else(|| RATE_MISSING.to_owned(), kronor)
}

/// Rounded half-up to two decimals: "2,00", "1 234,57", "−0,50".
pub fn hundredths(value: impl Value<Fraction>) -> String {
    let h = value.value().round_to_hundredths();
    let sign = if h < 0 { MINUS.to_string() } else { String::new() };
    format!("{sign}{},{:02}", grouped(h.abs() / 100), h.abs() % 100)
}

pub fn date(day: impl Value<NaiveDate>) -> String {
    let mut text = String::with_capacity(10);
    crate::domain::calendar::push_iso_day(&mut text, day.value());
    text
}

/// A stored UTC time as Stockholm wall-clock time, the way users read it: `ÅÅÅÅ-MM-DD TT:MM`.
/// Written digit by digit: chrono's `format` reads its format string anew for every value
/// (2 % of a case page, which shows a time per event).
pub fn time(utc: impl Value<NaiveDateTime>) -> String {
    use crate::domain::calendar::{push_iso_day, push_padded};
    use chrono::Timelike;
    let local = crate::store::stockholm_time(&utc.value());
    let mut text = String::with_capacity(16);
    push_iso_day(&mut text, local.date());
    text.push(' ');
    push_padded(&mut text, local.hour(), 2);
    text.push(':');
    push_padded(&mut text, local.minute(), 2);
    text
}

/// A count with its noun in the right number: "1 ärende", "2 ärenden", "0 ärenden".
pub fn count(n: impl Value<i64>, one: &str, many: &str) -> String {
    let n = n.value();
    format!("{} {}", integer(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_grouped_by_thousands_with_a_real_minus() {
        assert_eq!(integer(0), "0");
        assert_eq!(integer(999), "999");
        assert_eq!(integer(1000), "1\u{202F}000");
        assert_eq!(integer(1_047_413), "1\u{202F}047\u{202F}413");
        assert_eq!(integer(-242_730), "\u{2212}242\u{202F}730");
        assert_eq!(integer(i64::MIN), "\u{2212}9\u{202F}223\u{202F}372\u{202F}036\u{202F}854\u{202F}775\u{202F}808");
    }

    #[test]
    fn amounts_end_in_kronor_that_stay_on_the_line() {
        assert_eq!(kronor(125_000), "125\u{202F}000\u{A0}kr");
        assert_eq!(kronor(-5), "\u{2212}5\u{A0}kr");
        assert_eq!(amount(Some(12)), "12\u{A0}kr");
        assert_eq!(amount(None), "dagbelopp saknas");
    }

    #[test]
    fn decimals_take_a_comma_and_round_half_up() {
        assert_eq!(hundredths(Fraction::new(2, 1)), "2,00");
        assert_eq!(hundredths(Fraction::new(9, 8)), "1,13");
        assert_eq!(hundredths(Fraction::new(123_457, 100)), "1\u{202F}234,57");
        assert_eq!(hundredths(Fraction::new(-1, 2)), "\u{2212}0,50");
    }

    #[test]
    fn dates_and_times_are_iso_and_in_stockholm_time() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(date(day), "2026-03-05");
        // 11:30 UTC is 12:30 in Stockholm in winter and 13:30 in summer.
        assert_eq!(time(day.and_hms_opt(11, 30, 0).unwrap()), "2026-03-05 12:30");
        let summer = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap().and_hms_opt(11, 30, 0).unwrap();
        assert_eq!(time(summer), "2026-07-01 13:30");
        // Past midnight in Stockholm: the next day, with the hour's leading zero.
        assert_eq!(time(day.and_hms_opt(23, 5, 0).unwrap()), "2026-03-06 00:05");
    }

    #[test]
    fn counts_take_the_singular_for_one_only() {
        assert_eq!(count(1, "ärende", "ärenden"), "1 ärende");
        assert_eq!(count(0, "ärende", "ärenden"), "0 ärenden");
        assert_eq!(count(2500, "ärende", "ärenden"), "2\u{202F}500 ärenden");
    }
}
