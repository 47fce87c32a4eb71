//! Tensors and reverse-mode automatic differentiation.
//!
//! A [`Tensor`] is an immutable-by-default, row-major f32 array on `ndarray` (cheap to clone:
//! the data is shared). A [`Tape`] records the operations applied to [`Var`]s; each op is a
//! forward computation plus a small backward closure that keeps only what it needs.
//! [`Tape::backward`] walks the tape in reverse and returns the [`Grads`] of every variable that
//! needs one, summing contributions when a value is used more than once.
//!
//! ```
//! use neurodiv_autodiff::{Tape, Tensor};
//! let tape = Tape::new();
//! let w = tape.param(Tensor::from_vec(&[2], vec![1.0, -2.0]));
//! let x = tape.constant(Tensor::from_vec(&[2], vec![3.0, 4.0]));
//! let loss = w.mul(x).sum_all();
//! let grads = tape.backward(loss);
//! assert_eq!(grads.get(w).unwrap().data(), &[3.0, 4.0]);
//! ```
//!
//! Shape mistakes inside the library are bugs: ops panic with a message naming the op and the
//! shapes involved. User input is validated in the layers above.

pub mod budget;
pub mod gradcheck;
pub mod ops;
mod tape;
mod tensor;

pub use tape::{Grads, Tape, Var};
pub use tensor::Tensor;
