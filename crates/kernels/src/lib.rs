//! Slice kernels: the bottom layer of Neuro-Divergent.
//!
//! Everything here works on plain `&[f32]` slices in row-major order and knows nothing about
//! gradients.
//!
//! - [`elementwise`]: arithmetic, `exp`/`log`/`tanh`, activations and their derivatives.
//! - [`rows`]: softmax, log-softmax, layer norm (forward and backward), row sums/means/maxima.
//! - [`gemm()`]: `C = alpha op(A) op(B) + beta C` through `matrixmultiply`, parallel over row
//!   blocks of `C`; [`gemm_batched`] for independent batches.
//! - [`dot_gemm_nt`]: `C = A Bᵀ + beta C` as fixed-order dot products, without packing: the
//!   inference path of linear layers, where a row's bits must not depend on the batch around it.
//! - [`half_precision`]: FP16/BF16 conversions and GEMMs with reduced-precision weights and
//!   f32 accumulation.
//! - [`rng`]: the seeded generator every fit uses, with the samplers of the distribution
//!   losses (normal, gamma, Student-t, Poisson, categorical).
//! - [`select`]: [`top_k`], the indices of the largest values.
//! - [`special`]: `ln Γ`, digamma and trigamma of one value (f64).
//!
//! Element-wise and row kernels dispatch at run time to the best SIMD path the CPU offers
//! (AVX-512, AVX2+FMA, NEON; see [`simd`]), detected once. Each has a scalar twin in
//! [`scalar`], which is the fallback on other CPUs and the ground truth of the property tests
//! (`tests/simd_vs_scalar.rs`); the doc comment of each SIMD kernel states its error against
//! its twin.
//!
//! Determinism: no kernel's result depends on the number of rayon threads. Parallel work is split
//! only along dimensions that are not reduced (rows of the output, batch entries), or, for the
//! one cross-row sum (layer-norm `dgamma`/`dbeta`), into blocks fixed by the shape and added in
//! order. Results may differ between SIMD levels (lane count sets the order of row sums).

pub mod dot_gemm;
pub mod elementwise;
pub mod gemm;
pub mod half_precision;
pub mod rng;
pub mod rows;
pub mod rows_gemm;
pub mod scalar;
pub mod select;
pub mod simd;
pub mod special;

pub use dot_gemm::dot_gemm_nt;
pub use gemm::{Trans, gemm, gemm_batched, gemm_serial};
pub use half_precision::{
    bf16, bf16_to_f32, f16, f16_to_f32, f32_to_bf16, f32_to_f16, gemm_bf16_weights,
    gemm_f16_weights,
};
pub use rng::Rng;
pub use rows_gemm::{PackedB, gemm_packed};
pub use select::top_k;
pub use simd::{SimdLevel, simd_level, with_simd_level};
