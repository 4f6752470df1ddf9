//! Reading the episode file (domain.md §5.1): a header naming the columns in any order, then
//! one row per care episode, each parsed into a valid [`Episode`] or refused with every
//! problem it has, by line and column.

use super::calendar::parse_time;
use super::payment::{CareType, Episode};
use super::registry::{district_on, DistrictError, MunicipalityCode};
use super::text;
use chrono::NaiveDateTime;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    EpisodeId,
    MunicipalityCode,
    District,
    PlacementMunicipalityCode,
    CareType,
    CareProvider,
    AdmittedAt,
    AdmissionNoticeAt,
    ReadyNoticeAt,
    DischargedAt,
    NeedsOutpatientContact,
    OutpatientContactAssigned,
    NeedsSip,
    SipCalledAt,
    NeedsCarePlan,
    CarePlanEstablished,
    OutpatientCareUnavailable,
    PatientDeclined,
    AgedSixtyFiveOrOver,
    UnplannedReadmissionWithinSevenDays,
}

const COLUMNS: [(Column, &str); 20] = [
    (Column::EpisodeId, "episode_id"),
    (Column::MunicipalityCode, "municipality_code"),
    (Column::District, "district"),
    (Column::PlacementMunicipalityCode, "placement_municipality_code"),
    (Column::CareType, "care_type"),
    (Column::CareProvider, "care_provider"),
    (Column::AdmittedAt, "admitted_at"),
    (Column::AdmissionNoticeAt, "admission_notice_at"),
    (Column::ReadyNoticeAt, "ready_notice_at"),
    (Column::DischargedAt, "discharged_at"),
    (Column::NeedsOutpatientContact, "needs_outpatient_contact"),
    (Column::OutpatientContactAssigned, "outpatient_contact_assigned"),
    (Column::NeedsSip, "needs_sip"),
    (Column::SipCalledAt, "sip_called_at"),
    (Column::NeedsCarePlan, "needs_care_plan"),
    (Column::CarePlanEstablished, "care_plan_established"),
    (Column::OutpatientCareUnavailable, "outpatient_care_unavailable"),
    (Column::PatientDeclined, "patient_declined"),
    (Column::AgedSixtyFiveOrOver, "aged_65_or_over"),
    (Column::UnplannedReadmissionWithinSevenDays, "unplanned_readmission_within_7_days"),
];

const REQUIRED: [Column; 4] = [Column::EpisodeId, Column::MunicipalityCode, Column::CareType, Column::DischargedAt];

impl Column {
    pub fn name(self) -> &'static str {
        COLUMNS.iter().find(|(c, _)| *c == self).map(|(_, n)| *n).expect("every column is named")
    }
}

/// A problem with the file: where (1-based line, column name) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
        }
    }
}

/// Where each known column stands in the file.
#[derive(Debug, Clone)]
pub struct Header {
    positions: Vec<Column>,
    /// Where each column stands in a row (indexed by `Column as usize`), looked up for every
    /// field of every row.
    index: [Option<usize>; COLUMNS.len()],
}

impl Header {
    pub fn parse(names: &[&str]) -> Result<Header, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut positions = Vec::new();
        for name in names {
            let clean = name.trim().trim_start_matches('\u{feff}');
            match COLUMNS.iter().find(|(_, n)| *n == clean) {
                Some((column, _)) if positions.contains(column) => errors.push(header_error(clean, "the column appears twice")),
                Some((column, _)) => positions.push(*column),
                None => errors.push(header_error(clean, "unknown column")),
            }
        }
        for required in REQUIRED {
            if !positions.contains(&required) {
                errors.push(header_error(required.name(), "required column is missing"));
            }
        }
        if errors.is_empty() {
            let mut index = [None; COLUMNS.len()];
            for (i, column) in positions.iter().enumerate() {
                index[*column as usize] = Some(i);
            }
            Ok(Header { positions, index })
        } else {
            Err(errors)
        }
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Parses one data row found on `line`.
    pub fn episode(&self, fields: &[&str], line: u64) -> Result<Episode, Vec<RowError>> {
        self.screen(fields, line)?;
        self.parse_fields(fields, line)
    }

    /// Like [`episode`](Self::episode), for a row whose fields a CSV reader also holds one
    /// after another (`joined`): where all of them together are no longer than one field may
    /// be and hold no control character, no field needs a look of its own. That look, field
    /// by field, was a sixth of reading a million rows.
    pub fn episode_of_record(&self, joined: &str, fields: &[&str], line: u64) -> Result<Episode, Vec<RowError>> {
        if joined.len() > FIELD_MAX || has_control(joined) {
            self.screen(fields, line)?;
        }
        self.parse_fields(fields, line)
    }

