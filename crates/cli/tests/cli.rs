//! The `neurodiv` binary: outputs, metrics, save/load, and clean failures (exit code 2, one line
//! on stderr, no partial output file).

use std::path::PathBuf;
use std::process::{Command, Output};

fn neurodiv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neurodiv"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("neurodiv-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

const TINY: [&str; 6] = [
    "--model",
    "MLP",
    "--set",
    "hidden_size=16",
    "--max-steps",
    "5",
];

#[test]
fn forecast_with_holdout_writes_forecasts_metrics_and_a_plot() {
    let dir = temp("forecast");
    let (out, metrics, plot) = (dir.join("fc.csv"), dir.join("m.json"), dir.join("p.svg"));
    let mut args = vec!["forecast"];
    args.extend(TINY);
    let paths = [
        out.to_str().unwrap(),
        metrics.to_str().unwrap(),
        plot.to_str().unwrap(),
    ];
    args.extend([
        "--holdout",
        "12",
        "--quiet",
        "--out",
        paths[0],
        "--metrics-json",
        paths[1],
        "--plot",
        paths[2],
    ]);
    let o = neurodiv(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(
        csv.starts_with("unique_id,ds,MLP\nAirPassengers,1960-01-31,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 13);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&metrics).unwrap()).unwrap();
    for key in [
        "mae",
        "rmse",
        "smape",
        "mase",
        "fit_seconds",
        "predict_seconds",
        "steps",
    ] {
        assert!(m["models"]["MLP"][key].is_number(), "{key} missing in {m}");
    }
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fit_then_predict_from_a_saved_directory() {
    let dir = temp("fitpredict");
    let save = dir.join("model");
    let mut args = vec!["fit"];
    args.extend(TINY);
    args.extend(["--quiet", "--save", save.to_str().unwrap()]);
    let o = neurodiv(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = neurodiv(&["predict", "--load", save.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .starts_with("unique_id,ds,MLP\nAirPassengers,1961-01-31,")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cross_validation_prints_cutoffs() {
    let mut args = vec!["cv"];
    args.extend(TINY);
    args.extend(["--n-windows", "2", "--quiet"]);
    let o = neurodiv(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("unique_id,ds,cutoff,y,MLP\n"), "{text}");
    assert_eq!(text.lines().count(), 1 + 24);
}

#[test]
fn bad_input_exits_2_with_one_line_and_no_output_file() {
    let dir = temp("bad");
    let out = dir.join("never.csv");
    let bad_csv = dir.join("bad.csv");
    std::fs::write(&bad_csv, "unique_id,ds,y\nA,2020-01-01,1\nA,2020-01-01,2\n").unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["--model", "NoSuchModel"],
        vec!["--data", "/no/such/file.csv"],
        vec!["--data", bad_csv.to_str().unwrap()],
        vec!["--model", "MLP", "--set", "hiden_size=3"],
        vec!["--model", "MLP", "--set", "hidden_size=-3"],
        vec!["--model", "MLP", "--input-size", "500"],
        vec!["--model", "MLP", "--input-size", "-2"],
        vec![
            "--model",
            "LSTM",
            "--set",
            "recurrent=true",
            "--set",
            "h_train=13",
        ],
    ];
    for case in cases {
        let mut args = vec!["forecast", "--quiet", "--out", out.to_str().unwrap()];
        args.extend(&case);
        let o = neurodiv(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{case:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{case:?}: {err}");
        assert!(err.starts_with("error: "), "{case:?}: {err}");
        assert!(!err.contains("panicked"), "{case:?}: {err}");
        assert!(!out.exists(), "{case:?} left an output file");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn input_size_minus_one_is_three_horizons_and_recurrent_models_forecast() {
    // NeuralForecast's input_size=-1: 3 * h; a recurrent-mode LSTM and DeepAR with intervals.
    for extra in [
        vec!["--model", "LSTM", "--set", "recurrent=true"],
        vec!["--model", "DeepAR", "--set", "scaler_type=robust"],
    ] {
        let mut args = vec!["forecast", "--quiet", "--h", "6", "--input-size", "-1"];
        args.extend(["--max-steps", "3", "--set", "windows_batch_size=16"]);
        args.extend(&extra);
        let o = neurodiv(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {err}");
        let text = String::from_utf8(o.stdout).unwrap();
        assert_eq!(text.lines().count(), 1 + 6, "{extra:?}: {text}");
        if extra[1] == "DeepAR" {
            assert!(
                text.lines().next().unwrap().contains("DeepAR-lo-80"),
                "{text}"
            );
        }
    }
}

#[test]
fn models_lists_every_model_and_its_options() {
    let o = neurodiv(&["models"]);
    let text = String::from_utf8(o.stdout).unwrap();
    for name in ["MLP", "NHITS", "NBEATS", "DLinear", "NLinear", "RLinear"] {
        assert!(text.contains(name), "{name} missing from {text}");
    }
    assert!(
        text.starts_with("model            family     takes"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("TSMixer ") && l.contains("no exog, multivariate")),
        "{text}"
    );
    let o = neurodiv(&["models", "nhits"]);
    let text = String::from_utf8(o.stdout).unwrap();
    let line = |key: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap()
            .to_string()
    };
    assert!(
        line("n_pool_kernel_size").contains("a list of integers"),
        "{text}"
    );
    assert!(
        line("n_pool_kernel_size").contains("pooling kernel per stack"),
        "{text}"
    );
    assert!(line("batch_size").contains("usize"), "{text}");
    assert!(
        line("loss ").ends_with("training loss"),
        "links are dropped: {text}"
    );
}

#[test]
fn a_bad_plot_name_fails_before_any_work() {
    let dir = temp("plotname");
    let out = dir.join("fc.csv");
    let mut args = vec!["forecast"];
    args.extend(TINY);
    args.extend(["--quiet", "--out", out.to_str().unwrap(), "--plot", "x.gif"]);
    let o = neurodiv(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn future_exogenous_values_come_from_a_csv_without_a_target() {
    let dir = temp("futr");
    let futr = dir.join("futr.csv");
    let mut text = String::from("unique_id,ds,trend\n");
    let months = [
        "01-31", "02-28", "03-31", "04-30", "05-31", "06-30", "07-31", "08-31", "09-30", "10-31",
        "11-30", "12-31",
    ];
    for (id, start) in [("Airline1", 144), ("Airline2", 288)] {
        for (k, md) in months.iter().enumerate() {
            text.push_str(&format!("{id},1961-{md},{}\n", start + k));
        }
    }
    std::fs::write(&futr, text).unwrap();
    let args = [
        "forecast",
        "--data",
        "../../data/air_passengers_panel.csv",
        "--model",
        "MLP",
        "--set",
        "hidden_size=16",
        "--set",
        r#"futr_exog_list=["trend"]"#,
        "--max-steps",
        "5",
        "--quiet",
        "--futr",
        futr.to_str().unwrap(),
    ];
    let o = neurodiv(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), 1 + 24, "{out}");
    // Without the file, a model with future columns is refused with a clear line.
    let o = neurodiv(&args[..args.len() - 2]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("futr"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn future_writes_the_frame_to_fill_and_wrong_dates_are_refused() {
    let dir = temp("future");
    let frame = dir.join("future.csv");
    let o = neurodiv(&[
        "future",
        "--data",
        "../../data/air_passengers_panel.csv",
        "--h",
        "12",
        "--out",
        frame.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&frame).unwrap();
    assert!(
        text.starts_with("unique_id,ds\nAirline1,1961-01-31\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1 + 24);
    // Filled with a `trend` column, the frame feeds --futr.
    let mut filled = String::from("unique_id,ds,trend\n");
    for (k, line) in text.lines().skip(1).enumerate() {
        filled.push_str(&format!("{line},{}\n", 144 + k));
    }
    let futr = dir.join("futr.csv");
    std::fs::write(&futr, &filled).unwrap();
    let run = |path: &std::path::Path| {
        neurodiv(&[
            "forecast",
            "--data",
            "../../data/air_passengers_panel.csv",
            "--model",
            "MLP",
            "--set",
            "hidden_size=16",
            "--set",
            r#"futr_exog_list=["trend"]"#,
            "--max-steps",
            "2",
            "--quiet",
            "--futr",
            path.to_str().unwrap(),
        ])
    };
    let o = run(&futr);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The same values dated a year later are refused, naming the series and the date.
    std::fs::write(&futr, filled.replace("1961-", "1962-")).unwrap();
    let o = run(&futr);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: futr_df, series `Airline1`: future row 1 is 1962-01-31 but the forecast's row 1 \
         is 1961-01-31; futr_df must hold each series' next h timestamps\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn predict_from_new_history_with_static_features() {
    let dir = temp("static");
    let save = dir.join("model");
    let (data, statics) = (
        "../../data/air_passengers_panel.csv",
        "../../data/air_passengers_static.csv",
    );
    let fit = [
        "fit",
        "--data",
        data,
        "--static",
        statics,
        "--model",
        "MLP",
        "--set",
        "hidden_size=16",
        "--set",
        r#"stat_exog_list=["airline1"]"#,
        "--max-steps",
        "5",
        "--quiet",
        "--save",
        save.to_str().unwrap(),
    ];
    let o = neurodiv(&fit);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = neurodiv(&[
        "predict",
        "--load",
        save.to_str().unwrap(),
        "--data",
        data,
        "--static",
        statics,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 1 + 24);
    // Without the static file the new history lacks the column: one clear line, exit code 2.
    let o = neurodiv(&["predict", "--load", save.to_str().unwrap(), "--data", data]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("airline1"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn distribution_losses_train_from_the_command_line_and_give_intervals() {
    for (model, size) in [("MLP", "hidden_size=16"), ("NHITS", "mlp_units=[[16,16]]")] {
        for dist in ["Normal", "StudentT"] {
            let loss = format!("loss=DistributionLoss({dist}, level=[80, 90], num_samples=200)");
            let o = neurodiv(&[
                "forecast",
                "--model",
                model,
                "--set",
                size,
                "--set",
                &loss,
                "--set",
                "scaler_type=robust",
                "--max-steps",
                "5",
                "--quiet",
            ]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let text = String::from_utf8(o.stdout).unwrap();
            let header = format!(
                "unique_id,ds,{model},{model}-median,{model}-lo-90,{model}-lo-80,{model}-hi-80,{model}-hi-90"
            );
            assert_eq!(text.lines().next(), Some(header.as_str()), "{model} {dist}");
            for line in text.lines().skip(1) {
                let v: Vec<f32> = line
                    .split(',')
                    .skip(2)
                    .map(|x| x.parse().unwrap())
                    .collect();
                assert!(
                    v[2] <= v[3] && v[3] <= v[1] && v[1] <= v[4] && v[4] <= v[5],
                    "{line}"
                );
            }
        }
    }
    // A misspelt distribution is a one-line error naming the valid ones.
    let o = neurodiv(&[
        "forecast",
        "--model",
        "MLP",
        "--set",
        "loss=DistributionLoss(Gauss)",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("Normal, StudentT"), "{err}");
}

#[test]
fn repairs_are_opt_in_and_each_prints_one_line() {
    let dir = temp("repairs");
    let data = dir.join("gappy.csv");
    // 40 daily points with rows out of order, two missing days and one empty target, in
    // custom column names.
    let mut text = String::from("store,date,sales\n");
    let mut rows: Vec<String> = (0..42)
        .filter(|d| *d != 10 && *d != 11)
        .map(|d| {
            let day = chrono_day(d);
            let y = if d == 20 {
                String::new()
            } else {
                (d % 7).to_string()
            };
            format!("S1,{day},{y}\n")
        })
        .collect();
    rows.swap(3, 4);
    text.extend(rows);
    std::fs::write(&data, text).unwrap();
    let path = data.to_str().unwrap();
    let base = [
        "forecast",
        "--data",
        path,
        "--id-col",
        "store",
        "--time-col",
        "date",
        "--target-col",
        "sales",
        "--h",
        "5",
        "--input-size",
        "10",
        "--model",
        "MLP",
        "--set",
        "hidden_size=8",
        "--max-steps",
        "2",
        "--quiet",
    ];
    let o = neurodiv(&base);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--allow-missing"));
    let mut args = base.to_vec();
    args.extend(["--sort", "--fill-gaps", "--allow-missing"]);
    let o = neurodiv(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "repaired: sort: reordered 2 rows of 1 series by time",
            "repaired: fill_gaps: inserted 2 missing timestamps in 1 series (targets masked as unavailable, exogenous values carried forward)",
            "repaired: missing_targets: 1 empty or NaN targets in 1 series are masked in training (available_mask = 0)",
        ]
    );
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.starts_with("unique_id,ds,MLP\nS1,2024-02-12,"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `2024-01-01` plus `d` days, as text.
fn chrono_day(d: u32) -> String {
    let days_in = [31, 29, 31];
    let (mut m, mut day) = (0, d + 1);
    while day > days_in[m] {
        day -= days_in[m];
        m += 1;
    }
    format!("2024-{:02}-{day:02}", m + 1)
}

#[test]
fn evaluate_scores_a_cross_validation_file_per_series_and_on_average() {
    let dir = temp("evaluate");
    let cv = dir.join("cv.csv");
    let mut args = vec!["cv"];
    args.extend(TINY);
    args.extend(["--n-windows", "2", "--quiet", "--out", cv.to_str().unwrap()]);
    let o = neurodiv(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = neurodiv(&["evaluate", "--forecast", cv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "unique_id,metric,MLP");
    let metrics: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(metrics, ["mae", "rmse", "smape", "mase"]);
    // The MAE agrees with the one `cv` printed.
    let printed = String::from_utf8_lossy(&neurodiv(&args).stderr).to_string();
    let mae: f64 = lines[1].split(',').nth(2).unwrap().parse().unwrap();
    assert!(
        printed.contains(&format!("MAE {mae:.3}")),
        "{printed} vs {mae}"
    );
    let o = neurodiv(&[
        "evaluate",
        "--forecast",
        cv.to_str().unwrap(),
        "--metrics",
        "mae,mape",
        "--mean",
    ]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.starts_with("metric,MLP\nmae,"), "{out}");
    assert_eq!(out.lines().count(), 3);
    let o = neurodiv(&[
        "evaluate",
        "--forecast",
        cv.to_str().unwrap(),
        "--metrics",
        "r2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .starts_with("error: invalid argument: unknown metric `r2`")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_model_twice_with_aliases_an_ensemble_and_errors_in_the_options_terms() {
    let o = neurodiv(&[
        "forecast",
        "--model",
        "MLP:alias=mlp_a,seed=1",
        "--model",
        "MLP:alias=mlp_b,seed=2",
        "--set",
        "hidden_size=8",
        "--set",
        "mlp_b.scaler_type=Robust",
        "--max-steps",
        "3",
        "--holdout",
        "12",
        "--ensemble",
        "median",
        "--threads",
        "1",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.starts_with("unique_id,ds,mlp_a,mlp_b,Ensemble\n"),
        "{out}"
    );
    // The median of two forecasts is their mean.
    let row: Vec<f32> = out
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .skip(2)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!((row[2] - (row[0] + row[1]) / 2.0).abs() < 1e-3, "{row:?}");
    let table = String::from_utf8(o.stderr).unwrap();
    assert!(table.lines().any(|l| l.starts_with("Ensemble ")), "{table}");
    let error = |args: &[&str]| {
        let o = neurodiv(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        String::from_utf8(o.stderr).unwrap()
    };
    assert_eq!(
        error(&["forecast", "--model", "MLP", "--model", "MLP", "--quiet"]),
        "error: two models are called MLP: give each its own alias, e.g. --model MLP:alias=MLP_1\n"
    );
    assert_eq!(
        error(&[
            "forecast",
            "--model",
            "MLP",
            "--set",
            "MPL.hidden_size=8",
            "--quiet"
        ]),
        "error: --set MPL.hidden_size: \"MPL\" names no model of this run (models: MLP)\n"
    );
    assert_eq!(
        error(&["forecast", "--set", "mlp_units=[256,256]", "--quiet"]),
        "error: NHITS: option mlp_units takes a list of lists of integers, like \
         [[512,512],[512,512],[512,512]] (its default), got [256,256]\n"
    );
    assert!(error(&["forecast", "--model", "MLP:hidden_size", "--quiet"]).contains("has no '='"));
}

#[test]
fn parquet_and_arrow_files_in_and_out() {
    let dir = temp("parquet");
    let (fc, cv, fut) = (
        dir.join("fc.parquet"),
        dir.join("cv.arrow"),
        dir.join("future.parquet"),
    );
    // A Parquet panel made by the library from the CSV one.
    let panel = neurodiv::data::PanelFrame::from_csv_path(
        "../../data/air_passengers_panel.csv",
        &neurodiv::data::CsvOptions::default(),
    )
    .unwrap();
    let data = dir.join("panel.parquet");
    std::fs::write(
        &data,
        panel.to_bytes(neurodiv::data::FileFormat::Parquet).unwrap(),
    )
    .unwrap();
    let data = data.to_str().unwrap();
    let mut args = vec!["forecast", "--data", data];
    args.extend(TINY);
    args.extend(["--holdout", "12", "--quiet", "--out", fc.to_str().unwrap()]);
    let o = neurodiv(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(&fc).unwrap().starts_with(b"PAR1"));
    let o = neurodiv(&[
        "evaluate",
        "--forecast",
        fc.to_str().unwrap(),
        "--data",
        data,
        "--mean",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .starts_with("metric,MLP\nmae,")
    );
    let mut args = vec!["cv", "--data", data];
    args.extend(TINY);
    args.extend(["--n-windows", "1", "--quiet", "--out", cv.to_str().unwrap()]);
    assert!(neurodiv(&args).status.success());
    let back = neurodiv::ForecastFrame::from_path(&cv).unwrap();
    assert_eq!(back.len(), 24);
    assert!(back.cutoff.is_some() && back.y.is_some());
    let o = neurodiv(&[
        "future",
        "--data",
        data,
        "--h",
        "2",
        "--out",
        fut.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let opts = neurodiv::data::CsvOptions::default().with_freq(panel.freq());
    let f = neurodiv::data::PanelFrame::future_from_path(&fut, &opts).unwrap();
    assert_eq!(f.len(), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn conformal_levels_from_forecast_and_from_a_saved_fit() {
    let dir = temp("conformal");
    let metrics = dir.join("m.json");
    let mut args = vec!["forecast"];
    args.extend(TINY);
    args.extend([
        "--conformal-windows",
        "3",
        "--level",
        "80",
        "--holdout",
        "12",
        "--quiet",
        "--metrics-json",
        metrics.to_str().unwrap(),
    ]);
    let o = neurodiv(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.starts_with("unique_id,ds,MLP,MLP-lo-80,MLP-hi-80\n"),
        "{out}"
    );
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("80% covers"), "{err}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&metrics).unwrap()).unwrap();
    assert!(m["models"]["MLP"]["intervals"]["80"]["coverage_percent"].is_number());
    assert!(m["models"]["MLP"]["scaled_crps"].is_number());

    // fit saves the calibration; predict asks for levels later.
    let save = dir.join("saved");
    let mut args = vec!["fit"];
    args.extend(TINY);
    args.extend(["--conformal-windows", "2", "--quiet", "--save"]);
    args.push(save.to_str().unwrap());
    assert!(neurodiv(&args).status.success());
    let o = neurodiv(&["predict", "--load", save.to_str().unwrap(), "--level", "90"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .starts_with("unique_id,ds,MLP,MLP-lo-90,MLP-hi-90\n")
    );

    // Without calibration a point loss has no intervals: refused before any training.
    let mut args = vec!["forecast"];
    args.extend(TINY);
    args.extend(["--level", "80"]);
    let o = neurodiv(&args);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("conformal"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
