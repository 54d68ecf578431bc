//! Offline use: registers the service worker (`public/sw.js`) and, when a new version has
//! been installed beside the running one, offers it. Taking it reloads the page once the new
//! worker is in charge, so a page never mixes files of two versions.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::state::{AppState, ModelState};

#[wasm_bindgen(module = "/src/app/js/offline.js")]
extern "C" {
    fn register_offline(on_update: &Closure<dyn Fn()>);
    fn take_update();
}

/// Registers the service worker once the model is ready (or failed), so that its caching of
/// every file (the worker's module too) never competes with the first tune's download; shows
/// a banner when an update is ready.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let state = expect_context::<AppState>();
    let ready = RwSignal::new(false);
    let registered = StoredValue::new(false);
    Effect::new(move || {
        let settled = matches!(
            state.model.get(),
            ModelState::Ready(_) | ModelState::Failed(_)
        );
        if settled && !registered.get_value() {
            registered.set_value(true);
            let on_update = Closure::<dyn Fn()>::new(move || ready.set(true));
            register_offline(&on_update);
            // The worker calls back for as long as the page lives.
            on_update.forget();
        }
    });
    view! {
        {move || ready.get().then(|| view! {
            <div class="banner notice" role="status" data-testid="update-ready">
                <span>"A new version of Melodeon is ready."</span>
                <button type="button" on:click=move |_| take_update()>"Reload to update"</button>
            </div>
        })}
    }
}
