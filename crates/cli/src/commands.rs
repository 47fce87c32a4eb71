//! The subcommands.

use crate::args::{
    Cli, Command, CvArgs, FitArgs, ForecastArgs, ModelArgs, ModelsArgs, PredictArgs,
};
use neurodiv::data::metrics;
use neurodiv::prelude::*;
use neurodiv::registry;
use std::path::Path;
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Runs one command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Forecast(a) => forecast(a),
        Command::Fit(a) => fit(a),
        Command::Predict(a) => predict(a),
        Command::Cv(a) => cv(a),
        Command::Models(a) => models(a),
    }
}

fn csv_options(freq: &Option<String>) -> Result<CsvOptions> {
    let mut opts = CsvOptions::default();
    if let Some(f) = freq {
        opts.freq = Some(
            f.parse::<Freq>()
                .map_err(|e| format!("--freq {f:?}: {e}"))?,
        );
    }
    Ok(opts)
}

fn load_data(
    path: Option<&Path>,
    static_path: Option<&Path>,
    freq: &Option<String>,
) -> Result<PanelFrame> {
    let opts = csv_options(freq)?;
    let mut frame = match path {
        Some(p) => PanelFrame::from_csv_path(p, &opts)?,
        None => {
            PanelFrame::from_csv_reader(neurodiv::datasets::AIR_PASSENGERS_CSV.as_bytes(), &opts)?
        }
    };
    if let Some(p) = static_path {
        frame = frame.with_static(neurodiv::data::StaticFrame::from_csv_path(
            p,
            &CsvOptions::default(),
        )?)?;
    }
    Ok(frame)
}

/// Splits `KEY=VALUE` (optionally `MODEL.KEY=VALUE`) into (model, key, value).
fn parse_set(s: &str) -> Result<(Option<String>, String, String)> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("--set {s:?}: expected KEY=VALUE"))?;
    Ok(match k.split_once('.') {
        Some((m, key)) => (Some(m.to_string()), key.to_string(), v.to_string()),
        None => (None, k.to_string(), v.to_string()),
    })
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

/// Builds the models; multivariate ones get `n_series` from the data unless `--set` gives it.
fn build_models(a: &ModelArgs, h: usize, n_series: usize) -> Result<Vec<Box<dyn NeuralModel>>> {
    let input_size = match a.input_size {
        None => 2 * h,
        Some(-1) => 3 * h, // NeuralForecast's input_size=-1
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
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>>>()?;
    let mut models = Vec::new();
    for name in &a.models {
        let canonical = registry::canonical_name(name)?;
        let mut overrides = vec![("max_steps".to_string(), a.max_steps.to_string())];
        if let Some(s) = a.seed {
            overrides.push(("random_seed".to_string(), s.to_string()));
        }
        for (target, k, v) in &sets {
            match target {
                Some(t) if !t.eq_ignore_ascii_case(canonical) => {}
                _ => overrides.push((k.clone(), v.clone())),
            }
        }
        models.push(registry::build_for_series(
            canonical, h, input_size, &overrides, n_series,
        )?);
    }
    Ok(models)
}

/// Fits with progress bars; returns each model's fit seconds and steps run.
fn fit_models(
    nf: &mut NeuralForecast,
    df: &PanelFrame,
    a: &ModelArgs,
) -> Result<(Vec<f64>, Vec<usize>)> {
    let names: Vec<String> = nf.models().iter().map(|m| m.alias()).collect();
    let mut bars = crate::progress::Bars::new(&names, a.quiet);
    let mut times = vec![0.0; names.len()];
    let mut started = Instant::now();
    let mut current = usize::MAX;
    let reports = nf.fit_with_progress(df, a.val_size, &mut |i, p| {
        if i != current {
            if current != usize::MAX {
                times[current] = started.elapsed().as_secs_f64();
            }
            current = i;
            started = Instant::now();
        }
        bars.update(i, p);
    })?;
    if current != usize::MAX {
        times[current] = started.elapsed().as_secs_f64();
    }
    bars.finish();
    Ok((times, reports.iter().map(|r| r.steps).collect()))
}

fn write_or_print(frame: &ForecastFrame, out: Option<&Path>) -> Result<()> {
    match out {
        Some(p) => frame
            .write_csv_file(p)
            .map_err(|e| format!("{}: {e}", p.display()))?,
        None => print!("{}", frame.to_csv_string()),
    }
    Ok(())
}

fn forecast(a: ForecastArgs) -> Result<()> {
    if let Some(p) = &a.plot {
        crate::plot::check_extension(p)?;
    }
    let df = load_data(
        a.model.data.as_deref(),
        a.model.static_data.as_deref(),
        &a.model.freq,
    )?;
    let (train, test) = match a.holdout {
        Some(n) => {
            let (tr, te) = df.split_tail(n)?;
            (tr, Some(te))
        }
        None => (df.clone(), None),
    };
    let models = build_models(&a.model, horizon(&a.model, a.holdout)?, df.n_series())?;
    let futr_file = a
        .futr
        .as_deref()
        .map(|p| crate::futr::read(p, df.freq()))
        .transpose()?;
    let mut nf = NeuralForecast::new(models, train.freq());
    let (fit_times, steps) = fit_models(&mut nf, &train, &a.model)?;
    let t = Instant::now();
    let uses_futr = nf
        .models()
        .iter()
        .any(|m| !m.base().futr_exog_list.is_empty());
    let futr = futr_file.as_ref().or(test.as_ref()).filter(|_| uses_futr);
    let fc = nf.predict(futr)?;
    let predict_s = t.elapsed().as_secs_f64();
    write_or_print(&fc, a.out.as_deref())?;
    let mut json = serde_json::Map::new();
    if let Some(test) = &test {
        let m = a
            .season_length
            .unwrap_or_else(|| train.freq().seasonality());
        let y_true: Vec<f32> = (0..test.n_series())
            .flat_map(|i| test.series(i).y.to_vec())
            .collect();
        eprintln!(
            "{:<16} {:>10} {:>10} {:>10} {:>10} {:>9}",
            "model", "MAE", "RMSE", "SMAPE%", "MASE", "fit s"
        );
        for (i, model) in nf.models().iter().enumerate() {
            let alias = model.alias();
            let point = point_column(&fc, model.as_ref());
            let y_hat = fc
                .column(&point)
                .ok_or_else(|| format!("no forecast column {point}"))?;
            let mae = metrics::mae(&y_true, y_hat)?;
            let rmse = metrics::rmse(&y_true, y_hat)?;
            let smape = metrics::smape(&y_true, y_hat)?;
            let mase = mase_panel(&train, test, y_hat, m)?;
            eprintln!(
                "{alias:<16} {mae:>10.3} {rmse:>10.3} {smape:>10.3} {mase:>10.3} {:>9.2}",
                fit_times[i]
            );
            json.insert(
                alias,
                serde_json::json!({"mae": mae, "rmse": rmse, "smape": smape, "mase": mase,
                    "fit_seconds": fit_times[i], "predict_seconds": predict_s, "steps": steps[i]}),
            );
        }
    } else {
        for (i, model) in nf.models().iter().enumerate() {
            json.insert(model.alias(), serde_json::json!({"fit_seconds": fit_times[i], "predict_seconds": predict_s, "steps": steps[i]}));
        }
    }
    if let Some(p) = &a.metrics_json {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "models": json }))?;
        neurodiv::write_atomic(p, text.as_bytes()).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(p) = &a.plot {
        crate::plot::draw(p, &df, &fc, test.is_some(), &a.plot_ids)?;
    }
    Ok(())
}

