//! Small browser helpers: time, yielding to the event loop, downloads, the clipboard,
//! fetching with progress.

use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Milliseconds since 1970.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Milliseconds since the page started (monotonic).
pub fn clock_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_default()
}

/// Waits `ms` milliseconds, letting the event loop run (in the page or in a worker).
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        let set_timeout: Result<js_sys::Function, _> =
            property(&js_sys::global(), "setTimeout").dyn_into();
        if let Ok(set_timeout) = set_timeout {
            let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from(ms));
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Lets the browser render and handle input before going on.
pub async fn yield_now() {
    sleep(0).await;
}

/// Offers `bytes` to the user as a file called `name`.
pub fn download(bytes: &[u8], name: &str, mime: &str) -> Result<(), String> {
    let parts = Array::of1(&Uint8Array::from(bytes).into());
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(describe)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(describe)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: HtmlAnchorElement = document
        .create_element("a")
        .map_err(describe)?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = Url::revoke_object_url(&url);
    Ok(())
}

/// Copies `text` to the clipboard (best effort: some browsers refuse without permission).
pub fn copy_to_clipboard(text: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let clipboard =
        Reflect::get(&window.navigator(), &"clipboard".into()).unwrap_or(JsValue::UNDEFINED);
    if let Ok(write) =
        Reflect::get(&clipboard, &"writeText".into()).and_then(|f| f.dyn_into::<js_sys::Function>())
        && let Ok(promise) = write.call1(&clipboard, &text.into())
        && let Ok(promise) = promise.dyn_into::<Promise>()
    {
        // A refusal only means the user copies the link from the field instead.
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
    }
}

/// Fetches `url` as bytes, reporting `(received, total)` as chunks arrive.
pub async fn fetch_bytes(
    url: &str,
    mut progress: impl FnMut(usize, Option<usize>),
) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("could not fetch {url}: {}", describe(e)))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!("could not fetch {url}: HTTP {}", response.status()));
    }
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok());
    let body = response.body().ok_or("empty response")?;
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(total.unwrap_or(0));
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(describe)?;
        if Reflect::get(&chunk, &"done".into())
            .map(|d| d.is_truthy())
            .unwrap_or(true)
        {
            break;
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(describe)?
            .unchecked_into();
        bytes.extend(value.to_vec());
        progress(bytes.len(), total);
    }
    Ok(bytes)
}

/// Property `key` of a JavaScript object (`undefined` when missing or unreadable).
pub fn property(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A readable text for a JavaScript error.
pub fn describe(value: JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// `title` made safe as a file name: letters, digits and `-` only.
pub fn file_name(title: &str) -> String {
    let clean: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    clean.trim_matches('-').to_string()
}
