//! Writes a report to a folder: `report.json` and SVG plots (plotters' SVG backend).
//!
//! One line plot per series group (series `"loss/train"` and `"loss/test"` share `loss.svg`, with
//! a legend `train`, `test`; see [`crate::report`]), axis labels and log scale from the report's
//! `axes`; one heat map per matrix (`<name>.svg`, each cell annotated with its value); one grid of
//! small grey-level panels per image group. File names are the group names with `/` turned into
//! `-` and anything but ASCII letters, digits, `-` and `_` turned into `_`.

use std::io;
use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::{Axes, Image, Matrix, Report, Series, SeriesKind, split_group};

/// Width and height of a line plot, in pixels.
const LINE_PLOT_SIZE: (u32, u32) = (900, 450);
/// Width kept right of a line plot for its legend, in pixels.
const LEGEND_WIDTH: u32 = 210;
/// Side of a heat-map cell, in pixels.
const CELL: i32 = 44;
/// Side of an image panel, in pixels.
const PANEL: i32 = 96;
/// Font of titles and labels.
const FONT: &str = "sans-serif";
/// Line colours, in order of the series in a group (Tableau 10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Writes `report.json` and every plot of `report` into `dir` (created if missing); returns the
/// paths written, `report.json` first.
pub fn write_outputs(report: &Report, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut save = |name: &str, content: String| -> io::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, content)?;
        written.push(path);
        Ok(())
    };
    save("report.json", report.to_json() + "\n")?;
    for (name, svg) in svg_plots(report)? {
        save(&name, svg)?;
    }
    Ok(written)
}

/// Every plot of `report` as an SVG document, with its file name (`loss.svg`): line plots per
/// series group, then heat maps, then image grids.
pub fn svg_plots(report: &Report) -> io::Result<Vec<(String, String)>> {
    let mut plots = Vec::new();
    for (group, series) in group_by(&report.series, |s| &s.name) {
        let axes = report
            .axes
            .get(group)
            .cloned()
            .unwrap_or_else(|| Axes::new("x", group));
        plots.push((svg_name(group), line_plot(group, &series, &axes)?));
    }
    for matrix in &report.matrices {
        plots.push((svg_name(&matrix.name), heat_map(matrix)?));
    }
    for (group, images) in group_by(&report.images, |i| &i.name) {
        plots.push((svg_name(group), image_grid(group, &images)?));
    }
    Ok(plots)
}

/// The items of `items` by plot group, groups in order of first appearance.
fn group_by<'a, T>(items: &'a [T], name: impl Fn(&'a T) -> &'a str) -> Vec<(&'a str, Vec<&'a T>)> {
    let mut groups: Vec<(&str, Vec<&T>)> = Vec::new();
    for item in items {
        let (group, _) = split_group(name(item));
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, members)) => members.push(item),
            None => groups.push((group, vec![item])),
        }
    }
    groups
}

/// The SVG file name of a plot group.
fn svg_name(group: &str) -> String {
    let stem: String = group
        .chars()
        .map(|c| match c {
            '/' => '-',
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => c,
            _ => '_',
        })
        .collect();
    format!("{stem}.svg")
}

/// Turns a plotters drawing error into an I/O error.
fn draw_error(e: impl std::error::Error) -> io::Error {
    io::Error::other(e.to_string())
}

/// The finite points of a series (on a log axis, also only those with y > 0).
fn drawable_points(series: &Series, log_y: bool) -> Vec<(f64, f64)> {
    series
        .x
        .iter()
        .zip(&series.y)
        .map(|(&x, &y)| (x, y))
        .filter(|&(x, y)| x.is_finite() && y.is_finite() && (!log_y || y > 0.0))
        .collect()
}

/// `[min, max]` of `values` widened by 5 % on each side (and to a unit interval when flat).
fn padded_range(values: impl Iterator<Item = f64>, log: bool) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return if log { 0.1..10.0 } else { 0.0..1.0 };
    }
    if log {
        let (lo, hi) = if lo == hi {
            (lo / 10.0, hi * 10.0)
        } else {
            (lo, hi)
        };
        return lo / 1.5..hi * 1.5;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.5
    };
    lo - pad..hi + pad
}

/// The SVG of a line (or scatter) plot of the series of one group.
fn line_plot(group: &str, series: &[&Series], axes: &Axes) -> io::Result<String> {
    let points: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| drawable_points(s, axes.log_y))
        .collect();
    let x_range = padded_range(points.iter().flatten().map(|p| p.0), false);
    // A log axis labels only powers of ten: under one decade it would show no label at all.
    let positive = points.iter().flatten().map(|p| p.1).filter(|&y| y > 0.0);
    let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let log_y = axes.log_y && hi > 10.0 * lo;
    let y_range = padded_range(points.iter().flatten().map(|p| p.1), log_y);
    if log_y {
        draw_lines(group, series, &points, axes, x_range, y_range.log_scale())
    } else {
        draw_lines(group, series, &points, axes, x_range, y_range)
    }
}

