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
        [Status::Open, Status::AwaitingJudgment, Status::Closed].into_iter().find(|x| x.as_str() == s)
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
        [
            WaitingFor::Counterpart,
            WaitingFor::Filer,
            WaitingFor::Reviewers,
            WaitingFor::SteeringGroup,
            WaitingFor::Vis,
            WaitingFor::Court,
            WaitingFor::Nobody,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
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

/// A pending proposed solution. `by_party` is the party organisation that proposed it, or
/// None when the level's authority (Storsthlm/HSF, styrgruppen, VIS) did.
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
    /// Every party organisation with its side.
    pub parties: Vec<(String, Side)>,
}

/// The acting user as the ladder sees them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub role: Role,
    /// The case's party organisations that the user acts for.
    pub party_orgs: Vec<String>,
    pub reviewer_org: Option<ReviewerOrg>,
}

impl Actor {
    fn is_party(&self) -> bool {
        !self.party_orgs.is_empty()
    }

    fn acts_for(&self, state: &CaseState, side: Side) -> bool {
        state.parties.iter().any(|(org, s)| *s == side && self.party_orgs.contains(org))
    }

    /// Whether the user handles the case at `level`.
    pub fn is_authority(&self, level: Level) -> bool {
        match level.authority() {
            Authority::Parties => self.is_party(),
            Authority::Reviewers => self.role == Role::Reviewer,
            Authority::SteeringGroup => self.role == Role::Steering,
            Authority::Secretariat => self.role == Role::Secretariat,
            Authority::Court => self.is_party() || self.role == Role::Reviewer,
        }
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
    Escalate,
    /// A payment dispute at director level goes to a general court.
    ReferToCourt,
    /// `correction`: a new decision that corrects an earlier one (the case may be closed).
    Decide {
        outcome: Outcome,
        correction: bool,
    },
    Close,
    Reopen,
}

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
            Command::Close => "close",
            Command::Reopen => "reopen",
        }
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
}

