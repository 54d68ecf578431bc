//! The user's models: the shipped one and every model trained or loaded here, kept in
//! IndexedDB (or on the page, when the browser refuses to store them). Each can be chosen for generation, renamed, downloaded as a model file or
//! deleted; model files from disk are checked and added.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::services::browser;
use crate::app::services::model_store::{self, StoredModel};
use crate::app::state::{AppState, PRETRAINED};
use crate::model_file;

/// The list of models.
#[component]
pub fn ModelsPanel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let load_error = RwSignal::new(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let files = crate::app::services::files::files_of_input(&input);
        input.set_value("");
        spawn_local(async move {
            for (name, file) in files.files() {
                load_error.set(add_file(app, &name, &file).await.err());
            }
        });
    };
    view! {
        <section class="panel models" aria-labelledby="models-heading">
            <h3 id="models-heading">"3. Your models"</h3>
            <ul class="model-list" data-testid="model-list">
                <li data-testid="stored-model" data-id=PRETRAINED>
                    <span class="name">"Pretrained: German Essen songs"</span>
                    <span class="muted">" shipped with Melodeon"</span>
                    <span class="actions">
                        <UseButton id=PRETRAINED.to_string() />
                        <button type="button" on:click=move |_| {
                            if let Some(bytes) = app.model_bytes(PRETRAINED) {
                                report(app, browser::download(&bytes, "melodeon-german.mdl", "application/octet-stream"));
                            }
                        }>"Download"</button>
                    </span>
                </li>
                <For each=move || app.models.get() key=|m| (m.id.clone(), m.saved_ms as u64, m.header.name.clone()) let:model>
                    <ModelRow model />
                </For>
            </ul>
            <label class="button">"Load a model file…"
                <input type="file" accept=".mdl,application/octet-stream" class="visually-hidden"
                    data-testid="load-model" on:change=on_file />
            </label>
            <p class="error" role="alert" data-testid="load-model-error">{move || load_error.get()}</p>
        </section>
    }
}

/// One stored model.
#[component]
fn ModelRow(model: StoredModel) -> impl IntoView {
    let app = expect_context::<AppState>();
    let header = model.header.clone();
    let test = header.training.test.map(|m| {
        format!(
            "test NLL {:.3}, accuracy {:.0} %",
            m.nll,
            100.0 * m.accuracy
        )
    });
    let status = if model.in_memory {
        "not stored in this browser (it refused): download it to keep it".into()
    } else if model.complete {
        test.unwrap_or_else(|| "not tested".into())
    } else {
        "checkpoint of an unfinished run (best weights so far)".into()
    };
    let id = model.id.clone();
    let bytes = model.bytes.clone();
    let name = header.name.clone();
    let rename = {
        let (id, bytes, name) = (id.clone(), bytes.clone(), name.clone());
        move |_| {
            let Some(new_name) = prompt("New name for the model", &name) else {
                return;
            };
            let (id, bytes) = (id.clone(), bytes.clone());
            spawn_local(async move {
                match renamed(&bytes, &new_name) {
                    Ok(new_bytes) => app.store_model(&id, new_bytes, model.complete).await,
                    Err(e) => report(app, Err(e)),
                }
                if app.selected.get_untracked() == id {
                    app.use_model(&id);
                }
            });
        }
    };
    let download = {
        let (bytes, name) = (bytes.clone(), name.clone());
        move |_| {
            let file_name = format!("{}.mdl", browser::file_name(&name));
            report(
                app,
                browser::download(&bytes, &file_name, "application/octet-stream"),
            );
        }
    };
    let delete = {
        let (id, name) = (id.clone(), name.clone());
        move |_| {
            if !confirm(&format!("Delete the model “{name}” from this browser?")) {
                return;
            }
            let id = id.clone();
            spawn_local(async move {
                report(app, app.delete_model(&id).await);
                if app.selected.get_untracked() == id {
                    app.use_model(PRETRAINED);
                }
            });
        }
    };
    view! {
        <li data-testid="stored-model" data-id=id.clone() data-name=name.clone() data-complete=model.complete.to_string()
            data-unsaved=model.in_memory.to_string()>
            <span class="name">{name.clone()}</span>
            <span class="muted">{format!(" {} ({} songs) · {}", header.training.corpus, header.training.songs, status)}</span>
            <span class="actions">
                <UseButton id=id.clone() />
                <button type="button" on:click=rename>"Rename"</button>
                <button type="button" data-testid="download-model" on:click=download>"Download"</button>
                <button type="button" on:click=delete>"Delete"</button>
            </span>
        </li>
    }
}

/// "Use" (choose for generation), pressed for the chosen model.
#[component]
fn UseButton(id: String) -> impl IntoView {
    let app = expect_context::<AppState>();
    let chosen = {
        let id = id.clone();
        Signal::derive(move || app.selected.get() == id)
    };
    view! {
        <button type="button" data-testid="use-model" aria-pressed=move || chosen.get().to_string()
            on:click=move |_| app.use_model(&id)>
            {move || if chosen.get() { "In use" } else { "Use" }}
        </button>
    }
}

/// Checks a model file from disk and stores it.
async fn add_file(app: AppState, name: &str, file: &web_sys::File) -> Result<(), String> {
    let bytes = crate::app::services::files::read_file(file)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    model_file::read(&bytes).map_err(|e| format!("{name}: {e}"))?;
    app.store_model(&model_store::new_id(), bytes, true).await;
    Ok(())
}

/// The model file with a new name in its header.
fn renamed(bytes: &[u8], name: &str) -> Result<Vec<u8>, String> {
    let mut header = model_file::read_header(bytes).map_err(|e| e.to_string())?;
    header.name = name.trim().to_string();
    model_file::with_header(bytes, &header).map_err(|e| e.to_string())
}

fn report(app: AppState, result: Result<(), String>) {
    if let Err(message) = result {
        app.notice.set(Some(message));
    }
}

fn prompt(message: &str, default: &str) -> Option<String> {
    web_sys::window()?
        .prompt_with_message_and_default(message, default)
        .ok()
        .flatten()
        .filter(|s| !s.trim().is_empty())
}

fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}
