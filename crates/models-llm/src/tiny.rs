//! A tiny random GPT-2 folder in Hugging Face layout, for tests, demos and trying TimeLLM without
//! a pretrained model: `config.json`, `model.safetensors` (`transformers`' initialisation:
//! weights `N(0, 0.02)`, biases 0, layer norms 1 and 0) and a byte-level BPE `tokenizer.json`
//! whose merges spell out the words of TimeLLM's prompt. A random backbone carries no language
//! knowledge: use a pretrained GPT-2 folder for real forecasts.

use neurodiv_autodiff::Tensor;
use neurodiv_core::CoreError;
use neurodiv_kernels::Rng;
use safetensors::Dtype;
use safetensors::tensor::TensorView;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// Sizes and storage of [`write_tiny_gpt2`]'s backbone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TinyGpt2 {
    /// Blocks (default 2).
    pub n_layer: usize,
    /// Width (default 32).
    pub n_embd: usize,
    /// Heads (default 4).
    pub n_head: usize,
    /// Position table (default 512).
    pub n_positions: usize,
    /// Seed of the weights (default 0).
    pub seed: u64,
    /// Storage of the weights: `F32`, `F16` or `BF16` (default `F32`).
    pub dtype: Dtype,
}

impl Default for TinyGpt2 {
    fn default() -> Self {
        TinyGpt2 {
            n_layer: 2,
            n_embd: 32,
            n_head: 4,
            n_positions: 512,
            seed: 0,
            dtype: Dtype::F32,
        }
    }
}

/// Words of TimeLLM's prompt that the tokenizer merges into single tokens.
const WORDS: &[&str] = &[
    "<|start_prompt|>",
    "<|<end_prompt>|>",
    "None",
    "Task",
    "description",
    "forecast",
    "the",
    "next",
    "steps",
    "given",
    "previous",
    "information",
    "Input",
    "statistics",
    "min",
    "max",
    "median",
    "value",
    "trend",
    "of",
    "input",
    "is",
    "upward",
    "downward",
    "top",
    "lags",
    "are",
];

/// GPT-2's byte-to-character table: printable bytes stand for themselves, the others for
/// characters from U+0100 on, in GPT-2's order (which is also the order of the first 256 ids).
pub fn byte_chars() -> Vec<(u8, char)> {
    let mut bs: Vec<u32> = (u32::from(b'!')..=u32::from(b'~'))
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut cs = bs.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !bs.contains(&b) {
            bs.push(b);
            cs.push(256 + n);
            n += 1;
        }
    }
    bs.iter()
        .zip(&cs)
        .map(|(&b, &c)| (b as u8, char::from_u32(c).expect("valid code point")))
        .collect()
}

/// The tokenizer's vocabulary (ids in order) and merges.
fn bpe() -> (Vec<String>, Vec<(String, String)>) {
    let table = byte_chars();
    let map = |s: &str| -> Vec<String> {
        s.bytes()
            .map(|b| {
                table
                    .iter()
                    .find(|(x, _)| *x == b)
                    .expect("all bytes")
                    .1
                    .to_string()
            })
            .collect()
    };
    let mut vocab: Vec<String> = table.iter().map(|(_, c)| c.to_string()).collect();
    let mut merges = Vec::new();
    for word in WORDS.iter().flat_map(|w| [w.to_string(), format!(" {w}")]) {
        let parts = map(&word);
        let mut acc = parts[0].clone();
        for next in &parts[1..] {
            let merged = format!("{acc}{next}");
            if !vocab.contains(&merged) {
                merges.push((acc.clone(), next.clone()));
                vocab.push(merged.clone());
            }
            acc = merged;
        }
    }
    vocab.push("<|endoftext|>".into());
    (vocab, merges)
}

