//! The convolutional models against NeuralForecast's parameter counts, and their output shapes
//! with and without exogenous columns.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_core::{BaseConfig, NeuralModel, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_models_conv::{BiTCN, BiTCNConfig, TCN, TCNConfig, TimesNet, TimesNetConfig};
use neurodiv_nn::Ctx;

fn count(m: &dyn NeuralModel) -> usize {
    m.params().num_params()
}

/// Sets NeuralForecast's exogenous lists of the parameter-count check: two future columns, one
/// historical, one static (each kind only where the model takes it).
fn with_exog(b: &mut BaseConfig, hist_stat: bool) {
    b.futr_exog_list = vec!["a".into(), "b".into()];
    if hist_stat {
        b.hist_exog_list = vec!["c".into()];
        b.stat_exog_list = vec!["d".into()];
    }
}

#[test]
fn parameter_counts_match_neuralforecast() {
    // sum(p.numel() for p in model.parameters()) of NeuralForecast 3.3's models, h=12, L=24.
    assert_eq!(count(&TCN::new(TCNConfig::new(12, 24)).unwrap()), 148_909);
    assert_eq!(count(&BiTCN::new(BiTCNConfig::new(12, 24)).unwrap()), 6_013);
    assert_eq!(
        count(&TimesNet::new(TimesNetConfig::new(12, 24)).unwrap()),
        4_688_645
    );
    let mut c = TCNConfig::new(12, 24);
    with_exog(&mut c.base, true);
    assert_eq!(count(&TCN::new(c).unwrap()), 150_189);
    let mut c = BiTCNConfig::new(12, 24);
    with_exog(&mut c.base, true);
    assert_eq!(count(&BiTCN::new(c).unwrap()), 12_589);
    let mut c = TimesNetConfig::new(12, 24);
    with_exog(&mut c.base, false);
    assert_eq!(count(&TimesNet::new(c).unwrap()), 4_688_773);
}

/// Raw outputs `[B, h, m]` of a forward pass on random inputs.
fn outputs(model: &dyn NeuralModel, rows: usize) -> Tensor {
    let b = model.base();
    let (h, l) = (b.h, b.input_size);
    let tape = Tape::new();
    let mut rng = Rng::new(7);
    let mut ctx = Ctx::new(&tape, model.params(), Rng::new(1));
    let mut var = |shape: &[usize]| ctx.constant(Tensor::randn(shape, &mut rng));
    let nonempty = |v: &Vec<String>| !v.is_empty();
    let batch = WindowBatch {
        insample_y: var(&[rows, l]),
        insample_mask: var(&[rows, l]),
        futr_exog: nonempty(&b.futr_exog_list).then(|| var(&[rows, l + h, b.futr_exog_list.len()])),
        hist_exog: nonempty(&b.hist_exog_list).then(|| var(&[rows, l, b.hist_exog_list.len()])),
        stat_exog: nonempty(&b.stat_exog_list).then(|| var(&[rows, b.stat_exog_list.len()])),
    };
    model.forward(&mut ctx, &batch).y.value()
}

#[test]
fn outputs_have_the_horizon_and_loss_shape_with_and_without_exogenous_columns() {
    for (h, l) in [(12, 24), (5, 3), (1, 1), (30, 7)] {
        let tcn = TCNConfig::new(h, l)
            .encoder_hidden_size(8)
            .decoder_hidden_size(8);
        let bitcn = BiTCNConfig::new(h, l).hidden_size(4);
        let times = TimesNetConfig::new(h, l)
            .hidden_size(4)
            .conv_hidden_size(4)
            .num_kernels(3)
            .top_k(2);
        for exog in [false, true] {
            let (mut a, mut b, mut c) = (tcn.clone(), bitcn.clone(), times.clone());
            if exog {
                with_exog(&mut a.base, true);
                with_exog(&mut b.base, true);
                with_exog(&mut c.base, false);
            }
            let models: [Box<dyn NeuralModel>; 3] = [
                Box::new(TCN::new(a).unwrap()),
                Box::new(BiTCN::new(b).unwrap()),
                Box::new(TimesNet::new(c).unwrap()),
            ];
            for m in &models {
                let y = outputs(m.as_ref(), 3);
                assert_eq!(
                    y.shape(),
                    &[3, h, 1],
                    "{} h={h} L={l} exog={exog}",
                    m.name()
                );
                assert!(y.data().iter().all(|v| v.is_finite()), "{}", m.name());
            }
        }
    }
}
