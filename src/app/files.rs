//! Files the user chooses or drops: walking dropped folders, the names and `File`s of an
//! input, and reading their bytes. Both the corpus upload and the models panel read files
//! through here.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::browser;

#[wasm_bindgen(inline_js = r#"
export async function dropped_files(transfer) {
  // Entries must be taken before the first await: the drop's data is gone afterwards.
  const entries = [...(transfer.items || [])]
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  const out = [];
  if (entries.length === 0) {
    for (const file of transfer.files) out.push({ name: file.name, file });
    return out;
  }
  const walk = async (entry, path) => {
    if (entry.isFile) {
      const file = await new Promise((ok, fail) => entry.file(ok, fail));
      out.push({ name: path + entry.name, file });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, path + entry.name + "/");
      }
    }
  };
  for (const entry of entries) await walk(entry, "");
  return out;
}

export function input_files(input) {
  return [...input.files].map((file) => ({ name: file.webkitRelativePath || file.name, file }));
}

export async function file_bytes(file) {
  return new Uint8Array(await file.arrayBuffer());
}

export async function files_bytes(files) {
  // Unreadable files become empty ones: the report names them.
  return Promise.all(files.map((file) => file.arrayBuffer().then((b) => new Uint8Array(b), () => new Uint8Array(0))));
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn dropped_files(transfer: &web_sys::DataTransfer) -> Result<JsValue, JsValue>;
    fn input_files(input: &web_sys::HtmlInputElement) -> JsValue;
    #[wasm_bindgen(catch)]
    async fn file_bytes(file: &web_sys::File) -> Result<JsValue, JsValue>;
    async fn files_bytes(files: js_sys::Array) -> JsValue;
}

/// Files read from disk at once (concurrently) by [`read_all`].
const READ_CHUNK: usize = 256;

/// Reads every file's bytes, a chunk at a time, calling `progress(files read)` before each
/// chunk; unreadable files come back empty (the corpus report names them).
pub async fn read_all(
    files: &[(String, web_sys::File)],
    progress: impl Fn(usize),
) -> Vec<(String, js_sys::Uint8Array)> {
    let mut read = Vec::with_capacity(files.len());
    for chunk in files.chunks(READ_CHUNK) {
        progress(read.len());
        let list: js_sys::Array = chunk.iter().map(|(_, file)| JsValue::from(file)).collect();
        let bytes: js_sys::Array = files_bytes(list).await.unchecked_into();
        for ((name, _), bytes) in chunk.iter().zip(bytes.iter()) {
            read.push((name.clone(), bytes.unchecked_into()));
        }
    }
    read
}

/// The bytes of a file the user chose.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let bytes = file_bytes(file).await.map_err(browser::describe)?;
    Ok(bytes.unchecked_into::<js_sys::Uint8Array>().to_vec())
}

/// The files of a drop (folders walked), as name and `File` pairs.
pub async fn files_of_drop(transfer: &web_sys::DataTransfer) -> Vec<(String, web_sys::File)> {
    pairs(dropped_files(transfer).await.unwrap_or_default())
}

/// The files chosen in a file or folder input.
pub fn files_of_input(input: &web_sys::HtmlInputElement) -> Vec<(String, web_sys::File)> {
    pairs(input_files(input))
}

fn pairs(list: JsValue) -> Vec<(String, web_sys::File)> {
    let list: js_sys::Array = list.dyn_into().unwrap_or_default();
    list.iter()
        .filter_map(|item| {
            let name = browser::property(&item, "name").as_string()?;
            let file = browser::property(&item, "file").dyn_into().ok()?;
            Some((name, file))
        })
        .collect()
}
