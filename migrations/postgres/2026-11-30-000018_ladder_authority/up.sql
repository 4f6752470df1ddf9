-- Who may act on a case (domain.md §3.1, §4.1): the director capacity an administrator grants,
-- a rejected proposal (which lets a party lift a case from the local level), and level 2's
-- two-step lift to the steering group (one reviewer organisation asks, the other confirms).
ALTER TABLE users ADD COLUMN director BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN proposal_rejected BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN escalation_requested_by TEXT;
-- A pending proposal is one with a list of acceptances (empty when Storsthlm and HSF proposed);
-- the separate flag said the same thing twice.
UPDATE cases SET proposal_accepted_by = NULL, proposal_by_party = NULL WHERE NOT has_proposal;
UPDATE cases SET proposal_accepted_by = '' WHERE has_proposal AND proposal_accepted_by IS NULL;
ALTER TABLE cases DROP COLUMN has_proposal;

-- The catalogue of §2: who holds each commitment and the agreement's own words; the ids stay.
ALTER TABLE commitments ADD COLUMN responsible TEXT NOT NULL DEFAULT 'each_party';
ALTER TABLE commitments ADD COLUMN wording TEXT NOT NULL DEFAULT '';
UPDATE commitments SET responsible = 'region', wording = 'Slutenvården ska skicka inskrivningsmeddelande till berörda enheter inom kommunen och den regionfinansierade öppenvården.' WHERE id = 'process.admission-notice';
UPDATE commitments SET responsible = 'region', wording = 'Behandlande läkare meddelar att patienten är utskrivningsklar, senast kl. 12.00.' WHERE id = 'process.ready-notice';
UPDATE commitments SET responsible = 'region', wording = 'Den regionfinansierade öppenvården utser en fast vårdkontakt för patienten.' WHERE id = 'process.outpatient-contact';
UPDATE commitments SET responsible = 'region', wording = 'Den fasta vårdkontakten kallar till SIP senast tre dagar efter att meddelande om utskrivningsklar har skickats.' WHERE id = 'process.sip-called';
UPDATE commitments SET responsible = 'region', wording = 'En samordnad vårdplan upprättas innan patienten övergår från sluten till öppen psykiatrisk tvångsvård (LPT/LRV).' WHERE id = 'process.care-plan';
UPDATE commitments SET responsible = 'municipalities', reference = 'LUS; överenskommelsen 2018 (remissen Samverkan vid utskrivning)', wording = 'Kommunen kontaktar den enskilde efter inskrivningsmeddelandet och planerar sina insatser så att den enskilde kan lämna sjukhuset när hen är utskrivningsklar.' WHERE id = 'process.municipal-planning';
UPDATE commitments SET responsible = 'each_party', wording = 'Parterna ska bemanna sina verksamheter så att överenskommelsens mål kan nås, även vid utskrivning under helger.' WHERE id = 'availability.staffing';
UPDATE commitments SET responsible = 'each_party', wording = 'Parterna ska hålla varandra informerade om hur tillgängligheten utvecklas i de berörda verksamheterna vad gäller öppettider och kontaktvägar.' WHERE id = 'availability.information';
UPDATE commitments SET responsible = 'each_party', wording = 'Respektive part ska säkerställa att berörda verksamheter samverkar lokalt kring utskrivningsprocessen.' WHERE id = 'local-cooperation.forms';
UPDATE commitments SET responsible = 'each_party', wording = 'Parterna ska ha samverkansformer på lokal nivå för att hantera komplexa frågeställningar och ärenden.' WHERE id = 'local-cooperation.complex-cases';
UPDATE commitments SET responsible = 'each_party', wording = 'Parterna ska använda den terminologi som används i överenskommelsen.' WHERE id = 'terminology.common';
UPDATE commitments SET responsible = 'region', wording = 'Region Stockholm ska tillhandahålla ett väl fungerande informationssystem/IT-stöd som är anpassat för utskrivningsprocessen från somatisk och psykiatrisk slutenvård.' WHERE id = 'it-support.system';
UPDATE commitments SET responsible = 'jointly', wording = 'Region Stockholm ska tillsammans med kommunerna, genom Storsthlm, utveckla en lösning för säker digital kommunikation inklusive videokommunikation.' WHERE id = 'it-support.secure-communication';
UPDATE commitments SET responsible = 'each_party', wording = 'Parterna ska samarbeta för att säkerställa att tillförlitliga kontaktuppgifter till berörda verksamheter finns digitalt.' WHERE id = 'it-support.contact-details';
UPDATE commitments SET responsible = 'region', wording = 'Region Stockholm ska tillhandahålla månatlig statistik per kommun, och för Stockholms stad även stadsdelar, över utskrivningsklara dagar samt dagar med betalningsansvar.' WHERE id = 'statistics.monthly';
UPDATE commitments SET responsible = 'each_party', wording = 'Parterna följer gemensamma faktureringsrutiner.' WHERE id = 'invoicing.routines';
UPDATE commitments SET responsible = 'region', wording = 'Granskningsunderlaget visar varför betalningsansvar har uppstått.' WHERE id = 'invoicing.review-basis';
UPDATE commitments SET responsible = 'each_party', wording = 'Parterna levererar de uppgifter som behövs för den länsgemensamma uppföljningen i tid.' WHERE id = 'follow-up.data';
INSERT INTO commitments (id, area, area_title, title, reference, sort_order, responsible, wording) VALUES
    ('guidelines.follow', 'guidelines', 'Länsgemensamma riktlinjer och rutiner', 'Parterna implementerar och följer de gemensamma riktlinjerna och rutinerna för utskrivningsprocessen (somatik, psykiatri, beroende, barn och unga)', 'kap. 14, bilaga 1', 19, 'each_party', 'Parterna åtar sig att implementera och följa gemensamma riktlinjer och rutiner för utskrivningsprocessen.'),
    ('terminology.patient-focus', 'terminology', 'Gemensam värdegrund och terminologi', 'Varje verksamhet arbetar så att överenskommelsens mål kan nås, med patienten i fokus', 'bilaga 1', 20, 'each_party', 'Parterna har en gemensam värdegrund som innebär att respektive verksamhet alltid arbetar så att överenskommelsens gemensamma mål kan uppnås och att utskrivningsprocessen är trygg och säker och sker med patienten i fokus.'),
    ('process.sip-held', 'process', 'Utskrivningsprocessen', 'SIP erbjuds och den fasta vårdkontakten ser till att den hålls', 'kap. 4; LUS', 21, 'region', 'Den fasta vårdkontakten ska kalla till SIP och säkerställa att den genomförs.'),
    ('development.cooperation-model', 'development', 'Länsgemensamt utvecklingsarbete', 'En samverkansmodell för gemensamt länsövergripande utvecklingsarbete finns och används', 'kap. 10, bilaga 1', 22, 'jointly', 'Parterna ska arbeta utifrån en samverkansmodell för gemensamt länsövergripande utvecklingsarbete på alla nivåer. Denna modell ska arbetas fram av Region Stockholm och kommunerna genom Storsthlm.'),
    ('development.follow-up-plan', 'development', 'Länsgemensamt utvecklingsarbete', 'Uppföljningen sker enligt en gemensam årlig uppföljningsplan som revideras senast i december', 'bilaga 1', 23, 'jointly', 'Uppföljning ska ske utifrån en gemensam årlig uppföljningsplan. Denna ska revideras senast december varje år.'),
    ('development.steering-follow-up', 'development', 'Länsgemensamt utvecklingsarbete', 'Styrgruppen följer upp avsteg från samverkan och rapporterar till VIS', 'bilaga 1', 24, 'jointly', 'Avsteg från samverkan ska följas upp av styrgruppen och rapporteras till VIS.'),
    ('it-support.digitalisation', 'it-support', 'IT-stöd', 'Uppdraget Förstärkt samverkan kring digitalisering fullföljs', 'bilaga 1', 25, 'jointly', 'Region Stockholm och kommunerna ska, genom Storsthlm, fullfölja uppdraget Förstärkt samverkan kring digitalisering i Stockholms län.'),
    ('it-support.sip-solution', 'it-support', 'IT-stöd', 'Lösningen för SIP i utskrivningsprocessen är enhetlig med andra områden där SIP används', 'bilaga 1', 26, 'region', 'Lösningen för SIP i utskrivningsprocessen ska om möjligt vara enhetlig med övriga områden där SIP tillämpas.'),
    ('local-cooperation.weekend-resources', 'local-cooperation', 'Lokal samverkan', 'Resurser och kontaktvägar på lokal nivå gör utskrivning under helger möjlig', 'bilaga 1', 27, 'each_party', 'Parterna åtar sig att tillhandahålla resurser på lokal nivå som säkerställer att verksamheterna kan leva upp till överenskommelsen. Detta ska omfatta kontaktvägar som möjliggör utskrivning på helgerna.'),
    ('statistics.model', 'statistics', 'Statistik', 'En gemensam statistikmodell tas fram av regionen i samråd med kommunerna genom Storsthlm', 'kap. 13, bilaga 1', 28, 'jointly', 'Region Stockholm ska ta fram en gemensam modell för samlad statistik för utskrivningsprocessen i samråd med kommunerna genom Storsthlm.'),
    ('statistics.readmissions', 'statistics', 'Statistik', 'Regionen levererar månadsstatistik över oplanerade återinskrivningar inom sju dagar för personer 65 år och äldre', 'kap. 13, bilaga 1', 29, 'region', 'Region Stockholm ska tillhandahålla månatlig statistik över andelen oplanerade återinskrivningar inom sju dagar för personer 65 år och äldre.'),
    ('invoicing.rules-revised', 'invoicing', 'Faktureringsrutiner', 'Faktureringsreglerna tas fram i samråd och revideras', '12.5, bilaga 1', 30, 'jointly', 'Gemensamma faktureringsrutiner tas fram i samråd mellan parterna och revideras vid behov.'),
    ('subcontractors.binding', 'subcontractors', 'Underleverantörer', 'En part som lämnar över uppgifter till någon annan gör överenskommelsen bindande även för denne', 'kap. 1', 31, 'each_party', 'Respektive part ska ansvara för att överenskommelsen är bindande för eventuella underleverantörer.');

