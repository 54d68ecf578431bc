//! What the page's charts share: SVG drawn by plotters on a white ground, axes over two
//! ranges of numbers, and the colours of the page.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// The blue of the page's own lines and bars.
pub const BLUE: RGBColor = RGBColor(40, 90, 170);
/// The light grey of grid lines.
pub const GRID: RGBColor = RGBColor(240, 240, 240);

/// Room around a chart: its margin, and the height of the x axis' labels and the width of the
/// y axis' labels.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// Empty pixels on every side.
    pub margin: u32,
    /// Pixels under the plot for the x axis' labels.
    pub x_labels: u32,
    /// Pixels left of the plot for the y axis' labels.
    pub y_labels: u32,
}

/// A white drawing area of `size` pixels over `svg`.
pub fn canvas(
    svg: &mut String,
    size: (u32, u32),
) -> Result<DrawingArea<SVGBackend<'_>, Shift>, DrawingAreaErrorKind<std::io::Error>> {
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root)
}

/// A chart on `root` in `frame` over `x` × `y`.
pub fn axes<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    frame: Frame,
    x: Range<f64>,
    y: Range<f64>,
) -> Result<
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    DrawingAreaErrorKind<std::io::Error>,
> {
    ChartBuilder::on(root)
        .margin(frame.margin)
        .x_label_area_size(frame.x_labels)
        .y_label_area_size(frame.y_labels)
        .build_cartesian_2d(x, y)
}
