//! Trained models kept in the browser's IndexedDB, so that they survive reloads.
//!
//! One record per model: `{ id, complete, saved_ms, bytes }`, where `bytes` is the model file
//! of [`crate::model_file`] (so a stored model downloads as is). IndexedDB writes are
//! transactions: a reload in the middle of training leaves the last checkpoint whole.

use std::sync::Arc;

use js_sys::{Object, Reflect, Uint8Array};
use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};

use crate::model_file::{self, ModelHeader};

const DATABASE: &str = "melodeon";
const STORE: &str = "models";

/// A model in the store.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredModel {
    /// Key in the store.
    pub id: String,
    /// The file's header (name, corpus, metrics).
    pub header: ModelHeader,
    /// False for a checkpoint of a training run that has not finished (yet).
    pub complete: bool,
    /// When it was stored, milliseconds since 1970.
    pub saved_ms: f64,
    /// The model file.
    pub bytes: Arc<Vec<u8>>,
    /// Kept on this page only, because the browser refused to store it.
    pub in_memory: bool,
}

async fn open() -> Result<Rexie, String> {
    Rexie::builder(DATABASE)
        .version(1)
        .add_object_store(ObjectStore::new(STORE).key_path("id"))
        .build()
        .await
        .map_err(|e| format!("This browser does not let Melodeon store models (IndexedDB: {e})"))
}

/// Every stored model, newest first. Records that no longer read as model files are left out
/// (with a console warning) rather than breaking the list.
pub async fn list() -> Result<Vec<StoredModel>, String> {
    let db = open().await?;
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadOnly)
        .map_err(|e| e.to_string())?;
    let store = tx.store(STORE).map_err(|e| e.to_string())?;
    let records = store.get_all(None, None).await.map_err(|e| e.to_string())?;
    let mut models: Vec<StoredModel> = records.iter().filter_map(read).collect();
    models.sort_by(|a, b| b.saved_ms.total_cmp(&a.saved_ms));
    Ok(models)
}

/// Stores (or replaces) model `id`.
pub async fn put(id: &str, bytes: &[u8], complete: bool) -> Result<(), String> {
    let record = Object::new();
    let set = |key: &str, value: JsValue| Reflect::set(&record, &key.into(), &value);
    set("id", id.into())
        .and(set("complete", complete.into()))
        .and(set("saved_ms", js_sys::Date::now().into()))
        .and(set("bytes", Uint8Array::from(bytes).into()))
        .map_err(|_| "could not prepare the record")?;
    let db = open().await?;
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadWrite)
        .map_err(|e| e.to_string())?;
    let store = tx.store(STORE).map_err(|e| e.to_string())?;
    store
        .put(&record, None)
        .await
        .map_err(|e| format!("the model could not be saved in this browser: {e}"))?;
    tx.done().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Removes model `id`.
pub async fn delete(id: &str) -> Result<(), String> {
    let db = open().await?;
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadWrite)
        .map_err(|e| e.to_string())?;
    let store = tx.store(STORE).map_err(|e| e.to_string())?;
    store.delete(id.into()).await.map_err(|e| e.to_string())?;
    tx.done().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// A new, unique model id.
pub fn new_id() -> String {
    format!(
        "m{}-{}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 1e6) as u32
    )
}

fn read(record: &JsValue) -> Option<StoredModel> {
    let get = |key: &str| Reflect::get(record, &key.into()).ok();
    let id = get("id")?.as_string()?;
    let bytes = get("bytes")?.dyn_into::<Uint8Array>().ok()?.to_vec();
    match model_file::read_header(&bytes) {
        Ok(header) => Some(StoredModel {
            id,
            header,
            complete: get("complete").is_some_and(|c| c.is_truthy()),
            saved_ms: get("saved_ms").and_then(|t| t.as_f64()).unwrap_or(0.0),
            bytes: Arc::new(bytes),
            in_memory: false,
        }),
        Err(err) => {
            web_sys::console::warn_1(&format!("stored model {id} is unreadable: {err}").into());
            None
        }
    }
}
