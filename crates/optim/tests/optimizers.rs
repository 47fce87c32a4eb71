//! Optimizers against hand-computed PyTorch updates, convergence, state round trips.

use neurodiv_autodiff::{Tape, Tensor};
use neurodiv_optim::*;

fn t(v: &[f32]) -> Tensor {
    Tensor::from_vec(&[v.len()], v.to_vec())
}

/// One optimizer step over every tensor of `params`.
fn step(opt: &mut impl Optimizer, lr: f32, params: &mut [Tensor], grads: &[Tensor]) {
    opt.step(lr, &mut params.iter_mut().collect::<Vec<_>>(), grads);
}

/// `torch.optim.Adam` / `AdamW` in f64, for reference.
fn adam_ref(p0: &[f64], grads: &[Vec<f64>], lr: f64, wd: f64, decoupled: bool) -> Vec<f64> {
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    let mut p = p0.to_vec();
    let mut m = vec![0.0; p.len()];
    let mut v = vec![0.0; p.len()];
    for (k, g) in grads.iter().enumerate() {
        let step = (k + 1) as f64;
        for j in 0..p.len() {
            let mut g = g[j];
            if decoupled {
                p[j] *= 1.0 - lr * wd;
            } else {
                g += wd * p[j];
            }
            m[j] = b1 * m[j] + (1.0 - b1) * g;
            v[j] = b2 * v[j] + (1.0 - b2) * g * g;
            let mhat = m[j] / (1.0 - b1.powf(step));
            let vhat = v[j] / (1.0 - b2.powf(step));
            p[j] -= lr * mhat / (vhat.sqrt() + eps);
        }
    }
    p
}

fn assert_close(got: &[f32], want: &[f64], tol: f64) {
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g as f64 - w).abs() <= tol * (1.0 + w.abs()),
            "element {i}: got {g}, want {w}"
        );
    }
}

#[test]
fn adam_first_two_steps_match_pytorch() {
    let p0 = [1.0, -2.0, 0.5];
    let g1 = vec![0.5, -1.0, 0.0];
    let g2 = vec![0.1, 0.3, -2.0];
    let mut opt = OptimizerKind::Adam.build();
    let mut params = vec![t(&[1.0, -2.0, 0.5])];
    step(&mut opt, 0.01, &mut params, &[t(&[0.5, -1.0, 0.0])]);
    // The first step moves every parameter with a non-zero gradient by lr * sign(g).
    assert_close(params[0].data(), &[0.99, -1.99, 0.5], 1e-6);
    assert_close(
        params[0].data(),
        &adam_ref(&p0, std::slice::from_ref(&g1), 0.01, 0.0, false),
        1e-7,
    );
    step(&mut opt, 0.01, &mut params, &[t(&[0.1, 0.3, -2.0])]);
    assert_close(
        params[0].data(),
        &adam_ref(&p0, &[g1, g2], 0.01, 0.0, false),
        1e-7,
    );
    // Hand computation of the second step for element 0: m = 0.09*0.5... see adam_ref.
    let m = 0.9 * 0.05 + 0.1 * 0.1;
    let v = 0.999 * 0.001 * 0.25 + 0.001 * 0.01;
    let want = 0.99 - 0.01 * (m / (1.0 - 0.81)) / ((v / (1.0 - 0.998001f64)).sqrt() + 1e-8);
    assert_close(&params[0].data()[..1], &[want], 1e-7);
    match &opt {
        AnyOptimizer::Adam(a) => assert_eq!(a.state().unwrap().step, 2),
        other => panic!("expected Adam, got {other:?}"),
    }
}