const CLOSED: Refusal = Refusal::Conflict("Ärendet är avslutat. Öppna det igen för att fortsätta.");
const NOT_A_PARTY: Refusal = Refusal::Forbidden("Bara parterna i ärendet kan göra detta.");
const NOT_AUTHORITY: Refusal = Refusal::Forbidden("Det är inte din roll att hantera ärendet på den här nivån.");

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
    }

    /// Applies `command` by `actor`, or says why not.
    pub fn apply(&self, actor: &Actor, command: Command) -> Result<Transition, Refusal> {
        let mut next = self.clone();
        let mut level_entered = false;
        let mut resolved_by_agreement = false;
        let open = self.status == Status::Open;
        match command {
            Command::Answer => {
                require(open, CLOSED)?;
                require(actor.acts_for(self, Side::Counterpart), Refusal::Forbidden("Bara motparten svarar med sin ståndpunkt."))?;
                next.answered = true;
            }
            Command::Assess => {
                require(open, CLOSED)?;
                require(self.level == Level::Review, Refusal::Conflict("Bedömningar görs på nivå 2, av Storsthlm och HSF."))?;
                match (actor.role, actor.reviewer_org) {
                    (Role::Reviewer, Some(ReviewerOrg::Storsthlm)) => next.assessed_by_storsthlm = true,
                    (Role::Reviewer, Some(ReviewerOrg::Hsf)) => next.assessed_by_hsf = true,
                    _ => return Err(Refusal::Forbidden("Bara handläggare på Storsthlm eller HSF gör bedömningen.")),
                }
            }
            Command::Propose => {
                require(open, CLOSED)?;
                require(self.level != Level::Court, Refusal::Conflict("Tvisten ligger hos allmän domstol."))?;
                require(actor.is_authority(self.level), NOT_AUTHORITY)?;
                if self.level == Level::Review {
                    require(
                        self.assessed_by_storsthlm && self.assessed_by_hsf,
                        Refusal::Conflict("Storsthlm och HSF behöver båda lämna sin bedömning innan de föreslår en gemensam lösning."),
                    )?;
                }
                next.proposal = Some(if self.level.authority() == Authority::Parties {
                    Proposal { by_party: actor.party_orgs.first().cloned(), accepted_by: actor.party_orgs.clone() }
                } else {
                    Proposal { by_party: None, accepted_by: Vec::new() }
                });
            }
            Command::Accept | Command::Reject => {
                require(open, CLOSED)?;
                require(actor.is_party(), NOT_A_PARTY)?;
                let Some(proposal) = &self.proposal else {
                    return Err(Refusal::Conflict("Det finns inget förslag att ta ställning till."));
                };
                if command == Command::Reject {
                    next.proposal = None;
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
                require(actor.is_authority(self.level), Refusal::Forbidden(escalation_refusal(self.level)))?;
                let next_level = match self.level {
                    Level::Directors => {
                        return Err(Refusal::Conflict("Nästa steg är att hänskjuta tvisten till allmän domstol."));
                    }
                    level => level.next().ok_or(Refusal::Conflict("Ärendet är redan på den högsta nivån."))?,
                };
                next.enter(next_level);
                level_entered = true;
            }
            Command::ReferToCourt => {
                require(open, CLOSED)?;
                require(
                    self.level == Level::Directors,
                    Refusal::Conflict("Bara en betalningstvist på direktörsnivå kan hänskjutas till allmän domstol."),
                )?;
                require(actor.is_party(), NOT_A_PARTY)?;
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
                require(actor.is_authority(self.level), NOT_AUTHORITY)?;
                next.status = Status::Closed;
                next.proposal = None;
            }
            Command::Close => {
                require(self.status != Status::Closed, Refusal::Conflict("Ärendet är redan avslutat."))?;
                require(
                    actor.acts_for(self, Side::Filer) || actor.is_authority(self.level),
                    Refusal::Forbidden("Bara anmälande part eller den som hanterar nivån kan avsluta ärendet."),
                )?;
                next.status = Status::Closed;
                next.proposal = None;
            }
            Command::Reopen => {
                require(self.status == Status::Closed, Refusal::Conflict("Ärendet är inte avslutat."))?;
                require(
                    actor.is_party() || actor.is_authority(self.level),
                    Refusal::Forbidden("Bara parterna eller den som hanterar nivån kan öppna ärendet igen."),
                )?;
                let level = self.level;
                next.enter(level);
                next.status = if level == Level::Court { Status::AwaitingJudgment } else { Status::Open };
                level_entered = true;
            }
        }
        Ok(Transition { state: next, level_entered, resolved_by_agreement })
    }
}

fn require(condition: bool, refusal: Refusal) -> Result<(), Refusal> {
    if condition {
        Ok(())
    } else {
        Err(refusal)
    }
}

