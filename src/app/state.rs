//! State shared by the page's components (provided as a Leptos context).

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::app::services::browser::now_ms;
use crate::app::services::history::{self, SavedTune};
use crate::app::services::model_store::{self, StoredModel};
use crate::app::services::player::{PlayState, Player, Position};
use crate::app::services::preferences;
use crate::backend::BackendInfo;
use crate::model::Weights;
use crate::model_file::{self, ModelHeader};
use crate::tune::{Presentation, Tune};

/// The engine's start-up, as the status bar shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Startup {
    /// Choosing and starting the device.
    Starting,
    /// Ready, with the start-up check's numbers and how long it all took.
    Ready {
        /// Which backend runs.
        info: BackendInfo,
        /// The start-up check's logits.
        values: Vec<f32>,
        /// Milliseconds from navigation to ready.
        millis: f64,
    },
    /// The device started but the check failed.
    Failed {
        /// Which backend.
        info: BackendInfo,
        /// What went wrong.
        error: String,
    },
}

/// A model ready to generate.
pub struct LoadedModel {
    /// Its file header (name, vocabulary, training metadata).
    pub header: ModelHeader,
    /// The network's weights, for the CPU kernel.
    pub weights: Weights,
}

/// Loading the model.
#[derive(Clone)]
pub enum ModelState {
    /// Waiting for the engine.
    Waiting,
    /// Downloading: bytes received and expected.
    Loading(usize, Option<usize>),
    /// Ready.
    Ready(Rc<LoadedModel>),
    /// Could not load; the page stays usable.
    Failed(String),
}

/// Everything the components share.
#[derive(Clone, Copy)]
pub struct AppState {
    /// Engine start-up.
    pub startup: RwSignal<Startup>,
    /// The model.
    pub model: RwSignal<ModelState, LocalStorage>,
    /// Generated tunes, newest first (persisted).
    pub tunes: RwSignal<Vec<SavedTune>>,
    /// The player.
    pub player: StoredValue<Player, LocalStorage>,
    /// Where playback is, refreshed by a timer.
    pub position: RwSignal<Option<Position>>,
    /// A message for the user (errors, link problems), dismissible.
    pub notice: RwSignal<Option<String>>,
    /// The primer field's text.
    pub primer: RwSignal<String>,
    /// Models trained or loaded by the user, from IndexedDB (newest first).
    pub models: RwSignal<Vec<StoredModel>, LocalStorage>,
    /// The model chosen for generation: [`PRETRAINED`] or a stored model's id (persisted).
    pub selected: RwSignal<String>,
    /// The shipped pretrained model's file, once fetched.
    pub pretrained: StoredValue<Option<Arc<Vec<u8>>>, LocalStorage>,
    /// Models the browser refused to store, kept on this page so that nothing is lost.
    unsaved: StoredValue<Vec<StoredModel>, LocalStorage>,
    /// Why the tunes could not be saved in this browser (they are kept on the page).
    pub history_error: RwSignal<Option<String>>,
    /// Whether the staff shows each note's letter name under it (persisted).
    pub note_letters: RwSignal<bool>,
    /// Where the stored models' changes are announced to other tabs.
    models_channel: StoredValue<Option<web_sys::BroadcastChannel>, LocalStorage>,
}

/// The BroadcastChannel on which tabs say that the stored models changed.
const MODELS_CHANNEL: &str = "melodeon.models";

/// The id under which the shipped pretrained model is selected.
pub const PRETRAINED: &str = "pretrained";

impl AppState {
    /// Fresh state with the saved tunes loaded; persists the tunes whenever they change.
    pub fn new() -> Self {
        let state = Self {
            startup: RwSignal::new(Startup::Starting),
            model: RwSignal::new_local(ModelState::Waiting),
            tunes: RwSignal::new(history::load()),
            player: StoredValue::new_local(Player::default()),
            position: RwSignal::new(None),
            notice: RwSignal::new(None),
            primer: RwSignal::new(String::new()),
            models: RwSignal::new_local(Vec::new()),
            selected: RwSignal::new(
                preferences::selected_model().unwrap_or_else(|| PRETRAINED.into()),
            ),
            pretrained: StoredValue::new_local(None),
            unsaved: StoredValue::new_local(Vec::new()),
            history_error: RwSignal::new(None),
            note_letters: RwSignal::new(preferences::note_letters()),
            models_channel: StoredValue::new_local(None),
        };
        state.follow_other_tabs();
        state
    }

