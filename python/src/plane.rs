//! Filtering one 2-D plane of a numpy array, whatever its memory layout.
//!
//! A plane is described by a raw pointer and element strides ([`RawPlane`]), taken from numpy
//! views that the caller keeps borrowed while the GIL is released. The fastest driver of the
//! core that fits the layout is chosen:
//!
//! | layout | driver |
//! |---|---|
//! | in place, rows contiguous (any positive row stride) | `filter_in_place` on the buffer |
//! | in place, other strides | `filter_stream` reading and writing the view row by row |
//! | input and output rows contiguous | `filter` on the two buffers |
//! | input strided, output rows contiguous | input copied row by row into the output, then `filter_in_place` |
//! | output strided | `filter_stream` writing the output row by row |
//!
//! (the core's drivers, through [`MemSample`] for the registry's filter of the call)
//!
//! No path allocates an image-sized buffer: the streaming driver holds a block of rows.

use std::collections::{BTreeMap, BTreeSet};

use despeckle::{BoxError, ImageMut, ImageRef, Options, RowSink, RowSource, Sample, Source};
use despeckle_file::registry::{AnyFilter, FilterSpec, MemSample};
use numpy::ndarray::{ArrayView2, ArrayViewMut2};

/// A `rows × cols` plane of samples at `ptr`, with strides in elements (possibly negative).
#[derive(Debug, Clone, Copy)]
pub struct RawPlane<T> {
    ptr: *mut T,
    rows: usize,
    cols: usize,
    row_step: isize,
    col_step: isize,
}

// SAFETY: a `RawPlane` is only dereferenced while the numpy array it describes is borrowed by
// the thread that created it (see `apply`), which waits for the filter to finish.
unsafe impl<T: Send> Send for RawPlane<T> {}
unsafe impl<T: Sync> Sync for RawPlane<T> {}

impl<T: Sample> RawPlane<T> {
    /// The plane of a read-only view.
    pub fn of_view(v: &ArrayView2<'_, T>) -> Self {
        let (rows, cols) = v.dim();
        let s = v.strides();
        RawPlane {
            ptr: v.as_ptr() as *mut T,
            rows,
            cols,
            row_step: s[0],
            col_step: s[1],
        }
    }

    /// The plane of a writable view.
    pub fn of_view_mut(v: &mut ArrayViewMut2<'_, T>) -> Self {
        let (rows, cols) = v.dim();
        let (row_step, col_step) = (v.strides()[0], v.strides()[1]);
        RawPlane {
            ptr: v.as_mut_ptr(),
            rows,
            cols,
            row_step,
            col_step,
        }
    }

    /// The row stride when every row is a contiguous run of samples and rows follow each
    /// other at a positive stride of at least the width (what [`ImageRef::with_stride`] takes).
    pub fn row_stride(&self) -> Option<usize> {
        if self.cols > 1 && self.col_step != 1 {
            return None;
        }
        if self.rows <= 1 {
            return Some(self.cols);
        }
        (self.row_step >= self.cols as isize && self.row_step > 0).then_some(self.row_step as usize)
    }

    /// The byte addresses `[lo, hi)` spanned by the plane's samples.
    pub fn extent(&self) -> (usize, usize) {
        let size = std::mem::size_of::<T>() as isize;
        let mut lo = 0isize;
        let mut hi = 0isize;
        for (n, step) in [(self.rows, self.row_step), (self.cols, self.col_step)] {
            let reach = (n.max(1) as isize - 1) * step;
            lo += reach.min(0);
            hi += reach.max(0);
        }
        let base = self.ptr as isize;
        (
            (base + lo * size) as usize,
            (base + (hi + 1) * size) as usize,
        )
    }

    /// The samples from the first row's start to the last row's end, for a plane with
    /// [`RawPlane::row_stride`] `Some(stride)`.
    ///
    /// # Safety
    /// The plane must be alive and not written by anyone else for `'a`.
    unsafe fn slice<'a>(&self, stride: usize) -> &'a [T] {
        let len = (self.rows - 1) * stride + self.cols;
        // SAFETY: rows are runs of `cols` samples every `stride` samples inside one numpy buffer.
        unsafe { std::slice::from_raw_parts(self.ptr, len) }
    }

    /// Mutable [`RawPlane::slice`].
    ///
    /// # Safety
    /// The plane must be alive and used by no one else for `'a`.
    unsafe fn slice_mut<'a>(&self, stride: usize) -> &'a mut [T] {
        let len = (self.rows - 1) * stride + self.cols;
        // SAFETY: as in `slice`, and the caller holds the only access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, len) }
    }

