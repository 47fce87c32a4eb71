//! The recursive and sampled predictors, and teacher-forced training on every step, through a toy
//! recursive model: an exponential moving average of the inputs, `s_t = ½ s_{t-1} + y_t`, read
//! out as `a·s_t + c` (and, with a distribution head, a constant raw scale `b`).

use neurodiv_autodiff::{Tensor, Var};
use neurodiv_core::predict::{Origin, forecast};
use neurodiv_core::series::SeriesSet;
use neurodiv_core::train::fit;
use neurodiv_core::{
    BaseConfig, Capabilities, InputWindow, ModelOutput, ModelSpec, NeuralModel, OutputSteps,
    PredictKind, RecurrentState, RecursiveModel, WindowBatch,
};
use neurodiv_data::{PanelFrame, ScalerType};
use neurodiv_nn::{Ctx, ParamId, ParamStore};
use neurodiv_optim::{Distribution, Loss};

#[derive(Debug, Clone)]
struct Ema {
    base: BaseConfig,
    store: ParamStore,
    a: ParamId,
    c: ParamId,
    b: ParamId,
    predict: PredictKind,
}

impl Ema {
    fn new(base: BaseConfig, predict: PredictKind) -> Self {
        let mut store = ParamStore::new();
        let a = store.add("a", Tensor::full(&[1], 0.3));
        let c = store.add("c", Tensor::full(&[1], 0.0));
        let b = store.add("b", Tensor::full(&[1], 0.0));
        Ema {
            base,
            store,
            a,
            c,
            b,
            predict,
        }
    }

    /// The outputs `[B, 1, m]` read from the state `s` (`[B]`).
    fn read<'t>(&self, ctx: &Ctx<'t>, s: Var<'t>) -> Var<'t> {
        let rows = s.shape()[0];
        let point = s
            .mul(ctx.p(self.a))
            .add(ctx.p(self.c))
            .reshape(&[rows, 1, 1]); // [B] -> [B, 1, 1]
        if self.base.loss.is_distribution() {
            let scale = ctx
                .p(self.b)
                .mul(s.mul_scalar(0.0).add_scalar(1.0))
                .reshape(&[rows, 1, 1]);
            Var::concat(&[point, scale], 2) // [B, 1, 2]
        } else {
            point
        }
    }
}

impl NeuralModel for Ema {
    fn name(&self) -> &'static str {
        "Ema"
    }
    fn base(&self) -> &BaseConfig {
        &self.base
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    fn spec(&self) -> ModelSpec {
        ModelSpec {
            capabilities: self.capabilities(),
            input: InputWindow::Fixed,
            output: OutputSteps::EveryStep { h_train: 4 },
            predict: self.predict,
            train_input_size: None,
            inference_input_size: None,
        }
    }
    fn recursive(&self) -> Option<&dyn RecursiveModel> {
        Some(self)
    }
    fn params(&self) -> &ParamStore {
        &self.store
    }
    fn params_mut(&mut self) -> &mut ParamStore {
        &mut self.store
    }
    /// Teacher forcing: the one-step output after every input point, `[B, L, m]`.
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let [rows, l] = batch.insample_y.shape()[..] else {
            panic!("[B, L] input")
        };
        let mut s = ctx.constant(Tensor::zeros(&[rows]));
        let mut outs = Vec::with_capacity(l);
        for t in 0..l {
            let y_t = batch.insample_y.slice(1, t, t + 1).reshape(&[rows]); // [B, 1] -> [B]
            s = s.mul_scalar(0.5).add(y_t);
            outs.push(self.read(ctx, s));
        }
        Var::concat(&outs, 1).into() // L x [B, 1, m] -> [B, L, m]
    }
    fn config_json(&self) -> String {
        String::new()
    }
}

