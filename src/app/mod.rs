//! The Leptos (client-side rendered) page. A thin layer over the core: it owns the DOM,
//! the browser's storage, audio and the choice of device, and nothing of parsing or modelling.

mod panels;
mod protocol;
mod services;
mod state;
#[cfg(feature = "training")]
mod worker;

use leptos::prelude::*;
use leptos::task::spawn_local;

use panels::{corpus_panel, generator, model_card, models_panel, status, train_panel, tune_card};
pub use services::panic::show_banner;
use services::{browser, offline, panic, player, preferences, training};
use state::{AppState, ModelState, PRETRAINED};
use training::Training;

use crate::export::link;

/// Where the shipped pretrained model is served from.
const PRETRAINED_URL: &str = "models/german.mdl";
/// The index of the shipped model's training songs (hashes and names, no notes), for the
/// comparison panel's near copies; fetched only when a comparison needs it.
pub(crate) const PRETRAINED_COPIES_URL: &str = "models/german.copies.json";

unsafe extern "C" {
    /// Runs the module's static constructors (CubeCL registers its kernels' parts with
    /// `inventory`). When a module never calls it, wasm-ld wraps every export in a call to it,
    /// and every call from JavaScript into Rust (each DOM node the page builds) ran all of
    /// them again; one explicit call turns that wrapping off.
    fn __wasm_call_ctors();
}

/// Readies the module before any other of its code runs: call once, first, from `main`.
pub fn init_module() {
    // SAFETY: called once, from `main`, before any other Rust code of the module runs.
    unsafe {
        __wasm_call_ctors();
    }
}

/// Entry point of the page: readies the module, installs the panic hook and mounts the app
/// on `<body>`.
pub fn start() {
    init_module();
    panic::install_hook();
    leptos::mount::mount_to_body(App);
    panic::trigger_if_asked();
}

/// The whole page.
#[component]
fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    let training = Training::new();
    provide_context(training);
    open_shared_link(state);
    keyboard_shortcuts(state);
    let update_ready = RwSignal::new(false);
    spawn_local(async move {
        load_models(state).await;
        offline::register(update_ready);
        // The device and its check run in the worker, whose module (with burn) is downloaded
        // only now: after the model is ready (or failed), once a first tune could be written.
        browser::sleep(CHECK_AFTER_MODEL_MS).await;
        training.check_device(state, preferences::force_cpu());
    });
    // The playhead follows the AudioContext clock; this only refreshes the screen.
    let audio = RwSignal::new(false);
    let _ = set_interval_with_handle(
        move || {
            state.refresh_position();
            let running = state.player.with_value(|p| p.audio_running());
            if audio.get_untracked() != running {
                audio.set(running);
            }
        },
        std::time::Duration::from_millis(40),
    );

    view! {
        <header class="top">
            <h1>"Melodeon"</h1>
            <p class="tagline">"Learns folk melodies and writes new ones, entirely in your browser."</p>
        </header>
        <offline::UpdateBanner ready=update_ready />
        {move || state.notice.get().map(|message| view! {
            <div class="banner notice" role="alert" data-testid="notice">
                <span>{message}</span>
                <button type="button" aria-label="Dismiss" on:click=move |_| state.notice.set(None)>"×"</button>
            </div>
        })}
        <main>
            <status::StatusBar />
            <div class="columns">
                <div>
                    <model_card::ModelCard />
                    <generator::GeneratePanel />
                </div>
                <tune_card::TuneList />
            </div>
            <section class="journey-two" aria-labelledby="own-heading">
                <h2 id="own-heading">"Train on your own songs"</h2>
                <p class="muted" data-testid="privacy">"Your files are read and trained on in this browser only: nothing is uploaded anywhere."</p>
                <div class="columns">
                    <div>
                        <corpus_panel::CorpusPanel />
                        <models_panel::ModelsPanel />
                    </div>
                    <train_panel::TrainPanel />
                </div>
            </section>
            <span hidden data-testid="audio-state" data-running=move || audio.get().to_string()></span>
        </main>
        <footer class="credits">
            "The pretrained model learnt from the Erk collection of the Essen Folksong Collection (Helmut Schaffrath; "
            "EsAC, Ewa Dahlig-Turek; **kern edition by CCARH), for research and non-commercial use only. "
            "Nothing you do here leaves your browser."
        </footer>
    }
}

