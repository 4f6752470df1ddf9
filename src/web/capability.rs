//! Authority in types. A handler states what it needs by the extractor it takes:
//! [`CurrentUser`] for any signed-in user, [`AdminUser`], [`CaseFiler`], [`PaymentOfficer`]
//! or [`LocalManager`] for more. Each refuses (403, audited by the gate) before the handler
//! body runs, whatever path the request was routed by. The route table is read off the same
//! types ([`Needs`]), so the test that walks every route and role checks what the handlers
//! really demand, not a list kept beside them.

use super::error::AppError;
use super::guard::{CurrentUser, Visitor};
use crate::domain::access::{requires_second_factor, Capability};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpRequest, Responder};
use std::future::{ready, Ready};

/// What an extractor demands of the request's user. Extractors that carry no authority need
/// nothing ([`Capability::Public`]); a tuple of extractors needs the strictest of them.
pub trait Needs {
    const NEEDS: Capability = Capability::Public;
}

impl Needs for CurrentUser {
    const NEEDS: Capability = Capability::SignedIn;
}
impl Needs for Visitor {}
impl Needs for HttpRequest {}
impl Needs for web::Bytes {}
impl Needs for actix_multipart::Multipart {}
impl<T> Needs for web::Data<T> {}
impl<T> Needs for web::Path<T> {}
impl<T> Needs for web::Query<T> {}
impl<T> Needs for web::Form<T> {}
impl<T> Needs for super::forms::Posted<T> {}

macro_rules! needs_of_tuple {
    ($($t:ident),*) => {
        impl<$($t: Needs),*> Needs for ($($t,)*) {
            const NEEDS: Capability = Capability::Public$(.stricter($t::NEEDS))*;
        }
    };
}
needs_of_tuple!();
needs_of_tuple!(A);
needs_of_tuple!(A, B);
needs_of_tuple!(A, B, C);
needs_of_tuple!(A, B, C, D);
needs_of_tuple!(A, B, C, D, E);

/// A signed-in user holding one capability; derefs to the [`CurrentUser`].
macro_rules! capability {
    ($(#[$doc:meta])* $name:ident => $capability:expr) => {
        $(#[$doc])*
        pub struct $name(CurrentUser);

        impl std::ops::Deref for $name {
            type Target = CurrentUser;
            fn deref(&self) -> &CurrentUser {
                &self.0
            }
        }

        impl Needs for $name {
            const NEEDS: Capability = $capability;
        }

        impl FromRequest for $name {
            type Error = AppError;
            type Future = Ready<Result<Self, AppError>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                ready(granted(req, payload, $capability).map($name))
            }
        }
    };
}

const SECOND_FACTOR_FIRST: &str =
    "Administratörer måste använda tvåstegsverifiering. Aktivera den under Tvåstegsverifiering (/konto/tvastegsverifiering) och logga in igen.";

/// The signed-in user if they hold `capability`; otherwise the refusal the gate audits.
fn granted(req: &HttpRequest, payload: &mut Payload, capability: Capability) -> Result<CurrentUser, AppError> {
    let user = CurrentUser::from_request(req, payload).into_inner()?;
    if !capability.granted(user.user.role, &user.user.organisation_id) {
        return Err(AppError::Forbidden(capability.refusal()));
    }
    if capability == Capability::Administer && requires_second_factor(user.user.role) && !user.user.second_factor {
        return Err(AppError::Forbidden(SECOND_FACTOR_FIRST));
    }
    Ok(user)
}

capability!(
    /// An administrator.
    AdminUser => Capability::Administer
);
capability!(
    /// A local manager or a Storsthlm/HSF officer, who may file cases.
    CaseFiler => Capability::FileCases
);
capability!(
    /// An HSF officer (or an administrator) doing the payment work.
    PaymentOfficer => Capability::PaymentOfficer
);
capability!(
    /// A local user, who answers their own unit's review basis.
    LocalManager => Capability::AnswerReview
);

/// One registered route and what its handler needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub pattern: String,
    pub needs: Capability,
}

/// Where routes are declared: into the app, or into a [`RouteTable`] that lists them.
pub trait Routes: Sized {
    fn add<F, Args>(&mut self, method: Method, pattern: &str, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + Needs + 'static,
        F::Output: Responder + 'static;

    /// Routes under a common prefix.
    fn scope(&mut self, prefix: &str, routes: fn(&mut Self));

    fn get<F, Args>(&mut self, pattern: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + Needs + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, pattern, handler);
        self
    }

    fn post<F, Args>(&mut self, pattern: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + Needs + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, pattern, handler);
        self
    }
}

