//! In-memory drivers: out-of-place and in-place.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::{Workers, band_plan, budget, geometry, layout, split_rows};
use crate::border::Source;
use crate::engine::{BandIo, Filter, Kernel, Layout, MultiFilter, run_band};
use crate::error::{Error, Result};
use crate::image::{ImageMut, ImageRef};
use crate::options::Options;
use crate::sample::Sample;

/// Rows `y0..` of an output buffer, as a band writes them.
struct OutRows<'a, T> {
    data: &'a mut [T],
    y0: usize,
    width: usize,
    stride: usize,
}

impl<T: Copy> OutRows<'_, T> {
    fn row(&self, y: usize) -> &[T] {
        let start = (y - self.y0) * self.stride;
        &self.data[start..start + self.width]
    }

    fn put(&mut self, y: usize, row: &[T]) {
        let start = (y - self.y0) * self.stride;
        self.data[start..start + self.width].copy_from_slice(row);
    }
}

struct OutOfPlace<'a, T> {
    inputs: &'a [ImageRef<'a, T>],
    outs: Vec<OutRows<'a, T>>,
}

impl<T: Sample> BandIo<T> for OutOfPlace<'_, T> {
    fn input_row(&self, plane: usize, m: usize) -> &[T] {
        self.inputs[plane].row(m)
    }
    fn output_row(&mut self, plane: usize, y: usize, row: &[T]) {
        self.outs[plane].put(y, row)
    }
}

/// Checks that every plane has the first plane's size; returns it.
fn same_size(
    sizes: impl IntoIterator<Item = (usize, usize)>,
    what: &str,
) -> Result<(usize, usize)> {
    let mut first = None;
    for (i, wh) in sizes.into_iter().enumerate() {
        match first {
            None => first = Some(wh),
            Some(f) if f != wh => {
                return Err(Error::InvalidImage(format!(
                    "{what} plane {i} is {} × {}, plane 0 {} × {}: the planes must be the same \
                     size",
                    wh.0, wh.1, f.0, f.1
                )));
            }
            Some(_) => {}
        }
    }
    first.ok_or_else(|| Error::InvalidImage(format!("no {what} planes")))
}

/// Splits each output plane into the parts holding each band's rows: `result[band][plane]`.
fn split_planes<'a, T: Sample>(
    outputs: &'a mut [ImageMut<'_, T>],
    plan: &[(usize, usize)],
    y_of: impl Fn(usize) -> usize,
) -> Vec<Vec<OutRows<'a, T>>> {
    let mut per_band: Vec<Vec<OutRows<'a, T>>> = plan.iter().map(|_| Vec::new()).collect();
    for image in outputs.iter_mut() {
        let (width, stride) = (image.width(), image.stride());
        let parts = split_rows(image.data_mut(), stride, plan);
        for (b, data) in parts.into_iter().enumerate() {
            per_band[b].push(OutRows {
                data,
                y0: y_of(b),
                width,
                stride,
            });
        }
    }
    per_band
}

/// Filters `input` into `output` (same width and height; the strides may differ).
///
/// ```
/// use despeckle::{EnhancedLee, ImageMut, ImageRef, Options, filter};
/// let (w, h) = (64, 48);
/// let input: Vec<f32> = (0..w * h).map(|i| 1.0 + (i % 7) as f32).collect();
/// let mut output = vec![0.0f32; w * h];
/// filter(
///     &EnhancedLee::new(4.0)?,
///     ImageRef::new(&input, w, h)?,
///     &mut ImageMut::new(&mut output, w, h)?,
///     &Options::new(7)?,
/// )?;
/// # Ok::<(), despeckle::Error>(())
/// ```
pub fn filter<T: Sample, F: Filter>(
    filter: &F,
    input: ImageRef<'_, T>,
    output: &mut ImageMut<'_, T>,
    opts: &Options,
) -> Result<()> {
    if (output.width(), output.height()) != (input.width(), input.height()) {
        return Err(Error::InvalidImage(format!(
            "the output is {} × {}, the input {} × {}: they must be the same size",
            output.width(),
            output.height(),
            input.width(),
            input.height()
        )));
    }
    filter_planes(filter, &[input], std::slice::from_mut(output), opts)
}