-- Official names (§1): the genitive where Swedish takes it, and the four that are 'stad'.
UPDATE organisations SET name = 'Österåkers kommun' WHERE id = 'kommun-0117';
UPDATE organisations SET name = 'Salems kommun' WHERE id = 'kommun-0128';
UPDATE organisations SET name = 'Nykvarns kommun' WHERE id = 'kommun-0140';
UPDATE organisations SET name = 'Danderyds kommun' WHERE id = 'kommun-0162';
UPDATE organisations SET name = 'Sundbybergs stad' WHERE id = 'kommun-0183';
UPDATE organisations SET name = 'Solna stad' WHERE id = 'kommun-0184';
UPDATE organisations SET name = 'Lidingö stad' WHERE id = 'kommun-0186';
UPDATE organisations SET name = 'Vaxholms stad' WHERE id = 'kommun-0187';
UPDATE organisations SET name = 'Nynäshamns kommun' WHERE id = 'kommun-0192';

-- The county-wide register of VIS interpretations (§3.1, level 4).
CREATE TABLE interpretations (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    case_id TEXT NOT NULL REFERENCES cases (id),
    decision_id TEXT NOT NULL UNIQUE REFERENCES case_decisions (id),
    decided_on DATE NOT NULL,
    protocol TEXT NOT NULL,
    question TEXT NOT NULL,
    interpretation TEXT NOT NULL,
    corrects_id TEXT REFERENCES interpretations (id),
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE interpretation_commitments (
    interpretation_id TEXT NOT NULL REFERENCES interpretations (id),
    commitment_id TEXT NOT NULL REFERENCES commitments (id),
    PRIMARY KEY (interpretation_id, commitment_id)
);
CREATE INDEX interpretation_commitments_by_commitment ON interpretation_commitments (commitment_id);
