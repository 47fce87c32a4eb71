//! TimeLLM: a frozen language model reprogrammed for forecasting; NeuralForecast's `TimeLLM`.
//!
//! Jin, Wang, Ma, Chu, Zhang, Shi, Chen, Liang, Li, Pan, Wen, "Time-LLM: Time Series Forecasting
//! by Reprogramming Large Language Models", ICLR 2024 (arXiv:2310.01728). Each window is
//! normalised (RevIN without affine map), cut into patches embedded by a circular convolution,
//! and the patches attend to `num_prototypes` text prototypes (a linear map of the backbone's
//! word embeddings). A prompt stating the window's statistics is embedded by the backbone's
//! word table and put before the reprogrammed patches; the frozen GPT-2 runs on the whole
//! sequence, and a linear head maps the first `d_ff` features of the last `patch_nums` positions
//! to the horizon, de-normalised. Only the patch embedding, the prototype map, the
//! reprogramming attention and the head train.
//!
//! As in NeuralForecast: 1024 prototypes; the reprogramming attention has `n_heads` heads of
//! `d_ff` features and dropout 0.1; `d_llm` must equal the backbone's width; the prompt's
//! statistics are those of the normalised window, `prompt_prefix=None` is written `None`, and
//! the prompts of a batch are right-padded with the end-of-text token to the longest of them,
//! with no attention mask, so a window's forecast depends on the other windows of its batch.
//! The backbone's own dropout is active in training. Unlike NeuralForecast, which refuses every
//! loss but point losses, the head is sized for the loss's `m` outputs per step; prompts longer
//! than the backbone's position table allows are cut at the end (NeuralForecast fails).

use crate::gpt2::Gpt2;
use crate::prompt::{lag_count, prompt, window_stats};
use neurodiv_attention::{AttentionOptions, flash_attention_heads};
use neurodiv_autodiff::Var;
use neurodiv_core::check::{at_least_one, probability};
use neurodiv_core::{
    BaseConfig, Capabilities, CoreError, ModelOutput, NeuralModel, WindowBatch, base_setters,
};
use neurodiv_kernels::Rng;
use neurodiv_nn::{Ctx, Dropout, Linear, ParamId, ParamStore, RevINStats, init};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// NeuralForecast's number of text prototypes (`num_tokens`, fixed there).
pub const NUM_PROTOTYPES: usize = 1024;
/// Dropout of the reprogramming attention (fixed in NeuralForecast).
const ATTENTION_DROPOUT: f32 = 0.1;

/// Configuration of [`TimeLLM`], with NeuralForecast's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeLLMConfig {
    /// Shared training knobs.
    #[serde(flatten)]
    pub base: BaseConfig,
    /// Path of a local GPT-2 folder in Hugging Face layout (`config.json`,
    /// `model.safetensors`, `tokenizer.json`); required, nothing is downloaded (default none).
    pub llm: Option<String>,
    /// Steps per patch (default 16).
    pub patch_len: usize,
    /// Steps between patch starts (default 8).
    pub stride: usize,
    /// Features per reprogramming head, and features of the backbone's output the head reads
    /// (default 128; at most `d_llm`).
    pub d_ff: usize,
    /// Lags in the prompt (default 5).
    pub top_k: usize,
    /// The backbone's width; must equal its `n_embd` (default 768, GPT-2 small).
    pub d_llm: usize,
    /// Width of the patch embeddings (default 32).
    pub d_model: usize,
    /// Heads of the reprogramming attention (default 8).
    pub n_heads: usize,
    /// Text put at the start of every prompt (default none, written `None` as NeuralForecast
    /// writes it).
    pub prompt_prefix: Option<String>,
    /// Dropout of the patch embeddings and the head (default 0.1).
    pub dropout: f32,
}

