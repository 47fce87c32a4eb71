//! Selection: the indices of the largest values (PyTorch's `torch.topk` on one row).

use std::cmp::Ordering;

/// The indices of the `k` largest values of `values`, largest first; ties go to the lower index
/// and NaN counts as smaller than every number, so the result is fully determined by the input.
/// Returns all indices when `k >= values.len()`.
pub fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| {
        key(values[b])
            .partial_cmp(&key(values[a]))
            .unwrap_or(Ordering::Equal)
            .then(a.cmp(&b))
    });
    idx.truncate(k);
    idx
}

#[cfg(test)]
mod tests {
    use super::top_k;

    #[test]
    fn largest_first_with_ties_to_the_lower_index() {
        assert_eq!(top_k(&[1.0, 5.0, 3.0, 5.0, f32::NAN, -2.0], 3), [1, 3, 2]);
        assert_eq!(top_k(&[0.5, f32::NAN], 5), [0, 1]);
        assert!(top_k(&[1.0, 2.0], 0).is_empty());
    }
}
