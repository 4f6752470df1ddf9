//! The two escalation ladders of the agreement as a pure state machine (domain.md §3, §4):
//! levels, who may do what at each level, and what every action does to a case.
//!
//! Deviations and interpretation questions (11.1): local → Storsthlm/HSF → styrgruppen → VIS.
//! Payment disputes (11.2): nearest managers → director level → general court.

use super::access::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseKind {
    /// *Avsteg* from a commitment in the agreement or its guidelines.
    Deviation,
    /// How the agreement or its guidelines are to be read; VIS has the last word.
    Interpretation,
    /// Payment responsibility or amounts.
    PaymentDispute,
}

pub const ALL_KINDS: [CaseKind; 3] = [CaseKind::Deviation, CaseKind::Interpretation, CaseKind::PaymentDispute];

impl CaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Deviation => "deviation",
            CaseKind::Interpretation => "interpretation",
            CaseKind::PaymentDispute => "payment_dispute",
        }
    }

    pub fn parse(s: &str) -> Option<CaseKind> {
        ALL_KINDS.into_iter().find(|k| k.as_str() == s)
    }

    /// The prefix of human case numbers: `AV-2026-0001`.
    pub fn prefix(self) -> &'static str {
        match self {
            CaseKind::Deviation => "AV",
            CaseKind::Interpretation => "TF",
            CaseKind::PaymentDispute => "BT",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseKind::Deviation => "Avvikelse",
            CaseKind::Interpretation => "Tolkningsfråga",
            CaseKind::PaymentDispute => "Betalningstvist",
        }
    }

    pub fn ladder(self) -> &'static [Level] {
        match self {
            CaseKind::Deviation | CaseKind::Interpretation => &[Level::Local, Level::Review, Level::Steering, Level::Vis],
            CaseKind::PaymentDispute => &[Level::NearestManagers, Level::Directors, Level::Court],
        }
    }

    /// Where a new case starts: a principled deviation or question, one that can be assumed
    /// to affect other parties, skips the local level.
    pub fn first_level(self, principled: bool) -> Level {
        match self {
            CaseKind::PaymentDispute => Level::NearestManagers,
            _ if principled => Level::Review,
            _ => Level::Local,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Local,
    Review,
    Steering,
    Vis,
    NearestManagers,
    Directors,
    Court,
}

pub const ALL_LEVELS: [Level; 7] = [Level::Local, Level::Review, Level::Steering, Level::Vis, Level::NearestManagers, Level::Directors, Level::Court];

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Local => "local",
            Level::Review => "review",
            Level::Steering => "steering",
            Level::Vis => "vis",
            Level::NearestManagers => "nearest_managers",
            Level::Directors => "directors",
            Level::Court => "court",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        ALL_LEVELS.into_iter().find(|l| l.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Local => "Lokal nivå",
            Level::Review => "Storsthlm och HSF",
            Level::Steering => "Styrgruppen",
            Level::Vis => "VIS",
            Level::NearestManagers => "Närmaste chefer",
            Level::Directors => "Direktörsnivå",
            Level::Court => "Allmän domstol",
        }
    }

    /// The name of this level's field in forms that set something per level.
    pub fn field_name(self) -> &'static str {
        match self {
            Level::Local => "days_local",
            Level::Review => "days_review",
            Level::Steering => "days_steering",
            Level::Vis => "days_vis",
            Level::NearestManagers => "days_nearest_managers",
            Level::Directors => "days_directors",
            Level::Court => "days_court",
        }
    }

    /// 1-based step on its ladder.
    pub fn step(self) -> usize {
        match self {
            Level::Local | Level::NearestManagers => 1,
            Level::Review | Level::Directors => 2,
            Level::Steering | Level::Court => 3,
            Level::Vis => 4,
        }
    }

    /// The level above on the same ladder.
    pub fn next(self) -> Option<Level> {
        match self {
            Level::Local => Some(Level::Review),
            Level::Review => Some(Level::Steering),
            Level::Steering => Some(Level::Vis),
            Level::NearestManagers => Some(Level::Directors),
            Level::Directors => Some(Level::Court),
            Level::Vis | Level::Court => None,
        }
    }

    /// Who handles the case at this level.
    pub fn authority(self) -> Authority {
        match self {
            Level::Local | Level::NearestManagers | Level::Directors => Authority::Parties,
            Level::Review => Authority::Reviewers,
            Level::Steering => Authority::SteeringGroup,
            Level::Vis => Authority::Secretariat,
            Level::Court => Authority::Court,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    Parties,
    Reviewers,
    SteeringGroup,
    Secretariat,
    /// The court decides; the parties (or HSF) record its judgment.
    Court,
}

pub const ALL_STATUSES: [Status; 3] = [Status::Open, Status::AwaitingJudgment, Status::Closed];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    /// A payment dispute referred to a general court, awaiting the judgment.
    AwaitingJudgment,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::AwaitingJudgment => "awaiting_judgment",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        ALL_STATUSES.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Pågår",
            Status::AwaitingJudgment => "Hänskjuten till allmän domstol",
            Status::Closed => "Avslutat",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Filer,
    Counterpart,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Filer => "filer",
            Side::Counterpart => "counterpart",
        }
    }

    pub fn parse(s: &str) -> Option<Side> {
        [Side::Filer, Side::Counterpart].into_iter().find(|x| x.as_str() == s)
    }
}

pub const ALL_WAITING: [WaitingFor; 7] = [
    WaitingFor::Counterpart,
    WaitingFor::Filer,
    WaitingFor::Reviewers,
    WaitingFor::SteeringGroup,
    WaitingFor::Vis,
    WaitingFor::Court,
    WaitingFor::Nobody,
];

/// Whose move it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitingFor {
    Counterpart,
    Filer,
    Reviewers,
    SteeringGroup,
    Vis,
    Court,
    Nobody,
}

impl WaitingFor {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitingFor::Counterpart => "counterpart",
            WaitingFor::Filer => "filer",
            WaitingFor::Reviewers => "reviewers",
            WaitingFor::SteeringGroup => "steering",
            WaitingFor::Vis => "vis",
            WaitingFor::Court => "court",
            WaitingFor::Nobody => "nobody",
        }
    }

    pub fn parse(s: &str) -> Option<WaitingFor> {
        ALL_WAITING.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            WaitingFor::Counterpart => "motparten",
            WaitingFor::Filer => "anmälande part",
            WaitingFor::Reviewers => "Storsthlm och HSF",
            WaitingFor::SteeringGroup => "styrgruppen",
            WaitingFor::Vis => "VIS",
            WaitingFor::Court => "allmän domstol",
            WaitingFor::Nobody => "ingen",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Resolved,
    Upheld,
    PartlyUpheld,
    Rejected,
    Withdrawn,
}

