//! Nothing typed is lost to a session time-out (WCAG 2.2.1). A form posted after its session
//! ended is kept (`store::kept_forms`) and the user is sent to sign in; signing in brings them
//! back to the page the form was on, where the kept fields are filled into that form as the
//! page is sent, under a notice. Works for every urlencoded form without the handlers knowing.

use crate::store::kept_forms::KeptForm;
use lol_html::html_content::ContentType;
use lol_html::{element, rewrite_str, EndTagHandler, RewriteStrSettings};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The query parameter that asks for a kept form to be filled in.
pub const RESTORE: &str = "aterstall";

/// Fields the page always gives afresh: the token, the case version and the form's key.
const FRESH: [&str; 3] = ["csrf", "version", "submission"];

const NOTICE: &str = r#"<div class="notis varning" role="status"><p><strong>Du loggades ut eftersom du inte hade varit aktiv på en stund.</strong> Det du skrev sparades och är ifyllt här igen. Kontrollera det och skicka formuläret en gång till.</p></div>"#;

/// The fields of a posted urlencoded form worth keeping, in order.
pub fn fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().filter(|(name, _)| !FRESH.contains(&name.as_str())).collect()
}

/// The page the form was on: the Referer's path and query when it is a page of this service
/// (`base_url`), otherwise the address the form was posted to.
pub fn page_of(referer: Option<&str>, base_url: &str, form_path: &str) -> String {
    referer
        .and_then(|r| r.strip_prefix(base_url.trim_end_matches('/')))
        .filter(|path| path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'))
        .map_or_else(|| form_path.to_owned(), |path| path.split('#').next().unwrap_or(path).to_owned())
}

/// `page` with the parameter that fills in kept form `id` (any earlier one replaced).
pub fn with_restore(page: &str, id: &str) -> String {
    let (path, query) = page.split_once('?').unwrap_or((page, ""));
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()).filter(|(name, _)| name != RESTORE) {
        pairs.append_pair(&name, &value);
    }
    pairs.append_pair(RESTORE, id);
    format!("{path}?{}", pairs.finish())
}

/// The kept form's id asked for in a query string.
pub fn requested(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == RESTORE).map(|(_, id)| id.into_owned())
}

