//! The status bar: which backend runs the model, and the start-up check that proves it works.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{engine, settings};
use crate::backend::BackendInfo;
use crate::model::check;

/// State of the device start-up, as the status bar shows it.
#[derive(Clone)]
enum Startup {
    Starting,
    Ready { info: BackendInfo, values: Vec<f32>, millis: f64 },
    Failed { info: BackendInfo, error: String },
}

/// Starts the device, runs the start-up check on it, and shows the outcome.
#[component]
pub fn StatusBar() -> impl IntoView {
    let state = RwSignal::new(Startup::Starting);
    let force_cpu = settings::force_cpu();
    spawn_local(async move {
        let started = now_ms();
        let engine = engine::start(force_cpu).await;
        let outcome = check::startup_check(&engine.device).await;
        state.set(match outcome {
            Ok(values) => Startup::Ready {
                info: engine.info,
                values,
                millis: now_ms() - started,
            },
            Err(error) => Startup::Failed { info: engine.info, error },
        });
    });

    let on_force_cpu = move |ev: leptos::ev::Event| {
        settings::set_force_cpu(event_target_checked(&ev));
        // burn's wgpu runtime cannot be re-initialised in a running page: start afresh.
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    };

    view! {
        <section class="status" aria-live="polite">
            {move || match state.get() {
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
                            title="An LSTM forward pass on fixed input, compared in the tests with the native result"
                        >
                            {format!(" · start-up check passed in {millis:.0} ms")}
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
                <input
                    type="checkbox"
                    data-testid="force-cpu"
                    prop:checked=force_cpu
                    on:change=on_force_cpu
                />
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

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_default()
}