pub const ALL_OUTCOMES: [Outcome; 5] = [Outcome::Resolved, Outcome::Upheld, Outcome::PartlyUpheld, Outcome::Rejected, Outcome::Withdrawn];

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::Upheld => "upheld",
            Outcome::PartlyUpheld => "partly_upheld",
            Outcome::Rejected => "rejected",
            Outcome::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        ALL_OUTCOMES.into_iter().find(|o| o.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Resolved => "Löst",
            Outcome::Upheld => "Bifallen",
            Outcome::PartlyUpheld => "Delvis bifallen",
            Outcome::Rejected => "Avslagen",
            Outcome::Withdrawn => "Återkallad",
        }
    }
}

/// The two reviewing organisations of level 2, who assess jointly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewerOrg {
    Storsthlm,
    Hsf,
}

impl ReviewerOrg {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewerOrg::Storsthlm => "storsthlm",
            ReviewerOrg::Hsf => "hsf",
        }
    }

    /// The reviewer organisation with this organisation id.
    pub fn parse(s: &str) -> Option<ReviewerOrg> {
        [ReviewerOrg::Storsthlm, ReviewerOrg::Hsf].into_iter().find(|o| o.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewerOrg::Storsthlm => "Storsthlm",
            ReviewerOrg::Hsf => "HSF",
        }
    }

    pub fn other(self) -> ReviewerOrg {
        match self {
            ReviewerOrg::Storsthlm => ReviewerOrg::Hsf,
            ReviewerOrg::Hsf => ReviewerOrg::Storsthlm,
        }
    }
}

/// A pending proposed solution. `by_party` is the party organisation that proposed it, or
/// None when Storsthlm and HSF did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub by_party: Option<String>,
    /// Party organisations that have accepted it.
    pub accepted_by: Vec<String>,
}

/// What the ladder needs to know of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseState {
    pub kind: CaseKind,
    pub level: Level,
    pub status: Status,
    /// The counterpart has stated its position at this level.
    pub answered: bool,
    pub assessed_by_storsthlm: bool,
    pub assessed_by_hsf: bool,
    pub proposal: Option<Proposal>,
    /// A proposal was rejected at this level.
    pub proposal_rejected: bool,
    /// The level's deadline (the county's working routine) has passed.
    pub deadline_passed: bool,
    /// At level 2: the reviewer organisation that asked to lift the case to the steering
    /// group, waiting for the other to confirm.
    pub escalation_requested_by: Option<ReviewerOrg>,
    /// Every party organisation with its side.
    pub parties: Vec<(String, Side)>,
}

/// The acting user as the ladder sees them on one case. Built only through
/// [`Actor::on_case`], which applies §3.1's rules of who may act for a party at all.
#[derive(Debug, Clone)]
pub struct Actor {
    role: Role,
    /// The case's party organisations the user acts for (all on one side).
    party_orgs: Vec<String>,
    reviewer_org: Option<ReviewerOrg>,
    /// Holds the director capacity for their side (payment disputes at director level).
    director: bool,
    /// Belongs to both sides of the case, and so acts for neither.
    both_sides: bool,
}

impl Actor {
    /// Who a user is on a case (domain.md §3.1, §4.1):
    /// - parties act only through `local` users of a party organisation or one above it,
    ///   and through HSF or Storsthlm officers where their organisation is itself a party;
    /// - administrators never act on cases;
    /// - a user whose organisation spans both sides acts for neither;
    /// - Storsthlm and HSF officers review at level 2 unless their organisation is a party.
    ///
    /// `party_orgs_in_subtree` are the case's party organisations at or below the user's own.
    pub fn on_case(role: Role, organisation_id: &str, party_orgs_in_subtree: Vec<String>, director: bool, parties: &[(String, Side)]) -> Actor {
        let own_org_is_party = parties.iter().any(|(org, _)| org == organisation_id);
        let acts_as_party = match role {
            Role::Local => true,
            Role::Reviewer => own_org_is_party && ReviewerOrg::parse(organisation_id).is_some(),
            Role::Steering | Role::Secretariat | Role::Admin => false,
        };
        let mut party_orgs = if acts_as_party { party_orgs_in_subtree } else { Vec::new() };
        let sides = |side| parties.iter().any(|(org, s)| *s == side && party_orgs.contains(org));
        let both_sides = sides(Side::Filer) && sides(Side::Counterpart);
        if both_sides {
            party_orgs.clear();
        }
        let reviewer_org = if role == Role::Reviewer && !own_org_is_party { ReviewerOrg::parse(organisation_id) } else { None };
        Actor { role, director: director && !party_orgs.is_empty(), party_orgs, reviewer_org, both_sides }
    }

    pub fn party_orgs(&self) -> &[String] {
        &self.party_orgs
    }

    fn is_party(&self) -> bool {
        !self.party_orgs.is_empty()
    }

    fn acts_for(&self, state: &CaseState, side: Side) -> bool {
        state.parties.iter().any(|(org, s)| *s == side && self.party_orgs.contains(org))
    }

    /// Acts for a party at `level`: at director level only with the director capacity.
    fn party_at(&self, level: Level) -> Result<(), Refusal> {
        if self.both_sides {
            return Err(BOTH_SIDES);
        }
        require(self.is_party(), NOT_A_PARTY)?;
        require(level != Level::Directors || self.director, NOT_A_DIRECTOR)
    }