#[test]
fn adam_l2_and_adamw_decoupled_decay() {
    let p0 = [1.0, -3.0];
    let gs = vec![vec![0.2, 0.4], vec![-0.1, 0.5], vec![0.3, 0.3]];
    for (decoupled, wd) in [(false, 0.1), (true, 0.1), (true, 1e-2)] {
        let cfg = AdamConfig {
            weight_decay: wd,
            ..AdamConfig::default()
        };
        let mut opt = if decoupled {
            Adam::adamw(cfg)
        } else {
            Adam::new(cfg)
        }
        .unwrap();
        let mut params = vec![t(&[1.0, -3.0])];
        for g in &gs {
            let g32: Vec<f32> = g.iter().map(|&x| x as f32).collect();
            step(&mut opt, 0.05, &mut params, &[t(&g32)]);
        }
        assert_close(
            params[0].data(),
            &adam_ref(&p0, &gs, 0.05, wd, decoupled),
            1e-6,
        );
    }
    // AdamW with a zero gradient only decays: p * (1 - lr * wd).
    let mut opt = OptimizerKind::AdamW.build();
    let mut params = vec![t(&[2.0])];
    step(&mut opt, 0.1, &mut params, &[t(&[0.0])]);
    assert_eq!(
        params[0].data(),
        &[(2.0f64 * (1.0 - 0.1f32 as f64 * 1e-2)) as f32]
    );
}

#[test]
fn sgd_plain_momentum_nesterov_weight_decay() {
    // Plain: p - lr g.
    let mut opt = OptimizerKind::Sgd.build();
    let mut p = vec![t(&[1.0, 2.0])];
    step(&mut opt, 0.1, &mut p, &[t(&[0.5, -1.0])]);
    assert_close(p[0].data(), &[0.95, 2.1], 1e-7);

    // Momentum 0.9, dampening 0.1: b1 = g1; b2 = 0.9 b1 + 0.9 g2.
    let cfg = SgdConfig {
        momentum: 0.9,
        dampening: 0.1,
        ..SgdConfig::default()
    };
    let mut opt = Sgd::new(cfg).unwrap();
    let mut p = vec![t(&[1.0])];
    step(&mut opt, 0.1, &mut p, &[t(&[1.0])]);
    assert_close(p[0].data(), &[0.9], 1e-7);
    step(&mut opt, 0.1, &mut p, &[t(&[2.0])]);
    let b2 = 0.9 * 1.0 + 0.9 * 2.0;
    assert_close(p[0].data(), &[0.9 - 0.1 * b2], 1e-7);
    assert_close(opt.momentum_buffer().unwrap()[0].data(), &[b2], 1e-7);

    // Nesterov with weight decay: g' = g + wd p; b = g' (first), g'' = g' + μ b.
    let cfg = SgdConfig {
        momentum: 0.5,
        nesterov: true,
        weight_decay: 0.1,
        ..SgdConfig::default()
    };
    let mut opt = Sgd::new(cfg).unwrap();
    let mut p = vec![t(&[2.0])];
    step(&mut opt, 0.1, &mut p, &[t(&[1.0])]);
    let g = 1.0 + 0.1 * 2.0;
    let p1 = 2.0 - 0.1 * (g + 0.5 * g);
    assert_close(p[0].data(), &[p1], 1e-7);
    step(&mut opt, 0.1, &mut p, &[t(&[-1.0])]);
    let g2 = -1.0 + 0.1 * p1;
    let b2 = 0.5 * g + g2;
    assert_close(p[0].data(), &[p1 - 0.1 * (g2 + 0.5 * b2)], 1e-6);
}

