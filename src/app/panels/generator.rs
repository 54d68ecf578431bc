//! The generate panel: temperature, length, number of tunes, seed (lock and dice), primer,
//! key and tempo; tunes appear in the history as each is ready.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::compare_panel::ComparePanel;
use crate::app::services::browser::{clock_ms, now_ms, yield_now};
use crate::app::state::{AppState, ModelState};
use crate::encoding::primer;
use crate::generate::{GenerateConfig, SamplerConfig, write_tune};
use crate::settings::{
    DRAWN_SEEDS, KEY_SHIFT, MAX_LEN, METER, METERS, SEED, TEMPERATURE, TEMPO, TUNES,
};
use crate::song::{Meter, Mode};
use crate::tune::{KEYS, Presentation, Provenance, Tune};

/// Settings of one press of "Generate".
#[derive(Clone, Debug)]
struct Request {
    temperature: f32,
    max_len: usize,
    count: u64,
    seed: u64,
    primer: String,
    mode: Mode,
    presentation: Presentation,
}

fn random_seed() -> u64 {
    (js_sys::Math::random() * DRAWN_SEEDS as f64) as u64
}

/// The generate panel.
#[component]
pub fn GeneratePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let temperature = RwSignal::new(TEMPERATURE.default);
    let max_len = RwSignal::new(MAX_LEN.default);
    let count = RwSignal::new(TUNES.default);
    let seed = RwSignal::new(random_seed());
    let seed_locked = RwSignal::new(false);
    let shift = RwSignal::new(KEY_SHIFT.default);
    let mode = RwSignal::new(Mode::ALL[0]);
    let tempo = RwSignal::new(TEMPO.default);
    let meter = RwSignal::new(METER.to_string());
    let busy = RwSignal::new(false);
    let last_ms = RwSignal::new(None::<f64>);
    let primer_error = Memo::new(move |_| {
        let text = state.primer.get();
        primer::parse(&text, Default::default(), -i32::from(shift.get()))
            .err()
            .map(|e| e.to_string())
    });
    let ready = move || state.model.with(|m| matches!(m, ModelState::Ready(_)));
    // The meters the model learnt (most common first), or the usual ones.
    let meters = move || {
        state
            .model
            .with(|m| match m {
                ModelState::Ready(loaded) => loaded.header.config.conditioning.as_ref().map(|c| {
                    c.meters
                        .iter()
                        .map(|p| p.meter.to_string())
                        .collect::<Vec<_>>()
                }),
                _ => None,
            })
            .unwrap_or_else(|| METERS.iter().map(ToString::to_string).collect())
    };

    let run = move |_| {
        if busy.get_untracked() {
            return;
        }
        let request = Request {
            temperature: temperature.get_untracked(),
            max_len: max_len.get_untracked(),
            count: count.get_untracked(),
            seed: seed.get_untracked(),
            primer: state.primer.get_untracked(),
            mode: mode.get_untracked(),
            presentation: Presentation {
                shift: shift.get_untracked(),
                meter: Meter::parse(&meter.get_untracked()).unwrap_or(METER),
                tempo_bpm: tempo.get_untracked(),
                ..Presentation::default()
            },
        };
        busy.set(true);
        spawn_local(async move {
            let started = clock_ms();
            if let Err(message) = generate_tunes(state, request).await {
                state.notice.set(Some(message));
            }
            last_ms.set(Some(clock_ms() - started));
            busy.set(false);
            if !seed_locked.get_untracked() {
                seed.set(random_seed());
            }
        });
    };

    view! {
        <section class="panel generate" aria-labelledby="generate-heading">
            <h2 id="generate-heading">"Write new tunes"</h2>
            <div class="controls-grid">
                <label for="temperature">"Temperature"</label>
                <div class="pair">
                    <input id="temperature" type="range" min=TEMPERATURE.range.min.to_string() max=TEMPERATURE.range.max.to_string() step="0.05"
                        prop:value=move || temperature.get().to_string()
                        on:input=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f32>() { temperature.set(TEMPERATURE.range.clamp(v)) } } />
                    <input type="number" min=TEMPERATURE.range.min.to_string() max=TEMPERATURE.range.max.to_string() step="0.05" aria-label="Temperature value" data-testid="temperature"
                        prop:value=move || format!("{:.2}", temperature.get())
                        on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f32>() { temperature.set(TEMPERATURE.range.clamp(v)) } } />
                </div>
                <label for="max-len">"Maximum length (1/16 notes)"</label>
                <input id="max-len" type="number" min=MAX_LEN.range.min.to_string() max=MAX_LEN.range.max.to_string() step="16" data-testid="max-len"
                    prop:value=move || max_len.get().to_string()
                    on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<usize>() { max_len.set(MAX_LEN.range.clamp(v)) } } />
                <label for="count">"Number of tunes"</label>
                <input id="count" type="number" min=TUNES.range.min.to_string() max=TUNES.range.max.to_string() data-testid="count"
                    prop:value=move || count.get().to_string()
                    on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<u64>() { count.set(TUNES.range.clamp(v)) } } />
                <label for="seed">"Random seed"</label>
                <div class="pair">
                    <input id="seed" type="number" min=SEED.range.min.to_string() data-testid="seed"
                        prop:value=move || seed.get().to_string()
                        on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<u64>() { seed.set(v) } } />
                    <button type="button" title="Keep this seed for the next tunes" data-testid="seed-lock"
                        aria-pressed=move || seed_locked.get().to_string()
                        on:click=move |_| seed_locked.update(|l| *l = !*l)>
                        {move || if seed_locked.get() { "Locked" } else { "Lock" }}
                    </button>
                    <button type="button" title="Draw a new seed" data-testid="dice" on:click=move |_| seed.set(random_seed())>"⚄ New seed"</button>
                </div>
                <label for="key">"Key"</label>
                <select id="key" data-testid="key" on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<i8>() { shift.set(v) } }>
                    {KEYS.iter().map(|(s, major, minor)| view! {
                        <option value=s.to_string() selected=*s == KEY_SHIFT.default>{format!("{major} major / {minor} minor")}</option>
                    }).collect_view()}
                </select>
                <label for="mode">"Mode"</label>
                <select id="mode" data-testid="mode" on:change=move |ev| { if let Ok(m) = event_target_value(&ev).parse::<Mode>() { mode.set(m) } }>
                    {Mode::ALL.into_iter().map(|m| view! {
                        <option value=m.to_string() selected=move || mode.get() == m>{m.to_string()}</option>
                    }).collect_view()}
                </select>
                <label for="meter">"Meter"</label>
                <select id="meter" data-testid="meter" on:change=move |ev| meter.set(event_target_value(&ev))>
                    {move || meters().into_iter().map(|m| {
                        let selected = m == meter.get_untracked();
                        view! { <option value=m.clone() selected=selected>{m.clone()}</option> }
                    }).collect_view()}
                </select>
                <label for="tempo">"Tempo (♩ per minute)"</label>
                <input id="tempo" type="number" min=TEMPO.range.min.to_string() max=TEMPO.range.max.to_string()
                    prop:value=move || tempo.get().to_string()
                    on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f64>() { tempo.set(TEMPO.range.clamp(v)) } } />
                <label for="primer">"Opening notes (optional)"</label>
                <div>
                    <input id="primer" type="text" data-testid="primer" placeholder="G4 8 A4 8 B4 4"
                        aria-describedby="primer-help primer-error"
                        prop:value=move || state.primer.get()
                        on:input=move |ev| state.primer.set(event_target_value(&ev)) />
                    <p id="primer-help" class="help">
                        "Note names with octave and length — " <code>"G4 8"</code> " is an eighth-note G above middle C, "
                        <code>"F#5 4."</code> " a dotted quarter, " <code>"r 8"</code> " an eighth rest — or the model's own tokens ("
                        <code>"67 _ 69 _"</code> ": MIDI numbers, " <code>"_"</code> " holds one more 1/16, " <code>"r"</code> " rests). Notes are read in the key chosen above."
                    </p>
                    <p id="primer-error" class="field-error" role="alert" data-testid="primer-error">{move || primer_error.get()}</p>
                </div>
            </div>
            <button type="button" class="primary" data-testid="generate"
                disabled=move || busy.get() || primer_error.get().is_some() || !ready()
                on:click=run>
                {move || if busy.get() { "Writing…" } else { "Generate" }}
            </button>
            <span class="muted" data-testid="generation-ms" data-ms=move || last_ms.get().map(|ms| format!("{ms:.1}"))>
                {move || last_ms.get().map(|ms| format!(" last run took {ms:.0} ms"))}
            </span>
            <ComparePanel temperature=temperature.into() max_len=max_len.into()
                meter=Signal::derive(move || Meter::parse(&meter.get()))
                mode=Signal::derive(move || Some(mode.get())) />
        </section>
    }
}

