//! The distribution and Huber quantile losses against NeuralForecast 3.3 itself: values,
//! element-wise negative log-likelihoods of the `torch.distributions` objects it builds, and
//! gradients with respect to the raw outputs, from `fixtures/dists.json` (written by
//! `fixtures/dump_torch_dists.py` with the pinned venv); output names against its
//! `output_names`.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_optim::Loss;
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("fixtures/dists.json");
    serde_json::from_str(text).expect("fixture parses")
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number") as f32)
        .collect()
}

/// `|a - b| <= atol + rtol |b|` for every pair.
fn assert_near(what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= atol + rtol * w.abs(),
            "{what}[{i}]: got {g}, NeuralForecast {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

#[test]
fn distributions_match_neuralforecast() {
    let fx = fixture();
    let mut seen = 0;
    for case in fx["cases"].as_array().unwrap() {
        let text = case["loss"].as_str().unwrap();
        let loss: Loss = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        let Loss::DistributionLoss { distribution, .. } = &loss else {
            continue;
        };
        seen += 1;
        let m = case["m"].as_u64().unwrap() as usize;
        assert_eq!(loss.outputsize_multiplier(), m, "{text}: outputs per step");
        let y = floats(&case["y"]);
        let (b, h) = (3, y.len() / 3);
        let tape = Tape::new();
        let raw = tape.param(Tensor::from_vec(&[b, h, m], floats(&case["raw"])));
        let loc = tape.constant(Tensor::from_vec(&[b, 1], floats(&case["loc"])));
        let scale = tape.constant(Tensor::from_vec(&[b, 1], floats(&case["scale"])));
        let yv = tape.constant(Tensor::from_vec(&[b, h], y.clone()));
        let mask = tape.constant(Tensor::ones(&[b, h]));
        let params = distribution.decouple(raw, loc, scale);
        let nll = distribution.neg_log_prob(&params, yv);
        assert_near(
            &format!("{text} -log_prob"),
            nll.value().data(),
            &floats(&case["nll"]),
            2e-5,
            2e-5,
        );
        let value = loss.distribution_nll(yv, raw, loc, scale, mask, None);
        let want = case["value"].as_f64().unwrap() as f32;
        assert_near(text, &[value.value().item()], &[want], 1e-6, 1e-5);
        let grads = tape.backward(value);
        assert_near(
            &format!("{text} gradient"),
            grads.get(raw).unwrap().data(),
            &floats(&case["grad"]),
            1e-6,
            1e-4,
        );
    }
    assert_eq!(seen, 13, "distribution cases");
}

#[test]
fn huber_quantile_losses_match_neuralforecast() {
    let fx = fixture();
    let mut seen = 0;
    for case in fx["cases"].as_array().unwrap() {
        let text = case["loss"].as_str().unwrap();
        let loss: Loss = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        if loss.is_distribution() {
            continue;
        }
        seen += 1;
        let m = case["m"].as_u64().unwrap() as usize;
        assert_eq!(loss.outputsize_multiplier(), m, "{text}: outputs per step");
        let y = floats(&case["y"]);
        let (b, h) = (3, y.len() / 3);
        let tape = Tape::new();
        let raw = tape.param(Tensor::from_vec(&[b, h * m], floats(&case["raw"])));
        let value = loss.compute(
            tape.constant(Tensor::from_vec(&[b, h], y)),
            loss.domain_map(raw),
            tape.constant(Tensor::ones(&[b, h])),
            None,
            None,
        );
        // NeuralForecast's HuberMQLoss sums over the quantiles (its `1 / len(quantiles)` is 1
        // on a 4-d tensor); we average, as its documented formula and our MQLoss do.
        let factor = if matches!(loss, Loss::HuberMQLoss { .. }) {
            m as f32
        } else {
            1.0
        };
        let want = case["value"].as_f64().unwrap() as f32 / factor;
        assert_near(text, &[value.value().item()], &[want], 1e-6, 1e-5);
        let grads = tape.backward(value);
        let want: Vec<f32> = floats(&case["grad"]).iter().map(|g| g / factor).collect();
        assert_near(
            &format!("{text} gradient"),
            grads.get(raw).unwrap().data(),
            &want,
            1e-6,
            1e-4,
        );
    }
    assert_eq!(seen, 4, "quantile cases");
}

#[test]
fn output_names_match_neuralforecast() {
    let fx = fixture();
    for (text, names) in fx["output_names"].as_object().unwrap() {
        let loss: Loss = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        let want: Vec<String> = names
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        assert_eq!(loss.output_names(), want, "{text}");
    }
}
