//! The `--set` option parser: each line of the input is one `--set` argument (`KEY=VALUE` or
//! `MODEL.KEY=VALUE`, values as JSON or NeuralForecast's spellings), applied to a model chosen by
//! the first byte, which is then built as the command line does (within a budget of 4 Mi tensor
//! values, to keep each run fast). Any input is a model or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neurodiv::autodiff::budget::with_element_budget;
use neurodiv::registry;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let names = registry::model_names();
    let name = names[pick as usize % names.len()];
    let mut overrides = Vec::new();
    for line in text.lines() {
        match registry::parse_set(line) {
            Ok((Some(model), key, value)) if model.eq_ignore_ascii_case(name) => {
                overrides.push((key, value))
            }
            Ok((Some(_), _, _)) => {}
            Ok((None, key, value)) => overrides.push((key, value)),
            Err(_) => return,
        }
    }
    let _ = with_element_budget(1 << 22, || {
        registry::config_for_series(name, 4, 8, &overrides, 2)
            .and_then(|config| registry::build_config(name, &config))
    });
});
