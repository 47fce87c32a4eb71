//! Tiled flash attention, forward and backward, on the CPU.
//!
//! Dao, Fu, Ermon, Rudra, Ré, "FlashAttention: Fast and Memory-Efficient Exact Attention with
//! IO-Awareness", NeurIPS 2022 (arXiv:2205.14135), and Dao, "FlashAttention-2" (arXiv:2307.08691).
//! The scores of a block of [`BLOCK_Q`] queries against a block of [`BLOCK_K`] keys live in a
//! small buffer; an online softmax (a running maximum and denominator per query, the partial
//! output rescaled when the maximum grows) folds the key blocks one after the other, so the
//! `L x S` score matrix is never stored. The forward keeps the output and each query's
//! log-sum-exp; the backward recomputes the probabilities block by block from them.
//!
//! Every (batch, head) pair is one task, computed start to finish on one thread in a fixed
//! order: the result has the same bits with any number of threads. Attention dropout draws its
//! mask from a counter-based hash of `(seed, pair, query, key)`, so the backward regenerates the
//! forward's mask without storing it.

use neurodiv_autodiff::{Tensor, Var};
use neurodiv_kernels::{Rng, Trans, elementwise, gemm_serial};
use rayon::prelude::*;
use std::borrow::Cow;

/// Queries per block.
pub const BLOCK_Q: usize = 64;
/// Keys per block.
pub const BLOCK_K: usize = 64;

/// Options shared by [`flash_attention`] and [`attention_reference`](crate::attention_reference).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttentionOptions {
    /// Factor on the scores `q · k`; `None` is `1 / sqrt(E)` for keys of size `E`.
    pub scale: Option<f32>,
    /// Query `i` attends only to keys `j <= i` (top-left aligned, as `torch.triu(.., 1)` masks).
    pub causal: bool,
    /// Probability of zeroing an attention weight in training (the rest scaled by `1 / (1 - p)`).
    pub dropout: f32,
}

impl Default for AttentionOptions {
    fn default() -> Self {
        AttentionOptions {
            scale: None,
            causal: false,
            dropout: 0.0,
        }
    }
}

/// Sizes and settings of one call.
#[derive(Debug, Clone, Copy)]
struct Dims {
    l: usize,
    s: usize,
    e: usize,
    d: usize,
    scale: f32,
    causal: bool,
    /// `(p, 1 / (1 - p), seed)` when dropout is active.
    drop: Option<(f32, f32, u64)>,
}

impl Dims {
    /// The dropout factor of weight `(i, j)` of pair `n`: 0 or `1 / (1 - p)`.
    #[inline]
    fn keep(&self, n: usize, i: usize, j: usize) -> f32 {
        let Some((p, inv, seed)) = self.drop else {
            return 1.0;
        };
        let idx = ((n * self.l + i) * self.s + j) as u64;
        // splitmix64 of the element's index, offset by the seed.
        let mut z = seed ^ idx.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let u = (z >> 40) as f32 * (1.0 / (1u64 << 24) as f32);
        if u >= p { inv } else { 0.0 }
    }

    /// One past the last key query `i` may see.
    #[inline]
    fn key_end(&self, i: usize) -> usize {
        if self.causal {
            (i + 1).min(self.s)
        } else {
            self.s
        }
    }
}

/// `scores[r, c] = scale * q[i0 + r] · k[j0 + c]`, `-inf` where the causal mask hides `(i, j)`.
fn block_scores(
    dm: &Dims,
    q: &[f32],
    k: &[f32],
    (i0, br): (usize, usize),
    (j0, bc): (usize, usize),
    out: &mut [f32],
) {
    let e = dm.e;
    // [br, E] · [bc, E]ᵀ -> [br, bc]
    gemm_serial(
        Trans::N,
        Trans::T,
        br,
        bc,
        e,
        dm.scale,
        &q[i0 * e..(i0 + br) * e],
        &k[j0 * e..(j0 + bc) * e],
        0.0,
        out,
    );
    if dm.causal {
        for (r, row) in out.chunks_exact_mut(bc).enumerate() {
            let end = dm.key_end(i0 + r).saturating_sub(j0).min(bc);
            row[end..].fill(f32::NEG_INFINITY);
        }
    }
}

