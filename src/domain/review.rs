//! The review basis (*granskningsunderlag*, domain.md §4.2): when HSF may publish a month,
//! how long the paying units have to answer, and when the version becomes the invoice basis.

use super::payment::{Model, Month, UnitKey};
use chrono::NaiveDate;

/// The basis reaches the municipalities three weeks before invoicing (seed 004).
pub const MIN_DAYS_BEFORE_INVOICING: u64 = 21;

/// Why a month cannot be published for invoicing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishRefusal {
    /// No activation date of payment responsibility is set: every figure is statistics.
    NotActive,
    /// The month lies before payment responsibility starts.
    BeforeActivation(NaiveDate),
    /// The invoice date is less than three weeks away; the earliest allowed is given.
    InvoiceTooSoon(NaiveDate),
}

impl PublishRefusal {
    pub fn message(self) -> String {
        match self {
            PublishRefusal::NotActive => {
                "Betalningsansvaret är inte aktiverat ännu, så månadens siffror är statistik och publiceras inte för fakturering.".to_owned()
            }
            PublishRefusal::BeforeActivation(from) => {
                format!("Betalningsansvaret gäller från {from}. Månader före det är statistik och publiceras inte för fakturering.")
            }
            PublishRefusal::InvoiceTooSoon(earliest) => format!(
                "Granskningsunderlaget ska nå kommunerna tre veckor före faktureringen: välj ett fakturadatum minst 21 dagar fram, tidigast {earliest}."
            ),
        }
    }
}

/// Whether HSF may publish `month` on `published_on` for invoicing on `invoice_date`, with
/// payment responsibility active from `active_from`.
pub fn may_publish(month: Month, published_on: NaiveDate, invoice_date: NaiveDate, active_from: Option<NaiveDate>) -> Result<(), PublishRefusal> {
    let from = active_from.ok_or(PublishRefusal::NotActive)?;
    if month.first_day() < from {
        return Err(PublishRefusal::BeforeActivation(from));
    }
    let earliest = published_on + chrono::Days::new(MIN_DAYS_BEFORE_INVOICING);
    if invoice_date < earliest {
        return Err(PublishRefusal::InvoiceTooSoon(earliest));
    }
    Ok(())
}

/// Each row of a unit's basis is answered on its own (§4.2): the average-model row, and each
/// care provider's row of the psychiatric transitional rule. Its key, as stored.
pub fn row_key(key: &UnitKey) -> String {
    match (key.model, &key.care_provider) {
        (Model::Average, _) => "average".to_owned(),
        (Model::Individual, Some(provider)) => format!("individual:{provider}"),
        (Model::Individual, None) => "individual".to_owned(),
    }
}

/// Whether the care provider as the episode file writes it is this registered organisation
/// (the counterpart of a dispute about its row: it invoices under 12.4): the same name, the
/// abbreviation in its name's parentheses ("SLSO"), or its id.
pub fn names_care_provider(written: &str, id: &str, name: &str) -> bool {
    let written = written.trim().to_lowercase();
    let abbreviation = name.rsplit_once('(').and_then(|(_, rest)| rest.strip_suffix(')')).map(str::to_lowercase);
    !written.is_empty()
        && (written == name.to_lowercase() || abbreviation.as_deref() == Some(written.as_str()) || written == id || format!("vg-{written}") == id)
}

/// The row key of answers given for a whole unit, before rows were answered one by one.
pub const WHOLE_UNIT: &str = "unit";

/// A unit's answer to a row of its review basis (`review_responses.response`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAnswer {
    Accepted,
    /// The unit goes on to file a payment dispute about the row.
    Disputed,
}

impl ReviewAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAnswer::Accepted => "accepted",
            ReviewAnswer::Disputed => "disputed",
        }
    }

    pub fn parse(text: &str) -> Option<ReviewAnswer> {
        [ReviewAnswer::Accepted, ReviewAnswer::Disputed].into_iter().find(|a| a.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewAnswer::Accepted => "Godkänt",
            ReviewAnswer::Disputed => "Ifrågasatt",
        }
    }
}

/// Whether a month's figures are statistics only: before payment responsibility starts, or
/// while no start is set.
pub fn statistics_only(month: Month, active_from: Option<NaiveDate>) -> bool {
    active_from.is_none_or(|from| month.first_day() < from)
}

