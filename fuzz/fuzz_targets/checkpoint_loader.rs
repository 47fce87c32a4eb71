//! The checkpoint loader: a saved directory (`neuralforecast.ndiv`, `model-0.ndiv`) from
//! arbitrary bytes, then a forecast when it loads. Input: a mode byte, the length of the state
//! file's payload (u16 LE), the state payload, then the model payload. With an even mode byte
//! each payload is framed as a valid checkpoint (magic, version, length, CRC), so mutations reach
//! the decoder and the model builder; with an odd one the bytes are the files themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neurodiv::core::checkpoint::{FORMAT_VERSION, MAGIC};
use neurodiv::prelude::NeuralForecast;
use std::path::PathBuf;

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("neurodiv-fuzz-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (mode, len) = (data[0], u16::from_le_bytes([data[1], data[2]]) as usize);
    let rest = &data[3..];
    let (state, model) = rest.split_at(len.min(rest.len()));
    let (state, model) = if mode % 2 == 0 {
        (frame(state), frame(model))
    } else {
        (state.to_vec(), model.to_vec())
    };
    let d = dir();
    std::fs::write(d.join("neuralforecast.ndiv"), state).expect("write");
    std::fs::write(d.join("model-0.ndiv"), model).expect("write");
    if let Ok(nf) = NeuralForecast::load(&d) {
        let _ = nf.predict(None);
    }
});
