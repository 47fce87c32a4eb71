//! Row kernels (softmax, layer norm, reductions) on row-major data with rows of `cols` values.
pub use crate::scalar::{
    layer_norm_backward_rows, layer_norm_rows, log_softmax_backward_rows, log_softmax_rows,
    max_rows, mean_rows, softmax_backward_rows, softmax_rows, sum_rows,
};
