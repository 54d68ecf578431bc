//! The tunes: a piano roll and a note list for each, with playback, key/meter/tempo, MIDI
//! download, share link, rename, star and delete.

use leptos::prelude::*;

use super::staff::Staff;
use crate::app::services::browser::{copy_to_clipboard, download};
use crate::app::services::history::SavedTune;
use crate::app::services::player::{Clock, PlayNote};
use crate::app::services::wav::render_wav;
use crate::app::state::AppState;
use crate::encoding::grid::{self, Step};
use crate::export::link::{self, SharedTune};
use crate::export::{Format, midi};
use crate::notation::Score;
use crate::settings::TEMPO;
use crate::song::{Meter, Pitch, Song, quarters_f64};
use crate::stats::Melody;
use crate::tune::{Instrument, KEYS, event_label, meter_choices};

/// Every saved tune, newest first; starred ones first when asked.
#[component]
pub fn TuneList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let starred_only = RwSignal::new(false);
    let ids = move || {
        state.tunes.with(|tunes| {
            tunes
                .iter()
                .filter(|t| !starred_only.get() || t.starred)
                .map(|t| t.id)
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="panel tunes" aria-labelledby="tunes-heading">
            <div class="row">
                <h2 id="tunes-heading">"Your tunes"</h2>
                <label class="setting">
                    <input type="checkbox" on:change=move |ev| starred_only.set(event_target_checked(&ev)) />
                    " Starred only"
                </label>
                <label class="setting">
                    <input type="checkbox" data-testid="note-letters" prop:checked=move || state.note_letters.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            state.note_letters.set(on);
                            crate::app::services::preferences::set_note_letters(on);
                        } />
                    " Note letters"
                </label>
            </div>
            <Show when=move || state.tunes.with(Vec::is_empty)>
                <p class="muted">"Tunes you generate appear here and stay in this browser."</p>
            </Show>
            {move || state.history_error.get().map(|why| view! {
                <p class="error" role="status" data-testid="history-error">
                    {format!("Your tunes are kept on this page only: {why}. Download the ones you want to keep.")}
                </p>
            })}
            <p class="muted" data-testid="shortcuts"><kbd>"Space"</kbd>" plays or pauses; "<kbd>"←"</kbd>" "<kbd>"→"</kbd>" move by a bar."</p>
            <For each=ids key=|id| *id let:id>
                <TuneCard id />
            </For>
        </section>
    }
}

/// Quarter notes per grid step (tunes use the tutorial's 1/16 grid).
const STEP: Step = Step::Sixteenth;

fn song_of(tune: &SavedTune) -> Option<Song> {
    tune.tune.song(STEP, &tune.presentation).ok()
}

/// The notes to play, in quarter notes, and the tune's length (rests included).
pub(super) fn play_notes(song: &Song) -> (Vec<PlayNote>, f64) {
    let per_quarter = f64::from(midi::TICKS_PER_QUARTER);
    let notes = midi::timed_notes(song)
        .into_iter()
        .map(|n| PlayNote {
            start: f64::from(n.start) / per_quarter,
            length: f64::from(n.end - n.start) / per_quarter,
            midi: n.pitch,
        })
        .collect();
    let total: num_rational::Ratio<u32> = song.events.iter().map(|e| e.duration).sum();
    (notes, quarters_f64(total))
}

/// The download name of a tune's file with `extension`.
fn file_name(title: &str, seed: u64, extension: &str) -> String {
    format!(
        "{}-seed-{seed}.{extension}",
        crate::app::services::browser::file_name(title)
    )
}

