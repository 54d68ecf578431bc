//! "How do these tunes compare?": tunes written with the generate panel's settings, in the
//! training worker, against the held-out songs of the model's split (the statistics its file
//! carries), as MGEval measures them, with histograms drawn by plotters and near copies of the
//! songs of an uploaded corpus.

use leptos::prelude::*;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart;
use crate::app::services::browser;
use crate::app::services::training::{CompareState, Training};
use crate::app::state::{AppState, PRETRAINED};
use crate::stats::features::LENGTH_CLASSES;
use crate::stats::profile::{INTERVAL_REACH, LENGTH_BIN_STEPS};
use crate::stats::{Comparison, PANEL_TUNES, Profile, SetRates};

const CHART: (u32, u32) = (520, 200);
/// Degrees above the tonic, as the charts name them.
const DEGREES: [&str; 12] = [
    "1", "♭2", "2", "♭3", "3", "4", "♯4", "5", "♭6", "6", "♭7", "7",
];

/// The panel, for the model in use and the settings the generate panel holds.
#[component]
pub fn ComparePanel(
    temperature: Signal<f32>,
    max_len: Signal<usize>,
    meter: Signal<Option<crate::song::Meter>>,
    mode: Signal<Option<crate::song::Mode>>,
) -> impl IntoView {
    let app = expect_context::<AppState>();
    let training = expect_context::<Training>();
    let run = move |_| {
        let selected = app.selected.get_untracked();
        let Some(bytes) = app.model_bytes(&selected) else {
            training
                .comparison
                .set(CompareState::Failed("no model is ready yet".to_string()));
            return;
        };
        let request = crate::app::protocol::Request::Compare {
            count: PANEL_TUNES,
            temperature: temperature.get_untracked(),
            max_len: max_len.get_untracked(),
            meter: meter.get_untracked(),
            mode: mode.get_untracked(),
        };
        training
            .comparison
            .set(CompareState::Writing { done: 0, total: 0 });
        leptos::task::spawn_local(async move {
            // The shipped model's training songs are not in the page: their index is.
            let copies = if selected == PRETRAINED {
                match browser::fetch_bytes(crate::app::PRETRAINED_COPIES_URL, |_, _| {}).await {
                    Ok(bytes) => Some(bytes),
                    Err(message) => {
                        web_sys::console::warn_1(
                            &format!("no index of the training songs: {message}").into(),
                        );
                        None
                    }
                }
            } else {
                None
            };
            training.compare(app, &bytes, copies.as_deref(), request);
        });
    };
    let writing = move || matches!(training.comparison.get(), CompareState::Writing { .. });
    view! {
        <details class="compare" data-testid="compare-panel">
            <summary>"How do these tunes compare?"</summary>
            <p class="muted">{format!(
                "Writes {PANEL_TUNES} tunes with the settings above (seeds 1 to {PANEL_TUNES}) and measures them \
                 against the songs the model never saw in training (its held-out songs), feature by feature. \
                 Near copies are looked for in the songs you uploaded, or else in the training songs of the \
                 shipped model."
            )}</p>
            <button type="button" data-testid="compare-run" disabled=writing on:click=run>
                {format!("Compare {PANEL_TUNES} tunes")}
            </button>
            {move || match training.comparison.get() {
                CompareState::Idle => ().into_any(),
                CompareState::Writing { done, total } => view! {
                    <p><label>"Writing tunes… " <progress data-testid="compare-progress" max=total.max(1) value=done></progress></label>
                    {format!(" {done} of {total}")}</p>
                }.into_any(),
                CompareState::Failed(message) => view! {
                    <p class="error" role="alert" data-testid="compare-error">{message}</p>
                }.into_any(),
                CompareState::Ready(comparison) => view! { <Result comparison=(*comparison).clone() /> }.into_any(),
            }}
        </details>
    }
}