/// The forward of pair `n`: `o` `[L, D]` and `lse` `[L]` from `q` `[L, E]`, `k` `[S, E]`, `v` `[S, D]`.
fn forward_pair(
    dm: &Dims,
    n: usize,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    o: &mut [f32],
    lse: &mut [f32],
) {
    let d = dm.d;
    let mut sc = vec![0.0f32; BLOCK_Q * BLOCK_K];
    let mut pr = vec![0.0f32; BLOCK_Q * BLOCK_K];
    let mut acc = vec![0.0f32; BLOCK_Q * d];
    let mut m = [f32::NEG_INFINITY; BLOCK_Q];
    let mut den = [0.0f32; BLOCK_Q];
    for i0 in (0..dm.l).step_by(BLOCK_Q) {
        let br = BLOCK_Q.min(dm.l - i0);
        m[..br].fill(f32::NEG_INFINITY);
        den[..br].fill(0.0);
        acc[..br * d].fill(0.0);
        let kend = dm.key_end(i0 + br - 1);
        for j0 in (0..kend).step_by(BLOCK_K) {
            let bc = BLOCK_K.min(kend - j0);
            let (sc, pr) = (&mut sc[..br * bc], &mut pr[..br * bc]);
            block_scores(dm, q, k, (i0, br), (j0, bc), sc);
            for r in 0..br {
                let (srow, prow) = (&mut sc[r * bc..(r + 1) * bc], &mut pr[r * bc..(r + 1) * bc]);
                let top = srow.iter().copied().fold(m[r], f32::max);
                if top == f32::NEG_INFINITY {
                    prow.fill(0.0); // nothing visible yet in this row
                    continue;
                }
                srow.iter_mut().for_each(|x| *x -= top);
                elementwise::exp(srow, prow);
                let corr = (m[r] - top).exp(); // 0 while the row had nothing
                den[r] = den[r] * corr + prow.iter().sum::<f32>();
                elementwise::scale(corr, &mut acc[r * d..(r + 1) * d]);
                m[r] = top;
                if dm.drop.is_some() {
                    for (c, p) in prow.iter_mut().enumerate() {
                        *p *= dm.keep(n, i0 + r, j0 + c);
                    }
                }
            }
            // acc [br, D] += P [br, bc] · V [bc, D]
            gemm_serial(
                Trans::N,
                Trans::N,
                br,
                d,
                bc,
                1.0,
                pr,
                &v[j0 * d..(j0 + bc) * d],
                1.0,
                &mut acc[..br * d],
            );
        }
        for r in 0..br {
            let inv = 1.0 / den[r];
            let orow = &mut o[(i0 + r) * d..(i0 + r + 1) * d];
            orow.iter_mut()
                .zip(&acc[r * d..(r + 1) * d])
                .for_each(|(o, a)| *o = a * inv);
            lse[i0 + r] = m[r] + den[r].ln();
        }
    }
}

/// Tensors the backward of pair `n` reads.
struct Saved<'a> {
    q: &'a [f32],
    k: &'a [f32],
    v: &'a [f32],
    o: &'a [f32],
    lse: &'a [f32],
    go: &'a [f32],
}

