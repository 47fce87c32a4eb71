//! Learning-rate schedules: PyTorch's values step by step.

use neurodiv_optim::*;

fn close(a: f32, b: f64) -> bool {
    (a as f64 - b).abs() <= 1e-6 * (1.0 + b.abs())
}

#[test]
fn neuralforecast_step_decay() {
    // max_steps 1000, 3 decays: step_size = 1000 // 3 = 333, gamma 0.5.
    let s = StepLr::neuralforecast(1e-3, 1000, 3);
    assert_eq!(s.step_size, 333);
    assert_eq!(s.gamma, 0.5);
    for (step, want) in [
        (0, 1e-3),
        (332, 1e-3),
        (333, 5e-4),
        (665, 5e-4),
        (666, 2.5e-4),
        (999, 1.25e-4),
    ] {
        assert!(
            close(s.lr(step), want),
            "step {step}: {} vs {want}",
            s.lr(step)
        );
    }
    // No decay for -1 (and 0): step size 10e7.
    for n in [-1, 0] {
        let s = StepLr::neuralforecast(1e-3, 1000, n);
        assert_eq!(s.step_size, 100_000_000);
        assert_eq!(s.lr(999), 1e-3);
    }
    // More decays than steps: step size floors at 1.
    let s = StepLr::neuralforecast(1.0, 2, 5);
    assert_eq!(s.step_size, 1);
    assert_eq!(s.lr(3), 0.125);
    assert!(StepLr::neuralforecast(-1.0, 10, 1).validate().is_err());
    assert!(StepLr::new(1.0, 0, 0.5).is_err());
    assert!(StepLr::new(1.0, 1, 0.0).is_err());
}

#[test]
fn cosine_annealing() {
    let s = CosineAnnealing::new(1.0, 10, 0.1).unwrap();
    assert!(close(s.lr(0), 1.0));
    assert!(close(s.lr(5), 0.55));
    assert!(close(s.lr(10), 0.1));
    let q = 0.1 + 0.9 * (1.0 + (std::f64::consts::PI * 3.0 / 10.0).cos()) / 2.0;
    assert!(close(s.lr(3), q));
    // Past t_max the cosine rises again, as in PyTorch.
    assert!(close(s.lr(15), 0.55));
    assert!(CosineAnnealing::new(1.0, 0, 0.0).is_err());
    assert!(CosineAnnealing::new(1.0, 5, -0.1).is_err());
}

#[test]
fn warmups() {
    let inner = Schedule::from(StepLr::new(1.0, 5, 0.5).unwrap());
    let w = Warmup::linear(inner.clone(), 10, 0.1).unwrap();
    assert!(close(w.lr(0), 0.1));
    assert!(close(w.lr(5), 0.55));
    assert!(close(w.lr(9), 0.1 + 0.9 * 0.9));
    // After the warm-up the inner schedule starts from its step 0.
    assert!(close(w.lr(10), 1.0));
    assert!(close(w.lr(14), 1.0));
    assert!(close(w.lr(15), 0.5));

    let c = Warmup::cosine(inner, 10, 0.1).unwrap();
    assert!(close(c.lr(0), 0.1));
    assert!(close(c.lr(5), 0.55));
    let ramp = (1.0 - (std::f64::consts::PI * 0.2).cos()) / 2.0;
    assert!(close(c.lr(2), 0.1 + 0.9 * ramp));
    assert!(close(c.lr(10), 1.0));

    let constant = Schedule::Constant(ConstantLr { lr: 1.0 });
    assert!(Warmup::linear(constant.clone(), 0, 0.5).is_err());
    assert!(Warmup::linear(constant.clone(), 3, 0.0).is_err());
    assert!(Warmup::linear(constant, 3, 1.5).is_err());
}