/// Milliseconds between the model being ready and the worker starting for the device check
/// (generation runs on the CPU kernel and never waits for it).
const CHECK_AFTER_MODEL_MS: i32 = 1000;

/// Loads the pretrained model and the saved ones, and puts the chosen one to use.
async fn load_models(state: AppState) {
    state.model.set(ModelState::Loading(0, None));
    let bytes = browser::fetch_bytes(PRETRAINED_URL, |received, total| {
        state.model.set(ModelState::Loading(received, total));
    })
    .await;
    match bytes {
        Ok(bytes) => state.pretrained.set_value(Some(std::sync::Arc::new(bytes))),
        Err(message) => {
            state.model.set(ModelState::Failed(format!(
                "The pretrained model could not be loaded: {message}"
            )));
        }
    }
    state.refresh_models().await;
    let selected = state.selected.get_untracked();
    if state.model_bytes(&selected).is_some() {
        state.use_model(&selected);
    } else if state.pretrained.with_value(Option::is_some) {
        state.use_model(PRETRAINED);
    }
}

/// Space plays and pauses the tune being played (else the newest), the arrows move it by a
/// bar; not while typing or on a control that uses those keys itself.
fn keyboard_shortcuts(state: AppState) {
    use wasm_bindgen::JsCast;
    let _ = window_event_listener(leptos::ev::keydown, move |event| {
        let on_control = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| {
                e.closest("input, select, textarea, button, a[href], [contenteditable]")
                    .ok()
                    .flatten()
                    .is_some()
            });
        if on_control || event.alt_key() || event.ctrl_key() || event.meta_key() {
            return;
        }
        let playing = state.position.get_untracked().map(|p| p.tune);
        match event.key().as_str() {
            " " => {
                let Some(id) =
                    playing.or_else(|| state.tunes.with_untracked(|t| t.first().map(|t| t.id)))
                else {
                    return;
                };
                event.prevent_default();
                let button = document()
                    .query_selector(&format!(
                        "[data-testid=tune][data-id='{id}'] [data-testid=play]"
                    ))
                    .ok()
                    .flatten()
                    .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(button) = button {
                    button.click();
                }
            }
            key @ ("ArrowLeft" | "ArrowRight") => {
                let Some(id) = playing else {
                    return;
                };
                let bar = state.tunes.with_untracked(|tunes| {
                    tunes
                        .iter()
                        .find(|t| t.id == id)
                        .map(|t| player::Clock::new(t.presentation.meter, 0.0).bar)
                });
                let Some(bar) = bar else {
                    return;
                };
                event.prevent_default();
                let step = if key == "ArrowLeft" { -bar } else { bar };
                state.player.update_value(|p| p.move_by(step));
                state.refresh_position();
            }
            _ => {}
        }
    });
}

/// Adds the tune in the page address's `#tune=…` fragment to the history (once), or explains
/// why the link cannot be read.
fn open_shared_link(state: AppState) {
    let Some(hash) = web_sys::window().and_then(|w| w.location().hash().ok()) else {
        return;
    };
    if !hash.starts_with(&format!("#{}", link::FRAGMENT_KEY)) {
        return;
    }
    match link::decode(&hash) {
        Ok(shared) => {
            let already = state.tunes.with_untracked(|tunes| {
                tunes
                    .iter()
                    .any(|t| t.tune == shared.tune && t.presentation == shared.presentation)
            });
            if !already {
                state.add_tune(shared.title, shared.tune, shared.presentation);
            }
        }
        Err(err) => state
            .notice
            .set(Some(format!("{err}. Ask for the link again."))),
    }
}