/// Draws the chart for [`line_plot`] on a linear or logarithmic vertical axis `y_range`.
fn draw_lines<Y>(
    group: &str,
    series: &[&Series],
    points: &[Vec<(f64, f64)>],
    axes: &Axes,
    x_range: std::ops::Range<f64>,
    y_range: Y,
) -> io::Result<String>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, LINE_PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(axes.title.as_deref().unwrap_or(group), (FONT, 20))
            .margin(12)
            .margin_right(LEGEND_WIDTH)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(x_range, y_range)
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .x_desc(axes.x_label.as_str())
            .y_desc(axes.y_label.as_str())
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .label_style((FONT, 13))
            .draw()
            .map_err(draw_error)?;
        for (index, (s, pts)) in series.iter().zip(points).enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            match s.kind {
                SeriesKind::Line => chart
                    .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                    .map_err(draw_error)?,
                SeriesKind::Points => chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(draw_error)?,
                SeriesKind::Rings => chart
                    .draw_series(
                        pts.iter()
                            .map(|&p| Circle::new(p, 6, color.stroke_width(2))),
                    )
                    .map_err(draw_error)?,
            };
            let (_, label) = s.group_and_label();
            draw_legend_entry(&root, index, label, color, s.kind)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// Draws legend entry `index` (a swatch and `label`) in the right margin of a line plot.
fn draw_legend_entry(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    index: usize,
    label: &str,
    color: RGBColor,
    kind: SeriesKind,
) -> io::Result<()> {
    let x = (LINE_PLOT_SIZE.0 - LEGEND_WIDTH) as i32 + 16;
    let y = 48 + 20 * index as i32;
    match kind {
        SeriesKind::Line => root.draw(&PathElement::new(
            vec![(x, y), (x + 22, y)],
            color.stroke_width(3),
        )),
        SeriesKind::Points => root.draw(&Circle::new((x + 11, y), 4, color.filled())),
        SeriesKind::Rings => root.draw(&Circle::new((x + 11, y), 6, color.stroke_width(2))),
    }
    .map_err(draw_error)?;
    let style = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    root.draw(&Text::new(label, (x + 30, y), style))
        .map_err(draw_error)
}

/// A tick label: up to three decimals without trailing zeros, scientific notation
/// (`1e-6`, `2.5e4`) for very small or large magnitudes.
fn tick(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-3..1e5).contains(&magnitude) {
        let text = format!("{value:.2e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        return format!("{}e{exponent}", trim_zeros(mantissa));
    }
    let text = trim_zeros(&format!("{value:.3}")).to_string();
    if text == "-0" { "0".to_string() } else { text }
}

/// `"1.500"` → `"1.5"`, `"2.000"` → `"2"`.
fn trim_zeros(number: &str) -> &str {
    if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    }
}

/// The colour of a value at fraction `t` in `[0, 1]` of a white → dark blue ramp.
fn ramp(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    RGBColor(mix(255.0, 8.0), mix(255.0, 48.0), mix(255.0, 107.0))
}

/// A centred text style of `size` pixels.
fn centred(size: u32, color: &'static RGBColor) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
        .color(color)
        .pos(Pos::new(HPos::Center, VPos::Center))
}

