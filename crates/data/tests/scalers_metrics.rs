//! Scaler statistics, round trips, and metrics on hand-computed values.

use neurodiv_data::metrics::{
    coverage, mae, mape, mase, mean_width, mse, quantile_loss, rmse, scaled_crps, smape,
};
use neurodiv_data::{DataError, SCALER_EPS, ScalerType, apply, invert, scaler_stats};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn known_statistics() {
    // Last point masked out (e.g. output part or padding) must not count.
    let x = [1.0, 2.0, 3.0, 4.0, 100.0];
    let m = [1.0, 1.0, 1.0, 1.0, 0.0];
    let (s, c) = scaler_stats(ScalerType::Standard, &x, &m);
    assert_eq!(s, 2.5);
    assert!(close(c as f64, 1.25f64.sqrt() + 1e-6, 1e-6), "{c}");
    // Robust: lower median of 1,2,3,4 is 2; |x - 2| = 1,0,1,2 -> lower median 1.
    let (s, c) = scaler_stats(ScalerType::Robust, &x, &m);
    assert_eq!((s, c), (2.0, 1.0 + SCALER_EPS));
    assert_eq!(
        scaler_stats(ScalerType::Invariant, &x, &m),
        (2.0, 1.0 + SCALER_EPS)
    );
    let (s, c) = scaler_stats(ScalerType::MinMax, &x, &m);
    assert_eq!((s, c), (1.0, 3.0 + SCALER_EPS));
    assert_eq!(
        scaler_stats(ScalerType::MinMax1, &x, &m),
        (1.0, 3.0 + SCALER_EPS)
    );
    assert_eq!(
        scaler_stats(ScalerType::Revin, &x, &m),
        scaler_stats(ScalerType::Standard, &x, &m)
    );
    assert_eq!(scaler_stats(ScalerType::Identity, &x, &m), (0.0, 1.0));
}

#[test]
fn degenerate_windows() {
    // Constant window: zero spread becomes 1 (+ eps), no division by zero.
    let x = [5.0; 4];
    let m = [1.0; 4];
    for k in [
        ScalerType::Standard,
        ScalerType::Robust,
        ScalerType::MinMax,
        ScalerType::Invariant,
    ] {
        let (s, c) = scaler_stats(k, &x, &m);
        assert_eq!(c, 1.0 + SCALER_EPS, "{k}");
        assert!(s == 5.0, "{k}");
    }
    // No available point: shift 0, scale 1 (+ eps except identity).
    let none = [0.0; 4];
    assert_eq!(
        scaler_stats(ScalerType::Standard, &x, &none),
        (0.0, 1.0 + SCALER_EPS)
    );
    assert_eq!(
        scaler_stats(ScalerType::MinMax, &x, &none),
        (0.0, 1.0 + SCALER_EPS)
    );
    // Robust with a zero MAD but non-zero spread falls back to 0.6745 * std.
    let x = [1.0, 1.0, 1.0, 5.0];
    let (s, c) = scaler_stats(ScalerType::Robust, &x, &m);
    let std = (3.0f64).sqrt(); // mean 2, squared deviations 1,1,1,9 -> var 3
    assert_eq!(s, 1.0);
    assert!(
        close(c as f64, std * 0.674_489_750_196_081_7 + 1e-6, 1e-6),
        "{c}"
    );
}

#[test]
fn apply_and_invert_round_trip() {
    let x = [3.0f32, -1.5, 7.25, 0.0, 12.0, 4.0];
    let m = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0];
    for k in ScalerType::ALL {
        let (s, c) = scaler_stats(k, &x, &m);
        let mut z = x;
        apply(k, &mut z, s, c);
        let mut back = z;
        invert(k, &mut back, s, c);
        for (a, b) in back.iter().zip(&x) {
            assert!((a - b).abs() < 1e-4, "{k}: {a} vs {b}");
        }
        match k {
            ScalerType::MinMax => assert!(z[..4].iter().all(|v| (-1e-6..=1.0).contains(v))),
            ScalerType::MinMax1 => {
                assert!(z[..4].iter().all(|v| (-1.0 - 1e-6..=1.0).contains(v)));
                assert!((z[1] + 1.0).abs() < 1e-6, "min maps to -1");
            }
            ScalerType::Invariant => {
                let (s, c) = scaler_stats(k, &x, &m);
                assert!((z[2] - ((7.25 - s) / c).asinh()).abs() < 1e-6);
            }
            _ => {}
        }
    }
}

#[test]
fn scaler_names() {
    for k in ScalerType::ALL {
        assert_eq!(k.to_string().parse::<ScalerType>().unwrap(), k);
    }
    assert_eq!("robust".parse::<ScalerType>().unwrap(), ScalerType::Robust);
    // Names are read in any case, as the other option values.
    assert_eq!("Robust".parse::<ScalerType>().unwrap(), ScalerType::Robust);
    assert!(matches!(
        "robustt".parse::<ScalerType>(),
        Err(DataError::UnknownScaler(_))
    ));
}