#[test]
fn rmsprop_variants() {
    // First step, plain: s = 0.01 g², p -= lr g / (0.1 |g| + eps) = 10 lr sign(g).
    let mut opt = OptimizerKind::RmsProp.build();
    let mut p = vec![t(&[1.0, 1.0])];
    step(&mut opt, 0.01, &mut p, &[t(&[2.0, -0.5])]);
    assert_close(p[0].data(), &[0.9, 1.1], 1e-6);

    // Centered with momentum, two steps, against an f64 reference.
    let cfg = RmsPropConfig {
        momentum: 0.9,
        centered: true,
        weight_decay: 0.01,
        ..RmsPropConfig::default()
    };
    let mut opt = RmsProp::new(cfg).unwrap();
    let mut p = vec![t(&[1.0])];
    let (mut pr, mut s, mut ga, mut b) = (1.0f64, 0.0f64, 0.0f64, 0.0f64);
    for g in [2.0f64, -1.0] {
        step(&mut opt, 0.01, &mut p, &[t(&[g as f32])]);
        let g = g + 0.01 * pr;
        s = 0.99 * s + 0.01 * g * g;
        ga = 0.99 * ga + 0.01 * g;
        let avg = (s - ga * ga).sqrt() + 1e-8;
        b = 0.9 * b + g / avg;
        pr -= 0.01 * b;
    }
    assert_close(p[0].data(), &[pr], 1e-5);
    assert_eq!(opt.state().unwrap().step, 2);
}

/// Minimises `mean((w - c)²)` through the tape and the MSE loss.
fn converges(mut opt: AnyOptimizer, lr: f32, steps: usize) -> Vec<f32> {
    let target = Tensor::from_vec(&[1, 3], vec![1.5, -2.0, 0.25]);
    let mut params = vec![Tensor::from_vec(&[1, 3], vec![0.0, 0.0, 0.0])];
    for _ in 0..steps {
        let tape = Tape::new();
        let w = tape.param(params[0].clone());
        let y = tape.constant(target.clone());
        let mask = tape.constant(Tensor::ones(&[1, 3]));
        let loss = Loss::MSE.compute(y, w, mask, None, None);
        let mut grads = tape.backward(loss);
        let g = grads.take(w).unwrap();
        step(&mut opt, lr, &mut params, &[g]);
    }
    params[0].to_vec()
}

#[test]
fn converge_on_a_quadratic() {
    let want = [1.5, -2.0, 0.25];
    let sgd_m = OptimizerConfig::Sgd(SgdConfig {
        momentum: 0.9,
        ..SgdConfig::default()
    });
    let cases = [
        (OptimizerKind::Adam.build(), 0.05, 600),
        (OptimizerKind::AdamW.build(), 0.05, 600),
        (OptimizerKind::Sgd.build(), 0.5, 200),
        (sgd_m.build().unwrap(), 0.1, 300),
        (OptimizerKind::RmsProp.build(), 0.01, 600),
    ];
    for (opt, lr, steps) in cases {
        let name = format!("{opt:?}");
        let got = converges(opt, lr, steps);
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 2e-2, "{name}: got {got:?}, want {want:?}");
        }
    }
}

#[test]
fn state_round_trips_through_serde() {
    let grads = |k: usize| {
        vec![
            t(&[0.1 * k as f32, -0.2]),
            Tensor::from_vec(&[1, 2], vec![0.3, 0.05 * k as f32]),
        ]
    };
    for kind in [
        OptimizerKind::Adam,
        OptimizerKind::AdamW,
        OptimizerKind::RmsProp,
    ] {
        let mut a = kind.build();
        let mut pa = vec![t(&[1.0, 2.0]), Tensor::from_vec(&[1, 2], vec![-1.0, 0.5])];
        for k in 0..3 {
            step(&mut a, 0.01, &mut pa, &grads(k));
        }
        let json = serde_json::to_string(&a).unwrap();
        let mut b: AnyOptimizer = serde_json::from_str(&json).unwrap();
        assert_eq!(a, b);
        b.check_state(&pa).unwrap();
        let mut pb = pa.clone();
        for k in 3..5 {
            step(&mut a, 0.01, &mut pa, &grads(k));
            step(&mut b, 0.01, &mut pb, &grads(k));
        }
        assert_eq!(pa, pb, "{kind}");
    }
    let mut sgd = OptimizerConfig::Sgd(SgdConfig {
        momentum: 0.9,
        ..SgdConfig::default()
    })
    .build()
    .unwrap();
    let mut p = vec![t(&[1.0])];
    step(&mut sgd, 0.1, &mut p, &[t(&[1.0])]);
    let back: AnyOptimizer = serde_json::from_str(&serde_json::to_string(&sgd).unwrap()).unwrap();
    assert_eq!(back, sgd);
}

