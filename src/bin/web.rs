//! The web page's entry point (built by Trunk for wasm32, without the `training` feature:
//! the page reads model files and generates with the plain CPU kernel).

fn main() {
    #[cfg(target_arch = "wasm32")]
    melodeon::app::start();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("melodeon-web is the web page: build it with `./dev serve` (Trunk, wasm32).");
}
