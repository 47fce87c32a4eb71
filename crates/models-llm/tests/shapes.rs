//! TimeLLM on a tiny random GPT-2 folder: output shapes, gradients reaching every trainable
//! layer through the frozen backbone and none of the backbone, and typed config errors.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_core::{CoreError, NeuralModel, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_models_llm::tiny::{TinyGpt2, write_tiny_gpt2};
use neurodiv_models_llm::{TimeLLM, TimeLLMConfig};
use neurodiv_nn::{Ctx, ParamRole};
use std::path::PathBuf;
use std::sync::OnceLock;

fn backbone() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("timellm-shapes-{}", std::process::id()));
        write_tiny_gpt2(&dir, TinyGpt2::default()).unwrap();
        dir
    })
}

fn config(h: usize, l: usize) -> TimeLLMConfig {
    let mut c = TimeLLMConfig::new(h, l).llm(backbone().display().to_string());
    c.d_llm = 32;
    c.d_ff = 16;
    c.n_heads = 2;
    c
}

#[test]
fn outputs_have_their_shapes_and_only_the_trainable_layers_get_gradients() {
    for (h, l, patch_len, stride) in [(12, 24, 16, 8), (1, 12, 4, 2), (5, 7, 8, 4), (3, 30, 6, 5)] {
        let what = format!("h={h} L={l} patch_len={patch_len} stride={stride}");
        let mut c = config(h, l);
        c.patch_len = patch_len;
        c.stride = stride;
        let model = TimeLLM::new(c).unwrap();
        let tape = Tape::new();
        let mut ctx = Ctx::new(&tape, model.params(), Rng::new(1));
        let mut rng = Rng::new(7);
        let batch = WindowBatch {
            insample_y: ctx.constant(Tensor::randn(&[3, l], &mut rng)),
            insample_mask: ctx.constant(Tensor::ones(&[3, l])),
            futr_exog: None,
            hist_exog: None,
            stat_exog: None,
        };
        let out = model.forward(&mut ctx, &batch);
        assert_eq!(out.y.shape(), [3, h, 1], "{what}");
        assert!(out.y.value().all_finite(), "{what}");
        let mut grads = tape.backward(out.y.sum_all());
        let store = model.params();
        let g = ctx.param_grads(&mut grads);
        assert_eq!(g.len(), store.trainable_ids().len(), "{what}");
        // The patch embedding, the prototype map, the reprogramming attention and the head:
        // every trainable tensor is outside the backbone and gets a gradient through it.
        for (id, grad) in store.trainable_ids().iter().zip(&g) {
            let name = &store.names()[id.0];
            assert!(!name.starts_with("llm."), "{name} trains");
            assert!(
                grad.data().iter().any(|v| *v != 0.0),
                "{what}: no gradient for {name}"
            );
        }
        for (i, name) in store.names().iter().enumerate() {
            let frozen = store.role(neurodiv_nn::ParamId(i)) == ParamRole::Frozen;
            assert_eq!(frozen, name.starts_with("llm."), "{name}");
        }
    }
}

#[test]
fn bad_settings_are_typed_errors() {
    let field = |c: TimeLLMConfig| match TimeLLM::new(c) {
        Err(CoreError::Config { field, .. }) => field,
        other => panic!("{:?}", other.map(|m| m.name())),
    };
    let mut c = config(12, 24);
    c.patch_len = 40;
    assert_eq!(field(c), "patch_len");
    let mut c = config(12, 24);
    c.top_k = 25;
    assert_eq!(field(c), "top_k");
    let mut c = config(12, 24);
    c.d_ff = 64;
    assert_eq!(field(c), "d_ff");
    let mut c = config(12, 24);
    c.dropout = 1.5;
    assert_eq!(field(c), "dropout");
    let mut c = config(12, 24);
    c.n_heads = 0;
    assert_eq!(field(c), "n_heads");
}