    /// Pointer to sample `(y, x)`.
    #[inline]
    fn at(&self, y: usize, x: usize) -> *mut T {
        self.ptr
            .wrapping_offset(y as isize * self.row_step + x as isize * self.col_step)
    }

    /// Copies row `y` into `dst` (`cols` samples).
    ///
    /// # Safety
    /// The plane must be alive and `y < rows`.
    unsafe fn read_row(&self, y: usize, dst: &mut [T]) {
        for (x, d) in dst[..self.cols].iter_mut().enumerate() {
            // SAFETY: (y, x) is inside the plane.
            *d = unsafe { self.at(y, x).read() };
        }
    }

    /// Copies `src` (`cols` samples) into row `y`.
    ///
    /// # Safety
    /// The plane must be alive, writable by us alone, and `y < rows`.
    unsafe fn write_row(&self, y: usize, src: &[T]) {
        for (x, &s) in src[..self.cols].iter().enumerate() {
            // SAFETY: (y, x) is inside the plane.
            unsafe { self.at(y, x).write(s) };
        }
    }
}

/// Calls `f` with the plane as a [`RowSource`] (the buffer itself when rows are contiguous).
///
/// # Safety
/// The plane must describe live memory that nobody writes while `f` runs.
pub unsafe fn with_source<T: Sample, R>(
    plane: RawPlane<T>,
    f: impl FnOnce(&mut dyn FnMutSource<T>) -> R,
) -> R {
    match plane.row_stride() {
        Some(stride) if plane.rows > 0 && plane.cols > 0 => {
            // SAFETY: per the contract.
            let data = unsafe { plane.slice(stride) };
            match ImageRef::with_stride(data, plane.cols, plane.rows, stride) {
                Ok(mut img) => f(&mut img),
                Err(_) => f(&mut PlaneSource(plane)),
            }
        }
        _ => f(&mut PlaneSource(plane)),
    }
}

/// A [`RowSource`] usable as a trait object.
pub trait FnMutSource<T>: RowSource<T> {}
impl<T, S: RowSource<T>> FnMutSource<T> for S {}

/// A [`RowSource`] that forwards to a trait object (the core's estimates take `impl RowSource`).
pub struct DynSource<'a, T>(pub &'a mut dyn FnMutSource<T>);

impl<T> RowSource<T> for DynSource<'_, T> {
    fn width(&self) -> usize {
        self.0.width()
    }
    fn height(&self) -> usize {
        self.0.height()
    }
    fn read_rows(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError> {
        self.0.read_rows(y0, buf)
    }
}

/// The filter of `spec` for one plane (image-wide estimates read the plane).
///
/// # Safety
/// As [`with_source`].
pub unsafe fn resolve<T: MemSample>(
    spec: &FilterSpec,
    plane: RawPlane<T>,
    opts: &Options,
) -> despeckle::Result<Box<dyn AnyFilter>> {
    // SAFETY: per the contract.
    unsafe {
        with_source(plane, |src| {
            crate::spec::resolve(spec, &mut DynSource(src), opts)
        })
    }
}

/// What to do with one plane.
#[derive(Debug, Clone, Copy)]
pub enum PlaneJob<T> {
    /// Filter the plane, overwriting it.
    InPlace(RawPlane<T>),
    /// Filter `input` into `output` (same shape, memory not shared).
    Separate {
        /// The input plane.
        input: RawPlane<T>,
        /// The output plane.
        output: RawPlane<T>,
    },
}

/// Rows read from a strided plane.
struct PlaneSource<T>(RawPlane<T>);

