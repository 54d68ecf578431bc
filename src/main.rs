//! `melodeon`, the native command line (see `melodeon --help`).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> anyhow::Result<()> {
    melodeon::cli::run()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