/// The page with the kept fields filled into the form they were posted from, and the notice
/// at the top of its main content. The form is the one posted to the same address whose
/// hidden fields (which come first in every form) agree with the kept ones: on a case page
/// all action forms post to one address and differ by their hidden `action`.
pub fn refill(html: &str, kept: &KeptForm) -> String {
    let values = |name: &str| -> Vec<&str> { kept.fields.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect() };
    let action = values("action").first().map(|a| a.to_string());
    let in_form = Rc::new(Cell::new(false));
    let select: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    let settings = RewriteStrSettings {
        element_content_handlers: vec![
            element!("main", |el| {
                el.prepend(NOTICE, ContentType::Html);
                Ok(())
            }),
            element!("details[data-form]", |el| {
                if action.is_some() && el.get_attribute("data-form") == action {
                    el.set_attribute("open", "")?;
                }
                Ok(())
            }),
            element!("form", |el| {
                in_form.set(el.get_attribute("action").as_deref() == Some(kept.form_path.as_str()));
                let ended = in_form.clone();
                let at_end: EndTagHandler<'static> = Box::new(move |_| {
                    ended.set(false);
                    Ok(())
                });
                if let Some(handlers) = el.end_tag_handlers() {
                    handlers.push(at_end);
                }
                Ok(())
            }),
            element!("input[name]", |el| {
                if !in_form.get() {
                    return Ok(());
                }
                let name = el.get_attribute("name").unwrap_or_default();
                let kind = el.get_attribute("type").unwrap_or_default().to_ascii_lowercase();
                let kept_values = values(&name);
                match kind.as_str() {
                    "hidden" => {
                        let own = el.get_attribute("value").unwrap_or_default();
                        if !kept_values.is_empty() && !kept_values.contains(&own.as_str()) {
                            in_form.set(false);
                        }
                    }
                    "password" | "file" | "submit" | "button" | "image" | "reset" => {}
                    "checkbox" | "radio" => {
                        let own = el.get_attribute("value").unwrap_or_else(|| "on".into());
                        if kept_values.contains(&own.as_str()) {
                            el.set_attribute("checked", "")?;
                        } else {
                            el.remove_attribute("checked");
                        }
                    }
                    _ => {
                        if let Some(value) = kept_values.first() {
                            el.set_attribute("value", value)?;
                        }
                    }
                }
                Ok(())
            }),
            element!("textarea[name]", |el| {
                if in_form.get() {
                    if let Some(value) = values(&el.get_attribute("name").unwrap_or_default()).first() {
                        el.set_inner_content(value, ContentType::Text);
                    }
                }
                Ok(())
            }),
            element!("select[name]", |el| {
                let name = el.get_attribute("name").unwrap_or_default();
                *select.borrow_mut() = (in_form.get() && !values(&name).is_empty()).then_some(name);
                let ended = select.clone();
                let at_end: EndTagHandler<'static> = Box::new(move |_| {
                    *ended.borrow_mut() = None;
                    Ok(())
                });
                if let Some(handlers) = el.end_tag_handlers() {
                    handlers.push(at_end);
                }
                Ok(())
            }),
            element!("option", |el| {
                if let Some(name) = select.borrow().as_deref() {
                    if values(name).contains(&el.get_attribute("value").unwrap_or_default().as_str()) {
                        el.set_attribute("selected", "")?;
                    } else {
                        el.remove_attribute("selected");
                    }
                }
                Ok(())
            }),
        ],
        ..RewriteStrSettings::new()
    };
    // The page was rendered by our own templates; should it not parse, it is sent as it was.
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(form_path: &str, fields: &[(&str, &str)]) -> KeptForm {
        KeptForm { form_path: form_path.into(), page_path: "/".into(), fields: fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect() }
    }

    #[test]
    fn the_fresh_fields_are_not_kept() {
        let body = b"csrf=abc&version=3&submission=k&action=comment&text=Hej+d%C3%A5";
        assert_eq!(fields(body), [("action".to_owned(), "comment".to_owned()), ("text".to_owned(), "Hej då".to_owned())]);
    }

    #[test]
    fn the_page_is_the_referer_on_this_site_only() {
        let base = "https://tvist.example";
        assert_eq!(page_of(Some("https://tvist.example/arenden/AV-1#atgarder"), base, "/arenden/AV-1/atgard"), "/arenden/AV-1");
        assert_eq!(page_of(Some("https://evil.example/arenden"), base, "/arenden/nytt"), "/arenden/nytt");
        assert_eq!(page_of(Some("https://tvist.example//evil.example"), base, "/arenden/nytt"), "/arenden/nytt");
        assert_eq!(page_of(None, base, "/arenden/nytt"), "/arenden/nytt");
        assert_eq!(with_restore("/arenden/nytt?typ=deviation&aterstall=old", "new"), "/arenden/nytt?typ=deviation&aterstall=new");
        assert_eq!(requested("typ=deviation&aterstall=abc"), Some("abc".into()));
    }

    #[test]
    fn the_form_posted_is_filled_in_and_no_other() {
        let page = r#"<main id="innehall"><details data-form="propose"><summary>F</summary>
            <form method="post" action="/arenden/A/atgard"><input type="hidden" name="action" value="propose"><textarea name="text"></textarea></form></details>
            <details data-form="decide"><summary>B</summary>
            <form method="post" action="/arenden/A/atgard"><input type="hidden" name="action" value="decide">
            <select name="outcome"><option value="">Välj</option><option value="upheld">Bifall</option></select>
            <input type="text" name="decided_on" value="2026-11-30"><input type="checkbox" name="register" checked>
            <textarea name="text"></textarea></form></details>
            <form method="get" action="/arenden"><input type="text" name="q"></form></main>"#;
        let form = kept(
            "/arenden/A/atgard",
            &[("action", "decide"), ("outcome", "upheld"), ("decided_on", "2026-11-20"), ("text", "<Beslut> & skäl"), ("q", "x")],
        );
        let filled = refill(page, &form);
        assert!(filled.contains(r#"<main id="innehall"><div class="notis varning" role="status">"#), "{filled}");
        assert!(filled.contains(r#"<details data-form="decide" open="">"#) && filled.contains(r#"<details data-form="propose">"#), "{filled}");
        assert!(filled.contains(r#"<option value="upheld" selected="">"#) && filled.contains(r#"<option value="">Välj</option>"#), "{filled}");
        assert!(filled.contains(r#"name="decided_on" value="2026-11-20""#), "{filled}");
        assert!(filled.contains(r#"<input type="checkbox" name="register">"#), "an unticked box stays unticked: {filled}");
        assert!(filled.contains("<textarea name=\"text\">&lt;Beslut&gt; &amp; skäl</textarea>"), "{filled}");
        assert_eq!(filled.matches("&lt;Beslut&gt;").count(), 1, "only the decision's form: {filled}");
        assert!(filled.contains(r#"<input type="text" name="q">"#), "a form posted elsewhere is left alone");
    }
}