#[test]
fn state_mismatch_is_reported() {
    let mut opt = OptimizerKind::Adam.build();
    let mut p = vec![t(&[1.0, 2.0])];
    step(&mut opt, 0.01, &mut p, &[t(&[1.0, 1.0])]);
    assert!(opt.check_state(&p).is_ok());
    assert!(matches!(
        opt.check_state(&[t(&[1.0])]),
        Err(OptimError::StateMismatch(_))
    ));
    assert!(matches!(
        opt.check_state(&[t(&[1.0, 2.0]), t(&[1.0])]),
        Err(OptimError::StateMismatch(_))
    ));
    opt.reset();
    assert!(opt.check_state(&[t(&[1.0])]).is_ok());
}

#[test]
#[should_panic(expected = "Adam: 1 parameters but 2 gradients")]
fn mismatched_lists_panic() {
    let mut opt = OptimizerKind::Adam.build();
    let mut p = vec![t(&[1.0])];
    step(&mut opt, 0.01, &mut p, &[t(&[1.0]), t(&[1.0])]);
}

#[test]
fn names_and_validation() {
    for (s, k) in [
        ("adam", OptimizerKind::Adam),
        ("Adam", OptimizerKind::Adam),
        ("ADAMW", OptimizerKind::AdamW),
        ("sgd", OptimizerKind::Sgd),
        ("RMSprop", OptimizerKind::RmsProp),
    ] {
        assert_eq!(s.parse::<OptimizerKind>().unwrap(), k);
        assert_eq!(k.to_string().parse::<OptimizerKind>().unwrap(), k);
        assert_eq!(k.default_config().kind(), k);
    }
    assert!(matches!(
        "lbfgs".parse::<OptimizerKind>(),
        Err(OptimError::UnknownName { .. })
    ));
    assert_eq!(OptimizerKind::default(), OptimizerKind::Adam);
    assert_eq!(
        OptimizerKind::AdamW.default_config(),
        OptimizerConfig::AdamW(AdamConfig {
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2
        })
    );
    let bad_beta = AdamConfig {
        betas: (1.0, 0.999),
        ..AdamConfig::default()
    };
    assert!(Adam::new(bad_beta).is_err());
    let bad_wd = OptimizerConfig::Adam(AdamConfig {
        weight_decay: -1.0,
        ..AdamConfig::default()
    });
    assert!(bad_wd.validate().is_err() && bad_wd.build().is_err());
    let nesterov = SgdConfig {
        nesterov: true,
        ..SgdConfig::default()
    };
    assert!(Sgd::new(nesterov).is_err());
    let bad_alpha = RmsPropConfig {
        alpha: f64::NAN,
        ..RmsPropConfig::default()
    };
    assert!(RmsProp::new(bad_alpha).is_err());
    assert!(check_lr(1e-3).is_ok() && check_lr(-1e-3).is_err() && check_lr(f32::NAN).is_err());
}

/// Every optimizer and variant, with weight decay where it has one.
fn all_variants() -> Vec<AnyOptimizer> {
    let configs = [
        OptimizerKind::Adam.default_config(),
        OptimizerConfig::Adam(AdamConfig {
            weight_decay: 0.1,
            ..AdamConfig::default()
        }),
        OptimizerKind::AdamW.default_config(),
        OptimizerKind::Sgd.default_config(),
        OptimizerConfig::Sgd(SgdConfig {
            momentum: 0.9,
            dampening: 0.1,
            weight_decay: 0.1,
            ..SgdConfig::default()
        }),
        OptimizerConfig::Sgd(SgdConfig {
            momentum: 0.5,
            nesterov: true,
            ..SgdConfig::default()
        }),
        OptimizerKind::RmsProp.default_config(),
        OptimizerConfig::RmsProp(RmsPropConfig {
            momentum: 0.9,
            centered: true,
            weight_decay: 0.01,
            ..RmsPropConfig::default()
        }),
    ];
    configs.iter().map(|c| c.build().unwrap()).collect()
}