impl TimeLLMConfig {
    /// NeuralForecast's defaults for horizon `h` and input window `input_size`; the backbone
    /// folder ([`llm`](Self::llm)) is required, and `d_llm` must be its width.
    ///
    /// ```
    /// use neurodiv_core::NeuralModel;
    /// use neurodiv_models_llm::tiny::{TinyGpt2, write_tiny_gpt2};
    /// use neurodiv_models_llm::{TimeLLM, TimeLLMConfig};
    /// // A tiny random GPT-2 of width 32; a real forecast reads a pretrained folder.
    /// let dir = std::env::temp_dir().join(format!("timellm-doc-{}", std::process::id()));
    /// write_tiny_gpt2(&dir, TinyGpt2::default())?;
    /// let mut config = TimeLLMConfig::new(12, 24)
    ///     .llm(dir.display().to_string())
    ///     .max_steps(100)
    ///     .random_seed(7);
    /// (config.d_llm, config.d_ff) = (32, 32);
    /// let model = TimeLLM::new(config)?;
    /// assert_eq!((model.base().h, model.base().input_size), (12, 24));
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), neurodiv_core::CoreError>(())
    /// ```
    pub fn new(h: usize, input_size: usize) -> Self {
        let mut base = BaseConfig::new(h, input_size);
        base.learning_rate = 1e-4;
        base.max_steps = 5;
        base.inference_windows_batch_size = Some(1024);
        TimeLLMConfig {
            base,
            llm: None,
            patch_len: 16,
            stride: 8,
            d_ff: 128,
            top_k: 5,
            d_llm: 768,
            d_model: 32,
            n_heads: 8,
            prompt_prefix: None,
            dropout: 0.1,
        }
    }

    /// Sets [`llm`](Self::llm), the backbone folder.
    pub fn llm(mut self, dir: impl Into<String>) -> Self {
        self.llm = Some(dir.into());
        self
    }

    /// Checks the fields that do not need the backbone.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.base.validate()?;
        for (field, v) in [
            ("patch_len", self.patch_len),
            ("stride", self.stride),
            ("d_ff", self.d_ff),
            ("top_k", self.top_k),
            ("d_model", self.d_model),
            ("n_heads", self.n_heads),
        ] {
            at_least_one(field, v)?;
        }
        probability("dropout", self.dropout)?;
        let l = self.base.input_size;
        if self.patch_len > l + self.stride {
            return Err(CoreError::Config {
                field: "patch_len",
                reason: format!(
                    "{} is longer than input_size + stride = {}",
                    self.patch_len,
                    l + self.stride
                ),
            });
        }
        if self.top_k > lag_count(l) {
            return Err(CoreError::Config {
                field: "top_k",
                reason: format!(
                    "{} is more than the {} lags of a window of {l} points",
                    self.top_k,
                    lag_count(l)
                ),
            });
        }
        if self.d_ff > self.d_llm {
            return Err(CoreError::Config {
                field: "d_ff",
                reason: format!("{} is more than d_llm = {}", self.d_ff, self.d_llm),
            });
        }
        Ok(())
    }

    /// Patches per window: NeuralForecast's `patch_nums`.
    pub fn patch_nums(&self) -> usize {
        (self.base.input_size + self.stride - self.patch_len) / self.stride + 1
    }
}
base_setters!(TimeLLMConfig);

/// NeuralForecast's `TimeLLM` on a frozen local GPT-2.
#[derive(Debug, Clone)]
pub struct TimeLLM {
    config: TimeLLMConfig,
    store: ParamStore,
    llm: Gpt2,
    /// Token conv `[d_model, patch_len, 3]`, no bias.
    patch_conv: ParamId,
    /// `[vocab] -> [NUM_PROTOTYPES]`
    mapping: Linear,
    query: Linear,
    key: Linear,
    value: Linear,
    out: Linear,
    head: Linear,
}

