//! The Leptos (client-side rendered) page. A thin layer over the core: it owns the DOM,
//! the browser's storage and the choice of device, and nothing of parsing or modelling.

mod engine;
mod panic;
mod settings;
mod status;

use leptos::prelude::*;

pub use panic::show_banner;

/// Entry point of the page: installs the panic hook and mounts the app on `<body>`.
pub fn start() {
    panic::install_hook();
    leptos::mount::mount_to_body(App);
    panic::trigger_if_asked();
}

/// The whole page.
#[component]
fn App() -> impl IntoView {
    view! {
        <header class="top">
            <h1>"Melodeon"</h1>
            <p class="tagline">"Learns folk melodies and writes new ones, entirely in your browser."</p>
        </header>
        <main>
            <status::StatusBar />
        </main>
    }
}
