//! A frozen GPT-2 read from a local folder in Hugging Face layout (`config.json`,
//! `model.safetensors`, `tokenizer.json`), run on input embeddings as `transformers`'
//! `GPT2Model(inputs_embeds=...)` runs it.
//!
//! Radford, Wu, Child, Luan, Amodei, Sutskever, "Language Models are Unsupervised Multitask
//! Learners", OpenAI 2019. Pre-norm blocks (layer norm, causal multi-head self-attention, layer
//! norm, a `4 * n_embd` feed-forward network with the tanh approximation of GELU), learned
//! positions, a final layer norm. Nothing is downloaded: a missing file, a missing tensor or a
//! tensor of the wrong shape is a [`CoreError::Backbone`] naming the file and the expected shape.
//!
//! The weights go into the model's [`ParamStore`] under `llm.` as *frozen* parameters (constants
//! on the tape: no gradient, no optimizer state). Weights stored in FP16 or BF16 are widened to
//! f32 exactly, so every product and sum is the f32 arithmetic of a weight-only reduced-precision
//! GEMM; the store holds them as f32. Dropout (`embd_pdrop`, `attn_pdrop`, `resid_pdrop`) is
//! active in training, as in NeuralForecast, whose Lightning module puts the backbone in
//! training mode with the rest.

use neurodiv_attention::{AttentionOptions, flash_attention_heads};
use neurodiv_autodiff::{Tensor, Var};
use neurodiv_core::CoreError;
use neurodiv_nn::{Ctx, Dropout, LayerNorm, Linear, ParamId, ParamStore};
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;
use std::path::Path;
use tokenizers::Tokenizer;

/// The fields of a GPT-2 `config.json` this backbone reads (`transformers`' defaults).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Gpt2Config {
    /// Hidden size.
    pub n_embd: usize,
    /// Transformer blocks.
    pub n_layer: usize,
    /// Attention heads.
    pub n_head: usize,
    /// Length of the position table.
    pub n_positions: usize,
    /// Rows of the token embedding table.
    pub vocab_size: usize,
    /// Width of the feed-forward networks (`4 * n_embd` when absent).
    #[serde(default)]
    pub n_inner: Option<usize>,
    /// Layer-norm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f32,
    /// Dropout after the embeddings.
    #[serde(default = "default_drop")]
    pub embd_pdrop: f32,
    /// Dropout of the attention weights.
    #[serde(default = "default_drop")]
    pub attn_pdrop: f32,
    /// Dropout of the residual branches.
    #[serde(default = "default_drop")]
    pub resid_pdrop: f32,
    /// Activation: only `gelu_new` (GPT-2's) is supported.
    #[serde(default = "default_act")]
    pub activation_function: String,
    /// Scale the attention scores by `1 / sqrt(head size)`.
    #[serde(default = "default_true")]
    pub scale_attn_weights: bool,
    /// Token that pads the prompts of a batch (the tokenizer's `<|endoftext|>` when absent).
    #[serde(default)]
    pub eos_token_id: Option<u32>,
}

fn default_eps() -> f32 {
    1e-5
}
fn default_drop() -> f32 {
    0.1
}
fn default_act() -> String {
    "gelu_new".into()
}
fn default_true() -> bool {
    true
}

fn backbone_err(dir: &Path, file: &str, reason: impl Into<String>) -> CoreError {
    CoreError::Backbone {
        file: dir.join(file).display().to_string(),
        reason: reason.into(),
    }
}

/// One pre-norm block; the linear weights are in PyTorch's `[out, in]` layout (the files'
/// `Conv1D` weights are `[in, out]` and are transposed on load).
#[derive(Debug, Clone)]
struct Block {
    ln_1: LayerNorm,
    c_attn: Linear,
    attn_proj: Linear,
    ln_2: LayerNorm,
    c_fc: Linear,
    mlp_proj: Linear,
}

/// The loaded backbone: its config, its frozen parameters' ids and its tokenizer.
#[derive(Debug, Clone)]
pub struct Gpt2 {
    /// The folder's `config.json`.
    pub config: Gpt2Config,
    /// `llm.wte.weight` `[vocab, n_embd]`: the word embeddings.
    pub wte: ParamId,
    wpe: ParamId,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    tokenizer: Tokenizer,
    /// The id prompts are padded with.
    pub pad_id: u32,
}