/// The backward of pair `n`: `gq` `[L, E]`, `gk` `[S, E]`, `gv` `[S, D]` (zeroed on entry).
fn backward_pair(
    dm: &Dims,
    n: usize,
    t: Saved<'_>,
    gq: &mut [f32],
    gk: &mut [f32],
    gv: &mut [f32],
) {
    let (e, d) = (dm.e, dm.d);
    // D_i = dO_i · O_i, the row sums of dA ∘ A (dropout included).
    let rowdot: Vec<f32> =
        t.go.chunks_exact(d)
            .zip(t.o.chunks_exact(d))
            .map(|(g, o)| g.iter().zip(o).map(|(a, b)| a * b).sum())
            .collect();
    let mut sc = vec![0.0f32; BLOCK_Q * BLOCK_K];
    let mut pr = vec![0.0f32; BLOCK_Q * BLOCK_K];
    let mut dp = vec![0.0f32; BLOCK_Q * BLOCK_K];
    let mut z = vec![0.0f32; BLOCK_Q * BLOCK_K];
    for j0 in (0..dm.s).step_by(BLOCK_K) {
        let bc = BLOCK_K.min(dm.s - j0);
        let (gk_b, gv_b) = (
            &mut gk[j0 * e..(j0 + bc) * e],
            &mut gv[j0 * d..(j0 + bc) * d],
        );
        let (k_b, v_b) = (&t.k[j0 * e..(j0 + bc) * e], &t.v[j0 * d..(j0 + bc) * d]);
        // With the causal mask, query blocks that end before key j0 see none of this block.
        let first = if dm.causal { j0 / BLOCK_Q * BLOCK_Q } else { 0 };
        for i0 in (first..dm.l).step_by(BLOCK_Q) {
            let br = BLOCK_Q.min(dm.l - i0);
            let (sc, pr, dp) = (&mut sc[..br * bc], &mut pr[..br * bc], &mut dp[..br * bc]);
            block_scores(dm, t.q, t.k, (i0, br), (j0, bc), sc);
            for r in 0..br {
                let srow = &mut sc[r * bc..(r + 1) * bc];
                let l = t.lse[i0 + r];
                srow.iter_mut().for_each(|x| *x -= l);
                elementwise::exp(srow, &mut pr[r * bc..(r + 1) * bc]);
            }
            // z <- the dropout factors Z of the block (none without dropout); sc <- A ∘ Z.
            let z = &mut z[..if dm.drop.is_some() { br * bc } else { 0 }];
            for (i, f) in z.iter_mut().enumerate() {
                *f = dm.keep(n, i0 + i / bc, j0 + i % bc);
            }
            if z.is_empty() {
                sc.copy_from_slice(pr);
            } else {
                sc.iter_mut()
                    .zip(pr.iter().zip(z.iter()))
                    .for_each(|(s, (p, f))| *s = p * f);
            }
            let (q_b, go_b) = (&t.q[i0 * e..(i0 + br) * e], &t.go[i0 * d..(i0 + br) * d]);
            // dV [bc, D] += (A ∘ Z)ᵀ [bc, br] · dO [br, D]
            gemm_serial(Trans::T, Trans::N, bc, d, br, 1.0, sc, go_b, 1.0, gv_b);
            // dP [br, bc] = dO [br, D] · Vᵀ [D, bc]
            gemm_serial(Trans::N, Trans::T, br, bc, d, 1.0, go_b, v_b, 0.0, dp);
            // dS = A ∘ (dP ∘ Z - D_i)
            for r in 0..br {
                let row = r * bc..(r + 1) * bc;
                let di = rowdot[i0 + r];
                let (dpr, prr) = (&mut dp[row.clone()], &pr[row.clone()]);
                if z.is_empty() {
                    dpr.iter_mut()
                        .zip(prr)
                        .for_each(|(g, p)| *g = p * (*g - di));
                } else {
                    let zr = &z[row];
                    dpr.iter_mut()
                        .zip(prr.iter().zip(zr))
                        .for_each(|(g, (p, f))| *g = p * (*g * f - di));
                }
            }
            // dQ [br, E] += scale dS [br, bc] · K [bc, E]
            let gq_b = &mut gq[i0 * e..(i0 + br) * e];
            gemm_serial(Trans::N, Trans::N, br, e, bc, dm.scale, dp, k_b, 1.0, gq_b);
            // dK [bc, E] += scale dSᵀ [bc, br] · Q [br, E]
            gemm_serial(Trans::T, Trans::N, bc, e, br, dm.scale, dp, q_b, 1.0, gk_b);
        }
    }
}

/// Pair `n`'s `rows x width` block of `src` stored `[batch, rows, heads, width]`: borrowed when
/// `heads == 1` (the rows are contiguous), gathered otherwise.
fn pair_rows(src: &[f32], n: usize, (rows, width, heads): (usize, usize, usize)) -> Cow<'_, [f32]> {
    if heads == 1 {
        return Cow::Borrowed(&src[n * rows * width..(n + 1) * rows * width]);
    }
    let (b, h) = (n / heads, n % heads);
    let mut v = Vec::with_capacity(rows * width);
    for i in 0..rows {
        let at = ((b * rows + i) * heads + h) * width;
        v.extend_from_slice(&src[at..at + width]);
    }
    Cow::Owned(v)
}

