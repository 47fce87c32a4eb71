//! `lgamma`, `digamma` and `trigamma` against reference values (40-digit mpmath), their
//! recurrences and each other's derivatives.
// The references are quoted as mpmath printed them (20 digits), more than an f64 holds.
#![allow(clippy::excessive_precision)]

use neurodiv_kernels::special::{digamma, lgamma, trigamma};
use std::f64::consts::PI;

/// `(x, ln|Γ(x)|, ψ(x), ψ₁(x))`, from mpmath at 40 digits.
const REFERENCE: [(f64, f64, f64, f64); 17] = [
    (
        1e-8,
        18.420680738180208905,
        -100000000.57721564845,
        1.0000000000000001645e16,
    ),
    (
        0.1,
        2.2527126517342059599,
        -10.423754940411076795,
        101.43329915079275882,
    ),
    (
        0.5,
        0.57236494292470008707,
        -1.9635100260214234794,
        4.9348022005446793094,
    ),
    (1.0, 0.0, -0.57721566490153286061, 1.6449340668482264365),
    (
        1.4616321449683623,
        -0.1214862905358496081,
        -3.9928730412463043992e-17,
        0.96767224544762120697,
    ),
    (
        1.5,
        -0.12078223763524522235,
        0.036489973978576520559,
        0.93480220054467930942,
    ),
    (2.0, 0.0, 0.42278433509846713939, 0.64493406684822643647),
    (
        2.5,
        0.28468287047291915963,
        0.70315664064524318723,
        0.49035775610023486497,
    ),
    (
        3.7,
        1.4280723266653879219,
        1.1671535393615113859,
        0.3100378576700383191,
    ),
    (
        9.99,
        12.77931521435019288,
        2.2507003728312010995,
        0.10527695014824178675,
    ),
    (
        10.0,
        12.801827480081469611,
        2.2517525890667211076,
        0.10516633568168574612,
    ),
    (
        17.25,
        31.37462231367768648,
        2.8185466769865570379,
        0.059683781919015517172,
    ),
    (
        100.0,
        359.13420536957539878,
        4.6001618527380874002,
        0.010050166663333571395,
    ),
    (
        12345.6,
        103959.18506616845558,
        9.4210145024653965941,
        0.000081003799033883784862,
    ),
    (
        -0.5,
        1.2655121234846453965,
        0.036489973978576520559,
        8.9348022005446793094,
    ),
    (
        -2.5,
        -0.056243716497674050673,
        1.1031566406452431872,
        9.5392466449891237539,
    ),
    (
        -7.3,
        -7.7791016298268524418,
        4.3373073055100474863,
        14.951383181433908928,
    ),
];

/// `|got - want| <= 5e-14 * |want| + 2e-14` (absolute near the zeros; see the module's doc).
fn assert_near(what: &str, x: f64, got: f64, want: f64) {
    let tol = 5e-14 * want.abs() + 2e-14;
    assert!(
        (got - want).abs() <= tol,
        "{what}({x}) = {got:e}, want {want:e} (error {:e})",
        (got - want).abs()
    );
}

#[test]
fn reference_values() {
    for (x, lg, dg, tg) in REFERENCE {
        assert_near("lgamma", x, lgamma(x), lg);
        assert_near("digamma", x, digamma(x), dg);
        assert_near("trigamma", x, trigamma(x), tg);
    }
}

#[test]
fn closed_forms() {
    let euler = 0.577_215_664_901_532_9;
    assert_eq!(lgamma(1.0), 0.0);
    assert_eq!(lgamma(2.0), 0.0);
    assert_near("lgamma", 0.5, lgamma(0.5), PI.sqrt().ln());
    assert_near("lgamma", 10.0, lgamma(10.0), 362_880f64.ln());
    assert_near("digamma", 1.0, digamma(1.0), -euler);
    assert_near("digamma", 0.5, digamma(0.5), -euler - 2.0 * 2f64.ln());
    assert_near("trigamma", 1.0, trigamma(1.0), PI * PI / 6.0);
    assert_near("trigamma", 0.5, trigamma(0.5), PI * PI / 2.0);
    // ln n! for every n whose factorial is finite.
    let mut ln_fact = 0.0f64;
    for n in 1..=170u32 {
        ln_fact += f64::from(n).ln();
        assert_near(
            "lgamma",
            f64::from(n + 1),
            lgamma(f64::from(n + 1)),
            ln_fact,
        );
    }
}

#[test]
fn recurrences_hold() {
    // Γ(x + 1) = x Γ(x), and its derivatives, on a sweep across the shift threshold.
    for i in 1..400 {
        let x = 0.037 * i as f64;
        assert_near("lgamma", x, lgamma(x + 1.0) - lgamma(x), x.ln());
        assert_near("digamma", x, digamma(x + 1.0) - digamma(x), 1.0 / x);
        assert_near(
            "trigamma",
            x,
            trigamma(x) - trigamma(x + 1.0),
            1.0 / (x * x),
        );
    }
}

#[test]
fn derivatives_match_central_differences() {
    for i in 1..200 {
        let x = 0.05 + 0.1 * i as f64;
        let h = 1e-5 * x.max(1.0);
        let d_lgamma = (lgamma(x + h) - lgamma(x - h)) / (2.0 * h);
        let d_digamma = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
        assert!(
            (d_lgamma - digamma(x)).abs() <= 1e-7 * (1.0 + digamma(x).abs()),
            "{x}"
        );
        assert!((d_digamma - trigamma(x)).abs() <= 1e-6 * trigamma(x), "{x}");
    }
}

#[test]
fn poles_and_specials() {
    for x in [0.0, -0.0, -1.0, -2.0, -30.0, f64::NEG_INFINITY] {
        assert_eq!(lgamma(x), f64::INFINITY, "lgamma({x})");
        assert!(digamma(x).is_nan(), "digamma({x})");
        assert!(trigamma(x).is_nan(), "trigamma({x})");
    }
    assert!(lgamma(f64::NAN).is_nan() && digamma(f64::NAN).is_nan());
    assert!(trigamma(f64::NAN).is_nan());
    assert_eq!(lgamma(f64::INFINITY), f64::INFINITY);
    assert_eq!(digamma(f64::INFINITY), f64::INFINITY);
    assert_eq!(trigamma(f64::INFINITY), 0.0);
    // Tiny arguments: ln Γ(x) ~ -ln x, no overflow through the reflection.
    assert_near("lgamma", 5e-324, lgamma(5e-324), -(5e-324f64).ln());
}
