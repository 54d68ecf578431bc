//! The web page's entry point (built by Trunk for wasm32).

#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    /// Runs the module's static constructors (CubeCL registers its kernels' parts with
    /// `inventory`). When a module never calls it, wasm-ld wraps every export in a call to it,
    /// and every call from JavaScript into Rust (each DOM node the page builds) ran all of
    /// them again; one explicit call, here, turns that wrapping off.
    fn __wasm_call_ctors();
}

fn main() {
    // `main` runs first in the page and in the training worker alike (wasm-bindgen's start).
    #[cfg(target_arch = "wasm32")]
    // SAFETY: called once, before any other Rust code of the module runs.
    unsafe {
        __wasm_call_ctors();
    }
    // The same module also runs in the training worker, which has no page to mount.
    #[cfg(target_arch = "wasm32")]
    if web_sys::window().is_some() {
        melodeon::app::start();
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("melodeon-web is the web page: build it with `./dev serve` (Trunk, wasm32).");
}
