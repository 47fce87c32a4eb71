//! What the recurrent models share: the encoder's per-step input, NeuralForecast's recurrent
//! mode (teacher-forced training, step-by-step prediction), and config checks.

use neurodiv_autodiff::{Tensor, Var};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ExogAlign, InputWindow, ModelSpec, OutputSteps,
    PredictKind, RecurrentState, WindowBatch,
};
use neurodiv_nn::{Ctx, Mlp, Recurrent};

/// A recurrent encoder whose every step gives the raw outputs of the next point, through an
/// optional per-step decoder (none when the cells project to the outputs themselves).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepNet<'a> {
    pub encoder: &'a Recurrent,
    pub decoder: Option<&'a Mlp>,
    pub base: &'a BaseConfig,
}

impl StepNet<'_> {
    fn decode<'t>(&self, ctx: &mut Ctx<'t>, out: Var<'t>) -> Var<'t> {
        match self.decoder {
            Some(d) => d.forward(ctx, out), // [B, T, H] -> [B, T, m]
            None => out,
        }
    }

    /// Teacher forcing: the one-step outputs after every input point, `[B, T, m]`.
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> Var<'t> {
        let x = batch.step_inputs(ExogAlign::Next); // [B, T, 1 + X + S + F]
        let (out, _) = self.encoder.forward(ctx, x, None); // [B, T, Hout]
        self.decode(ctx, out)
    }

    /// Reads the window: the outputs of the first point after it (`[B, 1, m]`) and the state
    /// (the layers' states, then the static columns every step reads).
    pub fn start<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        batch: &WindowBatch<'t>,
    ) -> (Var<'t>, RecurrentState) {
        let x = batch.step_inputs(ExogAlign::Next); // [B, T, 1 + X + S + F]
        let t = x.shape()[1];
        let (out, mut state) = self.encoder.forward(ctx, x, None); // [B, T, Hout]
        state.push(static_state(batch));
        (self.decode(ctx, out.slice(1, t - 1, t)), state) // [B, 1, m]
    }

    /// Feeds `y` (`[B]`) and the future columns of the next point: its outputs (`[B, 1, m]`)
    /// and the new state.
    pub fn step<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        state: &RecurrentState,
        y: Var<'t>,
        futr: Option<Var<'t>>,
    ) -> (Var<'t>, RecurrentState) {
        let (stat, layers) = state.split_last().expect("the state ends with the statics");
        let x = step_input(ctx, self.base, y, stat, futr); // [B, 1, 1 + X + S + F]
        let (out, mut next) = self.encoder.forward(ctx, x, Some(layers)); // [B, 1, Hout]
        next.push(stat.clone());
        (self.decode(ctx, out), next) // [B, 1, m]
    }
}

/// What every model of the family consumes: future, historical and static exogenous columns,
/// one series at a time.
pub(crate) const CAPABILITIES: Capabilities = Capabilities::ALL_EXOG;

/// The spec of NeuralForecast's recurrent mode: teacher-forced training on `h_train` one-step
/// outputs, prediction by `predict`, and windows of one point more than `input_size` (and than
/// `inference_input_size`, which defaults to `input_size`), as NeuralForecast reads them.
pub(crate) fn recurrent_spec(
    base: &BaseConfig,
    h_train: usize,
    predict: PredictKind,
    inference_input_size: Option<usize>,
) -> ModelSpec {
    let l = base.input_size;
    ModelSpec {
        capabilities: CAPABILITIES,
        input: InputWindow::Fixed,
        output: OutputSteps::EveryStep { h_train },
        predict,
        train_input_size: Some(l + 1),
        inference_input_size: Some(inference_input_size.unwrap_or(l) + 1),
    }
}

/// The static columns a recursive model keeps in its state to feed every step (`[B, S]`), or
/// an empty tensor.
fn static_state(batch: &WindowBatch<'_>) -> Tensor {
    batch
        .stat_exog
        .map_or_else(|| Tensor::zeros(&[0]), |s| s.value())
}

/// One recursive step's input `[B, 1, 1 + X + S + F]`: the fed-back value `y` (`[B]`),
/// historical columns as 0 (unknown past the context), the static columns kept in the state,
/// and the future columns of the point being forecast (`[B, F]`).
fn step_input<'t>(
    ctx: &Ctx<'t>,
    base: &BaseConfig,
    y: Var<'t>,
    stat: &Tensor,
    futr: Option<Var<'t>>,
) -> Var<'t> {
    let b = y.shape()[0];
    let mut parts = vec![y.reshape(&[b, 1, 1])]; // [B] -> [B, 1, 1]
    let nx = base.hist_exog_list.len();
    if nx > 0 {
        parts.push(ctx.constant(Tensor::zeros(&[b, 1, nx])));
    }
    if !base.stat_exog_list.is_empty() {
        let ns = stat.shape()[1];
        parts.push(ctx.constant(stat.clone()).reshape(&[b, 1, ns])); // [B, S] -> [B, 1, S]
    }
    if let Some(f) = futr {
        let nf = f.shape()[1];
        parts.push(f.reshape(&[b, 1, nf])); // [B, F] -> [B, 1, F]
    }
    if parts.len() == 1 {
        parts[0]
    } else {
        Var::concat(&parts, 2)
    }
}

pub(crate) use neurodiv_core::check::{at_least_one, probability};

/// Checks `h_train` against the horizon.
pub(crate) fn check_h_train(h_train: usize, h: usize) -> Result<(), CoreError> {
    if h_train == 0 || h_train > h {
        return Err(CoreError::Config {
            field: "h_train",
            reason: format!("must be between 1 and h = {h}, got {h_train}"),
        });
    }
    Ok(())
}
