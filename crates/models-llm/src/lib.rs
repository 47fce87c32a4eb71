//! Language-model forecasting models: [`TimeLLM`] (Jin et al., ICLR 2024) on a frozen GPT-2
//! read from a local folder in Hugging Face layout ([`gpt2`]); [`tiny`] writes a small random
//! such folder for tests and demos.

pub mod gpt2;
pub mod prompt;
mod timellm;
pub mod tiny;

pub use timellm::{NUM_PROTOTYPES, TimeLLM, TimeLLMConfig};