#[test]
fn stepping_a_subset_matches_stepping_all_with_zero_gradients() {
    // Entry 1 plays a frozen parameter: the full run gives it zero gradients, the subset run
    // leaves it out. Entries 0 and 2 must end bit-identical.
    let init = || {
        [
            t(&[1.0, -2.0, 0.5]),
            Tensor::from_vec(&[2, 2], vec![0.3, 0.1, -0.7, 2.0]),
            Tensor::from_vec(&[1, 2], vec![-1.0, 0.25]),
        ]
    };
    let grads = |k: usize| {
        let k = k as f32;
        vec![
            t(&[0.5 - k, 0.1 * k, -0.3]),
            Tensor::from_vec(&[2, 2], vec![0.2, -0.4, 0.6 * k, 1.0]),
            Tensor::from_vec(&[1, 2], vec![k * k * 0.01, -0.9]),
        ]
    };
    for (mut full, mut sub) in all_variants().into_iter().zip(all_variants()) {
        let name = format!("{full:?}");
        let mut pf = init();
        let mut ps = init();
        for k in 0..5 {
            let mut gf = grads(k);
            gf[1] = Tensor::zeros(gf[1].shape());
            let lr = 0.01 * (k + 1) as f32;
            step(&mut full, lr, &mut pf, &gf);
            let gs = grads(k);
            let [p0, _, p2] = &mut ps;
            sub.step(lr, &mut [p0, p2], &[gs[0].clone(), gs[2].clone()]);
        }
        assert_eq!(pf[0], ps[0], "{name}");
        assert_eq!(pf[2], ps[2], "{name}");
        assert_eq!(ps[1], init()[1], "{name}: the left-out entry is untouched");
        // The subset's state is the full state without entry 1's tensors.
        let per_param = full.state_len() / 3;
        assert_eq!(sub.state_len(), 2 * per_param, "{name}");
        assert_eq!(sub.state_numel(), per_param * (3 + 2), "{name}");
        sub.check_state(&[&ps[0], &ps[2]]).unwrap();
    }
}

#[test]
fn state_counts() {
    let mut p = vec![
        t(&[1.0, 2.0, 3.0]),
        Tensor::from_vec(&[1, 2], vec![0.0, 1.0]),
    ];
    let g = vec![
        t(&[0.1, 0.2, 0.3]),
        Tensor::from_vec(&[1, 2], vec![0.4, 0.5]),
    ];
    let momentum = SgdConfig {
        momentum: 0.9,
        ..SgdConfig::default()
    };
    let centered = RmsPropConfig {
        centered: true,
        momentum: 0.9,
        ..RmsPropConfig::default()
    };
    for (config, per_param) in [
        (OptimizerKind::Adam.default_config(), 2),
        (OptimizerKind::AdamW.default_config(), 2),
        (OptimizerKind::Sgd.default_config(), 0),
        (OptimizerConfig::Sgd(momentum), 1),
        (OptimizerKind::RmsProp.default_config(), 1),
        (OptimizerConfig::RmsProp(centered), 3),
    ] {
        let mut opt = config.build().unwrap();
        assert_eq!((opt.state_len(), opt.state_numel()), (0, 0), "{config:?}");
        step(&mut opt, 0.01, &mut p, &g);
        assert_eq!(opt.state_len(), 2 * per_param, "{config:?}");
        assert_eq!(opt.state_numel(), 5 * per_param, "{config:?}");
        opt.reset();
        assert_eq!(opt.state_len(), 0);
    }
}
