//! Step two of journey two: settings (a recipe's defaults, from the core), a time estimate, training in the
//! worker with progress, a live loss chart, pause / resume / stop, sample tunes after each
//! epoch, and the test result.

use leptos::prelude::*;

use super::loss_chart::LossChart;
use super::model_card::ModelDetails;
use super::tune_card::play_notes;
use crate::app::protocol::Estimate;
use crate::app::services::player::Clock;
use crate::app::services::preferences;
use crate::app::services::training::{CorpusState, RunState, Sample, Training};
use crate::app::state::{AppState, PRETRAINED};
use crate::model::config::{DROPOUT, HIDDEN, LAYERS};
use crate::recipe::{
    BATCH, DEFAULT_SEED, EPOCHS, LEARNING_RATE, LossMode, PAGE_WINDOW_STRIDE, Recipe, STRIDE,
    TrainOverrides,
};
use crate::settings::Range;
use crate::train::JobSpec;
use crate::tune::Presentation;

/// Value of the "start from" choice for a fresh network.
const FRESH: &str = "fresh";

/// The training panel.
#[component]
pub fn TrainPanel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let training = expect_context::<Training>();
    let name = RwSignal::new("My model".to_string());
    let start = RwSignal::new(FRESH.to_string());
    let recipe = RwSignal::new(Recipe::default());
    let shape = Recipe::default().shape();
    let train = Recipe::default().train();
    let hidden = RwSignal::new(shape.hidden);
    let layers = RwSignal::new(shape.layers);
    let epochs = RwSignal::new(train.epochs);
    let batch = RwSignal::new(train.batch_size);
    let learning_rate = RwSignal::new(train.learning_rate);
    let dropout = RwSignal::new(shape.dropout);
    // The window recipe's loss: every position at a stride is its fastest in the page.
    let loss_all = RwSignal::new(true);
    let stride = RwSignal::new(PAGE_WINDOW_STRIDE);
    // Choosing a recipe resets the settings to its defaults.
    let choose_recipe = move |chosen: Recipe| {
        let (shape, train) = (chosen.shape(), chosen.train());
        recipe.set(chosen);
        hidden.set(shape.hidden);
        layers.set(shape.layers);
        dropout.set(shape.dropout);
        epochs.set(train.epochs);
        batch.set(train.batch_size);
        learning_rate.set(train.learning_rate);
    };
    let windows = move || recipe.get() == Recipe::Windows;
    // The CPU until "Estimate time" has timed both devices; then the faster one.
    let on_cpu = RwSignal::new(true);
    Effect::new(move |_| {
        if let Some(fastest) = faster(&training.calibration.get()) {
            on_cpu.set(fastest.on_cpu);
        }
    });

    let corpus_name = move || match training.corpus.get_untracked() {
        CorpusState::Ready(report) => format!("your songs ({} files)", report.totals.files),
        _ => "your songs".into(),
    };
    // The form's choices as overrides of the recipe, resolved by the core as the command line's
    // are. The split's seed stays fixed, so that runs in the page split a corpus alike.
    let overrides = move || {
        let window_loss = windows() && loss_all.get_untracked();
        TrainOverrides {
            recipe: recipe.get_untracked(),
            hidden: Some(hidden.get_untracked()),
            layers: Some(layers.get_untracked()),
            dropout: Some(dropout.get_untracked()),
            epochs: Some(epochs.get_untracked()),
            batch: Some(batch.get_untracked()),
            learning_rate: Some(learning_rate.get_untracked()),
            loss: window_loss.then_some(LossMode::All),
            stride: window_loss.then(|| stride.get_untracked()),
            seed: Some((js_sys::Math::random() * 1e9) as u64),
            split_seed: Some(DEFAULT_SEED),
            ..TrainOverrides::default()
        }
    };
    let spec = move || -> Result<JobSpec, String> {
        let resolved = overrides().resolve()?;
        Ok(JobSpec {
            name: name.get_untracked().trim().to_string(),
            corpus_name: corpus_name(),
            shape: resolved.shape,
            train: resolved.train,
            split: resolved.split,
            grid: Default::default(),
        })
    };
    let base = move || {
        let choice = start.get_untracked();
        (choice != FRESH)
            .then(|| app.model_bytes(&choice))
            .flatten()
    };
    let corpus_ready = move || matches!(training.corpus.get(), CorpusState::Ready(_));
    let can_start = move || corpus_ready() && !training.busy() && !name.get().trim().is_empty();
    let number = |signal: RwSignal<usize>, range: Range<usize>| {
        move |ev: leptos::ev::Event| {
            if let Ok(v) = event_target_value(&ev).parse::<usize>() {
                signal.set(range.clamp(v));
            }
        }
    };
    let real = |signal: RwSignal<f64>, range: Range<f64>| {
        move |ev: leptos::ev::Event| {
            if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                signal.set(range.clamp(v));
            }
        }
    };
    let fine_tuning = move || start.get() != FRESH;

    view! {
        <section class="panel train" aria-labelledby="train-heading">
            <h3 id="train-heading">"2. Train"</h3>
            <div class="controls-grid">
                <label for="model-name">"Model name"</label>
                <input id="model-name" type="text" data-testid="model-name" prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="start-from">"Start from"</label>
                <select id="start-from" data-testid="start-from" on:change=move |ev| start.set(event_target_value(&ev))>
                    <option value=FRESH selected=true>"a fresh network"</option>
                    <option value=PRETRAINED>"the pretrained German model (fine-tune)"</option>
                    <For each=move || app.models.get().into_iter().filter(|m| m.complete) key=|m| m.id.clone() let:m>
                        <option value=m.id.clone()>{format!("{} (fine-tune)", m.header.name)}</option>
                    </For>
                </select>
                <label for="recipe">"Recipe"</label>
                <select id="recipe" data-testid="recipe" disabled=fine_tuning
                    on:change=move |ev| { if let Ok(r) = event_target_value(&ev).parse::<Recipe>() { choose_recipe(r) } }>
                    {Recipe::ALL.into_iter().map(|r| view! {
                        <option value=r.name() selected=move || recipe.get() == r>{format!("{}: {}", r.name(), r.description())}</option>
                    }).collect_view()}
                </select>
                <label for="hidden">"Hidden units"</label>
                <input id="hidden" type="number" min=HIDDEN.min.to_string() max=HIDDEN.max.to_string() data-testid="hidden" disabled=fine_tuning
                    prop:value=move || hidden.get().to_string() on:change=number(hidden, HIDDEN) />
                <label for="layers">"LSTM layers"</label>
                <input id="layers" type="number" min=LAYERS.min.to_string() max=LAYERS.max.to_string() disabled=fine_tuning
                    prop:value=move || layers.get().to_string() on:change=number(layers, LAYERS) />
                <label for="dropout">"Dropout"</label>
                <input id="dropout" type="number" min=DROPOUT.min.to_string() max=DROPOUT.max.to_string() step="0.05" disabled=fine_tuning
                    prop:value=move || dropout.get().to_string() on:change=real(dropout, DROPOUT) />
                <label for="epochs">"Epochs"</label>
                <input id="epochs" type="number" min=EPOCHS.min.to_string() max=EPOCHS.max.to_string() data-testid="epochs"
                    prop:value=move || epochs.get().to_string() on:change=number(epochs, EPOCHS) />
                <label for="batch">"Batch size"</label>
                <input id="batch" type="number" min=BATCH.min.to_string() max=BATCH.max.to_string() data-testid="batch"
                    prop:value=move || batch.get().to_string() on:change=number(batch, BATCH) />
                <label for="lr">"Learning rate"</label>
                <input id="lr" type="number" data-testid="lr" min=LEARNING_RATE.min.to_string() max=LEARNING_RATE.max.to_string() step="0.0001"
                    prop:value=move || learning_rate.get().to_string() on:change=real(learning_rate, LEARNING_RATE) />
                <label for="loss-mode">"Loss"</label>
                <select id="loss-mode" data-testid="loss-mode" disabled=move || !windows() on:change=move |ev| loss_all.set(event_target_value(&ev) == "all")>
                    <option value="all" selected=true>"every position (faster)"</option>
                    <option value="last">"last token only (the tutorial's)"</option>
                </select>
                <label for="train-on">"Train on"</label>
                <select id="train-on" data-testid="train-on" on:change=move |ev| on_cpu.set(event_target_value(&ev) == "cpu")>
                    <option value="cpu" selected=move || on_cpu.get()>"the CPU"</option>
                    <option value="gpu" selected=move || !on_cpu.get()>"WebGPU where available"</option>
                </select>
                <label for="stride">"Window stride"</label>
                <input id="stride" type="number" min=STRIDE.min.to_string() max=STRIDE.max.to_string() data-testid="stride" disabled=move || !windows() || !loss_all.get()
                    prop:value=move || stride.get().to_string() on:change=number(stride, STRIDE) />
            </div>
            <p class="help">
                "Whole songs (the default) read each song from its start to its end with the meter, the mode and the "
                "position in the bar as inputs: each token is computed once per epoch, so training is fast, and the tunes "
                "learn where songs end. The windows recipe, the baseline, reads 64-token windows (loss on every position at a "
                "stride is its fastest here). Adam, a split by song with variants kept together (80 % training, 10 % validation, "
                "10 % test), and the weights with the best validation loss are kept. "
                "\u{201c}Estimate time\u{201d} times a few steps on the CPU and, where the browser offers it, on WebGPU, "
                "and sets \u{201c}Train on\u{201d} to the faster; until then training runs on the CPU."
            </p>
            <div class="actions">
                <button type="button" data-testid="calibrate" disabled=move || !can_start()
                    on:click=move |_| match spec() {
                        Ok(spec) => training.calibrate(app, spec, base(), preferences::force_cpu()),
                        Err(why) => training.run.set(RunState::Failed(why)),
                    }>"Estimate time"</button>
                <button type="button" class="primary" data-testid="train" disabled=move || !can_start()
                    on:click=move |_| match spec() {
                        Ok(spec) => training.train(app, spec, base(), on_cpu.get_untracked()),
                        Err(why) => training.run.set(RunState::Failed(why)),
                    }>"Train"</button>
                <button type="button" data-testid="pause" disabled=move || !matches!(training.run.get(), RunState::Training { .. })
                    on:click=move |_| training.pause(app, !matches!(training.run.get_untracked(), RunState::Training { paused: true }))>
                    {move || if matches!(training.run.get(), RunState::Training { paused: true }) { "Resume" } else { "Pause" }}
                </button>
                <button type="button" data-testid="stop" disabled=move || !matches!(training.run.get(), RunState::Training { .. })
                    on:click=move |_| training.stop(app)>"Stop"</button>
            </div>
            {move || (!corpus_ready()).then(|| view! { <p class="muted">"Choose your songs first (step 1)."</p> })}
            <Status epochs />
            <LossChart epochs=Signal::derive(move || epochs.get()) />
            <Samples />
            <Outcome />
        </section>
    }
}