impl TimeLLM {
    /// Loads the backbone folder `config.llm` and builds the trainable layers from
    /// `config.base.random_seed`.
    pub fn new(config: TimeLLMConfig) -> Result<Self, CoreError> {
        config.validate()?;
        let dir = config.llm.clone().ok_or_else(|| CoreError::Config {
            field: "llm",
            reason: "is required: the path of a local GPT-2 folder in Hugging Face layout \
                     (config.json, model.safetensors, tokenizer.json); nothing is downloaded"
                .into(),
        })?;
        let mut store = ParamStore::new();
        let llm = Gpt2::load(Path::new(&dir), &mut store)?;
        let g = &llm.config;
        let file = || Path::new(&dir).join("config.json").display().to_string();
        if g.n_embd != config.d_llm {
            return Err(CoreError::Backbone {
                file: file(),
                reason: format!(
                    "n_embd is {}, but d_llm is {}: set d_llm to the backbone's width",
                    g.n_embd, config.d_llm
                ),
            });
        }
        let p = config.patch_nums();
        if p >= g.n_positions {
            return Err(CoreError::Backbone {
                file: file(),
                reason: format!(
                    "n_positions {} leaves no room for a prompt before {p} patches",
                    g.n_positions
                ),
            });
        }
        let c = &config;
        let mut rng = Rng::new(c.base.random_seed);
        let fan_in = c.patch_len * 3;
        // kaiming_normal_(fan_in, leaky_relu with slope 0): N(0, 2 / fan_in)
        let patch_conv = store.add(
            "patch_embedding.value_embedding.tokenConv.weight",
            init::kaiming_normal(&[c.d_model, c.patch_len, 3], fan_in, &mut rng),
        );
        let mut lin =
            |name: &str, i: usize, o: usize| Linear::new(&mut store, name, i, o, true, &mut rng);
        let mapping = lin("mapping_layer", g.vocab_size, NUM_PROTOTYPES);
        let inner = c.d_ff * c.n_heads;
        let query = lin("reprogramming_layer.query_projection", c.d_model, inner);
        let key = lin("reprogramming_layer.key_projection", c.d_llm, inner);
        let value = lin("reprogramming_layer.value_projection", c.d_llm, inner);
        let out = lin("reprogramming_layer.out_projection", inner, c.d_llm);
        let m = c.base.output_multiplier();
        let head = lin("output_projection.linear", c.d_ff * p, c.base.h * m);
        Ok(TimeLLM {
            config,
            store,
            llm,
            patch_conv,
            mapping,
            query,
            key,
            value,
            out,
            head,
        })
    }

    /// The prompts' token ids of the normalised windows `xn` `[B, L]`, right-padded to the
    /// longest with the end-of-text id and cut to `max_len`: the ids `[B * Lp]` and `Lp`.
    fn prompt_ids(&self, xn: &[f32], rows: usize, max_len: usize) -> (Vec<usize>, usize) {
        let c = &self.config;
        let l = c.base.input_size;
        let prompts: Vec<Vec<u32>> = xn
            .chunks(l)
            .take(rows)
            .map(|w| {
                let s = window_stats(w, c.top_k);
                let text = prompt(c.prompt_prefix.as_deref(), c.base.h, l, &s);
                let mut ids = self.llm.encode(&text);
                ids.truncate(max_len);
                ids
            })
            .collect();
        let lp = prompts.iter().map(Vec::len).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(rows * lp);
        for p in &prompts {
            ids.extend(p.iter().map(|&t| t as usize));
            ids.extend(std::iter::repeat_n(self.llm.pad_id as usize, lp - p.len()));
        }
        (ids, lp)
    }
}

