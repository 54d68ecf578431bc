//! Speed figures of this browser for `tests/browser/bench.mjs`, which loads the worker's
//! module into the page for them (not part of the page's work).

use crate::backend::CpuBackend;

/// Speed figures of this browser for `tests/browser/bench.mjs` (which loads this module into
/// the page for them), as a JSON string: the tutorial's training step and 256-token generation on
/// each CPU backend; with `webgpu`, instead the tutorial's step and the whole-song step on WebGPU
/// with the LSTM as Melodeon's GPU kernels and composed from burn's tensor operations, each
/// timed after an untimed pass.
#[wasm_bindgen::prelude::wasm_bindgen]
pub async fn melodeon_bench(steps: usize, webgpu: bool) -> String {
    use crate::bench::{Method, SONGS, gen_speed, train_speed, whole_song_speed};
    let mut figures = serde_json::Map::new();
    if webgpu {
        let engine = super::engine::start(false).await;
        if !engine.info.is_webgpu() {
            return serde_json::json!({ "webgpu": engine.info.label() }).to_string();
        }
        for (name, composed) in [("kernel", false), ("composed", true)] {
            crate::model::sequence::compose_always(composed);
            // An untimed pass first: the first training on a device pays once for compiling
            // each pipeline and growing the memory pool, which a training run of minutes does
            // not see (docs/speed.md, "Software GPUs").
            let _ = train_speed(&engine.device, steps).await;
            let _ = whole_song_speed(&engine.device, steps.min(3), SONGS).await;
            let train = train_speed(&engine.device, steps).await;
            let songs = whole_song_speed(&engine.device, steps.min(3), SONGS).await;
            figures.insert(
                name.into(),
                serde_json::json!({
                    "train_windows_per_s": train.ok(),
                    "whole_song_tokens_per_s": songs.ok(),
                }),
            );
        }
        crate::model::sequence::compose_always(false);
        return serde_json::Value::Object(figures).to_string();
    }
    for backend in [CpuBackend::Flex, CpuBackend::NdArray] {
        let device = backend.device();
        let train = train_speed(&device, steps).await;
        let kernel = gen_speed(&device, Method::Kernel).await;
        let burn = gen_speed(&device, Method::Burn).await;
        let refeed = gen_speed(&device, Method::Refeed).await;
        figures.insert(
            backend.name().into(),
            serde_json::json!({
                "train_windows_per_s": train.ok(),
                "gen_tokens_per_s": kernel.ok(),
                "burn_carried_tokens_per_s": burn.ok(),
                "refeed_tokens_per_s": refeed.ok(),
            }),
        );
    }
    serde_json::Value::Object(figures).to_string()
}

/// Parsing speed of this browser for `tests/browser/bench.mjs`: ingests `files` (an array of
/// `{ name, bytes }`) as an upload would and returns the report's totals and the time taken,
/// as a JSON string.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn melodeon_corpus_bench(files: js_sys::Array) -> String {
    let inputs = super::input_files(&files);
    let started = web_time::Instant::now();
    let corpus = crate::corpus::ingest(inputs, &Default::default());
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let totals = &corpus.report.totals;
    serde_json::json!({
        "files": totals.files, "songs": totals.songs, "accepted": totals.accepted,
        "tokens": totals.tokens, "ms": millis,
    })
    .to_string()
}
