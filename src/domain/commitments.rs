//! The commitment catalogue of domain.md §2: what a deviation can be filed against.
//! The ids are stable (stored on cases); the migrations seed the same rows and a test
//! checks that they agree.

use crate::domain::registry::OrganisationKind;

pub struct Commitment {
    pub id: &'static str,
    pub area: Area,
    /// The agreement's own reference (chapter, appendix or the law).
    pub reference: &'static str,
    /// Who holds the commitment.
    pub responsible: Responsible,
    pub title: &'static str,
    /// The agreement's own words (the OCR of the seeds, cleaned).
    pub wording: &'static str,
}

/// Who holds a commitment (domain.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Responsible {
    Region,
    Municipalities,
    EachParty,
    /// The region together with the municipalities through Storsthlm.
    Jointly,
}

impl Responsible {
    pub fn as_str(self) -> &'static str {
        match self {
            Responsible::Region => "region",
            Responsible::Municipalities => "municipalities",
            Responsible::EachParty => "each_party",
            Responsible::Jointly => "jointly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Responsible::Region => "regionen",
            Responsible::Municipalities => "kommunerna",
            Responsible::EachParty => "varje part",
            Responsible::Jointly => "regionen och kommunerna gemensamt genom Storsthlm",
        }
    }

    /// Whether an organisation of this kind (`organisations.kind`) holds the commitment, so
    /// that a deviation can fairly be filed against it.
    pub fn held_by(self, organisation: OrganisationKind) -> bool {
        match self {
            Responsible::Region => organisation.on_region_side(),
            Responsible::Municipalities => organisation.on_municipal_side(),
            Responsible::EachParty | Responsible::Jointly => organisation.on_region_side() || organisation.on_municipal_side(),
        }
    }
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
    Guidelines,
    Development,
    Subcontractors,
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
            Area::Guidelines => "guidelines",
            Area::Development => "development",
            Area::Subcontractors => "subcontractors",
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
            Area::Guidelines => "Länsgemensamma riktlinjer och rutiner",
            Area::Development => "Länsgemensamt utvecklingsarbete",
            Area::Subcontractors => "Underleverantörer",
        }
    }
}

const fn c(
    id: &'static str,
    area: Area,
    reference: &'static str,
    responsible: Responsible,
    title: &'static str,
    wording: &'static str,
) -> Commitment {
    Commitment { id, area, reference, responsible, title, wording }
}