/// The calibration's fastest device, if any was timed.
fn faster(estimates: &[Estimate]) -> Option<&Estimate> {
    estimates
        .iter()
        .min_by(|a, b| a.seconds_per_step.total_cmp(&b.seconds_per_step))
}

/// Device, calibration, progress and errors.
#[component]
fn Status(epochs: RwSignal<usize>) -> impl IntoView {
    let training = expect_context::<Training>();
    view! {
        <div class="train-status" aria-live="polite">
            {move || training.started.get().map(|s| view! {
                <p data-testid="train-started" data-backend=s.backend.clone() data-steps=s.sizes.steps_per_epoch>
                    {format!("On {}: {} songs ({} training, {} validation, {} test, variants kept together), {} training {} per epoch, {} steps per epoch, {} parameters.",
                        s.backend, s.sizes.songs, s.sizes.train_songs, s.sizes.valid_songs, s.sizes.test_songs, s.sizes.train_units, s.sizes.unit, s.sizes.steps_per_epoch, s.sizes.params)}
                </p>
                {(!s.skipped.is_empty()).then(|| view! {
                    <details data-testid="skipped"><summary>{format!("{} songs skipped: the starting model does not know some of their notes", s.skipped.len())}</summary>
                        <ul>{s.skipped.iter().map(|k| view! { <li>{format!("{}: {}", k.song, k.reason)}</li> }).collect_view()}</ul>
                    </details>
                })}
            })}
            {move || match training.run.get() {
                RunState::Calibrating => view! { <p>"Timing a few steps on this device…"</p> }.into_any(),
                RunState::Failed(message) => view! { <p class="error" role="alert" data-testid="train-error">{message}</p> }.into_any(),
                _ => ().into_any(),
            }}
            {move || {
                let estimates = training.calibration.get();
                faster(&estimates).cloned().map(|chosen| view! {
                    <div data-testid="calibration" data-seconds-per-epoch=format!("{:.3}", chosen.seconds_per_epoch)
                        data-estimates=estimates.len() data-faster=if chosen.on_cpu { "cpu" } else { "gpu" }>
                        <ul>{estimates.iter().map(|e| view! {
                            <li>{format!("On {}: about {} per epoch, {} for {} epochs ({:.0} ms per step).",
                                e.backend, duration(e.seconds_per_epoch), duration(e.seconds_per_epoch * epochs.get() as f64),
                                epochs.get(), 1000.0 * e.seconds_per_step)}</li>
                        }).collect_view()}</ul>
                        {(estimates.len() > 1).then(|| view! {
                            <p>{format!("\u{201c}Train on\u{201d} is set to the faster: {}.", chosen.backend)}</p>
                        })}
                    </div>
                })
            }}
            {move || training.progress.get().map(|(p, memory)| {
                let done = (p.epoch - 1) * p.steps_per_epoch + p.step_in_epoch;
                let total = p.epochs * p.steps_per_epoch;
                view! {
                    <div data-testid="train-progress" data-epoch=p.epoch data-step=p.step data-loss=format!("{:.4}", p.train_loss)
                        data-rate=format!("{:.1}", p.rate) data-rate-unit=p.rate_unit.clone() data-memory=format!("{memory:.0}")>
                        <progress max=total value=done aria-label="Training progress"></progress>
                        <p>{format!("Epoch {} of {}, step {} of {} · loss {:.3} · {:.0} {}/s · {} left · worker memory {:.0} MB",
                            p.epoch, p.epochs, p.step_in_epoch, p.steps_per_epoch, p.train_loss, p.rate, p.rate_unit, duration(p.eta_s), memory / 1e6)}</p>
                        {move || (training.run.get() == RunState::Training { paused: true }).then(|| view! { <p><strong>"Paused."</strong></p> })}
                        {move || (training.run.get() == RunState::Stopping).then(|| view! { <p>"Stopping after this step; the best weights so far are kept…"</p> })}
                        {move || (training.run.get() == RunState::Finishing).then(|| view! { <p data-testid="train-finishing">"Measuring the model on its test songs, then tuning where its tunes end and how freely they take up new pitches (a few seconds)…"</p> })}
                    </div>
                }
            })}
            <span hidden data-testid="longest-stall" data-ms=move || format!("{:.0}", training.longest_stall_ms.get())></span>
        </div>
    }
}

