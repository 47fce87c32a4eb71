//! Window counts, filtering, filling and sampling.

use neurodiv_data::{
    SeriesBatcher, WindowConfig, WindowIndex, WindowSampler, fill_window,
    sample_without_replacement,
};
use neurodiv_kernels::Rng;
use std::collections::HashSet;

/// Reference: materialise the padded series and unfold it, as NeuralForecast does.
fn brute(t: usize, aligned: usize, cfg: &WindowConfig) -> Vec<isize> {
    let (l, h, s) = (cfg.input_size, cfg.horizon, cfg.step_size);
    let extra = aligned.saturating_sub(t);
    let left = extra + if cfg.start_padding_enabled { l - 1 } else { 0 };
    let mut avail = vec![0u8; left];
    avail.extend(std::iter::repeat_n(1u8, t));
    avail.extend(std::iter::repeat_n(0u8, h));
    let mut out = Vec::new();
    let mut k = 0;
    while k + l + h <= avail.len() {
        let inp: u32 = avail[k..k + l].iter().map(|&a| a as u32).sum();
        let outp: u32 = avail[k + l..k + l + h].iter().map(|&a| a as u32).sum();
        if inp >= 1 && (h == 0 || outp >= 1) {
            out.push(k as isize - left as isize);
        }
        k += s;
    }
    out
}

fn starts(w: &WindowIndex) -> Vec<isize> {
    w.starts().collect()
}

#[test]
fn air_passengers_counts() {
    // 132 training points (144 minus a 12-point test split), L = 24, h = 12, step 1.
    let no_pad = WindowConfig::new(24, 12, 1, false).unwrap().index(132);
    // Starts 0..=107: the last keeps one observed output point (start + L = 131).
    assert_eq!(no_pad.len(), 108);
    assert_eq!(no_pad.start(0), 0);
    assert_eq!(no_pad.start(107), 107);
    let pad = WindowConfig::new(24, 12, 1, true).unwrap().index(132);
    // 23 more windows beginning in the left padding (starts -23..=-1).
    assert_eq!(pad.len(), 131);
    assert_eq!(pad.start(0), -23);
}