    fn side_at(&self, state: &CaseState, side: Side, refusal: Refusal) -> Result<(), Refusal> {
        self.party_at(state.level)?;
        require(self.acts_for(state, side), refusal)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// The counterpart states its position.
    Answer,
    /// Storsthlm or HSF records its assessment (level 2).
    Assess,
    Propose,
    Accept,
    Reject,
    /// Lift to the next level; at level 2 one reviewer organisation asks and the other confirms.
    Escalate,
    /// A payment dispute at director level goes to a general court.
    ReferToCourt,
    /// A decision of the steering group or VIS, or a court's judgment as recorded by a party.
    /// `correction`: a new decision that corrects an earlier one (the case stays closed).
    Decide {
        outcome: Outcome,
        correction: bool,
    },
    /// The filer withdraws the case.
    Withdraw,
    Reopen,
}

pub const ALL_COMMANDS: [Command; 11] = [
    Command::Answer,
    Command::Assess,
    Command::Propose,
    Command::Accept,
    Command::Reject,
    Command::Escalate,
    Command::ReferToCourt,
    Command::Decide { outcome: Outcome::Resolved, correction: false },
    Command::Decide { outcome: Outcome::Resolved, correction: true },
    Command::Withdraw,
    Command::Reopen,
];

impl Command {
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Answer => "answer",
            Command::Assess => "assess",
            Command::Propose => "propose",
            Command::Accept => "accept",
            Command::Reject => "reject",
            Command::Escalate => "escalate",
            Command::ReferToCourt => "refer_to_court",
            Command::Decide { correction: false, .. } => "decide",
            Command::Decide { correction: true, .. } => "correct_decision",
            Command::Withdraw => "withdraw",
            Command::Reopen => "reopen",
        }
    }

    /// The command named `key` (as `as_str` names it); a decision carries `outcome`.
    pub fn parse(key: &str, outcome: Outcome) -> Option<Command> {
        ALL_COMMANDS.into_iter().find(|c| c.as_str() == key).map(|command| match command {
            Command::Decide { correction, .. } => Command::Decide { outcome, correction },
            other => other,
        })
    }
}

/// Why an action is refused: the user may not do it (403), or not now (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Forbidden(&'static str),
    Conflict(&'static str),
}

/// What an allowed action does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: CaseState,
    /// The case entered a level (escalation or reopening): its deadline starts anew.
    pub level_entered: bool,
    /// Accepting the last missing party closed the case by agreement.
    pub resolved_by_agreement: bool,
    /// One reviewer organisation asked to lift the case; the other is to confirm.
    pub escalation_requested: bool,
}

/// What an entry of a case's history records (`case_events.action`): a step on the ladder,
/// or something that does not move the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Filed,
    /// A step on the ladder, named as its command.
    Step(Command),
    /// At level 2 one reviewer organisation asked to lift the case; the other is to confirm.
    EscalationRequested,
    /// The last party accepted the proposal.
    Resolved,
    /// A VIS decision entered the register of interpretations.
    Interpretation,
    Comment,
    /// An internal note, seen by the writer's organisation only.
    Note,
    Attachment,
    Registration,
    Contest,
    Corrections,
}

const OTHER_EVENTS: [EventKind; 10] = [
    EventKind::Filed,
    EventKind::EscalationRequested,
    EventKind::Resolved,
    EventKind::Interpretation,
    EventKind::Comment,
    EventKind::Note,
    EventKind::Attachment,
    EventKind::Registration,
    EventKind::Contest,
    EventKind::Corrections,
];

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Filed => "filed",
            EventKind::Step(command) => command.as_str(),
            EventKind::EscalationRequested => "escalation_requested",
            EventKind::Resolved => "resolved",
            EventKind::Interpretation => "interpretation",
            EventKind::Comment => "comment",
            EventKind::Note => "note",
            EventKind::Attachment => "attachment",
            EventKind::Registration => "registration",
            EventKind::Contest => "contest",
            EventKind::Corrections => "corrections",
        }
    }

    /// A decision's outcome is not part of its event (the decision row keeps it).
    pub fn parse(text: &str) -> Option<EventKind> {
        OTHER_EVENTS.into_iter().find(|e| e.as_str() == text).or_else(|| Command::parse(text, Outcome::Resolved).map(EventKind::Step))
    }

    /// As the case's history names it.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Filed => "Ärendet anmäldes",
            EventKind::Step(command) => match command {
                Command::Answer => "Motparten svarade",
                Command::Assess => "Bedömning",
                Command::Propose => "Förslag till lösning",
                Command::Accept => "Förslaget godtogs",
                Command::Reject => "Förslaget avvisades",
                Command::Escalate => "Lyftes till nästa nivå",
                Command::ReferToCourt => "Hänskjuten till allmän domstol",
                Command::Decide { correction: false, .. } => "Beslut registrerat",
                Command::Decide { correction: true, .. } => "Rättelse av beslut",
                Command::Withdraw => "Ärendet återkallades",
                Command::Reopen => "Ärendet öppnades igen",
            },
            EventKind::EscalationRequested => "Begäran om att lyfta ärendet till styrgruppen",
            EventKind::Resolved => "Löst genom överenskommelse",
            EventKind::Interpretation => "Införd i tolkningsregistret",
            EventKind::Comment => "Kommentar",
            EventKind::Note => "Intern anteckning",
            EventKind::Attachment => "Bilaga tillagd",
            EventKind::Registration => "Diarienummer angivet",
            EventKind::Contest => "Vårdtillfälle ifrågasatt",
            EventKind::Corrections => "Rättelser tillämpade",
        }
    }
}

impl Transition {
    /// The event that records this transition of `command`.
    pub fn event(&self, command: Command) -> EventKind {
        if self.escalation_requested {
            EventKind::EscalationRequested
        } else {
            EventKind::Step(command)
        }
    }
}

const CLOSED: Refusal = Refusal::Conflict("Ärendet är avslutat.");
const NOT_A_PARTY: Refusal = Refusal::Forbidden("Bara parterna i ärendet kan göra detta.");
const BOTH_SIDES: Refusal = Refusal::Forbidden("Du hör till båda sidor i ärendet och kan därför inte agera i det.");
const NOT_A_DIRECTOR: Refusal =
    Refusal::Forbidden("På direktörsnivå agerar bara den som har direktörsbehörighet för sin sida (enligt delegationsordningen).");
const NO_PARTY_DECIDES: Refusal = Refusal::Forbidden(
    "Ingen part beslutar ensam på den här nivån. Ärendet löses när alla parter godtar ett förslag, eller när anmälaren återkallar det.",
);
const REVIEW_DOES_NOT_DECIDE: Refusal =
    Refusal::Forbidden("Storsthlm och HSF beslutar inte. De bedömer gemensamt och föreslår en lösning som parterna tar ställning till.");
const FINAL: Refusal = Refusal::Conflict("Beslutet är slutligt och ärendet kan inte öppnas igen. En rättelse registreras som ett nytt beslut.");

