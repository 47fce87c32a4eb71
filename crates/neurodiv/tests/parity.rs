//! The cheap parity gate: every case of `neurodiv::parity::CASES` fitted once, at the seed and
//! step count of `data/reference/parity_gates.json`, must give an MAE at most the bound recorded
//! there by `cargo xtask parity --record-gates` (the MAE of exactly that run, plus a 2% margin).
//! Results are bit-reproducible for a seed, so a failure means training changed; if the change
//! is meant, check accuracy with the full comparison (`cargo xtask parity`, 3 or 30 seeds at
//! 200 steps against NeuralForecast) and then re-record the gates.

use neurodiv::parity::{CASES, GATES_PATH, Gates, RECORD_GATES_COMMAND};

const GATES: &str = include_str!("../../../data/reference/parity_gates.json");

#[test]
fn every_case_within_its_recorded_gate() {
    let gates = Gates::from_json(GATES).unwrap();
    assert!(
        gates.stale().is_empty(),
        "{GATES_PATH} has gates for {:?}, which are not parity cases; re-record with `{RECORD_GATES_COMMAND}`",
        gates.stale()
    );
    let mut failures = Vec::new();
    for case in CASES {
        let gate = match gates.gate(case.name) {
            Ok(g) => g,
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        let started = std::time::Instant::now();
        let mae = case.cheap_mae(gates.seed, gates.steps).unwrap();
        let verdict = if mae <= gate.bound { "ok" } else { "ABOVE" };
        println!(
            "{}: MAE {mae} at seed {} after {} steps (recorded {}, bound {:.4}) {verdict} \
             [{:.1} s]",
            case.name,
            gates.seed,
            gates.steps,
            gate.mae,
            gate.bound,
            started.elapsed().as_secs_f64()
        );
        if mae > gate.bound {
            failures.push(format!(
                "{}: MAE {mae:.4} above its bound {:.4} (recorded {:.4})",
                case.name, gate.bound, gate.mae
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "cheap parity gates failed:\n{}",
        failures.join("\n")
    );
}
