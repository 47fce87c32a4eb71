//! The interrupt flag (`NeuralForecast::set_interrupt`): a fit or cross-validation stops at the
//! trainer's next step with `CoreError::Interrupted`, and the forecaster keeps nothing of it.

mod common;

use common::*;
use neurodiv::core::CoreError;
use neurodiv::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn interrupted(r: Result<impl std::fmt::Debug, NfError>) -> bool {
    matches!(r, Err(NfError::Core(CoreError::Interrupted)))
}

#[test]
fn an_interrupted_fit_stops_at_the_next_step_and_keeps_nothing() {
    let (train, _) = air_split();
    let mut nf = NeuralForecast::new(vec![Box::new(small_mlp(1))], train.freq());
    let flag = Arc::new(AtomicBool::new(false));
    nf.set_interrupt(flag.clone());
    let mut steps = 0;
    let r = nf.fit_with_progress(&train, 0, &mut |_, p| {
        steps = p.step;
        if p.step == 3 {
            flag.store(true, Ordering::Relaxed);
        }
    });
    assert!(interrupted(r));
    assert_eq!(steps, 3, "the flag is checked before every step");
    assert!(!nf.is_fitted());
    assert!(matches!(
        nf.predict(None),
        Err(NfError::Core(CoreError::NotFitted))
    ));
}

#[test]
fn an_interrupted_refit_or_cross_validation_leaves_the_earlier_fit_bit_for_bit() {
    let (train, _) = air_split();
    let mut nf = NeuralForecast::new(vec![Box::new(small_mlp(2))], train.freq());
    nf.fit(&train, 0).unwrap();
    let bits = |nf: &NeuralForecast| -> Vec<u32> {
        let fc = nf.predict(None).unwrap();
        fc.column("MLP")
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect()
    };
    let before = bits(&nf);
    let flag = Arc::new(AtomicBool::new(false));
    nf.set_interrupt(flag.clone());
    let r = nf.fit_with_progress(&train, 0, &mut |_, p| {
        if p.step == 2 {
            flag.store(true, Ordering::Relaxed);
        }
    });
    assert!(interrupted(r));
    assert_eq!(bits(&nf), before);
    // Set before the call: cross-validation stops at its first step.
    assert!(interrupted(nf.cross_validation(&train, 2, 12, 0, false)));
    assert_eq!(bits(&nf), before);
}