/// The `tokenizer.json` of the tiny backbone, and its vocabulary size.
fn tokenizer_json() -> (Value, usize) {
    let (vocab, merges) = bpe();
    let eos = vocab.len() - 1;
    let ids: serde_json::Map<String, Value> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), json!(i)))
        .collect();
    let merges: Vec<String> = merges.iter().map(|(a, b)| format!("{a} {b}")).collect();
    let byte_level = |prefix: bool, trim: bool| json!({"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": trim, "use_regex": true});
    let tok = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [{"id": eos, "content": "<|endoftext|>", "single_word": false,
            "lstrip": false, "rstrip": false, "normalized": true, "special": true}],
        "normalizer": null,
        "pre_tokenizer": byte_level(false, true),
        "post_processor": byte_level(true, false),
        "decoder": byte_level(true, true),
        "model": {"type": "BPE", "dropout": null, "unk_token": null,
            "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": false,
            "byte_fallback": false, "ignore_merges": false, "vocab": ids, "merges": merges},
    });
    (tok, vocab.len())
}

/// Writes a tiny random GPT-2 folder to `dir` (created if missing).
pub fn write_tiny_gpt2(dir: &Path, spec: TinyGpt2) -> Result<(), CoreError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| CoreError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let (tok, vocab) = tokenizer_json();
    let d = spec.n_embd;
    let config = json!({
        "model_type": "gpt2", "architectures": ["GPT2Model"], "activation_function": "gelu_new",
        "n_embd": d, "n_layer": spec.n_layer, "n_head": spec.n_head,
        "n_positions": spec.n_positions, "n_ctx": spec.n_positions, "vocab_size": vocab,
        "n_inner": null, "layer_norm_epsilon": 1e-5, "embd_pdrop": 0.1, "attn_pdrop": 0.1,
        "resid_pdrop": 0.1, "initializer_range": 0.02, "scale_attn_weights": true,
        "bos_token_id": vocab - 1, "eos_token_id": vocab - 1,
    });
    let mut rng = Rng::new(spec.seed);
    let mut tensors: BTreeMap<String, Tensor> = BTreeMap::new();
    let mut normal = |shape: &[usize]| Tensor::randn(shape, &mut rng).map(|v| v * 0.02);
    tensors.insert("wte.weight".into(), normal(&[vocab, d]));
    tensors.insert("wpe.weight".into(), normal(&[spec.n_positions, d]));
    for i in 0..spec.n_layer {
        for (name, fi, fo) in [
            ("attn.c_attn", d, 3 * d),
            ("attn.c_proj", d, d),
            ("mlp.c_fc", d, 4 * d),
            ("mlp.c_proj", 4 * d, d),
        ] {
            tensors.insert(format!("h.{i}.{name}.weight"), normal(&[fi, fo]));
            tensors.insert(format!("h.{i}.{name}.bias"), Tensor::zeros(&[fo]));
        }
        for ln in ["ln_1", "ln_2"] {
            tensors.insert(format!("h.{i}.{ln}.weight"), Tensor::ones(&[d]));
            tensors.insert(format!("h.{i}.{ln}.bias"), Tensor::zeros(&[d]));
        }
    }
    tensors.insert("ln_f.weight".into(), Tensor::ones(&[d]));
    tensors.insert("ln_f.bias".into(), Tensor::zeros(&[d]));
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .into_iter()
        .map(|(name, t)| {
            let b: Vec<u8> = match spec.dtype {
                Dtype::F16 => t
                    .data()
                    .iter()
                    .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
                    .collect(),
                Dtype::BF16 => t
                    .data()
                    .iter()
                    .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
                    .collect(),
                _ => t.data().iter().flat_map(|&v| v.to_le_bytes()).collect(),
            };
            (name, b, t.shape().to_vec())
        })
        .collect();
    let dtype = match spec.dtype {
        Dtype::F16 | Dtype::BF16 => spec.dtype,
        _ => Dtype::F32,
    };
    let views: Vec<(String, TensorView<'_>)> = bytes
        .iter()
        .map(|(name, b, shape)| {
            let view = TensorView::new(dtype, shape.clone(), b).expect("sizes match the shape");
            (name.clone(), view)
        })
        .collect();
    let meta = std::collections::HashMap::from([("format".to_string(), "pt".to_string())]);
    let st = safetensors::serialize(views, Some(meta)).expect("valid tensors serialise");
    let write = |name: &str, data: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, data).map_err(io(&path))
    };
    write(
        "config.json",
        serde_json::to_string_pretty(&config)
            .expect("json")
            .as_bytes(),
    )?;
    write(
        "tokenizer.json",
        serde_json::to_string(&tok).expect("json").as_bytes(),
    )?;
    write("model.safetensors", &st)
}
