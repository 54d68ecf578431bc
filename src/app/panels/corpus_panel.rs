//! Step one of journey two: choose files, a folder or a zip (or drop them), watch them being
//! read, and see the report: totals, statistics and every rejected file and song, sortable
//! and filterable.

use std::rc::Rc;

use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::corpus_songs::SongList;
use crate::app::services::files;
use crate::app::services::training::{CorpusState, Training};
use crate::app::state::AppState;
use crate::corpus::report::{CorpusReport, SongStatus};

/// Rows a list of the report shows at once (songs, problems); its search finds the others.
/// Thousands of rows would hold the page for seconds.
pub(super) const LISTED: usize = 100;

/// One problem line of the report.
#[derive(Clone, Debug, PartialEq)]
struct Problem {
    file: String,
    song: String,
    reason: String,
    detail: String,
}

/// Columns the problem table sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    File,
    Song,
    Reason,
}

/// The upload panel and report.
#[component]
pub fn CorpusPanel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let training = expect_context::<Training>();
    let folder_input = NodeRef::<Input>::new();
    folder_input.on_load(|input| {
        let _ = input.set_attribute("webkitdirectory", "");
    });
    let dragging = RwSignal::new(false);
    let upload = move |files: files::Chosen| {
        spawn_local(async move { training.upload(app, files).await });
    };
    let on_input = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        upload(files::files_of_input(&input));
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(transfer) = ev.data_transfer() {
            spawn_local(async move {
                let files = files::files_of_drop(&transfer).await;
                training.upload(app, files).await;
            });
        }
    };
    let reading = move || {
        matches!(
            training.corpus.get(),
            CorpusState::Reading { .. } | CorpusState::Parsing { .. }
        ) || training.busy()
    };

    view! {
        <section class="panel corpus" aria-labelledby="corpus-heading">
            <h3 id="corpus-heading">"1. Your songs"</h3>
            <div class="dropzone" class:dragging=move || dragging.get() data-testid="dropzone"
                on:dragover=move |ev| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <p>"Drop EsAC or **kern files, folders or zip archives here, or"</p>
                <label class="button">"Choose files…"
                    <input type="file" multiple class="visually-hidden" data-testid="upload-files"
                        disabled=reading on:change=on_input />
                </label>
                " "
                <label class="button">"Choose a folder…"
                    <input type="file" node_ref=folder_input class="visually-hidden" data-testid="upload-folder"
                        disabled=reading on:change=on_input />
                </label>
                <p class="help">"Native EsAC records and databases (.sm, .txt) and Humdrum **kern (.krn) mix freely; zips are opened here."</p>
            </div>
            {move || match training.corpus.get() {
                CorpusState::Empty => ().into_any(),
                CorpusState::Reading { done, total } => view! {
                    <p><label>"Reading files… " <progress max=total value=done data-testid="corpus-progress"></progress></label>
                    {format!(" {done} of {total}")}</p>
                }.into_any(),
                CorpusState::Parsing { done, total } => view! {
                    <p><label>"Reading songs… " <progress max=total.max(1) value=done data-testid="corpus-progress"></progress></label>
                    {format!(" {done} of {total} files")}</p>
                }.into_any(),
                CorpusState::Failed(message) => view! {
                    <p class="error" role="alert" data-testid="corpus-error">{message}</p>
                }.into_any(),
                CorpusState::Ready(report) => view! { <Report report /> }.into_any(),
            }}
        </section>
    }
}

