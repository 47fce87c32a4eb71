//! The subcommands.

use crate::args::{
    Cli, Command, ConformalArgs, CvArgs, EvaluateArgs, FitArgs, ForecastArgs, FutureArgs,
    LevelArgs, LoadArgs, ModelArgs, ModelsArgs, PredictArgs,
};
use crate::output::{Outputs, check_paths, eprint_line, print};
use neurodiv::data::{FileFormat, Repairs, metrics};
use neurodiv::prelude::*;
use neurodiv::registry;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Runs one command. Training stops at the next step once `interrupt` is set (Ctrl-C), and no
/// output is written after it is set.
pub fn run(cli: Cli, interrupt: &Arc<AtomicBool>) -> Result<()> {
    let threads = match &cli.command {
        Command::Forecast(a) => a.model.threads,
        Command::Fit(a) => a.model.threads,
        Command::Cv(a) => a.model.threads,
        _ => None,
    };
    if let Some(n) = threads {
        if n == 0 {
            return Err("--threads must be at least 1".into());
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| format!("--threads {n}: {e}"))?;
    }
    match cli.command {
        Command::Forecast(a) => forecast(*a, interrupt),
        Command::Fit(a) => fit(a, interrupt),
        Command::Predict(a) => predict(a, interrupt),
        Command::Cv(a) => cv(a, interrupt),
        Command::Models(a) => models(a),
        Command::Future(a) => future(a, interrupt),
        Command::Evaluate(a) => evaluate(a, interrupt),
    }
}

/// Moves the staged outputs into place, unless the command was interrupted meanwhile.
fn commit(outputs: Outputs, interrupt: &AtomicBool) -> Result<()> {
    if interrupt.load(Ordering::Relaxed) {
        return Err(neurodiv::core::CoreError::Interrupted.into());
    }
    outputs.commit()
}

/// Reading options from `--freq`, the column names and the repairs.
fn csv_options(freq: &Option<String>, load: &LoadArgs) -> Result<CsvOptions> {
    let mut opts = CsvOptions::default()
        .with_columns(&load.id_col, &load.time_col, &load.target_col)
        .with_repairs(Repairs {
            sort: load.sort,
            fill_gaps: load.fill_gaps,
            missing_targets: load.allow_missing,
        });
    if let Some(f) = freq {
        opts.freq = Some(
            f.parse::<Freq>()
                .map_err(|e| format!("--freq {f:?}: {e}"))?,
        );
    }
    Ok(opts)
}

/// Reads a data file (the embedded AirPassengers without one) and its static features; prints
/// one line per repair made.
fn load_data(
    path: Option<&Path>,
    static_path: Option<&Path>,
    freq: &Option<String>,
    load: &LoadArgs,
) -> Result<PanelFrame> {
    let opts = csv_options(freq, load)?;
    let mut frame = match path {
        Some(p) => PanelFrame::from_path(p, &opts)?,
        None => {
            PanelFrame::from_csv_reader(neurodiv::datasets::AIR_PASSENGERS_CSV.as_bytes(), &opts)?
        }
    };
    for note in frame.repair_notes() {
        eprint_line(&format!("repaired: {note}"));
    }
    if let Some(p) = static_path {
        frame = frame.with_static(neurodiv::data::StaticFrame::from_path(p, &opts)?)?;
    }
    Ok(frame)
}

/// A future-exogenous file (`unique_id, ds, columns...`, no target) read with the data's
/// frequency.
fn read_future(path: &Path, freq: Freq, load: &LoadArgs) -> Result<PanelFrame> {
    let opts = csv_options(&None, load)?.with_freq(freq);
    Ok(PanelFrame::future_from_path(path, &opts)?)
}

/// The horizon: `--h`, else the holdout length, else 12; a holdout must equal the horizon.
fn horizon(a: &ModelArgs, holdout: Option<usize>) -> Result<usize> {
    match (a.h, holdout) {
        (Some(h), Some(n)) if h != n => Err(format!(
            "--holdout {n} must equal --h {h} (the held-out points are the forecast)"
        )
        .into()),
        (Some(h), _) => Ok(h),
        (None, Some(n)) => Ok(n),
        (None, None) => Ok(12),
    }
}

