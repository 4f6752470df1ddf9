//! The administrators' forms, parsed once at the edge: the payment settings and a daily
//! amount ([`PostedSettings`], one page holds both) and the ladders' deadlines
//! ([`PostedDeadlines`]). Each parser collects every field's error in one step.

use super::forms::FieldErrors;
use crate::domain::deadlines::{self, DayCount, DeadlineRule};
use crate::domain::ladder::{Level, ALL_LEVELS};
use crate::domain::payment::Fraction;
use crate::domain::text;
use crate::store::settings::Settings;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;

/// The payment settings page's two forms as posted, or as the page fills them in.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct PostedSettings {
    pub county_average: String,
    pub active_from: String,
    pub transition_end: String,
    pub year: String,
    pub amount: String,
    pub source: String,
    pub submission: String,
}

impl PostedSettings {
    /// The settings as they are, to fill in the form.
    pub fn of(s: &Settings) -> PostedSettings {
        PostedSettings {
            county_average: s.county_average_oct_2020.map(|f| f.two_decimals()).unwrap_or_default(),
            active_from: s.payment_responsibility_from.map(|d| d.to_string()).unwrap_or_default(),
            transition_end: s.psychiatric_transition_end.to_string(),
            ..PostedSettings::default()
        }
    }

    /// The payment settings, or every field's error.
    pub fn settings(&self) -> Result<Settings, FieldErrors> {
        let mut errors = FieldErrors::default();
        let average = match self.county_average.trim() {
            "" => None,
            typed => {
                let parsed = Fraction::parse_decimal(typed);
                if parsed.is_none() {
                    errors.add("county_average", "Ange genomsnittet med högst två decimaler, till exempel 1,87, eller lämna tomt.");
                }
                parsed
            }
        };
        let date = |typed: &str| NaiveDate::parse_from_str(typed.trim(), "%Y-%m-%d").ok();
        let active_from = date(&self.active_from);
        if active_from.is_none() && !self.active_from.trim().is_empty() {
            errors.add("active_from", "Ange datumet som ÅÅÅÅ-MM-DD, eller lämna tomt så länge betalningsansvaret inte gäller.");
        }
        let transition_end = date(&self.transition_end);
        if transition_end.is_none() {
            errors.add("transition_end", "Ange datumet som ÅÅÅÅ-MM-DD.");
        }
        match transition_end {
            Some(end) if errors.is_empty() => {
                Ok(Settings { county_average_oct_2020: average, payment_responsibility_from: active_from, psychiatric_transition_end: end })
            }
            _ => Err(errors),
        }
    }

    /// A year's daily amount, or every field's error.
    pub fn daily_rate(&self) -> Result<DailyRate, FieldErrors> {
        let mut errors = FieldErrors::default();
        let year = self.year.trim().parse::<i32>().ok().filter(|y| (2019..=2100).contains(y));
        if year.is_none() {
            errors.add("year", "Ange ett år, till exempel 2024.");
        }
        let amount = self.amount.chars().filter(|c| !c.is_whitespace()).collect::<String>().parse::<i64>().ok().filter(|a| (1..=100_000).contains(a));
        if amount.is_none() {
            errors.add("amount", "Ange dagbeloppet i hela kronor, till exempel 9 600.");
        }
        let source = errors.check("source", text::required_line(&self.source, 300, "Ange källan, till exempel Socialstyrelsens föreskrift."));
        match (year, amount, source) {
            (Some(year), Some(amount), Some(source)) => Ok(DailyRate { year, amount, source }),
            _ => Err(errors),
        }
    }
}

/// The daily amount of a year in whole kronor, and where it comes from.
#[derive(Debug, PartialEq, Eq)]
pub struct DailyRate {
    pub year: i32,
    pub amount: i64,
    pub source: String,
}

/// The deadlines form as posted: `days_<level>` and `count_<level>` for every level.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct PostedDeadlines {
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

/// One level's row of the deadlines form, as typed (shown again when refused).
pub struct TypedDeadline {
    pub level: Level,
    pub days: String,
    pub count: DayCount,
}

impl PostedDeadlines {
    pub fn submission(&self) -> &str {
        self.fields.get("submission").map_or("", String::as_str)
    }

