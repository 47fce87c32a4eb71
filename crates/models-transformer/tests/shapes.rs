//! The transformer models against NeuralForecast's parameter counts, and their output shapes
//! with and without exogenous columns.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_core::{NeuralModel, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_models_transformer::{
    Autoformer, AutoformerConfig, FEDformer, FEDformerConfig, ITransformerConfig, Informer,
    InformerConfig, PatchTST, PatchTSTConfig, TimeXer, TimeXerConfig, VanillaTransformer,
    VanillaTransformerConfig, iTransformer,
};
use neurodiv_nn::Ctx;

fn count(m: &dyn NeuralModel) -> usize {
    m.params().num_params()
}

fn futr(mut c: VanillaTransformerConfig) -> VanillaTransformerConfig {
    c.base.futr_exog_list = vec!["a".into(), "b".into()];
    c
}

#[test]
fn parameter_counts_match_neuralforecast() {
    // sum(p.numel() for p in model.parameters()) of NeuralForecast 3.3's models, h=12, L=24.
    let vt = VanillaTransformerConfig::new(12, 24);
    assert_eq!(
        count(&VanillaTransformer::new(vt.clone()).unwrap()),
        292_449
    );
    assert_eq!(count(&VanillaTransformer::new(futr(vt)).unwrap()), 292_961);
    assert_eq!(
        count(&Informer::new(InformerConfig::new(12, 24)).unwrap()),
        341_985
    );
    // NeuralForecast counts 364,289: one per complex weight of its three Fourier blocks
    // (3 x 24,576), stored here as real and imaginary parts.
    let fed = FEDformerConfig::new(12, 24);
    assert_eq!(count(&FEDformer::new(fed).unwrap()), 364_289 + 3 * 24_576);
    let it = ITransformerConfig::new(12, 24).n_series(2);
    assert_eq!(count(&iTransformer::new(it.clone()).unwrap()), 6_324_748);
    let mut it = it;
    it.base.futr_exog_list = vec!["a".into()];
    assert_eq!(count(&iTransformer::new(it).unwrap()), 6_343_692);
    let tx = TimeXerConfig::new(12, 24).n_series(2);
    assert_eq!(count(&TimeXer::new(tx.clone()).unwrap()), 8_443_404);
    let mut tx = tx;
    tx.base.hist_exog_list = vec!["a".into()];
    assert_eq!(count(&TimeXer::new(tx).unwrap()), 8_443_404);
    // NeuralForecast counts 404,623: its three layers' fixed attention scales are parameters.
    assert_eq!(
        count(&PatchTST::new(PatchTSTConfig::new(12, 24)).unwrap()),
        404_620
    );
}

/// Raw outputs `[B, h, m]` (or `[B, h, N, m]`) of a training-mode forward pass on random inputs.
fn outputs(model: &dyn NeuralModel, rows: usize) -> Tensor {
    let b = model.base();
    let (h, l) = (b.h, b.input_size);
    let n = model.n_series();
    let tape = Tape::new();
    let mut rng = Rng::new(7);
    let mut ctx = Ctx::new(&tape, model.params(), Rng::new(1));
    let mut var = |shape: &[usize]| ctx.constant(Tensor::randn(shape, &mut rng));
    let (y_shape, f) = (
        n.map_or(vec![rows, l], |n| vec![rows, l, n]),
        b.futr_exog_list.len(),
    );
    let batch = WindowBatch {
        insample_y: var(&y_shape),
        insample_mask: var(&y_shape),
        futr_exog: (f > 0).then(|| match n {
            Some(n) => var(&[rows, f, l + h, n]),
            None => var(&[rows, l + h, f]),
        }),
        hist_exog: match (n, b.hist_exog_list.len()) {
            (Some(n), x) if x > 0 => Some(var(&[rows, x, l, n])),
            _ => None,
        },
        stat_exog: match (n, b.stat_exog_list.len()) {
            (Some(n), s) if s > 0 => Some(var(&[n, s])),
            _ => None,
        },
    };
    model.forward(&mut ctx, &batch).y.value()
}

