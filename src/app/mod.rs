//! The Leptos (client-side rendered) page. A thin layer over the core: it owns the DOM,
//! the browser's storage, audio and the choice of device, and nothing of parsing or modelling.

mod browser;
mod compare_panel;
mod corpus_panel;
mod corpus_songs;
mod engine;
mod files;
mod generator;
mod history;
mod loss_chart;
mod model_card;
mod model_store;
mod models_panel;
mod offline;
mod panic;
mod player;
mod protocol;
mod settings;
mod staff;
mod state;
mod status;
mod train_panel;
mod training;
mod tune_card;
mod worker;

use leptos::prelude::*;
use leptos::task::spawn_local;

pub use panic::show_banner;
use state::{AppState, ModelState, PRETRAINED, Startup};
use training::Training;

use crate::backend::CpuBackend;
use crate::export::link;
use crate::model::check;

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
    provide_context(Training::new());
    open_shared_link(state);
    keyboard_shortcuts(state);
    spawn_local(async move {
        load_models(state).await;
        // Starting WebGPU and compiling the check's kernels holds this thread for a while:
        // the check comes after the model is ready (or failed), once a first tune could be
        // written.
        browser::sleep(CHECK_AFTER_MODEL_MS).await;
        check_device(state).await;
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
        <offline::UpdateBanner />
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

/// Milliseconds between the model being ready and the device check starting.
const CHECK_AFTER_MODEL_MS: i32 = 1000;

/// Starts the device and runs the start-up check, for the status bar. Generation runs on
/// the CPU and never waits for this (WebGPU can take seconds to start): see [`load_models`].
async fn check_device(state: AppState) {
    let engine = engine::start(settings::force_cpu()).await;
    let outcome = check::startup_check(&engine.device).await;
    state.startup.set(match outcome {
        Ok(values) => Startup::Ready {
            info: engine.info.clone(),
            values,
            millis: browser::clock_ms(),
        },
        Err(error) => Startup::Failed {
            info: engine.info.clone(),
            error,
        },
    });
}

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

/// Speed figures of this browser for `tests/browser/bench.mjs` (and the curious, from the
/// console: `await wasmBindings.melodeon_bench(10)`): the seed's training step and 256-token
/// generation on each CPU backend, as a JSON string.
#[wasm_bindgen::prelude::wasm_bindgen]
pub async fn melodeon_bench(steps: usize) -> String {
    use crate::bench::{Method, gen_speed, train_speed};
    let mut figures = serde_json::Map::new();
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
    let inputs = protocol::input_files(&files);
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