/// The column holding a model's point forecast (the model alias, or its median output).
fn point_column(fc: &ForecastFrame, model: &dyn NeuralModel) -> String {
    let loss = &model.base().loss;
    let name = format!(
        "{}{}",
        model.alias(),
        loss.output_names()[loss.point_index()]
    );
    if fc.column(&name).is_some() {
        name
    } else {
        model.alias()
    }
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

fn fit(a: FitArgs) -> Result<()> {
    let df = load_data(
        a.model.data.as_deref(),
        a.model.static_data.as_deref(),
        &a.model.freq,
    )?;
    let mut nf = NeuralForecast::new(
        build_models(&a.model, horizon(&a.model, None)?, df.n_series())?,
        df.freq(),
    );
    fit_models(&mut nf, &df, &a.model)?;
    nf.save(&a.save)?;
    eprintln!(
        "saved {} model(s) to {}",
        nf.models().len(),
        a.save.display()
    );
    Ok(())
}

fn predict(a: PredictArgs) -> Result<()> {
    let nf = NeuralForecast::load(&a.load)?;
    let opts = CsvOptions {
        freq: Some(nf.freq()),
        ..CsvOptions::default()
    };
    let futr = a
        .futr
        .as_deref()
        .map(|p| crate::futr::read(p, nf.freq()))
        .transpose()?;
    let fc = match &a.data {
        Some(p) => {
            let mut df = PanelFrame::from_csv_path(p, &opts)?;
            if let Some(sp) = &a.static_data {
                df = df.with_static(neurodiv::data::StaticFrame::from_csv_path(
                    sp,
                    &CsvOptions::default(),
                )?)?;
            }
            nf.predict_on(&df, futr.as_ref())?
        }
        None => nf.predict(futr.as_ref())?,
    };
    write_or_print(&fc, a.out.as_deref())
}

fn cv(a: CvArgs) -> Result<()> {
    let df = load_data(
        a.model.data.as_deref(),
        a.model.static_data.as_deref(),
        &a.model.freq,
    )?;
    let h = horizon(&a.model, None)?;
    let mut nf = NeuralForecast::new(build_models(&a.model, h, df.n_series())?, df.freq());
    let step = a.step_size.unwrap_or(h);
    let frame = nf.cross_validation(&df, a.n_windows, step, a.model.val_size, a.refit)?;
    write_or_print(&frame, a.out.as_deref())?;
    let y = frame.y.as_ref().expect("cross-validation frames hold y");
    for model in nf.models() {
        let point = point_column(&frame, model.as_ref());
        if let Some(col) = frame.column(&point) {
            eprintln!(
                "{}: MAE {:.3} over {} windows",
                model.alias(),
                metrics::mae(y, col)?,
                a.n_windows
            );
        }
    }
    Ok(())
}

fn models(a: ModelsArgs) -> Result<()> {
    match a.name {
        None => {
            for (name, family) in registry::model_families() {
                println!("{name:<18} {family}");
            }
        }
        Some(name) => {
            let config = registry::default_config(&name, 12, 24)?;
            println!(
                "{} options (defaults shown for h=12, input_size=24):",
                registry::canonical_name(&name)?
            );
            for (k, v) in config.as_object().expect("object") {
                println!("  {k:<32} {v}");
            }
        }
    }
    Ok(())
}