impl RecursiveModel for Ema {
    fn start<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> (Var<'t>, RecurrentState) {
        let [rows, l] = batch.insample_y.shape()[..] else {
            panic!("[B, L] input")
        };
        let mut s = ctx.constant(Tensor::zeros(&[rows]));
        for t in 0..l {
            s = s
                .mul_scalar(0.5)
                .add(batch.insample_y.slice(1, t, t + 1).reshape(&[rows]));
        }
        (self.read(ctx, s), vec![s.value()])
    }
    fn step<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        state: &RecurrentState,
        y: Var<'t>,
        _futr: Option<Var<'t>>,
    ) -> (Var<'t>, RecurrentState) {
        let s = ctx.constant(state[0].clone()).mul_scalar(0.5).add(y);
        (self.read(ctx, s), vec![s.value()])
    }
}

fn air() -> PanelFrame {
    PanelFrame::from_csv_path("../../data/air_passengers.csv", &Default::default()).unwrap()
}

fn config(loss: Loss, seed: u64) -> BaseConfig {
    let mut base = BaseConfig::new(6, 12);
    base.max_steps = 60;
    base.learning_rate = 0.05;
    base.scaler_type = ScalerType::Standard;
    base.loss = loss;
    base.random_seed = seed;
    base
}

fn trained(loss: Loss, predict: PredictKind, seed: u64) -> (Ema, SeriesSet) {
    let frame = air();
    let mut model = Ema::new(config(loss, seed), predict);
    let set = SeriesSet::from_frame(&frame, &model.base, None).unwrap();
    let report = fit(&mut model, &set, 0, &mut |_| {}).unwrap();
    let (first, last) = (report.train_losses[0], *report.train_losses.last().unwrap());
    assert!(
        last < first,
        "teacher-forced training learns: {first} -> {last}"
    );
    (model, set)
}

fn on_threads<T: Send>(n: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn recursive_prediction_carries_the_state_and_feeds_forecasts_back() {
    let (model, set) = trained(Loss::MAE, PredictKind::Recursive, 1);
    let y = &set.y[0];
    let origin = Origin {
        series: 0,
        cutoff: y.len(),
    };
    let f = forecast(&model, &set, &[origin], false).unwrap();
    assert_eq!(f.columns, [""]);
    // The same loop by hand: standard scaling with the last 12 points' statistics, the EMA over them, then
    // each forecast fed back into the EMA.
    let window = &y[y.len() - 12..];
    let (mean, std) = neurodiv_data::scaler_stats(ScalerType::Standard, window, &[1.0; 12]);
    let (a, c) = (
        model.store.get(model.a).data()[0],
        model.store.get(model.c).data()[0],
    );
    let mut s = 0.0f32;
    for v in window {
        s = 0.5 * s + (v - mean) / std;
    }
    let mut want = Vec::new();
    for _ in 0..6 {
        let out = a * s + c;
        want.push(out * std + mean);
        s = 0.5 * s + out;
    }
    for (got, want) in f.values.iter().zip(&want) {
        assert!((got - want).abs() <= 1e-3 * want.abs(), "{got} vs {want}");
    }
    let again = on_threads(2, || forecast(&model, &set, &[origin], false).unwrap());
    let one = on_threads(1, || forecast(&model, &set, &[origin], false).unwrap());
    assert_eq!(again.values, f.values);
    assert_eq!(one.values, f.values);
}

#[test]
fn sampled_prediction_draws_paths_that_respect_the_seed() {
    let loss = Loss::distribution(Distribution::Normal, &[80]);
    let predict = PredictKind::Sampled { paths: 200 };
    let (model, set) = trained(loss.clone(), predict, 1);
    let origins: Vec<Origin> = [120, 132, 144]
        .into_iter()
        .map(|cutoff| Origin { series: 0, cutoff })
        .collect();
    let f = forecast(&model, &set, &origins, false).unwrap();
    assert_eq!(f.columns, ["", "-median", "-lo-80", "-hi-80"]);
    for row in f.values.chunks(4) {
        assert!(
            row[2] < row[1] && row[1] < row[3],
            "lo < median < hi: {row:?}"
        );
    }
    // Draws fed back compound: the interval widens along the horizon.
    let width = |step: usize| f.values[step * 4 + 3] - f.values[step * 4 + 2];
    assert!(width(5) > width(0), "{} vs {}", width(5), width(0));
    // Same seed: same bits, on any thread count and in any batching; another seed differs.
    let two = on_threads(2, || forecast(&model, &set, &origins, false).unwrap());
    assert_eq!(two.values, f.values);
    let mut batched = model.clone();
    batched.base.inference_windows_batch_size = Some(1);
    let one = on_threads(1, || forecast(&batched, &set, &origins, false).unwrap());
    assert_eq!(one.values, f.values);
    let mut reseeded = model.clone();
    reseeded.base.random_seed = 2;
    assert_ne!(
        forecast(&reseeded, &set, &origins, false).unwrap().values,
        f.values
    );
    // A point loss cannot sample paths.
    let mut point = model.clone();
    point.base.loss = Loss::MAE;
    let err = forecast(&point, &set, &origins, false).unwrap_err();
    assert!(err.to_string().contains("DistributionLoss"), "{err}");
}

/// A direct model (the last input repeated) whose forward also returns a named extra (the mean of
/// each input window) and a constant auxiliary loss of 2.5.
#[derive(Debug)]
struct WithExtras {
    base: BaseConfig,
    store: ParamStore,
    aux: bool,
}

impl NeuralModel for WithExtras {
    fn name(&self) -> &'static str {
        "WithExtras"
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
    fn forward<'t>(&self, _ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let [rows, l] = batch.insample_y.shape()[..] else {
            panic!("[B, L] input")
        };
        let last = batch.insample_y.slice(1, l - 1, l); // [B, 1]
        let y = last.repeat(1, self.base.h).reshape(&[rows, self.base.h, 1]); // [B, h] -> [B, h, 1]
        ModelOutput {
            y,
            aux_loss: self
                .aux
                .then(|| batch.insample_y.mul_scalar(0.0).sum_all().add_scalar(2.5)),
            extras: vec![("input_mean".into(), batch.insample_y.mean(1, false))],
        }
    }
    fn config_json(&self) -> String {
        String::new()
    }
}

