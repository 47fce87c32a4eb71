//! TFT: the Temporal Fusion Transformer, NeuralForecast's `TFT`.
//!
//! Lim, Arık, Loeff, Pfister, "Temporal Fusion Transformers for interpretable multi-horizon time
//! series forecasting", International Journal of Forecasting 37(4), 2021 (arXiv:1912.09363).
//! Every input variable (target, historical, future and static columns) gets its own linear
//! embedding; variable selection networks weigh them (static ones first, whose encoders give
//! the context vectors: selection, enrichment and the LSTM's initial `h` and `c`); an LSTM
//! encoder reads the selected past and a second LSTM, started from its state, the selected
//! future; a gated skip joins them; static enrichment, interpretable multi-head attention
//! (one value projection shared by the heads, averaged over them, causal), gated skips and a
//! position-wise GRN give each horizon step's features, mapped to the loss's outputs.
//!
//! As in NeuralForecast: without future columns the last observed target, repeated over the
//! window and the horizon, stands in as the one future variable (it is also a historical
//! variable, beside the target); without static columns the contexts and initial states are
//! zeros; the attention runs over the whole window but only the horizon's queries are kept
//! (so only they are computed here: the same values); the context GRNs of the static encoder
//! use ELU whatever `grn_activation` says. NeuralForecast's `feature_importances()` labels the
//! historical weights without future columns as `[..., observed_target, repeated_target]`,
//! while its inputs are in the order `[..., repeated target, observed target]`; the names here
//! follow the inputs ([`TFTConfig::variable_names`]).
//!
//! The forward pass returns, besides the forecast, the named extras `static_weights` `[B, S]`
//! (with static columns), `historical_weights` `[B, L, V_hist]`, `future_weights`
//! `[B, h, V_futr]` and `attention` `[B, n_head, h, L + h]` (the horizon's rows).

use crate::tft_blocks::{Glu, Grn, GrnActivation, GrnSizes, Vsn};
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_data::ScalerType;
use neurodiv_kernels::Rng;
use neurodiv_nn::{
    CellKind, Ctx, Dropout, LayerNorm, Linear, ParamId, ParamStore, Recurrent, init,
};
use serde::{Deserialize, Serialize};

/// The recurrent layers of the temporal encoder (`rnn_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RnnType {
    /// `nn.LSTM` (default).
    Lstm,
    /// `nn.GRU`.
    Gru,
}

/// Configuration of [`TFT`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TFTConfig {
    /// Shared training knobs (TFT's defaults: robust scaler, 1024 windows per inference batch).
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Width of the embeddings, GRNs, LSTMs and attention (default 128).
    pub hidden_size: usize,
    /// Attention heads; must divide `hidden_size` (default 4).
    pub n_head: usize,
    /// Dropout on the attention weights (default 0).
    pub attn_dropout: f32,
    /// Activation of the GRNs (default `"ELU"`).
    pub grn_activation: GrnActivation,
    /// Recurrent layers of each encoder (default 1).
    pub n_rnn_layers: usize,
    /// `"lstm"` (default) or `"gru"`.
    pub rnn_type: RnnType,
    /// Start every recurrent layer from the same static state (default false).
    pub one_rnn_initial_state: bool,
    /// Dropout of the GRNs and the attention output (default 0.1).
    pub dropout: f32,
}

/// The names of the variables each selection network weighs, in its input order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TFTVariables {
    /// The static columns.
    pub static_vars: Vec<String>,
    /// Historical columns, future columns (or `repeated_target`), then `observed_target`.
    pub historical: Vec<String>,
    /// The future columns (or `repeated_target`).
    pub future: Vec<String>,
}

