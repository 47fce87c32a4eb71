//! Initialisers, matching PyTorch's defaults so that parity with NeuralForecast holds.

use neurodiv_autodiff::Tensor;
use neurodiv_kernels::Rng;

/// PyTorch's default for `nn.Linear` and `nn.Conv1d` weights and biases:
/// `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` (kaiming-uniform with `a = sqrt(5)` gives this bound).
pub fn torch_default(shape: &[usize], fan_in: usize, rng: &mut Rng) -> Tensor {
    let bound = if fan_in > 0 {
        1.0 / (fan_in as f32).sqrt()
    } else {
        0.0
    };
    Tensor::uniform(shape, -bound, bound, rng)
}

/// PyTorch's default for every parameter of `nn.RNN`, `nn.LSTM` and `nn.GRU` (weights, biases
/// and the LSTM projection alike): `U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`.
pub fn rnn_default(shape: &[usize], hidden_size: usize, rng: &mut Rng) -> Tensor {
    torch_default(shape, hidden_size, rng)
}

/// Glorot/Xavier uniform: `U(-a, a)`, `a = gain * sqrt(6 / (fan_in + fan_out))`.
pub fn xavier_uniform(
    shape: &[usize],
    fan_in: usize,
    fan_out: usize,
    gain: f32,
    rng: &mut Rng,
) -> Tensor {
    let a = gain * (6.0 / (fan_in + fan_out) as f32).sqrt();
    Tensor::uniform(shape, -a, a, rng)
}

/// Glorot/Xavier normal: `N(0, gain² · 2 / (fan_in + fan_out))`.
pub fn xavier_normal(
    shape: &[usize],
    fan_in: usize,
    fan_out: usize,
    gain: f32,
    rng: &mut Rng,
) -> Tensor {
    let std = gain * (2.0 / (fan_in + fan_out) as f32).sqrt();
    Tensor::randn(shape, rng).map(|v| v * std)
}

/// He/Kaiming normal for ReLU: `N(0, 2 / fan_in)`.
pub fn kaiming_normal(shape: &[usize], fan_in: usize, rng: &mut Rng) -> Tensor {
    let std = (2.0 / fan_in.max(1) as f32).sqrt();
    Tensor::randn(shape, rng).map(|v| v * std)
}

/// LeCun normal: `N(0, 1 / fan_in)`.
pub fn lecun_normal(shape: &[usize], fan_in: usize, rng: &mut Rng) -> Tensor {
    let std = (1.0 / fan_in.max(1) as f32).sqrt();
    Tensor::randn(shape, rng).map(|v| v * std)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torch_default_is_bounded_and_seeded() {
        let a = torch_default(&[64, 16], 16, &mut Rng::new(1));
        let b = torch_default(&[64, 16], 16, &mut Rng::new(1));
        assert_eq!(a, b);
        assert!(a.data().iter().all(|v| v.abs() <= 0.25));
        let mean: f32 = a.data().iter().sum::<f32>() / a.numel() as f32;
        assert!(mean.abs() < 0.02);
    }

    #[test]
    fn normal_inits_have_the_right_spread() {
        let t = kaiming_normal(&[200, 100], 100, &mut Rng::new(2));
        let var: f32 = t.data().iter().map(|v| v * v).sum::<f32>() / t.numel() as f32;
        assert!((var - 0.02).abs() < 0.002, "{var}");
        let t = xavier_uniform(&[100, 100], 100, 100, 1.0, &mut Rng::new(3));
        assert!(t.data().iter().all(|v| v.abs() <= (6.0f32 / 200.0).sqrt()));
    }
}