fn escalation_refusal(level: Level) -> &'static str {
    match level.authority() {
        Authority::Parties => "Bara parterna kan lyfta ärendet från den här nivån.",
        Authority::Reviewers => "Bara Storsthlm och HSF kan lyfta ärendet till styrgruppen.",
        Authority::SteeringGroup => "Bara styrgruppen kan lyfta ärendet till VIS.",
        Authority::Secretariat | Authority::Court => "Ärendet kan inte lyftas härifrån.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILER: &str = "kommun-0127";
    const COUNTER: &str = "enh-sos-medicin-52";

    fn case(kind: CaseKind, principled: bool) -> CaseState {
        CaseState::new(kind, principled, vec![(FILER.into(), Side::Filer), (COUNTER.into(), Side::Counterpart)])
    }

    fn party(org: &str) -> Actor {
        Actor { role: Role::Local, party_orgs: vec![org.into()], reviewer_org: None }
    }

    fn outsider() -> Actor {
        Actor { role: Role::Local, party_orgs: vec![], reviewer_org: None }
    }

    fn reviewer(org: ReviewerOrg) -> Actor {
        Actor { role: Role::Reviewer, party_orgs: vec![], reviewer_org: Some(org) }
    }

    fn role(role: Role) -> Actor {
        Actor { role, party_orgs: vec![], reviewer_org: None }
    }

    fn forbidden(result: Result<Transition, Refusal>) -> bool {
        matches!(result, Err(Refusal::Forbidden(_)))
    }

    fn conflict(result: Result<Transition, Refusal>) -> bool {
        matches!(result, Err(Refusal::Conflict(_)))
    }

    fn at(kind: CaseKind, level: Level) -> CaseState {
        let mut state = case(kind, false);
        state.level = level;
        state
    }

    fn decide() -> Command {
        Command::Decide { outcome: Outcome::Upheld, correction: false }
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

    #[test]
    fn a_deviation_climbs_all_four_levels_to_a_vis_decision() {
        let state = case(CaseKind::Deviation, false);
        let state = state.apply(&party(COUNTER), Command::Answer).unwrap().state;
        assert_eq!(state.waiting_for(), WaitingFor::Filer);
        let t = state.apply(&party(FILER), Command::Escalate).unwrap();
        assert!(t.level_entered);
        assert_eq!(t.state.level, Level::Review);
        let state = t.state.apply(&role(Role::Steering), Command::Escalate);
        assert!(forbidden(state.clone()));
        let state = t.state.apply(&reviewer(ReviewerOrg::Hsf), Command::Escalate).unwrap().state;
        assert_eq!((state.level, state.waiting_for()), (Level::Steering, WaitingFor::SteeringGroup));
        let state = state.apply(&role(Role::Steering), Command::Escalate).unwrap().state;
        assert_eq!((state.level, state.waiting_for()), (Level::Vis, WaitingFor::Vis));
        assert!(conflict(state.apply(&role(Role::Secretariat), Command::Escalate)));
        assert!(forbidden(state.apply(&role(Role::Steering), decide())));
        let closed = state.apply(&role(Role::Secretariat), decide()).unwrap().state;
        assert_eq!((closed.status, closed.waiting_for()), (Status::Closed, WaitingFor::Nobody));
    }

    #[test]
    fn only_the_counterpart_answers() {
        let state = case(CaseKind::Deviation, false);
        assert!(forbidden(state.apply(&party(FILER), Command::Answer)));
        assert!(forbidden(state.apply(&outsider(), Command::Answer)));
        assert!(forbidden(state.apply(&reviewer(ReviewerOrg::Hsf), Command::Answer)));
        assert!(state.apply(&party(COUNTER), Command::Answer).unwrap().state.answered);
    }

    #[test]
    fn who_may_escalate_from_each_level() {
        let local = at(CaseKind::Deviation, Level::Local);
        assert!(local.apply(&party(COUNTER), Command::Escalate).is_ok());
        for actor in [outsider(), reviewer(ReviewerOrg::Storsthlm), role(Role::Steering), role(Role::Secretariat), role(Role::Admin)] {
            assert!(forbidden(local.apply(&actor, Command::Escalate)), "{actor:?}");
        }
        let review = at(CaseKind::Deviation, Level::Review);
        assert!(forbidden(review.apply(&party(FILER), Command::Escalate)));
        assert!(review.apply(&reviewer(ReviewerOrg::Storsthlm), Command::Escalate).is_ok());
        let steering = at(CaseKind::Deviation, Level::Steering);
        assert!(forbidden(steering.apply(&reviewer(ReviewerOrg::Hsf), Command::Escalate)));
        assert!(forbidden(steering.apply(&party(FILER), Command::Escalate)));
        assert!(steering.apply(&role(Role::Steering), Command::Escalate).is_ok());
    }

    #[test]
    fn the_joint_proposal_at_level_two_needs_both_assessments() {
        let state = case(CaseKind::Interpretation, true);
        assert!(conflict(state.apply(&reviewer(ReviewerOrg::Hsf), Command::Propose)));
        assert!(forbidden(state.apply(&party(FILER), Command::Assess)));
        assert!(forbidden(state.apply(&role(Role::Steering), Command::Assess)));
        let state = state.apply(&reviewer(ReviewerOrg::Storsthlm), Command::Assess).unwrap().state;
        assert!(conflict(state.apply(&reviewer(ReviewerOrg::Storsthlm), Command::Propose)));
        let state = state.apply(&reviewer(ReviewerOrg::Hsf), Command::Assess).unwrap().state;
        assert!(forbidden(state.apply(&party(FILER), Command::Propose)));
        let state = state.apply(&reviewer(ReviewerOrg::Hsf), Command::Propose).unwrap().state;
        assert_eq!(state.waiting_for(), WaitingFor::Filer);
        assert!(forbidden(state.apply(&reviewer(ReviewerOrg::Hsf), Command::Accept)));
        let state = state.apply(&party(FILER), Command::Accept).unwrap().state;
        assert_eq!(state.waiting_for(), WaitingFor::Counterpart);
        assert!(conflict(state.apply(&party(FILER), Command::Accept)));
        let done = state.apply(&party(COUNTER), Command::Accept).unwrap();
        assert!(done.resolved_by_agreement);
        assert_eq!(done.state.status, Status::Closed);
    }

    #[test]
    fn assessments_belong_to_level_two() {
        assert!(conflict(at(CaseKind::Deviation, Level::Local).apply(&reviewer(ReviewerOrg::Hsf), Command::Assess)));
        assert!(forbidden(at(CaseKind::Deviation, Level::Review).apply(&role(Role::Reviewer), Command::Assess)));
    }

    #[test]
    fn a_party_proposal_is_accepted_by_the_other_party() {
        let state = case(CaseKind::Deviation, false);
        let state = state.apply(&party(COUNTER), Command::Propose).unwrap().state;
        assert_eq!(state.waiting_for(), WaitingFor::Filer);
        assert!(conflict(state.apply(&party(COUNTER), Command::Accept)));
        assert!(forbidden(state.apply(&outsider(), Command::Accept)));
        let done = state.apply(&party(FILER), Command::Accept).unwrap();
        assert!(done.resolved_by_agreement);
    }

    #[test]
    fn rejecting_a_proposal_clears_it() {
        let state = case(CaseKind::Deviation, false).apply(&party(FILER), Command::Propose).unwrap().state;
        let state = state.apply(&party(COUNTER), Command::Reject).unwrap().state;
        assert_eq!(state.proposal, None);
        assert!(conflict(state.apply(&party(COUNTER), Command::Accept)));
        assert!(conflict(state.apply(&party(COUNTER), Command::Reject)));
        assert!(forbidden(state.apply(&outsider(), Command::Reject)));
    }

    #[test]
    fn escalation_resets_the_level_state() {
        let state = case(CaseKind::Deviation, false);
        let state = state.apply(&party(COUNTER), Command::Answer).unwrap().state;
        let state = state.apply(&party(FILER), Command::Propose).unwrap().state;
        let state = state.apply(&party(COUNTER), Command::Escalate).unwrap().state;
        assert!(!state.answered);
        assert_eq!(state.proposal, None);
    }

    #[test]
    fn a_payment_dispute_goes_to_court_and_gets_a_judgment() {
        let state = case(CaseKind::PaymentDispute, false);
        assert!(conflict(state.apply(&party(FILER), Command::ReferToCourt)));
        let state = state.apply(&party(FILER), Command::Escalate).unwrap().state;
        assert_eq!(state.level, Level::Directors);
        assert!(conflict(state.apply(&party(FILER), Command::Escalate)));
        assert!(forbidden(state.apply(&outsider(), Command::ReferToCourt)));
        assert!(forbidden(state.apply(&reviewer(ReviewerOrg::Hsf), Command::ReferToCourt)));
        let t = state.apply(&party(COUNTER), Command::ReferToCourt).unwrap();
        assert!(t.level_entered);
        let state = t.state;
        assert_eq!((state.level, state.status, state.waiting_for()), (Level::Court, Status::AwaitingJudgment, WaitingFor::Court));
        for command in [Command::Answer, Command::Propose, Command::Escalate, Command::Accept, Command::ReferToCourt] {
            assert!(conflict(state.apply(&party(COUNTER), command)), "{command:?}");
        }
        assert!(forbidden(state.apply(&outsider(), decide())));
        let judged = state.apply(&reviewer(ReviewerOrg::Hsf), Command::Decide { outcome: Outcome::PartlyUpheld, correction: false }).unwrap().state;
        assert_eq!(judged.status, Status::Closed);
    }

    #[test]
    fn payment_levels_are_handled_by_the_parties() {
        let state = case(CaseKind::PaymentDispute, false);
        assert!(state.apply(&party(FILER), decide()).is_ok());
        assert!(forbidden(state.apply(&reviewer(ReviewerOrg::Hsf), decide())));
        assert!(forbidden(state.apply(&role(Role::Steering), Command::Escalate)));
    }

    #[test]
    fn a_closed_case_refuses_everything_but_reopening_and_corrections() {
        let closed = case(CaseKind::Deviation, false).apply(&party(FILER), Command::Close).unwrap().state;
        for command in [
            Command::Answer,
            Command::Propose,
            Command::Accept,
            Command::Reject,
            Command::Escalate,
            Command::Assess,
            Command::ReferToCourt,
            decide(),
            Command::Close,
        ] {
            assert!(conflict(closed.apply(&party(FILER), command)), "{command:?}");
        }
        assert!(forbidden(closed.apply(&outsider(), Command::Reopen)));
        let corrected = closed.apply(&party(COUNTER), Command::Decide { outcome: Outcome::Resolved, correction: true }).unwrap();
        assert_eq!(corrected.state.status, Status::Closed);
        let reopened = closed.apply(&party(COUNTER), Command::Reopen).unwrap();
        assert!(reopened.level_entered);
        assert_eq!(reopened.state.status, Status::Open);
        assert!(conflict(reopened.state.apply(&party(FILER), Command::Reopen)));
        assert!(conflict(reopened.state.apply(&party(FILER), Command::Decide { outcome: Outcome::Resolved, correction: true })));
    }

    #[test]
    fn closing_is_for_the_filer_or_the_level_authority() {
        let state = at(CaseKind::Deviation, Level::Steering);
        assert!(forbidden(state.apply(&party(COUNTER), Command::Close)));
        assert!(forbidden(state.apply(&reviewer(ReviewerOrg::Hsf), Command::Close)));
        assert!(state.apply(&party(FILER), Command::Close).is_ok());
        assert!(state.apply(&role(Role::Steering), Command::Close).is_ok());
    }

    #[test]
    fn decisions_at_each_level_belong_to_its_authority() {
        let cases = [
            (Level::Local, party(FILER), role(Role::Steering)),
            (Level::Review, reviewer(ReviewerOrg::Storsthlm), party(FILER)),
            (Level::Steering, role(Role::Steering), reviewer(ReviewerOrg::Hsf)),
            (Level::Vis, role(Role::Secretariat), role(Role::Steering)),
        ];
        for (level, allowed, refused) in cases {
            let state = at(CaseKind::Deviation, level);
            assert!(state.apply(&allowed, decide()).is_ok(), "{level:?}");
            assert!(forbidden(state.apply(&refused, decide())), "{level:?}");
            assert!(forbidden(state.apply(&role(Role::Admin), decide())), "{level:?}");
        }
    }

    #[test]
    fn a_party_with_several_counterparts_needs_everyone_to_accept() {
        let mut state = case(CaseKind::Deviation, false);
        state.parties.push(("kommun-0126".into(), Side::Counterpart));
        let state = state.apply(&party(FILER), Command::Propose).unwrap().state;
        let state = state.apply(&party(COUNTER), Command::Accept).unwrap();
        assert!(!state.resolved_by_agreement);
        assert_eq!(state.state.waiting_for(), WaitingFor::Counterpart);
        let done = state.state.apply(&party("kommun-0126"), Command::Accept).unwrap();
        assert!(done.resolved_by_agreement);
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
        assert_eq!(Status::parse("closed"), Some(Status::Closed));
        assert_eq!(WaitingFor::parse("vis"), Some(WaitingFor::Vis));
        assert_eq!(Side::parse("filer"), Some(Side::Filer));
    }
}