    /// What was typed for each level.
    pub fn typed(&self) -> Vec<TypedDeadline> {
        let field = |name: String| self.fields.get(&name).map_or("", String::as_str);
        ALL_LEVELS
            .into_iter()
            .map(|level| TypedDeadline {
                level,
                days: field(format!("days_{}", level.as_str())).trim().to_owned(),
                count: DayCount::parse(field(format!("count_{}", level.as_str()))).unwrap_or(DayCount::Calendar),
            })
            .collect()
    }

    /// Each level's deadline (none where left empty), or every level's error.
    pub fn rules(&self) -> Result<Vec<(Level, Option<DeadlineRule>)>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut rules = Vec::new();
        for typed in self.typed() {
            let rule = match typed.days.parse::<u32>() {
                _ if typed.days.is_empty() => None,
                Ok(days) if (1..=deadlines::MAX_DAYS).contains(&days) => Some(DeadlineRule { days, count: typed.count }),
                _ => {
                    let level = typed.level;
                    let message =
                        format!("{}: ange ett antal dagar mellan 1 och {}, eller lämna tomt för ingen frist.", level.label(), deadlines::MAX_DAYS);
                    errors.add(level.field_name(), message);
                    None
                }
            };
            rules.push((typed.level, rule));
        }
        if errors.is_empty() {
            Ok(rules)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::forms::read;

    #[test]
    fn a_daily_amount_takes_spaces_and_refuses_each_bad_field_at_once() {
        let posted: PostedSettings = read(b"year=2024&amount=9+600&source=SOSFS").unwrap();
        assert_eq!(posted.daily_rate().ok(), Some(DailyRate { year: 2024, amount: 9600, source: "SOSFS".into() }));
        let posted: PostedSettings = read(b"year=1999&amount=0&source=+").unwrap();
        let errors = posted.daily_rate().unwrap_err();
        assert_eq!(errors.fields(), ["year", "amount", "source"]);
    }

    #[test]
    fn settings_need_a_transition_end_and_well_formed_optional_fields() {
        let posted: PostedSettings = read(b"county_average=1,87&active_from=&transition_end=2025-12-31").unwrap();
        let settings = posted.settings().unwrap();
        assert_eq!(settings.payment_responsibility_from, None);
        assert_eq!(settings.psychiatric_transition_end, NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
        assert_eq!(settings.county_average_oct_2020.map(|f| f.two_decimals()).as_deref(), Some("1.87"));
        let posted: PostedSettings = read(b"county_average=1,875&active_from=ig%C3%A5r").unwrap();
        let errors = posted.settings().unwrap_err();
        assert_eq!(errors.fields(), ["county_average", "active_from", "transition_end"]);
    }

    #[test]
    fn the_settings_form_is_filled_in_with_the_settings_as_they_are() {
        let posted: PostedSettings = read(b"county_average=2,10&active_from=2024-01-01&transition_end=2025-06-30").unwrap();
        let settings = posted.settings().unwrap();
        let again = PostedSettings::of(&settings);
        assert_eq!((again.county_average.as_str(), again.active_from.as_str(), again.transition_end.as_str()), ("2.10", "2024-01-01", "2025-06-30"));
    }

    #[test]
    fn deadlines_are_days_per_level_with_empty_for_none() {
        let posted: PostedDeadlines = read(b"days_local=14&count_local=working&days_review=&submission=k").unwrap();
        let rules = posted.rules().unwrap();
        assert_eq!(rules.len(), ALL_LEVELS.len());
        assert_eq!(rules[0], (Level::Local, Some(DeadlineRule { days: 14, count: DayCount::Working })));
        assert!(rules[1..].iter().all(|(_, rule)| rule.is_none()));
        assert_eq!(posted.submission(), "k");
    }

    #[test]
    fn a_deadline_out_of_range_is_refused_at_its_level_and_kept_as_typed() {
        let posted: PostedDeadlines = read(b"days_local=0&days_vis=x").unwrap();
        let errors = posted.rules().unwrap_err();
        assert_eq!(errors.fields(), [Level::Local.field_name(), Level::Vis.field_name()]);
        assert_eq!(posted.typed()[0].days, "0");
    }
}