/// Filters the planes of an image (`inputs`, all the same size) into output planes (as many
/// as [`MultiFilter::output_planes`] gives, the same size; strides may differ). With one plane
/// in and out this is [`filter`].
pub fn filter_planes<T: Sample, F: MultiFilter>(
    filter: &F,
    inputs: &[ImageRef<'_, T>],
    outputs: &mut [ImageMut<'_, T>],
    opts: &Options,
) -> Result<()> {
    out_of_place(filter, inputs, outputs, opts)
}

/// [`filter_planes`], compiled once per sample type.
fn out_of_place<T: Sample>(
    filter: &dyn Kernel<T>,
    inputs: &[ImageRef<'_, T>],
    outputs: &mut [ImageMut<'_, T>],
    opts: &Options,
) -> Result<()> {
    let (width, height) = same_size(inputs.iter().map(|i| (i.width(), i.height())), "input")?;
    let lay = layout(filter, width, height, inputs.len(), opts)?;
    if outputs.len() != lay.out_planes {
        return Err(Error::InvalidImage(format!(
            "{} gives {} output planes from {} input planes; {} output planes were given",
            filter.name(),
            lay.out_planes,
            inputs.len(),
            outputs.len()
        )));
    }
    let out_size = same_size(outputs.iter().map(|o| (o.width(), o.height())), "output")?;
    if out_size != (width, height) {
        return Err(Error::InvalidImage(format!(
            "the output is {} × {}, the input {width} × {height}: they must be the same size",
            out_size.0, out_size.1
        )));
    }
    if width == 0 || height == 0 {
        return Ok(());
    }
    let workers = Workers::new(&plan_layout(filter, &lay, opts, false)?)?;
    let plan = band_plan(&lay, height, workers.count());
    workers.install(|| {
        let parts = split_planes(outputs, &plan, |b| plan[b].0);
        plan.par_iter().zip(parts).for_each(|(&(y0, y1), outs)| {
            let mut io = OutOfPlace { inputs, outs };
            run_band(filter, &lay, opts, y0, y1, &mut io);
        });
    });
    Ok(())
}

struct InPlace<'a, T> {
    planes: Vec<OutRows<'a, T>>,
    saved: &'a [BTreeMap<usize, Vec<T>>],
}

impl<T: Sample> BandIo<T> for InPlace<'_, T> {
    fn input_row(&self, plane: usize, m: usize) -> &[T] {
        match self.saved[plane].get(&m) {
            Some(row) => row,
            None => self.planes[plane].row(m),
        }
    }
    fn output_row(&mut self, plane: usize, y: usize, row: &[T]) {
        self.planes[plane].put(y, row)
    }
}

/// How [`filter`] (`in_place: false`) or [`filter_in_place`] would run an image of this size:
/// workers and bytes by the [memory model](budget), or [`Error::MemoryBudget`] if even one
/// worker does not fit.
pub fn plan<T: Sample, F: Filter>(
    filter: &F,
    width: usize,
    height: usize,
    opts: &Options,
) -> Result<budget::Plan> {
    plan_planes::<T, F>(filter, width, height, 1, opts, false)
}

/// [`plan`] for [`filter_in_place`].
pub fn plan_in_place<T: Sample, F: Filter>(
    filter: &F,
    width: usize,
    height: usize,
    opts: &Options,
) -> Result<budget::Plan> {
    plan_planes::<T, F>(filter, width, height, 1, opts, true)
}

/// [`plan`] for an image of `planes` planes ([`filter_planes`], or
/// [`filter_planes_in_place`] when `in_place`).
pub fn plan_planes<T: Sample, F: MultiFilter>(
    filter: &F,
    width: usize,
    height: usize,
    planes: usize,
    opts: &Options,
    in_place: bool,
) -> Result<budget::Plan> {
    let filter: &dyn Kernel<T> = filter;
    let lay = layout(filter, width, height, planes, opts)?;
    plan_layout(filter, &lay, opts, in_place)
}

fn plan_layout<T: Sample>(
    filter: &dyn Kernel<T>,
    lay: &Layout,
    opts: &Options,
    in_place: bool,
) -> Result<budget::Plan> {
    let g = geometry(filter, lay);
    budget::plan_in_memory(&g, opts, |t| {
        if in_place {
            rows_to_save(lay, &band_plan(lay, lay.builder.height, t)).len() * lay.planes
        } else {
            0
        }
    })
}

/// The rows the in-place driver copies before any band starts: a band reads window row `p`
/// at step `max(start, p − h)` (`start`: its first row, warm-up included); its own row `m` is
/// intact until step `m`, every other row it needs must be saved.
fn rows_to_save(lay: &Layout, plan: &[(usize, usize)]) -> std::collections::BTreeSet<usize> {
    let b = &lay.builder;
    let h = b.radius as isize;
    let mut rows = std::collections::BTreeSet::new();
    for &(y0, y1) in plan {
        let start = lay.start(y0);
        for p in start - h..y1 as isize + h {
            if let Source::Inside(m) = b.source_row(p) {
                let read_at = start.max(p - h);
                let intact = (y0..y1).contains(&m) && m as isize >= read_at;
                if !intact {
                    rows.insert(m);
                }
            }
        }
    }
    rows
}

/// Filters an image in place: the result overwrites the input.
///
/// Memory beyond the image: per worker a ring of `size` padded rows, and a copy of the few
/// rows a band needs after they have been overwritten (the `size / 2` rows on each side of a
/// band boundary, and rows that a border mode maps from far away, e.g. `wrap`); see
/// [`budget`].
pub fn filter_in_place<T: Sample, F: Filter>(
    filter: &F,
    image: &mut ImageMut<'_, T>,
    opts: &Options,
) -> Result<()> {
    filter_planes_in_place(filter, std::slice::from_mut(image), opts)
}

/// [`filter_in_place`] for the planes of an image (all the same size), each overwritten by
/// the output plane of the same index; the filter must give as many output planes as input
/// planes.
pub fn filter_planes_in_place<T: Sample, F: MultiFilter>(
    filter: &F,
    planes: &mut [ImageMut<'_, T>],
    opts: &Options,
) -> Result<()> {
    in_place(filter, planes, opts)
}

/// [`filter_planes_in_place`], compiled once per sample type.
fn in_place<T: Sample>(
    filter: &dyn Kernel<T>,
    planes: &mut [ImageMut<'_, T>],
    opts: &Options,
) -> Result<()> {
    let (width, height) = same_size(planes.iter().map(|i| (i.width(), i.height())), "input")?;
    let lay = layout(filter, width, height, planes.len(), opts)?;
    if lay.out_planes != planes.len() {
        return Err(Error::InvalidImage(format!(
            "{} gives {} output planes from {} input planes: it cannot run in place",
            filter.name(),
            lay.out_planes,
            planes.len()
        )));
    }
    if width == 0 || height == 0 {
        return Ok(());
    }
    let workers = Workers::new(&plan_layout(filter, &lay, opts, true)?)?;
    let plan = band_plan(&lay, height, workers.count());
    {
        let save = rows_to_save(&lay, &plan);
        let saved: Vec<BTreeMap<usize, Vec<T>>> = planes
            .iter()
            .map(|image| {
                save.iter()
                    .map(|&m| (m, image.as_ref().row(m).to_vec()))
                    .collect()
            })
            .collect();
        let parts = split_planes(planes, &plan, |b| plan[b].0);
        workers.install(|| {
            plan.par_iter().zip(parts).for_each(|(&(y0, y1), rows)| {
                let mut io = InPlace {
                    planes: rows,
                    saved: &saved,
                };
                run_band(filter, &lay, opts, y0, y1, &mut io);
            });
        });
    }
    Ok(())
}