    /// Applies the tune changes other tabs make (the browser's `storage` event) and rereads
    /// the models when another tab stores or deletes one ([`MODELS_CHANNEL`]).
    fn follow_other_tabs(&self) {
        let state = *self;
        let on_storage = Closure::<dyn FnMut(web_sys::StorageEvent)>::new(
            move |event: web_sys::StorageEvent| {
                let change = history::changed(event.key().as_deref(), event.new_value().as_deref());
                state.tunes.update(|tunes| match change {
                    Some(history::Change::Put(tune)) => {
                        tunes.retain(|t| t.id != tune.id);
                        let at = tunes.partition_point(|t| t.id > tune.id);
                        tunes.insert(at, *tune);
                    }
                    Some(history::Change::Removed(id)) => tunes.retain(|t| t.id != id),
                    Some(history::Change::Cleared) => *tunes = history::load(),
                    None => {}
                });
            },
        );
        if let Some(window) = web_sys::window() {
            let _ = window
                .add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
        }
        on_storage.forget();
        if let Ok(channel) = web_sys::BroadcastChannel::new(MODELS_CHANNEL) {
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
                leptos::task::spawn_local(async move { state.refresh_models().await });
            });
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
            self.models_channel.set_value(Some(channel));
        }
    }

    /// Stores one tune; when the browser refuses, it stays on the page and the list says so.
    fn keep(&self, tune: &SavedTune) {
        if let Err(why) = history::put(tune) {
            self.history_error.set(Some(why));
        }
    }

    /// Tells the other tabs that the stored models changed.
    fn announce_models(&self) {
        self.models_channel.with_value(|channel| {
            if let Some(channel) = channel {
                let _ = channel.post_message(&wasm_bindgen::JsValue::TRUE);
            }
        });
    }

    /// Whether tune `id` (a player id) is playing now (tracked).
    pub fn playing(&self, id: u64) -> bool {
        self.position
            .get()
            .is_some_and(|p| p.tune == id && p.state == PlayState::Playing)
    }

    /// Where the playhead of tune `id` is, in quarter notes, while it plays or is paused
    /// (tracked).
    pub fn beat(&self, id: u64) -> Option<f64> {
        self.position.get().filter(|p| p.tune == id).map(|p| p.beat)
    }

    /// Starts playback with `start` (call it from a user gesture: it may create the
    /// AudioContext); a failure is shown in the notice.
    pub fn play(&self, start: impl FnOnce(&mut Player) -> Result<(), String>) {
        let mut result = Ok(());
        self.player.update_value(|p| result = start(p));
        if let Err(message) = result {
            self.notice.set(Some(format!("Playback failed: {message}")));
        }
        self.refresh_position();
    }

    /// Pauses tune `id` when it is playing, else starts it with `start` ([`AppState::play`]).
    pub fn play_or_pause(&self, id: u64, start: impl FnOnce(&mut Player) -> Result<(), String>) {
        if self.playing(id) {
            self.player.update_value(|p| p.pause());
            self.refresh_position();
        } else {
            self.play(start);
        }
    }

    /// Stops playback and forgets its position.
    pub fn stop_playing(&self) {
        self.player.update_value(|p| p.stop());
        self.position.set(None);
    }

    /// Rereads where the player is, for the screen.
    pub fn refresh_position(&self) {
        let position = self.player.try_update_value(|p| p.position()).flatten();
        if self.position.get_untracked() != position {
            self.position.set(position);
        }
    }

    /// The loaded model, if ready.
    pub fn loaded(&self) -> Option<Rc<LoadedModel>> {
        self.model.with_untracked(|m| match m {
            ModelState::Ready(loaded) => Some(loaded.clone()),
            _ => None,
        })
    }

    /// Adds a tune to the front of the history under a new id, unique on this page and in
    /// the storage other tabs share, and stores it.
    pub fn add_tune(&self, title: String, tune: Tune, presentation: Presentation) {
        let base = now_ms() as u64;
        let id = self.tunes.with_untracked(|tunes| {
            (base..)
                .find(|id| tunes.iter().all(|t| t.id != *id) && !history::exists(*id))
                .unwrap_or(base)
        });
        let saved = SavedTune {
            id,
            title,
            starred: false,
            tune,
            presentation,
        };
        self.keep(&saved);
        self.tunes.update(|tunes| tunes.insert(0, saved));
    }

    /// Applies `edit` to the saved tune `id` and stores it.
    pub fn edit_tune(&self, id: u64, edit: impl FnOnce(&mut SavedTune)) {
        let mut edited = None;
        self.tunes.update(|tunes| {
            if let Some(tune) = tunes.iter_mut().find(|t| t.id == id) {
                edit(tune);
                edited = Some(tune.clone());
            }
        });
        if let Some(tune) = edited {
            self.keep(&tune);
        }
    }

    /// Deletes the saved tune `id`, here and in the storage.
    pub fn delete_tune(&self, id: u64) {
        self.tunes.update(|tunes| tunes.retain(|t| t.id != id));
        history::remove(id);
    }

    /// The file of model `id` ([`PRETRAINED`] or a stored id), if known.
    pub fn model_bytes(&self, id: &str) -> Option<Arc<Vec<u8>>> {
        if id == PRETRAINED {
            return self.pretrained.get_value();
        }
        self.models
            .with_untracked(|models| models.iter().find(|m| m.id == id).map(|m| m.bytes.clone()))
    }

    /// Rereads the stored models; those kept on this page only come first.
    pub async fn refresh_models(&self) {
        let stored = match model_store::list().await {
            Ok(models) => models,
            Err(message) => {
                self.notice.set(Some(format!(
                    "{message}: models you train or load stay on this page only; download them to keep them."
                )));
                Vec::new()
            }
        };
        let mut models = self.unsaved.get_value();
        let stored: Vec<StoredModel> = stored
            .into_iter()
            .filter(|m| !models.iter().any(|u| u.id == m.id))
            .collect();
        models.extend(stored);
        self.models.set(models);
    }

    /// Stores model `id` in the browser; when the browser refuses (no IndexedDB, quota full),
    /// keeps it on this page, says so and offers the download. Then refreshes the list.
    pub async fn store_model(&self, id: &str, bytes: Vec<u8>, complete: bool) {
        let refused = match model_store::put(id, &bytes, complete).await {
            Ok(()) => {
                self.unsaved.update_value(|u| u.retain(|m| m.id != id));
                None
            }
            Err(why) => Some(match model_file::read_header(&bytes) {
                Ok(header) => {
                    let message = format!(
                        "{why}. The model “{}” is kept on this page only: download it (Your models) to keep it.",
                        header.name
                    );
                    let kept = StoredModel {
                        id: id.to_string(),
                        header,
                        complete,
                        saved_ms: js_sys::Date::now(),
                        bytes: Arc::new(bytes),
                        in_memory: true,
                    };
                    self.unsaved.update_value(|u| {
                        u.retain(|m| m.id != kept.id);
                        u.insert(0, kept);
                    });
                    message
                }
                Err(e) => format!("{why} ({e})"),
            }),
        };
        self.refresh_models().await;
        // After the refresh, whose own message about the storage this one replaces.
        match refused {
            Some(message) => self.notice.set(Some(message)),
            None => self.announce_models(),
        }
    }

    /// Deletes model `id` from this page and from the browser's storage.
    pub async fn delete_model(&self, id: &str) -> Result<(), String> {
        let kept = self.unsaved.with_value(|u| u.iter().any(|m| m.id == id));
        self.unsaved.update_value(|u| u.retain(|m| m.id != id));
        let outcome = if kept {
            Ok(())
        } else {
            model_store::delete(id).await
        };
        self.refresh_models().await;
        if !kept && outcome.is_ok() {
            self.announce_models();
        }
        outcome
    }

    /// Loads model `id` on the CPU for generation and remembers the choice.
    pub fn use_model(&self, id: &str) {
        let Some(bytes) = self.model_bytes(id) else {
            self.model.set(ModelState::Failed(format!(
                "the model {id} is no longer stored"
            )));
            return;
        };
        // Tunes are generated by the CPU kernel whatever the engine: one small LSTM step per
        // token gains nothing from a GPU round trip (docs/speed.md).
        match model_file::read(&bytes) {
            Ok((header, weights)) => {
                self.model
                    .set(ModelState::Ready(Rc::new(LoadedModel { header, weights })));
                self.selected.set(id.to_string());
                preferences::set_selected_model(id);
            }
            Err(e) => self.model.set(ModelState::Failed(format!(
                "The model could not be loaded: {e}"
            ))),
        }
    }
}
