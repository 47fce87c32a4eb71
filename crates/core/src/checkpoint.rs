//! The versioned checkpoint container.
//!
//! Layout: the 8-byte magic `NDIVCKPT`, the format version (u32, little endian), the payload
//! length (u64 LE), the payload (serde + bincode 2, standard configuration, decoded with a size
//! limit), and the CRC-32 of the payload (u32 LE). Loading a file of another version, a
//! truncated file, a corrupted one or a foreign one gives a typed [`CheckpointError`].

use serde::Serialize;
use serde::de::DeserializeOwned;

/// First bytes of every checkpoint file.
pub const MAGIC: &[u8; 8] = b"NDIVCKPT";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest payload a checkpoint may hold (bytes); guards against unbounded allocation.
pub const MAX_PAYLOAD: u64 = 1 << 30;
/// Most f32 values a checkpoint can hold ([`MAX_PAYLOAD`] / 4): the registry builds no larger
/// model, since it could not be saved.
pub const MAX_VALUES: usize = (MAX_PAYLOAD / 4) as usize;
const HEADER: usize = 8 + 4 + 8;

/// Why a checkpoint could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The bytes do not start with the checkpoint magic.
    #[error("not a Neuro-Divergent checkpoint (bad magic bytes)")]
    NotACheckpoint,
    /// Written by another format version.
    #[error(
        "checkpoint format version {found} is not supported (this build reads version {expected})"
    )]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// Shorter than its header says.
    #[error("checkpoint is truncated: {expected} bytes expected, {found} present")]
    Truncated {
        /// Bytes the header announces.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// Announces a payload larger than [`MAX_PAYLOAD`].
    #[error("checkpoint payload of {0} bytes exceeds the limit of {MAX_PAYLOAD} bytes")]
    TooLarge(u64),
    /// The checksum does not match the payload.
    #[error("checkpoint is corrupted (checksum mismatch)")]
    Corrupted,
    /// The payload does not decode into the expected structure.
    #[error("checkpoint payload does not decode: {0}")]
    Decode(String),
    /// The value could not be encoded.
    #[error("checkpoint could not be encoded: {0}")]
    Encode(String),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<{ MAX_PAYLOAD as usize }>()
}

/// Encodes `value` into a checkpoint.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CheckpointError> {
    let payload = bincode::serde::encode_to_vec(value, config())
        .map_err(|e| CheckpointError::Encode(e.to_string()))?;
    let mut out = Vec::with_capacity(HEADER + payload.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    Ok(out)
}

/// Decodes a checkpoint written by [`encode`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CheckpointError> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(CheckpointError::NotACheckpoint);
    }
    if bytes.len() < HEADER {
        return Err(CheckpointError::Truncated {
            expected: HEADER as u64,
            found: bytes.len() as u64,
        });
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(CheckpointError::UnsupportedVersion {
            found: version,
            expected: FORMAT_VERSION,
        });
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    if len > MAX_PAYLOAD {
        return Err(CheckpointError::TooLarge(len));
    }
    let total = HEADER as u64 + len + 4;
    if (bytes.len() as u64) < total {
        return Err(CheckpointError::Truncated {
            expected: total,
            found: bytes.len() as u64,
        });
    }
    let payload = &bytes[HEADER..HEADER + len as usize];
    let crc = u32::from_le_bytes(
        bytes[HEADER + len as usize..total as usize]
            .try_into()
            .expect("4 bytes"),
    );
    if crc != crc32fast::hash(payload) {
        return Err(CheckpointError::Corrupted);
    }
    let (value, used) = bincode::serde::decode_from_slice(payload, config())
        .map_err(|e| CheckpointError::Decode(e.to_string()))?;
    if used != payload.len() {
        return Err(CheckpointError::Decode(format!(
            "{} trailing bytes",
            payload.len() - used
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Thing {
        name: String,
        values: Vec<f32>,
    }

    fn sample() -> Vec<u8> {
        encode(&Thing {
            name: "x".into(),
            values: vec![1.0, 2.5, -3.0],
        })
        .unwrap()
    }

    #[test]
    fn round_trip() {
        let t: Thing = decode(&sample()).unwrap();
        assert_eq!(
            t,
            Thing {
                name: "x".into(),
                values: vec![1.0, 2.5, -3.0]
            }
        );
    }

    #[test]
    fn every_truncation_is_a_typed_error() {
        let b = sample();
        for n in 0..b.len() {
            assert!(
                decode::<Thing>(&b[..n]).is_err(),
                "prefix of {n} bytes decoded"
            );
        }
    }

    #[test]
    fn corruption_version_and_foreign_files() {
        let mut b = sample();
        let last = b.len() - 6;
        b[last] ^= 0xFF;
        assert!(matches!(
            decode::<Thing>(&b),
            Err(CheckpointError::Corrupted)
        ));
        let mut b = sample();
        b[8] = 9;
        assert!(matches!(
            decode::<Thing>(&b),
            Err(CheckpointError::UnsupportedVersion { found: 9, .. })
        ));
        assert!(matches!(
            decode::<Thing>(b"hello world, not a checkpoint"),
            Err(CheckpointError::NotACheckpoint)
        ));
        let mut b = sample();
        b[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            decode::<Thing>(&b),
            Err(CheckpointError::TooLarge(_))
        ));
    }

    #[test]
    fn wrong_structure_is_a_decode_error() {
        let b = encode(&(1u8, 2u8)).unwrap();
        assert!(matches!(
            decode::<Thing>(&b),
            Err(CheckpointError::Decode(_))
        ));
    }
}