/// Reads tensor `name` (with or without the `transformer.` prefix of a language-model head
/// checkpoint) as f32, checking its shape.
fn read_tensor(
    dir: &Path,
    st: &SafeTensors<'_>,
    name: &str,
    shape: &[usize],
) -> Result<Tensor, CoreError> {
    let view = st
        .tensor(name)
        .or_else(|_| st.tensor(&format!("transformer.{name}")))
        .map_err(|_| {
            backbone_err(
                dir,
                "model.safetensors",
                format!("has no tensor {name} (expected shape {shape:?})"),
            )
        })?;
    if view.shape() != shape {
        return Err(backbone_err(
            dir,
            "model.safetensors",
            format!(
                "tensor {name} has shape {:?}, expected {shape:?} (from config.json)",
                view.shape()
            ),
        ));
    }
    let bytes = view.data();
    let data: Vec<f32> = match view.dtype() {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        other => {
            return Err(backbone_err(
                dir,
                "model.safetensors",
                format!("tensor {name} is {other:?}; expected F32, F16 or BF16"),
            ));
        }
    };
    Ok(Tensor::from_vec(shape, data))
}

/// `[d0, d1]` -> `[d1, d0]`, copied.
fn transposed(t: &Tensor) -> Tensor {
    let (r, c) = (t.shape()[0], t.shape()[1]);
    let d = t.data();
    let v = (0..c * r).map(|i| d[(i % r) * c + i / r]).collect();
    Tensor::from_vec(&[c, r], v)
}

