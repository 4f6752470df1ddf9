//! Cases carry no patient identity: free text that contains a Swedish personal identity
//! number (personnummer) or coordination number (samordningsnummer) is refused.
//!
//! People write these numbers in many ways, so text is normalised first (Unicode NFKC, so
//! full-width digits count; every kind of dash becomes `-`). A number then counts when it has
//! 10 digits (`YYMMDD-NNNC`) or 12 (`YYYYMMDD-NNNC`): run together, or with the date written
//! as one group or as `YY MM DD` / `YYYY MM DD` (spaces or dots), then `-`, `+`, a space or
//! nothing (spaces around the dash allowed) and the last four digits. It must have a real
//! month, a day of 1–31 (61–91 for a samordningsnummer) and a valid Luhn check digit. Digit
//! runs of other lengths (invoice numbers, amounts, phone numbers) and numbers whose check
//! digit fails are not identity numbers and pass; nor does a date followed by more of a date.

use unicode_normalization::UnicodeNormalization;

/// The first identity number found in `text`, as written there (after normalisation).
pub fn find(text: &str) -> Option<String> {
    let chars = normalise(text);
    (0..chars.len())
        .filter(|&i| chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit()))
        .find_map(|start| match_at(&chars, start).map(|end| chars[start..end].iter().collect()))
}

pub fn contains(text: &str) -> bool {
    // Every identity number has at least ten digits; ASCII text with fewer holds none (NFKC
    // changes nothing in ASCII). This spares the normalisation for a million episode ids.
    if text.is_ascii() && text.bytes().filter(u8::is_ascii_digit).count() < 10 {
        return false;
    }
    find(text).is_some()
}

fn normalise(text: &str) -> Vec<char> {
    text.nfkc()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' | '\u{00AD}' => '-',
            '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\t' => ' ',
            other => other,
        })
        .collect()
}

/// The ways the date part is grouped, and what may stand between its groups.
const DATE_SHAPES: [&[usize]; 4] = [&[6], &[8], &[2, 2, 2], &[4, 2, 2]];
const DATE_SEPARATORS: [char; 2] = [' ', '.'];

/// Where exactly `n` digits starting at `i` end, if they are not followed by another digit.
fn digits(chars: &[char], i: usize, n: usize) -> Option<usize> {
    let end = i + n;
    let all = end <= chars.len() && chars[i..end].iter().all(char::is_ascii_digit);
    (all && !chars.get(end).is_some_and(char::is_ascii_digit)).then_some(end)
}

/// Whether the text goes on as more of a number (a digit, or `-./:` and a digit), so that
/// what ended is part of something longer, such as the next date.
fn continues(chars: &[char], end: usize) -> bool {
    match chars.get(end) {
        Some(c) if c.is_ascii_digit() => true,
        Some('-' | '.' | '/' | ':' | ',') => chars.get(end + 1).is_some_and(char::is_ascii_digit),
        _ => false,
    }
}

/// The end of an identity number starting at `start`, if one does.
fn match_at(chars: &[char], start: usize) -> Option<usize> {
    let collected = |from: usize, to: usize| chars[from..to].iter().filter(|c| c.is_ascii_digit()).collect::<String>();
    // Run together: 10 or 12 digits.
    for n in [10, 12] {
        if let Some(end) = digits(chars, start, n) {
            if !continues(chars, end) && is_identity_number(&collected(start, end)) {
                return Some(end);
            }
        }
    }
    for shape in DATE_SHAPES {
        let separators: &[char] = if shape.len() == 1 { &[' '] } else { &DATE_SEPARATORS };
        for &separator in separators {
            let Some(date_end) = date_part(chars, start, shape, separator) else { continue };
            let Some(last_start) = tail_separator(chars, date_end) else { continue };
            let Some(end) = digits(chars, last_start, 4) else { continue };
            if !continues(chars, end) && is_identity_number(&collected(start, end)) {
                return Some(end);
            }
        }
    }
    None
}

fn date_part(chars: &[char], start: usize, shape: &[usize], separator: char) -> Option<usize> {
    let mut i = start;
    for (g, &n) in shape.iter().enumerate() {
        if g > 0 {
            if chars.get(i) != Some(&separator) {
                return None;
            }
            i += 1;
        }
        i = digits(chars, i, n)?;
    }
    Some(i)
}