    /// Control characters (NUL included: PostgreSQL cannot store it) and oversized values are
    /// refused before anything repeats them.
    fn screen(&self, fields: &[&str], line: u64) -> Result<(), Vec<RowError>> {
        let bad: Vec<RowError> = self
            .positions
            .iter()
            .zip(fields)
            .filter_map(|(column, field)| {
                let message = if has_control(field) {
                    "contains a control character"
                } else if field.len() > FIELD_MAX && field.chars().count() > FIELD_MAX {
                    "longer than 200 characters"
                } else {
                    return None;
                };
                Some(RowError { line, column: column.name().to_owned(), message: message.to_owned() })
            })
            .collect();
        if bad.is_empty() {
            Ok(())
        } else {
            Err(bad)
        }
    }

    fn parse_fields(&self, fields: &[&str], line: u64) -> Result<Episode, Vec<RowError>> {
        let mut row = Row { header: self, fields, line, errors: Vec::new() };
        if fields.len() != self.positions.len() {
            return Err(vec![RowError {
                line,
                column: String::new(),
                message: format!("the row has {} fields but the header has {}", fields.len(), self.positions.len()),
            }]);
        }
        let episode_id = row.text(Column::EpisodeId);
        if episode_id.is_empty() {
            row.fail::<()>(Column::EpisodeId, "required");
        } else if super::personnummer::contains(episode_id) {
            row.fail::<()>(Column::EpisodeId, "looks like a personal identity number; episode ids must be pseudonymous");
        } else if episode_id.len() > 100 && episode_id.chars().count() > 100 {
            row.fail::<()>(Column::EpisodeId, "longer than 100 characters");
        }
        let municipality = row.municipality(Column::MunicipalityCode, true);
        let placement = row.municipality(Column::PlacementMunicipalityCode, false);
        let care_type = match row.text(Column::CareType) {
            t if ["somatic", "somatik"].iter().any(|name| t.eq_ignore_ascii_case(name)) => Some(CareType::Somatic),
            t if ["psychiatric", "psykiatri"].iter().any(|name| t.eq_ignore_ascii_case(name)) => Some(CareType::Psychiatric),
            "" => row.fail(Column::CareType, "required: somatic or psychiatric"),
            _ => row.fail(Column::CareType, "must be somatic or psychiatric (somatik/psykiatri)"),
        };
        let care_provider = Some(row.text(Column::CareProvider).to_owned()).filter(|p| !p.is_empty());
        if care_type == Some(CareType::Psychiatric) && care_provider.is_none() {
            row.fail::<()>(Column::CareProvider, "required for psychiatric care");
        }
        if care_provider.as_deref().is_some_and(super::personnummer::contains) {
            row.fail::<()>(Column::CareProvider, "looks like a personal identity number");
        }
        let admitted_at = row.time(Column::AdmittedAt);
        let admission_notice_at = row.time(Column::AdmissionNoticeAt);
        let ready_notice_at = row.time(Column::ReadyNoticeAt);
        let discharged_at = row.time(Column::DischargedAt);
        if discharged_at.is_none() && row.text(Column::DischargedAt).is_empty() {
            row.fail::<()>(Column::DischargedAt, "required");
        }
        if let (Some(ready), Some(discharged)) = (ready_notice_at, discharged_at) {
            if discharged < ready {
                row.fail::<()>(Column::DischargedAt, "is before ready_notice_at");
            }
        }
        let sip_called_at = row.time(Column::SipCalledAt);
        let flags = [
            Column::NeedsOutpatientContact,
            Column::OutpatientContactAssigned,
            Column::NeedsSip,
            Column::NeedsCarePlan,
            Column::CarePlanEstablished,
            Column::OutpatientCareUnavailable,
            Column::PatientDeclined,
        ]
        .map(|c| row.flag(c));
        // Follow-up only (§6): a file without the column did not report it, which is not "no".
        let [aged_65_or_over, readmitted] =
            [Column::AgedSixtyFiveOrOver, Column::UnplannedReadmissionWithinSevenDays].map(|c| self.has(c).then(|| row.flag(c)).flatten());
        let paying = placement.or(municipality);
        let district_name = row.text(Column::District);
        let district = match (discharged_at, district_name.is_empty()) {
            (Some(discharged), false) => match district_on(district_name, discharged.date()) {
                Ok(district) => Some(district),
                Err(DistrictError::Unknown) => row.fail(Column::District, "not a Stockholm district (stadsdelsområde) as named in the registry"),
                Err(DistrictError::NotValidOn(day)) => {
                    row.fail_owned(Column::District, format!("{} is not a district on the discharge date {day}", quoted(district_name)))
                }
            },
            (Some(_), true) if paying.is_some_and(|m| m.is_stockholm()) => row.fail(Column::District, "required when Stockholm (0180) pays"),
            _ => None,
        };
        if !row.errors.is_empty() {
            return Err(row.errors);
        }
        let [needs_outpatient_contact, outpatient_contact_assigned, needs_sip, needs_care_plan, care_plan_established, outpatient_care_unavailable, patient_declined] =
            flags.map(|f| f.unwrap_or(false));
        Ok(Episode {
            episode_id: episode_id.to_owned(),
            municipality: municipality.expect("checked"),
            district,
            placement,
            care_type: care_type.expect("checked"),
            care_provider,
            admitted_at,
            admission_notice_at,
            ready_notice_at,
            discharged_at: discharged_at.expect("checked"),
            needs_outpatient_contact,
            outpatient_contact_assigned,
            needs_sip,
            sip_called_at,
            needs_care_plan,
            care_plan_established,
            outpatient_care_unavailable,
            patient_declined,
            aged_65_or_over,
            unplanned_readmission_within_7_days: readmitted,
            excluded_by_agreement: false,
        })
    }

