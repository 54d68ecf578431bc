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

export function total_size(list) {
  return list.reduce((sum, { file }) => sum + file.size, 0);
}

export async function read_packed(list, chunk, progress) {
  // A chunk at a time, concurrently within it; unreadable files become empty ones (the
  // report names them). Then one buffer for all, so the worker gets a single transfer.
  const parts = [];
  for (let i = 0; i < list.length; i += chunk) {
    progress(i);
    const slice = list.slice(i, i + chunk);
    parts.push(...(await Promise.all(slice.map(({ file }) =>
      file.arrayBuffer().then((b) => new Uint8Array(b), () => new Uint8Array(0))))));
    // Let the page paint the progress between chunks.
    await new Promise((ok) => setTimeout(ok, 0));
  }
  const ends = new Uint32Array(parts.length);
  let total = 0;
  parts.forEach((part, i) => { total += part.length; ends[i] = total; });
  const bytes = new Uint8Array(total);
  parts.forEach((part, i) => bytes.set(part, ends[i] - part.length));
  return { names: list.map(({ name }) => name), bytes, ends };
}
"#)]
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
/// that grows with the number held (10,000 files took 18 s that way).
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
    /// ([`super::protocol::Message::with_packed_files`]).
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
