//! The tunes the user made, kept in localStorage so they survive reloads.
//!
//! Each tune is its own item (`melodeon.tune.<id>`), written and removed on its own: pages
//! open in two tabs add, edit and delete tunes without overwriting each other's, and the
//! browser's `storage` event tells each page what another changed ([`changed`]).

use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};

use crate::tune::{Presentation, Tune};

/// The prefix of every tune's key.
const PREFIX: &str = "melodeon.tune.";
/// Where earlier versions kept all tunes as one array (moved to items on first load).
const OLD_KEY: &str = "melodeon.tunes";

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

/// What another page did to one stored tune.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Added or edited it.
    Put(Box<SavedTune>),
    /// Deleted it.
    Removed(u64),
    /// Cleared the whole storage.
    Cleared,
}

fn key(id: u64) -> String {
    format!("{PREFIX}{id}")
}

/// Loads the saved tunes, newest first; unreadable items are skipped with a warning.
pub fn load() -> Vec<SavedTune> {
    migrate();
    let storage = LocalStorage::raw();
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .collect();
    let mut tunes: Vec<SavedTune> = keys
        .iter()
        .filter_map(|k| match LocalStorage::get::<SavedTune>(k) {
            Ok(tune) => Some(tune),
            Err(err) => {
                web_sys::console::warn_1(
                    &format!("saved tune {k} could not be read: {err}").into(),
                );
                None
            }
        })
        .collect();
    tunes.sort_by_key(|tune| std::cmp::Reverse(tune.id));
    tunes
}

/// Moves the tunes of the old one-array store to items (once; a failure leaves it in place).
fn migrate() {
    let Ok(old) = LocalStorage::get::<Vec<SavedTune>>(OLD_KEY) else {
        return;
    };
    if old.iter().all(|t| put(t).is_ok()) {
        LocalStorage::delete(OLD_KEY);
    }
}

/// Stores one tune; returns a message when the browser refuses (e.g. storage full).
pub fn put(tune: &SavedTune) -> Result<(), String> {
    LocalStorage::set(key(tune.id), tune)
        .map_err(|e| format!("your tunes could not be saved in this browser: {e}"))
}

/// Deletes one stored tune.
pub fn remove(id: u64) {
    LocalStorage::delete(key(id));
}

/// Whether a tune with `id` is stored (by this page or another).
pub fn exists(id: u64) -> bool {
    LocalStorage::raw()
        .get_item(&key(id))
        .ok()
        .flatten()
        .is_some()
}

/// What a `storage` event (another page's write to `key`, `None` for a clear) did to the
/// tunes; `None` when it concerns something else.
pub fn changed(key: Option<&str>, new_value: Option<&str>) -> Option<Change> {
    let Some(key) = key else {
        return Some(Change::Cleared);
    };
    let id: u64 = key.strip_prefix(PREFIX)?.parse().ok()?;
    Some(match new_value.map(serde_json::from_str::<SavedTune>) {
        Some(Ok(tune)) => Change::Put(Box::new(tune)),
        // An unreadable value reads as gone: it could not be shown anyway.
        Some(Err(_)) | None => Change::Removed(id),
    })
}
