//! The core checks of every model: shapes, losses, horizons and input sizes, cross-validation,
//! save/load, threads, seeding and learning.

use crate::harness::*;
use neurodiv::prelude::*;

#[test]
fn every_model_predicts_h_rows_with_its_columns() {
    for_each_model("shapes", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        let model = build(name, H, L, df.n_series(), &[]);
        let columns = expected_columns(&model.alias(), &model.base().loss);
        let (report, fc, _) = fit_predict(model, &train);
        assert_eq!(report.train_losses.len(), QUICK_STEPS, "{name}: steps");
        assert_eq!(report.steps, QUICK_STEPS, "{name}: steps");
        check_forecast(name, &fc, H * df.n_series(), &columns);
        // The forecast continues the training data, month by month.
        let s = train.series(0);
        let next = train.freq().advance(&s.last_ds(), 1).unwrap();
        assert_eq!(fc.ds[0], next, "{name}: first forecast date");
        assert_eq!(fc.unique_id[0], s.id, "{name}: unique_id");
    });
}

#[test]
fn every_model_trains_with_every_compatible_loss() {
    for_each_model("losses", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        for loss in compatible_losses() {
            let what = format!("{name} with {loss:?}");
            let probe = build(name, H, L, df.n_series(), &[]);
            if probe.capabilities().multivariate && matches!(loss, Loss::MASE { .. }) {
                // MASE scales each window by its own history; multivariate models refuse it.
                continue;
            }
            if !takes_loss(name, &loss) {
                let sets = overrides(name, df.n_series(), &[("loss", loss_json(&loss))]);
                match neurodiv::registry::build(split_variant(name).0, H, L, &sets) {
                    Err(NfError::Core(neurodiv::core::CoreError::Config {
                        field: "loss", ..
                    })) => {
                        continue;
                    }
                    other => panic!("{what}: expected a refusal, got {:?}", other.map(|_| ())),
                }
            }
            let model = build(name, H, L, df.n_series(), &[("loss", loss_json(&loss))]);
            assert_eq!(model.base().loss, loss, "{what}: loss override");
            let columns = expected_columns(&model.alias(), &loss);
            let (report, fc, _) = fit_predict(model, &train);
            assert!(
                report.train_losses.iter().all(|l| l.is_finite()),
                "{what}: training losses {:?}",
                report.train_losses
            );
            check_forecast(&what, &fc, H * df.n_series(), &columns);
        }
        if !takes_loss(name, &Loss::mq_default()) {
            return;
        }
        // NeuralForecast's DistributionLoss and MQLoss column names, spelled out.
        let dist = build(
            name,
            H,
            L,
            df.n_series(),
            &[(
                "loss",
                "\"DistributionLoss(StudentT, level=[80], num_samples=20)\"".into(),
            )],
        );
        let alias = dist.alias();
        let (_, fc, _) = fit_predict(dist, &train);
        let want: Vec<String> = ["", "-median", "-lo-80", "-hi-80"]
            .iter()
            .map(|s| format!("{alias}{s}"))
            .collect();
        assert_eq!(fc.column_names(), want, "{name}: DistributionLoss columns");
        let mq = build(
            name,
            H,
            L,
            df.n_series(),
            &[("loss", loss_json(&Loss::mq_from_levels(&[80, 90])))],
        );
        let alias = mq.alias();
        let (_, fc, _) = fit_predict(mq, &train);
        let want: Vec<String> = ["-median", "-lo-90", "-lo-80", "-hi-80", "-hi-90"]
            .iter()
            .map(|s| format!("{alias}{s}"))
            .collect();
        assert_eq!(fc.column_names(), want, "{name}: MQLoss columns");
    });
}

