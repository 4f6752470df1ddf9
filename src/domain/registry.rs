//! The parties of the agreement (domain.md §1): the 26 municipalities and Stockholm's
//! districts with their validity periods. This table is the single source for rules that
//! need it without a database (the payment engine, `calc`); the migrations seed the same
//! rows and a test checks that they agree.

use chrono::NaiveDate;
use std::fmt;

/// A kommunkod that belongs to one of the 26 municipalities of Stockholm County.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MunicipalityCode(&'static str);

pub struct Municipality {
    pub code: &'static str,
    pub name: &'static str,
}

pub const STOCKHOLM: &str = "0180";

pub const MUNICIPALITIES: [Municipality; 26] = [
    Municipality { code: "0114", name: "Upplands Väsby" },
    Municipality { code: "0115", name: "Vallentuna" },
    Municipality { code: "0117", name: "Österåker" },
    Municipality { code: "0120", name: "Värmdö" },
    Municipality { code: "0123", name: "Järfälla" },
    Municipality { code: "0125", name: "Ekerö" },
    Municipality { code: "0126", name: "Huddinge" },
    Municipality { code: "0127", name: "Botkyrka" },
    Municipality { code: "0128", name: "Salem" },
    Municipality { code: "0136", name: "Haninge" },
    Municipality { code: "0138", name: "Tyresö" },
    Municipality { code: "0139", name: "Upplands-Bro" },
    Municipality { code: "0140", name: "Nykvarn" },
    Municipality { code: "0160", name: "Täby" },
    Municipality { code: "0162", name: "Danderyd" },
    Municipality { code: "0163", name: "Sollentuna" },
    Municipality { code: "0180", name: "Stockholm" },
    Municipality { code: "0181", name: "Södertälje" },
    Municipality { code: "0182", name: "Nacka" },
    Municipality { code: "0183", name: "Sundbyberg" },
    Municipality { code: "0184", name: "Solna" },
    Municipality { code: "0186", name: "Lidingö" },
    Municipality { code: "0187", name: "Vaxholm" },
    Municipality { code: "0188", name: "Norrtälje" },
    Municipality { code: "0191", name: "Sigtuna" },
    Municipality { code: "0192", name: "Nynäshamn" },
];

impl MunicipalityCode {
    pub fn parse(input: &str) -> Option<Self> {
        // The table is in code order (a test says so): this runs for every episode row.
        let code = super::text::trimmed(input);
        MUNICIPALITIES.binary_search_by(|m| m.code.cmp(code)).ok().map(|i| MunicipalityCode(MUNICIPALITIES[i].code))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    pub fn name(&self) -> &'static str {
        MUNICIPALITIES.iter().find(|m| m.code == self.0).map(|m| m.name).expect("a MunicipalityCode is only built from the table")
    }

    pub fn is_stockholm(&self) -> bool {
        self.0 == STOCKHOLM
    }

    /// The organisation id the registry migration gives this municipality.
    pub fn organisation_id(&self) -> String {
        format!("kommun-{}", self.0)
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The days an organisation exists, both ends inclusive; None is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Validity {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Validity {
    pub fn contains(self, day: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= day) && self.to.is_none_or(|to| day <= to)
    }

    /// Whether it existed on some day from `first` to `last`.
    pub fn overlaps(self, first: NaiveDate, last: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= last) && self.to.is_none_or(|to| first <= to)
    }

    /// "från 2020-07-01", "till och med 2023-06-30"; None when it always existed.
    pub fn text(self) -> Option<String> {
        match (self.from, self.to) {
            (None, None) => None,
            (Some(from), None) => Some(format!("från {from}")),
            (None, Some(to)) => Some(format!("till och med {to}")),
            (Some(from), Some(to)) => Some(format!("{from} – {to}")),
        }
    }
}

/// What an organisation of the registry is (`organisations.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrganisationKind {
    Region,
    /// HSF, the region's administration for health care.
    Administration,
    CareProvider,
    InpatientUnit,
    OutpatientUnit,
    Municipality,
    /// A stadsdelsområde of Stockholm.
    District,
    MunicipalUnit,
    /// A kommunalförbund.
    Federation,
    /// Storsthlm, the municipalities' association.
    Association,
    SteeringGroup,
    /// The political group (VIS).
    Vis,
}