/// The SVG of a matrix as a heat map (colour ∝ √|value|), rows top to bottom, each cell annotated
/// with its value.
fn heat_map(matrix: &Matrix) -> io::Result<String> {
    let rows = matrix.values.len() as i32;
    let cols = matrix.values.iter().map(Vec::len).max().unwrap_or(0) as i32;
    let (left, top) = (90, 60);
    let size = (
        (left + cols * CELL + 30) as u32,
        (top + rows * CELL + 70) as u32,
    );
    let max = matrix
        .values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        root.draw(&Text::new(
            matrix.name.as_str(),
            (size.0 as i32 / 2, 20),
            centred(18, &BLACK),
        ))
        .map_err(draw_error)?;
        for (r, row) in matrix.values.iter().enumerate() {
            for (c, &value) in row.iter().enumerate() {
                let (x, y) = (left + c as i32 * CELL, top + r as i32 * CELL);
                // √ scale: the few errors off a confusion matrix's diagonal stay visible.
                let t = if max > 0.0 {
                    (value.abs() / max).sqrt()
                } else {
                    0.0
                };
                root.draw(&Rectangle::new(
                    [(x, y), (x + CELL, y + CELL)],
                    ramp(t).filled(),
                ))
                .map_err(draw_error)?;
                let ink = if t > 0.5 { &WHITE } else { &BLACK };
                root.draw(&Text::new(
                    format_cell(value),
                    (x + CELL / 2, y + CELL / 2),
                    centred(12, ink),
                ))
                .map_err(draw_error)?;
            }
        }
        for (c, label) in matrix.col_labels.iter().enumerate() {
            let at = (left + c as i32 * CELL + CELL / 2, top - 12);
            root.draw(&Text::new(label.as_str(), at, centred(13, &BLACK)))
                .map_err(draw_error)?;
        }
        for (r, label) in matrix.row_labels.iter().enumerate() {
            let at = (left - 14, top + r as i32 * CELL + CELL / 2);
            root.draw(&Text::new(label.as_str(), at, centred(13, &BLACK)))
                .map_err(draw_error)?;
        }
        let bottom = top + rows * CELL + 24;
        let col_title = (left + cols * CELL / 2, bottom);
        root.draw(&Text::new(
            format!("colonnes : {}", matrix.col_title),
            col_title,
            centred(14, &BLACK),
        ))
        .map_err(draw_error)?;
        let row_title = (left + cols * CELL / 2, bottom + 22);
        root.draw(&Text::new(
            format!("lignes : {}", matrix.row_title),
            row_title,
            centred(14, &BLACK),
        ))
        .map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// A matrix cell's text: integers without decimals, other values with two.
fn format_cell(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e9 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// The SVG of a group of images side by side, each scaled to its own min..max (dark = low).
fn image_grid(group: &str, images: &[&Image]) -> io::Result<String> {
    let per_row = images.len().clamp(1, 8) as i32;
    let grid_rows = (images.len() as i32 + per_row - 1) / per_row;
    let gap = 16;
    let size = (
        (per_row * (PANEL + gap) + gap) as u32,
        (40 + grid_rows * (PANEL + gap + 18)) as u32,
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        root.draw(&Text::new(
            group,
            (size.0 as i32 / 2, 18),
            centred(18, &BLACK),
        ))
        .map_err(draw_error)?;
        for (index, image) in images.iter().enumerate() {
            let (gx, gy) = (index as i32 % per_row, index as i32 / per_row);
            let origin = (gap + gx * (PANEL + gap), 40 + gy * (PANEL + gap + 18));
            draw_image(&root, image, origin)?;
            let (_, label) = split_group(&image.name);
            let at = (origin.0 + PANEL / 2, origin.1 + PANEL + 10);
            root.draw(&Text::new(label, at, centred(12, &BLACK)))
                .map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// Draws one image into a `PANEL`-sided square at `origin` (top-left corner).
fn draw_image(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    image: &Image,
    origin: (i32, i32),
) -> io::Result<()> {
    let (lo, hi) = image
        .pixels
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (h, w) = (image.height.max(1) as i32, image.width.max(1) as i32);
    for (index, &value) in image.pixels.iter().enumerate().take((h * w) as usize) {
        let (r, c) = (index as i32 / w, index as i32 % w);
        let grey = if value.is_finite() {
            ((value - lo) / span * 255.0).round() as u8
        } else {
            0
        };
        let corner = |i: i32, j: i32| (origin.0 + j * PANEL / w, origin.1 + i * PANEL / h);
        root.draw(&Rectangle::new(
            [corner(r, c), corner(r + 1, c + 1)],
            RGBColor(grey, grey, grey).filled(),
        ))
        .map_err(draw_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_grouped() {
        assert_eq!(
            svg_name("trajectory/rosenbrock"),
            "trajectory-rosenbrock.svg"
        );
        assert_eq!(svg_name("perte (log)"), "perte__log_.svg");
        let series = vec![
            Series::steps("loss/train", vec![1.0]),
            Series::steps("accuracy", vec![0.5]),
            Series::steps("loss/test", vec![2.0]),
        ];
        let groups: Vec<(&str, usize)> = group_by(&series, |s| &s.name)
            .into_iter()
            .map(|(g, m)| (g, m.len()))
            .collect();
        assert_eq!(groups, vec![("loss", 2), ("accuracy", 1)]);
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.9999999999e-5), "1e-5");
        assert_eq!(tick(200.0), "200");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(-0.0001), "-1e-4");
        assert_eq!(tick(12_000.0), "12000");
        assert_eq!(tick(250_000.0), "2.5e5");
        assert_eq!(tick(0.0), "0");
    }

    #[test]
    fn flat_and_empty_ranges_are_widened() {
        let flat = padded_range([3.0, 3.0].into_iter(), false);
        assert!(flat.start < 3.0 && flat.end > 3.0);
        let empty = padded_range(std::iter::empty(), true);
        assert!(empty.start > 0.0 && empty.end > empty.start);
    }
}