/// Totals, statistics and the problem table.
#[component]
fn Report(report: Rc<CorpusReport>) -> impl IntoView {
    let totals = report.totals.clone();
    let rejected: usize = totals.rejected.values().sum();
    let failed: usize = totals.files_failed.values().sum();
    let lengths: Vec<usize> = report
        .file_reports
        .iter()
        .flat_map(|f| &f.songs)
        .filter_map(|s| match s.status {
            SongStatus::Accepted { tokens } => Some(tokens),
            SongStatus::Rejected(_) => None,
        })
        .collect();
    let problems = problems(&report);
    let count_list = |map: &std::collections::BTreeMap<String, usize>| {
        let mut items: Vec<(String, usize)> = map.iter().map(|(k, n)| (k.clone(), *n)).collect();
        items.sort_by_key(|item| std::cmp::Reverse(item.1));
        items
            .into_iter()
            .map(|(k, n)| format!("{k} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <div class="report" data-testid="corpus-report" data-files=totals.files data-accepted=totals.accepted
            data-rejected=rejected data-failed=failed data-tokens=totals.tokens>
            <p class="summary">
                <strong>{format!("{} songs accepted", totals.accepted)}</strong>
                {format!(" of {} found in {} files; {} songs rejected; {} files unreadable.", totals.songs, totals.files, rejected, failed)}
            </p>
            <dl class="facts">
                <dt>"Tokens"</dt><dd>{format!("{} ({} training windows)", totals.tokens, totals.windows)}</dd>
                <dt>"Vocabulary"</dt><dd>{format!("{} tokens: {}", totals.vocab.len(), totals.vocab.join(" "))}</dd>
                <dt>"Keys"</dt><dd>{count_list(&totals.keys)}</dd>
                <dt>"Meters"</dt><dd>{count_list(&totals.meters)}</dd>
                <dt>"Lengths"</dt><dd><LengthChart lengths /></dd>
            </dl>
            <SongList report=report.clone() />
            <ProblemTable problems />
        </div>
    }
}

/// A histogram of song lengths in 1/16 notes.
#[component]
fn LengthChart(lengths: Vec<usize>) -> impl IntoView {
    if lengths.is_empty() {
        return view! { <span>"no songs"</span> }.into_any();
    }
    let max = lengths.iter().copied().max().unwrap_or(1).max(1);
    let bins = 12usize;
    let width = max.div_ceil(bins).max(1);
    let mut counts = vec![0usize; bins];
    for &l in &lengths {
        counts[(l / width).min(bins - 1)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1);
    view! {
        <div class="histogram" role="img"
            aria-label=format!("Song lengths from {} to {} sixteenths", lengths.iter().min().unwrap_or(&0), max)>
            {counts.into_iter().enumerate().map(|(i, n)| view! {
                <span class="bar" title=format!("{}–{} sixteenths: {n} songs", i * width, (i + 1) * width - 1)
                    style:height=format!("{}%", 100 * n / top)></span>
            }).collect_view()}
        </div>
        <span class="muted">{format!("0–{max} sixteenths")}</span>
    }
    .into_any()
}

/// Rejected files and songs with their reasons, sortable by column and filterable by text.
#[component]
fn ProblemTable(problems: Vec<Problem>) -> impl IntoView {
    if problems.is_empty() {
        return view! { <p data-testid="no-problems">"Every file and song was read."</p> }
            .into_any();
    }
    let total = problems.len();
    let filter = RwSignal::new(String::new());
    let sort = RwSignal::new((Column::File, true));
    let rows = Memo::new(move |_| {
        let needle = filter.get().to_lowercase();
        let mut rows: Vec<Problem> = problems
            .iter()
            .filter(|p| {
                needle.is_empty()
                    || [&p.file, &p.song, &p.reason, &p.detail]
                        .iter()
                        .any(|f| f.to_lowercase().contains(&needle))
            })
            .cloned()
            .collect();
        let (column, ascending) = sort.get();
        rows.sort_by(|a, b| {
            let key = |p: &Problem| match column {
                Column::File => (p.file.clone(), p.song.clone()),
                Column::Song => (p.song.clone(), p.file.clone()),
                Column::Reason => (p.reason.clone(), p.file.clone()),
            };
            let order = key(a).cmp(&key(b));
            if ascending { order } else { order.reverse() }
        });
        let count = rows.len();
        rows.truncate(LISTED);
        (rows, count)
    });
    let header = move |column: Column, label: &'static str| {
        let state = move || {
            let (c, asc) = sort.get();
            if c != column {
                "none"
            } else if asc {
                "ascending"
            } else {
                "descending"
            }
        };
        view! {
            <th aria-sort=state>
                <button type="button" class="link" on:click=move |_| sort.update(|(c, asc)| {
                    if *c == column { *asc = !*asc } else { *c = column; *asc = true }
                })>{label}</button>
            </th>
        }
    };
    view! {
        <h4>"Not used"</h4>
        <label>"Filter " <input type="search" data-testid="problem-filter" placeholder="file, song or reason"
            prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev)) /></label>
        <table class="problems" data-testid="problems">
            <thead><tr>{header(Column::File, "File")}{header(Column::Song, "Song")}{header(Column::Reason, "Reason")}</tr></thead>
            <caption class="muted" data-testid="problem-count">{move || {
                let (listed, count) = rows.get();
                format!("{count} of {total} problems match; {} listed.", listed.len())
            }}</caption>
            <tbody>
                <For each=move || rows.get().0 key=|p| (p.file.clone(), p.song.clone(), p.reason.clone(), p.detail.clone()) let:p>
                    <tr data-testid="problem"><td>{p.file}</td><td>{p.song}</td><td><strong>{p.reason}</strong>" " <span class="muted">{p.detail}</span></td></tr>
                </For>
            </tbody>
        </table>
    }
    .into_any()
}

fn problems(report: &CorpusReport) -> Vec<Problem> {
    let mut out = Vec::new();
    for file in &report.file_reports {
        if let Some(error) = &file.error {
            out.push(Problem {
                file: file.name.clone(),
                song: "(whole file)".into(),
                reason: error.reason.clone(),
                detail: error.detail.to_string(),
            });
        }
        for song in &file.songs {
            if let SongStatus::Rejected(r) = &song.status {
                out.push(Problem {
                    file: file.name.clone(),
                    song: song
                        .title
                        .clone()
                        .map_or(song.id.clone(), |t| format!("{} ({t})", song.id)),
                    reason: r.reason.clone(),
                    detail: r.detail.to_string(),
                });
            }
        }
    }
    out
}
