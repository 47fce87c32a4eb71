//! Gradient clipping by global norm (`torch.nn.utils.clip_grad_norm_`) and finiteness checks.

use neurodiv_autodiff::Tensor;

/// The global L2 norm of all gradients, accumulated in f64 tensor by tensor, element by element
/// in order (deterministic). Pass the trainable parameters' gradients (`Ctx::param_grads`):
/// frozen parameters and buffers have none, as in PyTorch, where they have no `.grad`.
pub fn grad_norm(grads: &[Tensor]) -> f64 {
    let mut sq = 0.0f64;
    for g in grads {
        for &v in g.data() {
            sq += v as f64 * v as f64;
        }
    }
    sq.sqrt()
}

/// Scales `grads` so that their global L2 norm is at most `max_norm`, like
/// `torch.nn.utils.clip_grad_norm_(params, max_norm)`: with `norm` the total norm,
/// `coef = max_norm / (norm + 1e-6)`, and every gradient is multiplied by `coef` when
/// `coef < 1`. Returns the norm before clipping (as f32).
///
/// When the norm is not finite (a NaN or infinite gradient) the gradients are left unchanged:
/// check with [`grads_are_finite`] and skip the step instead.
pub fn clip_grad_norm(grads: &mut [Tensor], max_norm: f32) -> f32 {
    let norm = grad_norm(grads);
    if norm.is_finite() {
        let coef = max_norm as f64 / (norm + 1e-6);
        if coef < 1.0 {
            let c = coef as f32;
            for g in grads.iter_mut() {
                for v in g.data_mut() {
                    *v *= c;
                }
            }
        }
    }
    norm as f32
}

/// True when every gradient element is finite.
pub fn grads_are_finite(grads: &[Tensor]) -> bool {
    grads.iter().all(Tensor::all_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_to_max_norm() {
        let mut g = vec![
            Tensor::from_vec(&[2], vec![3.0, 0.0]),
            Tensor::from_vec(&[1], vec![4.0]),
        ];
        let n = clip_grad_norm(&mut g, 1.0);
        assert_eq!(n, 5.0);
        let c = (1.0 / (5.0 + 1e-6)) as f32;
        assert_eq!(g[0].data(), &[3.0 * c, 0.0]);
        assert_eq!(g[1].data(), &[4.0 * c]);
        assert!((grad_norm(&g) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn leaves_small_gradients() {
        let mut g = vec![Tensor::from_vec(&[2], vec![0.3, 0.4])];
        let n = clip_grad_norm(&mut g, 1.0);
        assert!((n - 0.5).abs() < 1e-7);
        assert_eq!(g[0].data(), &[0.3, 0.4]);
        // Exactly at the threshold: coef = 1 / (1 + 1e-6) < 1, PyTorch scales too.
        let mut g = vec![Tensor::from_vec(&[1], vec![1.0])];
        clip_grad_norm(&mut g, 1.0);
        assert!(g[0].data()[0] < 1.0);
    }

    #[test]
    fn non_finite() {
        let mut g = vec![Tensor::from_vec(&[2], vec![f32::NAN, 1.0])];
        assert!(!grads_are_finite(&g));
        assert!(clip_grad_norm(&mut g, 1.0).is_nan());
        assert_eq!(g[0].data()[1], 1.0);
        assert!(grads_are_finite(&[Tensor::ones(&[3])]));
        assert!(!grads_are_finite(&[Tensor::from_vec(
            &[1],
            vec![f32::INFINITY]
        )]));
    }
}
