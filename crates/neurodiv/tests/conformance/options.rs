//! Every model with exogenous columns, scalers, optimizers, training options, panels, short
//! series, thread counts and together with the other models.

use crate::harness::*;
use neurodiv::prelude::*;
use neurodiv::registry;

#[test]
fn exogenous_columns_follow_the_capabilities() {
    // Models that take a kind of exogenous column train and predict with it on the panel; models
    // that do not are refused with a clear error before training.
    let panel = neurodiv::datasets::air_passengers_panel().unwrap();
    let (train, test) = panel.split_tail(H).unwrap();
    for_each_model("exogenous", |name| {
        let caps = build(name, H, L, panel.n_series(), &[]).capabilities();
        for (key, col, ok) in [
            ("futr_exog_list", "trend", caps.futr_exog),
            ("hist_exog_list", "y_[lag12]", caps.hist_exog),
            ("stat_exog_list", "airline1", caps.stat_exog),
        ] {
            let what = format!("{name} {key}");
            let model = build(
                name,
                H,
                L,
                panel.n_series(),
                &[(key, format!("[\"{col}\"]"))],
            );
            let columns = model_columns(model.as_ref());
            let mut nf = NeuralForecast::new(vec![model], train.freq());
            let fitted = nf.fit(&train, 0);
            if !ok {
                let err = fitted.expect_err(&what).to_string();
                assert!(err.contains("does not take"), "{what}: {err}");
                continue;
            }
            fitted.unwrap_or_else(|e| panic!("{what}: fit: {e}"));
            let fc = nf
                .predict(Some(&test))
                .unwrap_or_else(|e| panic!("{what}: predict: {e}"));
            check_forecast(&what, &fc, H * panel.n_series(), &columns);
            // The saved history keeps the exogenous and static columns.
            let dir = TempDir(temp_dir(&format!("conformance-exog-{name}-{key}")));
            nf.save(&dir.0).unwrap();
            let loaded = NeuralForecast::load(&dir.0).unwrap_or_else(|e| panic!("{what}: {e}"));
            let after = loaded.predict(Some(&test)).unwrap();
            assert_eq!(bits(&fc), bits(&after), "{what}: forecasts after load");
        }
    });
}

#[test]
fn every_model_trains_with_every_scaler_and_optimizer() {
    use neurodiv::optim::OptimizerKind;
    for_each_model("scalers", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        let scalers = ScalerType::ALL.map(|s| ("scaler_type", serde_json::to_string(&s).unwrap()));
        let optimizers = [
            OptimizerKind::AdamW,
            OptimizerKind::Sgd,
            OptimizerKind::RmsProp,
        ]
        .map(|o| ("optimizer", serde_json::to_string(&o).unwrap()));
        for extra in scalers.iter().chain(&optimizers) {
            let what = format!("{name} {}={}", extra.0, extra.1);
            let model = build(name, H, L, df.n_series(), std::slice::from_ref(extra));
            let columns = expected_columns(&model.alias(), &model.base().loss);
            let (report, fc, _) = fit_predict(model, &train);
            assert!(
                report.train_losses.iter().all(|l| l.is_finite()),
                "{what}: training losses {:?}",
                report.train_losses
            );
            check_forecast(&what, &fc, H * df.n_series(), &columns);
        }
    });
}

#[test]
fn every_model_takes_the_training_options() {
    for_each_model("options", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        let rows = H * df.n_series();
        let cases: [&[(&str, String)]; 5] = [
            &[("exclude_insample_y", "true".into())],
            &[("step_size", "3".into())],
            &[("gradient_clip_val", "0.5".into())],
            &[("num_lr_decays", "2".into()), ("max_steps", "8".into())],
            &[
                ("batch_size", "1".into()),
                ("windows_batch_size", "1".into()),
            ],
        ];
        for extra in cases {
            let what = format!("{name} {extra:?}");
            // A model may refuse an option it cannot honour (DeepAR reads its own past values
            // and refuses exclude_insample_y), with a typed error naming the option.
            let (registry_name, _) = split_variant(name);
            let built =
                registry::build(registry_name, H, L, &overrides(name, df.n_series(), extra));
            if let Err(e) = &built {
                assert!(e.to_string().contains(extra[0].0), "{what}: {e}");
                continue;
            }
            let model = build(name, H, L, df.n_series(), extra);
            let columns = expected_columns(&model.alias(), &model.base().loss);
            let (report, fc, _) = fit_predict(model, &train);
            assert!(report.train_losses.iter().all(|l| l.is_finite()), "{what}");
            check_forecast(&what, &fc, rows, &columns);
        }
        // Validation and early stopping.
        let model = build(
            name,
            H,
            L,
            df.n_series(),
            &[
                ("max_steps", "40".into()),
                ("val_check_steps", "5".into()),
                ("early_stop_patience_steps", "2".into()),
            ],
        );
        let mut nf = NeuralForecast::new(vec![model], train.freq());
        let report = nf
            .fit(&train, H)
            .unwrap_or_else(|e| panic!("{name}: fit with validation: {e}"))
            .remove(0);
        assert!(!report.valid_losses.is_empty(), "{name}: no validation");
        assert!(report.valid_losses.iter().all(|(_, v)| v.is_finite()));
        assert!(report.steps <= 40 && report.train_losses.len() == report.steps);
    });
}

