//! Recurrent forecasting models, with NeuralForecast's names, defaults and semantics: RNN, LSTM
//! and GRU (direct or recurrent), DilatedRNN and DeepAR. The recurrent layers themselves live
//! in `neurodiv-nn` ([`neurodiv_nn::Recurrent`]), where other families reuse them.
//!
//! ```
//! use neurodiv_core::NeuralModel;
//! use neurodiv_models_recurrent::{DeepAR, DeepARConfig, LSTM};
//!
//! // NeuralForecast's LSTM(h=12, input_size=24, recurrent=True, max_steps=50).
//! let lstm = LSTM::new(LSTM::default_config(12, 24).recurrent(true).max_steps(50)).unwrap();
//! assert!(lstm.recursive().is_some());
//! // DeepAR predicting with 500 sampled trajectories per series.
//! let config = DeepARConfig::new(12, 24).sample_paths(true).trajectory_samples(500);
//! assert_eq!(DeepAR::new(config).unwrap().name(), "DeepAR");
//! ```

mod deepar;
mod dilated_rnn;
mod inputs;
mod rnn;

pub use deepar::{DeepAR, DeepARConfig};
pub use dilated_rnn::{DilatedCell, DilatedRNN, DilatedRNNConfig};
pub use rnn::{GRU, GRUConfig, LSTM, LSTMConfig, RNN, RNNConfig, RecurrentConfig};