/// Writes head `h`'s `rows x width` block into one batch entry's rows `[rows, heads, width]`.
fn put_rows(dst: &mut [f32], h: usize, (rows, width, heads): (usize, usize, usize), src: &[f32]) {
    for i in 0..rows {
        let at = (i * heads + h) * width;
        dst[at..at + width].copy_from_slice(&src[i * width..(i + 1) * width]);
    }
}

/// Attention `softmax(scale q kᵀ) v` without the score matrix: `q` `[..., L, E]`, `k`
/// `[..., S, E]`, `v` `[..., S, D]` with the same leading (batch, head) axes -> `[..., L, D]`.
/// Memory is `O((L + S) (E + D))` per pair, forward and backward. Dropout (on the attention
/// weights, as `torch.nn.functional.scaled_dot_product_attention` applies it) is active only
/// on training tapes and then draws one seed from `rng`.
///
/// # Panics
/// When the shapes do not fit together or an axis is empty (a bug of the caller).
pub fn flash_attention<'t>(
    q: Var<'t>,
    k: Var<'t>,
    v: Var<'t>,
    opts: AttentionOptions,
    rng: &mut Rng,
) -> Var<'t> {
    let (qs, ks, vs) = (q.shape(), k.shape(), v.shape());
    let r = qs.len();
    assert!(
        r >= 2
            && ks.len() == r
            && vs.len() == r
            && qs[..r - 2] == ks[..r - 2]
            && ks[..r - 1] == vs[..r - 1]
            && qs[r - 1] == ks[r - 1],
        "flash_attention: q {qs:?}, k {ks:?}, v {vs:?} do not fit [.., L, E], [.., S, E], [.., S, D]"
    );
    let pairs: usize = qs[..r - 2].iter().product();
    let sizes = (qs[r - 2], ks[r - 2], qs[r - 1], vs[r - 1]);
    let mut out_shape = qs.clone();
    out_shape[r - 1] = vs[r - 1];
    attend(q, k, v, (pairs, 1), sizes, &out_shape, opts, rng)
}

/// [`flash_attention`] on the heads of projected sequences, without moving them apart:
/// `q` `[B, L, H, E]`, `k` `[B, S, H, E]`, `v` `[B, S, H, D]` -> `[B, L, H, D]` (the layout of
/// a linear projection to `H * E` features, reshaped). Same values as
/// [`flash_attention`] on the `[B, H, T, E]` transposes, transposed back.
///
/// # Panics
/// When the shapes do not fit together or an axis is empty (a bug of the caller).
pub fn flash_attention_heads<'t>(
    q: Var<'t>,
    k: Var<'t>,
    v: Var<'t>,
    opts: AttentionOptions,
    rng: &mut Rng,
) -> Var<'t> {
    let (qs, ks, vs) = (q.shape(), k.shape(), v.shape());
    assert!(
        qs.len() == 4
            && ks.len() == 4
            && vs.len() == 4
            && qs[0] == ks[0]
            && qs[2] == ks[2]
            && qs[3] == ks[3]
            && ks[..3] == vs[..3],
        "flash_attention_heads: q {qs:?}, k {ks:?}, v {vs:?} do not fit [B, L, H, E], [B, S, H, E], [B, S, H, D]"
    );
    let (heads, pairs) = (qs[2], qs[0] * qs[2]);
    let sizes = (qs[1], ks[1], qs[3], vs[3]);
    let out_shape = [qs[0], qs[1], qs[2], vs[3]];
    attend(q, k, v, (pairs, heads), sizes, &out_shape, opts, rng)
}

