"""NeuralForecast's TimeLLM on a tiny random GPT-2, for the TimeLLM parity gate.

1. Writes the tiny backbone folder data/reference/tiny-gpt2/ with `transformers` (GPT2Model,
   2 layers, width 32, 4 heads, 512 positions, torch.manual_seed(0), weights stored in FP16) and
   a byte-level BPE tokenizer.json whose merges spell the words of TimeLLM's prompt (the same
   construction as neurodiv_models_llm::tiny).
2. Runs NeuralForecast's TimeLLM on it offline (llm= the folder) on AirPassengers with the
   parity settings of ../shared/reference/nf_reference.py (last 12 points held out, h=12,
   input_size=24, max_steps=200, no validation, one torch thread), d_llm=32 and d_ff=32 (the
   backbone's width), other settings at TimeLLM's defaults; seeds 1, 2, 3.

Usage: nf_timellm.py OUT.json [--folder-only]   (NF_SEEDS=1,2,3)"""
import json, os, sys, time, warnings, logging
warnings.filterwarnings("ignore"); logging.disable(logging.WARNING)
os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["TRANSFORMERS_OFFLINE"] = "1"
import numpy as np, torch
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "tiny-gpt2")
WIDTH, LAYERS, HEADS, POSITIONS = 32, 2, 4, 512
WORDS = ["<|start_prompt|>", "<|<end_prompt>|>", "None", "Task", "description", "forecast", "the",
         "next", "steps", "given", "previous", "information", "Input", "statistics", "min", "max",
         "median", "value", "trend", "of", "input", "is", "upward", "downward", "top", "lags", "are"]


def byte_chars():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, [chr(c) for c in cs])), [chr(c) for c in cs]


def tokenizer_json():
    table, vocab = byte_chars()
    merges = []
    for word in [w for x in WORDS for w in (x, " " + x)]:
        parts = [table[b] for b in word.encode()]
        acc = parts[0]
        for nxt in parts[1:]:
            merged = acc + nxt
            if merged not in vocab:
                merges.append(f"{acc} {nxt}"); vocab.append(merged)
            acc = merged
    vocab.append("<|endoftext|>")
    bl = lambda prefix, trim: {"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": trim, "use_regex": True}
    eos = len(vocab) - 1
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": eos, "content": "<|endoftext|>", "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None, "pre_tokenizer": bl(False, True), "post_processor": bl(True, False),
        "decoder": bl(True, True),
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(vocab)}, "merges": merges},
    }, len(vocab)


def write_folder():
    from transformers import GPT2Config, GPT2Model
    tok, vocab = tokenizer_json()
    os.makedirs(FOLDER, exist_ok=True)
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=vocab, n_positions=POSITIONS, n_embd=WIDTH, n_layer=LAYERS, n_head=HEADS,
                     bos_token_id=vocab - 1, eos_token_id=vocab - 1)
    model = GPT2Model(cfg).half()
    model.save_pretrained(FOLDER, safe_serialization=True)
    json.dump(tok, open(os.path.join(FOLDER, "tokenizer.json"), "w"))


def run(seed):
    import neuralforecast, neuralforecast.models as M
    from neuralforecast import NeuralForecast
    from neuralforecast.utils import AirPassengersDF
    H, L = 12, 24
    test = AirPassengersDF.groupby("unique_id").tail(H); train = AirPassengersDF.drop(test.index)
    model = M.TimeLLM(h=H, input_size=L, max_steps=200, val_check_steps=10_000, early_stop_patience_steps=-1,
                      enable_progress_bar=False, logger=False, enable_model_summary=False, accelerator="cpu",
                      llm=FOLDER, d_llm=WIDTH, d_ff=WIDTH, random_seed=seed, alias="TimeLLM")
    assert next(model.llm.parameters()).dtype == torch.float32, "the backbone computes in f32"
    nf = NeuralForecast(models=[model], freq="ME")
    t = time.perf_counter(); nf.fit(df=train, val_size=0); fit_s = time.perf_counter() - t
    fc = nf.predict()
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    m = test.merge(fc, on=["unique_id", "ds"])
    err = (m["y"] - m["TimeLLM"]).abs()
    return dict(mae=float(err.mean()), fit_s=fit_s,
                smape=float((200 * err / (m["y"].abs() + m["TimeLLM"].abs())).mean()))


if __name__ == "__main__":
    write_folder()
    if "--folder-only" in sys.argv:
        sys.exit(0)
    out = sys.argv[1]
    seeds = [int(x) for x in os.environ.get("NF_SEEDS", "1,2,3").split(",")]
    runs = [run(s) for s in seeds]
    entry = dict(runs=runs, mae_mean=round(float(np.mean([r["mae"] for r in runs])), 3),
                 smape_mean=round(float(np.mean([r["smape"] for r in runs])), 3),
                 setup="data/reference/nf_timellm.py: tiny-gpt2 (2 layers, width 32, FP16), d_llm=32, d_ff=32")
    res = json.load(open(out)) if os.path.exists(out) else {}
    res["TimeLLM"] = entry
    json.dump(res, open(out, "w"), indent=1)
    print("TimeLLM", entry["mae_mean"], [round(r["mae"], 2) for r in runs], flush=True)
