//! Transformer forecasting models, with NeuralForecast's names, defaults and semantics:
//! VanillaTransformer, Informer, Autoformer, FEDformer, PatchTST, iTransformer, TimeXer and TFT. Attention is `neurodiv-attention`'s flash kernel; the input embedding
//! is `neurodiv-nn`'s `DataEmbedding`.
//!
//! ```
//! use neurodiv_core::NeuralModel;
//! use neurodiv_models_transformer::{VanillaTransformer, VanillaTransformerConfig};
//!
//! // NeuralForecast's VanillaTransformer(h=12, input_size=24, max_steps=100).
//! let model = VanillaTransformer::new(VanillaTransformerConfig::new(12, 24).max_steps(100)).unwrap();
//! assert_eq!(model.name(), "VanillaTransformer");
//! ```

mod autoformer;
mod blocks;
mod decomposition;
mod encdec;
mod fedformer;
mod informer;
mod itransformer;
mod patchtst;
mod tft;
mod tft_blocks;
mod timexer;
mod vanilla;

pub use autoformer::{Autoformer, AutoformerConfig};
pub use encdec::EncoderDecoderOptions;
pub use fedformer::{FEDformer, FEDformerConfig};
pub use informer::{Informer, InformerConfig};
pub use itransformer::{ITransformerConfig, iTransformer};
pub use patchtst::{PatchTST, PatchTSTConfig};
pub use tft::{RnnType, TFT, TFTConfig, TFTVariables};
pub use tft_blocks::GrnActivation;
pub use timexer::{TimeXer, TimeXerConfig};
pub use vanilla::{VanillaTransformer, VanillaTransformerConfig};
