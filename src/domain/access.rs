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
}