/// The op behind both layouts: `pairs` (batch x heads) of sizes `(L, S, E, D)`, heads
/// interleaved in the rows when `heads > 1`.
#[allow(clippy::too_many_arguments)]
fn attend<'t>(
    q: Var<'t>,
    k: Var<'t>,
    v: Var<'t>,
    (pairs, heads): (usize, usize),
    (l, s, e, d): (usize, usize, usize, usize),
    out_shape: &[usize],
    opts: AttentionOptions,
    rng: &mut Rng,
) -> Var<'t> {
    assert!(
        l > 0 && s > 0 && e > 0 && d > 0,
        "flash_attention: empty axis in q {:?}, k {:?}, v {:?}",
        q.shape(),
        k.shape(),
        v.shape()
    );
    let drop = (opts.dropout > 0.0 && q.tape().is_training()).then(|| {
        assert!(
            opts.dropout < 1.0,
            "flash_attention: dropout {} is not below 1",
            opts.dropout
        );
        (opts.dropout, 1.0 / (1.0 - opts.dropout), rng.next_u64())
    });
    let dm = Dims {
        l,
        s,
        e,
        d,
        scale: opts.scale.unwrap_or(1.0 / (e as f32).sqrt()),
        causal: opts.causal,
        drop,
    };
    let (qt, kt, vt) = (q.value(), k.value(), v.value());
    let (ql, kl, vl, ol) = ((l, e, heads), (s, e, heads), (s, d, heads), (l, d, heads));
    // One task per batch entry (its heads in turn), writing only its own rows: the outputs
    // need no second buffer, and each pair is computed alike with any number of threads.
    let mut o = vec![0.0f32; pairs * l * d];
    let mut lse = vec![0.0f32; pairs * l]; // [pairs, L]
    o.par_chunks_mut(heads * l * d)
        .zip(lse.par_chunks_mut(heads * l))
        .enumerate()
        .for_each(|(b, (oc, lc))| {
            let mut block = vec![0.0f32; l * d];
            for h in 0..heads {
                let n = b * heads + h;
                let (qn, kn, vn) = (
                    pair_rows(qt.data(), n, ql),
                    pair_rows(kt.data(), n, kl),
                    pair_rows(vt.data(), n, vl),
                );
                forward_pair(
                    &dm,
                    n,
                    &qn,
                    &kn,
                    &vn,
                    &mut block,
                    &mut lc[h * l..(h + 1) * l],
                );
                put_rows(oc, h, ol, &block);
            }
        });
    let out = Tensor::from_vec(out_shape, o);
    let ot = out.clone();
    let (qs, ks, vs) = (
        qt.shape().to_vec(),
        kt.shape().to_vec(),
        vt.shape().to_vec(),
    );
    q.tape().custom_op(out, &[q, k, v], move |g, _needs| {
        let mut gq = vec![0.0f32; pairs * l * e];
        let mut gk = vec![0.0f32; pairs * s * e];
        let mut gv = vec![0.0f32; pairs * s * d];
        gq.par_chunks_mut(heads * l * e)
            .zip(gk.par_chunks_mut(heads * s * e))
            .zip(gv.par_chunks_mut(heads * s * d))
            .enumerate()
            .for_each(|(b, ((gqc, gkc), gvc))| {
                let (mut bq, mut bk, mut bv) = (
                    vec![0.0f32; l * e],
                    vec![0.0f32; s * e],
                    vec![0.0f32; s * d],
                );
                for h in 0..heads {
                    let n = b * heads + h;
                    let saved = Saved {
                        q: &pair_rows(qt.data(), n, ql),
                        k: &pair_rows(kt.data(), n, kl),
                        v: &pair_rows(vt.data(), n, vl),
                        o: &pair_rows(ot.data(), n, ol),
                        lse: &lse[n * l..(n + 1) * l],
                        go: &pair_rows(g.data(), n, ol),
                    };
                    for buf in [&mut bq, &mut bk, &mut bv] {
                        buf.fill(0.0);
                    }
                    backward_pair(&dm, n, saved, &mut bq, &mut bk, &mut bv);
                    put_rows(gqc, h, ql, &bq);
                    put_rows(gkc, h, kl, &bk);
                    put_rows(gvc, h, vl, &bv);
                }
            });
        vec![
            Some(Tensor::from_vec(&qs, gq)),
            Some(Tensor::from_vec(&ks, gk)),
            Some(Tensor::from_vec(&vs, gv)),
        ]
    })
}
