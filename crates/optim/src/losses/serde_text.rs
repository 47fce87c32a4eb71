//! A loss serialises as its NeuralForecast spelling (`"MQLoss(level=[80, 90])"`), the one
//! spelling of the command line and the configs. Configs saved before that (checkpoint format
//! version 1) hold serde's enum form, `"MAE"` or `{"MQLoss":{"quantiles":[0.5, 0.1, 0.9]}}`;
//! those still load.

use super::Loss;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

impl Serialize for Loss {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The enum form written before losses serialised as text.
#[allow(clippy::upper_case_acronyms)]
#[derive(Deserialize)]
enum Legacy {
    MASE { seasonality: usize },
    Huber { delta: f32 },
    QuantileLoss { q: f32 },
    MQLoss { quantiles: Vec<f32> },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Repr {
    Text(String),
    Legacy(Legacy),
}

impl<'de> Deserialize<'de> for Loss {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let loss = match Repr::deserialize(deserializer)? {
            // Unit variants (`"MAE"`) were written as their name, which parses as text too.
            Repr::Text(s) => return s.parse().map_err(serde::de::Error::custom),
            Repr::Legacy(Legacy::MASE { seasonality }) => Loss::MASE { seasonality },
            Repr::Legacy(Legacy::Huber { delta }) => Loss::Huber { delta },
            Repr::Legacy(Legacy::QuantileLoss { q }) => Loss::QuantileLoss { q },
            Repr::Legacy(Legacy::MQLoss { quantiles }) => Loss::MQLoss { quantiles },
        };
        loss.validate().map_err(serde::de::Error::custom)?;
        Ok(loss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::losses::Distribution;

    #[test]
    fn text_round_trip_and_legacy_forms() {
        for loss in [
            Loss::MAE,
            Loss::MASE { seasonality: 12 },
            Loss::Huber { delta: 0.3 },
            Loss::QuantileLoss { q: 0.9 },
            Loss::mq_from_levels(&[80, 90]),
            Loss::mq_from_quantiles(&[0.1, 0.5, 0.93]),
            Loss::distribution(Distribution::StudentT, &[80, 90]),
            Loss::DistributionLoss {
                distribution: Distribution::Normal,
                quantiles: vec![0.1, 0.5, 0.9],
                num_samples: 500,
                return_params: true,
            },
        ] {
            let json = serde_json::to_string(&loss).unwrap();
            assert!(json.starts_with('"'), "{json}");
            assert_eq!(serde_json::from_str::<Loss>(&json).unwrap(), loss, "{json}");
        }
        let old: Loss = serde_json::from_str(r#"{"MQLoss":{"quantiles":[0.5,0.1,0.9]}}"#).unwrap();
        assert_eq!(old, Loss::mq_from_levels(&[80]));
        let old: Loss = serde_json::from_str(r#"{"MASE":{"seasonality":4}}"#).unwrap();
        assert_eq!(old, Loss::MASE { seasonality: 4 });
        assert_eq!(
            serde_json::from_str::<Loss>(r#""RMSE""#).unwrap(),
            Loss::RMSE
        );
        assert!(serde_json::from_str::<Loss>(r#"{"MQLoss":{"quantiles":[2.0]}}"#).is_err());
    }
}
