//! Lane operations that pulp provides only as default trait methods (plain `#[inline]`),
//! rewritten as `#[inline(always)]` over the ISA-specific methods. A default method that LLVM
//! leaves out of line is compiled without the target features, so its intrinsics become calls;
//! going through these keeps every kernel body in one target-feature function.

use pulp::Simd;
use pulp::bytemuck::Pod;

/// Reinterprets the bits of `a` as a `B` of the same size.
///
/// Through a union rather than `pulp::cast`: that one reads through a pointer, and with debug
/// assertions on (the test profile) the standard library's pointer checks stop LLVM from keeping
/// the vectors in registers.
#[inline(always)]
fn cast<A: Pod, B: Pod>(a: A) -> B {
    const { assert!(size_of::<A>() == size_of::<B>()) };
    #[repr(C)]
    union Bits<A: Copy, B: Copy> {
        a: A,
        b: B,
    }
    // SAFETY: both types are plain old data of the same size, so every bit pattern of `a` is a
    // valid `B`.
    unsafe { Bits { a }.b }
}

/// `mask ? a : b` lane-wise.
#[inline(always)]
pub(crate) fn select<S: Simd>(s: S, mask: S::m32s, a: S::f32s, b: S::f32s) -> S::f32s {
    cast(s.select_u32s(mask, cast(a), cast(b)))
}

/// `|x|` (clears the sign bit; NaN stays NaN).
#[inline(always)]
pub(crate) fn abs<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    from_bits(s, s.and_u32s(bits(s, x), s.splat_u32s(0x7FFF_FFFF)))
}

/// `-x` (flips the sign bit).
#[inline(always)]
pub(crate) fn neg<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    s.xor_f32s(x, s.splat_f32s(-0.0))
}

/// The bits of each lane.
#[inline(always)]
pub(crate) fn bits<S: Simd>(_s: S, x: S::f32s) -> S::u32s {
    cast(x)
}

/// Lanes from their bits.
#[inline(always)]
pub(crate) fn from_bits<S: Simd>(_s: S, x: S::u32s) -> S::f32s {
    cast(x)
}