#[test]
fn point_metrics() {
    let y = [1.0, 2.0, 4.0, 0.0];
    let p = [2.0, 2.0, 2.0, 1.0];
    // errors: -1, 0, 2, -1
    assert_eq!(mae(&y, &p).unwrap(), 1.0);
    assert_eq!(mse(&y, &p).unwrap(), 1.5);
    assert!(close(rmse(&y, &p).unwrap(), 1.5f64.sqrt(), 1e-12));
    // |e|/|y|: 1, 0, 0.5, (y = 0 -> 0)  -> mean 0.375 -> 37.5 %
    assert!(close(mape(&y, &p).unwrap(), 37.5, 1e-12));
    // |e|/(|y|+|p|): 1/3, 0, 2/6, 1/1 -> mean (2/3 + 1)/4 = 5/12 -> * 200
    assert!(close(smape(&y, &p).unwrap(), 200.0 * 5.0 / 12.0, 1e-12));
    assert_eq!(smape(&[0.0], &[0.0]).unwrap(), 0.0);
}

#[test]
fn mase_against_seasonal_naive() {
    let train = [1.0, 2.0, 3.0, 5.0, 8.0];
    // season 2: |3-1|, |5-2|, |8-3| = 2, 3, 5 -> mean 10/3
    let v = mase(&[10.0, 10.0], &[9.0, 12.0], &train, 2).unwrap();
    assert!(close(v, 1.5 / (10.0 / 3.0), 1e-12));
    // season 1: 1,1,2,3 -> mean 7/4
    let v = mase(&[10.0], &[9.0], &train, 1).unwrap();
    assert!(close(v, 1.0 / 1.75, 1e-12));
    assert!(mase(&[1.0], &[1.0], &train, 5).is_err());
    assert!(mase(&[1.0], &[1.0], &[2.0, 2.0, 2.0], 1).is_err());
}

#[test]
fn quantile_metrics() {
    let y = [10.0, 20.0];
    let p = [12.0, 15.0];
    // q = 0.9: e = -2 -> max(-1.8, 0.2) = 0.2; e = 5 -> 4.5 ; mean 2.35
    assert!(close(quantile_loss(&y, &p, 0.9).unwrap(), 2.35, 1e-6));
    assert!(close(
        quantile_loss(&y, &p, 0.5).unwrap(),
        0.5 * mae(&y, &p).unwrap(),
        1e-12
    ));
    assert!(quantile_loss(&y, &p, 1.0).is_err());
    // scaled CRPS over q = 0.1, 0.5, 0.9 ([n, Q] row-major).
    let q = [0.1, 0.5, 0.9];
    let yq = [9.0, 10.0, 11.0, 18.0, 20.0, 23.0];
    // t=0: e = 1, 0, -1 -> 0.1, 0, 0.1 -> mean 0.2/3
    // t=1: e = 2, 0, -3 -> 0.2, 0, 0.3 -> mean 0.5/3
    let want = 2.0 * (0.2 / 3.0 + 0.5 / 3.0) / 30.0;
    assert!(close(scaled_crps(&y, &yq, &q).unwrap(), want, 1e-6));
    assert!(matches!(
        scaled_crps(&y, &yq[..5], &q),
        Err(DataError::MetricLength { .. })
    ));
}

#[test]
fn metric_errors() {
    assert!(matches!(
        mae(&[1.0], &[1.0, 2.0]),
        Err(DataError::MetricLength {
            left: 1,
            right: 2,
            ..
        })
    ));
    assert!(matches!(mse(&[], &[]), Err(DataError::MetricEmpty { .. })));
    assert!(matches!(
        smape(&[], &[]),
        Err(DataError::MetricEmpty { .. })
    ));
    assert!(scaled_crps(&[], &[], &[0.5]).is_err());
}

#[test]
fn interval_coverage_and_width() {
    let y = [1.0, 5.0, 3.0, 10.0];
    let lo = [0.0, 0.0, 3.0, 11.0];
    let hi = [2.0, 4.0, 4.0, 12.0];
    // Inside: 1 in [0, 2] and 3 in [3, 4] (bounds count); 5 and 10 outside.
    assert_eq!(coverage(&y, &lo, &hi).unwrap(), 0.5);
    assert_eq!(mean_width(&lo, &hi).unwrap(), (2.0 + 4.0 + 1.0 + 1.0) / 4.0);
    assert!(matches!(
        coverage(&y, &lo[..3], &hi),
        Err(DataError::MetricLength { .. })
    ));
}