/// One tune.
#[component]
fn TuneCard(id: u64) -> impl IntoView {
    let state = expect_context::<AppState>();
    let tune = Memo::new(move |_| {
        state
            .tunes
            .with(|tunes| tunes.iter().find(|t| t.id == id).cloned())
    });
    let song = Memo::new(move |_| tune.get().as_ref().and_then(song_of));
    let share = RwSignal::new(None::<String>);
    let looping = RwSignal::new(false);
    // The A–B section by bar number (None: the first / the last bar).
    let loop_from = RwSignal::new(None::<u32>);
    let loop_to = RwSignal::new(None::<u32>);
    // The tune laid out in bars, once: the staff draws it and the A–B loop counts its bars.
    let score = Memo::new(move |_| song.get().map(|s| crate::notation::layout(&s)));
    let spans =
        Memo::new(move |_| score.with(|s| s.as_ref().map(Score::spans).unwrap_or_default()));
    // The span to repeat, in quarter notes, when looping.
    let section = move || -> Option<(f64, f64)> {
        if !looping.get_untracked() {
            return None;
        }
        spans.with_untracked(|spans| {
            let first = spans.first()?;
            let last = spans.last()?;
            let from = loop_from.get_untracked().unwrap_or(first.0);
            let to = loop_to.get_untracked().unwrap_or(last.0).max(from);
            let start = spans.iter().find(|b| b.0 >= from).unwrap_or(last).1;
            let end = spans.iter().rev().find(|b| b.0 <= to).unwrap_or(first).2;
            Some((start, end.max(start)))
        })
    };
    let update_loop = move || {
        let span = section();
        state.player.update_value(|p| p.set_looping(id, span));
    };
    let playing = move || state.playing(id);
    let beat = Signal::derive(move || state.beat(id));

    let play = move |_| {
        state.play_or_pause(id, |player| {
            let (Some(tune), Some(song)) = (tune.get_untracked(), song.get_untracked()) else {
                return Ok(());
            };
            let (notes, total) = play_notes(&song);
            let step = STEP.quarters();
            let pickup = tune.tune.pickup as f64 * quarters_f64(step);
            let clock = Clock::new(tune.presentation.meter, pickup);
            player.play(
                id,
                notes,
                total,
                tune.presentation.tempo_bpm,
                section(),
                clock,
            )
        });
    };
    let stop = move |_| state.stop_playing();
    let download_as = move |format: Format| {
        let (Some(tune), Some(song)) = (tune.get_untracked(), song.get_untracked()) else {
            return;
        };
        let bytes = format.write(&song, &tune.title, tune.presentation.tempo_bpm);
        if let Err(message) = download(
            &bytes,
            &file_name(&tune.title, tune.tune.provenance.seed, format.extension()),
            format.mime(),
        ) {
            state
                .notice
                .set(Some(format!("Download failed: {message}")));
        }
    };
    let rendering = RwSignal::new(false);
    let download_wav = move |_| {
        let (Some(tune), Some(song)) = (tune.get_untracked(), song.get_untracked()) else {
            return;
        };
        rendering.set(true);
        leptos::task::spawn_local(async move {
            let (notes, total) = play_notes(&song);
            let name = file_name(&tune.title, tune.tune.provenance.seed, "wav");
            let outcome = render_wav(&notes, total, tune.presentation.tempo_bpm)
                .await
                .and_then(|bytes| download(&bytes, &name, "audio/wav"));
            if let Err(message) = outcome {
                state
                    .notice
                    .set(Some(format!("The WAV file could not be made: {message}")));
            }
            rendering.set(false);
        });
    };
    let make_link = move |_| {
        let Some(tune) = tune.get_untracked() else {
            return;
        };
        let fragment = link::encode(&SharedTune {
            title: tune.title,
            tune: tune.tune,
            presentation: tune.presentation,
        });
        let base = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        let url = format!("{}#{fragment}", base.split('#').next().unwrap_or_default());
        copy_to_clipboard(&url);
        share.set(Some(url));
    };
    let use_opening = move |_| {
        let Some(tune) = tune.get_untracked() else {
            return;
        };
        let bar_steps =
            (tune.presentation.meter.bar_length() / STEP.quarters()).to_integer() as usize;
        let opening = &tune.tune.tokens[..tune.tune.tokens.len().min(bar_steps * 2)];
        state.primer.set(grid::to_text(opening));
    };

    view! {
        {move || tune.get().map(|t| {
            let provenance = t.tune.provenance.clone();
            let song_now = song.get();
            let labels: Vec<String> = song_now.iter().flat_map(|s| s.events.iter().map(event_label)).collect();
            let notes_json = song_now.as_ref().map(note_data).unwrap_or_default();
            let note_count = song_now.as_ref().map_or(0, |s| s.events.iter().filter(|e| matches!(e.pitch, Pitch::Note(_))).count());
            let tokens_text = grid::to_text(&t.tune.tokens);
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(provenance.created_ms)).to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED);
            view! {
                <article class="tune" data-testid="tune" data-id=id.to_string() data-seed=provenance.seed.to_string()
                    data-notes=notes_json data-note-count=note_count.to_string()
                    data-tokens=tokens_text data-pickup=t.tune.pickup.to_string() data-meter=t.presentation.meter.to_string()
                    data-mode=t.tune.mode.map(|m| m.to_string()).unwrap_or_default()>
                    <header class="row">
                        <input class="title" aria-label="Title" data-testid="title" prop:value=t.title.clone()
                            on:change=move |ev| { let title = event_target_value(&ev); state.edit_tune(id, |t| t.title = title) } />
                        <button type="button" class="star" data-testid="star" aria-pressed=t.starred.to_string()
                            title="Star this tune" aria-label="Star"
                            on:click=move |_| state.edit_tune(id, |t| t.starred = !t.starred)>
                            {if t.starred { "★" } else { "☆" }}
                        </button>
                    </header>
                    {score.get().map(|s| view! { <Staff score=s tempo=t.presentation.tempo_bpm beat letters=state.note_letters.into() /> })}
                    {song_now.clone().map(|s| view! { <PianoRoll song=s beat /> })}
                    <p class="notes" aria-label="Notes" tabindex="0">{labels.join(" · ")}</p>
                    <div class="row controls">
                        <button type="button" class="primary" data-testid="play" on:click=play>
                            {move || if playing() {
                                // Drawn, not a character: U+23F8 is missing from many fonts.
                                view! {
                                    <svg class="icon" aria-hidden="true" viewBox="0 0 10 10">
                                        <rect x="1.5" y="1" width="2.5" height="8" /><rect x="6" y="1" width="2.5" height="8" />
                                    </svg>
                                    " Pause"
                                }.into_any()
                            } else {
                                "▶ Play".into_any()
                            }}
                        </button>
                        <button type="button" data-testid="stop" on:click=stop>"■ Stop"</button>
                        <label class="setting"><input type="checkbox" data-testid="loop"
                            on:change=move |ev| { looping.set(event_target_checked(&ev)); update_loop(); } />" Loop bars"</label>
                        <label class="setting"><input type="checkbox" data-testid="count-in"
                            prop:checked=move || state.player.with_value(|p| p.count_in)
                            on:change=move |ev| { let on = event_target_checked(&ev); state.player.update_value(|p| p.count_in = on); } />" Count-in"</label>
                        <label class="setting"><input type="checkbox" data-testid="metronome"
                            prop:checked=move || state.player.with_value(|p| p.metronome)
                            on:change=move |ev| { let on = event_target_checked(&ev); state.player.update_value(|p| p.metronome = on); } />" Metronome"</label>
                        <span class="setting loop-bars">
                            <input type="number" class="bar-number" aria-label="Loop from bar" data-testid="loop-from"
                                min=move || spans.with(|s| s.first().map_or(0, |b| b.0)).to_string()
                                max=move || spans.with(|s| s.last().map_or(0, |b| b.0)).to_string()
                                prop:value=move || loop_from.get().or_else(|| spans.with(|s| s.first().map(|b| b.0))).unwrap_or(0).to_string()
                                on:change=move |ev| { loop_from.set(event_target_value(&ev).parse().ok()); update_loop(); } />
                            "–"
                            <input type="number" class="bar-number" aria-label="Loop to bar" data-testid="loop-to"
                                min=move || spans.with(|s| s.first().map_or(0, |b| b.0)).to_string()
                                max=move || spans.with(|s| s.last().map_or(0, |b| b.0)).to_string()
                                prop:value=move || loop_to.get().or_else(|| spans.with(|s| s.last().map(|b| b.0))).unwrap_or(0).to_string()
                                on:change=move |ev| { loop_to.set(event_target_value(&ev).parse().ok()); update_loop(); } />
                        </span>
                        <select aria-label="Key" data-testid="tune-key"
                            on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<i8>() { state.edit_tune(id, |t| t.presentation.shift = v) } }>
                            {KEYS.iter().map(|(s, major, minor)| view! {
                                <option value=s.to_string() selected=*s == t.presentation.shift>{format!("{major} / {minor}m")}</option>
                            }).collect_view()}
                        </select>
                        <select aria-label="Instrument" data-testid="instrument" title="Write the part for a transposing instrument"
                            on:change=move |ev| { if let Some(i) = event_target_value(&ev).parse::<u8>().ok().and_then(Instrument::from_code) { state.edit_tune(id, |t| t.presentation.instrument = i) } }>
                            {Instrument::ALL.into_iter().map(|i| view! {
                                <option value=i.code().to_string() selected=i == t.presentation.instrument>{i.label()}</option>
                            }).collect_view()}
                        </select>
                        <select aria-label="Meter"
                            on:change=move |ev| { if let Some(m) = Meter::parse(&event_target_value(&ev)) { state.edit_tune(id, |t| t.presentation.meter = m) } }>
                            {meter_choices(t.presentation.meter).into_iter().map(|m| {
                                let selected = m == t.presentation.meter;
                                view! { <option value=m.to_string() selected=selected>{m.to_string()}</option> }
                            }).collect_view()}
                        </select>
                        <label class="setting">"♩=" <input type="number" min=TEMPO.range.min.to_string() max=TEMPO.range.max.to_string() class="tempo" aria-label="Tempo" data-testid="tempo"
                            prop:value=t.presentation.tempo_bpm.to_string()
                            on:change=move |ev| {
                                if let Ok(bpm) = event_target_value(&ev).parse::<f64>() {
                                    let bpm = TEMPO.range.clamp(bpm);
                                    state.edit_tune(id, |t| t.presentation.tempo_bpm = bpm);
                                    state.player.update_value(|p| p.set_tempo(id, bpm));
                                }
                            } /></label>
                        {Format::ALL.into_iter().map(|format| view! {
                            <button type="button" data-testid=format!("download-{}", format.extension())
                                title=format!("Download as {}", format.label())
                                on:click=move |_| download_as(format)>{format!("⤓ {}", format.label())}</button>
                        }).collect_view()}
                        <button type="button" data-testid="download-wav" title="Download what the player plays, as a WAV file"
                            disabled=move || rendering.get() on:click=download_wav>
                            {move || if rendering.get() { "Rendering…" } else { "⤓ WAV" }}
                        </button>
                        <button type="button" data-testid="share" on:click=make_link>"Share link"</button>
                        <button type="button" title="Use the first two bars as opening notes" on:click=use_opening>"Use opening"</button>
                        <button type="button" class="danger" data-testid="delete" on:click=move |_| {
                            state.player.update_value(|p| if state.position.get_untracked().is_some_and(|pos| pos.tune == id) { p.stop() });
                            state.delete_tune(id);
                        }>"Delete"</button>
                    </div>
                    {move || share.get().map(|url| view! {
                        <p class="share"><label>"Link (copied): " <input readonly data-testid="share-link" prop:value=url /></label></p>
                    })}
                    <p class="provenance" data-testid="provenance">
                        {format!(
                            "{} · seed {} · temperature {:.2} · {} · up to {} steps · {} · {}",
                            provenance.model,
                            provenance.seed,
                            provenance.temperature,
                            if provenance.primer.is_empty() { "no opening notes".to_string() } else { format!("opening “{}”", provenance.primer) },
                            provenance.max_len,
                            t.presentation.key_label(t.tune.mode),
                            String::from(date),
                        )}
                    </p>
                    <p class="form" data-testid="form"
                        title="A letter for each bar after the pickup: the same letter where a bar repeats an earlier one">
                        {format!("Form: {}", form_of(&t))}
                    </p>
                </article>
            }
        })}
    }
}

