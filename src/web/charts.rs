//! Charts drawn on the server as SVG: readable without JavaScript, with a title and a
//! description for screen readers (the figures are also in the table beside each chart),
//! labels and values written out, and colours with enough contrast to print in black.

use std::fmt::Write;

/// One bar: its label and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A label cut to fit its column; the full text is in the description and the table.
fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        format!("{}…", label.chars().take(max - 1).collect::<String>())
    }
}

/// What the values count, in the singular and the plural: ("ärende", "ärenden").
pub type Unit = (&'static str, &'static str);

/// A description that reads the whole chart out: "Botkyrka 3 ärenden, Huddinge 1 ärende".
fn read_out(bars: &[Bar], (one, many): Unit) -> String {
    let items: Vec<String> = bars.iter().map(|b| format!("{} {}", b.label, super::format::count(b.value, one, many))).collect();
    items.join(", ")
}

const BAR_COLOUR: &str = "#1f5f8b";
/// As many characters as fit left of the bars at 13 px, with room to spare.
const LABEL_MAX: usize = 36;
const TEXT_COLOUR: &str = "#1b1b1b";

/// Horizontal bars, one row per label: for categories (commitments, levels).
pub fn bars(id: &str, title: &str, unit: Unit, bars: &[Bar]) -> String {
    let (label_width, bar_space, row) = (300.0, 300.0, 26.0);
    let width = label_width + bar_space + 80.0;
    let height = row * bars.len().max(1) as f64 + 10.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-titel {id}-beskrivning"><title id="{id}-titel">{}</title><desc id="{id}-beskrivning">{}</desc>"#,
        escape(title),
        escape(&read_out(bars, unit))
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 5.0 + row * i as f64;
        let length = (bar.value as f64 / max * bar_space).max(if bar.value > 0 { 2.0 } else { 0.0 });
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" font-size="13" fill="{TEXT_COLOUR}">{}</text><rect x="{label_width}" y="{}" width="{length:.1}" height="{}" fill="{BAR_COLOUR}"/><text x="{:.1}" y="{}" font-size="13" fill="{TEXT_COLOUR}">{}</text>"#,
            label_width - 8.0,
            y + 16.0,
            escape(&short(&bar.label, LABEL_MAX)),
            y + 3.0,
            row - 8.0,
            label_width + length + 6.0,
            y + 16.0,
            super::format::integer(bar.value)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical columns over time, one per label (months), values above each column. Where
/// the columns are too narrow for their texts, labels and values are set at a slant, and a
/// margin on each side keeps the outermost ones inside the picture.
pub fn columns(id: &str, title: &str, unit: Unit, bars: &[Bar]) -> String {
    let column = (600.0 / bars.len().max(1) as f64).clamp(24.0, 80.0);
    let slanted = column < 60.0;
    let (plot_height, side) = (180.0, 40.0);
    let (top, bottom) = if slanted { (60.0, 64.0) } else { (24.0, 40.0) };
    // At least as wide as a page column, so that few months do not blow up the text.
    let width = (column * bars.len().max(1) as f64 + 2.0 * side).max(620.0);
    let height = top + plot_height + bottom;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-titel {id}-beskrivning"><title id="{id}-titel">{}</title><desc id="{id}-beskrivning">{}</desc><line x1="10" y1="{}" x2="{}" y2="{}" stroke="{TEXT_COLOUR}"/>"#,
        escape(title),
        escape(&read_out(bars, unit)),
        top + plot_height,
        width - 10.0,
        top + plot_height
    );
    let text = |x: f64, y: f64, anchor: &str, content: &str| {
        let turn = if slanted { format!(r#" transform="rotate(-40 {x:.1} {y:.1})""#) } else { String::new() };
        format!(r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="11" fill="{TEXT_COLOUR}"{turn}>{content}</text>"#)
    };
    for (i, bar) in bars.iter().enumerate() {
        let x = side + column * i as f64;
        let h = (bar.value.max(0) as f64 / max * plot_height).max(if bar.value > 0 { 1.0 } else { 0.0 });
        let centre = x + column / 2.0;
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{BAR_COLOUR}"/>"#,
            x + column * 0.15,
            top + plot_height - h,
            column * 0.7
        );
        svg.push_str(&text(centre, top + plot_height - h - 5.0, if slanted { "start" } else { "middle" }, &super::format::integer(bar.value)));
        svg.push_str(&text(centre, top + plot_height + 16.0, if slanted { "end" } else { "middle" }, &escape(&bar.label)));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Bar> {
        vec![
            Bar { label: "SIP <i tid>".into(), value: 4 },
            Bar { label: "Fast vårdkontakt".into(), value: 2 },
            Bar { label: "Noll".into(), value: 0 },
        ]
    }

    #[test]
    fn bars_have_a_title_a_description_and_a_bar_per_label() {
        let svg = bars("atagande", "Ärenden per åtagande", ("ärende", "ärenden"), &sample());
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img" aria-labelledby="atagande-titel atagande-beskrivning""#));
        assert!(svg.contains("<title id=\"atagande-titel\">Ärenden per åtagande</title>"));
        assert!(svg.contains("SIP &lt;i tid&gt; 4 ärenden, Fast vårdkontakt 2 ärenden, Noll 0 ärenden"));
        assert_eq!(svg.matches("<rect").count(), 3);
        // The longest bar fills the bar space; half the value, half the length.
        assert!(svg.contains(r#"width="300.0""#) && svg.contains(r#"width="150.0""#));
    }

    #[test]
    fn long_labels_are_cut_but_read_out_whole() {
        let long = "Fast vårdkontakt kallar till SIP senast tre dagar efter meddelandet";
        let svg = bars("x", "X", ("ärende", "ärenden"), &[Bar { label: long.into(), value: 1 }]);
        assert!(svg.contains(">Fast vårdkontakt kallar till SIP se…</text>"), "{svg}");
        assert!(svg.contains(&format!("{long} 1 ärende<")), "one, in the singular: {svg}");
    }

    #[test]
    fn columns_scale_to_the_largest_value() {
        let months = vec![Bar { label: "2026-01".into(), value: 100 }, Bar { label: "2026-02".into(), value: 50 }];
        let svg = columns("belopp", "Belopp per månad", ("kr", "kr"), &months);
        assert!(svg.contains(r#"height="180.0""#) && svg.contains(r#"height="90.0""#));
        assert!(svg.contains(">2026-02</text>"));
        assert!(svg.contains("2026-01 100 kr, 2026-02 50 kr"));
    }

    #[test]
    fn many_months_are_labelled_at_a_slant_inside_the_picture() {
        let months: Vec<Bar> = (1..=24).map(|m| Bar { label: format!("M{m:02}"), value: 1_234_567 }).collect();
        let svg = columns("belopp", "Belopp per månad", ("kr", "kr"), &months);
        assert_eq!(svg.matches("rotate(-40").count(), 48, "every label and value");
        assert!(svg.contains(">1\u{202F}234\u{202F}567</text>"), "values the Swedish way");
        // The first label's slanted text ends at its column's centre, 40 units and half a column in.
        assert!(svg.contains(r#"<text x="52.5" y="256.0" text-anchor="end""#), "{svg}");
    }

    #[test]
    fn an_empty_chart_is_still_a_valid_svg() {
        let svg = columns("tom", "Inget", ("st", "st"), &[]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
