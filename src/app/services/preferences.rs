//! User settings kept in the browser's localStorage, so they survive reloads.

use gloo_storage::{LocalStorage, Storage};

const FORCE_CPU_KEY: &str = "melodeon.force-cpu";
const MODEL_KEY: &str = "melodeon.model";
const LETTERS_KEY: &str = "melodeon.note-letters";

/// Whether the user asked to run on the CPU even where WebGPU is available.
pub fn force_cpu() -> bool {
    LocalStorage::get(FORCE_CPU_KEY).unwrap_or(false)
}

/// Stores the force-CPU setting.
pub fn set_force_cpu(value: bool) {
    if let Err(err) = LocalStorage::set(FORCE_CPU_KEY, value) {
        web_sys::console::warn_1(&format!("could not save the CPU setting: {err}").into());
    }
}

/// The model last chosen for generation (`pretrained` or a stored model's id).
pub fn selected_model() -> Option<String> {
    LocalStorage::get(MODEL_KEY).ok()
}

/// Remembers the model chosen for generation.
pub fn set_selected_model(id: &str) {
    if let Err(err) = LocalStorage::set(MODEL_KEY, id) {
        web_sys::console::warn_1(&format!("could not save the model choice: {err}").into());
    }
}

/// Whether note letters are shown under the staff.
pub fn note_letters() -> bool {
    LocalStorage::get(LETTERS_KEY).unwrap_or(false)
}

/// Remembers whether note letters are shown.
pub fn set_note_letters(value: bool) {
    if let Err(err) = LocalStorage::set(LETTERS_KEY, value) {
        web_sys::console::warn_1(&format!("could not save the note-letter setting: {err}").into());
    }
}
