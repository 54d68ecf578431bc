//! Staff notation of a tune: the ABC export drawn as SVG by abcjs (`public/vendor`, MIT), with
//! the written note under the playhead highlighted.

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::export::abc;
use crate::notation::Score;

#[wasm_bindgen(module = "/src/app/js/staff.js")]
extern "C" {
    fn draw_staff(element: &web_sys::HtmlElement, text: &str);
    fn mark_note(element: &web_sys::HtmlElement, index: i32);
}

/// The staff of a tune laid out in bars (in its presentation key and meter), highlighting the
/// note at `beat`, with letter names under the notes when `letters` is on.
#[component]
pub fn Staff(
    score: Score,
    tempo: f64,
    beat: Signal<Option<f64>>,
    letters: Signal<bool>,
) -> impl IntoView {
    let label = format!(
        "Staff notation: {} in {}, {} bars",
        score.meter,
        score.key,
        score.bars.iter().filter(|b| b.number > 0).count()
    );
    let written: usize = score.bars.iter().map(|b| b.notes.len()).sum();
    let ties = score
        .bars
        .iter()
        .flat_map(|b| b.notes.iter())
        .filter(|n| n.tie_to_next)
        .count();
    let node = NodeRef::<Div>::new();
    let drawn = score.clone();
    Effect::new(move |_| {
        let letters = if letters.get() {
            abc::Letters::Under
        } else {
            abc::Letters::Hidden
        };
        if let Some(element) = node.get() {
            draw_staff(&element, &abc::write_score(&drawn, "", tempo, letters));
        }
    });
    let notes = score.clone();
    let highlighted = Memo::new(move |_| {
        beat.get()
            .and_then(|b| notes.note_at(b))
            .map_or(-1, |i| i32::try_from(i).unwrap_or(-1))
    });
    Effect::new(move |_| {
        let index = highlighted.get();
        if let Some(element) = node.get_untracked() {
            mark_note(&element, index);
        }
    });
    view! {
        <div class="staff" node_ref=node data-testid="staff" role="img" aria-label=label
            data-bars=score.bars.len().to_string() data-fifths=score.key.fifths().to_string()
            data-written=written.to_string() data-ties=ties.to_string()
            data-highlight=move || highlighted.get().to_string()></div>
    }
}
