//! A panic must never leave a dead page: log it and show it in a banner.

use std::panic;

/// Installs a panic hook that logs to the console and shows the `#panic-banner` element.
pub fn install_hook() {
    panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_banner(&format!(
            "Melodeon hit an internal error and stopped: {info}. Reload the page to start again; \
             your saved tunes and models are kept."
        ));
    }));
}

/// Shows `message` in the page's error banner (outside the Leptos tree, so it works
/// even when the app itself is broken).
pub fn show_banner(message: &str) {
    let Some(banner) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("panic-banner"))
    else {
        return;
    };
    banner.set_text_content(Some(message));
    let _ = banner.remove_attribute("hidden");
}

/// Panics on purpose when the page's address carries `?panic-test`, so that the browser tests
/// can check that the hook shows the banner.
pub fn trigger_if_asked() {
    let asked = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|search| search.contains("panic-test"));
    if asked {
        panic!("panic requested by ?panic-test");
    }
}
