//! Forecast plots: history, point forecasts and intervals per series, as SVG or PNG (the
//! `plot` feature, on by default; the command line's `--plot`).
//!
//! ```no_run
//! use neurodiv::plot::{PlotSpec, draw, series_to_plot};
//! use neurodiv::prelude::*;
//! let df = neurodiv::datasets::air_passengers()?;
//! let (train, _test) = df.split_tail(12)?;
//! let mut nf = NeuralForecast::new(
//!     vec![Box::new(MLP::new(MLPConfig::new(12, 24).max_steps(50))?)],
//!     train.freq(),
//! );
//! nf.fit(&train, 0)?;
//! let forecast = nf.predict(None)?;
//! let spec = PlotSpec { wanted: series_to_plot(&train, &[])?, holdout: false, history: 48 };
//! draw(std::path::Path::new("forecast.svg"), &train, &forecast, &spec)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{Explanation, ForecastFrame, NfError, SeriesExplanation};
use neurodiv_data::PanelFrame;
use plotters::prelude::*;
use std::path::Path;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Series drawn when none are named.
pub const MAX_SERIES: usize = 4;
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];
/// DejaVu Sans (Bitstream Vera license, see assets/DejaVuSans-LICENSE.txt), embedded so plots
/// render the same on every machine.
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Fails unless `path` ends in `.svg` or `.png` (check it before any work is done).
pub fn check_extension(path: &Path) -> std::result::Result<(), NfError> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg" | "png") => Ok(()),
        _ => Err(NfError::Usage(format!(
            "plot {}: use a .svg or .png file name",
            path.display()
        ))),
    }
}

/// The indices of the series `ids` of `history` (none named: the first [`MAX_SERIES`]).
pub fn series_to_plot(
    history: &PanelFrame,
    ids: &[String],
) -> std::result::Result<Vec<usize>, NfError> {
    if ids.is_empty() {
        return Ok((0..history.n_series().min(MAX_SERIES)).collect());
    }
    ids.iter()
        .map(|id| {
            (0..history.n_series())
                .find(|&i| history.series(i).id == id)
                .ok_or_else(|| NfError::Usage(format!("no series {id:?} to plot")))
        })
        .collect()
}

/// What to draw: the series (from [`series_to_plot`]), whether the history's tail is the
/// held-out forecast period, and how many history points before the forecast to show.
#[derive(Debug, Clone)]
pub struct PlotSpec {
    /// Series indices.
    pub wanted: Vec<usize>,
    /// With `holdout`, the history's tail overlaps the forecasts, so the actual values show
    /// beside them.
    pub holdout: bool,
    /// History points shown before the forecast start.
    pub history: usize,
}

/// Draws the last `spec.history` points of each series of `history` before the forecast start,
/// a dashed cutoff line, and the forecasts of `fc` (point lines and interval bands, all in the
/// legend) into `path` (.svg or .png).
pub fn draw(
    path: &Path,
    history: &PanelFrame,
    fc: &ForecastFrame,
    spec: &PlotSpec,
) -> std::result::Result<(), NfError> {
    check_extension(path)?;
    draw_any(path, history, fc, spec).map_err(|e| NfError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })
}

fn draw_any(path: &Path, history: &PanelFrame, fc: &ForecastFrame, spec: &PlotSpec) -> Result<()> {
    let wanted = &spec.wanted;
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the embedded font could not be read")?;
    let height = 320 * wanted.len() as u32;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "svg" => render(
            SVGBackend::new(path, (1000, height)).into_drawing_area(),
            history,
            fc,
            spec,
        ),
        "png" => render(
            BitMapBackend::new(path, (1000, height)).into_drawing_area(),
            history,
            fc,
            spec,
        ),
        _ => Err("use a .svg or .png file name".into()),
    }
}

