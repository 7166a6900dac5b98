//! The model file decoder: never panics on any bytes; for a model trained on small random
//! data, decode(encode(m)) encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perx_fuzz::core::eval::Interaction;
use perx_fuzz::core::recommend::codec::{from_bytes, to_bytes};
use perx_fuzz::core::recommend::{Model, Params};

fuzz_target!(|data: &[u8]| {
    let _ = from_bytes(data);
    // Also as a file with a valid signature, version and checksum around the bytes, so
    // the fuzzer reaches the header and the arrays.
    let mut framed = b"PERXRECM".to_vec();
    framed.extend_from_slice(&1u32.to_le_bytes());
    framed.extend_from_slice(data);
    let sum = <sha2::Sha256 as sha2::Digest>::digest(&framed);
    framed.extend_from_slice(&sum);
    let _ = from_bytes(&framed);

    // A tiny model from the bytes: pairs (user, movie) from consecutive bytes.
    if data.len() >= 8 {
        let pairs: Vec<Interaction> = data
            .chunks_exact(2)
            .take(64)
            .map(|p| Interaction {
                user: u32::from(p[0] % 16) + 1,
                movie: u32::from(p[1] % 24) + 1,
            })
            .collect();
        let params = Params {
            factors: 2,
            oversample: 2,
            ..Params::default()
        };
        if let Ok(model) = Model::fit(&pairs, params, "fuzz") {
            let bytes = to_bytes(&model);
            let back = from_bytes(&bytes).expect("a written model reads back");
            assert_eq!(to_bytes(&back), bytes);
        }
    }
});
