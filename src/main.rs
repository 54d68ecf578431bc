//! `melodeon`, the native command line (see `melodeon --help`).

#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    melodeon::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
