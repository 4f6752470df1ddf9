//! Who may see what (deny by default). The web layer asks these functions and nothing else.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Files and answers cases for its own organisation.
    Local,
    /// A Storsthlm or HSF officer (level 2 of the deviation ladder).
    Reviewer,
    /// A member of the steering group (level 3).
    Steering,
    /// The VIS secretariat (level 4).
    Secretariat,
    Admin,
}

pub const ALL_ROLES: [Role; 5] = [Role::Local, Role::Reviewer, Role::Steering, Role::Secretariat, Role::Admin];

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Local => "local",
            Role::Reviewer => "reviewer",
            Role::Steering => "steering",
            Role::Secretariat => "secretariat",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Local => "Lokal chef",
            Role::Reviewer => "Handläggare Storsthlm/HSF",
            Role::Steering => "Styrgruppsledamot",
            Role::Secretariat => "VIS-sekretariatet",
            Role::Admin => "Administratör",
        }
    }

    /// Whether the role files cases: local managers, and Storsthlm and HSF officers.
    pub fn files_cases(self) -> bool {
        matches!(self, Role::Local | Role::Reviewer)
    }

    /// Whether the role sees the whole county rather than its own organisation.
    pub fn sees_county(self) -> bool {
        !matches!(self, Role::Local)
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_ROLES.into_iter().find(|r| r.as_str() == s.trim()).ok_or(UnknownRole)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct UnknownRole;

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown role; use one of: local, reviewer, steering, secretariat, admin")
    }
}

/// What a page or form needs of its user. Every route's handler names one (through the
/// extractor it takes, see `web::capability`), so authority never depends on how a URL is
/// spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Anyone, signed in or not: signing in, resetting a password.
    Public,
    /// Any signed-in user; what they then see is limited by their [`Scope`].
    SignedIn,
    /// Files cases: local managers and Storsthlm/HSF officers.
    FileCases,
    /// Answers a review basis for its own municipality or district: local users.
    AnswerReview,
    /// HSF's payment work (imports, publishing review bases), and administrators.
    PaymentOfficer,
    /// Accounts, units, deadlines, payment settings, the outbox and the audit log.
    Administer,
}

pub const ALL_CAPABILITIES: [Capability; 6] =
    [Capability::Public, Capability::SignedIn, Capability::FileCases, Capability::AnswerReview, Capability::PaymentOfficer, Capability::Administer];

impl Capability {
    /// Whether a signed-in user with this role in this organisation holds the capability.
    pub fn granted(self, role: Role, organisation_id: &str) -> bool {
        match self {
            Capability::Public | Capability::SignedIn => true,
            Capability::FileCases => role.files_cases(),
            Capability::AnswerReview => role == Role::Local,
            Capability::PaymentOfficer => role == Role::Admin || (role == Role::Reviewer && organisation_id == "hsf"),
            Capability::Administer => role == Role::Admin,
        }
    }

    /// The Swedish sentence a refused user reads.
    pub fn refusal(self) -> &'static str {
        match self {
            Capability::Public | Capability::SignedIn => "Du måste logga in.",
            Capability::FileCases => "Ärenden anmäls av lokala chefer och av handläggare på Storsthlm och HSF.",
            Capability::AnswerReview => "Granskningsunderlaget besvaras av den betalningsansvariga kommunen eller stadsdelen.",
            Capability::PaymentOfficer => "Vårdtillfällen importeras och granskningsunderlag publiceras av HSF.",
            Capability::Administer => "Sidan är till för administratörer.",
        }
    }

    /// The stricter of two needs: a handler taking both a signed-in user and an
    /// administrator needs an administrator. The specific capabilities never meet in one
    /// handler, so their order among themselves does not matter.
    pub const fn stricter(self, other: Capability) -> Capability {
        if (other as u8) > (self as u8) {
            other
        } else {
            self
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Public => "public",
            Capability::SignedIn => "signed_in",
            Capability::FileCases => "file_cases",
            Capability::AnswerReview => "answer_review",
            Capability::PaymentOfficer => "payment_officer",
            Capability::Administer => "administer",
        }
    }
}

