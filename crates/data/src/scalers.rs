//! Temporal scalers: NeuralForecast's `TemporalNorm`, per window and per channel.
//!
//! Statistics are computed over the INPUT part of a window only, counting the points whose mask
//! is 1 (`mask >= 1`; padding and missing points have mask 0), then applied to the whole window
//! (input and output part, padding included). Predictions are mapped back with [`invert`].

use crate::error::DataError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Added to every scale (after a zero scale is replaced by 1), as NeuralForecast's `eps=1e-6`.
pub const SCALER_EPS: f32 = 1e-6;

/// Ratio between the MAD and the standard deviation of a normal distribution (used by the robust
/// scalers when the MAD is zero).
const MAD_OVER_STD: f64 = 0.674_489_750_196_081_7;

/// Which temporal scaler (NeuralForecast's `scaler_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum ScalerType {
    /// No scaling: shift 0, scale 1.
    Identity,
    /// `(x - mean) / std`.
    Standard,
    /// `(x - median) / mad`.
    Robust,
    /// `(x - min) / (max - min)` into `[0, 1]`.
    MinMax,
    /// `2 (x - min) / (max - min) - 1` into `[-1, 1]`.
    MinMax1,
    /// `asinh((x - median) / mad)`.
    Invariant,
    /// Standard statistics here; RevIN's learnable affine lives in the `nn` layer.
    Revin,
}

impl ScalerType {
    /// All variants, in NeuralForecast's documentation order.
    pub const ALL: [ScalerType; 7] = [
        ScalerType::Identity,
        ScalerType::Standard,
        ScalerType::Robust,
        ScalerType::MinMax,
        ScalerType::MinMax1,
        ScalerType::Invariant,
        ScalerType::Revin,
    ];

    /// NeuralForecast's name.
    pub fn name(&self) -> &'static str {
        match self {
            ScalerType::Identity => "identity",
            ScalerType::Standard => "standard",
            ScalerType::Robust => "robust",
            ScalerType::MinMax => "minmax",
            ScalerType::MinMax1 => "minmax1",
            ScalerType::Invariant => "invariant",
            ScalerType::Revin => "revin",
        }
    }
}

impl fmt::Display for ScalerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ScalerType {
    type Err = DataError;
    /// A name of [`ScalerType::name`], in any case (`robust`, `Robust`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ScalerType::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| DataError::UnknownScaler(s.to_string()))
    }
}

impl From<ScalerType> for String {
    fn from(k: ScalerType) -> String {
        k.name().to_string()
    }
}

impl TryFrom<String> for ScalerType {
    type Error = DataError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// The available values (`mask >= 1`), in f64.
fn available(values: &[f32], mask: &[f32]) -> Vec<f64> {
    assert_eq!(
        values.len(),
        mask.len(),
        "scaler_stats: values {} vs mask {}",
        values.len(),
        mask.len()
    );
    values
        .iter()
        .zip(mask)
        .filter(|(_, m)| **m >= 1.0)
        .map(|(v, _)| *v as f64)
        .collect()
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Population standard deviation (divides by n), 0 for no point.
fn std_dev(xs: &[f64], m: f64) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64).sqrt()
    }
}

/// Lower median (the smaller of the two middle values for an even count, as `torch.nanmedian`),
/// 0 for no point. Reorders `xs`.
fn lower_median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let k = (xs.len() - 1) / 2;
    let (_, m, _) = xs.select_nth_unstable_by(k, f64::total_cmp);
    *m
}

/// A zero scale becomes 1, then `SCALER_EPS` is added.
fn protect(scale: f32) -> f32 {
    (if scale == 0.0 { 1.0 } else { scale }) + SCALER_EPS
}

/// `(median, mad)` with NeuralForecast's fallbacks: a zero MAD is replaced by `0.6745 * std`,
/// then protected.
fn robust(xs: &mut [f64]) -> (f32, f32) {
    let med = lower_median(xs);
    let m = mean(xs);
    let sd = std_dev(xs, m);
    let mut dev: Vec<f64> = xs.iter().map(|x| (x - med).abs()).collect();
    let mut mad = lower_median(&mut dev) as f32;
    if mad == 0.0 {
        mad = (sd * MAD_OVER_STD) as f32;
    }
    (med as f32, protect(mad))
}

/// `(shift, scale)` of one channel of one window: statistics over the points with `mask >= 1`
/// (pass the input part of the window, or the whole window with the output part masked out).
///
/// | kind | shift | scale |
/// |---|---|---|
/// | identity | 0 | 1 |
/// | standard, revin | mean | std (population), 0 → 1, + 1e-6 |
/// | robust, invariant | lower median | lower-median absolute deviation; 0 → 0.6745 std; 0 → 1; + 1e-6 |
/// | minmax, minmax1 | min | max - min, 0 → 1, + 1e-6 |
///
/// With no available point: identity (0, 1); every other kind (0, 1 + 1e-6), as NeuralForecast
/// gives for mean/median based scalers (its min/max would be infinite there; such windows are
/// never kept for training).
pub fn scaler_stats(kind: ScalerType, values: &[f32], mask: &[f32]) -> (f32, f32) {
    let mut xs = available(values, mask);
    if kind == ScalerType::Identity {
        return (0.0, 1.0);
    }
    if xs.is_empty() {
        return (0.0, protect(0.0));
    }
    match kind {
        ScalerType::Identity => (0.0, 1.0),
        ScalerType::Standard | ScalerType::Revin => {
            let m = mean(&xs);
            (m as f32, protect(std_dev(&xs, m) as f32))
        }
        ScalerType::Robust | ScalerType::Invariant => robust(&mut xs),
        ScalerType::MinMax | ScalerType::MinMax1 => {
            let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo as f32, protect((hi - lo) as f32))
        }
    }
}

/// Scales `xs` in place with statistics from [`scaler_stats`].
pub fn apply(kind: ScalerType, xs: &mut [f32], shift: f32, scale: f32) {
    match kind {
        ScalerType::Identity => {}
        ScalerType::Standard | ScalerType::Revin | ScalerType::Robust | ScalerType::MinMax => {
            xs.iter_mut().for_each(|x| *x = (*x - shift) / scale)
        }
        ScalerType::MinMax1 => xs
            .iter_mut()
            .for_each(|x| *x = (*x - shift) / scale * 2.0 - 1.0),
        ScalerType::Invariant => xs
            .iter_mut()
            .for_each(|x| *x = ((*x - shift) / scale).asinh()),
    }
}

/// Maps scaled values back in place (the inverse of [`apply`] with the same statistics).
pub fn invert(kind: ScalerType, zs: &mut [f32], shift: f32, scale: f32) {
    match kind {
        ScalerType::Identity => {}
        ScalerType::Standard | ScalerType::Revin | ScalerType::Robust | ScalerType::MinMax => {
            zs.iter_mut().for_each(|z| *z = *z * scale + shift)
        }
        ScalerType::MinMax1 => zs
            .iter_mut()
            .for_each(|z| *z = (*z + 1.0) / 2.0 * scale + shift),
        ScalerType::Invariant => zs.iter_mut().for_each(|z| *z = z.sinh() * scale + shift),
    }
}
