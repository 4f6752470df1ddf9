//! Cases carry no patient identity: free text that contains a Swedish personal identity
//! number (personnummer) or coordination number (samordningsnummer) is refused.
//!
//! A number counts when it has 10 digits (`YYMMDD-NNNC`) or 12 (`YYYYMMDD-NNNC`), with the
//! separator `-` or `+` or none, a real month, a day of 1–31 (61–91 for a samordningsnummer)
//! and a valid Luhn check digit. Digit runs of other lengths (invoice numbers, amounts) and
//! numbers whose check digit fails are not identity numbers and pass.

/// The first identity number found in `text`, as written there.
pub fn find(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_run = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit());
        if starts_run {
            if let Some(end) = candidate_end(bytes, i) {
                if is_identity_number(&text[i..end]) {
                    return Some(&text[i..end]);
                }
            }
        }
        i += 1;
    }
    None
}

pub fn contains(text: &str) -> bool {
    find(text).is_some()
}

fn digit_run(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count()
}

/// Where a 10- or 12-digit number starting at `start` ends, if one does.
fn candidate_end(bytes: &[u8], start: usize) -> Option<usize> {
    let first = digit_run(bytes, start);
    let after = start + first;
    match first {
        10 | 12 => Some(after),
        6 | 8 if matches!(bytes.get(after), Some(b'-' | b'+')) => {
            let last = digit_run(bytes, after + 1);
            (last == 4).then_some(after + 5)
        }
        _ => None,
    }
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
        assert_eq!(find("pnr: 19811218-9876, se ovan"), Some("19811218-9876"));
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
    fn a_number_inside_a_longer_digit_run_is_not_matched() {
        assert!(!contains("x98112189876"));
        assert!(!contains("81121898761"));
        assert!(!contains("811218-98761"));
    }
}
