//! The model card: what the loaded model is, what it learnt from, how good it is, and its
//! architecture as a small diagram (each layer with its output shape and parameters).

use leptos::prelude::*;

use crate::app::state::{AppState, ModelState};
use crate::model_file::ModelHeader;

/// The model card, with the loading progress before it is ready.
#[component]
pub fn ModelCard() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <section class="panel model" aria-labelledby="model-heading" aria-live="polite">
            <h2 id="model-heading">"Model"</h2>
            {move || match state.model.get() {
                ModelState::Waiting => view! { <p class="muted">"Waiting for the engine…"</p> }.into_any(),
                ModelState::Loading(received, total) => {
                    let percent = total.map(|t| 100.0 * received as f64 / t.max(1) as f64);
                    view! {
                        <label for="model-progress">"Loading the pretrained model… "</label>
                        <progress id="model-progress" data-testid="model-progress" max="100"
                            value=percent.map(|p| format!("{p:.0}"))></progress>
                        <span class="muted">{format!(" {} kB", received / 1024)}</span>
                    }.into_any()
                }
                ModelState::Failed(message) => view! {
                    <p class="error" role="alert" data-testid="model-error">{message}</p>
                }.into_any(),
                ModelState::Ready(loaded) => view! {
                    <div data-testid="model-ready" data-name=loaded.header.name.clone()>
                        <ModelDetails header=loaded.header.clone() />
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// A model's card: name, corpus, test metrics, vocabulary and architecture diagram.
#[component]
pub fn ModelDetails(header: ModelHeader) -> impl IntoView {
    let training = &header.training;
    let whole = training.test_songs.map(|m| {
        format!(
            "{:.3} nats per token on whole held-out songs ({:.2} bits per note, {:.2} bits per pitch)",
            m.nll, m.joint_bits_per_note, m.pitch_bits_per_note
        )
    });
    let windows = training.test.map(|m| {
        format!(
            "{:.3} nats per token ({:.2} bits per note onset, {:.0} % of next tokens right) on the tutorial's windows",
            m.nll,
            m.onset_bits(),
            100.0 * m.accuracy
        )
    });
    let test = match (whole, windows) {
        (Some(w), Some(s)) => Some(format!("{w}; {s}")),
        (w, s) => w.or(s),
    };
    let layers = header.config.layer_summary();
    let total: usize = layers.iter().map(|l| l.params).sum();
    view! {
        <h3>{header.name.clone()}</h3>
        <dl class="facts">
            <dt>"Trained on"</dt><dd>{format!("{} ({} songs)", training.corpus, training.songs)}</dd>
            <dt>"Test NLL"</dt><dd data-testid="model-nll">{test.unwrap_or_else(|| "not measured".into())}</dd>
            <dt>"Vocabulary"</dt><dd>{format!("{} tokens, 1/16-note grid, in C major / A minor", header.vocab.len())}</dd>
        </dl>
        <ol class="architecture" aria-label="Architecture">
            <li class="layer"><span class="name">"Input"</span><span class="shape">"[batch, seq]"</span><span class="params">"token ids"</span></li>
            {layers.into_iter().map(|layer| view! {
                <li class="layer">
                    <span class="name">{layer.name}</span>
                    <span class="shape">{layer.output}</span>
                    <span class="params">{format!("{} parameters", thousands(layer.params))}</span>
                </li>
            }).collect_view()}
        </ol>
        <p class="muted" data-testid="model-params">{format!("{} parameters in all", thousands(total))}</p>
    }
}

/// 92362 → "92,362".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