impl TFTConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_transformer::{TFT, TFTConfig};
    /// let config = TFTConfig::new(12, 24).max_steps(100).random_seed(7);
    /// let model = TFT::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.scaler_type = ScalerType::Robust;
        base.inference_windows_batch_size = Some(1024);
        TFTConfig {
            base,
            hidden_size: 128,
            n_head: 4,
            attn_dropout: 0.0,
            grn_activation: GrnActivation::ELU,
            n_rnn_layers: 1,
            rnn_type: RnnType::Lstm,
            one_rnn_initial_state: false,
            dropout: 0.1,
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        at_least_one("hidden_size", self.hidden_size)?;
        at_least_one("n_head", self.n_head)?;
        at_least_one("n_rnn_layers", self.n_rnn_layers)?;
        probability("attn_dropout", self.attn_dropout)?;
        probability("dropout", self.dropout)?;
        if !self.hidden_size.is_multiple_of(self.n_head) {
            return Err(CoreError::Config {
                field: "n_head",
                reason: format!("must divide hidden_size ({})", self.hidden_size),
            });
        }
        Ok(())
    }

    /// The variables of the static, historical and future selection networks.
    pub fn variable_names(&self) -> TFTVariables {
        let b = &self.base;
        let future = if b.futr_exog_list.is_empty() {
            vec!["repeated_target".to_string()]
        } else {
            b.futr_exog_list.clone()
        };
        let mut historical = b.hist_exog_list.clone();
        historical.extend(future.iter().cloned());
        historical.push("observed_target".into());
        TFTVariables {
            static_vars: b.stat_exog_list.clone(),
            historical,
            future,
        }
    }
}
base_setters!(TFTConfig);
neurodiv_core::config_setters!(TFTConfig {
    hidden_size: usize,
    n_head: usize,
    attn_dropout: f32,
    grn_activation: GrnActivation,
    n_rnn_layers: usize,
    rnn_type: RnnType,
    one_rnn_initial_state: bool,
    dropout: f32
});

/// One continuous variable's embedding: `x * vector + bias`, per variable.
#[derive(Debug, Clone)]
struct Embedding {
    vectors: ParamId,
    bias: ParamId,
}

impl Embedding {
    /// `{name}_vectors` `[n, hidden]` (Xavier normal) and `{name}_bias` (zeros).
    fn new(store: &mut ParamStore, name: &str, n: usize, hidden: usize, rng: &mut Rng) -> Self {
        // torch's fans of an [n, hidden] tensor: fan_in = hidden, fan_out = n
        let vectors = init::xavier_normal(&[n, hidden], hidden, n, 1.0, rng);
        let vectors = store.add(format!("{name}_vectors"), vectors);
        let bias = store.add(format!("{name}_bias"), Tensor::zeros(&[n, hidden]));
        Embedding { vectors, bias }
    }

    /// `x` `[.., n]` -> one `[.., hidden]` per variable.
    fn forward<'t>(&self, ctx: &Ctx<'t>, x: Var<'t>) -> Vec<Var<'t>> {
        let last = x.shape().len() - 1;
        let (w, b) = (ctx.p(self.vectors), ctx.p(self.bias));
        (0..x.shape()[last])
            .map(|i| {
                // [.., 1] * [1, hidden] + [1, hidden] -> [.., hidden]
                let xi = x.slice(last, i, i + 1);
                xi.mul(w.slice(0, i, i + 1)).add(b.slice(0, i, i + 1))
            })
            .collect()
    }
}

/// Static covariate encoder: the static selection network and the context GRNs.
#[derive(Debug, Clone)]
struct StaticEncoder {
    vsn: Vsn,
    /// Selection, enrichment, then `n_states` initial `h` and (LSTM) `n_states` initial `c`.
    context_grns: Vec<Grn>,
    n_states: usize,
}

/// Interpretable multi-head attention: per-head queries and keys, one shared value projection.
#[derive(Debug, Clone)]
struct Attention {
    qkv: ParamId,
    out_proj: Linear,
}

/// NeuralForecast's `TFT`.
#[derive(Debug, Clone)]
pub struct TFT {
    config: TFTConfig,
    store: ParamStore,
    stat_embedding: Option<Embedding>,
    futr_embedding: Embedding,
    hist_embedding: Option<Embedding>,
    tgt_embedding: Embedding,
    static_encoder: Option<StaticEncoder>,
    history_vsn: Vsn,
    history_encoder: Recurrent,
    future_encoder: Recurrent,
    future_vsn: Vsn,
    input_gate: (Glu, LayerNorm),
    enrichment_grn: Grn,
    attention: Attention,
    attention_gate: (Glu, LayerNorm),
    positionwise_grn: Grn,
    decoder_gate: (Glu, LayerNorm),
    output_adapter: Linear,
}

