//! Convolutional forecasting models, with NeuralForecast's names, defaults and semantics: TCN,
//! BiTCN and TimesNet. The convolutions themselves are `neurodiv-autodiff`'s `conv1d` and
//! `conv2d`; the `Conv1d` layer and the `DataEmbedding` live in `neurodiv-nn`.
//!
//! ```
//! use neurodiv_core::NeuralModel;
//! use neurodiv_models_conv::{TCN, TCNConfig, TimesNet, TimesNetConfig};
//!
//! // NeuralForecast's TCN(h=12, input_size=24, dilations=[1, 2, 4, 8], max_steps=100).
//! let tcn = TCN::new(TCNConfig::new(12, 24).dilations(vec![1, 2, 4, 8]).max_steps(100)).unwrap();
//! assert_eq!(tcn.name(), "TCN");
//! // TimesNet with three periods per block.
//! let times = TimesNet::new(TimesNetConfig::new(12, 24).top_k(3)).unwrap();
//! assert_eq!(times.name(), "TimesNet");
//! ```

mod bitcn;
mod tcn;
mod timesnet;

pub use bitcn::{BiTCN, BiTCNConfig};
pub use tcn::{TCN, TCNConfig};
pub use timesnet::{TimesNet, TimesNetConfig};
