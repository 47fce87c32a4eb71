//! The samplers of `Rng`: seeded determinism, moments over 20,000 draws within a few standard
//! errors, chi-squared goodness of fit for the Poisson sampler on both of its methods, and the
//! parameters that describe no distribution.

use neurodiv_kernels::Rng;
use neurodiv_kernels::special::lgamma;

const N: usize = 20_000;

/// Sample mean and (biased) variance.
fn moments(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

/// Asserts the sample mean and variance of `xs` are within `k` standard errors of `mean` and
/// `var`, given the distribution's fourth central moment `mu4` (the variance of the sample
/// variance is about `(mu4 - var²) / n`).
fn assert_moments(what: &str, xs: &[f64], mean: f64, var: f64, mu4: f64, k: f64) {
    let n = xs.len() as f64;
    let (m, v) = moments(xs);
    let se_mean = (var / n).sqrt();
    let se_var = ((mu4 - var * var) / n).sqrt();
    assert!(
        (m - mean).abs() <= k * se_mean,
        "{what}: mean {m} vs {mean} (se {se_mean})"
    );
    assert!(
        (v - var).abs() <= k * se_var,
        "{what}: variance {v} vs {var} (se {se_var})"
    );
}

fn draws(seed: u64, f: impl Fn(&mut Rng) -> f64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..N).map(|_| f(&mut rng)).collect()
}

