//! What is benchmarked, and under which criterion ids.
//!
//! Criterion ids are `group/function/value`. The summary in `xtask` parses them with the helpers
//! here, so a shape added below shows up in the table without touching `xtask`.

/// Element counts of the element-wise kernel benches (1K, 64K, 1M).
pub const KERNEL_SIZES: [usize; 3] = [1 << 10, 1 << 16, 1 << 20];

/// Rows and columns of the row-kernel benches (softmax, layer norm): `[1024 x 512]`.
pub const ROWS_SHAPE: (usize, usize) = (1024, 512);

/// Prefix of every kernel group; the group is `kernels/<kernel name>`.
pub const KERNEL_GROUP_PREFIX: &str = "kernels/";
/// Function id of the dispatched (SIMD) version of a kernel.
pub const SIMD_ID: &str = "simd";
/// Function id of the scalar twin of a kernel.
pub const SCALAR_ID: &str = "scalar";

/// Group of the GEMM benches.
pub const GEMM_GROUP: &str = "gemm";
/// Plain GEMM shapes as `(M, K, N)`: `C[M,N] = A[M,K] · B[K,N]`.
/// The first three are the layers of the training bench's MLP at batch 1024.
pub const GEMM_SHAPES: [(usize, usize, usize); 6] = [
    (1024, 24, 512),
    (1024, 512, 512),
    (1024, 512, 12),
    (32, 96, 256),
    (4096, 256, 256),
    (512, 512, 512),
];
/// Batched GEMM `(batch, M, K, N)`: 256 products `[96,64] · [64,96]` (attention-sized).
pub const GEMM_BATCHED: (usize, usize, usize, usize) = (256, 96, 64, 96);

/// Thread counts every parallel bench runs on.
pub const THREADS: [usize; 2] = [1, 2];

/// Group of the autodiff tape benches.
pub const TAPE_GROUP: &str = "tape";
/// Number of recorded ops (alternating add and mul on a 1-element tensor) per tape bench.
pub const TAPE_CHAIN_OPS: usize = 100;
/// Tape bench: record the chain only.
pub const TAPE_FORWARD_ID: &str = "forward";
/// Tape bench: record the chain, then back-propagate through it.
pub const TAPE_FORWARD_BACKWARD_ID: &str = "forward_backward";

/// Group of the time-step benches: the `T` steps of a `[B, T, 4H]` projection (what a recurrent
/// layer reads) taken apart on the tape, summed, and back-propagated. Function ids
/// [`TAPE_SLICE_ID`] and [`TAPE_UNBIND_ID`], value `T`. Not [`TAPE_GROUP`]: its value is a step
/// count, not an op count.
pub const TAPE_STEPS_GROUP: &str = "tape_steps";
/// Step counts `T` of the time-step benches.
pub const TAPE_STEPS: [usize; 4] = [16, 32, 64, 128];
/// `(B, H)` of the time-step benches: the projection is `[B, T, 4H]`.
pub const TAPE_STEPS_BATCH_HIDDEN: (usize, usize) = (32, 32);
/// Time-step bench: `T` calls of `slice(1, t, t + 1)`.
pub const TAPE_SLICE_ID: &str = "slice";
/// Time-step bench: one `unbind(1)`.
pub const TAPE_UNBIND_ID: &str = "unbind";

/// Group of the training-step benches.
pub const TRAINING_GROUP: &str = "training";
/// Layer sizes of the training bench's MLP: `24 -> 512 -> 512 -> 12`, ReLU between layers.
pub const MLP_SIZES: [usize; 4] = [24, 512, 512, 12];
/// Batch size of the training bench.
pub const MLP_BATCH: usize = 1024;

/// Group of the per-model benches; function ids are [`MODEL_MEASURES`], values model names.
pub const MODELS_GROUP: &str = "models";
/// What the per-model benches time, each at NeuralForecast's defaults for `h = 12`,
/// `input_size = 24` on the bench panel, on 2 threads: one training step, a forecast of one
/// series, a forecast of every series of the panel, and a save followed by a load.
pub const MODEL_MEASURES: [&str; 4] = ["train_step", "predict_one", "predict_panel", "save_load"];
/// Horizon and input size of the per-model benches.
pub const MODEL_H_L: (usize, usize) = (12, 24);
/// The bench panel: series, points per series, generator seed.
pub const BENCH_PANEL: (usize, usize, u64) = (200, 60, 7);
/// Group of the thread-scaling benches: function `<measure>_<model>`, value `<threads>t`.
pub const SCALING_GROUP: &str = "scaling";
/// The model and measures the scaling group runs on 1 and 2 threads.
pub const SCALING_MODEL: &str = "NHITS";
/// Measures of the scaling group (a subset of [`MODEL_MEASURES`]).
pub const SCALING_MEASURES: [&str; 2] = ["train_step", "predict_panel"];