#[test]
fn every_model_validates_with_every_compatible_loss() {
    // A validation split with a check at every step scores each loss in the original scale
    // (MASE with the windows' inputs, distributions by their likelihood).
    for_each_model("validation", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        for loss in compatible_losses() {
            let what = format!("{name} with {loss} and val_size = {H}");
            let probe = build(name, H, L, df.n_series(), &[]);
            if probe.capabilities().multivariate && matches!(loss, Loss::MASE { .. })
                || !takes_loss(name, &loss)
            {
                continue;
            }
            let model = build(
                name,
                H,
                L,
                df.n_series(),
                &[("loss", loss_json(&loss)), ("val_check_steps", "1".into())],
            );
            let (report, fc, _) = fit_predict_with_validation(model, &train, H);
            assert_eq!(
                report.valid_losses.len(),
                report.steps,
                "{what}: one check per step"
            );
            assert!(
                report.valid_losses.iter().all(|(_, v)| v.is_finite()),
                "{what}: validation losses {:?}",
                report.valid_losses
            );
            assert_eq!(fc.len(), H * df.n_series(), "{what}: rows");
        }
    });
}

#[test]
fn every_model_takes_other_horizons_and_input_sizes() {
    for_each_model("horizons", |name| {
        let df = data_for(name);
        for (h, l) in [(24, 48), (24, 24), (12, 36), (12, 12), (1, 12), (7, 20)] {
            let what = format!("{name} h={h} input_size={l}");
            let (train, _) = df.split_tail(h).unwrap();
            let model = build(name, h, l, df.n_series(), &[]);
            let columns = expected_columns(&model.alias(), &model.base().loss);
            let (_, fc, _) = fit_predict(model, &train);
            check_forecast(&what, &fc, h * df.n_series(), &columns);
        }
    });
}

#[test]
fn every_model_cross_validates_and_predicts_insample() {
    for_each_model("cross_validation", |name| {
        let df = data_for(name);
        let model = build(name, H, L, df.n_series(), &[]);
        let columns = expected_columns(&model.alias(), &model.base().loss);
        let mut nf = NeuralForecast::new(vec![model], df.freq());
        for refit in [false, true] {
            let what = format!("{name} cross_validation(refit={refit})");
            let cv = nf
                .cross_validation(&df, 2, H, 0, refit)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            check_forecast(&what, &cv, 2 * H * df.n_series(), &columns);
            let (cutoffs, y) = (cv.cutoff.as_ref().unwrap(), cv.y.as_ref().unwrap());
            let s = df.series(0);
            let n = s.y.len();
            for w in 0..2 {
                let first = n - 2 * H + w * H; // first forecast index of window w
                for k in 0..H {
                    let r = w * H + k;
                    assert_eq!(cutoffs[r], s.ds[first - 1], "{what}: cutoff row {r}");
                    assert_eq!(cv.ds[r], s.ds[first + k], "{what}: ds row {r}");
                    assert_eq!(
                        y[r].to_bits(),
                        s.y[first + k].to_bits(),
                        "{what}: y row {r}"
                    );
                }
            }
        }
        // After cross-validation the models are fitted: in-sample windows every 12 points.
        let ins = nf
            .predict_insample(H)
            .unwrap_or_else(|e| panic!("{name}: predict_insample: {e}"));
        // As in NeuralForecast, the history after cross-validation is the whole data.
        let per_series = (df.series(0).y.len() - L - H) / H + 1;
        check_forecast(
            &format!("{name} predict_insample"),
            &ins,
            per_series * H * df.n_series(),
            &columns,
        );
    });
}

#[test]
fn every_model_saves_and_loads_bit_for_bit() {
    for_each_model("save/load", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        for loss in [Loss::MAE, Loss::mq_from_levels(&[80, 90])] {
            if !takes_loss(name, &loss) {
                continue;
            }
            let model = build(name, H, L, df.n_series(), &[("loss", loss_json(&loss))]);
            let (_, before, nf) = fit_predict(model, &train);
            let dir = TempDir(temp_dir(&format!("conformance-{name}-{}", loss.name())));
            nf.save(&dir.0)
                .unwrap_or_else(|e| panic!("{name}: save: {e}"));
            let loaded =
                NeuralForecast::load(&dir.0).unwrap_or_else(|e| panic!("{name}: load: {e}"));
            assert_eq!(
                loaded.models()[0].config_json(),
                nf.models()[0].config_json(),
                "{name}: config after load"
            );
            let after = loaded
                .predict(None)
                .unwrap_or_else(|e| panic!("{name}: predict after load: {e}"));
            assert_eq!(bits(&before), bits(&after), "{name} {loss:?}: forecasts");
            assert_eq!(before.ds, after.ds, "{name}: ds");
            assert_eq!(before.unique_id, after.unique_id, "{name}: unique_id");
            drop(dir);
            assert!(!temp_dir(&format!("conformance-{name}-{}", loss.name())).exists());
        }
    });
}

