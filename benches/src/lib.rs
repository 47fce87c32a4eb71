//! Criterion benchmarks of Neuro-Divergent, plus what `cargo xtask bench` shares with them.
//!
//! The benches live in `benches/benches/` (`kernels`, `gemm`, `tape`, `training`). This library
//! is std-only so that `xtask` can depend on it without building the whole stack:
//! - [`spec`] fixes the benchmarked shapes and the benchmark ids, so the benches that write
//!   criterion's results and the summary that reads them agree on names;
//! - [`compare`] defines the job and result files of `cargo xtask compare`;
//! - [`parity`] defines the result file of `cargo xtask parity`;
//! - [`measure_fma_peak_gflops`] measures this machine's f32 FMA throughput, the yardstick for
//!   the GEMM figures.

pub mod compare;
mod fma;
pub mod parity;
pub mod spec;

pub use fma::{
    DEFAULT_DURATION, FmaPath, fma_path, measure_fma_peak_gflops, measure_fma_peak_gflops_for,
};
