//! The web page's entry point (built by Trunk for wasm32).

fn main() {
    // The same module also runs in the training worker, which has no page to mount.
    #[cfg(target_arch = "wasm32")]
    if web_sys::window().is_some() {
        melodeon::app::start();
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("melodeon-web is the web page: build it with `./dev serve` (Trunk, wasm32).");
}