#[test]
fn every_model_fits_on_another_thread_and_predicts_from_shared_refs() {
    for_each_model("threads", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        let (_, here, _) = fit_predict(build(name, H, L, df.n_series(), &[]), &train);
        let model = build(name, H, L, df.n_series(), &[]);
        let moved = train.clone();
        let (there, nf) = std::thread::spawn(move || {
            let (_, fc, nf) = fit_predict(model, &moved);
            (fc, nf)
        })
        .join()
        .unwrap_or_else(|_| panic!("{name}: fitting on another thread panicked"));
        assert_eq!(
            bits(&here),
            bits(&there),
            "{name}: thread changed the forecast"
        );
        // A fitted NeuralForecast is shared by reference between threads (Sync).
        let shared = &nf;
        let forecasts: Vec<ForecastFrame> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|_| s.spawn(move || shared.predict(None).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for fc in &forecasts {
            assert_eq!(bits(fc), bits(&here), "{name}: concurrent predict");
        }
    });
}

#[test]
fn every_model_is_reproducible_by_seed() {
    for_each_model("seeds", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        let run = |seed: u64| {
            let model = build(
                name,
                H,
                L,
                df.n_series(),
                &[("random_seed", seed.to_string())],
            );
            let (report, fc, _) = fit_predict(model, &train);
            let losses: Vec<u32> = report.train_losses.iter().map(|l| l.to_bits()).collect();
            (losses, bits(&fc))
        };
        let (a, b, c) = (run(7), run(7), run(8));
        assert_eq!(a, b, "{name}: same seed, different results");
        assert_ne!(a.1, c.1, "{name}: seeds 7 and 8 give the same forecast");
    });
}

#[test]
fn every_model_learns() {
    // 300 steps of a tiny network. One step's loss depends on its random batch, so the check is
    // on means: the last 20 steps' mean loss is below the first 20 steps' mean, and the final
    // loss is below the first step's loss.
    const STEPS: usize = 300;
    for_each_model("learning", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        let model = build(
            name,
            H,
            L,
            df.n_series(),
            &[("max_steps", STEPS.to_string())],
        );
        let (report, _, _) = fit_predict(model, &train);
        let l = &report.train_losses;
        assert_eq!(l.len(), STEPS, "{name}: steps");
        let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
        let (first, last) = (mean(&l[..20]), mean(&l[STEPS - 20..]));
        eprintln!(
            "{name}: loss {:.3} -> {:.3} (means of 20: {first:.3} -> {last:.3})",
            l[0],
            l[STEPS - 1]
        );
        assert!(last < first, "{name}: mean loss {first} -> {last}");
        assert!(
            l[STEPS - 1] < l[0],
            "{name}: loss {} -> {}",
            l[0],
            l[STEPS - 1]
        );
        // Trained with MQLoss, the columns hold the right quantiles: on average over the
        // horizon, lo-90 < median < hi-90.
        let mq = Loss::mq_from_levels(&[80, 90]);
        if !takes_loss(name, &mq) {
            return;
        }
        let model = build(
            name,
            H,
            L,
            df.n_series(),
            &[("max_steps", STEPS.to_string()), ("loss", loss_json(&mq))],
        );
        let alias = model.alias();
        let (_, fc, _) = fit_predict(model, &train);
        let col = |s: &str| mean(fc.column(&format!("{alias}{s}")).unwrap());
        let (lo, med, hi) = (col("-lo-90"), col("-median"), col("-hi-90"));
        assert!(
            lo < med && med < hi,
            "{name}: lo-90 {lo}, median {med}, hi-90 {hi}"
        );
    });
}
