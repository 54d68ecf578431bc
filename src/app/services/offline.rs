//! Offline use: registers the service worker (`public/sw.js`) and, when a new version has
//! been installed beside the running one, offers it. Taking it reloads the page once the new
//! worker is in charge, so a page never mixes files of two versions.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/app/js/offline.js")]
extern "C" {
    fn register_offline(on_update: &Closure<dyn Fn()>);
    fn take_update();
}

/// Registers the service worker (call once the model is ready or failed, so that its caching
/// of every file, the worker's module too, never competes with the first tune's download);
/// `ready` turns true when an update is ready.
pub fn register(ready: RwSignal<bool>) {
    let on_update = Closure::<dyn Fn()>::new(move || ready.set(true));
    register_offline(&on_update);
    // The worker calls back for as long as the page lives.
    on_update.forget();
}

/// The banner offering an update once `ready` (see [`register`]).
#[component]
pub fn UpdateBanner(ready: RwSignal<bool>) -> impl IntoView {
    view! {
        {move || ready.get().then(|| view! {
            <div class="banner notice" role="status" data-testid="update-ready">
                <span>"A new version of Melodeon is ready."</span>
                <button type="button" on:click=move |_| take_update()>"Reload to update"</button>
            </div>
        })}
    }
}