fn render<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    history: &PanelFrame,
    fc: &ForecastFrame,
    spec: &PlotSpec,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (wanted, holdout) = (&spec.wanted, spec.holdout);
    let panels = root.split_evenly((wanted.len(), 1));
    // Point columns are those without an interval suffix; intervals come in -lo-X/-hi-X pairs.
    let points: Vec<&str> = fc
        .column_names()
        .into_iter()
        .filter(|n| !n.contains("-lo-") && !n.contains("-hi-"))
        .collect();
    for (panel, &si) in panels.iter().zip(wanted) {
        let s = history.series(si);
        let rows: Vec<usize> = (0..fc.len()).filter(|&r| fc.unique_id[r] == s.id).collect();
        let n_hist = s.y.len();
        let fc_start = if holdout { n_hist - rows.len() } else { n_hist };
        let x_max = (fc_start + rows.len()).max(n_hist) as f64;
        // The shown history: the last `spec.history` points before the forecast start.
        let first = fc_start.saturating_sub(spec.history);
        let shown = &s.y[first..];
        let mut lo = shown
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f32::INFINITY, f32::min);
        let mut hi = shown
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f32::NEG_INFINITY, f32::max);
        for (_, col) in &fc.columns {
            for &r in &rows {
                lo = lo.min(col[r]);
                hi = hi.max(col[r]);
            }
        }
        let pad = 0.05 * (hi - lo).max(1e-6);
        let labels: Vec<String> =
            s.ds.iter()
                .map(|d| d.to_string())
                .chain(rows.iter().map(|&r| fc.ds[r].to_string()))
                .collect();
        let mut chart = ChartBuilder::on(panel)
            .caption(s.id, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(first as f64..x_max, (lo - pad) as f64..(hi + pad) as f64)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|x| {
                let i = x.round() as usize;
                let i = if i >= fc_start && !holdout {
                    i - fc_start + n_hist
                } else {
                    i
                };
                labels.get(i).cloned().unwrap_or_default()
            })
            .y_label_formatter(&|v| number_label(*v))
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                shown
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_nan())
                    .map(|(i, &v)| ((first + i) as f64, v as f64)),
                BLACK.stroke_width(2),
            ))?
            .label("actual")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 15, y)], BLACK));
        // The cutoff: the last point the forecasts saw.
        let cutoff = fc_start as f64 - 0.5;
        let grey = RGBColor(120, 120, 120);
        chart
            .draw_series(DashedLineSeries::new(
                [(cutoff, (lo - pad) as f64), (cutoff, (hi + pad) as f64)],
                6,
                4,
                grey.stroke_width(1),
            ))?
            .label("cutoff")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 15, y)], grey));
        for (ci, name) in points.iter().enumerate() {
            let color = COLORS[ci % COLORS.len()];
            let col = fc.column(name).expect("listed column");
            for (lo_name, hi_name) in interval_pairs(fc, name) {
                let (l, h) = (
                    fc.column(&lo_name).expect("listed"),
                    fc.column(&hi_name).expect("listed"),
                );
                let band: Vec<(f64, f64)> = rows
                    .iter()
                    .enumerate()
                    .map(|(k, &r)| ((fc_start + k) as f64, h[r] as f64))
                    .chain(
                        rows.iter()
                            .enumerate()
                            .rev()
                            .map(|(k, &r)| ((fc_start + k) as f64, l[r] as f64)),
                    )
                    .collect();
                let level = lo_name.rsplit('-').next().unwrap_or("").to_string();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        band,
                        color.mix(0.15).filled(),
                    )))?
                    .label(format!(
                        "{} {level}% interval",
                        name.strip_suffix("-median").unwrap_or(name)
                    ))
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 4), (x + 15, y + 4)], color.mix(0.3).filled())
                    });
            }
            chart
                .draw_series(LineSeries::new(
                    rows.iter()
                        .enumerate()
                        .map(|(k, &r)| ((fc_start + k) as f64, col[r] as f64)),
                    color.stroke_width(2),
                ))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 15, y)], color));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// Draws the variable importances of TFT explanations ([`NeuralForecast::explain`]) into
/// `path` (.svg or .png) as horizontal bars: one panel per model and series (at most
/// [`MAX_SERIES`] panels), the static, historical and future variables in three colours.
///
/// [`NeuralForecast::explain`]: crate::NeuralForecast::explain
pub fn draw_importance(
    path: &Path,
    explanations: &[Explanation],
) -> std::result::Result<(), NfError> {
    check_extension(path)?;
    let panels: Vec<(&Explanation, &SeriesExplanation)> = explanations
        .iter()
        .flat_map(|e| e.series.iter().map(move |s| (e, s)))
        .take(MAX_SERIES)
        .collect();
    if panels.is_empty() {
        return Err(NfError::Usage("no explanation to plot".into()));
    }
    let result = (|| -> Result<()> {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "the embedded font could not be read")?;
        let bars = |s: &SeriesExplanation| {
            s.static_importance.len() + s.historical_importance.len() + s.future_importance.len()
        };
        let height: u32 = panels.iter().map(|(_, s)| 80 + 26 * bars(s) as u32).sum();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        {
            render_importance(
                BitMapBackend::new(path, (900, height)).into_drawing_area(),
                &panels,
            )
        } else {
            render_importance(
                SVGBackend::new(path, (900, height)).into_drawing_area(),
                &panels,
            )
        }
    })();
    result.map_err(|e| NfError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })
}