#[test]
fn outputs_have_the_horizon_and_loss_shape_with_and_without_exogenous_columns() {
    for (h, l) in [(12, 24), (5, 3), (1, 2), (30, 7), (3, 130)] {
        let vt = VanillaTransformerConfig::new(h, l)
            .hidden_size(8)
            .n_head(2)
            .conv_hidden_size(4);
        for exog in [false, true] {
            let c = if exog { futr(vt.clone()) } else { vt.clone() };
            let mut inf = InformerConfig::new(h, l)
                .hidden_size(8)
                .n_head(2)
                .conv_hidden_size(4);
            inf.distil = !exog;
            if exog {
                inf.base.futr_exog_list = vec!["a".into(), "b".into()];
            }
            let y = outputs(&Informer::new(inf).unwrap(), 3);
            assert_eq!(y.shape(), [3, h, 1], "Informer h={h} L={l} exog={exog}");
            assert!(y.all_finite());
            let mut af = AutoformerConfig::new(h, l)
                .hidden_size(8)
                .n_head(2)
                .conv_hidden_size(4)
                .moving_avg_window(if exog { 3 } else { 25 });
            if exog {
                af.base.futr_exog_list = vec!["a".into()];
            }
            let y = outputs(&Autoformer::new(af).unwrap(), 3);
            assert_eq!(y.shape(), [3, h, 1], "Autoformer h={h} L={l} exog={exog}");
            assert!(y.all_finite());
            let mut fed = FEDformerConfig::new(h, l)
                .hidden_size(16)
                .conv_hidden_size(4)
                .modes(if exog { 2 } else { 64 });
            if exog {
                fed.base.futr_exog_list = vec!["a".into()];
                fed.mode_select = "low".into();
            }
            let y = outputs(&FEDformer::new(fed).unwrap(), 3);
            assert_eq!(y.shape(), [3, h, 1], "FEDformer h={h} L={l} exog={exog}");
            assert!(y.all_finite());
            let y = outputs(&VanillaTransformer::new(c).unwrap(), 3);
            assert_eq!(
                y.shape(),
                [3, h, 1],
                "VanillaTransformer h={h} L={l} exog={exog}"
            );
            assert!(y.all_finite());
            let mut it = ITransformerConfig::new(h, l)
                .n_series(3)
                .hidden_size(8)
                .n_heads(2)
                .d_ff(4);
            if exog {
                it.base.futr_exog_list = vec!["a".into(), "b".into()];
            }
            let pt = PatchTSTConfig::new(h, l)
                .hidden_size(8)
                .n_heads(2)
                .linear_hidden_size(4)
                .res_attention(exog)
                .batch_normalization(exog)
                .revin_affine(exog);
            let y = outputs(&PatchTST::new(pt).unwrap(), 3);
            assert_eq!(y.shape(), [3, h, 1], "PatchTST h={h} L={l}");
            assert!(y.all_finite());
            let mut tx = TimeXerConfig::new(h, l)
                .n_series(3)
                .hidden_size(8)
                .n_heads(2)
                .d_ff(4)
                .patch_len(l.min(4));
            if exog {
                tx.base.hist_exog_list = vec!["a".into(), "b".into()];
                tx.base.stat_exog_list = vec!["s".into()];
            }
            let y = outputs(&TimeXer::new(tx).unwrap(), 2);
            assert_eq!(y.shape(), [2, h, 3, 1], "TimeXer h={h} L={l} exog={exog}");
            assert!(y.all_finite());
            let y = outputs(&iTransformer::new(it).unwrap(), 2);
            assert_eq!(
                y.shape(),
                [2, h, 3, 1],
                "iTransformer h={h} L={l} exog={exog}"
            );
            assert!(y.all_finite());
        }
    }
}

#[test]
fn bad_settings_are_typed_errors() {
    for c in [
        VanillaTransformerConfig::new(12, 24).decoder_input_size_multiplier(1.0),
        VanillaTransformerConfig::new(12, 1),
        VanillaTransformerConfig::new(12, 24).n_head(200),
        VanillaTransformerConfig::new(12, 24).activation(neurodiv_nn::Activation::Tanh),
    ] {
        assert!(VanillaTransformer::new(c).is_err());
    }
}