/// Generates `request.count` tunes, adding each to the history as soon as it is ready.
async fn generate_tunes(state: AppState, request: Request) -> Result<(), String> {
    let loaded = state.loaded().ok_or("the model is not loaded yet")?;
    let header = &loaded.header;
    let primer_tokens = primer::parse(
        &request.primer,
        header.grid.step,
        -i32::from(request.presentation.shift),
    )
    .map_err(|e| format!("opening notes: {e}"))?;
    let primer_ids = header
        .vocab
        .encode(&primer_tokens)
        .map_err(|e| format!("opening notes: {e}"))?;
    for offset in 0..request.count {
        let seed = request.seed + offset;
        let config = GenerateConfig {
            sampler: SamplerConfig {
                temperature: request.temperature,
                top_k: None,
                seed,
            },
            max_len: request.max_len,
            meter: Some(request.presentation.meter),
            mode: Some(request.mode),
        };
        let written = write_tune(&loaded.weights, header.writing(), &primer_ids, &config).await?;
        let provenance = Provenance::of(&header.name, &config, &request.primer, now_ms());
        let presentation = Presentation {
            meter: written.meter.unwrap_or(request.presentation.meter),
            ..request.presentation
        };
        let tune = Tune::from_written(written, provenance);
        state.add_tune(format!("Tune {seed}"), tune, presentation);
        yield_now().await;
    }
    Ok(())
}
