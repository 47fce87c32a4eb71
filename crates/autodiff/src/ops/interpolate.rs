//! 1-D interpolation over the last axis, matching PyTorch's `F.interpolate` on `[B, C, L]`.

use super::axis::rows;
use crate::{Tensor, Var};

/// How [`Var::interpolate1d`] computes the new samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum InterpolateMode {
    /// `mode='nearest'`: output `i` copies input `min(floor(i * L_in / L_out), L_in - 1)`.
    Nearest,
    /// `mode='linear', align_corners=False`: samples at `(i + 0.5) * L_in / L_out - 0.5`
    /// (clamped at 0), blending the two neighbouring inputs.
    Linear,
}

/// One output sample: `w0 * x[i0] + w1 * x[i1]`.
#[derive(Debug, Clone, Copy)]
struct Tap {
    i0: usize,
    i1: usize,
    w0: f32,
    w1: f32,
}

/// The taps of every output position, computed in f32 as PyTorch does on the CPU.
fn taps(mode: InterpolateMode, l_in: usize, l_out: usize) -> Vec<Tap> {
    let scale = l_in as f32 / l_out as f32;
    (0..l_out)
        .map(|i| match mode {
            InterpolateMode::Nearest => {
                let src = if l_out == l_in {
                    i
                } else if l_out == 2 * l_in {
                    i >> 1
                } else {
                    ((i as f32 * scale).floor() as usize).min(l_in - 1)
                };
                Tap {
                    i0: src,
                    i1: src,
                    w0: 1.0,
                    w1: 0.0,
                }
            }
            InterpolateMode::Linear => {
                let real = (scale * (i as f32 + 0.5) - 0.5).max(0.0);
                let i0 = (real as usize).min(l_in - 1);
                let i1 = if i0 < l_in - 1 { i0 + 1 } else { i0 };
                let w1 = (real - i0 as f32).clamp(0.0, 1.0);
                Tap {
                    i0,
                    i1,
                    w0: 1.0 - w1,
                    w1,
                }
            }
        })
        .collect()
}

impl<'t> Var<'t> {
    /// Resamples the last axis (`[B, C, L_in]`, or any `[..., L_in]`) to length `size`, like
    /// `F.interpolate(x, size=size, mode=...)` with `align_corners=False`. The backward keeps
    /// only the sizes and adds each output's gradient back to the inputs it read.
    pub fn interpolate1d(self, size: usize, mode: InterpolateMode) -> Var<'t> {
        let x = self.value();
        let shape = x.shape().to_vec();
        let (nrows, l_in) = rows(&shape, "interpolate1d");
        assert!(
            l_in > 0 && size > 0,
            "interpolate1d: cannot resample {shape:?} to length {size}"
        );
        let tp = taps(mode, l_in, size);
        let mut out = vec![0.0; nrows * size];
        for (xr, or) in x.data().chunks_exact(l_in).zip(out.chunks_exact_mut(size)) {
            for (o, t) in or.iter_mut().zip(&tp) {
                *o = t.w0 * xr[t.i0] + t.w1 * xr[t.i1];
            }
        }
        let mut out_shape = shape.clone();
        *out_shape.last_mut().expect("checked by rows") = size; // [.., L_in] -> [.., size]
        self.tape
            .record(Tensor::from_vec(&out_shape, out), &[self], move |g, _| {
                let tp = taps(mode, l_in, size);
                let mut gx = vec![0.0; nrows * l_in];
                for (gr, dr) in g.data().chunks_exact(size).zip(gx.chunks_exact_mut(l_in)) {
                    for (&gv, t) in gr.iter().zip(&tp) {
                        dr[t.i0] += t.w0 * gv;
                        dr[t.i1] += t.w1 * gv;
                    }
                }
                vec![Some(Tensor::from_vec(&shape, gx))]
            })
    }
}
