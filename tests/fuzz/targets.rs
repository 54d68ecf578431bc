#![allow(dead_code)] // Each fuzz target uses one of these bodies.

//! The bodies of the fuzz targets: each takes arbitrary bytes and must never panic, hang or
//! allocate beyond the documented limits (files over `EncodeOptions::max_file_bytes` are not
//! read; zip members are limited the same way). Shared by the cargo-fuzz targets
//! (`tests/fuzz/fuzz_targets`) and the smoke test (`tests/fuzz_smoke.rs`).

use melodeon::corpus::{self, EncodeOptions, InputFile};
use melodeon::encoding::grid::Step;

/// A `**kern` file: parsed, then ingested (detection, encoding, the report).
pub fn kern(data: &[u8]) {
    let _ = corpus::kern::parse("fuzz.krn", &String::from_utf8_lossy(data));
    ingest("fuzz.krn", data);
}

/// An EsAC file: parsed, then ingested.
pub fn esac(data: &[u8]) {
    let _ = corpus::esac::parse("fuzz.sm", &String::from_utf8_lossy(data));
    ingest("fuzz.sm", data);
}

/// A zip archive: expanded and every member ingested.
pub fn zip(data: &[u8]) {
    ingest("fuzz.zip", data);
}

/// A model file, loaded onto the CPU as a burn network and read as plain arrays (the page's
/// way), then generated from for a few tokens when it reads.
pub fn model_file(data: &[u8]) {
    use melodeon::generate::Decoder as _;
    use std::future::Future as _;
    let _ = melodeon::model_file::load(data, &melodeon::backend::CpuBackend::default().device());
    if let Ok((header, weights)) = melodeon::model_file::read(data) {
        let context = vec![0; header.context().start_tokens().min(64)];
        let mut decoder = melodeon::generate::KernelDecoder::new(&weights, &context, &[]);
        for token in 0..4 {
            // The kernel's future is ready at once: one poll runs it.
            let mut step = std::pin::pin!(decoder.next_logits(Some((token, &[]))));
            let _ = step
                .as_mut()
                .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        }
    }
}

/// A share link's fragment.
pub fn share_link(data: &[u8]) {
    let _ = melodeon::export::link::decode(&String::from_utf8_lossy(data));
}

/// Opening notes as typed.
pub fn primer(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = melodeon::encoding::primer::parse(&text, Step::Sixteenth, 0);
    let _ = melodeon::encoding::primer::parse(&text, Step::ThirtySecond, 3);
}

fn ingest(name: &str, data: &[u8]) {
    let options = EncodeOptions::default();
    let _ = corpus::ingest(vec![InputFile::new(name, data.to_vec())], &options);
}