/// Builds the models for data `df`; multivariate ones get `n_series` from the data unless `--set`
/// gives it. Each config's sizes are checked against their caps and the data before its model is
/// built.
fn build_models(a: &ModelArgs, h: usize, df: &PanelFrame) -> Result<Vec<Box<dyn NeuralModel>>> {
    let input_size = match a.input_size {
        None => h.saturating_mul(2),
        Some(-1) => h.saturating_mul(3), // NeuralForecast's input_size=-1
        Some(n) if n >= 1 => {
            usize::try_from(n).map_err(|_| format!("--input-size {n} is too large"))?
        }
        Some(n) => {
            return Err(
                format!("--input-size must be at least 1 (or -1 for 3 * h), got {n}").into(),
            );
        }
    };
    let sets = a
        .sets
        .iter()
        .map(|s| registry::parse_set(s))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    // Each `--model NAME[:key=value,...]`: its canonical name, own options and alias.
    let mut specs = Vec::with_capacity(a.models.len());
    for spec in &a.models {
        let (name, own) = parse_model_spec(spec)?;
        let canonical = registry::canonical_name(&name)?;
        let alias = own
            .iter()
            .rev()
            .find(|(k, _)| k == "alias")
            .map_or(canonical.to_string(), |(_, v)| {
                v.trim_matches('"').to_string()
            });
        specs.push((canonical, own, alias));
    }
    // A `--set MODEL.key` prefix must name a model of the run, by name or alias.
    for (target, key, _) in &sets {
        if let Some(t) = target
            && !specs
                .iter()
                .any(|(c, _, alias)| c.eq_ignore_ascii_case(t) || alias.eq_ignore_ascii_case(t))
        {
            let names: Vec<&str> = specs.iter().map(|(_, _, alias)| alias.as_str()).collect();
            return Err(format!(
                "--set {t}.{key}: {t:?} names no model of this run (models: {})",
                names.join(", ")
            )
            .into());
        }
    }
    let mut models: Vec<Box<dyn NeuralModel>> = Vec::new();
    for (canonical, own, alias) in &specs {
        let max_steps = a.max_steps.unwrap_or(DEFAULT_MAX_STEPS);
        let mut overrides = vec![("max_steps".to_string(), max_steps.to_string())];
        if let Some(s) = a.seed {
            overrides.push(("random_seed".to_string(), s.to_string()));
        }
        for (target, k, v) in &sets {
            match target {
                Some(t) if !t.eq_ignore_ascii_case(canonical) && !t.eq_ignore_ascii_case(alias) => {
                }
                _ => overrides.push((k.clone(), v.clone())),
            }
        }
        overrides.extend(own.iter().cloned());
        let config =
            registry::config_for_series(canonical, h, input_size, &overrides, df.n_series())?;
        registry::check_option_shapes(canonical, h, input_size, &overrides, &config)?;
        // A config that does not read as BaseConfig has a value of the wrong type, which the
        // build reports in the option's terms.
        if let Ok(base) = serde_json::from_value::<neurodiv::core::BaseConfig>(config.clone()) {
            base.validate()?;
            let longest = df.iter_series().map(|s| s.len()).max().unwrap_or(0);
            neurodiv::core::train::check_window_fits(&base, longest)?;
        }
        models.push(registry::build_config(canonical, &config)?);
    }
    let aliases: Vec<String> = models.iter().map(|m| m.alias()).collect();
    if let Some((i, dup)) = aliases
        .iter()
        .enumerate()
        .find(|(i, a)| aliases[..*i].contains(a))
    {
        return Err(format!(
            "two models are called {dup}: give each its own alias, e.g. --model {}:alias={dup}_{i}",
            models[i].name()
        )
        .into());
    }
    Ok(models)
}