/// Sample tunes written after each epoch, to hear the model learn.
#[component]
fn Samples() -> impl IntoView {
    let app = expect_context::<AppState>();
    let training = expect_context::<Training>();
    let play = move |sample: &Sample| {
        let presentation = Presentation::default();
        let Ok(song) = sample.tune.song(Default::default(), &presentation) else {
            return;
        };
        let (notes, total) = play_notes(&song);
        let id = sample.epoch as u64 + 1;
        app.play(|player| {
            let clock = Clock::new(presentation.meter, 0.0);
            player.play(id, notes, total, presentation.tempo_bpm, None, clock)
        });
    };
    view! {
        <Show when=move || training.samples.with(|s| !s.is_empty())>
            <h4>"What the model writes"</h4>
            <ol class="samples" data-testid="samples">
                <For each=move || training.samples.get() key=|s| s.epoch let:sample>
                    {
                        let label = if sample.epoch == 0 { "Before training".to_string() } else { format!("After epoch {}", sample.epoch) };
                        let notes = sample.tune.tokens.iter().filter(|t| !matches!(t, crate::encoding::grid::Token::Hold)).count();
                        let sample2 = sample.clone();
                        view! {
                            <li data-testid="sample" data-epoch=sample.epoch>
                                <button type="button" on:click=move |_| play(&sample2)>"▶ Play"</button>
                                {format!(" {label}: {notes} {}", if notes == 1 { "note or rest" } else { "notes and rests" })}
                            </li>
                        }
                    }
                </For>
            </ol>
        </Show>
    }
}