use OrganisationKind as Kind;

pub const ALL_ORGANISATION_KINDS: [OrganisationKind; 12] = [
    Kind::Region,
    Kind::Administration,
    Kind::CareProvider,
    Kind::InpatientUnit,
    Kind::OutpatientUnit,
    Kind::Municipality,
    Kind::District,
    Kind::MunicipalUnit,
    Kind::Federation,
    Kind::Association,
    Kind::SteeringGroup,
    Kind::Vis,
];

/// The kinds an administrator may add and edit; the rest come with the registry.
pub const EDITABLE_KINDS: [OrganisationKind; 4] = [Kind::CareProvider, Kind::InpatientUnit, Kind::OutpatientUnit, Kind::MunicipalUnit];

impl OrganisationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Region => "region",
            Kind::Administration => "administration",
            Kind::CareProvider => "care_provider",
            Kind::InpatientUnit => "inpatient_unit",
            Kind::OutpatientUnit => "outpatient_unit",
            Kind::Municipality => "municipality",
            Kind::District => "district",
            Kind::MunicipalUnit => "municipal_unit",
            Kind::Federation => "federation",
            Kind::Association => "association",
            Kind::SteeringGroup => "steering_group",
            Kind::Vis => "vis",
        }
    }

    pub fn parse(s: &str) -> Option<OrganisationKind> {
        ALL_ORGANISATION_KINDS.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Region => "Region",
            Kind::Administration => "Förvaltning",
            Kind::CareProvider => "Vårdgivare",
            Kind::InpatientUnit => "Slutenvårdsenhet",
            Kind::OutpatientUnit => "Öppenvårdsenhet",
            Kind::Municipality => "Kommun",
            Kind::District => "Stadsdelsområde",
            Kind::MunicipalUnit => "Kommunal enhet",
            Kind::Federation => "Kommunalförbund",
            Kind::Association => "Kommunförbund",
            Kind::SteeringGroup => "Styrgrupp",
            Kind::Vis => "Politisk samverkansgrupp",
        }
    }

    pub fn is_editable(self) -> bool {
        EDITABLE_KINDS.contains(&self)
    }

    /// The region's side of the agreement: the region, HSF, care providers and their units.
    pub fn on_region_side(self) -> bool {
        matches!(self, Kind::Region | Kind::Administration | Kind::CareProvider | Kind::InpatientUnit | Kind::OutpatientUnit)
    }

    /// The municipalities' side: municipalities, districts, their units, federations, Storsthlm.
    pub fn on_municipal_side(self) -> bool {
        matches!(self, Kind::Municipality | Kind::District | Kind::MunicipalUnit | Kind::Federation | Kind::Association)
    }

    /// Whether it can be a party to a case: everything but the steering group and VIS, which
    /// decide cases.
    pub fn can_be_party(self) -> bool {
        !matches!(self, Kind::SteeringGroup | Kind::Vis)
    }
}

/// Whether an organisation can be the billing unit of a payment dispute about `month`
/// (domain.md §4.1): a municipality other than Stockholm as a whole, or a Stockholm district
/// that existed in that month. Without a month, a district that exists at some time.
pub fn may_be_billing_unit(
    kind: OrganisationKind,
    municipality_code: Option<&str>,
    validity: Validity,
    month: Option<crate::domain::payment::Month>,
) -> bool {
    match kind {
        Kind::Municipality => municipality_code != Some(STOCKHOLM),
        Kind::District => month.is_none_or(|m| validity.overlaps(m.first_day(), m.last_day())),
        _ => false,
    }
}

/// A stadsdelsområde of Stockholm with the days it exists (both ends inclusive).
#[derive(Debug, PartialEq, Eq)]
pub struct District {
    pub id: &'static str,
    pub name: &'static str,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl District {
    pub fn is_valid_on(&self, day: NaiveDate) -> bool {
        Validity { from: self.valid_from, to: self.valid_to }.contains(day)
    }
}

const fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

const fn always(id: &'static str, name: &'static str) -> District {
    District { id, name, valid_from: None, valid_to: None }
}

pub const DISTRICTS: [District; 17] = [
    always("sdo-bromma", "Bromma"),
    always("sdo-enskede-arsta-vantor", "Enskede-Årsta-Vantör"),
    always("sdo-farsta", "Farsta"),
    always("sdo-hasselby-vallingby", "Hässelby-Vällingby"),
    always("sdo-kungsholmen", "Kungsholmen"),
    always("sdo-skarpnack", "Skarpnäck"),
    always("sdo-skarholmen", "Skärholmen"),
    always("sdo-sodermalm", "Södermalm"),
    District { id: "sdo-rinkeby-kista", name: "Rinkeby-Kista", valid_from: None, valid_to: date(2023, 6, 30) },
    District { id: "sdo-spanga-tensta", name: "Spånga-Tensta", valid_from: None, valid_to: date(2023, 6, 30) },
    District { id: "sdo-norrmalm", name: "Norrmalm", valid_from: None, valid_to: date(2023, 6, 30) },
    District { id: "sdo-ostermalm", name: "Östermalm", valid_from: None, valid_to: date(2023, 6, 30) },
    District { id: "sdo-hagersten-liljeholmen", name: "Hägersten-Liljeholmen", valid_from: None, valid_to: date(2020, 6, 30) },
    District { id: "sdo-alvsjo", name: "Älvsjö", valid_from: None, valid_to: date(2020, 6, 30) },
    District { id: "sdo-hagersten-alvsjo", name: "Hägersten-Älvsjö", valid_from: date(2020, 7, 1), valid_to: None },
    District { id: "sdo-jarva", name: "Järva", valid_from: date(2023, 7, 1), valid_to: None },
    District { id: "sdo-norra-innerstaden", name: "Norra innerstaden", valid_from: date(2023, 7, 1), valid_to: None },
];

/// The districts that exist on `day`, in the order of the table.
pub fn districts_on(day: NaiveDate) -> impl Iterator<Item = &'static District> {
    DISTRICTS.iter().filter(move |d| d.is_valid_on(day))
}

