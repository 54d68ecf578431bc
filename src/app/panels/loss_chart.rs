//! The live chart of training and validation loss, drawn as SVG with plotters.

use leptos::prelude::*;
use plotters::prelude::*;

use super::chart;
use crate::app::services::training::{Curves, Training};

const SIZE: (u32, u32) = (560, 260);

/// Training loss (smoothed) and validation loss against epochs.
#[component]
pub fn LossChart(epochs: Signal<usize>) -> impl IntoView {
    let training = expect_context::<Training>();
    let svg = Memo::new(move |_| training.curves.with(|c| draw(c, epochs.get())));
    let summary = move || {
        training.curves.with(|c| {
            let last = |points: &[(f64, f64)]| points.last().map(|p| format!("{:.3}", p.1));
            format!(
                "Loss chart. Latest training loss {}, latest validation loss {}.",
                last(&c.train).unwrap_or_else(|| "none yet".into()),
                last(&c.valid).unwrap_or_else(|| "none yet".into())
            )
        })
    };
    view! {
        <figure class="loss-chart" data-testid="loss-chart"
            data-train-points=move || training.curves.with(|c| c.train.len())
            data-valid-points=move || training.curves.with(|c| c.valid.len())
            data-train-first=move || training.curves.with(|c| c.train.first().map(|p| p.1))
            data-train-last=move || training.curves.with(|c| c.train.last().map(|p| p.1))
            data-valid-last=move || training.curves.with(|c| c.valid.last().map(|p| p.1))>
            <div role="img" aria-label=summary inner_html=move || svg.get()></div>
            <figcaption class="muted">"Blue: training loss (smoothed); red: validation loss (nats per token: whole songs, or the tutorial's windows)."</figcaption>
        </figure>
    }
}

/// The chart as an SVG document; empty before the first point (empty axes would delay the
/// page's start for a chart with nothing to show) and on a drawing error, which only costs
/// the picture.
fn draw(curves: &Curves, epochs: usize) -> String {
    let mut svg = String::new();
    if curves.train.is_empty() && curves.valid.is_empty() {
        return svg;
    }
    let _ = render(&mut svg, curves, epochs.max(1));
    svg
}

fn render<'a>(
    svg: &'a mut String,
    curves: &Curves,
    epochs: usize,
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let smoothed = smooth(&curves.train, 0.9);
    let losses = smoothed.iter().chain(&curves.valid).map(|p| p.1);
    let top = losses.clone().fold(0.0f64, f64::max).max(0.5) * 1.05;
    let bottom = losses.fold(top, f64::min).min(top * 0.9) * 0.95;
    let root = chart::canvas(svg, SIZE)?;
    let frame = chart::Frame {
        margin: 10,
        x_labels: 32,
        y_labels: 48,
    };
    let mut chart = chart::axes(&root, frame, 0f64..epochs as f64, bottom..top)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("loss (nats)")
        .x_labels(epochs.min(10) + 1)
        .light_line_style(chart::GRID)
        .draw()?;
    let blue = chart::BLUE;
    let red = RGBColor(200, 50, 40);
    chart
        .draw_series(LineSeries::new(smoothed, blue.stroke_width(2)))?
        .label("training")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], blue.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(curves.valid.clone(), red.stroke_width(2)))?
        .label("validation")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], red.stroke_width(2)));
    chart.draw_series(
        curves
            .valid
            .iter()
            .map(|&p| Circle::new(p, 3, red.filled())),
    )?;
    chart
        .configure_series_labels()
        .border_style(RGBColor(180, 180, 180))
        .background_style(WHITE)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Exponential moving average (per-batch losses are noisy).
fn smooth(points: &[(f64, f64)], keep: f64) -> Vec<(f64, f64)> {
    let mut average = None;
    points
        .iter()
        .map(|&(x, y)| {
            let a = average.map_or(y, |a: f64| keep * a + (1.0 - keep) * y);
            average = Some(a);
            (x, a)
        })
        .collect()
}
