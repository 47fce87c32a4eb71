//! Markdown tables with aligned columns (readable in a terminal and rendered in docs).

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A markdown table; every row has one cell per header.
pub fn markdown(headers: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain([h.chars().count(), 3])
                .max()
                .unwrap_or(3)
        })
        .collect();
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let pad = |text: &str, i: usize| {
        let (w, align) = (widths[i], headers[i].1);
        match align {
            Align::Left => format!("{text:<w$}"),
            Align::Right => format!("{text:>w$}"),
        }
    };
    let mut out = line(
        headers
            .iter()
            .enumerate()
            .map(|(i, (h, _))| pad(h, i))
            .collect(),
    );
    out += &line(
        headers
            .iter()
            .enumerate()
            .map(|(i, (_, a))| match a {
                Align::Left => format!(":{}", "-".repeat(widths[i] - 1)),
                Align::Right => format!("{}:", "-".repeat(widths[i] - 1)),
            })
            .collect(),
    );
    for r in rows {
        out += &line(
            (0..headers.len())
                .map(|i| pad(r.get(i).map_or("", String::as_str), i))
                .collect(),
        );
    }
    out
}

/// A number with `decimals` digits, or `-` when absent or not finite.
pub fn num(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "-".into(),
    }
}

/// A duration in ns with precision suited to its size.
pub fn ns(x: Option<f64>) -> String {
    let d = match x {
        Some(v) if v < 10.0 => 2,
        Some(v) if v < 1000.0 => 1,
        _ => 0,
    };
    num(x, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let t = markdown(
            &[("name", Align::Left), ("ns", Align::Right)],
            &[
                vec!["exp".into(), "12.5".into()],
                vec!["gelu".into(), "1234".into()],
            ],
        );
        assert_eq!(
            t,
            "| name | ns   |\n| :--- | ---: |\n| exp  | 12.5 |\n| gelu | 1234 |\n"
                .replace("| ns   |", "|   ns |")
        );
        assert_eq!(ns(Some(1.23456)), "1.23");
        assert_eq!(ns(Some(123.456)), "123.5");
        assert_eq!(ns(Some(12_345.6)), "12346");
        assert_eq!(num(None, 1), "-");
        assert_eq!(num(Some(f64::NAN), 1), "-");
    }
}
