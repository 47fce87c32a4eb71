//! Recurrent forecasting models, with NeuralForecast's names, defaults and semantics: RNN, LSTM
//! and GRU (direct or recurrent), DilatedRNN and DeepAR. The recurrent layers themselves live
//! in `neurodiv-nn` ([`neurodiv_nn::Recurrent`]), where other families reuse them.

mod deepar;
mod dilated_rnn;
mod inputs;
mod rnn;

pub use deepar::{DeepAR, DeepARConfig};
pub use dilated_rnn::{DilatedCell, DilatedRNN, DilatedRNNConfig};
pub use rnn::{GRU, GRUConfig, LSTM, LSTMConfig, RNN, RNNConfig, RecurrentConfig};