#[test]
fn reduce_on_plateau() {
    let mut s = ReduceOnPlateau::new(1.0).unwrap();
    s.patience = 2;
    s.cooldown = 1;
    s.min_lr = 0.005;
    s.observe(1.0); // best
    s.observe(1.0); // bad 1
    s.observe(0.99995); // not better by the 1e-4 relative threshold: bad 2
    assert_eq!(s.lr(0), 1.0);
    s.observe(1.0); // bad 3 > 2: reduce, cooldown 1
    assert!(close(s.lr(0), 0.1));
    s.observe(2.0); // in cooldown: counter reset
    s.observe(2.0);
    s.observe(2.0);
    assert!(close(s.lr(0), 0.1));
    s.observe(2.0); // bad 3: reduce
    assert!(close(s.lr(0), 0.01));
    s.observe(0.5); // improvement
    for _ in 0..4 {
        s.observe(0.5);
    }
    assert!(close(s.lr(123), 0.005), "floored at min_lr: {}", s.lr(0));
    // Through the Schedule enum and a warm-up wrapper, observe reaches the plateau logic.
    let mut p = ReduceOnPlateau::new(1.0).unwrap();
    p.patience = 0;
    let mut w = Schedule::Warmup(Warmup::linear(p.into(), 2, 0.5).unwrap());
    w.observe(1.0);
    w.observe(1.0);
    assert!(close(w.lr(5), 0.1));
    let mut bad = ReduceOnPlateau::new(1.0).unwrap();
    bad.factor = 1.0;
    assert!(bad.validate().is_err());
}

#[test]
fn schedules_round_trip_through_serde() {
    let mut p = ReduceOnPlateau::new(0.1).unwrap();
    p.observe(3.0);
    let all = vec![
        Schedule::Constant(ConstantLr { lr: 0.1 }),
        StepLr::neuralforecast(1e-3, 100, 2).into(),
        CosineAnnealing::new(1e-2, 50, 0.0).unwrap().into(),
        Warmup::cosine(CosineAnnealing::new(1e-2, 50, 1e-4).unwrap().into(), 5, 0.2)
            .unwrap()
            .into(),
        p.into(),
    ];
    for s in all {
        s.validate().unwrap();
        let back: Schedule = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        for step in [0, 3, 7, 60] {
            assert_eq!(back.lr(step), s.lr(step));
        }
    }
}

#[test]
fn scheduler_kinds_by_name() {
    // The default is NeuralForecast's step decay, the same rates as before the option existed.
    let step = LrSchedulerKind::default().build(1e-3, 1000, 3, 0).unwrap();
    assert_eq!(step, StepLr::neuralforecast(1e-3, 1000, 3).into());
    // Cosine over 100 steps after a 10-step linear warm-up from lr / 10.
    let cos = LrSchedulerKind::Cosine.build(1e-2, 110, -1, 10).unwrap();
    assert!(close(cos.lr(0), 1e-3));
    assert!(cos.lr(5) > cos.lr(0) && cos.lr(5) < 1e-2);
    assert!(close(cos.lr(10), 1e-2));
    assert!(close(cos.lr(60), 5e-3));
    assert!(cos.lr(109) < 1e-5);
    let constant = LrSchedulerKind::Constant.build(0.5, 10, -1, 0).unwrap();
    assert!((0..10).all(|s| constant.lr(s) == 0.5));
    for (text, kind) in [
        ("StepLR", LrSchedulerKind::StepLr),
        ("cosine", LrSchedulerKind::Cosine),
        ("CosineAnnealingLR", LrSchedulerKind::Cosine),
        ("constant", LrSchedulerKind::Constant),
    ] {
        assert_eq!(text.parse::<LrSchedulerKind>().unwrap(), kind);
        assert_eq!(kind.name().parse::<LrSchedulerKind>().unwrap(), kind);
    }
    let err = "onecycle"
        .parse::<LrSchedulerKind>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("steplr, cosine, constant"), "{err}");
    // A warm-up as long as the run is refused; step decays are the step schedule's only.
    let err = LrSchedulerKind::Cosine
        .build(1e-3, 10, -1, 10)
        .unwrap_err()
        .to_string();
    assert!(err.contains("warmup_steps"), "{err}");
    assert_eq!(
        LrSchedulerKind::Cosine.build(1e-3, 10, 2, 0).unwrap(),
        LrSchedulerKind::Cosine.build(1e-3, 10, -1, 0).unwrap()
    );
}