#[test]
fn direct_prediction_returns_the_extras_of_every_batch_when_asked() {
    let frame = air();
    let mut base = BaseConfig::new(3, 4);
    base.inference_windows_batch_size = Some(2);
    let model = WithExtras {
        base,
        store: ParamStore::new(),
        aux: false,
    };
    let set = SeriesSet::from_frame(&frame, &model.base, None).unwrap();
    let origins: Vec<Origin> = [10, 20, 30, 40, 50]
        .into_iter()
        .map(|cutoff| Origin { series: 0, cutoff })
        .collect();
    let f = forecast(&model, &set, &origins, true).unwrap();
    assert_eq!(f.values.len(), 5 * 3);
    assert_eq!(f.values[0], set.y[0][9], "the last input point");
    let (name, means) = &f.extras[0];
    assert_eq!(name, "input_mean");
    assert_eq!(
        means.shape(),
        [5],
        "the extras of three batches, in origin order"
    );
    let want = set.y[0][46..50].iter().sum::<f32>() / 4.0;
    assert!((means.data()[4] - want).abs() < 1e-4);
    assert!(
        forecast(&model, &set, &origins, false)
            .unwrap()
            .extras
            .is_empty()
    );
}

#[test]
fn the_auxiliary_loss_is_added_to_the_training_loss() {
    let frame = air();
    let mut base = BaseConfig::new(3, 4);
    base.max_steps = 2;
    let mut model = WithExtras {
        base,
        store: ParamStore::new(),
        aux: false,
    };
    let set = SeriesSet::from_frame(&frame, &model.base, None).unwrap();
    let plain = fit(&mut model, &set, 0, &mut |_| {}).unwrap();
    model.aux = true;
    let with_aux = fit(&mut model, &set, 0, &mut |_| {}).unwrap();
    // The same windows (same seed, no parameters to move): the losses differ by the 2.5.
    for (a, b) in plain.train_losses.iter().zip(&with_aux.train_losses) {
        assert!((b - a - 2.5).abs() < 1e-4, "{a} + 2.5 vs {b}");
    }
}
