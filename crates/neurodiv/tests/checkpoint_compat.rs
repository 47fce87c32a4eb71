//! Checkpoints written before the model-contract change still load and forecast identically
//! (see `tests/fixtures/checkpoint-v1/README.md`).

use neurodiv::prelude::*;
use std::path::Path;

#[test]
fn checkpoint_v1_loads_and_forecasts_the_same_bits() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkpoint-v1");
    let nf = NeuralForecast::load(&dir).unwrap();
    let fc = nf.predict(None).unwrap();
    let expected = std::fs::read_to_string(dir.join("forecast.csv")).unwrap();
    let mut rows = expected.lines().skip(1).map(|l| l.split_once(',').unwrap());
    let mut n = 0;
    for (name, col) in &fc.columns {
        for v in col {
            let (want_name, want_bits) = rows.next().expect("as many values as saved");
            assert_eq!(name, want_name);
            assert_eq!(
                format!("{:08x}", v.to_bits()),
                want_bits,
                "{name} value {n} differs"
            );
            n += 1;
        }
    }
    assert!(rows.next().is_none(), "fewer values than saved");
    assert_eq!(
        n,
        24 * 5,
        "NHITS median/lo/hi, MLPstd, TSMixer over 2 series x 12 steps"
    );
}
