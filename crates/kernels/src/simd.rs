//! Run-time SIMD dispatch through `pulp`.
//!
//! The CPU's features are detected once (first kernel call) and cached. Every kernel is written
//! once, generic over [`pulp::Simd`], and instantiated for each path this crate supports:
//!
//! | level | where | f32 lanes |
//! |---|---|---|
//! | [`SimdLevel::Avx512`] | x86-64 with AVX-512 F/BW/CD/DQ/VL (pulp's `V4`) | 16 |
//! | [`SimdLevel::Avx2Fma`] | x86-64 with AVX2 + FMA (pulp's `V3`) | 8 |
//! | [`SimdLevel::Neon`] | aarch64 NEON | 4 |
//! | [`SimdLevel::Scalar`] | anything else; runs the [`crate::scalar`] twin | 1 |
//!
//! [`with_simd_level`] caps the level for the current thread, so tests and benches can run the
//! lower paths on a machine that has the higher ones.
//!
//! Results depend on the level (lane count changes the order of row sums, and the scalar twin
//! uses libm) but never on the number of threads.

pub(crate) mod map;
pub(crate) mod math;
pub(crate) mod ops;
pub(crate) mod reduce;

use std::cell::Cell;
use std::sync::OnceLock;

use pulp::WithSimd;

/// A SIMD code path, from slowest to fastest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdLevel {
    /// Plain scalar loops (the [`crate::scalar`] twins).
    Scalar,
    /// aarch64 NEON, 128-bit vectors.
    Neon,
    /// x86-64 AVX2 + FMA, 256-bit vectors.
    Avx2Fma,
    /// x86-64 AVX-512, 512-bit vectors.
    Avx512,
}

impl SimdLevel {
    /// Short lowercase name: `"scalar"`, `"neon"`, `"avx2+fma"`, `"avx512"`.
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Scalar => "scalar",
            SimdLevel::Neon => "neon",
            SimdLevel::Avx2Fma => "avx2+fma",
            SimdLevel::Avx512 => "avx512",
        }
    }
}

/// The instruction set a kernel runs on, with pulp's proof token of its availability.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Isa {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    V3(pulp::x86::V3),
    #[cfg(target_arch = "x86_64")]
    V4(pulp::x86::V4),
    #[cfg(target_arch = "aarch64")]
    Neon(pulp::aarch64::Neon),
}

/// What the CPU offers, detected once.
#[derive(Debug)]
struct Detected {
    #[cfg(target_arch = "x86_64")]
    v3: Option<pulp::x86::V3>,
    #[cfg(target_arch = "x86_64")]
    v4: Option<pulp::x86::V4>,
    #[cfg(target_arch = "aarch64")]
    neon: Option<pulp::aarch64::Neon>,
}

static DETECTED: OnceLock<Detected> = OnceLock::new();

thread_local! {
    /// Per-thread cap set by [`with_simd_level`].
    static CAP: Cell<Option<SimdLevel>> = const { Cell::new(None) };
}

fn detected() -> &'static Detected {
    DETECTED.get_or_init(|| Detected {
        #[cfg(target_arch = "x86_64")]
        v3: pulp::x86::V3::try_new(),
        #[cfg(target_arch = "x86_64")]
        v4: pulp::x86::V4::try_new(),
        #[cfg(target_arch = "aarch64")]
        neon: pulp::aarch64::Neon::try_new(),
    })
}

/// The best path at or below `cap` that this CPU supports.
fn isa_at_most(cap: SimdLevel) -> Isa {
    let d = detected();
    #[cfg(target_arch = "x86_64")]
    {
        if cap >= SimdLevel::Avx512
            && let Some(v4) = d.v4
        {
            return Isa::V4(v4);
        }
        if cap >= SimdLevel::Avx2Fma
            && let Some(v3) = d.v3
        {
            return Isa::V3(v3);
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if cap >= SimdLevel::Neon
            && let Some(neon) = d.neon
        {
            return Isa::Neon(neon);
        }
    }
    let _ = (d, cap);
    Isa::Scalar
}

/// The path kernels called on this thread use now (the detected best, capped by
/// [`with_simd_level`]).
pub(crate) fn isa() -> Isa {
    let cap = CAP.with(Cell::get).unwrap_or(SimdLevel::Avx512);
    isa_at_most(cap)
}

impl Isa {
    pub(crate) fn level(self) -> SimdLevel {
        match self {
            Isa::Scalar => SimdLevel::Scalar,
            #[cfg(target_arch = "x86_64")]
            Isa::V3(_) => SimdLevel::Avx2Fma,
            #[cfg(target_arch = "x86_64")]
            Isa::V4(_) => SimdLevel::Avx512,
            #[cfg(target_arch = "aarch64")]
            Isa::Neon(_) => SimdLevel::Neon,
        }
    }

    /// Runs `k` on this path: its SIMD body, or its scalar twin on [`Isa::Scalar`].
    #[inline]
    pub(crate) fn run<K: Kernel>(self, k: K) -> K::Output {
        match self {
            Isa::Scalar => k.scalar(),
            #[cfg(target_arch = "x86_64")]
            Isa::V3(s) => pulp::Simd::vectorize(s, k),
            #[cfg(target_arch = "x86_64")]
            Isa::V4(s) => pulp::Simd::vectorize(s, k),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon(s) => pulp::Simd::vectorize(s, k),
        }
    }
}

/// A kernel: a SIMD body generic over [`pulp::Simd`] plus its scalar twin.
pub(crate) trait Kernel: WithSimd {
    /// Runs the scalar twin on the same operands.
    fn scalar(self) -> Self::Output;
}

/// The best level this CPU supports (ignores [`with_simd_level`]).
pub fn detected_level() -> SimdLevel {
    isa_at_most(SimdLevel::Avx512).level()
}

/// The level kernels called on this thread use now.
pub fn current_level() -> SimdLevel {
    isa().level()
}

/// Name of the path kernels called on this thread use: `"avx512"`, `"avx2+fma"`, `"neon"` or
/// `"scalar"`.
pub fn simd_level() -> &'static str {
    current_level().name()
}

/// Runs `f` with every kernel called on this thread capped at `level` (the detected best when
/// `level` is higher; the next lower available path when `level` is missing on this CPU).
/// Kernels capture the level on entry, so work they hand to rayon uses it too.
pub fn with_simd_level<R>(level: SimdLevel, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<SimdLevel>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CAP.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CAP.with(|c| c.replace(Some(level))));
    f()
}

/// Every level this CPU supports, best first (always ends with [`SimdLevel::Scalar`]).
pub fn available_levels() -> Vec<SimdLevel> {
    let mut out: Vec<SimdLevel> = [SimdLevel::Avx512, SimdLevel::Avx2Fma, SimdLevel::Neon]
        .into_iter()
        .filter(|&l| isa_at_most(l).level() == l)
        .collect();
    out.push(SimdLevel::Scalar);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_is_scoped_to_the_closure() {
        let best = detected_level();
        assert_eq!(current_level(), best);
        with_simd_level(SimdLevel::Scalar, || {
            assert_eq!(simd_level(), "scalar");
        });
        assert_eq!(current_level(), best);
        assert_eq!(available_levels().first().copied(), Some(best));
    }
}
