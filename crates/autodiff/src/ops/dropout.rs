//! Dropout (inverted: kept values are scaled by `1 / (1 - p)` during training).

use crate::{Tensor, Var};
use neurodiv_kernels::Rng;

impl<'t> Var<'t> {
    /// Zeroes each element with probability `p` and scales the others by `1 / (1 - p)`, like
    /// `torch.nn.functional.dropout`. Active only when the tape is in training mode
    /// ([`Tape::is_training`](crate::Tape::is_training)); with `p == 0` or in inference it is
    /// the identity and draws nothing from `rng`. Otherwise it draws one value per element from
    /// `rng`, in row-major order, so the same generator state gives the same mask. `p == 1`
    /// gives zeros. The backward keeps only the mask.
    ///
    /// # Panics
    /// When `p` is not in `[0, 1]`.
    pub fn dropout(self, p: f32, rng: &mut Rng) -> Var<'t> {
        assert!(
            (0.0..=1.0).contains(&p),
            "dropout: probability {p} is not in [0, 1]"
        );
        if p == 0.0 || !self.tape.is_training() {
            return self;
        }
        let x = self.value();
        let scale = if p < 1.0 { 1.0 / (1.0 - p) } else { 0.0 };
        let keep: Vec<bool> = (0..x.numel()).map(|_| rng.next_f32() >= p).collect();
        let apply = move |d: &[f32], keep: &[bool]| -> Vec<f32> {
            d.iter()
                .zip(keep)
                .map(|(&v, &k)| if k { v * scale } else { 0.0 })
                .collect()
        };
        let out = Tensor::from_vec(x.shape(), apply(x.data(), &keep));
        self.tape.record(out, &[self], move |g, _| {
            vec![Some(Tensor::from_vec(g.shape(), apply(g.data(), &keep)))]
        })
    }
}