/// After the date: `-` or `+` (a space either side allowed) or one space; where the last
/// four digits begin.
fn tail_separator(chars: &[char], date_end: usize) -> Option<usize> {
    let mut i = date_end;
    if chars.get(i) == Some(&' ') {
        i += 1;
    }
    if matches!(chars.get(i), Some('-' | '+')) {
        i += 1;
        if chars.get(i) == Some(&' ') {
            i += 1;
        }
    }
    (i > date_end).then_some(i)
}

fn is_identity_number(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    let ten = match digits.len() {
        10 => &digits[..],
        12 => {
            let century = digits[0] * 10 + digits[1];
            if !(18..=20).contains(&century) {
                return false;
            }
            &digits[2..]
        }
        _ => return false,
    };
    let month = ten[2] * 10 + ten[3];
    let day = ten[4] * 10 + ten[5];
    let valid_day = (1..=31).contains(&day) || (61..=91).contains(&day);
    (1..=12).contains(&month) && valid_day && luhn_valid(ten)
}

fn luhn_valid(ten: &[u32]) -> bool {
    let sum: u32 = ten[..9]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let product = if i % 2 == 0 { d * 2 } else { *d };
            product / 10 + product % 10
        })
        .sum();
    (10 - sum % 10) % 10 == ten[9]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_and_twelve_digits_with_and_without_separator_are_found() {
        for text in [
            "Patienten 811218-9876 skrevs ut",
            "Patienten 8112189876 skrevs ut",
            "Patienten 19811218-9876 skrevs ut",
            "Patienten 198112189876 skrevs ut",
            "Hundraåring 811218+9876.",
            "(811218-9876)",
            "811218-9876",
        ] {
            assert!(contains(text), "{text}");
        }
        assert_eq!(find("pnr: 19811218-9876, se ovan").as_deref(), Some("19811218-9876"));
    }

    #[test]
    fn coordination_numbers_are_found() {
        // Day 63 = the 3rd plus 60.
        assert!(contains("samordningsnummer 701063-2391"));
        assert!(contains("samordningsnummer 197010632391"));
    }

    #[test]
    fn a_failing_check_digit_is_not_an_identity_number() {
        for text in ["811218-9875", "8112189877", "19811218-9870", "701063-2392"] {
            assert!(!contains(text), "{text}");
        }
    }

    #[test]
    fn other_numbers_pass() {
        for text in [
            "Faktura 2026-0001 på 12 345 kr",
            "Diarienummer SN19/84 och KS 2019/1234",
            "Telefon 08-123 456 78",
            "Beloppet var 1234567890123 öre",
            "Datum 2026-11-23 kl 12:00",
            "811318-9876 har månad 13",
            "811200-9874 har dag 0",
            "17811218-9876 har fel sekel",
            "12345678901",
        ] {
            assert!(!contains(text), "{text}");
        }
    }

    #[test]
    fn numbers_as_people_write_them_are_found() {
        for text in [
            "pnr 811218 9876",
            "pnr 811218 - 9876",
            "pnr 811218 – 9876",
            "pnr 811218—9876",
            "pnr 811218‐9876",
            "pnr 811218−9876",
            "pnr 81 12 18-9876",
            "pnr 81.12.18-9876",
            "pnr 1981 12 18-9876",
            "pnr 1981.12.18 9876",
            "pnr 19811218 9876",
            "pnr ８１１２１８－９８７６",
            "pnr ８１１２１８９８７６",
            "pnr 811218\u{00A0}9876",
            "samordningsnummer 70 10 63 2391",
        ] {
            assert!(contains(text), "{text}");
        }
    }

    #[test]
    fn look_alikes_pass() {
        for text in [
            "Beslut 2026-11-30 och 2026-12-01",
            "2026-11-30 2026-12-01",
            "Ring 070-123 45 67 eller 08-555 123 45",
            "Ärende AV-2026-0001 och BT-2025-0042",
            "Beloppet 1 234 567 kr, 12 345 678,90 kr",
            "Kl. 08.00–12.00 den 2026-11-30",
            "Faktura 811218-98",
            "Postnummer 141 52 Huddinge",
        ] {
            assert!(!contains(text), "{text}");
        }
    }

    #[test]
    fn a_number_inside_a_longer_digit_run_is_not_matched() {
        assert!(!contains("x98112189876"));
        assert!(!contains("81121898761"));
        assert!(!contains("811218-98761"));
    }
}
