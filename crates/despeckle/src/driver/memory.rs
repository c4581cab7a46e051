//! In-memory drivers: out-of-place and in-place.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::{Workers, bands, budget, builder, geometry, split_rows};
use crate::border::Source;
use crate::engine::ring::RowBuilder;
use crate::engine::{BandIo, Filter, run_band};
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
    input: ImageRef<'a, T>,
    out: OutRows<'a, T>,
}

impl<T: Sample> BandIo<T> for OutOfPlace<'_, T> {
    fn input_row(&self, m: usize) -> &[T] {
        self.input.row(m)
    }
    fn output_row(&mut self, y: usize, row: &[T]) {
        self.out.put(y, row)
    }
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
    let (width, height) = (input.width(), input.height());
    if (output.width(), output.height()) != (width, height) {
        return Err(Error::InvalidImage(format!(
            "the output is {} × {}, the input {width} × {height}: they must be the same size",
            output.width(),
            output.height()
        )));
    }
    let b = builder::<T, F>(filter, width, height, opts)?;
    if width == 0 || height == 0 {
        return Ok(());
    }
    let stride = output.stride();
    let workers = Workers::new(&plan::<T, F>(filter, width, height, opts)?)?;
    let plan = bands(height, workers.count());
    workers.install(|| {
        let parts = split_rows(output.data_mut(), stride, &plan);
        plan.into_par_iter()
            .zip(parts)
            .for_each(|((y0, y1), data)| {
                let mut io = OutOfPlace {
                    input,
                    out: OutRows {
                        data,
                        y0,
                        width,
                        stride,
                    },
                };
                run_band(filter, &b, y0, y1, &mut io);
            });
    });
    Ok(())
}

struct InPlace<'a, T> {
    rows: OutRows<'a, T>,
    saved: &'a BTreeMap<usize, Vec<T>>,
}

impl<T: Sample> BandIo<T> for InPlace<'_, T> {
    fn input_row(&self, m: usize) -> &[T] {
        match self.saved.get(&m) {
            Some(row) => row,
            None => self.rows.row(m),
        }
    }
    fn output_row(&mut self, y: usize, row: &[T]) {
        self.rows.put(y, row)
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
    plan_rows::<T, F>(filter, width, height, opts, false)
}

/// [`plan`] for [`filter_in_place`].
pub fn plan_in_place<T: Sample, F: Filter>(
    filter: &F,
    width: usize,
    height: usize,
    opts: &Options,
) -> Result<budget::Plan> {
    plan_rows::<T, F>(filter, width, height, opts, true)
}

fn plan_rows<T: Sample, F: Filter>(
    filter: &F,
    width: usize,
    height: usize,
    opts: &Options,
    in_place: bool,
) -> Result<budget::Plan> {
    let b = builder::<T, F>(filter, width, height, opts)?;
    let g = geometry::<T, F>(filter, width, height, opts);
    budget::plan_in_memory(&g, opts, |t| {
        if in_place {
            rows_to_save(&b, &bands(height, t)).len()
        } else {
            0
        }
    })
}

/// The rows the in-place driver copies before any band starts: a band reads window row `p`
/// at step `max(y0, p − h)`; its own row `m` is intact until step `m`, every other row it needs
/// must be saved.
fn rows_to_save(b: &RowBuilder, plan: &[(usize, usize)]) -> std::collections::BTreeSet<usize> {
    let h = b.radius as isize;
    let mut rows = std::collections::BTreeSet::new();
    for &(y0, y1) in plan {
        for p in y0 as isize - h..y1 as isize + h {
            if let Source::Inside(m) = b.source_row(p) {
                let read_at = (y0 as isize).max(p - h);
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
    let (width, height, stride) = (image.width(), image.height(), image.stride());
    let b = builder::<T, F>(filter, width, height, opts)?;
    if width == 0 || height == 0 {
        return Ok(());
    }
    let workers = Workers::new(&plan_in_place::<T, F>(filter, width, height, opts)?)?;
    let plan = bands(height, workers.count());
    {
        let saved: BTreeMap<usize, Vec<T>> = rows_to_save(&b, &plan)
            .into_iter()
            .map(|m| (m, image.as_ref().row(m).to_vec()))
            .collect();
        let parts = split_rows(image.data_mut(), stride, &plan);
        workers.install(|| {
            plan.into_par_iter()
                .zip(parts)
                .for_each(|((y0, y1), data)| {
                    let mut io = InPlace {
                        rows: OutRows {
                            data,
                            y0,
                            width,
                            stride,
                        },
                        saved: &saved,
                    };
                    run_band(filter, &b, y0, y1, &mut io);
                });
        });
    }
    Ok(())
}
