//! Attention for the transformer family.
//!
//! - [`flash_attention`]: tiled attention that never stores the `L x S` score matrix, with its
//!   own backward (recomputation from the per-query log-sum-exp), optional causal mask and
//!   attention dropout; bit-identical with any number of threads.
//! - [`attention_reference`]: the same function from the tape's plain ops, the yardstick;
//!   [`residual_attention`] also returns the scores (PatchTST's residual attention).
//! - [`MultiHeadAttention`]: PyTorch-style projections around flash attention.
//! - [`prob_attention`] and [`DistilLayer`]: Informer's ProbSparse attention and distilling.
//! - [`auto_correlation`]: Autoformer's period-based dependencies.
//! - [`FourierBlock`] and [`FourierCross`]: FEDformer's frequency-enhanced blocks.
//!
//! ```
//! use neurodiv_attention::{AttentionOptions, attention_reference, flash_attention};
//! use neurodiv_autodiff::{Tape, Tensor};
//! use neurodiv_kernels::Rng;
//!
//! let tape = Tape::no_grad();
//! let x = |seed| {
//!     let mut rng = Rng::new(seed);
//!     tape.constant(Tensor::from_vec(&[2, 5, 4], (0..40).map(|_| rng.normal()).collect()))
//! };
//! let (q, k, v) = (x(1), x(2), x(3));
//! let opts = AttentionOptions { causal: true, ..Default::default() };
//! let fast = flash_attention(q, k, v, opts, &mut Rng::new(0)).value();
//! let slow = attention_reference(q, k, v, opts, &mut Rng::new(0)).value();
//! assert!(fast.data().iter().zip(slow.data()).all(|(a, b)| (a - b).abs() < 1e-5));
//! ```

mod autocorrelation;
mod flash;
mod fourier;
mod multihead;
mod probsparse;
mod reference;

pub use autocorrelation::auto_correlation;
pub use flash::{AttentionOptions, BLOCK_K, BLOCK_Q, flash_attention, flash_attention_heads};
pub use fourier::{FourierBlock, FourierCross, frequency_modes};
pub use multihead::MultiHeadAttention;
pub use probsparse::{DistilLayer, prob_attention};
pub use reference::{attention_reference, residual_attention};