/// Looks a district up by its exact name as written in §1, provided it exists on `day`.
pub fn district_on(name: &str, day: NaiveDate) -> Result<&'static District, DistrictError> {
    let district = DISTRICTS.iter().find(|d| d.name == name).ok_or(DistrictError::Unknown)?;
    if district.is_valid_on(day) {
        Ok(district)
    } else {
        Err(DistrictError::NotValidOn(day))
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum DistrictError {
    Unknown,
    NotValidOn(NaiveDate),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_kinds_read_back_what_they_store_and_split_into_the_two_sides() {
        for kind in ALL_ORGANISATION_KINDS {
            assert_eq!(OrganisationKind::parse(kind.as_str()), Some(kind));
            // Every party is on exactly one side; the deciding bodies on none.
            assert_eq!(kind.can_be_party(), kind.on_region_side() ^ kind.on_municipal_side(), "{kind:?}");
        }
        assert_eq!(OrganisationKind::parse("Municipality"), None);
        assert!(EDITABLE_KINDS.iter().all(|k| k.can_be_party()));
    }

    #[test]
    fn municipalities_are_in_code_order_for_the_binary_search() {
        assert!(MUNICIPALITIES.windows(2).all(|w| w[0].code < w[1].code));
        assert!(MUNICIPALITIES.iter().all(|m| MunicipalityCode::parse(m.code).map(|c| c.as_str()) == Some(m.code)));
        assert_eq!(MunicipalityCode::parse(" 0127 ").map(|c| c.as_str()), Some("0127"));
        assert!(MunicipalityCode::parse("0100").is_none());
    }

    #[test]
    fn stockholm_as_a_whole_never_bills_and_districts_bill_only_while_they_exist() {
        let month = |y, m| Some(crate::domain::payment::Month { year: y, month: m });
        let always = Validity::default();
        assert!(!may_be_billing_unit(OrganisationKind::Municipality, Some(STOCKHOLM), always, month(2026, 9)));
        assert!(may_be_billing_unit(OrganisationKind::Municipality, Some("0127"), always, month(2026, 9)));
        let alvsjo = Validity { from: None, to: NaiveDate::from_ymd_opt(2020, 6, 30) };
        assert!(may_be_billing_unit(OrganisationKind::District, Some(STOCKHOLM), alvsjo, month(2020, 6)));
        assert!(!may_be_billing_unit(OrganisationKind::District, Some(STOCKHOLM), alvsjo, month(2020, 7)));
        let jarva = Validity { from: NaiveDate::from_ymd_opt(2023, 7, 1), to: None };
        assert!(!may_be_billing_unit(OrganisationKind::District, Some(STOCKHOLM), jarva, month(2023, 6)));
        assert!(may_be_billing_unit(OrganisationKind::District, Some(STOCKHOLM), jarva, month(2023, 7)));
        assert!(!may_be_billing_unit(OrganisationKind::CareProvider, None, always, month(2026, 9)));
        assert_eq!(alvsjo.text().as_deref(), Some("till och med 2020-06-30"));
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn there_are_26_municipalities_with_unique_codes() {
        let mut codes: Vec<_> = MUNICIPALITIES.iter().map(|m| m.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 26);
    }

    #[test]
    fn municipality_codes_parse_only_from_the_table() {
        assert_eq!(MunicipalityCode::parse("0127").unwrap().name(), "Botkyrka");
        assert!(MunicipalityCode::parse("0180").unwrap().is_stockholm());
        assert!(MunicipalityCode::parse("0999").is_none());
        assert!(MunicipalityCode::parse("127").is_none());
        assert!(MunicipalityCode::parse("").is_none());
    }

    #[test]
    fn fourteen_districts_until_midsummer_2020() {
        assert_eq!(districts_on(day(2020, 6, 30)).count(), 14);
        assert!(districts_on(day(2020, 6, 30)).any(|d| d.name == "Älvsjö"));
        assert!(!districts_on(day(2020, 6, 30)).any(|d| d.name == "Hägersten-Älvsjö"));
    }

    #[test]
    fn thirteen_districts_from_july_2020() {
        let names: Vec<_> = districts_on(day(2020, 7, 1)).map(|d| d.name).collect();
        assert_eq!(names.len(), 13);
        assert!(names.contains(&"Hägersten-Älvsjö"));
        assert!(!names.contains(&"Hägersten-Liljeholmen"));
        assert_eq!(districts_on(day(2023, 6, 30)).count(), 13);
    }

    #[test]
    fn eleven_districts_from_july_2023() {
        let names: Vec<_> = districts_on(day(2023, 7, 1)).map(|d| d.name).collect();
        assert_eq!(names.len(), 11);
        for merged in ["Järva", "Norra innerstaden", "Hägersten-Älvsjö"] {
            assert!(names.contains(&merged), "{merged}");
        }
        for gone in ["Rinkeby-Kista", "Spånga-Tensta", "Norrmalm", "Östermalm"] {
            assert!(!names.contains(&gone), "{gone}");
        }
    }

    #[test]
    fn district_lookup_checks_validity_on_the_day() {
        assert!(district_on("Älvsjö", day(2020, 6, 30)).is_ok());
        assert_eq!(district_on("Älvsjö", day(2020, 7, 1)).unwrap_err(), DistrictError::NotValidOn(day(2020, 7, 1)));
        assert_eq!(district_on("Järva", day(2023, 6, 30)).unwrap_err(), DistrictError::NotValidOn(day(2023, 6, 30)));
        assert!(district_on("Järva", day(2023, 7, 1)).is_ok());
        assert_eq!(district_on("Gamla stan", day(2023, 7, 1)).unwrap_err(), DistrictError::Unknown);
    }
}
