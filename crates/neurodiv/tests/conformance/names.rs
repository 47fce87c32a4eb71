//! The registry: names in any case, config round trips, option errors, aliases and column names.

use crate::harness::*;
use neurodiv::prelude::*;
use neurodiv::registry;
use serde_json::Value;

#[test]
fn every_model_name_parses_in_any_case() {
    for name in registry::model_names() {
        for spelling in [name.to_string(), name.to_lowercase(), name.to_uppercase()] {
            assert_eq!(
                registry::canonical_name(&spelling).unwrap(),
                name,
                "{spelling}"
            );
            assert!(
                registry::build(&spelling, H, L, &required(name)).is_ok(),
                "{spelling}"
            );
        }
        assert!(registry::default_config(&name.to_lowercase(), H, L).is_ok());
    }
    let err = registry::canonical_name("NoSuchModel")
        .unwrap_err()
        .to_string();
    for name in registry::model_names() {
        assert!(err.contains(name), "{err} does not list {name}");
    }
}

#[test]
fn configs_round_trip_and_bad_overrides_list_the_valid_keys() {
    for name in registry::model_names() {
        let defaults = defaults_with_required(name);
        let model = registry::from_config_json(name, &defaults.to_string())
            .unwrap_or_else(|e| panic!("{name}: default config does not build: {e}"));
        let json = model.config_json();
        let back: Value = serde_json::from_str(&json).unwrap();
        assert!(
            same_config(&back, &defaults),
            "{name}: config_json {back} differs from the default {defaults}"
        );
        // config_json is a fixed point of rebuilding (what checkpoints rely on).
        let again = registry::from_config_json(name, &json)
            .unwrap()
            .config_json();
        assert_eq!(again, json, "{name}: config_json changes when rebuilt");
        assert_eq!((model.base().h, model.base().input_size), (H, L));

        let bad = [("no_such_option".to_string(), "1".to_string())];
        let err = registry::build(name, H, L, &bad).unwrap_err().to_string();
        assert!(err.contains("no_such_option"), "{name}: {err}");
        for key in defaults.as_object().unwrap().keys() {
            assert!(
                err.contains(key.as_str()),
                "{name}: {err} does not list {key}"
            );
        }
        let bad_value = [("max_steps".to_string(), "\"many\"".to_string())];
        let err = registry::build(name, H, L, &bad_value).unwrap_err();
        assert!(
            matches!(err, NfError::BadOption(_)),
            "{name}: bad value gives {err:?}"
        );
        let mut invalid = required(name);
        invalid.push(("max_steps".to_string(), "0".to_string()));
        let err = registry::build(name, H, L, &invalid)
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_steps"), "{name}: {err}");
    }
}

#[test]
fn aliases_name_the_columns() {
    for_each_model("alias", |name| {
        let df = data_for(name);
        let (train, _) = df.split_tail(H).unwrap();
        let model = build(name, H, L, df.n_series(), &[("alias", "\"mine\"".into())]);
        assert_eq!(model.alias(), "mine");
        let columns = model_columns(model.as_ref());
        assert!(columns[0] == "mine", "{name}: {columns:?}");
        let (_, fc, _) = fit_predict(model, &train);
        assert_eq!(fc.column_names(), columns, "{name}");
    });
}

#[test]
fn the_default_column_name_is_the_registry_name() {
    // NeuralForecast names a model's columns after its class (its `alias` when set).
    for name in registry::model_names() {
        let model = registry::build(name, H, L, &required(name)).unwrap();
        assert_eq!(model.name(), name);
        assert_eq!(model.alias(), name);
    }
}

#[test]
fn nbeatsx_is_named_nbeatsx() {
    let model = registry::build("NBEATSx", H, L, &[]).unwrap();
    assert_eq!(model.alias(), "NBEATSx");
}

#[test]
fn default_config_shows_f32_defaults_in_short_form() {
    let config = registry::default_config("MLP", H, L).unwrap();
    assert_eq!(config["learning_rate"].to_string(), "0.001");
}

#[test]
fn mase_with_a_season_as_long_as_the_input_is_an_error() {
    // MASE scales by the in-sample seasonal naive error, which needs input_size > seasonality:
    // either the build or the fit must refuse, with an error naming the seasonality.
    let (train, _) = crate::common::air_split();
    let loss = loss_json(&Loss::MASE { seasonality: L });
    let err = match registry::build("MLP", H, L, &overrides("MLP", 1, &[("loss", loss)])) {
        Err(e) => e.to_string(),
        Ok(model) => NeuralForecast::new(vec![model], train.freq())
            .fit(&train, 0)
            .expect_err("MASE with seasonality = input_size")
            .to_string(),
    };
    assert!(err.contains("seasonality"), "{err}");
}