/// Splits `NAME[:key=value,...]` into the name and its options; `seed` is short for
/// `random_seed`. Commas inside brackets, braces, parentheses or quotes belong to the value
/// (`NHITS:mlp_units=[[64,64]],seed=2`).
fn parse_model_spec(spec: &str) -> Result<(String, Vec<(String, String)>)> {
    let Some((name, rest)) = spec.split_once(':') else {
        return Ok((spec.to_string(), Vec::new()));
    };
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    for (i, c) in rest.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' | '(' if !quoted => depth += 1,
            ']' | '}' | ')' if !quoted => depth -= 1,
            ',' if depth == 0 && !quoted => {
                parts.push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&rest[start..]);
    let options = parts
        .into_iter()
        .map(|p| {
            let (k, v) = p.split_once('=').ok_or_else(|| {
                format!("--model {spec:?}: expected NAME:key=value,... but {p:?} has no '='")
            })?;
            let k = k.trim();
            let k = if k == "seed" { "random_seed" } else { k };
            Ok((k.to_string(), v.trim().to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((name.to_string(), options))
}

/// Training steps per model when `--max-steps` is not given (the library's default is each
/// model's own, e.g. 1000 for NHITS; this keeps a command-line run to seconds).
pub const DEFAULT_MAX_STEPS: usize = 100;

/// The conformal calibration `--conformal-windows` asks for, checked.
fn conformal_of(c: &ConformalArgs) -> Result<Option<PredictionIntervals>> {
    let Some(n_windows) = c.conformal_windows else {
        return Ok(None);
    };
    let method = match &c.conformal_method {
        Some(m) => m.parse()?,
        None => neurodiv::ConformalMethod::default(),
    };
    Ok(Some(PredictionIntervals::new(
        n_windows,
        method,
        c.conformal_step.unwrap_or(1),
    )?))
}

/// The intervals `--level` / `--quantiles` ask for.
fn intervals_of(l: &LevelArgs) -> Option<Intervals> {
    if !l.level.is_empty() {
        Some(Intervals::Level(l.level.clone()))
    } else if !l.quantiles.is_empty() {
        Some(Intervals::Quantiles(l.quantiles.clone()))
    } else {
        None
    }
}

/// Fits with progress bars (after the conformal calibration, when asked); returns each
/// model's fit seconds and steps run. Without `--max-steps` (and without `--quiet`) it first
/// says how many steps it runs.
fn fit_models(
    nf: &mut NeuralForecast,
    df: &PanelFrame,
    a: &ModelArgs,
    conformal: Option<PredictionIntervals>,
) -> Result<(Vec<f64>, Vec<usize>)> {
    if a.max_steps.is_none() && !a.quiet {
        eprint_line(&format!(
            "note: {DEFAULT_MAX_STEPS} training steps per model (the command line's default; \
             the library's is each model's own, e.g. NHITS 1000): set --max-steps to change it"
        ));
    }
    if let Some(pi) = conformal
        && !a.quiet
    {
        eprint_line(&format!(
            "calibrating conformal intervals: each model is fitted on all but the last {} windows first",
            pi.n_windows
        ));
    }
    let names: Vec<String> = nf.models().iter().map(|m| m.alias()).collect();
    let mut bars = crate::progress::Bars::new(&names, a.quiet);
    let mut times = vec![0.0; names.len()];
    let mut started = Instant::now();
    let mut current = usize::MAX;
    let mut progress = |i: usize, p: &neurodiv::core::train::Progress| {
        if i != current {
            if current != usize::MAX {
                times[current] = started.elapsed().as_secs_f64();
            }
            current = i;
            started = Instant::now();
        }
        bars.update(i, p);
    };
    let reports = match conformal {
        Some(pi) => nf.fit_with_intervals(df, a.val_size, pi, &mut progress)?,
        None => nf.fit_with_progress(df, a.val_size, &mut progress)?,
    };
    if current != usize::MAX {
        times[current] = started.elapsed().as_secs_f64();
    }
    bars.finish();
    Ok((times, reports.iter().map(|r| r.steps).collect()))
}

/// Stages `frame` for `out` in the format of its extension (CSV, Parquet, Arrow IPC), or prints
/// it as CSV when there is no `out`.
/// Whether `path` names an image (`.svg` or `.png`) rather than a data file.
fn is_image(path: &Path) -> bool {
    neurodiv::plot::check_extension(path).is_ok()
}

fn stage_or_print(frame: &ForecastFrame, out: Option<&Path>, outputs: &mut Outputs) -> Result<()> {
    match out {
        Some(p) => outputs.write(p, &frame.to_bytes(FileFormat::from_path(p))?),
        None => print(&frame.to_csv_string()),
    }
}

fn forecast(a: ForecastArgs, interrupt: &Arc<AtomicBool>) -> Result<()> {
    if let Some(p) = &a.plot {
        neurodiv::plot::check_extension(p)
            .map_err(|_| format!("--plot {}: use a .svg or .png file name", p.display()))?;
    }
    check_paths(
        &[
            a.model.data.as_deref(),
            a.model.static_data.as_deref(),
            a.futr.as_deref(),
        ],
        &[
            ("--out", a.out.as_deref()),
            ("--metrics-json", a.metrics_json.as_deref()),
            ("--plot", a.plot.as_deref()),
            ("--explain", a.explain.as_deref()),
        ],
    )?;
    let df = load_data(
        a.model.data.as_deref(),
        a.model.static_data.as_deref(),
        &a.model.freq,
        &a.model.load,
    )?;
    let plotted =
        neurodiv::plot::series_to_plot(&df, &a.plot_ids).map_err(|e| format!("--plot-ids: {e}"))?;
    let (train, test) = match a.holdout {
        Some(n) => {
            let (tr, te) = df.split_tail(n)?;
            (tr, Some(te))
        }
        None => (df.clone(), None),
    };
    let h = horizon(&a.model, a.holdout)?;
    let conformal = conformal_of(&a.conformal)?;
    let intervals = intervals_of(&a.levels);
    if let Some(iv) = &intervals {
        iv.check()?;
    }
    let models = build_models(&a.model, h, &train)?;
    if intervals.is_some()
        && conformal.is_none()
        && let Some(m) = models
            .iter()
            .find(|m| neurodiv::intervals::is_point_head(m.as_ref()))
    {
        return Err(neurodiv::intervals::uncalibrated(m.as_ref()).into());
    }
    // --explain covers the TFT models of the run; a run without one is refused before fitting.
    if a.explain.is_some()
        && !models.iter().any(|m| m.name() == "TFT")
        && let Some(m) = models.first()
    {
        return Err(NfError::NotExplainable {
            model: m.alias(),
            name: m.name().to_string(),
        }
        .into());
    }
    let futr_file = a
        .futr
        .as_deref()
        .map(|p| read_future(p, df.freq(), &a.model.load))
        .transpose()?;
    let mut nf = NeuralForecast::new(models, train.freq());
    nf.set_interrupt(interrupt.clone());
    let (fit_times, steps) = fit_models(&mut nf, &train, &a.model, conformal)?;
    let t = Instant::now();
    let uses_futr = nf
        .models()
        .iter()
        .any(|m| !m.base().futr_exog_list.is_empty());
    let futr = futr_file.as_ref().or(test.as_ref()).filter(|_| uses_futr);
    let mut fc = nf.predict_with(None, futr, intervals.as_ref())?;
    let predict_s = t.elapsed().as_secs_f64();
    let explained = match &a.explain {
        Some(_) => Some(
            nf.models()
                .iter()
                .filter(|m| m.name() == "TFT")
                .map(|m| nf.explain(&m.alias(), futr))
                .collect::<std::result::Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    if let Some(how) = &a.ensemble {
        fc.add_ensemble(nf.models(), how.parse()?)?;
    }
    let mut outputs = Outputs::new();
    let mut json = serde_json::Map::new();
    let mut table = Vec::new();
    let mut interval_lines = Vec::new();
    if let Some(test) = &test {
        let m = a
            .season_length
            .unwrap_or_else(|| train.freq().seasonality());
        let y_true: Vec<f32> = (0..test.n_series())
            .flat_map(|i| test.series(i).y.to_vec())
            .collect();
        table.push(format!(
            "{:<16} {:>10} {:>10} {:>10} {:>10} {:>9}",
            "model", "MAE", "RMSE", "SMAPE%", "MASE", "fit s"
        ));
        // Each model, then the ensemble (whose fit time is that of all models).
        let mut scored: Vec<(String, String, f64, Option<usize>)> = nf
            .models()
            .iter()
            .enumerate()
            .map(|(i, m)| {
                (
                    m.alias(),
                    fc.point_column(m.as_ref()),
                    fit_times[i],
                    Some(steps[i]),
                )
            })
            .collect();
        if a.ensemble.is_some() {
            let total = fit_times.iter().sum();
            let name = neurodiv::ENSEMBLE_COLUMN.to_string();
            scored.push((name.clone(), name, total, None));
        }
        for (alias, point, fit_s, steps) in scored {
            let y_hat = fc
                .column(&point)
                .ok_or_else(|| format!("no forecast column {point}"))?;
            let mae = metrics::mae(&y_true, y_hat)?;
            let rmse = metrics::rmse(&y_true, y_hat)?;
            let smape = metrics::smape(&y_true, y_hat)?;
            let mase = mase_panel(&train, test, y_hat, m)?;
            table.push(format!(
                "{alias:<16} {mae:>10.3} {rmse:>10.3} {smape:>10.3} {mase:>10.3} {fit_s:>9.2}"
            ));
            let mut entry = serde_json::json!({"mae": mae, "rmse": rmse, "smape": smape,
                "mase": mase, "fit_seconds": fit_s, "predict_seconds": predict_s, "steps": steps});
            if let Some(iv) = neurodiv::interval_scores(&fc, &alias, &y_true)? {
                let mut line = format!("{alias:<16} intervals:");
                let mut levels = serde_json::Map::new();
                for (level, cover, width) in &iv.levels {
                    line.push_str(&format!(" {level}% covers {cover:.1}% (width {width:.3});"));
                    levels.insert(
                        level.clone(),
                        serde_json::json!({"coverage_percent": cover, "mean_width": width}),
                    );
                }
                if let Some(c) = iv.scaled_crps {
                    line.push_str(&format!(" scaled CRPS {c:.4}"));
                    entry["scaled_crps"] = serde_json::json!(c);
                }
                entry["intervals"] = serde_json::Value::Object(levels);
                interval_lines.push(line.trim_end_matches(';').to_string());
            }
            json.insert(alias, entry);
        }
    } else {
        for (i, model) in nf.models().iter().enumerate() {
            json.insert(model.alias(), serde_json::json!({"fit_seconds": fit_times[i], "predict_seconds": predict_s, "steps": steps[i]}));
        }
    }
    // Every file is staged before stdout is written, and committed after: a failure anywhere
    // leaves no file behind.
    if let Some(p) = &a.out {
        outputs.write(p, &fc.to_bytes(FileFormat::from_path(p))?)?;
    }
    if let Some(p) = &a.metrics_json {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "models": json }))?;
        outputs.write(p, text.as_bytes())?;
    }
    if let (Some(p), Some(explained)) = (&a.explain, &explained) {
        if is_image(p) {
            outputs.render(p, |tmp| {
                neurodiv::plot::draw_importance(tmp, explained)
                    .map_err(|e| format!("--explain {}: {e}", p.display()).into())
            })?;
        } else {
            let all: serde_json::Map<String, serde_json::Value> = explained
                .iter()
                .map(|e| Ok((e.model.clone(), serde_json::to_value(e)?)))
                .collect::<Result<_>>()?;
            outputs.write(p, serde_json::to_string_pretty(&all)?.as_bytes())?;
        }
    }
    if let Some(p) = &a.plot {
        outputs.render(p, |tmp| {
            // `tmp` is the staged file of `Outputs` (its extension is the target's).
            let spec = neurodiv::plot::PlotSpec {
                wanted: plotted.clone(),
                holdout: test.is_some(),
                history: a.plot_history.unwrap_or(4 * h),
            };
            neurodiv::plot::draw(tmp, &df, &fc, &spec)
                .map_err(|e| format!("--plot {}: {e}", p.display()).into())
        })?;
    }
    if a.out.is_none() {
        print(&fc.to_csv_string())?;
    }
    commit(outputs, interrupt)?;
    for line in table.into_iter().chain(interval_lines) {
        eprint_line(&line);
    }
    Ok(())
}

/// MASE over the panel: each series' errors scaled by its own in-sample seasonal naive MAE,
/// averaged over series.
fn mase_panel(train: &PanelFrame, test: &PanelFrame, y_hat: &[f32], m: usize) -> Result<f64> {
    let mut offset = 0;
    let mut total = 0.0;
    for i in 0..test.n_series() {
        let y = test.series(i).y;
        let hat = &y_hat[offset..offset + y.len()];
        total += metrics::mase(y, hat, train.series(i).y, m)?;
        offset += y.len();
    }
    Ok(total / test.n_series() as f64)
}

fn fit(a: FitArgs, interrupt: &Arc<AtomicBool>) -> Result<()> {
    check_paths(
        &[a.model.data.as_deref(), a.model.static_data.as_deref()],
        &[("--save", Some(&a.save))],
    )?;
    NeuralForecast::check_save_dir(&a.save, a.overwrite)?;
    let df = load_data(
        a.model.data.as_deref(),
        a.model.static_data.as_deref(),
        &a.model.freq,
        &a.model.load,
    )?;
    let mut nf = NeuralForecast::new(
        build_models(&a.model, horizon(&a.model, None)?, &df)?,
        df.freq(),
    );
    nf.set_interrupt(interrupt.clone());
    let conformal = conformal_of(&a.conformal)?;
    fit_models(&mut nf, &df, &a.model, conformal)?;
    if interrupt.load(Ordering::Relaxed) {
        return Err(neurodiv::core::CoreError::Interrupted.into());
    }
    if a.overwrite {
        nf.save_overwriting(&a.save)?;
    } else {
        nf.save(&a.save)?;
    }
    eprint_line(&format!(
        "saved {} model(s) to {}",
        nf.models().len(),
        a.save.display()
    ));
    Ok(())
}

fn predict(a: PredictArgs, interrupt: &Arc<AtomicBool>) -> Result<()> {
    check_paths(
        &[
            a.data.as_deref(),
            a.static_data.as_deref(),
            a.futr.as_deref(),
        ],
        &[("--out", a.out.as_deref())],
    )?;
    let nf = NeuralForecast::load(&a.load)?;
    let futr = a
        .futr
        .as_deref()
        .map(|p| read_future(p, nf.freq(), &a.load_args))
        .transpose()?;
    let intervals = intervals_of(&a.levels);
    let fc = match &a.data {
        Some(p) => {
            let freq = Some(nf.freq().to_string());
            let df = load_data(Some(p), a.static_data.as_deref(), &freq, &a.load_args)?;
            nf.predict_with(Some(&df), futr.as_ref(), intervals.as_ref())?
        }
        None => nf.predict_with(None, futr.as_ref(), intervals.as_ref())?,
    };
    let mut outputs = Outputs::new();
    stage_or_print(&fc, a.out.as_deref(), &mut outputs)?;
    commit(outputs, interrupt)
}

fn cv(a: CvArgs, interrupt: &Arc<AtomicBool>) -> Result<()> {
    check_paths(
        &[a.model.data.as_deref(), a.model.static_data.as_deref()],
        &[("--out", a.out.as_deref())],
    )?;
    let df = load_data(
        a.model.data.as_deref(),
        a.model.static_data.as_deref(),
        &a.model.freq,
        &a.model.load,
    )?;
    let h = horizon(&a.model, None)?;
    let mut nf = NeuralForecast::new(build_models(&a.model, h, &df)?, df.freq());
    nf.set_interrupt(interrupt.clone());
    let step = a.step_size.unwrap_or(h);
    let mut frame = nf.cross_validation(&df, a.n_windows, step, a.model.val_size, a.refit)?;
    let mut points: Vec<(String, String)> = nf
        .models()
        .iter()
        .map(|m| (m.alias(), frame.point_column(m.as_ref())))
        .collect();
    if let Some(how) = &a.ensemble {
        frame.add_ensemble(nf.models(), how.parse()?)?;
        let name = neurodiv::ENSEMBLE_COLUMN.to_string();
        points.push((name.clone(), name));
    }
    let y = frame.y.as_ref().expect("cross-validation frames hold y");
    let mut lines = Vec::new();
    for (alias, point) in points {
        if let Some(col) = frame.column(&point) {
            lines.push(format!(
                "{alias}: MAE {:.3} over {} windows",
                metrics::mae(y, col)?,
                a.n_windows
            ));
        }
    }
    let mut outputs = Outputs::new();
    stage_or_print(&frame, a.out.as_deref(), &mut outputs)?;
    commit(outputs, interrupt)?;
    for line in lines {
        eprint_line(&line);
    }
    Ok(())
}

fn models(a: ModelsArgs) -> Result<()> {
    let text = match a.name {
        None => crate::catalog::list()?,
        Some(name) => crate::catalog::options(&name)?,
    };
    print(&text)
}

/// `neurodiv future`: the next `h` timestamps of every series, as a CSV to fill with future
/// exogenous values.
fn future(a: FutureArgs, interrupt: &Arc<AtomicBool>) -> Result<()> {
    check_paths(&[a.data.as_deref()], &[("--out", a.out.as_deref())])?;
    let df = load_data(a.data.as_deref(), None, &a.freq, &a.load)?;
    let h = a.h;
    if h == 0 || h > neurodiv::core::MAX_H {
        return Err(format!(
            "--h must be between 1 and {}, got {h}",
            neurodiv::core::MAX_H
        )
        .into());
    }
    let frame = df.future_frame(h)?;
    let mut outputs = Outputs::new();
    match &a.out {
        Some(p) => outputs.write(p, &frame.to_bytes(FileFormat::from_path(p))?)?,
        None => print(&String::from_utf8(frame.to_bytes(FileFormat::Csv)?)?)?,
    }
    commit(outputs, interrupt)
}

/// `neurodiv evaluate`: metrics per series and model of a forecast or cross-validation CSV.
fn evaluate(a: EvaluateArgs, interrupt: &Arc<AtomicBool>) -> Result<()> {
    check_paths(
        &[Some(a.forecast.as_path()), a.data.as_deref()],
        &[("--out", a.out.as_deref())],
    )?;
    if let Some(p) = a.out.as_deref()
        && FileFormat::from_path(p) != FileFormat::Csv
    {
        return Err(format!("--out {}: evaluate writes CSV", p.display()).into());
    }
    let metrics = a
        .metrics
        .iter()
        .map(|m| m.parse::<metrics::Metric>())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let fc = ForecastFrame::from_path(&a.forecast)?;
    let df = load_data(a.data.as_deref(), None, &a.freq, &a.load)?;
    let mut table = neurodiv::evaluate(&fc, Some(&df), &metrics, a.season_length)?;
    if a.mean {
        table = table.mean();
    }
    let mut outputs = Outputs::new();
    match &a.out {
        Some(p) => outputs.write(p, table.to_csv_string().as_bytes())?,
        None => print(&table.to_csv_string())?,
    }
    commit(outputs, interrupt)
}