impl CaseState {
    /// A new case at its first level.
    pub fn new(kind: CaseKind, principled: bool, parties: Vec<(String, Side)>) -> CaseState {
        CaseState {
            kind,
            level: kind.first_level(principled),
            status: Status::Open,
            answered: false,
            assessed_by_storsthlm: false,
            assessed_by_hsf: false,
            proposal: None,
            proposal_rejected: false,
            deadline_passed: false,
            escalation_requested_by: None,
            parties,
        }
    }

    pub fn waiting_for(&self) -> WaitingFor {
        match self.status {
            Status::Closed => return WaitingFor::Nobody,
            Status::AwaitingJudgment => return WaitingFor::Court,
            Status::Open => {}
        }
        if let Some(proposal) = &self.proposal {
            let filer_accepted = self.parties.iter().filter(|(_, s)| *s == Side::Filer).all(|(o, _)| proposal.accepted_by.contains(o));
            return if filer_accepted { WaitingFor::Counterpart } else { WaitingFor::Filer };
        }
        match self.level.authority() {
            Authority::Parties if self.answered => WaitingFor::Filer,
            Authority::Parties => WaitingFor::Counterpart,
            Authority::Reviewers => WaitingFor::Reviewers,
            Authority::SteeringGroup => WaitingFor::SteeringGroup,
            Authority::Secretariat => WaitingFor::Vis,
            Authority::Court => WaitingFor::Court,
        }
    }

    fn enter(&mut self, level: Level) {
        self.level = level;
        self.answered = false;
        self.assessed_by_storsthlm = false;
        self.assessed_by_hsf = false;
        self.proposal = None;
        self.proposal_rejected = false;
        self.deadline_passed = false;
        self.escalation_requested_by = None;
    }

    /// A decision at this level ends the case for good: VIS's, or a court's judgment.
    fn decision_is_final(&self) -> bool {
        matches!(self.level, Level::Vis | Level::Court)
    }

    /// Who records a decision at this level.
    fn may_decide(&self, actor: &Actor) -> Result<(), Refusal> {
        match self.level {
            Level::Local | Level::NearestManagers | Level::Directors => Err(NO_PARTY_DECIDES),
            Level::Review => Err(REVIEW_DOES_NOT_DECIDE),
            Level::Steering => require(actor.role == Role::Steering, Refusal::Forbidden("Styrgruppens beslut registreras av styrgruppen.")),
            Level::Vis => require(actor.role == Role::Secretariat, Refusal::Forbidden("VIS beslut registreras av VIS-sekretariatet.")),
            Level::Court => actor.party_at(Level::Court),
        }
    }

    /// Applies `command` by `actor`, or says why not.
    pub fn apply(&self, actor: &Actor, command: Command) -> Result<Transition, Refusal> {
        let mut next = self.clone();
        let mut level_entered = false;
        let mut resolved_by_agreement = false;
        let mut escalation_requested = false;
        let open = self.status == Status::Open;
        match command {
            Command::Answer => {
                require(open, CLOSED)?;
                actor.side_at(self, Side::Counterpart, Refusal::Forbidden("Bara motparten svarar med sin ståndpunkt."))?;
                next.answered = true;
            }
            Command::Assess => {
                require(open, CLOSED)?;
                require(self.level == Level::Review, Refusal::Conflict("Bedömningar görs på nivå 2, av Storsthlm och HSF."))?;
                match actor.reviewer_org {
                    Some(ReviewerOrg::Storsthlm) => next.assessed_by_storsthlm = true,
                    Some(ReviewerOrg::Hsf) => next.assessed_by_hsf = true,
                    None => return Err(Refusal::Forbidden("Bara handläggare på Storsthlm eller HSF gör bedömningen.")),
                }
            }
            Command::Propose => {
                require(open, CLOSED)?;
                match self.level.authority() {
                    Authority::Parties => {
                        actor.party_at(self.level)?;
                        next.proposal = Some(Proposal { by_party: actor.party_orgs.first().cloned(), accepted_by: actor.party_orgs.clone() });
                    }
                    Authority::Reviewers => {
                        require(actor.reviewer_org.is_some(), Refusal::Forbidden("Förslaget på nivå 2 lämnas av Storsthlm och HSF gemensamt."))?;
                        require(
                            self.assessed_by_storsthlm && self.assessed_by_hsf,
                            Refusal::Conflict("Storsthlm och HSF behöver båda lämna sin bedömning innan de föreslår en gemensam lösning."),
                        )?;
                        next.proposal = Some(Proposal { by_party: None, accepted_by: Vec::new() });
                    }
                    _ => return Err(Refusal::Conflict("På den här nivån lämnas inga förslag till lösning; ärendet avgörs med ett beslut.")),
                }
            }
            Command::Accept | Command::Reject => {
                require(open, CLOSED)?;
                actor.party_at(self.level)?;
                let Some(proposal) = &self.proposal else {
                    return Err(Refusal::Conflict("Det finns inget förslag att ta ställning till."));
                };
                if command == Command::Reject {
                    next.proposal = None;
                    next.proposal_rejected = true;
                } else {
                    require(
                        actor.party_orgs.iter().any(|o| !proposal.accepted_by.contains(o)),
                        Refusal::Conflict("Du har redan godtagit förslaget."),
                    )?;
                    let mut accepted = proposal.accepted_by.clone();
                    accepted.extend(actor.party_orgs.iter().filter(|o| !proposal.accepted_by.contains(o)).cloned());
                    if self.parties.iter().all(|(org, _)| accepted.contains(org)) {
                        next.status = Status::Closed;
                        next.proposal = None;
                        resolved_by_agreement = true;
                    } else {
                        next.proposal = Some(Proposal { by_party: proposal.by_party.clone(), accepted_by: accepted });
                    }
                }
            }
            Command::Escalate => {
                require(open, CLOSED)?;
                match self.level {
                    Level::Local => {
                        actor.party_at(self.level)?;
                        require(
                            self.answered || self.proposal_rejected || self.deadline_passed,
                            Refusal::Conflict(
                                "Ärendet ska om möjligt lösas på lokal nivå. Det kan lyftas när motparten har svarat, när ett förslag har avvisats eller när fristen har gått ut.",
                            ),
                        )?;
                    }
                    Level::NearestManagers => actor.party_at(self.level)?,
                    Level::Directors => return Err(Refusal::Conflict("Nästa steg är att hänskjuta tvisten till allmän domstol.")),
                    Level::Review => {
                        let Some(org) = actor.reviewer_org else {
                            return Err(Refusal::Forbidden("Bara Storsthlm och HSF tillsammans kan lyfta ärendet till styrgruppen."));
                        };
                        match self.escalation_requested_by {
                            None => {
                                next.escalation_requested_by = Some(org);
                                escalation_requested = true;
                            }
                            Some(asked) if asked == org => {
                                return Err(Refusal::Conflict("Ni har redan begärt att ärendet lyfts. Den andra organisationen behöver bekräfta."));
                            }
                            Some(_) => {}
                        }
                    }
                    Level::Steering => require(actor.role == Role::Steering, Refusal::Forbidden("Bara styrgruppen kan lyfta ärendet till VIS."))?,
                    Level::Vis | Level::Court => return Err(Refusal::Conflict("Ärendet är redan på den högsta nivån.")),
                }
                if !escalation_requested {
                    next.enter(self.level.next().expect("only levels with a next level get here"));
                    level_entered = true;
                }
            }
            Command::ReferToCourt => {
                require(open, CLOSED)?;
                require(
                    self.level == Level::Directors,
                    Refusal::Conflict("Bara en betalningstvist på direktörsnivå kan hänskjutas till allmän domstol."),
                )?;
                actor.party_at(self.level)?;
                next.enter(Level::Court);
                next.status = Status::AwaitingJudgment;
                level_entered = true;
            }
            Command::Decide { correction, .. } => {
                if correction {
                    require(self.status == Status::Closed, Refusal::Conflict("Bara ett avgjort ärende har beslut att rätta."))?;
                } else {
                    require(self.status != Status::Closed, CLOSED)?;
                }
                self.may_decide(actor)?;
                next.status = Status::Closed;
                next.proposal = None;
            }
            Command::Withdraw => {
                require(self.status != Status::Closed, Refusal::Conflict("Ärendet är redan avslutat."))?;
                actor.side_at(self, Side::Filer, Refusal::Forbidden("Bara den som anmält ärendet kan återkalla det."))?;
                next.status = Status::Closed;
                next.proposal = None;
            }
            Command::Reopen => {
                require(self.status == Status::Closed, Refusal::Conflict("Ärendet är inte avslutat."))?;
                require(!self.decision_is_final(), FINAL)?;
                let may = match self.level {
                    Level::Steering => actor.role == Role::Steering || actor.party_at(self.level).is_ok(),
                    level => actor.party_at(level).is_ok(),
                };
                require(may, Refusal::Forbidden("Bara parterna, eller styrgruppen för sina egna ärenden, kan öppna ärendet igen."))?;
                let level = self.level;
                next.enter(level);
                next.status = Status::Open;
                level_entered = true;
            }
        }
        Ok(Transition { state: next, level_entered, resolved_by_agreement, escalation_requested })
    }
}