/// Function id of a plain GEMM: `"{m}x{k}x{n}"`.
pub fn gemm_id(m: usize, k: usize, n: usize) -> String {
    format!("{m}x{k}x{n}")
}

/// Function id of the batched GEMM: `"batched{batch}x{m}x{k}x{n}"`.
pub fn gemm_batched_id(batch: usize, m: usize, k: usize, n: usize) -> String {
    format!("batched{batch}x{m}x{k}x{n}")
}

/// Value id of a thread count: `"{threads}t"`.
pub fn threads_id(threads: usize) -> String {
    format!("{threads}t")
}

/// Inverse of [`threads_id`].
pub fn parse_threads_id(s: &str) -> Option<usize> {
    s.strip_suffix('t')?.parse().ok()
}

/// Function id of the training-step bench: `"mlp_24-512-512-12_b1024"`.
pub fn training_id() -> String {
    let sizes: Vec<String> = MLP_SIZES.iter().map(usize::to_string).collect();
    format!("mlp_{}_b{MLP_BATCH}", sizes.join("-"))
}

/// A GEMM bench id parsed back: `batch` is 1 for a plain GEMM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmShape {
    /// Number of independent products.
    pub batch: usize,
    /// Rows of `A` and `C`.
    pub m: usize,
    /// Inner dimension.
    pub k: usize,
    /// Columns of `B` and `C`.
    pub n: usize,
}

impl GemmShape {
    /// Floating-point operations of the whole bench iteration: `2 * batch * m * n * k`.
    pub fn flops(&self) -> u64 {
        2 * (self.batch * self.m * self.n * self.k) as u64
    }

    /// Parses a function id made by [`gemm_id`] or [`gemm_batched_id`].
    pub fn parse(id: &str) -> Option<GemmShape> {
        let (batched, dims) = match id.strip_prefix("batched") {
            Some(rest) => (true, rest),
            None => (false, id),
        };
        let v: Vec<usize> = dims
            .split('x')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        match (batched, v.as_slice()) {
            (false, &[m, k, n]) => Some(GemmShape { batch: 1, m, k, n }),
            (true, &[batch, m, k, n]) => Some(GemmShape { batch, m, k, n }),
            _ => None,
        }
    }
}

impl std::fmt::Display for GemmShape {
    /// `(M,K,N)` or `B x (M,K,N)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.batch == 1 {
            write!(f, "({},{},{})", self.m, self.k, self.n)
        } else {
            write!(f, "{} x ({},{},{})", self.batch, self.m, self.k, self.n)
        }
    }
}

/// Group of the attention benches: flash against the reference, forward only
/// ([`ATTENTION_FORWARD_GROUP`]) and forward + backward ([`ATTENTION_BACKWARD_GROUP`]), function
/// ids [`FLASH_ID`] and [`REFERENCE_ID`], value the sequence length.
pub const ATTENTION_FORWARD_GROUP: &str = "attention_forward";
/// See [`ATTENTION_FORWARD_GROUP`].
pub const ATTENTION_BACKWARD_GROUP: &str = "attention_forward_backward";
/// Flash attention (`neurodiv_attention::flash_attention`).
pub const FLASH_ID: &str = "flash";
/// The plain reference (`neurodiv_attention::attention_reference`).
pub const REFERENCE_ID: &str = "reference";
/// Sequence lengths (queries = keys) of the attention benches.
pub const ATTENTION_LENGTHS: [usize; 6] = [128, 256, 512, 1024, 2048, 4096];
/// `(batch x heads, head size)` of the attention benches.
pub const ATTENTION_PAIRS_HEAD: (usize, usize) = (4, 64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_ids_round_trip() {
        for &(m, k, n) in &GEMM_SHAPES {
            let s = GemmShape::parse(&gemm_id(m, k, n)).unwrap();
            assert_eq!(s, GemmShape { batch: 1, m, k, n });
        }
        let (b, m, k, n) = GEMM_BATCHED;
        let s = GemmShape::parse(&gemm_batched_id(b, m, k, n)).unwrap();
        assert_eq!(s, GemmShape { batch: b, m, k, n });
        assert_eq!(s.flops(), 2 * 256 * 96 * 96 * 64);
        assert_eq!(GemmShape::parse("12x3"), None);
        assert_eq!(GemmShape::parse("batched1x2x3"), None);
    }

    #[test]
    fn thread_ids_round_trip() {
        for t in THREADS {
            assert_eq!(parse_threads_id(&threads_id(t)), Some(t));
        }
        assert_eq!(parse_threads_id("x"), None);
        assert_eq!(training_id(), "mlp_24-512-512-12_b1024");
    }
}