fn gate(store: &mut ParamStore, name: &str, d: usize, rng: &mut Rng) -> (Glu, LayerNorm) {
    let glu = Glu::new(store, &format!("{name}_gate"), d, d, rng);
    let mut ln = LayerNorm::new(store, &format!("{name}_ln"), d);
    ln.eps = 1e-3;
    (glu, ln)
}

/// `LayerNorm(GLU(x) + skip)`
fn gated_skip<'t>(ctx: &Ctx<'t>, g: &(Glu, LayerNorm), x: Var<'t>, skip: Var<'t>) -> Var<'t> {
    g.1.forward(ctx, g.0.forward(ctx, x).add(skip))
}

impl TFT {
    /// Builds the model with parameters initialised from `config.base.random_seed`, in
    /// NeuralForecast's order of creation.
    pub fn new(config: TFTConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let c = &config;
        let b = &c.base;
        let d = c.hidden_size;
        let (n_stat, n_hist) = (b.stat_exog_list.len(), b.hist_exog_list.len());
        let n_futr = b.futr_exog_list.len().max(1);
        let mut rng = Rng::new(b.random_seed);
        let rng = &mut rng;
        let mut store = ParamStore::new();
        let s = &mut store;
        let emb = |s: &mut ParamStore, name: &str, n: usize, rng: &mut Rng| {
            (n > 0).then(|| Embedding::new(s, &format!("embedding.{name}_embedding"), n, d, rng))
        };
        let stat_embedding = emb(s, "stat_exog", n_stat, rng);
        let futr_embedding = emb(s, "futr_exog", n_futr, rng).expect("at least one");
        let hist_embedding = emb(s, "hist_exog", n_hist, rng);
        let tgt_embedding = emb(s, "tgt", 1, rng).expect("one target");
        let (act, p) = (c.grn_activation, c.dropout);
        let plain = GrnSizes {
            input: d,
            hidden: d,
            output: None,
            context: false,
        };
        let lstm = c.rnn_type == RnnType::Lstm;
        let static_encoder = (n_stat > 0).then(|| {
            let vsn = Vsn::new(s, "static_encoder.vsn", (d, n_stat), p, act, rng);
            let n_states = if c.one_rnn_initial_state {
                1
            } else {
                c.n_rnn_layers
            };
            let n_contexts = 2 + if lstm { 2 } else { 1 } * n_states;
            let context_grns = (0..n_contexts)
                .map(|i| {
                    let name = format!("static_encoder.context_grns.{i}");
                    Grn::new(s, &name, plain, p, GrnActivation::ELU, rng)
                })
                .collect();
            StaticEncoder {
                vsn,
                context_grns,
                n_states,
            }
        });
        let n_hist_vars = n_hist + n_futr + 1;
        let history_vsn = Vsn::new(
            s,
            "temporal_encoder.history_vsn",
            (d, n_hist_vars),
            p,
            act,
            rng,
        );
        let kind = if lstm { CellKind::Lstm } else { CellKind::Gru };
        let rnn = |s: &mut ParamStore, name: &str, rng: &mut Rng| {
            let name = format!("temporal_encoder.{name}");
            Recurrent::new(s, &name, kind, d, d, c.n_rnn_layers, true, 0.0, None, rng)
        };
        let history_encoder = rnn(s, "history_encoder", rng);
        let future_encoder = rnn(s, "future_encoder", rng);
        let future_vsn = Vsn::new(s, "temporal_encoder.future_vsn", (d, n_futr), p, act, rng);
        let input_gate = gate(s, "temporal_encoder.input", d, rng);
        let enriching = GrnSizes {
            context: true,
            ..plain
        };
        let name = "temporal_fusion_decoder";
        let enrichment_grn = Grn::new(s, &format!("{name}.enrichment_grn"), enriching, p, act, rng);
        let d_head = d / c.n_head;
        let qkv_rows = (2 * c.n_head + 1) * d_head;
        let qkv = init::torch_default(&[qkv_rows, d], d, rng);
        let attention = Attention {
            qkv: s.add(format!("{name}.attention.qkv_linears.weight"), qkv),
            out_proj: Linear::new(
                s,
                &format!("{name}.attention.out_proj"),
                d_head,
                d,
                false,
                rng,
            ),
        };
        let attention_gate = gate(s, &format!("{name}.attention"), d, rng);
        let positionwise_grn = Grn::new(s, &format!("{name}.positionwise_grn"), plain, p, act, rng);
        let decoder_gate = gate(s, &format!("{name}.decoder"), d, rng);
        let m = b.output_multiplier();
        let output_adapter = Linear::new(s, "output_adapter", d, m, true, rng);
        Ok(TFT {
            config,
            store,
            stat_embedding,
            futr_embedding,
            hist_embedding,
            tgt_embedding,
            static_encoder,
            history_vsn,
            history_encoder,
            future_encoder,
            future_vsn,
            input_gate,
            enrichment_grn,
            attention,
            attention_gate,
            positionwise_grn,
            decoder_gate,
            output_adapter,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TFTConfig {
        &self.config
    }

    /// The static contexts: selection `cs`, enrichment `ce` (each `[B, hidden]`), the initial
    /// state of the history encoder and the static selection weights `[B, S]`.
    #[allow(clippy::type_complexity)]
    fn contexts<'t>(
        &self,
        ctx: &mut Ctx<'t>,
        stat: Option<Var<'t>>,
    ) -> (
        Option<Var<'t>>,
        Option<Var<'t>>,
        Option<Vec<Var<'t>>>,
        Option<Var<'t>>,
    ) {
        let (Some(enc), Some(emb), Some(stat)) = (&self.static_encoder, &self.stat_embedding, stat)
        else {
            return (None, None, None, None);
        };
        let vars = emb.forward(ctx, stat); // [B, S] -> S x [B, hidden]
        let (v, weights) = enc.vsn.forward(ctx, &vars, None);
        let mut out = enc.context_grns.iter().map(|g| g.forward(ctx, v, None));
        let (cs, ce) = (out.next(), out.next());
        let hs: Vec<Var<'t>> = out.by_ref().take(enc.n_states).collect();
        let cs_cell: Vec<Var<'t>> = out.collect();
        let layers = self.config.n_rnn_layers;
        // Per layer h (then c for the LSTM), the one state repeated with one_rnn_initial_state.
        let state = (0..layers)
            .flat_map(|k| {
                let j = if enc.n_states == 1 { 0 } else { k };
                std::iter::once(hs[j]).chain(cs_cell.get(j).copied())
            })
            .collect();
        (cs, ce, Some(state), Some(weights))
    }

    /// Interpretable attention of the horizon's queries over the whole window: `x` `[B, T, D]`
    /// -> `[B, h, D]` and the weights `[B, n_head, h, T]`.
    fn attend<'t>(&self, ctx: &mut Ctx<'t>, x: Var<'t>) -> (Var<'t>, Var<'t>) {
        let c = &self.config;
        let (n, l) = (x.shape()[0], c.base.input_size);
        let (t, heads) = (x.shape()[1], c.n_head);
        let dh = c.hidden_size / heads;
        let w = ctx.p(self.attention.qkv);
        let q = x.slice(1, l, t).linear(w.slice(0, 0, heads * dh), None); // [B, h, heads*dh]
        let q = q.reshape(&[n, t - l, heads, dh]).permute(&[0, 2, 1, 3]); // -> [B, heads, h, dh]
        let kv = x.linear(w.slice(0, heads * dh, (2 * heads + 1) * dh), None); // [B, T, (heads+1)*dh]
        let k = kv.slice(2, 0, heads * dh).reshape(&[n, t, heads, dh]); // [B, T, heads, dh]
        let k = k.permute(&[0, 2, 1, 3]); // [B, T, heads, dh] -> [B, heads, T, dh]
        let v = kv.slice(2, heads * dh, (heads + 1) * dh); // [B, T, dh]
        // Query i (step l + i) sees keys 0..=l + i.
        let mask: Vec<f32> = (0..(t - l) * t)
            .map(|e| {
                if e % t > l + e / t {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
            .collect();
        let scores = q
            .matmul_t(k, false, true)
            .mul_scalar((dh as f32).powf(-0.5)); // [B, heads, h, T]
        let probs = scores
            .add(ctx.constant(Tensor::from_vec(&[t - l, t], mask)))
            .softmax();
        let probs = Dropout { p: c.attn_dropout }.forward(ctx, probs);
        // The heads' mean of (P_head V) is (mean of P_head) V: [B, h, T] x [B, T, dh] -> [B, h, dh]
        let mixed = probs.mean(1, false).matmul(v);
        let out = self.attention.out_proj.forward(ctx, mixed); // [B, h, D]
        (Dropout { p: c.dropout }.forward(ctx, out), probs)
    }
}

impl NeuralModel for TFT {
    fn name(&self) -> &'static str {
        "TFT"
    }
    neurodiv_core::model_accessors!();
    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL_EXOG
    }
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let b = &self.config.base;
        let (l, h) = (b.input_size, b.h);
        let y = batch.insample_y.unsqueeze(2); // [B, L] -> [B, L, 1]
        let n = y.shape()[0];
        let futr = match batch.futr_exog {
            Some(f) => f,                                        // [B, L + h, F]
            None => y.slice(1, l - 1, l).expand(&[n, l + h, 1]), // [B, 1, 1] -> [B, L + h, 1]
        };
        let (cs, ce, state, static_weights) = self.contexts(ctx, batch.stat_exog);
        let k_inp = self.futr_embedding.forward(ctx, futr); // F x [B, L + h, D]
        let mut historical = match (&self.hist_embedding, batch.hist_exog) {
            (Some(e), Some(x)) => e.forward(ctx, x), // X x [B, L, D]
            _ => Vec::new(),
        };
        historical.extend(k_inp.iter().map(|k| k.slice(1, 0, l))); // [B, L + h, D] -> [B, L, D]
        historical.extend(self.tgt_embedding.forward(ctx, y)); // 1 x [B, L, D]
        let future: Vec<Var<'t>> = k_inp.iter().map(|k| k.slice(1, l, l + h)).collect();

        // Variable selection, the LSTM encoder and decoder, the gated skip.
        let (hist_features, hist_weights) = self.history_vsn.forward(ctx, &historical, cs);
        let (history, state) =
            self.history_encoder
                .forward_with_state(ctx, hist_features, state.as_deref());
        let (futr_features, futr_weights) = self.future_vsn.forward(ctx, &future, cs);
        let (fut, _) = self
            .future_encoder
            .forward_with_state(ctx, futr_features, Some(&state));
        let embedded = Var::concat(&[hist_features, futr_features], 1); // -> [B, L + h, D]
        let encoded = Var::concat(&[history, fut], 1); // -> [B, L + h, D]
        let temporal = gated_skip(ctx, &self.input_gate, encoded, embedded);

        // Static enrichment, attention, position-wise GRN, the final gated skip.
        let enriched = self.enrichment_grn.forward(ctx, temporal, ce); // [B, L + h, D]
        let (attended, attention) = self.attend(ctx, enriched);
        let enriched_h = enriched.slice(1, l, l + h); // [B, L + h, D] -> [B, h, D]
        let x = gated_skip(ctx, &self.attention_gate, attended, enriched_h);
        let x = self.positionwise_grn.forward(ctx, x, None);
        let x = gated_skip(ctx, &self.decoder_gate, x, temporal.slice(1, l, l + h));
        let y = self.output_adapter.forward(ctx, x); // [B, h, D] -> [B, h, m]

        let mut extras = Vec::with_capacity(4);
        if let Some(w) = static_weights {
            extras.push(("static_weights".to_string(), w));
        }
        extras.push(("historical_weights".to_string(), hist_weights));
        extras.push(("future_weights".to_string(), futr_weights));
        extras.push(("attention".to_string(), attention));
        ModelOutput {
            y,
            aux_loss: None,
            extras,
        }
    }
}