impl Gpt2 {
    /// Loads the folder `dir` into `store` (frozen, under `llm.`).
    pub fn load(dir: &Path, store: &mut ParamStore) -> Result<Gpt2, CoreError> {
        if !dir.is_dir() {
            return Err(backbone_err(
                dir,
                "",
                "is not a folder; expected a GPT-2 folder in Hugging Face layout (config.json, model.safetensors, tokenizer.json)",
            ));
        }
        let read = |file: &str| {
            std::fs::read(dir.join(file))
                .map_err(|e| backbone_err(dir, file, format!("cannot be read: {e}")))
        };
        let config: Gpt2Config = serde_json::from_slice(&read("config.json")?).map_err(|e| {
            backbone_err(
                dir,
                "config.json",
                format!(
                    "is not a GPT-2 config (n_embd, n_layer, n_head, n_positions, vocab_size): {e}"
                ),
            )
        })?;
        let c = &config;
        if c.n_embd == 0 || c.n_head == 0 || !c.n_embd.is_multiple_of(c.n_head) || c.vocab_size == 0
        {
            return Err(backbone_err(
                dir,
                "config.json",
                format!(
                    "n_head {} must divide n_embd {} (both and vocab_size {} at least 1)",
                    c.n_head, c.n_embd, c.vocab_size
                ),
            ));
        }
        if c.activation_function != "gelu_new" {
            return Err(backbone_err(
                dir,
                "config.json",
                format!(
                    "activation_function {:?} is not supported; expected \"gelu_new\" (GPT-2's)",
                    c.activation_function
                ),
            ));
        }
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| {
            backbone_err(
                dir,
                "tokenizer.json",
                format!("is not a Hugging Face tokenizer: {e}"),
            )
        })?;
        let pad_id = match c.eos_token_id {
            Some(id) => id,
            None => tokenizer.token_to_id("<|endoftext|>").ok_or_else(|| {
                backbone_err(
                    dir,
                    "config.json",
                    "has no eos_token_id and tokenizer.json no <|endoftext|> to pad prompts with",
                )
            })?,
        };
        if pad_id as usize >= c.vocab_size {
            return Err(backbone_err(
                dir,
                "config.json",
                format!(
                    "eos_token_id {pad_id} is not below vocab_size {}",
                    c.vocab_size
                ),
            ));
        }
        let bytes = read("model.safetensors")?;
        let st = SafeTensors::deserialize(&bytes).map_err(|e| {
            backbone_err(
                dir,
                "model.safetensors",
                format!("is not a safetensors file: {e}"),
            )
        })?;
        let (d, inner) = (c.n_embd, c.n_inner.unwrap_or(4 * c.n_embd));
        let add =
            |store: &mut ParamStore, name: &str, t: Tensor| store.add(format!("llm.{name}"), t);
        let tensor = |name: &str, shape: &[usize]| read_tensor(dir, &st, name, shape);
        let wte = add(
            store,
            "wte.weight",
            tensor("wte.weight", &[c.vocab_size, d])?,
        );
        let wpe = add(
            store,
            "wpe.weight",
            tensor("wpe.weight", &[c.n_positions, d])?,
        );
        let eps = c.layer_norm_epsilon;
        let norm = |store: &mut ParamStore, name: &str| -> Result<LayerNorm, CoreError> {
            let weight = tensor(&format!("{name}.weight"), &[d])?;
            let bias = tensor(&format!("{name}.bias"), &[d])?;
            Ok(LayerNorm {
                weight: store.add(format!("llm.{name}.weight"), weight),
                bias: store.add(format!("llm.{name}.bias"), bias),
                eps,
            })
        };
        let mut blocks = Vec::with_capacity(c.n_layer);
        for i in 0..c.n_layer {
            let ln_1 = norm(store, &format!("h.{i}.ln_1"))?;
            let ln_2 = norm(store, &format!("h.{i}.ln_2"))?;
            let linear = |store: &mut ParamStore, name: &str, (fi, fo): (usize, usize)| {
                let w = read_tensor(dir, &st, &format!("h.{i}.{name}.weight"), &[fi, fo])?;
                let b = read_tensor(dir, &st, &format!("h.{i}.{name}.bias"), &[fo])?;
                Ok::<_, CoreError>(Linear {
                    // `Conv1D` `[in, out]` -> `nn.Linear` `[out, in]`
                    weight: store.add(format!("llm.h.{i}.{name}.weight"), transposed(&w)),
                    bias: Some(store.add(format!("llm.h.{i}.{name}.bias"), b)),
                    in_features: fi,
                    out_features: fo,
                })
            };
            blocks.push(Block {
                ln_1,
                c_attn: linear(store, "attn.c_attn", (d, 3 * d))?,
                attn_proj: linear(store, "attn.c_proj", (d, d))?,
                ln_2,
                c_fc: linear(store, "mlp.c_fc", (d, inner))?,
                mlp_proj: linear(store, "mlp.c_proj", (inner, d))?,
            });
        }
        let ln_f = norm(store, "ln_f")?;
        store.freeze("llm.");
        Ok(Gpt2 {
            config,
            wte,
            wpe,
            blocks,
            ln_f,
            tokenizer,
            pad_id,
        })
    }

    /// The token ids of `text` (with the tokenizer's post-processing, as `transformers` calls
    /// it by default).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        // A tokenizer that loaded encodes any text: its pre-tokenizer and model are total.
        self.tokenizer
            .encode(text, true)
            .map(|e| e.get_ids().to_vec())
            .unwrap_or_default()
    }

    /// `[B, S, n_embd] -> [B, S, n_embd]`: the last hidden state of the input embeddings at
    /// positions `0..S` (`S <= n_positions`), causal, no padding mask.
    pub fn forward<'t>(&self, ctx: &mut Ctx<'t>, embeds: Var<'t>) -> Var<'t> {
        let c = &self.config;
        let (b, s, d) = (embeds.shape()[0], embeds.shape()[1], embeds.shape()[2]);
        let positions: Vec<usize> = (0..s).collect();
        let pos = Var::embedding(ctx.p(self.wpe), &positions, &[s]); // [S, D]
        let mut x = Dropout { p: c.embd_pdrop }.forward(ctx, embeds.add(pos)); // [B, S, D]
        let heads = c.n_head;
        let attn = AttentionOptions {
            scale: (!c.scale_attn_weights).then_some(1.0),
            causal: true,
            dropout: c.attn_pdrop,
        };
        let resid = Dropout { p: c.resid_pdrop };
        for blk in &self.blocks {
            let qkv = blk.c_attn.forward(ctx, blk.ln_1.forward(ctx, x)); // [B, S, 3D]
            let [q, k, v] = qkv.split(2, &[d, d, d])[..] else {
                unreachable!("three parts")
            };
            // [B, S, D] -> [B, S, H, D / H]
            let split = |t: Var<'t>| t.reshape(&[b, s, heads, d / heads]);
            let o = flash_attention_heads(split(q), split(k), split(v), attn, &mut ctx.rng);
            let o = blk.attn_proj.forward(ctx, o.reshape(&[b, s, d])); // [B, S, H, D/H] -> [B, S, D]
            x = x.add(resid.forward(ctx, o));
            let m = blk.c_fc.forward(ctx, blk.ln_2.forward(ctx, x)); // [B, S, inner]
            let m = blk.mlp_proj.forward(ctx, gelu_tanh(m)); // [B, S, D]
            x = x.add(resid.forward(ctx, m));
        }
        self.ln_f.forward(ctx, x)
    }
}

/// GPT-2's `gelu_new`: `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`, composed of
/// differentiable ops.
fn gelu_tanh(x: Var<'_>) -> Var<'_> {
    let cube = x.mul(x).mul(x);
    let inner = x.add(cube.mul_scalar(0.044_715)).mul_scalar(0.797_884_6);
    x.mul(inner.tanh().add_scalar(1.0)).mul_scalar(0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodiv_autodiff::Tape;

    #[test]
    fn gelu_tanh_matches_the_formula() {
        let tape = Tape::new();
        let xs = [-3.0f32, -0.5, 0.0, 0.7, 2.5];
        let y = gelu_tanh(tape.constant(Tensor::from_vec(&[5], xs.to_vec()))).value();
        for (&v, &g) in xs.iter().zip(y.data()) {
            let c = (2.0 / std::f32::consts::PI).sqrt();
            let want = 0.5 * v * (1.0 + (c * (v + 0.044715 * v.powi(3))).tanh());
            assert!((want - g).abs() < 1e-6, "{v}: {g} vs {want}");
        }
    }
}