/// The tune's form ([`Melody::form`]), barred by its meter from its pickup.
fn form_of(tune: &SavedTune) -> String {
    let t = &tune.tune;
    Melody::barred(&t.tokens, tune.presentation.meter, t.pickup, t.mode, STEP).form()
}

/// `[[midi, start_step, steps], …]` of the notes, for the tests.
fn note_data(song: &Song) -> String {
    let per_step = STEP.quarters();
    let mut clock = 0u32;
    let mut notes = Vec::new();
    for event in &song.events {
        let steps = (event.duration / per_step).to_integer();
        if let Pitch::Note(m) = event.pitch {
            notes.push([u32::from(m), clock, steps]);
        }
        clock += steps;
    }
    serde_json::to_string(&notes).unwrap_or_default()
}

/// Pitch over time as SVG (crisp at any zoom), with bar lines and the playhead.
#[component]
fn PianoRoll(song: Song, beat: Signal<Option<f64>>) -> impl IntoView {
    const PX_PER_QUARTER: f64 = 24.0;
    const ROW: f64 = 6.0;
    let (notes, total) = play_notes(&song);
    // Two rows of room below the lowest note and above the highest (an octave without notes).
    let (low, high) = notes
        .iter()
        .fold(None, |range: Option<(u8, u8)>, n| {
            Some(range.map_or((n.midi, n.midi), |(lo, hi)| {
                (lo.min(n.midi), hi.max(n.midi))
            }))
        })
        .map_or((58, 74), |(lo, hi)| {
            (lo.saturating_sub(2), hi.saturating_add(2))
        });
    let width = (total * PX_PER_QUARTER).max(PX_PER_QUARTER);
    let height = f64::from(high - low + 1) * ROW;
    let bar = song
        .meters
        .first()
        .map_or(4.0, |m| quarters_f64(m.bar_length()));
    let bars: Vec<f64> = (0..)
        .map(|i| i as f64 * bar)
        .take_while(|x| *x <= total)
        .collect();
    let label = format!(
        "Piano roll: {} notes over {} bars",
        notes.len(),
        bars.len().saturating_sub(1).max(1)
    );
    let y = move |midi: u8| f64::from(high - midi) * ROW;
    view! {
        <div class="roll" role="img" aria-label=label tabindex="0">
            <svg viewBox=format!("0 0 {width} {height}") width=width height=height preserveAspectRatio="xMinYMin meet">
                {bars.into_iter().map(|x| view! {
                    <line class="bar" x1=x * PX_PER_QUARTER x2=x * PX_PER_QUARTER y1="0" y2=height />
                }).collect_view()}
                {notes.iter().map(|n| view! {
                    <rect class="note" x=n.start * PX_PER_QUARTER y=y(n.midi) width=(n.length * PX_PER_QUARTER - 1.0).max(1.0) height=ROW - 1.0 rx="1.5" />
                }).collect_view()}
                <line class="playhead" data-testid="playhead"
                    x1=move || beat.get().unwrap_or(0.0) * PX_PER_QUARTER
                    x2=move || beat.get().unwrap_or(0.0) * PX_PER_QUARTER
                    data-beat=move || beat.get().map(|b| format!("{b:.3}")).unwrap_or_default()
                    y1="0" y2=height visibility=move || if beat.get().is_some() { "visible" } else { "hidden" } />
            </svg>
        </div>
    }
}