impl Routes for web::ServiceConfig {
    fn add<F, Args>(&mut self, method: Method, pattern: &str, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + Needs + 'static,
        F::Output: Responder + 'static,
    {
        self.route(pattern, web::method(method).to(handler));
    }

    fn scope(&mut self, prefix: &str, routes: fn(&mut Self)) {
        self.service(web::scope(prefix).configure(routes));
    }
}

/// The routes as a list, read off the handlers' types.
#[derive(Default)]
pub struct RouteTable {
    prefix: String,
    pub routes: Vec<Route>,
}

impl Routes for RouteTable {
    fn add<F, Args>(&mut self, method: Method, pattern: &str, _handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + Needs + 'static,
        F::Output: Responder + 'static,
    {
        self.routes.push(Route { method: method.to_string(), pattern: format!("{}{pattern}", self.prefix), needs: Args::NEEDS });
    }

    fn scope(&mut self, prefix: &str, routes: fn(&mut Self)) {
        let inner = format!("{}{prefix}", self.prefix);
        let outer = std::mem::replace(&mut self.prefix, inner);
        routes(self);
        self.prefix = outer;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::Role;
    use actix_web::HttpMessage;

    async fn admin_page(_state: web::Data<()>, _admin: AdminUser, _id: web::Path<String>) -> &'static str {
        "admin"
    }
    async fn own_page(_user: CurrentUser) -> &'static str {
        "own"
    }
    async fn public_page(_visitor: Visitor, _query: web::Query<()>) -> &'static str {
        "public"
    }
    async fn upload(_officer: PaymentOfficer, _body: web::Bytes) -> &'static str {
        "upload"
    }

    fn declare<R: Routes>(routes: &mut R) {
        routes.get("/", own_page).get("/in", public_page);
        routes.scope("/admin", |r| {
            r.get("/x/{id}", admin_page);
        });
        routes.post("/upload", upload);
    }

    #[test]
    fn the_table_is_read_off_the_handlers_types() {
        let mut table = RouteTable::default();
        declare(&mut table);
        let listed: Vec<(&str, &str, Capability)> = table.routes.iter().map(|r| (r.method.as_str(), r.pattern.as_str(), r.needs)).collect();
        assert_eq!(
            listed,
            [
                ("GET", "/", Capability::SignedIn),
                ("GET", "/in", Capability::Public),
                ("GET", "/admin/x/{id}", Capability::Administer),
                ("POST", "/upload", Capability::PaymentOfficer),
            ]
        );
    }

    fn request_as(role: Option<(Role, &str, bool)>) -> (HttpRequest, Payload) {
        let (req, payload) = actix_web::test::TestRequest::default().to_http_parts();
        if let Some((role, organisation_id, second_factor)) = role {
            let user = crate::store::users::User {
                id: "u".into(),
                email: "u@example.org".into(),
                name: "U".into(),
                organisation_id: organisation_id.into(),
                role,
                active: true,
                created_at: chrono::NaiveDateTime::default(),
                second_factor,
                director: false,
                awaiting_confirmation: false,
            };
            let current = CurrentUser {
                user,
                organisation_name: String::new(),
                has_units: crate::store::sessions::HasUnits(false),
                csrf: String::new(),
                session_token: String::new(),
                ip: String::new(),
                idle_minutes: 30,
            };
            req.extensions_mut().insert(current);
        }
        (req, payload)
    }

    /// The status an extractor answers with for a user (None: nobody signed in), or 200.
    fn status<E: FromRequest<Error = AppError, Future = Ready<Result<E, AppError>>>>(role: Option<(Role, &str, bool)>) -> u16 {
        use actix_web::ResponseError;
        let (req, mut payload) = request_as(role);
        match E::from_request(&req, &mut payload).into_inner() {
            Ok(_) => 200,
            Err(e) => e.status_code().as_u16(),
        }
    }

    #[test]
    fn each_extractor_lets_in_exactly_its_holders() {
        use Role::*;
        let people =
            [(Local, "kommun-0127"), (Reviewer, "storsthlm"), (Reviewer, "hsf"), (Steering, "styrgruppen"), (Secretariat, "vis"), (Admin, "region")];
        for (role, organisation) in people {
            let who = Some((role, organisation, true));
            assert_eq!(status::<CurrentUser>(who), 200);
            assert_eq!(status::<AdminUser>(who), if role == Admin { 200 } else { 403 }, "{role:?}");
            assert_eq!(status::<CaseFiler>(who), if matches!(role, Local | Reviewer) { 200 } else { 403 }, "{role:?}");
            assert_eq!(status::<LocalManager>(who), if role == Local { 200 } else { 403 }, "{role:?}");
            let officer = role == Admin || (role == Reviewer && organisation == "hsf");
            assert_eq!(status::<PaymentOfficer>(who), if officer { 200 } else { 403 }, "{role:?} {organisation}");
        }
        assert_eq!(status::<AdminUser>(Some((Admin, "region", false))), 403, "an administrator without a second factor");
        assert_eq!(status::<PaymentOfficer>(Some((Admin, "region", false))), 200);
        for nobody in [
            status::<CurrentUser>(None),
            status::<AdminUser>(None),
            status::<CaseFiler>(None),
            status::<PaymentOfficer>(None),
            status::<LocalManager>(None),
        ] {
            assert_eq!(nobody, 403);
        }
    }

    #[test]
    fn a_tuple_needs_its_strictest_member() {
        assert_eq!(<(web::Data<()>, CurrentUser, AdminUser)>::NEEDS, Capability::Administer);
        assert_eq!(<(web::Data<()>, web::Path<String>)>::NEEDS, Capability::Public);
        assert_eq!(<(CurrentUser, web::Query<()>)>::NEEDS, Capability::SignedIn);
    }
}
