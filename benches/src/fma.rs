//! A measured f32 FMA peak: the yardstick the GEMM figures are compared against.
//!
//! Each thread runs `ACC` independent chains `acc = acc * a + b` (one fused multiply-add per
//! lane per step), enough independent chains to cover the FMA latency times the number of FMA
//! ports, so the loop is bound by FMA throughput alone. Nothing is loaded from memory.
//! `a` is just below 1 and `b` small, so the chains converge to 1 and never reach denormals.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Independent accumulators per thread. 12 covers latency 4 x 2 ports with room to spare, and
/// with the two constants still fits the 16 vector registers of AVX2.
const ACC: usize = 12;
/// Loop steps between two reads of the clock (12 x 65536 FMAs: well under a millisecond).
const CHUNK: u64 = 1 << 16;
/// How long each thread runs in [`measure_fma_peak_gflops`].
pub const DEFAULT_DURATION: Duration = Duration::from_millis(300);

/// The instruction set the probe runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FmaPath {
    /// `_mm512_fmadd_ps`, 16 lanes.
    Avx512,
    /// `_mm256_fmadd_ps`, 8 lanes.
    Avx2Fma,
    /// `f32::mul_add`, 1 lane.
    Scalar,
}

impl FmaPath {
    /// f32 lanes per FMA instruction.
    pub fn lanes(self) -> usize {
        match self {
            FmaPath::Avx512 => 16,
            FmaPath::Avx2Fma => 8,
            FmaPath::Scalar => 1,
        }
    }

    /// A short name for reports: `avx512f`, `avx2+fma` or `scalar`.
    pub fn name(self) -> &'static str {
        match self {
            FmaPath::Avx512 => "avx512f",
            FmaPath::Avx2Fma => "avx2+fma",
            FmaPath::Scalar => "scalar",
        }
    }
}

/// The widest FMA path this CPU supports.
pub fn fma_path() -> FmaPath {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return FmaPath::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return FmaPath::Avx2Fma;
        }
    }
    FmaPath::Scalar
}

/// Measured f32 FMA throughput of `threads` threads running at once, in GFLOP/s
/// (2 flops per lane per FMA), each thread for about 0.3 s.
///
/// # Panics
/// When `threads` is 0.
pub fn measure_fma_peak_gflops(threads: usize) -> f64 {
    measure_fma_peak_gflops_for(threads, DEFAULT_DURATION)
}

/// [`measure_fma_peak_gflops`] with each thread running for `per_thread`.
///
/// # Panics
/// When `threads` is 0.
pub fn measure_fma_peak_gflops_for(threads: usize, per_thread: Duration) -> f64 {
    assert!(threads > 0, "measure_fma_peak_gflops: threads must be >= 1");
    let path = fma_path();
    let barrier = Barrier::new(threads);
    let results: Vec<(u64, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let t0 = Instant::now();
                    let mut steps = 0u64;
                    while t0.elapsed() < per_thread {
                        black_box(run_chains(path, CHUNK));
                        steps += CHUNK;
                    }
                    (steps, t0.elapsed())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("FMA probe thread panicked"))
            .collect()
    });
    let flops_per_step = (ACC * path.lanes() * 2) as f64;
    let flops: f64 = results
        .iter()
        .map(|&(s, _)| s as f64 * flops_per_step)
        .sum();
    let wall = results
        .iter()
        .map(|&(_, d)| d)
        .max()
        .unwrap_or_default()
        .as_secs_f64();
    flops / wall / 1e9
}

/// Runs `steps` steps of the `ACC` chains on `path`; returns their sum so nothing is dead code.
fn run_chains(path: FmaPath, steps: u64) -> f32 {
    // Through black_box so the compiler cannot fold the chains into a closed form.
    let (a, b) = (black_box(0.999_99_f32), black_box(1e-5_f32));
    match path {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `fma_path` returned Avx512 only after detecting avx512f.
        FmaPath::Avx512 => unsafe { x86::chains_avx512(steps, a, b) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `fma_path` returned Avx2Fma only after detecting avx2 and fma.
        FmaPath::Avx2Fma => unsafe { x86::chains_avx2(steps, a, b) },
        _ => chains_scalar(steps, a, b),
    }
}

fn chains_scalar(steps: u64, a: f32, b: f32) -> f32 {
    let mut acc: [f32; ACC] = std::array::from_fn(|i| i as f32);
    for _ in 0..steps {
        for x in acc.iter_mut() {
            *x = x.mul_add(a, b);
        }
    }
    acc.iter().sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::ACC;
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f")]
    pub(super) fn chains_avx512(steps: u64, a: f32, b: f32) -> f32 {
        let (va, vb) = (_mm512_set1_ps(a), _mm512_set1_ps(b));
        let mut acc: [__m512; ACC] = std::array::from_fn(|i| _mm512_set1_ps(i as f32));
        for _ in 0..steps {
            for x in acc.iter_mut() {
                *x = _mm512_fmadd_ps(*x, va, vb);
            }
        }
        let sum = acc
            .iter()
            .fold(_mm512_setzero_ps(), |s, &x| _mm512_add_ps(s, x));
        _mm512_reduce_add_ps(sum)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn chains_avx2(steps: u64, a: f32, b: f32) -> f32 {
        let (va, vb) = (_mm256_set1_ps(a), _mm256_set1_ps(b));
        let mut acc: [__m256; ACC] = std::array::from_fn(|i| _mm256_set1_ps(i as f32));
        for _ in 0..steps {
            for x in acc.iter_mut() {
                *x = _mm256_fmadd_ps(*x, va, vb);
            }
        }
        let sum = acc
            .iter()
            .fold(_mm256_setzero_ps(), |s, &x| _mm256_add_ps(s, x));
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds 8 f32, the width of the unaligned store.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
        lanes.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_stay_finite_and_agree_across_paths() {
        let reference = chains_scalar(1000, 0.999_99, 1e-5);
        assert!(reference.is_finite());
        let path = fma_path();
        let lanes = path.lanes() as f32;
        // Every lane of a vector path runs the same chains, so the sum is `lanes` times larger.
        let got = run_chains(path, 1000);
        assert!(
            (got - reference * lanes).abs() <= 1e-3 * reference.abs() * lanes,
            "{got} vs {reference} x {lanes}"
        );
    }

    #[test]
    fn short_probe_gives_a_positive_rate() {
        for threads in [1, 2] {
            let g = measure_fma_peak_gflops_for(threads, Duration::from_millis(5));
            assert!(g.is_finite() && g > 0.0, "{threads} threads: {g}");
        }
    }
}