    /// Whether the file has `column`.
    pub fn has(&self, column: Column) -> bool {
        self.positions.contains(&column)
    }
}

fn header_error(column: &str, message: &str) -> RowError {
    RowError { line: 1, column: shown(column), message: message.to_owned() }
}

/// The longest field any column takes (an episode id takes at most 100).
pub const FIELD_MAX: usize = 200;
/// How much of a value a message repeats: a 5 MB field must not become 5 MB of errors.
const SHOWN_MAX: usize = 80;

/// At most the first 80 characters of `text`, marked when cut, without control characters.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(SHOWN_MAX).map(|c| if c.is_control() { '�' } else { c }).collect();
    if text.chars().nth(SHOWN_MAX).is_some() {
        out.push('…');
    }
    out
}

/// `shown` in quotes, for a value inside a message.
fn quoted(text: &str) -> String {
    format!("\"{}\"", shown(text))
}

struct Row<'a> {
    header: &'a Header,
    fields: &'a [&'a str],
    line: u64,
    errors: Vec<RowError>,
}

impl<'a> Row<'a> {
    fn text(&self, column: Column) -> &'a str {
        self.header.index[column as usize].map_or("", |i| text::trimmed(self.fields[i]))
    }

    fn fail<T>(&mut self, column: Column, message: &str) -> Option<T> {
        self.fail_owned(column, message.to_owned())
    }

    fn fail_owned<T>(&mut self, column: Column, message: String) -> Option<T> {
        self.errors.push(RowError { line: self.line, column: column.name().to_owned(), message });
        None
    }

    fn municipality(&mut self, column: Column, required: bool) -> Option<MunicipalityCode> {
        match self.text(column) {
            "" if required => self.fail(column, "required"),
            "" => None,
            code => MunicipalityCode::parse(code)
                .or_else(|| self.fail_owned(column, format!("{} is not one of the 26 municipality codes of Stockholm County", quoted(code)))),
        }
    }

    fn time(&mut self, column: Column) -> Option<NaiveDateTime> {
        match self.text(column) {
            "" => None,
            text => parse_time(text).or_else(|| self.fail_owned(column, format!("{} is not a time as YYYY-MM-DD HH:MM", quoted(text)))),
        }
    }

    fn flag(&mut self, column: Column) -> Option<bool> {
        match parse_bool(self.text(column)) {
            Some(value) => Some(value),
            None => self.fail(column, "must be true/false, 1/0, yes/no or ja/nej"),
        }
    }
}

/// Whether `field` holds a control character (Unicode's Cc: U+0000–U+001F, U+007F–U+009F),
/// read on the bytes: it runs for every field of every row.
fn has_control(field: &str) -> bool {
    let b = field.as_bytes();
    // A first look without branches (the compiler vectorises it): almost no text holds a
    // byte that may begin one. In UTF-8, U+0080–U+009F are 0xC2 followed by 0x80–0x9F.
    let may = b.iter().fold(false, |seen, &c| seen | (c < 0x20) | (c == 0x7f) | (c == 0xc2));
    may && b.iter().enumerate().any(|(i, &c)| c < 0x20 || c == 0x7f || (c == 0xc2 && b.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n))))
}

