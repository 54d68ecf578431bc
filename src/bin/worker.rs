//! The page's worker module (built by Trunk for wasm32, with burn): `public/worker.js` loads it
//! in a dedicated Web Worker and calls `melodeon_worker` (see `app::worker`).

fn main() {
    // wasm-bindgen's start: runs before `melodeon_worker` (or the benchmarks) is called.
    #[cfg(target_arch = "wasm32")]
    melodeon::app::init_module();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("melodeon-worker is the page's worker: build it with `./dev serve` (Trunk, wasm32).");
}
