//! The commitment catalogue of domain.md §2: what a deviation can be filed against.
//! The ids are stable (stored on cases); the migrations seed the same rows and a test
//! checks that they agree.

pub struct Commitment {
    pub id: &'static str,
    pub area: Area,
    /// The agreement's own reference (chapter, appendix or the law).
    pub reference: &'static str,
    pub title: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Process,
    Availability,
    LocalCooperation,
    Terminology,
    ItSupport,
    Statistics,
    Invoicing,
    FollowUp,
}

impl Area {
    pub fn id(self) -> &'static str {
        match self {
            Area::Process => "process",
            Area::Availability => "availability",
            Area::LocalCooperation => "local-cooperation",
            Area::Terminology => "terminology",
            Area::ItSupport => "it-support",
            Area::Statistics => "statistics",
            Area::Invoicing => "invoicing",
            Area::FollowUp => "follow-up",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Area::Process => "Utskrivningsprocessen",
            Area::Availability => "Tillgänglighet",
            Area::LocalCooperation => "Lokal samverkan",
            Area::Terminology => "Gemensam värdegrund och terminologi",
            Area::ItSupport => "IT-stöd",
            Area::Statistics => "Statistik",
            Area::Invoicing => "Faktureringsrutiner",
            Area::FollowUp => "Uppföljning",
        }
    }
}

const fn c(id: &'static str, area: Area, reference: &'static str, title: &'static str) -> Commitment {
    Commitment { id, area, reference, title }
}

pub const CATALOGUE: [Commitment; 18] = [
    c("process.admission-notice", Area::Process, "kap. 4, 12.2; LUS", "Slutenvården skickar inskrivningsmeddelande i tid"),
    c("process.ready-notice", Area::Process, "kap. 4, 12.2; LUS", "Behandlande läkare meddelar att patienten är utskrivningsklar före kl. 12.00"),
    c("process.outpatient-contact", Area::Process, "kap. 4, 12.2; LUS", "Öppenvården utser en fast vårdkontakt"),
    c("process.sip-called", Area::Process, "kap. 4, 12.2; LUS", "Fast vårdkontakt kallar till SIP senast tre dagar efter meddelandet om utskrivningsklar"),
    c("process.care-plan", Area::Process, "kap. 4, 12.2; LUS", "Samordnad vårdplan upprättas före övergång till öppen psykiatrisk tvångsvård (LPT/LRV)"),
    c("process.municipal-planning", Area::Process, "kap. 4; LUS", "Kommunen kontaktar den enskilde efter inskrivningsmeddelandet och planerar insatser så att hen kan lämna sjukhuset när hen är utskrivningsklar"),
    c("availability.staffing", Area::Availability, "kap. 5", "Parterna bemannar sina verksamheter så att målen kan nås, även vid utskrivning under helger"),
    c("availability.information", Area::Availability, "kap. 5", "Parterna informerar varandra om hur tillgängligheten säkras"),
    c("local-cooperation.forms", Area::LocalCooperation, "kap. 6, bilaga 1", "Lokala samverkansformer finns"),
    c("local-cooperation.complex-cases", Area::LocalCooperation, "kap. 6, bilaga 1", "Rutiner för komplexa ärenden finns"),
    c("terminology.common", Area::Terminology, "bilaga 1", "Överenskommelsens terminologi används"),
    c("it-support.system", Area::ItSupport, "kap. 9, bilaga 1", "Regionen tillhandahåller ett fungerande IT-stöd för somatisk och psykiatrisk utskrivning"),
    c("it-support.secure-communication", Area::ItSupport, "kap. 9, bilaga 1", "Säker digital kommunikation, även video"),
    c("it-support.contact-details", Area::ItSupport, "kap. 9, bilaga 1", "Tillförlitliga kontaktuppgifter"),
    c("statistics.monthly", Area::Statistics, "kap. 13, bilaga 1", "Regionen levererar månadsstatistik per kommun och stadsdelsområde"),
    c("invoicing.routines", Area::Invoicing, "12.5, bilaga 1", "Gemensamma faktureringsrutiner följs"),
    c("invoicing.review-basis", Area::Invoicing, "12.5, bilaga 1", "Granskningsunderlaget visar varför betalningsansvar uppstått"),
    c("follow-up.data", Area::FollowUp, "kap. 13", "Parterna levererar uppgifter för länsgemensam uppföljning i tid"),
];

pub fn find(id: &str) -> Option<&'static Commitment> {
    CATALOGUE.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_prefixed_by_their_area() {
        let mut ids: Vec<_> = CATALOGUE.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len());
        for commitment in &CATALOGUE {
            assert!(commitment.id.starts_with(&format!("{}.", commitment.area.id())), "{}", commitment.id);
        }
    }

    #[test]
    fn every_area_of_the_brief_has_a_commitment() {
        for area in [
            Area::Process,
            Area::Availability,
            Area::LocalCooperation,
            Area::Terminology,
            Area::ItSupport,
            Area::Statistics,
            Area::Invoicing,
            Area::FollowUp,
        ] {
            assert!(CATALOGUE.iter().any(|c| c.area == area), "{area:?}");
        }
    }

    #[test]
    fn lookup_by_id() {
        assert_eq!(find("process.sip-called").unwrap().area, Area::Process);
        assert!(find("process.unknown").is_none());
    }
}
