//! A generated panel for benchmarks and examples: the same numbers on every machine.

use crate::{Ds, Freq, PanelFrame};
use neurodiv_kernels::Rng;

/// `n_series` daily series of `len` points from 2020-01-01, ids `S000`, `S001`, ...: each a
/// level in [50, 500], a linear trend, a weekly and a yearly cycle with their own amplitudes and
/// phases, and Gaussian noise of 1-5% of the level. The same `seed` gives the same panel
/// everywhere (the generator is the seeded xoshiro of [`Rng`]).
///
/// # Panics
/// When `n_series` or `len` is zero.
pub fn seasonal_daily_panel(n_series: usize, len: usize, seed: u64) -> PanelFrame {
    assert!(n_series > 0 && len > 0, "seasonal_daily_panel: empty panel");
    let mut rng = Rng::new(seed);
    let start = Ds::ymd(2020, 1, 1).expect("a valid date");
    let rest = Freq::DAY
        .range_after(&start, len - 1)
        .expect("daily dates from 2020 are representable");
    let dates: Vec<Ds> = std::iter::once(start).chain(rest).collect();
    let n = n_series * len;
    let (mut ids, mut ds, mut y) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::new());
    for s in 0..n_series {
        let level = rng.uniform(50.0, 500.0);
        let trend = rng.uniform(-0.05, 0.2);
        let weekly = level * rng.uniform(0.05, 0.3);
        let yearly = level * rng.uniform(0.0, 0.2);
        let (pw, py) = (rng.uniform(0.0, 6.3), rng.uniform(0.0, 6.3));
        let noise = level * rng.uniform(0.01, 0.05);
        for (t, d) in dates.iter().enumerate() {
            let tf = t as f32;
            let value = level
                + trend * tf
                + weekly * (std::f32::consts::TAU * tf / 7.0 + pw).sin()
                + yearly * (std::f32::consts::TAU * tf / 365.25 + py).sin()
                + noise * rng.normal();
            ids.push(format!("S{s:03}"));
            ds.push(*d);
            y.push(value);
        }
    }
    PanelFrame::from_columns(ids, ds, y, Vec::new(), Some(Freq::DAY))
        .expect("the generated panel is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_sized() {
        let a = seasonal_daily_panel(5, 40, 7);
        assert_eq!((a.n_series(), a.len()), (5, 200));
        assert_eq!(a.ids()[4], "S004");
        assert_eq!(a.series(3).y, seasonal_daily_panel(5, 40, 7).series(3).y);
        assert_ne!(a.series(3).y, seasonal_daily_panel(5, 40, 8).series(3).y);
        assert!(a.series(0).y.iter().all(|v| v.is_finite()));
    }
}
