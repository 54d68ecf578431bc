//! Files the user chooses or drops: walking dropped folders, the names and `File`s of an
//! input, and reading their bytes. Both the corpus upload and the models panel read files
//! through here.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::browser;

#[wasm_bindgen(module = "/src/app/js/files.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn dropped_files(transfer: &web_sys::DataTransfer) -> Result<JsValue, JsValue>;
    fn input_files(input: &web_sys::HtmlInputElement) -> js_sys::Array;
    #[wasm_bindgen(catch)]
    async fn file_bytes(file: &web_sys::File) -> Result<JsValue, JsValue>;
    fn total_size(list: &js_sys::Array) -> f64;
    async fn read_packed(list: &js_sys::Array, chunk: u32, progress: &js_sys::Function) -> JsValue;
}

/// Files read from disk at once (concurrently) by [`Chosen::read`].
const READ_CHUNK: u32 = 256;

/// Files the user chose or dropped: one JavaScript array of `{ name, file }`. Thousands of
/// files stay one value on the Rust side, as a wasm-bindgen reference per file costs time
/// that grows with the number held (docs/decisions.md).
#[derive(Clone)]
pub struct Chosen(js_sys::Array);

impl Chosen {
    /// How many files.
    pub fn len(&self) -> usize {
        self.0.length() as usize
    }

    /// Whether none were chosen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Their sizes added up, in bytes.
    pub fn total_bytes(&self) -> f64 {
        total_size(&self.0)
    }

    /// Names and files, one by one (for a few files, such as model files).
    pub fn files(&self) -> Vec<(String, web_sys::File)> {
        self.0
            .iter()
            .filter_map(|item| {
                let name = browser::property(&item, "name").as_string()?;
                let file = browser::property(&item, "file").dyn_into().ok()?;
                Some((name, file))
            })
            .collect()
    }

    /// Reads every file, calling `progress(files read)` between chunks, and packs them for
    /// the worker: `{ names, bytes, ends }`, all bytes in one buffer and where each file ends
    /// ([`crate::app::protocol::Message::with_packed_files`]).
    pub async fn read(&self, progress: impl Fn(usize) + 'static) -> JsValue {
        let progress = Closure::<dyn Fn(u32)>::new(move |done: u32| progress(done as usize));
        read_packed(&self.0, READ_CHUNK, progress.as_ref().unchecked_ref()).await
    }
}

/// The bytes of a file the user chose.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let bytes = file_bytes(file).await.map_err(browser::describe)?;
    Ok(bytes.unchecked_into::<js_sys::Uint8Array>().to_vec())
}

/// The files of a drop (folders walked).
pub async fn files_of_drop(transfer: &web_sys::DataTransfer) -> Chosen {
    Chosen(
        dropped_files(transfer)
            .await
            .ok()
            .and_then(|list| list.dyn_into().ok())
            .unwrap_or_default(),
    )
}

/// The files chosen in a file or folder input.
pub fn files_of_input(input: &web_sys::HtmlInputElement) -> Chosen {
    Chosen(input_files(input))
}
