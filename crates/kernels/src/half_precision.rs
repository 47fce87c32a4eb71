//! FP16 and BF16 storage with f32 accumulation.