/// The figures, the charts and the near copies.
#[component]
fn Result(comparison: Comparison) -> impl IntoView {
    let report = &comparison.report;
    let (mine, theirs) = (report.generated, report.reference);
    let rate_row = |label: &'static str, value: fn(&SetRates) -> String| {
        view! { <tr><th scope="row">{label}</th><td>{value(&mine)}</td><td>{value(&theirs)}</td></tr> }
    };
    let overlap_of = |name: &str| {
        report
            .features
            .iter()
            .find(|f| f.name == name)
            .map_or(0.0, |f| f.overlap)
    };
    let charts = charts(&comparison.generated, &comparison.reference);
    let json = serde_json::to_vec_pretty(&comparison).unwrap_or_default();
    let app = expect_context::<AppState>();
    view! {
        <div class="comparison" data-testid="comparison"
            data-tunes=mine.tunes data-reference=theirs.tunes
            data-overlap-length=format!("{:.3}", overlap_of("length"))
            data-overlap-pitch-classes=format!("{:.3}", overlap_of("pitch_class_histogram"))
            data-copies=report.copies.copies.len()>
            <table class="figures">
                <caption>"The two sets"</caption>
                <thead><tr><th></th><th scope="col">"Your tunes"</th><th scope="col">"Held-out songs"</th></tr></thead>
                <tbody>
                    {rate_row("Tunes", |r| r.tunes.to_string())}
                    {rate_row("Median length (sixteenths)", |r| format!("{:.0}", r.median_length))}
                    {rate_row("End on the tonic", |r| format!("{:.0} %", 100.0 * r.tonic_endings))}
                    {rate_row("Fill whole bars", |r| format!("{:.0} %", 100.0 * r.whole_bars))}
                    {rate_row("Bars that repeat an earlier bar", |r| r.repeated_bars.map_or_else(|| "—".to_string(), |share| format!("{:.0} %", 100.0 * share)))}
                </tbody>
            </table>
            <table class="figures" data-testid="overlaps">
                <caption>"Overlap with the held-out songs (1 = alike; the ceiling is what two halves of the held-out songs reach)"</caption>
                <thead><tr><th scope="col">"Feature"</th><th scope="col">"Overlap"</th><th scope="col">"Ceiling"</th></tr></thead>
                <tbody>
                    {report.features.iter().map(|f| view! {
                        <tr><th scope="row">{f.name.replace('_', " ")}</th><td>{format!("{:.2}", f.overlap)}</td><td>{format!("{:.2}", f.ceiling_overlap)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">"In each chart: grey, the held-out songs; blue, your tunes (shares of all notes, tunes or intervals)."</p>
            <div class="charts">
                {charts.into_iter().map(|(title, summary, svg)| view! {
                    <figure class="chart" data-testid="compare-chart">
                        <div role="img" aria-label=summary inner_html=svg></div>
                        <figcaption>{title}</figcaption>
                    </figure>
                }).collect_view()}
            </div>
            <Copies comparison=comparison.clone() />
            <button type="button" data-testid="compare-download" on:click=move |_| download_figures(app, &json)>
                "Download the figures (JSON)"
            </button>
        </div>
    }
}

/// Offers the comparison, every figure of it, as a JSON file.
fn download_figures(app: AppState, json: &[u8]) {
    if let Err(message) = browser::download(json, "melodeon-comparison.json", "application/json") {
        app.notice.set(Some(format!("Download failed: {message}")));
    }
}

/// The tunes that repeat three or more bars of an uploaded song.
#[component]
fn Copies(comparison: Comparison) -> impl IntoView {
    let Some(names) = comparison.copied else {
        return view! {
            <p data-testid="compare-copies" data-checked="false">
                "Upload songs (journey two) to look for tunes that copy them."
            </p>
        }
        .into_any();
    };
    let copies = comparison.report.copies.copies;
    if copies.is_empty() {
        return view! {
            <p data-testid="compare-copies" data-checked="true">
                "No tune repeats three or more bars of a song looked in."
            </p>
        }
        .into_any();
    }
    view! {
        <div data-testid="compare-copies" data-checked="true">
            <p>{format!("{} of {} tunes ({:.1} %) repeat three or more bars of a song:",
                copies.len(), comparison.report.generated.tunes, 100.0 * comparison.report.copies.near_copies)}</p>
            <ul>
                {copies.iter().zip(names).map(|(c, name)| view! {
                    <li>{format!("seed {}: {} bars of {name}", c.generated + 1, c.bars)}</li>
                }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

/// Each chart's title, text alternative and SVG.
fn charts(mine: &Profile, theirs: &Profile) -> Vec<(String, String, String)> {
    let lengths: Vec<String> = (0..mine.lengths.len())
        .map(|i| format!("{}", (i + 1) * LENGTH_BIN_STEPS / 16))
        .collect();
    let intervals: Vec<String> = (-INTERVAL_REACH..=INTERVAL_REACH)
        .map(|i| i.to_string())
        .collect();
    let note_lengths: Vec<String> = LENGTH_CLASSES
        .iter()
        .map(|c| c.to_string())
        .chain(["other".to_string()])
        .collect();
    let degrees: Vec<String> = DEGREES.iter().map(ToString::to_string).collect();
    [
        (
            "Length (bars of 4/4, up to)",
            &lengths,
            &mine.lengths,
            &theirs.lengths,
        ),
        (
            "Notes by degree above the tonic",
            &degrees,
            &mine.pitch_classes,
            &theirs.pitch_classes,
        ),
        (
            "Intervals (semitones)",
            &intervals,
            &mine.intervals,
            &theirs.intervals,
        ),
        (
            "Note lengths (sixteenths)",
            &note_lengths,
            &mine.note_lengths,
            &theirs.note_lengths,
        ),
        (
            "Last note (degree above the tonic)",
            &degrees,
            &mine.last_notes,
            &theirs.last_notes,
        ),
    ]
    .into_iter()
    .map(|(title, labels, a, b)| {
        let top = |xs: &[f64]| {
            let i = xs
                .iter()
                .enumerate()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .map_or(0, |(i, _)| i);
            labels.get(i).cloned().unwrap_or_default()
        };
        let summary = format!(
            "{title}: most common for your tunes {}, for the held-out songs {}.",
            top(a),
            top(b)
        );
        (title.to_string(), summary, bars(labels, a, b))
    })
    .collect()
}

/// Side-by-side bars: held-out songs grey, the tunes blue (empty on a drawing error).
fn bars(labels: &[String], mine: &[f64], theirs: &[f64]) -> String {
    let mut svg = String::new();
    let _ = draw_bars(&mut svg, labels, mine, theirs);
    svg
}

fn draw_bars<'a>(
    svg: &'a mut String,
    labels: &[String],
    mine: &[f64],
    theirs: &[f64],
) -> std::result::Result<(), Box<dyn std::error::Error + 'a>> {
    let top = mine.iter().chain(theirs).fold(0.01f64, |a, &b| a.max(b)) * 1.1;
    let n = labels.len();
    let root = chart::canvas(svg, CHART)?;
    let frame = chart::Frame {
        margin: 8,
        x_labels: 24,
        y_labels: 40,
    };
    let mut chart = chart::axes(&root, frame, 0f64..n as f64, 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|y| format!("{:.0} %", 100.0 * y))
        .light_line_style(chart::GRID)
        .draw()?;
    // One label under each pair of bars (the axis' own labels fall where they like).
    let style =
        TextStyle::from(("sans-serif", 10).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        root.draw(&Text::new(label.clone(), (x, y + 4), style.clone()))?;
    }
    let grey = RGBColor(170, 170, 170);
    let blue = chart::BLUE;
    chart.draw_series(theirs.iter().enumerate().map(|(i, &v)| {
        let x = i as f64;
        Rectangle::new([(x + 0.1, 0.0), (x + 0.5, v)], grey.filled())
    }))?;
    chart.draw_series(mine.iter().enumerate().map(|(i, &v)| {
        let x = i as f64;
        Rectangle::new([(x + 0.5, 0.0), (x + 0.9, v)], blue.filled())
    }))?;
    root.present()?;
    Ok(())
}
