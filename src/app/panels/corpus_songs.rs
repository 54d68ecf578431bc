//! The accepted songs of an upload: a list to search, and the chosen song's staff and sound,
//! so that a user can check what the model will learn from.

use std::rc::Rc;

use leptos::prelude::*;

use super::corpus_panel::LISTED;
use super::staff::Staff;
use super::tune_card::play_notes;
use crate::app::services::player::Clock;
use crate::app::services::training::Training;
use crate::app::state::AppState;
use crate::corpus::report::{CorpusReport, SongStatus};
use crate::song::Song;
use crate::tune::Presentation;

/// The player's id for the corpus song shown (tunes use their creation times).
const PLAYER_ID: u64 = u64::MAX;

/// One accepted song's line.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    /// Index among the accepted songs (the worker's order).
    index: usize,
    label: String,
    detail: String,
}

/// The accepted songs, searchable; a click shows and plays one.
#[component]
pub fn SongList(report: Rc<CorpusReport>) -> impl IntoView {
    let app = expect_context::<AppState>();
    let training = expect_context::<Training>();
    let entries = StoredValue::new(entries(&report));
    let total = entries.with_value(Vec::len);
    let filter = RwSignal::new(String::new());
    let matching = Memo::new(move |_| {
        let needle = filter.get().to_lowercase();
        entries.with_value(|entries| {
            let found: Vec<&Entry> = entries
                .iter()
                .filter(|e| {
                    needle.is_empty()
                        || e.label.to_lowercase().contains(&needle)
                        || e.detail.to_lowercase().contains(&needle)
                })
                .collect();
            let count = found.len();
            (
                found.into_iter().take(LISTED).cloned().collect::<Vec<_>>(),
                count,
            )
        })
    });
    let show = move |index: usize| {
        if app
            .position
            .get_untracked()
            .is_some_and(|p| p.tune == PLAYER_ID)
        {
            app.stop_playing();
        }
        training.show_song(app, index);
    };
    view! {
        <h4>"Songs"</h4>
        <label>"Find " <input type="search" data-testid="song-filter" placeholder="id, title, file or key"
            prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev)) /></label>
        <p class="muted" data-testid="song-count">{move || {
            let (listed, count) = matching.get();
            format!("{count} of {total} songs match; {} listed. Choose one to see and hear it.", listed.len())
        }}</p>
        <ul class="songs" data-testid="songs">
            <For each=move || matching.get().0 key=|e| e.index let:e>
                <li>
                    <button type="button" class="link" data-testid="song" data-index=e.index.to_string()
                        aria-pressed=move || training.shown.with(|s| s.as_ref().is_some_and(|(i, _)| *i == e.index)).to_string()
                        on:click=move |_| show(e.index)>{e.label.clone()}</button>
                    " " <span class="muted">{e.detail.clone()}</span>
                </li>
            </For>
        </ul>
        {move || training.shown.get().map(|(index, song)| view! { <CorpusSong index song /> })}
    }
}

/// The accepted songs of `report` in the worker's order.
fn entries(report: &CorpusReport) -> Vec<Entry> {
    report
        .file_reports
        .iter()
        .flat_map(|file| file.songs.iter().map(move |song| (file, song)))
        .filter_map(|(file, song)| match song.status {
            SongStatus::Accepted { tokens } => Some((file, song, tokens)),
            SongStatus::Rejected(_) => None,
        })
        .enumerate()
        .map(|(index, (file, song, tokens))| Entry {
            index,
            label: crate::song::display_name(&song.id, song.title.as_deref()),
            detail: format!(
                "{}, {tokens} sixteenths, {}",
                song.key.as_deref().unwrap_or("key unknown"),
                file.name
            ),
        })
        .collect()
}

/// One corpus song: what it is, its staff, and Play / Stop.
#[component]
fn CorpusSong(index: usize, song: Song) -> impl IntoView {
    let app = expect_context::<AppState>();
    let tempo = Presentation::default().tempo_bpm;
    let meter = song
        .meters
        .first()
        .copied()
        .unwrap_or(Presentation::default().meter);
    let score = crate::notation::layout(&song);
    // The pickup as laid out: bar 0, when there is one.
    let pickup = score
        .spans()
        .first()
        .filter(|bar| bar.0 == 0)
        .map_or(0.0, |bar| bar.2);
    let (notes, total) = play_notes(&song);
    let notes = StoredValue::new(notes);
    let meters: Vec<String> = song.meters.iter().map(ToString::to_string).collect();
    let caption = format!(
        "{} ({}), {}, {}",
        song.title.as_deref().unwrap_or("Untitled"),
        song.id,
        song.key,
        meters.join(", ")
    );
    let playing = move || app.playing(PLAYER_ID);
    let beat = Signal::derive(move || app.beat(PLAYER_ID));
    let play = move |_| {
        app.play_or_pause(PLAYER_ID, |player| {
            let clock = Clock::new(meter, pickup);
            player.play(PLAYER_ID, notes.get_value(), total, tempo, None, clock)
        });
    };
    let stop = move |_| app.stop_playing();
    view! {
        <figure class="corpus-song" data-testid="corpus-song" data-index=index.to_string()
            data-events=song.events.len().to_string()>
            <figcaption class="row">
                <strong data-testid="corpus-song-title">{caption}</strong>
                <button type="button" data-testid="corpus-play" aria-pressed=move || playing().to_string()
                    on:click=play>{move || if playing() { "Pause" } else { "Play" }}</button>
                <button type="button" data-testid="corpus-stop" on:click=stop>"Stop"</button>
            </figcaption>
            <Staff score tempo beat letters=app.note_letters.into() />
        </figure>
    }
}