impl NeuralModel for TimeLLM {
    fn name(&self) -> &'static str {
        "TimeLLM"
    }
    neurodiv_core::model_accessors!();
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    fn forward<'t>(&self, ctx: &mut Ctx<'t>, batch: &WindowBatch<'t>) -> ModelOutput<'t> {
        let c = &self.config;
        let x = batch.insample_y; // [B, L]
        let (rows, l) = (x.shape()[0], x.shape()[1]);
        let (p, m) = (c.patch_nums(), c.base.output_multiplier());
        // RevIN, no affine map: per window mean and sqrt(biased var + 1e-5), constants.
        let stats = RevINStats::of(&x.value().reshape(&[rows, l, 1]), 1e-5);
        let mean = ctx.constant(stats.mean.reshape(&[rows, 1])); // [B, 1, 1] -> [B, 1]
        let std = ctx.constant(stats.std.reshape(&[rows, 1]));
        let xn = x.sub(mean).div(std); // [B, L]

        // The prompt, embedded by the frozen word table: [B, Lp, D].
        let max_prompt = self.llm.config.n_positions - p;
        let (ids, lp) = self.prompt_ids(xn.value().data(), rows, max_prompt);
        let wte = ctx.p(self.llm.wte); // [V, D]
        let prompt_emb = Var::embedding(wte, &ids, &[rows, lp]); // [B, Lp, D]

        // Text prototypes: [D, V] -> [D, 1024] -> [1024, D].
        let protos = self
            .mapping
            .forward(ctx, wte.transpose(0, 1))
            .transpose(0, 1);

        // Patches: NeuralForecast pads `stride` copies of the last value and takes windows of
        // `patch_len`; only the copies the last patch reads are made.
        let pad = ((p - 1) * c.stride + c.patch_len).saturating_sub(l);
        let padded = if pad > 0 {
            let last = xn.slice(1, l - 1, l).expand(&[rows, pad]); // [B, pad]
            Var::concat(&[xn, last], 1) // [B, L + pad]
        } else {
            xn
        };
        let patches = padded.unfold(1, c.patch_len, c.stride); // [B, P, len]
        // Token embedding: a circular convolution along the patches, the patch steps as channels.
        let t = patches.permute(&[0, 2, 1]); // [B, P, len] -> [B, len, P]
        let t = Var::concat(&[t.slice(2, p - 1, p), t, t.slice(2, 0, 1)], 2); // [B, len, P + 2]
        let emb = t
            .conv1d(ctx.p(self.patch_conv), None, 1, (0, 0), 1, 1) // [B, d_model, P]
            .transpose(1, 2); // [B, P, d_model]
        let emb = Dropout { p: c.dropout }.forward(ctx, emb);

        // Reprogramming: every patch attends to the prototypes (the same keys for the whole
        // batch, so the batch folds into the queries: [1, B * P, H, E]).
        let (heads, e) = (c.n_heads, c.d_ff);
        let q = self
            .query
            .forward(ctx, emb)
            .reshape(&[1, rows * p, heads, e]); // [B, P, H*E] -> [1, B*P, H, E]
        let k = self
            .key
            .forward(ctx, protos)
            .reshape(&[1, NUM_PROTOTYPES, heads, e]); // [1024, H*E] -> [1, 1024, H, E]
        let v = self
            .value
            .forward(ctx, protos)
            .reshape(&[1, NUM_PROTOTYPES, heads, e]);
        let opts = AttentionOptions {
            dropout: ATTENTION_DROPOUT,
            ..AttentionOptions::default()
        };
        let o = flash_attention_heads(q, k, v, opts, &mut ctx.rng); // [1, B*P, H, E]
        let enc = self.out.forward(ctx, o.reshape(&[rows, p, heads * e])); // [B, P, D]

        // The backbone on [prompt, patches]: [B, Lp + P, D].
        let seq = Var::concat(&[prompt_emb, enc], 1);
        let hidden = self.llm.forward(ctx, seq); // [B, S, D]
        let s = lp + p;
        let dec = hidden.slice(1, s - p, s).slice(2, 0, c.d_ff); // [B, P, d_ff]
        let dec = dec.permute(&[0, 2, 1]).reshape(&[rows, c.d_ff * p]); // [B, d_ff, P] -> [B, d_ff * P]
        let y = self.head.forward(ctx, dec); // [B, h * m]
        let y = Dropout { p: c.dropout }.forward(ctx, y);
        // De-normalise every output: [B, h * m] * [B, 1] + [B, 1] -> [B, h, m]
        y.mul(std).add(mean).reshape(&[rows, c.base.h, m]).into()
    }
}