#[test]
fn matches_brute_force() {
    for t in [1usize, 2, 5, 13, 30] {
        for l in [1usize, 3, 7] {
            for h in [0usize, 1, 4] {
                for s in [1usize, 2, 5] {
                    for pad in [false, true] {
                        for extra in [0usize, 3] {
                            let cfg = WindowConfig::new(l, h, s, pad).unwrap();
                            let got = cfg.index_aligned(t, t + extra);
                            assert_eq!(
                                starts(&got),
                                brute(t, t + extra, &cfg),
                                "T={t} L={l} h={h} s={s} pad={pad} extra={extra}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn too_short_series_has_no_window() {
    let cfg = WindowConfig::new(24, 12, 1, false).unwrap();
    // NeuralForecast keeps a window as soon as its output part has one observed point: without
    // start padding a series needs input_size + 1 points.
    assert!(cfg.index(24).is_empty());
    assert_eq!(cfg.index(25).len(), 1);
    assert_eq!(cfg.index(30).len(), 6);
    assert!(
        WindowConfig::new(24, 12, 1, true)
            .unwrap()
            .index(1)
            .is_empty()
    );
    assert_eq!(
        WindowConfig::new(24, 12, 1, true).unwrap().index(2).len(),
        1
    );
    assert!(WindowConfig::new(0, 1, 1, false).is_err());
    assert!(WindowConfig::new(1, 1, 0, false).is_err());
}

#[test]
fn fill_pads_left_and_right() {
    let y = [1.0, 2.0, 3.0];
    let x = [10.0, 20.0, 30.0, 40.0]; // one future value beyond y
    let (mut oy, mut om, mut ox) = ([9.0; 6], [9.0; 6], [9.0; 12]);
    fill_window(&y, &[&x, &y], -2, &mut oy, &mut om, &mut ox);
    assert_eq!(oy, [0.0, 0.0, 1.0, 2.0, 3.0, 0.0]);
    assert_eq!(om, [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]);
    // [W, C] time-major.
    assert_eq!(
        ox,
        [
            0.0, 0.0, 0.0, 0.0, 10.0, 1.0, 20.0, 2.0, 30.0, 3.0, 40.0, 0.0
        ]
    );
    let (mut oy, mut om, mut ox) = ([0.0; 2], [0.0; 2], [0.0; 0]);
    fill_window(&y, &[], 1, &mut oy, &mut om, &mut ox);
    assert_eq!((oy, om), ([2.0, 3.0], [1.0, 1.0]));
}

fn sampler(lens: &[usize], cfg: &WindowConfig) -> WindowSampler {
    WindowSampler::new(
        lens.iter()
            .enumerate()
            .map(|(i, &t)| (i, cfg.index(t)))
            .collect(),
    )
}

#[test]
fn sampler_flat_indexing() {
    let cfg = WindowConfig::new(2, 1, 1, false).unwrap();
    // Windows per series: 4 -> 2, 2 -> 0, 5 -> 3.
    let s = sampler(&[4, 2, 5], &cfg);
    assert_eq!(s.total(), 5);
    let all: Vec<(usize, isize)> = (0..5).map(|f| (s.get(f).series, s.get(f).start)).collect();
    assert_eq!(all, vec![(0, 0), (0, 1), (2, 0), (2, 1), (2, 2)]);
    let every = s.sample(None, &mut Rng::new(0)).unwrap();
    assert_eq!(every.len(), 5);
    assert!(
        sampler(&[1], &cfg)
            .sample(Some(3), &mut Rng::new(0))
            .is_err()
    );
}

#[test]
fn sampler_without_replacement_when_enough() {
    let cfg = WindowConfig::new(3, 2, 1, false).unwrap();
    let s = sampler(&[40, 50, 60], &cfg);
    let a = s.sample(Some(64), &mut Rng::new(7)).unwrap();
    let b = s.sample(Some(64), &mut Rng::new(7)).unwrap();
    assert_eq!(a, b, "same seed, same windows");
    assert_ne!(a, s.sample(Some(64), &mut Rng::new(8)).unwrap());
    let distinct: HashSet<_> = a.iter().collect();
    assert_eq!(distinct.len(), 64, "no repeats without replacement");
    // Exactly as many candidates as requested: a permutation of all of them.
    let n = s.total();
    let all: HashSet<_> = s
        .sample(Some(n), &mut Rng::new(1))
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(all.len(), n);
}

#[test]
fn sampler_with_replacement_when_too_few() {
    let cfg = WindowConfig::new(3, 2, 1, false).unwrap();
    let s = sampler(&[8], &cfg); // starts 0..=4 (the last has one observed output point)
    assert_eq!(s.total(), 5);
    let a = s.sample(Some(32), &mut Rng::new(3)).unwrap();
    assert_eq!(a.len(), 32);
    assert_eq!(a, s.sample(Some(32), &mut Rng::new(3)).unwrap());
    assert!(a.iter().all(|w| w.series == 0 && (0..5).contains(&w.start)));
    let distinct: HashSet<_> = a.iter().collect();
    assert!(distinct.len() <= 5);
}

#[test]
fn sparse_and_dense_draws_agree() {
    // n above the dense limit takes the sparse path; replay the draws densely.
    let n = 100_000;
    let got = sample_without_replacement(n, 50, &mut Rng::new(11));
    let mut rng = Rng::new(11);
    let mut perm: Vec<usize> = (0..n).collect();
    let want: Vec<usize> = (0..50)
        .map(|i| {
            let j = i + rng.below(n - i);
            perm.swap(i, j);
            perm[i]
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn series_batcher_epochs() {
    let mut b = SeriesBatcher::new(7, 3).unwrap();
    assert_eq!(b.batches_per_epoch(), 3);
    let mut rng = Rng::new(5);
    let mut epoch = Vec::new();
    let sizes: Vec<usize> = (0..3)
        .map(|_| {
            let batch = b.next_batch(&mut rng).to_vec();
            epoch.extend_from_slice(&batch);
            batch.len()
        })
        .collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    epoch.sort_unstable();
    assert_eq!(
        epoch,
        (0..7).collect::<Vec<_>>(),
        "each series once per epoch"
    );
    assert_eq!(b.epochs_started(), 1);
    b.next_batch(&mut rng);
    assert_eq!(b.epochs_started(), 2);
    // Same seed, same sequence.
    let run = |seed| {
        let mut b = SeriesBatcher::new(7, 3).unwrap();
        let mut r = Rng::new(seed);
        (0..6)
            .flat_map(|_| b.next_batch(&mut r).to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(9), run(9));
    assert!(SeriesBatcher::new(0, 1).is_err());
}
