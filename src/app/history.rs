//! The tunes the user made, kept in localStorage so they survive reloads.

use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};

use crate::tune::{Presentation, Tune};

const KEY: &str = "melodeon.tunes";

/// A tune in the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedTune {
    /// Unique id (creation time in ms, made unique).
    pub id: u64,
    /// Title, editable.
    pub title: String,
    /// Marked as a favourite.
    pub starred: bool,
    /// Tokens and provenance.
    pub tune: Tune,
    /// Key, meter and tempo chosen for it.
    pub presentation: Presentation,
}

/// Loads the saved tunes (newest first); an unreadable store yields none and a warning.
pub fn load() -> Vec<SavedTune> {
    match LocalStorage::get::<Vec<SavedTune>>(KEY) {
        Ok(tunes) => tunes,
        Err(gloo_storage::errors::StorageError::KeyNotFound(_)) => Vec::new(),
        Err(err) => {
            web_sys::console::warn_1(&format!("saved tunes could not be read: {err}").into());
            Vec::new()
        }
    }
}

/// Stores the tunes; returns a message when the browser refuses (e.g. storage full).
pub fn save(tunes: &[SavedTune]) -> Result<(), String> {
    LocalStorage::set(KEY, tunes)
        .map_err(|e| format!("your tunes could not be saved in this browser: {e}"))
}