/// The result of the last run.
#[component]
fn Outcome() -> impl IntoView {
    let app = expect_context::<AppState>();
    let training = expect_context::<Training>();
    move || {
        training.outcome.get().map(|o| {
            let id = o.model_id.clone();
            view! {
                <div class="outcome" data-testid="train-outcome" data-model-id=o.model_id.clone() data-test-nll=format!("{:.4}", o.test.nll)>
                    <h4>{if o.stopped { "Stopped: the best weights so far are kept" } else { "Trained" }}</h4>
                    <dl class="facts">
                        <dt>"Model"</dt><dd>{o.name.clone()}" (saved in this browser, under “Your models”)"</dd>
                        <dt>"Test NLL"</dt><dd>{format!("{:.3} nats per token, {:.2} bits per note, {:.2} bits per pitch on {} whole held-out songs", o.test.nll, o.test.joint_bits_per_note, o.test.pitch_bits_per_note, o.test.songs)}</dd>
                        <dt>"Accuracy"</dt><dd>{format!("{:.1} % of next tokens right", 100.0 * o.test.accuracy)}</dd>
                        <dt>"Training time"</dt><dd>{duration(o.seconds)}</dd>
                    </dl>
                    {
                        let id = o.model_id.clone();
                        move || app.models.with(|models| models.iter().find(|m| m.id == id).map(|m| view! {
                            <details class="card"><summary>"Model card"</summary><ModelDetails header=m.header.clone() /></details>
                        }))
                    }
                    <button type="button" class="primary" data-testid="use-trained" on:click=move |_| app.use_model(&id)>"Write tunes with it"</button>
                </div>
            }
        })
    }
}

/// "1 min 20 s", "45 s", "0.8 s".
fn duration(seconds: f64) -> String {
    if seconds < 10.0 {
        format!("{seconds:.1} s")
    } else if seconds < 60.0 {
        format!("{seconds:.0} s")
    } else if seconds < 3600.0 {
        format!("{} min {:.0} s", (seconds / 60.0).floor(), seconds % 60.0)
    } else {
        format!(
            "{} h {:.0} min",
            (seconds / 3600.0).floor(),
            (seconds % 3600.0) / 60.0
        )
    }
}