fn render_importance<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    panels: &[(&Explanation, &SeriesExplanation)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let mut rest = root;
    for (i, (e, s)) in panels.iter().enumerate() {
        // Every bar: (group, variable, importance), top to bottom.
        let bars: Vec<(&str, &str, f32)> = [
            ("static", &s.static_importance),
            ("historical", &s.historical_importance),
            ("future", &s.future_importance),
        ]
        .into_iter()
        .flat_map(|(group, vars)| {
            vars.iter()
                .map(move |v| (group, v.variable.as_str(), v.importance))
        })
        .collect();
        let height = 80 + 26 * bars.len() as u32;
        let (panel, below) = if i + 1 < panels.len() {
            rest.split_vertically(height)
        } else {
            let empty = rest.clone();
            (rest, empty)
        };
        rest = below;
        let n = bars.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&panel)
            .caption(format!("{}: {}", e.model, s.unique_id), ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(10)
            // Room right of the longest bar for its label.
            .build_cartesian_2d(0f64..1.6f64, 0f64..n)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_labels(9)
            .x_label_formatter(&|x| {
                if *x <= 1.0 {
                    number_label(*x)
                } else {
                    String::new()
                }
            })
            .x_desc("importance (selection weight)")
            .draw()?;
        for (k, (group, variable, importance)) in bars.iter().enumerate() {
            let color = match *group {
                "static" => COLORS[2],
                "historical" => COLORS[0],
                _ => COLORS[1],
            };
            // Bar k (from the top) spans [n - k - 1, n - k).
            let top = n - k as f64;
            let value = *importance as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, top - 0.85), (value, top - 0.15)],
                color.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("{variable} ({group}) {value:.3}"),
                (value + 0.01, top - 0.3),
                ("sans-serif", 13),
            )))?;
        }
    }
    rest.present()?;
    Ok(())
}

/// An axis value as a label: integers without `.0`, others with at most 3 significant decimals.
fn number_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The `-lo-X` / `-hi-X` column pairs of point column `name`.
fn interval_pairs(fc: &ForecastFrame, name: &str) -> Vec<(String, String)> {
    let base = name.strip_suffix("-median").unwrap_or(name);
    fc.column_names()
        .iter()
        .filter_map(|c| {
            c.strip_prefix(&format!("{base}-lo-"))
                .map(|level| (c.to_string(), format!("{base}-hi-{level}")))
        })
        .filter(|(_, hi)| fc.column(hi).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_an_svg_and_refuses_bad_requests() {
        let (train, test) = crate::datasets::air_passengers()
            .unwrap()
            .split_tail(3)
            .unwrap();
        let fc = ForecastFrame {
            unique_id: vec![train.series(0).id.to_string(); 3],
            ds: test.series(0).ds.to_vec(),
            cutoff: None,
            y: None,
            columns: vec![("Naive".into(), test.series(0).y.to_vec())],
        };
        let dir = std::env::temp_dir().join(format!("neurodiv-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.svg");
        let spec = PlotSpec {
            wanted: series_to_plot(&train, &[]).unwrap(),
            holdout: false,
            history: 24,
        };
        draw(&path, &train, &fc, &spec).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("Naive"),
            "{}",
            &svg[..80]
        );
        let err = draw(&dir.join("f.jpg"), &train, &fc, &spec).unwrap_err();
        assert!(err.to_string().contains("use a .svg or .png"), "{err}");
        let err = series_to_plot(&train, &["nope".into()]).unwrap_err();
        assert_eq!(err.to_string(), "no series \"nope\" to plot");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn draws_importances_as_bars() {
        let var = |variable: &str, importance| crate::VariableImportance {
            variable: variable.into(),
            importance,
        };
        let e = Explanation {
            model: "TFT".into(),
            h: 2,
            input_size: 3,
            series: vec![SeriesExplanation {
                unique_id: "a".into(),
                static_importance: vec![var("store_size", 1.0)],
                historical_importance: vec![var("observed_target", 0.7), var("price", 0.3)],
                future_importance: vec![var("promo", 1.0)],
                ds: (0..5).map(|i| i.to_string()).collect(),
                attention: vec![0.2; 5],
            }],
        };
        let dir = std::env::temp_dir().join(format!("neurodiv-importance-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("i.svg");
        draw_importance(&path, std::slice::from_ref(&e)).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        for label in [
            "store_size (static)",
            "price (historical) 0.300",
            "promo (future)",
        ] {
            assert!(svg.contains(label), "{label} missing");
        }
        let err = draw_importance(&path, &[]).unwrap_err();
        assert_eq!(err.to_string(), "no explanation to plot");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