/// Who may be granted the director capacity (domain.md §4.1): someone who acts for a party,
/// a local manager, or an HSF officer (HSF invoices in the average model).
pub fn may_hold_director_capacity(role: Role) -> bool {
    matches!(role, Role::Local | Role::Reviewer)
}

/// Administrators sign in with a second factor: their account can change everyone's.
pub fn requires_second_factor(role: Role) -> bool {
    role == Role::Admin
}

/// What a signed-in user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    County,
    /// The user's organisation and everything below it (a Stockholm city user also sees
    /// its districts; a district user only its district).
    Subtree(String),
}

impl Scope {
    pub fn for_user(role: Role, organisation_id: &str) -> Scope {
        if role.sees_county() {
            Scope::County
        } else {
            Scope::Subtree(organisation_id.to_owned())
        }
    }

    /// `lineage` is the organisation itself followed by its ancestors.
    pub fn covers<'a>(&self, mut lineage: impl Iterator<Item = &'a str>) -> bool {
        match self {
            Scope::County => true,
            Scope::Subtree(root) => lineage.any(|id| id == root),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_is_refused() {
        for role in ALL_ROLES {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("superuser".parse::<Role>(), Err(UnknownRole));
    }

    #[test]
    fn only_local_users_are_limited_to_their_organisation() {
        assert_eq!(Scope::for_user(Role::Local, "kommun-0127"), Scope::Subtree("kommun-0127".into()));
        for role in [Role::Reviewer, Role::Steering, Role::Secretariat, Role::Admin] {
            assert_eq!(Scope::for_user(role, "hsf"), Scope::County);
        }
    }

    #[test]
    fn a_city_user_sees_its_districts_and_a_district_user_only_its_own() {
        let city = Scope::Subtree("kommun-0180".into());
        let district = Scope::Subtree("sdo-bromma".into());
        let bromma = ["sdo-bromma", "kommun-0180"];
        let farsta = ["sdo-farsta", "kommun-0180"];
        let city_itself = ["kommun-0180"];
        assert!(city.covers(bromma.into_iter()));
        assert!(city.covers(city_itself.into_iter()));
        assert!(district.covers(bromma.into_iter()));
        assert!(!district.covers(farsta.into_iter()));
        assert!(!district.covers(city_itself.into_iter()));
    }

    #[test]
    fn a_municipality_user_does_not_see_a_neighbour() {
        let botkyrka = Scope::Subtree("kommun-0127".into());
        assert!(!botkyrka.covers(["kommun-0126"].into_iter()));
        assert!(Scope::County.covers(["kommun-0126"].into_iter()));
    }

    #[test]
    fn capabilities_follow_role_and_organisation() {
        use Capability::*;
        for role in ALL_ROLES {
            assert!(SignedIn.granted(role, "kommun-0127"));
            assert_eq!(Administer.granted(role, "region"), role == Role::Admin);
            assert_eq!(AnswerReview.granted(role, "kommun-0127"), role == Role::Local);
            assert_eq!(FileCases.granted(role, "kommun-0127"), matches!(role, Role::Local | Role::Reviewer));
        }
        assert!(PaymentOfficer.granted(Role::Reviewer, "hsf"));
        assert!(!PaymentOfficer.granted(Role::Reviewer, "storsthlm"));
        assert!(!PaymentOfficer.granted(Role::Local, "hsf"));
        assert!(PaymentOfficer.granted(Role::Admin, "region"));
        assert!(!Administer.granted(Role::Local, "region"));
    }

    #[test]
    fn the_stricter_need_wins() {
        assert_eq!(Capability::Public.stricter(Capability::SignedIn), Capability::SignedIn);
        assert_eq!(Capability::Administer.stricter(Capability::SignedIn), Capability::Administer);
        assert_eq!(Capability::SignedIn.stricter(Capability::Public), Capability::SignedIn);
        for c in ALL_CAPABILITIES {
            assert_ne!(c.refusal(), "");
            assert_eq!(c.stricter(c), c);
        }
    }
}