fn require(condition: bool, refusal: Refusal) -> Result<(), Refusal> {
    if condition {
        Ok(())
    } else {
        Err(refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reads_back_from_the_text_it_is_stored_as() {
        let steps = ALL_COMMANDS.into_iter().map(EventKind::Step);
        for event in OTHER_EVENTS.into_iter().chain(steps) {
            let read = EventKind::parse(event.as_str()).unwrap_or_else(|| panic!("{event:?}"));
            assert_eq!(read.as_str(), event.as_str());
            assert_eq!(read.label(), event.label());
        }
        let correction = EventKind::parse("correct_decision").unwrap();
        assert!(matches!(correction, EventKind::Step(Command::Decide { correction: true, .. })));
        assert_eq!(EventKind::parse("close"), None);
    }

    #[test]
    fn a_side_and_waiting_for_that_side_are_stored_as_the_same_word() {
        // Migration 021 marks the party rows a case waits for where `side = waiting_for`.
        assert_eq!(Side::Filer.as_str(), WaitingFor::Filer.as_str());
        assert_eq!(Side::Counterpart.as_str(), WaitingFor::Counterpart.as_str());
    }

    const FILER: &str = "kommun-0127";
    const COUNTER: &str = "enh-sos-medicin-52";

    fn parties() -> Vec<(String, Side)> {
        vec![(FILER.into(), Side::Filer), (COUNTER.into(), Side::Counterpart)]
    }

    fn case(kind: CaseKind, principled: bool) -> CaseState {
        CaseState::new(kind, principled, parties())
    }

    fn at(kind: CaseKind, level: Level) -> CaseState {
        let mut state = case(kind, false);
        state.level = level;
        state.status = if level == Level::Court { Status::AwaitingJudgment } else { Status::Open };
        state
    }

    /// A user of `org` (and nothing below it) with `role`.
    fn user(role: Role, org: &str, director: bool, state: &CaseState) -> Actor {
        let in_subtree = state.parties.iter().filter(|(o, _)| o == org).map(|(o, _)| o.clone()).collect();
        Actor::on_case(role, org, in_subtree, director, &state.parties)
    }

    fn party(org: &str) -> Actor {
        user(Role::Local, org, false, &case(CaseKind::Deviation, false))
    }

    fn director(org: &str) -> Actor {
        user(Role::Local, org, true, &case(CaseKind::PaymentDispute, false))
    }

    fn outsider() -> Actor {
        party("kommun-0126")
    }

    fn reviewer(org: ReviewerOrg) -> Actor {
        user(Role::Reviewer, org.as_str(), false, &case(CaseKind::Deviation, false))
    }

    fn role(role: Role) -> Actor {
        user(role, "region", false, &case(CaseKind::Deviation, false))
    }

    fn forbidden(result: Result<Transition, Refusal>) -> bool {
        matches!(result, Err(Refusal::Forbidden(_)))
    }

    fn conflict(result: Result<Transition, Refusal>) -> bool {
        matches!(result, Err(Refusal::Conflict(_)))
    }

    fn decide() -> Command {
        Command::Decide { outcome: Outcome::Upheld, correction: false }
    }

    fn correct() -> Command {
        Command::Decide { outcome: Outcome::Resolved, correction: true }
    }

    fn then(state: &CaseState, actor: &Actor, command: Command) -> CaseState {
        state.apply(actor, command).unwrap_or_else(|e| panic!("{command:?} by {actor:?}: {e:?}")).state
    }

    #[test]
    fn cases_start_at_the_first_level_and_principled_ones_at_level_two() {
        assert_eq!(case(CaseKind::Deviation, false).level, Level::Local);
        assert_eq!(case(CaseKind::Deviation, true).level, Level::Review);
        assert_eq!(case(CaseKind::Interpretation, true).level, Level::Review);
        assert_eq!(case(CaseKind::PaymentDispute, true).level, Level::NearestManagers);
        assert_eq!(case(CaseKind::Deviation, false).waiting_for(), WaitingFor::Counterpart);
        assert_eq!(case(CaseKind::Deviation, true).waiting_for(), WaitingFor::Reviewers);
    }

    // ---- who is a party (§3.1, first paragraph)

    #[test]
    fn administrators_steering_and_secretariat_never_act_for_a_party() {
        let state = case(CaseKind::Deviation, false);
        for r in [Role::Admin, Role::Steering, Role::Secretariat] {
            // Even where their organisation is itself the party.
            let actor = user(r, COUNTER, false, &state);
            assert!(actor.party_orgs().is_empty(), "{r:?}");
            for command in ALL_COMMANDS {
                assert!(state.apply(&actor, command).is_err(), "{r:?} {command:?}");
            }
        }
    }

    #[test]
    fn an_administrator_of_the_region_is_offered_nothing_on_a_region_case() {
        let state = case(CaseKind::PaymentDispute, false);
        let admin = Actor::on_case(Role::Admin, "region", vec![COUNTER.into()], true, &state.parties);
        for command in ALL_COMMANDS {
            assert!(state.apply(&admin, command).is_err(), "{command:?}");
        }
    }

    #[test]
    fn hsf_officers_act_as_a_party_only_where_hsf_itself_is_one() {
        let state = CaseState::new(CaseKind::PaymentDispute, false, vec![(FILER.into(), Side::Filer), ("hsf".into(), Side::Counterpart)]);
        let hsf = user(Role::Reviewer, "hsf", false, &state);
        assert_eq!(hsf.party_orgs(), ["hsf".to_owned()]);
        assert!(state.apply(&hsf, Command::Answer).is_ok());
        // A reviewer of another organisation, or where HSF is not a party, is no party.
        let storsthlm = user(Role::Reviewer, "storsthlm", false, &state);
        assert!(forbidden(state.apply(&storsthlm, Command::Answer)));
        assert!(forbidden(case(CaseKind::Deviation, false).apply(&reviewer(ReviewerOrg::Hsf), Command::Answer)));
        // A reviewer role in any other organisation counts for nothing at level 2.
        let review = at(CaseKind::Deviation, Level::Review);
        let stray = user(Role::Reviewer, "kommun-0126", false, &review);
        assert!(forbidden(review.apply(&stray, Command::Assess)));
    }

    #[test]
    fn a_user_above_both_sides_acts_for_neither() {
        let state =
            CaseState::new(CaseKind::Deviation, false, vec![("enh-sos-medicin-52".into(), Side::Filer), ("enh-vc-tumba".into(), Side::Counterpart)]);
        let regional = Actor::on_case(Role::Local, "region", vec!["enh-sos-medicin-52".into(), "enh-vc-tumba".into()], false, &state.parties);
        for command in ALL_COMMANDS {
            assert!(state.apply(&regional, command).is_err(), "{command:?}");
        }
        assert_eq!(state.apply(&regional, Command::Answer), Err(BOTH_SIDES));
    }

    // ---- level 1 (local)

    #[test]
    fn only_the_counterpart_answers() {
        let state = case(CaseKind::Deviation, false);
        assert!(forbidden(state.apply(&party(FILER), Command::Answer)));
        assert!(forbidden(state.apply(&outsider(), Command::Answer)));
        assert!(forbidden(state.apply(&reviewer(ReviewerOrg::Hsf), Command::Answer)));
        assert!(then(&state, &party(COUNTER), Command::Answer).answered);
    }

    #[test]
    fn no_party_decides_alone_at_the_party_levels() {
        for (kind, level) in
            [(CaseKind::Deviation, Level::Local), (CaseKind::PaymentDispute, Level::NearestManagers), (CaseKind::PaymentDispute, Level::Directors)]
        {
            let state = at(kind, level);
            for actor in [party(FILER), party(COUNTER), director(FILER), director(COUNTER)] {
                assert_eq!(state.apply(&actor, decide()), Err(NO_PARTY_DECIDES), "{level:?}");
            }
        }
    }

    #[test]
    fn the_counterpart_cannot_close_and_the_filer_withdraws() {
        let state = case(CaseKind::Deviation, false);
        assert!(forbidden(state.apply(&party(COUNTER), Command::Withdraw)));
        assert!(forbidden(state.apply(&outsider(), Command::Withdraw)));
        let withdrawn = then(&state, &party(FILER), Command::Withdraw);
        assert_eq!(withdrawn.status, Status::Closed);
        assert!(conflict(withdrawn.apply(&party(FILER), Command::Withdraw)));
    }

    #[test]
    fn a_party_proposal_resolves_the_case_when_the_other_side_accepts() {
        let state = then(&case(CaseKind::Deviation, false), &party(COUNTER), Command::Propose);
        assert_eq!(state.waiting_for(), WaitingFor::Filer);
        assert!(conflict(state.apply(&party(COUNTER), Command::Accept)));
        assert!(forbidden(state.apply(&outsider(), Command::Accept)));
        let done = state.apply(&party(FILER), Command::Accept).unwrap();
        assert!(done.resolved_by_agreement);
        assert_eq!(done.state.status, Status::Closed);
    }

    #[test]
    fn a_case_leaves_the_local_level_only_after_an_answer_a_rejection_or_the_deadline() {
        let fresh = case(CaseKind::Deviation, false);
        for actor in [party(FILER), party(COUNTER)] {
            assert!(conflict(fresh.apply(&actor, Command::Escalate)));
        }
        let answered = then(&fresh, &party(COUNTER), Command::Answer);
        assert_eq!(then(&answered, &party(FILER), Command::Escalate).level, Level::Review);
        let rejected = then(&then(&fresh, &party(FILER), Command::Propose), &party(COUNTER), Command::Reject);
        assert!(rejected.proposal_rejected && rejected.proposal.is_none());
        assert_eq!(then(&rejected, &party(COUNTER), Command::Escalate).level, Level::Review);
        let overdue = CaseState { deadline_passed: true, ..fresh.clone() };
        assert_eq!(then(&overdue, &party(FILER), Command::Escalate).level, Level::Review);
        for actor in [outsider(), reviewer(ReviewerOrg::Storsthlm), role(Role::Steering), role(Role::Secretariat), role(Role::Admin)] {
            assert!(forbidden(overdue.apply(&actor, Command::Escalate)), "{actor:?}");
        }
    }

    #[test]
    fn rejecting_a_proposal_clears_it() {
        let state = then(&case(CaseKind::Deviation, false), &party(FILER), Command::Propose);
        let state = then(&state, &party(COUNTER), Command::Reject);
        assert_eq!(state.proposal, None);
        assert!(conflict(state.apply(&party(COUNTER), Command::Accept)));
        assert!(conflict(state.apply(&party(COUNTER), Command::Reject)));
        assert!(forbidden(state.apply(&outsider(), Command::Reject)));
    }

    #[test]
    fn entering_a_level_resets_its_state() {
        let state = then(&case(CaseKind::Deviation, false), &party(COUNTER), Command::Answer);
        let state = then(&then(&state, &party(FILER), Command::Propose), &party(COUNTER), Command::Reject);
        let state = then(&state, &party(COUNTER), Command::Escalate);
        assert!(!state.answered && !state.proposal_rejected);
        assert_eq!(state.proposal, None);
    }

    #[test]
    fn a_party_with_several_counterparts_needs_everyone_to_accept() {
        let mut state = case(CaseKind::Deviation, false);
        state.parties.push(("kommun-0126".into(), Side::Counterpart));
        let third = Actor::on_case(Role::Local, "kommun-0126", vec!["kommun-0126".into()], false, &state.parties);
        let proposer = Actor::on_case(Role::Local, FILER, vec![FILER.into()], false, &state.parties);
        let counter = Actor::on_case(Role::Local, COUNTER, vec![COUNTER.into()], false, &state.parties);
        let state = then(&state, &proposer, Command::Propose);
        let once = state.apply(&counter, Command::Accept).unwrap();
        assert!(!once.resolved_by_agreement);
        assert_eq!(once.state.waiting_for(), WaitingFor::Counterpart);
        assert!(once.state.apply(&third, Command::Accept).unwrap().resolved_by_agreement);
    }

    // ---- level 2 (Storsthlm and HSF)

    #[test]
    fn level_two_assesses_jointly_and_proposes_but_never_decides() {
        let state = case(CaseKind::Interpretation, true);
        assert!(conflict(state.apply(&reviewer(ReviewerOrg::Hsf), Command::Propose)));
        assert!(forbidden(state.apply(&party(FILER), Command::Assess)));
        assert!(forbidden(state.apply(&role(Role::Steering), Command::Assess)));
        let state = then(&state, &reviewer(ReviewerOrg::Storsthlm), Command::Assess);
        assert!(conflict(state.apply(&reviewer(ReviewerOrg::Storsthlm), Command::Propose)));
        let state = then(&state, &reviewer(ReviewerOrg::Hsf), Command::Assess);
        assert!(forbidden(state.apply(&party(FILER), Command::Propose)));
        for actor in [reviewer(ReviewerOrg::Hsf), reviewer(ReviewerOrg::Storsthlm)] {
            assert_eq!(state.apply(&actor, decide()), Err(REVIEW_DOES_NOT_DECIDE));
            assert!(forbidden(state.apply(&actor, Command::Withdraw)));
        }
        let state = then(&state, &reviewer(ReviewerOrg::Hsf), Command::Propose);
        assert_eq!(state.waiting_for(), WaitingFor::Filer);
        assert!(forbidden(state.apply(&reviewer(ReviewerOrg::Hsf), Command::Accept)));
        let state = then(&state, &party(FILER), Command::Accept);
        assert!(conflict(state.apply(&party(FILER), Command::Accept)));
        let done = state.apply(&party(COUNTER), Command::Accept).unwrap();
        assert!(done.resolved_by_agreement);
    }

    #[test]
    fn lifting_to_the_steering_group_needs_both_reviewer_organisations() {
        let state = at(CaseKind::Deviation, Level::Review);
        assert!(forbidden(state.apply(&party(FILER), Command::Escalate)));
        let asked = state.apply(&reviewer(ReviewerOrg::Storsthlm), Command::Escalate).unwrap();
        assert!(asked.escalation_requested && !asked.level_entered);
        assert_eq!(asked.event(Command::Escalate), EventKind::EscalationRequested);
        assert_eq!((asked.state.level, asked.state.escalation_requested_by), (Level::Review, Some(ReviewerOrg::Storsthlm)));
        // The one who asked cannot confirm its own request.
        assert!(conflict(asked.state.apply(&reviewer(ReviewerOrg::Storsthlm), Command::Escalate)));
        let lifted = asked.state.apply(&reviewer(ReviewerOrg::Hsf), Command::Escalate).unwrap();
        assert!(lifted.level_entered);
        assert_eq!(lifted.event(Command::Escalate), EventKind::Step(Command::Escalate));
        assert_eq!((lifted.state.level, lifted.state.escalation_requested_by), (Level::Steering, None));
    }

    // ---- levels 3 and 4

    #[test]
    fn the_steering_group_decides_or_lifts_to_vis() {
        let state = at(CaseKind::Deviation, Level::Steering);
        for actor in [reviewer(ReviewerOrg::Hsf), party(FILER), role(Role::Secretariat), role(Role::Admin)] {
            assert!(forbidden(state.apply(&actor, Command::Escalate)), "{actor:?}");
            assert!(forbidden(state.apply(&actor, decide())), "{actor:?}");
        }
        assert!(state.apply(&role(Role::Steering), decide()).is_ok());
        let vis = then(&state, &role(Role::Steering), Command::Escalate);
        assert_eq!((vis.level, vis.waiting_for()), (Level::Vis, WaitingFor::Vis));
    }

    #[test]
    fn a_vis_decision_is_final_and_only_the_secretariat_corrects_it() {
        let state = at(CaseKind::Interpretation, Level::Vis);
        assert!(conflict(state.apply(&role(Role::Secretariat), Command::Escalate)));
        for actor in [role(Role::Steering), party(FILER), reviewer(ReviewerOrg::Hsf), role(Role::Admin)] {
            assert!(forbidden(state.apply(&actor, decide())), "{actor:?}");
        }
        let decided = then(&state, &role(Role::Secretariat), decide());
        assert_eq!((decided.status, decided.waiting_for()), (Status::Closed, WaitingFor::Nobody));
        for actor in [party(FILER), party(COUNTER), role(Role::Secretariat), role(Role::Steering)] {
            assert_eq!(decided.apply(&actor, Command::Reopen), Err(FINAL), "{actor:?}");
        }
        assert!(forbidden(decided.apply(&party(FILER), correct())));
        let corrected = then(&decided, &role(Role::Secretariat), correct());
        assert_eq!(corrected.status, Status::Closed);
    }

    #[test]
    fn a_deviation_climbs_all_four_levels() {
        let state = then(&case(CaseKind::Deviation, false), &party(COUNTER), Command::Answer);
        let state = then(&state, &party(FILER), Command::Escalate);
        let state = then(&state, &reviewer(ReviewerOrg::Hsf), Command::Escalate);
        let state = then(&state, &reviewer(ReviewerOrg::Storsthlm), Command::Escalate);
        let state = then(&state, &role(Role::Steering), Command::Escalate);
        assert_eq!(state.level, Level::Vis);
        assert_eq!(then(&state, &role(Role::Secretariat), decide()).status, Status::Closed);
    }

    // ---- the payment ladder (§4.1)

    #[test]
    fn nearest_managers_settle_by_agreement_and_either_side_lifts() {
        let state = case(CaseKind::PaymentDispute, false);
        let proposed = then(&state, &party(COUNTER), Command::Propose);
        assert!(proposed.apply(&party(FILER), Command::Accept).unwrap().resolved_by_agreement);
        assert_eq!(then(&state, &party(COUNTER), Command::Escalate).level, Level::Directors);
        assert!(forbidden(state.apply(&reviewer(ReviewerOrg::Hsf), Command::Escalate)));
        assert!(forbidden(state.apply(&role(Role::Steering), Command::Escalate)));
    }

    #[test]
    fn only_directors_act_at_director_level() {
        let state = at(CaseKind::PaymentDispute, Level::Directors);
        for command in [Command::Answer, Command::Propose, Command::ReferToCourt, Command::Withdraw] {
            for manager in [party(FILER), party(COUNTER)] {
                let result = state.apply(&manager, command);
                assert!(result == Err(NOT_A_DIRECTOR) || forbidden(result.clone()), "{command:?}");
            }
        }
        assert_eq!(state.apply(&party(COUNTER), Command::ReferToCourt), Err(NOT_A_DIRECTOR));
        let proposed = then(&state, &director(FILER), Command::Propose);
        assert_eq!(proposed.apply(&party(COUNTER), Command::Accept), Err(NOT_A_DIRECTOR));
        assert!(proposed.apply(&director(COUNTER), Command::Accept).unwrap().resolved_by_agreement);
        assert!(conflict(state.apply(&director(FILER), Command::Escalate)));
        // The capacity is for one's own side: a director of an outside organisation is no party.
        assert!(forbidden(state.apply(&director("kommun-0126"), Command::ReferToCourt)));
    }

    #[test]
    fn a_directors_referral_goes_to_court_and_a_judgment_ends_the_case() {
        let state = at(CaseKind::PaymentDispute, Level::Directors);
        let t = state.apply(&director(COUNTER), Command::ReferToCourt).unwrap();
        assert!(t.level_entered);
        let court = t.state;
        assert_eq!((court.level, court.status, court.waiting_for()), (Level::Court, Status::AwaitingJudgment, WaitingFor::Court));
        for command in [Command::Answer, Command::Propose, Command::Escalate, Command::Accept, Command::ReferToCourt] {
            assert!(conflict(court.apply(&director(COUNTER), command)), "{command:?}");
        }
        assert!(forbidden(court.apply(&outsider(), decide())));
        assert!(forbidden(court.apply(&reviewer(ReviewerOrg::Hsf), decide())));
        let judged = then(&court, &party(FILER), Command::Decide { outcome: Outcome::PartlyUpheld, correction: false });
        assert_eq!(judged.status, Status::Closed);
        for actor in [party(FILER), director(COUNTER)] {
            assert_eq!(judged.apply(&actor, Command::Reopen), Err(FINAL));
        }
        // An appeal is recorded as a new entry pointing at the judgment.
        assert!(judged.apply(&party(COUNTER), correct()).is_ok());
    }

    // ---- closed cases

    #[test]
    fn a_withdrawn_case_refuses_everything_but_reopening_by_a_party() {
        let closed = then(&case(CaseKind::Deviation, false), &party(FILER), Command::Withdraw);
        for command in [
            Command::Answer,
            Command::Propose,
            Command::Accept,
            Command::Reject,
            Command::Escalate,
            Command::Assess,
            Command::ReferToCourt,
            decide(),
            Command::Withdraw,
        ] {
            assert!(conflict(closed.apply(&party(FILER), command)), "{command:?}");
        }
        assert!(forbidden(closed.apply(&outsider(), Command::Reopen)));
        assert!(forbidden(closed.apply(&role(Role::Admin), Command::Reopen)));
        let reopened = closed.apply(&party(COUNTER), Command::Reopen).unwrap();
        assert!(reopened.level_entered);
        assert_eq!(reopened.state.status, Status::Open);
        assert!(conflict(reopened.state.apply(&party(FILER), Command::Reopen)));
        assert!(conflict(reopened.state.apply(&role(Role::Steering), correct())));
    }

    #[test]
    fn names_round_trip() {
        for kind in ALL_KINDS {
            assert_eq!(CaseKind::parse(kind.as_str()), Some(kind));
        }
        for level in ALL_LEVELS {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
        for outcome in ALL_OUTCOMES {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        for org in [ReviewerOrg::Storsthlm, ReviewerOrg::Hsf] {
            assert_eq!(ReviewerOrg::parse(org.as_str()), Some(org));
            assert_eq!(org.other().other(), org);
        }
        assert_eq!(Status::parse("closed"), Some(Status::Closed));
        assert_eq!(WaitingFor::parse("vis"), Some(WaitingFor::Vis));
        assert_eq!(Side::parse("filer"), Some(Side::Filer));
        for command in ALL_COMMANDS {
            assert_eq!(Command::parse(command.as_str(), Outcome::Resolved), Some(command));
        }
        assert_eq!(Command::parse("decide", Outcome::Rejected), Some(Command::Decide { outcome: Outcome::Rejected, correction: false }));
        assert_eq!(Command::parse("close", Outcome::Resolved), None, "closing is withdrawing now");
    }
}