#[test]
fn forecasts_do_not_depend_on_the_inference_batch_size() {
    for_each_model("inference batch", |name| {
        if BATCH_COUPLED.contains(&name) {
            return;
        }
        let df = neurodiv::datasets::air_passengers_panel().unwrap();
        let (train, _) = df.split_tail(H).unwrap();
        let run = |extra: &[(&str, String)]| {
            let (_, fc, nf) = fit_predict(build(name, H, L, df.n_series(), extra), &train);
            let ins = nf.predict_insample(H).unwrap();
            (bits(&fc), bits(&ins))
        };
        let all = run(&[("inference_windows_batch_size", "null".into())]);
        let one = run(&[("inference_windows_batch_size", "1".into())]);
        let three = run(&[("inference_windows_batch_size", "3".into())]);
        assert_eq!(all, one, "{name}: batches of 1 vs all windows");
        assert_eq!(all, three, "{name}: batches of 3 vs all windows");
    });
}

#[test]
fn every_model_forecasts_each_series_of_a_panel() {
    // The panel holds Airline1 and Airline2 = Airline1 + 300; its exogenous columns are unused.
    let panel = neurodiv::datasets::air_passengers_panel().unwrap();
    let (train, _) = panel.split_tail(H).unwrap();
    for_each_model("panel", |name| {
        let model = build(name, H, L, panel.n_series(), &[]);
        let columns = model_columns(model.as_ref());
        let alias = columns[0].clone();
        let (_, fc, nf) = fit_predict(model, &train);
        check_forecast(name, &fc, 2 * H, &columns);
        assert!(
            fc.unique_id[..H].iter().all(|id| id == "Airline1"),
            "{name}"
        );
        assert!(
            fc.unique_id[H..].iter().all(|id| id == "Airline2"),
            "{name}"
        );
        assert_eq!(fc.ds[..H], fc.ds[H..], "{name}: both series end together");
        let v = fc.column(&alias).unwrap();
        assert_ne!(v[..H], v[H..], "{name}: both series get the same forecast");
        // Skipped for multivariate models: they forecast a fixed set of n_series jointly, so
        // one series alone is not a valid input.
        if nf.models()[0].capabilities().multivariate {
            return;
        }
        // predict_on a frame holding only Airline2 gives Airline2's rows.
        let only2 = train.filter_ids(&["Airline2"]).unwrap();
        let fc2 = nf.predict_on(&only2, None).unwrap();
        let bits2: Vec<u32> = fc2
            .column(&alias)
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect();
        let want: Vec<u32> = v[H..].iter().map(|x| x.to_bits()).collect();
        assert_eq!(bits2, want, "{name}: predict_on one series");
    });
}

#[test]
fn too_short_series_are_typed_errors_or_padded() {
    // 132 points and input_size 200: without start padding, fit refuses with an error naming
    // input_size; with it, NeuralForecast pads the start and trains and predicts.
    for_each_model("short series", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        let model = build(name, H, 200, df.n_series(), &[]);
        let mut nf = NeuralForecast::new(vec![model], train.freq());
        let err = nf.fit(&train, 0).expect_err(name).to_string();
        assert!(err.contains("input_size"), "{name}: {err}");
        let model = build(
            name,
            H,
            200,
            df.n_series(),
            &[("start_padding_enabled", "true".into())],
        );
        let columns = expected_columns(&model.alias(), &model.base().loss);
        let (report, fc, _) = fit_predict(model, &train);
        assert!(report.train_losses.iter().all(|l| l.is_finite()), "{name}");
        check_forecast(name, &fc, H * df.n_series(), &columns);
    });
}

#[test]
fn forecasts_do_not_depend_on_the_thread_count() {
    for_each_model("thread count", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let model = build(name, H, L, df.n_series(), &[("max_steps", "10".into())]);
                let (report, fc, _) = fit_predict(model, &train);
                let losses: Vec<u32> = report.train_losses.iter().map(|l| l.to_bits()).collect();
                (losses, bits(&fc))
            })
        };
        assert_eq!(run(1), run(2), "{name}: 1 vs 2 threads");
    });
}

#[test]
fn all_models_fit_together_as_they_do_alone() {
    // One NeuralForecast with every univariate model: the columns come in model order, and each
    // equals the forecast of the model fitted alone.
    let df = neurodiv::datasets::air_passengers().unwrap();
    let (train, _) = df.split_tail(H).unwrap();
    let names: Vec<&str> = registry::model_names()
        .into_iter()
        .filter(|&n| !build(n, H, L, 1, &[]).capabilities().multivariate)
        .collect();
    let models: Vec<Box<dyn NeuralModel>> = names
        .iter()
        .enumerate()
        .map(|(i, &n)| build(n, H, L, 1, &[("alias", format!("\"m{i}\""))]))
        .collect();
    let mut nf = NeuralForecast::new(models, train.freq());
    nf.fit(&train, 0).unwrap();
    let together = nf.predict(None).unwrap();
    let want: Vec<String> = nf
        .models()
        .iter()
        .flat_map(|m| model_columns(m.as_ref()))
        .collect();
    assert_eq!(together.column_names(), want);
    for (i, &n) in names.iter().enumerate() {
        let (_, alone, _) = fit_predict(build(n, H, L, 1, &[]), &train);
        for (j, (_, column)) in alone.columns.iter().enumerate() {
            let a: Vec<u32> = column.iter().map(|x| x.to_bits()).collect();
            let name = format!("m{i}{}", &alone.columns[j].0[n.len()..]);
            let t = &together
                .columns
                .iter()
                .find(|c| c.0 == name)
                .expect("column")
                .1;
            let t: Vec<u32> = t.iter().map(|x| x.to_bits()).collect();
            assert_eq!(a, t, "{n}: {name} fitted with the others");
        }
    }
}