pub const CATALOGUE: [Commitment; 31] = [
    c("process.admission-notice", Area::Process, "kap. 4, 12.2; LUS", Responsible::Region,
      "Slutenvården skickar inskrivningsmeddelande i tid",
      "Slutenvården ska skicka inskrivningsmeddelande till berörda enheter inom kommunen och den regionfinansierade öppenvården."),
    c("process.ready-notice", Area::Process, "kap. 4, 12.2; LUS", Responsible::Region,
      "Behandlande läkare meddelar att patienten är utskrivningsklar före kl. 12.00",
      "Behandlande läkare meddelar att patienten är utskrivningsklar, senast kl. 12.00."),
    c("process.outpatient-contact", Area::Process, "kap. 4, 12.2; LUS", Responsible::Region,
      "Öppenvården utser en fast vårdkontakt",
      "Den regionfinansierade öppenvården utser en fast vårdkontakt för patienten."),
    c("process.sip-called", Area::Process, "kap. 4, 12.2; LUS", Responsible::Region,
      "Fast vårdkontakt kallar till SIP senast tre dagar efter meddelandet om utskrivningsklar",
      "Den fasta vårdkontakten kallar till SIP senast tre dagar efter att meddelande om utskrivningsklar har skickats."),
    c("process.care-plan", Area::Process, "kap. 4, 12.2; LUS", Responsible::Region,
      "Samordnad vårdplan upprättas före övergång till öppen psykiatrisk tvångsvård (LPT/LRV)",
      "En samordnad vårdplan upprättas innan patienten övergår från sluten till öppen psykiatrisk tvångsvård (LPT/LRV)."),
    c("process.municipal-planning", Area::Process, "LUS; överenskommelsen 2018 (remissen Samverkan vid utskrivning)", Responsible::Municipalities,
      "Kommunen kontaktar den enskilde efter inskrivningsmeddelandet och planerar insatser så att hen kan lämna sjukhuset när hen är utskrivningsklar",
      "Kommunen kontaktar den enskilde efter inskrivningsmeddelandet och planerar sina insatser så att den enskilde kan lämna sjukhuset när hen är utskrivningsklar."),
    c("availability.staffing", Area::Availability, "kap. 5", Responsible::EachParty,
      "Parterna bemannar sina verksamheter så att målen kan nås, även vid utskrivning under helger",
      "Parterna ska bemanna sina verksamheter så att överenskommelsens mål kan nås, även vid utskrivning under helger."),
    c("availability.information", Area::Availability, "kap. 5", Responsible::EachParty,
      "Parterna informerar varandra om hur tillgängligheten säkras",
      "Parterna ska hålla varandra informerade om hur tillgängligheten utvecklas i de berörda verksamheterna vad gäller öppettider och kontaktvägar."),
    c("local-cooperation.forms", Area::LocalCooperation, "kap. 6, bilaga 1", Responsible::EachParty,
      "Lokala samverkansformer finns",
      "Respektive part ska säkerställa att berörda verksamheter samverkar lokalt kring utskrivningsprocessen."),
    c("local-cooperation.complex-cases", Area::LocalCooperation, "kap. 6, bilaga 1", Responsible::EachParty,
      "Rutiner för komplexa ärenden finns",
      "Parterna ska ha samverkansformer på lokal nivå för att hantera komplexa frågeställningar och ärenden."),
    c("terminology.common", Area::Terminology, "bilaga 1", Responsible::EachParty,
      "Överenskommelsens terminologi används",
      "Parterna ska använda den terminologi som används i överenskommelsen."),
    c("it-support.system", Area::ItSupport, "kap. 9, bilaga 1", Responsible::Region,
      "Regionen tillhandahåller ett fungerande IT-stöd för somatisk och psykiatrisk utskrivning",
      "Region Stockholm ska tillhandahålla ett väl fungerande informationssystem/IT-stöd som är anpassat för utskrivningsprocessen från somatisk och psykiatrisk slutenvård."),
    c("it-support.secure-communication", Area::ItSupport, "kap. 9, bilaga 1", Responsible::Jointly,
      "Säker digital kommunikation, även video",
      "Region Stockholm ska tillsammans med kommunerna, genom Storsthlm, utveckla en lösning för säker digital kommunikation inklusive videokommunikation."),
    c("it-support.contact-details", Area::ItSupport, "kap. 9, bilaga 1", Responsible::EachParty,
      "Tillförlitliga kontaktuppgifter",
      "Parterna ska samarbeta för att säkerställa att tillförlitliga kontaktuppgifter till berörda verksamheter finns digitalt."),
    c("statistics.monthly", Area::Statistics, "kap. 13, bilaga 1", Responsible::Region,
      "Regionen levererar månadsstatistik per kommun och stadsdelsområde",
      "Region Stockholm ska tillhandahålla månatlig statistik per kommun, och för Stockholms stad även stadsdelar, över utskrivningsklara dagar samt dagar med betalningsansvar."),
    c("invoicing.routines", Area::Invoicing, "12.5, bilaga 1", Responsible::EachParty,
      "Gemensamma faktureringsrutiner följs",
      "Parterna följer gemensamma faktureringsrutiner."),
    c("invoicing.review-basis", Area::Invoicing, "12.5, bilaga 1", Responsible::Region,
      "Granskningsunderlaget visar varför betalningsansvar uppstått",
      "Granskningsunderlaget visar varför betalningsansvar har uppstått."),
    c("follow-up.data", Area::FollowUp, "kap. 13", Responsible::EachParty,
      "Parterna levererar uppgifter för länsgemensam uppföljning i tid",
      "Parterna levererar de uppgifter som behövs för den länsgemensamma uppföljningen i tid."),
    c("guidelines.follow", Area::Guidelines, "kap. 14, bilaga 1", Responsible::EachParty,
      "Parterna implementerar och följer de gemensamma riktlinjerna och rutinerna för utskrivningsprocessen (somatik, psykiatri, beroende, barn och unga)",
      "Parterna åtar sig att implementera och följa gemensamma riktlinjer och rutiner för utskrivningsprocessen."),
    c("terminology.patient-focus", Area::Terminology, "bilaga 1", Responsible::EachParty,
      "Varje verksamhet arbetar så att överenskommelsens mål kan nås, med patienten i fokus",
      "Parterna har en gemensam värdegrund som innebär att respektive verksamhet alltid arbetar så att överenskommelsens gemensamma mål kan uppnås och att utskrivningsprocessen är trygg och säker och sker med patienten i fokus."),
    c("process.sip-held", Area::Process, "kap. 4; LUS", Responsible::Region,
      "SIP erbjuds och den fasta vårdkontakten ser till att den hålls",
      "Den fasta vårdkontakten ska kalla till SIP och säkerställa att den genomförs."),
    c("development.cooperation-model", Area::Development, "kap. 10, bilaga 1", Responsible::Jointly,
      "En samverkansmodell för gemensamt länsövergripande utvecklingsarbete finns och används",
      "Parterna ska arbeta utifrån en samverkansmodell för gemensamt länsövergripande utvecklingsarbete på alla nivåer. Denna modell ska arbetas fram av Region Stockholm och kommunerna genom Storsthlm."),
    c("development.follow-up-plan", Area::Development, "bilaga 1", Responsible::Jointly,
      "Uppföljningen sker enligt en gemensam årlig uppföljningsplan som revideras senast i december",
      "Uppföljning ska ske utifrån en gemensam årlig uppföljningsplan. Denna ska revideras senast december varje år."),
    c("development.steering-follow-up", Area::Development, "bilaga 1", Responsible::Jointly,
      "Styrgruppen följer upp avsteg från samverkan och rapporterar till VIS",
      "Avsteg från samverkan ska följas upp av styrgruppen och rapporteras till VIS."),
    c("it-support.digitalisation", Area::ItSupport, "bilaga 1", Responsible::Jointly,
      "Uppdraget Förstärkt samverkan kring digitalisering fullföljs",
      "Region Stockholm och kommunerna ska, genom Storsthlm, fullfölja uppdraget Förstärkt samverkan kring digitalisering i Stockholms län."),
    c("it-support.sip-solution", Area::ItSupport, "bilaga 1", Responsible::Region,
      "Lösningen för SIP i utskrivningsprocessen är enhetlig med andra områden där SIP används",
      "Lösningen för SIP i utskrivningsprocessen ska om möjligt vara enhetlig med övriga områden där SIP tillämpas."),
    c("local-cooperation.weekend-resources", Area::LocalCooperation, "bilaga 1", Responsible::EachParty,
      "Resurser och kontaktvägar på lokal nivå gör utskrivning under helger möjlig",
      "Parterna åtar sig att tillhandahålla resurser på lokal nivå som säkerställer att verksamheterna kan leva upp till överenskommelsen. Detta ska omfatta kontaktvägar som möjliggör utskrivning på helgerna."),
    c("statistics.model", Area::Statistics, "kap. 13, bilaga 1", Responsible::Jointly,
      "En gemensam statistikmodell tas fram av regionen i samråd med kommunerna genom Storsthlm",
      "Region Stockholm ska ta fram en gemensam modell för samlad statistik för utskrivningsprocessen i samråd med kommunerna genom Storsthlm."),
    c("statistics.readmissions", Area::Statistics, "kap. 13, bilaga 1", Responsible::Region,
      "Regionen levererar månadsstatistik över oplanerade återinskrivningar inom sju dagar för personer 65 år och äldre",
      "Region Stockholm ska tillhandahålla månatlig statistik över andelen oplanerade återinskrivningar inom sju dagar för personer 65 år och äldre."),
    c("invoicing.rules-revised", Area::Invoicing, "12.5, bilaga 1", Responsible::Jointly,
      "Faktureringsreglerna tas fram i samråd och revideras",
      "Gemensamma faktureringsrutiner tas fram i samråd mellan parterna och revideras vid behov."),
    c("subcontractors.binding", Area::Subcontractors, "kap. 1", Responsible::EachParty,
      "En part som lämnar över uppgifter till någon annan gör överenskommelsen bindande även för denne",
      "Respektive part ska ansvara för att överenskommelsen är bindande för eventuella underleverantörer."),
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
            Area::Guidelines,
            Area::Development,
            Area::Subcontractors,
        ] {
            assert!(CATALOGUE.iter().any(|c| c.area == area), "{area:?}");
        }
    }

    #[test]
    fn the_guidelines_are_fileable_and_every_commitment_says_who_holds_it() {
        let guidelines = find("guidelines.follow").expect("11.1 covers deviations from the guidelines");
        assert_eq!(guidelines.responsible, Responsible::EachParty);
        assert!(guidelines.reference.contains("kap. 14"));
        for commitment in &CATALOGUE {
            assert!(!commitment.wording.is_empty(), "{}", commitment.id);
        }
    }

    #[test]
    fn a_municipality_does_not_hold_what_the_region_provides() {
        let it = find("it-support.system").unwrap();
        assert!(!it.responsible.held_by(OrganisationKind::Municipality));
        assert!(it.responsible.held_by(OrganisationKind::CareProvider));
        let contact = find("process.municipal-planning").unwrap();
        assert!(contact.responsible.held_by(OrganisationKind::District) && !contact.responsible.held_by(OrganisationKind::InpatientUnit));
        assert!(find("availability.staffing").unwrap().responsible.held_by(OrganisationKind::Municipality));
    }

    #[test]
    fn lookup_by_id() {
        assert_eq!(find("process.sip-called").unwrap().area, Area::Process);
        assert!(find("process.unknown").is_none());
    }
}