impl<T: Sample> RowSource<T> for PlaneSource<T> {
    fn width(&self) -> usize {
        self.0.cols
    }
    fn height(&self) -> usize {
        self.0.rows
    }
    fn read_rows(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError> {
        for (i, row) in buf.chunks_exact_mut(self.0.cols).enumerate() {
            // SAFETY: the driver asks only for rows inside the image.
            unsafe { self.0.read_row(y0 + i, row) };
        }
        Ok(())
    }
}

/// Rows written to a strided plane; rows in `deferred` are held back until [`PlaneSink::finish`].
struct PlaneSink<T> {
    plane: RawPlane<T>,
    deferred: BTreeSet<usize>,
    held: BTreeMap<usize, Vec<T>>,
}

impl<T: Sample> PlaneSink<T> {
    fn finish(self) {
        for (y, row) in self.held {
            // SAFETY: `y` was a row of the image.
            unsafe { self.plane.write_row(y, &row) };
        }
    }
}

impl<T: Sample> RowSink<T> for PlaneSink<T> {
    fn write_rows(&mut self, y0: usize, rows: &[T]) -> Result<(), BoxError> {
        for (i, row) in rows.chunks_exact(self.plane.cols).enumerate() {
            let y = y0 + i;
            if self.deferred.contains(&y) {
                self.held.insert(y, row.to_vec());
            } else {
                // SAFETY: the driver writes only rows inside the image.
                unsafe { self.plane.write_row(y, row) };
            }
        }
        Ok(())
    }
}

/// The rows that a border mode maps window rows outside the image to: the only rows the
/// streaming driver may read again after it wrote them, so an in-place stream must write
/// them last.
fn rows_read_late(height: usize, opts: &Options) -> BTreeSet<usize> {
    let h = opts.radius() as isize;
    let n = height as isize;
    (-h..0)
        .chain(n..n + h)
        .filter_map(|p| match opts.border().map(p, height) {
            Source::Inside(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Filters one plane.
///
/// # Safety
/// The planes must describe live numpy memory that stays borrowed (the input read-only, the
/// output or in-place plane exclusively) until this returns; in a `Separate` job the input and
/// output must not share any sample.
pub unsafe fn run_plane<T: MemSample>(
    f: &dyn AnyFilter,
    job: PlaneJob<T>,
    opts: &Options,
) -> despeckle::Result<()> {
    match job {
        PlaneJob::InPlace(plane) => {
            let (w, h) = (plane.cols, plane.rows);
            if w == 0 || h == 0 {
                return Ok(());
            }
            match plane.row_stride() {
                Some(stride) => {
                    // SAFETY: exclusive access per the contract.
                    let data = unsafe { plane.slice_mut(stride) };
                    T::filter_in_place(f, &mut ImageMut::with_stride(data, w, h, stride)?, opts)
                }
                None => {
                    let mut sink = PlaneSink {
                        plane,
                        deferred: rows_read_late(h, opts),
                        held: BTreeMap::new(),
                    };
                    T::filter_stream(f, &mut PlaneSource(plane), &mut sink, opts)?;
                    sink.finish();
                    Ok(())
                }
            }
        }
        PlaneJob::Separate { input, output } => {
            let (w, h) = (input.cols, input.rows);
            if w == 0 || h == 0 {
                return Ok(());
            }
            // Contiguous-rows buffers are used as whole slices only if their spans are disjoint
            // (not for interleaved views of one array, e.g. `a[::2]` and `a[1::2]`).
            let disjoint = !overlaps(input.extent(), output.extent());
            let in_stride = input.row_stride().filter(|_| disjoint);
            let out_stride = output.row_stride().filter(|_| disjoint);
            match (in_stride, out_stride) {
                (Some(si), Some(so)) => {
                    // SAFETY: per the contract; the extents are disjoint.
                    let (src, dst) = unsafe { (input.slice(si), output.slice_mut(so)) };
                    T::filter(
                        f,
                        ImageRef::with_stride(src, w, h, si)?,
                        &mut ImageMut::with_stride(dst, w, h, so)?,
                        opts,
                    )
                }
                (None, Some(so)) => {
                    // SAFETY: per the contract; the extents are disjoint.
                    let dst = unsafe { output.slice_mut(so) };
                    for y in 0..h {
                        // SAFETY: y < rows.
                        unsafe { input.read_row(y, &mut dst[y * so..y * so + w]) };
                    }
                    T::filter_in_place(f, &mut ImageMut::with_stride(dst, w, h, so)?, opts)
                }
                (si, None) => {
                    let mut sink = PlaneSink {
                        plane: output,
                        deferred: BTreeSet::new(),
                        held: BTreeMap::new(),
                    };
                    match si {
                        Some(si) => {
                            // SAFETY: per the contract.
                            let src = unsafe { input.slice(si) };
                            let mut source = ImageRef::with_stride(src, w, h, si)?;
                            T::filter_stream(f, &mut source, &mut sink, opts)?
                        }
                        None => T::filter_stream(f, &mut PlaneSource(input), &mut sink, opts)?,
                    }
                    sink.finish();
                    Ok(())
                }
            }
        }
    }
}
