//! Slice kernels: the bottom layer of Neuro-Divergent.
//!
//! Everything here works on plain `&[f32]` slices in row-major order and knows nothing about
//! gradients. Element-wise and row kernels dispatch at run time to the best SIMD path the CPU
//! offers (see [`simd`]); each has a scalar twin in [`scalar`] that the tests compare against.
//! GEMM goes through [`gemm::gemm`], whose backend is `matrixmultiply`.
//!
//! Determinism: no kernel's result depends on the number of rayon threads. Parallel work is split
//! only along dimensions that are not reduced (rows of the output, batch entries).

pub mod elementwise;
pub mod gemm;
pub mod half_precision;
pub mod rng;
pub mod rows;
pub mod scalar;
pub mod simd;

pub use gemm::{Trans, gemm, gemm_batched};
pub use rng::Rng;