/// The units answer from publication until the invoice date; on it the version is the
/// invoice basis, so the day before is the last to answer.
pub fn last_day_to_answer(invoice_date: NaiveDate) -> NaiveDate {
    invoice_date.pred_opt().unwrap_or(invoice_date)
}

pub fn open(today: NaiveDate, invoice_date: NaiveDate) -> bool {
    today < invoice_date
}

/// From the invoice date the published version is the month's invoice basis, and stays so.
pub fn invoiced(today: NaiveDate, invoice_date: NaiveDate) -> bool {
    invoice_date <= today
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_answer_reads_back_from_its_text_and_nothing_else() {
        for answer in [ReviewAnswer::Accepted, ReviewAnswer::Disputed] {
            assert_eq!(ReviewAnswer::parse(answer.as_str()), Some(answer));
        }
        assert_eq!(ReviewAnswer::parse("Accepted"), None);
        assert_eq!(ReviewAnswer::parse(""), None);
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    const MARCH: Month = Month { year: 2024, month: 3 };

    #[test]
    fn the_invoice_date_is_at_least_three_weeks_after_publication() {
        let active = Some(day("2024-01-01"));
        assert_eq!(may_publish(MARCH, day("2024-04-02"), day("2024-04-23"), active), Ok(()));
        assert_eq!(may_publish(MARCH, day("2024-04-02"), day("2024-04-22"), active), Err(PublishRefusal::InvoiceTooSoon(day("2024-04-23"))));
        assert!(PublishRefusal::InvoiceTooSoon(day("2024-04-23")).message().contains("minst 21 dagar"));
    }

    #[test]
    fn nothing_is_published_before_payment_responsibility_is_active() {
        assert_eq!(may_publish(MARCH, day("2024-04-02"), day("2024-05-01"), None), Err(PublishRefusal::NotActive));
        assert_eq!(
            may_publish(MARCH, day("2024-04-02"), day("2024-05-01"), Some(day("2024-04-01"))),
            Err(PublishRefusal::BeforeActivation(day("2024-04-01")))
        );
        assert_eq!(may_publish(MARCH, day("2024-04-02"), day("2024-05-01"), Some(day("2024-03-01"))), Ok(()));
        assert!(statistics_only(MARCH, None));
        assert!(statistics_only(MARCH, Some(day("2024-03-02"))));
        assert!(!statistics_only(MARCH, Some(day("2024-03-01"))));
    }

    #[test]
    fn a_care_provider_is_found_by_name_abbreviation_or_id() {
        let (id, name) = ("vg-slso", "Stockholms läns sjukvårdsområde (SLSO)");
        for written in ["SLSO", "slso", " Stockholms läns sjukvårdsområde (SLSO) ", "vg-slso"] {
            assert!(names_care_provider(written, id, name), "{written}");
        }
        for written in ["", "SOS", "Stockholms läns"] {
            assert!(!names_care_provider(written, id, name), "{written}");
        }
    }

    #[test]
    fn each_row_of_a_unit_has_its_own_key() {
        use crate::domain::payment::PayingUnit;
        use crate::domain::registry::MunicipalityCode;
        let unit = PayingUnit { municipality: MunicipalityCode::parse("0127").unwrap(), district: None };
        let average = UnitKey { unit, model: Model::Average, care_provider: None };
        let slso = UnitKey { unit, model: Model::Individual, care_provider: Some("SLSO".into()) };
        let other = UnitKey { unit, model: Model::Individual, care_provider: Some("Capio".into()) };
        assert_eq!(row_key(&average), "average");
        assert_eq!(row_key(&slso), "individual:SLSO");
        assert_ne!(row_key(&slso), row_key(&other));
        assert_ne!(row_key(&average), WHOLE_UNIT);
    }

    #[test]
    fn the_window_runs_from_publication_until_the_invoice_date() {
        let invoice = day("2024-04-23");
        assert_eq!(last_day_to_answer(invoice), day("2024-04-22"));
        assert!(open(day("2024-04-02"), invoice));
        assert!(open(day("2024-04-22"), invoice), "the last day to answer");
        assert!(!open(invoice, invoice), "on the invoice date the basis is invoiced");
        assert!(invoiced(invoice, invoice));
        assert!(!invoiced(day("2024-04-22"), invoice));
    }
}
