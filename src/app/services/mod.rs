//! What the page asks of the browser, apart from drawing: time and downloads, files, storage
//! (tunes in localStorage, models in IndexedDB, preferences), offline use, panics, sound
//! (playback and WAV files), and the training worker's client.

pub mod browser;
pub mod files;
pub mod history;
pub mod model_store;
pub mod offline;
pub mod panic;
pub mod player;
pub mod preferences;
pub mod training;
mod voice;
pub mod wav;
