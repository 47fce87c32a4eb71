//! Frozen parameters: no gradient, no optimizer state, unchanged values, through the trainer
//! and through a hand-written loop.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_core::series::SeriesSet;
use neurodiv_core::{BaseConfig, Capabilities, ModelOutput, NeuralModel, WindowBatch};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, Linear, ParamId, ParamRole, ParamStore};
use neurodiv_optim::{Optimizer, OptimizerKind};

/// `head(relu(backbone(x))) * scale`, with the backbone frozen and `scale` a buffer.
#[derive(Debug)]
struct Frozen {
    base: BaseConfig,
    store: ParamStore,
    backbone: Linear,
    head: Linear,
    scale: ParamId,
}

impl Frozen {
    fn new(optimizer: OptimizerKind) -> Self {
        let (h, input_size, hidden) = (3, 6, 8);
        let mut base = BaseConfig::new(h, input_size);
        base.max_steps = 5;
        base.learning_rate = 0.05;
        base.optimizer = optimizer;
        let mut store = ParamStore::new();
        let mut rng = Rng::new(7);
        let backbone = Linear::new(&mut store, "backbone", input_size, hidden, true, &mut rng);
        let head = Linear::new(&mut store, "head", hidden, h, true, &mut rng);
        let scale = store.add_buffer("scale", Tensor::full(&[1], 1.0));
        assert_eq!(store.freeze("backbone."), 2);
        Frozen {
            base,
            store,
            backbone,
            head,
            scale,
        }
    }

    fn backbone_ids(&self) -> [ParamId; 2] {
        [self.backbone.weight, self.backbone.bias.unwrap()]
    }

    fn head_ids(&self) -> [ParamId; 2] {
        [self.head.weight, self.head.bias.unwrap()]
    }

    /// The bits of every backbone value.
    fn backbone_bits(&self) -> Vec<u32> {
        self.backbone_ids()
            .iter()
            .flat_map(|&id| self.store.get(id).data().iter().map(|v| v.to_bits()))
            .collect()
    }
}

impl NeuralModel for Frozen {
    fn name(&self) -> &'static str {
        "Frozen"
    }
    fn base(&self) -> &BaseConfig {
        &self.base
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    fn params(&self) -> &ParamStore {
        &self.store
    }
    fn params_mut(&mut self) -> &mut ParamStore {
        &mut self.store
    }
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let rows = batch.insample_y.shape()[0];
        let hidden = self.backbone.forward(ctx, batch.insample_y).relu();
        let y = self.head.forward(ctx, hidden);
        y.mul(ctx.p(self.scale))
            .reshape(&[rows, self.base.h, 1]) // [B, h] -> [B, h, 1]
            .into()
    }
    fn config_json(&self) -> String {
        String::new()
    }
}

const KINDS: [OptimizerKind; 2] = [OptimizerKind::Adam, OptimizerKind::AdamW];

#[test]
fn the_trainer_leaves_a_frozen_backbone_bit_identical() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/air_passengers.csv");
    let frame = neurodiv_data::PanelFrame::from_csv_path(path, &Default::default()).unwrap();
    for kind in KINDS {
        let mut model = Frozen::new(kind);
        let set = SeriesSet::from_frame(&frame, &model.base, None).unwrap();
        let backbone = model.backbone_bits();
        let head = model.store.get(model.head.weight).clone();
        let scale = model.store.get(model.scale).clone();
        let report = neurodiv_core::train::fit(&mut model, &set, 0, &mut |_| {}).unwrap();
        assert_eq!(report.steps, 5);
        assert_eq!(model.backbone_bits(), backbone, "{kind}: backbone moved");
        assert_eq!(model.store.get(model.scale), &scale, "{kind}: buffer moved");
        assert_ne!(
            model.store.get(model.head.weight),
            &head,
            "{kind}: head trained"
        );
        assert_eq!(model.store.role(model.backbone.weight), ParamRole::Frozen);
    }
}

#[test]
fn frozen_parameters_get_no_gradient_and_no_optimizer_state() {
    let (rows, steps) = (4, 3);
    for kind in KINDS {
        let mut model = Frozen::new(kind);
        let trainable = model.store.trainable_ids();
        assert_eq!(trainable, model.head_ids());
        let backbone = model.backbone_bits();
        let mut optimizer = kind.build();
        let mut rng = Rng::new(11);
        for _ in 0..steps {
            let tape = Tape::new();
            let mut ctx = Ctx::new(&tape, &model.store, Rng::new(0));
            let input = Tensor::randn(&[rows, model.base.input_size], &mut rng);
            let batch = WindowBatch {
                insample_y: tape.constant(input),
                insample_mask: tape.constant(Tensor::ones(&[rows, model.base.input_size])),
                futr_exog: None,
                hist_exog: None,
                stat_exog: None,
            };
            let target = tape.constant(Tensor::randn(&[rows, model.base.h, 1], &mut rng));
            let loss = model
                .forward(&mut ctx, &batch)
                .y
                .sub(target)
                .pow(2.0)
                .mean_all();
            let mut grads = tape.backward(loss);
            for id in model.backbone_ids().into_iter().chain([model.scale]) {
                assert!(grads.get(ctx.p(id)).is_none(), "{kind}: gradient computed");
            }
            let grads = ctx.param_grads(&mut grads);
            assert_eq!(grads.len(), trainable.len(), "{kind}: one per trainable");
            for (g, &id) in grads.iter().zip(&trainable) {
                assert_eq!(g.shape(), model.store.get(id).shape());
            }
            drop(ctx);
            optimizer.step(0.05, &mut model.store.trainable_mut(), &grads);
        }
        assert_eq!(model.backbone_bits(), backbone, "{kind}: backbone moved");
        // Adam keeps two moments per trainable parameter, nothing for the rest.
        let head_numel: usize = model
            .head_ids()
            .iter()
            .map(|&id| model.store.get(id).numel())
            .sum();
        assert_eq!(model.store.num_trainable(), head_numel);
        assert_eq!(optimizer.state_len(), 2 * trainable.len(), "{kind}");
        assert_eq!(optimizer.state_numel(), 2 * head_numel, "{kind}");
        optimizer.check_state(&model.store.trainable()).unwrap();
        assert!(
            optimizer.check_state(model.store.tensors()).is_err(),
            "{kind}"
        );
    }
}