/// true/false, 1/0, yes/no, ja/nej in any case; empty is false.
pub fn parse_bool(text: &str) -> Option<bool> {
    let text = text::trimmed(text);
    let is = |words: &[&str]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
    if is(&["", "false", "0", "no", "nej"]) {
        Some(false)
    } else if is(&["true", "1", "yes", "ja"]) {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [&str; 8] =
        ["episode_id", "municipality_code", "district", "care_type", "care_provider", "admission_notice_at", "ready_notice_at", "discharged_at"];

    fn header() -> Header {
        Header::parse(&HEADER).unwrap()
    }

    #[test]
    fn control_characters_and_huge_values_are_refused_and_never_echoed_whole() {
        let h = header();
        let nul = h.episode(&["e\u{0}1", "0127", "", "somatic", "", "2026-01-01 08:00", "2026-01-02 09:00", "2026-01-03 10:00"], 4).unwrap_err();
        assert_eq!((nul[0].line, nul[0].column.as_str(), nul[0].message.as_str()), (4, "episode_id", "contains a control character"));
        let long = "x".repeat(5_000);
        let big = h.episode(&["e1", "0127", "", "psychiatric", &long, "2026-01-01 08:00", "2026-01-02 09:00", "2026-01-03 10:00"], 5).unwrap_err();
        assert_eq!((big[0].column.as_str(), big[0].message.as_str()), ("care_provider", "longer than 200 characters"));
        let time = h.episode(&["e1", "0127", "", "somatic", "", &"9".repeat(150), "2026-01-02 09:00", "2026-01-03 10:00"], 6).unwrap_err();
        assert!(time[0].message.chars().count() < 140, "{}", time[0].message);
        assert!(time[0].message.contains('…'));
        let header_errors = Header::parse(&["episode_id", &"y".repeat(10_000)]).unwrap_err();
        assert!(header_errors.iter().all(|e| e.column.chars().count() <= 81));
    }

    #[test]
    fn a_record_read_whole_is_screened_as_its_fields_are() {
        let h = header();
        let rows: [&[&str]; 4] = [
            &["e1", "0127", "", "somatic", "", "2026-01-01 08:00", "2026-01-02 09:00", "2026-01-03 10:00"],
            &["e\u{0}1", "0127", "", "somatic", "", "2026-01-01 08:00", "2026-01-02 09:00", "2026-01-03 10:00"],
            &["e1", "0127", "", "somatic", "Vård\u{85}", "2026-01-01 08:00", "2026-01-02 09:00", "2026-01-03 10:00"],
            &["e1", "0127", "", "psychiatric", &"x".repeat(201), "2026-01-01 08:00", "2026-01-02 09:00", "2026-01-03 10:00"],
        ];
        for fields in rows {
            let whole = h.episode_of_record(&fields.concat(), fields, 2);
            assert_eq!(format!("{whole:?}"), format!("{:?}", h.episode(fields, 2)), "{fields:?}");
        }
        assert!(h.episode_of_record(&rows[2].concat(), rows[2], 2).is_err());
    }

    #[test]
    fn the_follow_up_columns_are_optional_and_a_missing_column_is_not_reported() {
        let without = Header::parse(&["episode_id", "municipality_code", "care_type", "discharged_at"]).unwrap();
        let e = without.episode(&["e1", "0127", "somatic", "2026-01-03 10:00"], 2).unwrap();
        assert_eq!((e.aged_65_or_over, e.unplanned_readmission_within_7_days), (None, None));
        let with = Header::parse(&[
            "episode_id",
            "municipality_code",
            "care_type",
            "discharged_at",
            "aged_65_or_over",
            "unplanned_readmission_within_7_days",
        ])
        .unwrap();
        let e = with.episode(&["e1", "0127", "somatic", "2026-01-03 10:00", "ja", ""], 2).unwrap();
        assert_eq!((e.aged_65_or_over, e.unplanned_readmission_within_7_days), (Some(true), Some(false)), "empty means false");
        let bad = with.episode(&["e1", "0127", "somatic", "2026-01-03 10:00", "kanske", "1"], 7).unwrap_err();
        assert_eq!((bad[0].line, bad[0].column.as_str()), (7, "aged_65_or_over"));
    }

    #[test]
    fn columns_come_in_any_order_and_unknown_or_missing_ones_are_refused() {
        let reordered = Header::parse(&["discharged_at", "care_type", "municipality_code", "episode_id"]).unwrap();
        assert_eq!(reordered.len(), 4);
        let errors = Header::parse(&["episode_id", "kommun", "care_type"]).unwrap_err();
        assert!(errors.iter().any(|e| e.column == "kommun" && e.message == "unknown column"));
        assert!(errors.iter().any(|e| e.column == "municipality_code" && e.message.contains("missing")));
        assert!(errors.iter().any(|e| e.column == "discharged_at"));
        assert!(errors.iter().all(|e| e.line == 1));
        let twice = Header::parse(&["episode_id", "episode_id", "municipality_code", "care_type", "discharged_at"]).unwrap_err();
        assert!(twice[0].message.contains("twice"));
    }

    #[test]
    fn a_good_row_parses() {
        let episode = header().episode(&["e1", "0127", "", "somatik", "", "2026-01-01 08:00", "2026-01-02T11:59", "2026-01-03 10:00:00"], 2).unwrap();
        assert_eq!(episode.municipality.as_str(), "0127");
        assert_eq!(episode.care_type, CareType::Somatic);
        assert_eq!(episode.ready_days(), Some(1));
    }

    #[test]
    fn every_problem_of_a_row_is_reported_with_its_column() {
        let errors = header().episode(&["", "9999", "", "ortopedi", "", "igår", "2026-01-05 10:00", "2026-01-04 10:00"], 7).unwrap_err();
        let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(columns, ["episode_id", "municipality_code", "care_type", "admission_notice_at", "discharged_at"]);
        assert!(errors.iter().all(|e| e.line == 7));
    }

    #[test]
    fn stockholm_needs_a_district_valid_on_the_discharge_date() {
        let h = header();
        let missing = h.episode(&["e1", "0180", "", "somatic", "", "", "", "2020-07-01 10:00"], 2).unwrap_err();
        assert_eq!(missing[0].column, "district");
        let gone = h.episode(&["e1", "0180", "Älvsjö", "somatic", "", "", "", "2020-07-01 10:00"], 2).unwrap_err();
        assert!(gone[0].message.contains("not a district on the discharge date 2020-07-01"));
        assert!(h.episode(&["e1", "0180", "Älvsjö", "somatic", "", "", "", "2020-06-30 23:59"], 2).is_ok());
        assert!(h.episode(&["e1", "0180", "Hägersten-Älvsjö", "somatic", "", "", "", "2020-07-01 00:00"], 2).is_ok());
        assert!(h.episode(&["e1", "0180", "Järva", "somatic", "", "", "", "2023-06-30 10:00"], 2).is_err());
        assert!(h.episode(&["e1", "0180", "Järva", "somatic", "", "", "", "2023-07-01 10:00"], 2).is_ok());
        // Given outside Stockholm it must still be valid, and is not used.
        assert!(h.episode(&["e1", "0127", "Gamla stan", "somatic", "", "", "", "2023-07-01 10:00"], 2).is_err());
        let unused = h.episode(&["e1", "0127", "Bromma", "somatic", "", "", "", "2023-07-01 10:00"], 2).unwrap();
        assert_eq!(unused.paying_unit().district, None);
    }

    #[test]
    fn psychiatric_care_needs_a_provider_and_ids_carry_no_personnummer() {
        let h = header();
        let errors = h.episode(&["e1", "0127", "", "psychiatric", "", "", "", "2021-01-01 10:00"], 2).unwrap_err();
        assert_eq!(errors[0].column, "care_provider");
        let errors = h.episode(&["19811218-9876", "0127", "", "somatic", "", "", "", "2021-01-01 10:00"], 2).unwrap_err();
        assert!(errors[0].message.contains("personal identity number"));
    }

    #[test]
    fn booleans_in_every_accepted_spelling() {
        for (text, value) in
            [("", false), ("TRUE", true), ("false", false), ("1", true), ("0", false), ("Yes", true), ("no", false), ("JA", true), ("nej", false)]
        {
            assert_eq!(parse_bool(text), Some(value), "{text}");
        }
        assert_eq!(parse_bool("kanske"), None);
    }

    #[test]
    fn a_row_of_the_wrong_width_is_refused() {
        let errors = header().episode(&["e1", "0127"], 3).unwrap_err();
        assert!(errors[0].message.contains("2 fields but the header has 8"));
    }
}