#[test]
fn samplers_are_deterministic_for_a_seed() {
    let run = |seed| {
        let mut r = Rng::new(seed);
        let mut v = Vec::new();
        for i in 0..200 {
            let x = i as f64 * 0.37;
            v.push(r.gamma(0.3 + x));
            v.push(r.student_t(1.0 + x));
            v.push(r.poisson(x * 2.0));
            v.push(r.categorical(&[1.0, x, 2.0]).unwrap() as f64);
            v.push(r.negative_binomial(0.5 + x, 0.4));
            v.push(r.bernoulli(0.3));
        }
        v.into_iter().map(f64::to_bits).collect::<Vec<u64>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn gamma_moments() {
    for (i, shape) in [0.1, 0.5, 1.0, 2.5, 10.0, 100.0].into_iter().enumerate() {
        let xs = draws(100 + i as u64, |r| r.gamma(shape));
        assert!(
            xs.iter().all(|&x| x >= 0.0 && x.is_finite()),
            "gamma({shape})"
        );
        // Mean and variance `shape`, fourth central moment 3 shape² + 6 shape.
        let mu4 = 3.0 * shape * shape + 6.0 * shape;
        assert_moments(&format!("gamma({shape})"), &xs, shape, shape, mu4, 4.0);
    }
}

#[test]
fn student_t_moments_and_quartiles() {
    for (i, df) in [5.0, 10.0, 30.0].into_iter().enumerate() {
        let xs = draws(200 + i as u64, |r| r.student_t(df));
        let var = df / (df - 2.0);
        let (m, _) = moments(&xs);
        assert!(m.abs() <= 4.0 * (var / N as f64).sqrt(), "t({df}) mean {m}");
        if df > 8.0 {
            // The sample variance settles only when the eighth moment exists.
            let mu4 = 3.0 * df * df / ((df - 2.0) * (df - 4.0));
            assert_moments(&format!("t({df})"), &xs, 0.0, var, mu4, 5.0);
        }
    }
    // Cauchy (df 1) and df 0.5 have no mean: check quantiles. P(|T| < 1) is the regularised
    // incomplete beta I(1 / (1 + df); 1/2, df/2): 1/2 for df 1, 0.397757 for df 0.5 (mpmath).
    for (df, p_in) in [(1.0, 0.5), (0.5, 0.397_757)] {
        let xs = draws(300, |r| r.student_t(df));
        let inside = xs.iter().filter(|x| x.abs() < 1.0).count() as f64 / N as f64;
        let se = (p_in * (1.0 - p_in) / N as f64).sqrt();
        assert!(
            (inside - p_in).abs() <= 4.0 * se,
            "t({df}): P(|T| < 1) {inside}"
        );
        let negative = xs.iter().filter(|&&x| x < 0.0).count() as f64 / N as f64;
        assert!((negative - 0.5).abs() <= 4.0 * (0.25 / N as f64).sqrt());
    }
    // Infinitely many degrees of freedom: the normal draw itself.
    assert_eq!(
        Rng::new(1).student_t(f64::INFINITY) as f32,
        Rng::new(1).normal()
    );
}

#[test]
fn poisson_moments() {
    for (i, lambda) in [0.3, 4.0, 9.99, 10.0, 25.0, 1000.0, 1e6]
        .into_iter()
        .enumerate()
    {
        let xs = draws(400 + i as u64, |r| r.poisson(lambda));
        assert!(
            xs.iter().all(|&k| k >= 0.0 && k == k.floor()),
            "poisson({lambda})"
        );
        // Mean and variance lambda, fourth central moment lambda + 3 lambda².
        let mu4 = lambda + 3.0 * lambda * lambda;
        assert_moments(&format!("poisson({lambda})"), &xs, lambda, lambda, mu4, 4.0);
    }
    assert!(draws(1, |r| r.poisson(0.0)).iter().all(|&k| k == 0.0));
}

/// The `z` quantile of chi-squared with `df` degrees of freedom (Wilson-Hilferty).
fn chi2_quantile(df: f64, z: f64) -> f64 {
    let h = 2.0 / (9.0 * df);
    df * (1.0 - h + z * h.sqrt()).powi(3)
}

#[test]
fn poisson_fits_its_probabilities() {
    // Inversion (4), PTRS near its lower end (15) and further up (60).
    for (i, lambda) in [4.0f64, 15.0, 60.0].into_iter().enumerate() {
        let xs = draws(500 + i as u64, |r| r.poisson(lambda));
        let pmf = |k: f64| (k * lambda.ln() - lambda - lgamma(k + 1.0)).exp();
        // Cells of single counts with an expected count of at least 5, both tails pooled.
        let cells: Vec<f64> = (0..)
            .map(f64::from)
            .take_while(|&k| k <= lambda * 3.0 + 30.0)
            .filter(|&k| pmf(k) * N as f64 >= 5.0)
            .collect();
        let (lo, hi) = (cells[0], *cells.last().unwrap());
        let mut observed = vec![0.0; cells.len() + 2];
        for &x in &xs {
            let cell = if x < lo {
                0
            } else if x > hi {
                cells.len() + 1
            } else {
                (x - lo) as usize + 1
            };
            observed[cell] += 1.0;
        }
        let mut expected: Vec<f64> = std::iter::once(0.0)
            .chain(cells.iter().map(|&k| pmf(k)))
            .chain(std::iter::once(0.0))
            .collect();
        expected[0] = (0..lo as u32).map(|k| pmf(f64::from(k))).sum();
        expected[cells.len() + 1] = 1.0 - expected.iter().sum::<f64>();
        let stat: f64 = observed
            .iter()
            .zip(&expected)
            .filter(|&(_, &p)| p * N as f64 >= 1.0)
            .map(|(&o, &p)| (o - p * N as f64).powi(2) / (p * N as f64))
            .sum();
        let df = (cells.len() + 1) as f64;
        let critical = chi2_quantile(df, 3.72); // p = 1e-4
        assert!(
            stat < critical,
            "poisson({lambda}): chi² {stat} over {critical} (df {df})"
        );
    }
}

#[test]
fn negative_binomial_moments() {
    // (r, p): small and large counts, a nearly geometric one, and r below 1.
    for (i, (r, p)) in [
        (2.0, 0.3),
        (10.0, 0.8),
        (1.0, 0.5),
        (0.4, 0.6),
        (50.0, 0.05),
    ]
    .into_iter()
    .enumerate()
    {
        let xs = draws(600 + i as u64, |g| g.negative_binomial(r, p));
        assert!(
            xs.iter().all(|&k| k >= 0.0 && k == k.floor()),
            "nbinom({r}, {p})"
        );
        // Mean r p/q and variance r p/q² (q = 1 - p); the fourth cumulant is
        // r p (1 + 4p + p²)/q⁴, so the fourth central moment is that plus 3 var².
        let q = 1.0 - p;
        let mean = r * p / q;
        let var = mean / q;
        let k4 = r * p * (1.0 + 4.0 * p + p * p) / q.powi(4);
        let mu4 = k4 + 3.0 * var * var;
        assert_moments(&format!("nbinom({r}, {p})"), &xs, mean, var, mu4, 4.0);
    }
    assert!(
        draws(2, |g| g.negative_binomial(3.0, 0.0))
            .iter()
            .all(|&k| k == 0.0)
    );
}

#[test]
fn bernoulli_frequency() {
    for (i, p) in [0.0, 0.05, 0.5, 0.93, 1.0].into_iter().enumerate() {
        let xs = draws(700 + i as u64, |g| g.bernoulli(p));
        assert!(xs.iter().all(|&x| x == 0.0 || x == 1.0));
        let (m, _) = moments(&xs);
        let se = (p * (1.0 - p) / N as f64).sqrt();
        assert!((m - p).abs() <= 4.0 * se + 1e-12, "bernoulli({p}): {m}");
    }
}

#[test]
fn categorical_frequencies() {
    let weights = [0.0f32, 1.0, 3.0, 0.0, 6.0];
    let mut rng = Rng::new(9);
    let mut counts = [0usize; 5];
    for _ in 0..N {
        counts[rng.categorical(&weights).unwrap()] += 1;
    }
    assert_eq!(
        (counts[0], counts[3]),
        (0, 0),
        "zero weights drawn: {counts:?}"
    );
    for (c, p) in counts.iter().zip([0.0, 0.1, 0.3, 0.0, 0.6]) {
        let se = (p * (1.0 - p) / N as f64).sqrt();
        assert!(
            (*c as f64 / N as f64 - p).abs() <= 4.0 * se + 1e-12,
            "{counts:?}"
        );
    }
    assert_eq!(rng.categorical(&[0.0f64, 2.5]), Some(1));
}

fn r_nan(r: f64, p: f64) -> bool {
    Rng::new(3).negative_binomial(r, p).is_nan()
}

#[test]
fn parameters_of_no_distribution() {
    let mut r = Rng::new(3);
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(r.gamma(bad).is_nan(), "gamma({bad})");
    }
    for bad in [0.0, -2.0, f64::NAN] {
        assert!(r.student_t(bad).is_nan(), "student_t({bad})");
    }
    for bad in [-0.5, f64::NAN, f64::INFINITY] {
        assert!(r.poisson(bad).is_nan(), "poisson({bad})");
    }
    for (r, p) in [
        (0.0, 0.5),
        (-1.0, 0.5),
        (f64::NAN, 0.5),
        (2.0, 1.0),
        (2.0, -0.1),
    ] {
        assert!(r_nan(r, p), "negative_binomial({r}, {p})");
    }
    for bad in [-0.1, 1.5, f64::NAN] {
        assert!(Rng::new(3).bernoulli(bad).is_nan(), "bernoulli({bad})");
    }
    let empty: [f32; 0] = [];
    assert_eq!(r.categorical(&empty), None);
    assert_eq!(r.categorical(&[0.0f32, 0.0]), None);
    assert_eq!(r.categorical(&[1.0f32, -1.0]), None);
    assert_eq!(r.categorical(&[f32::NAN, 1.0]), None);
    assert_eq!(r.categorical(&[f64::INFINITY]), None);
}
