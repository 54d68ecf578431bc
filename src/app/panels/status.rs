//! The status bar: which backend runs the model, and the start-up check that proves it works.

use leptos::prelude::*;

use crate::app::services::preferences;
use crate::app::state::{AppState, Startup};
use crate::backend::BackendInfo;

/// Shows the engine's state and the force-CPU setting.
#[component]
pub fn StatusBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let force_cpu = preferences::force_cpu();
    let on_force_cpu = move |ev: leptos::ev::Event| {
        preferences::set_force_cpu(event_target_checked(&ev));
        // burn's wgpu runtime cannot be re-initialised in a running page: start afresh.
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    };

    view! {
        <section class="status" aria-live="polite">
            {move || match state.startup.get() {
                Startup::Starting => view! {
                    <p data-testid="backend-state" data-state="starting">
                        <span class="spinner" aria-hidden="true"></span>
                        "Starting the model engine…"
                    </p>
                }.into_any(),
                Startup::Ready { info, values, millis } => view! {
                    <p data-testid="backend-state" data-state="ready">
                        "Ready on "
                        <strong data-testid="backend" data-kind=backend_kind(&info)>{info.label()}</strong>
                        {fallback_reason(&info)}
                        <span
                            class="check"
                            data-testid="startup-check"
                            data-values=serde_json::to_string(&values).unwrap_or_default()
                            data-ms=format!("{millis:.1}")
                            title="An LSTM forward pass on fixed input, compared in the tests with the native result"
                        >
                            {format!(" · start-up check passed ({millis:.0} ms after navigation)")}
                        </span>
                    </p>
                }.into_any(),
                Startup::Failed { info, error } => view! {
                    <p data-testid="backend-state" data-state="failed" class="error" role="alert">
                        <strong data-testid="backend" data-kind=backend_kind(&info)>{info.label()}</strong>
                        {format!(": the start-up check failed: {error}")}
                    </p>
                }.into_any(),
            }}
            <label class="setting">
                <input type="checkbox" data-testid="force-cpu" prop:checked=force_cpu on:change=on_force_cpu />
                " Run on the CPU even when WebGPU is available (reloads the page)"
            </label>
        </section>
    }
}

fn backend_kind(info: &BackendInfo) -> &'static str {
    match info {
        BackendInfo::WebGpu { .. } => "webgpu",
        BackendInfo::Cpu { .. } => "cpu",
    }
}

fn fallback_reason(info: &BackendInfo) -> Option<impl IntoView + use<>> {
    match info {
        BackendInfo::Cpu { reason, .. } => Some(view! {
            <span class="reason" data-testid="fallback-reason">{format!(" ({reason})")}</span>
        }),
        BackendInfo::WebGpu { .. } => None,
    }
}
