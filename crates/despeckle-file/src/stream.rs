//! The pipeline: reader threads → one filter thread per band → the writer (caller's thread).
//!
//! ```text
//!  reader 0 ─ batches 0, K, 2K, … ─┐            ┌─ filter band a ─┐
//!  reader 1 ─ batches 1, K+1, …  ──┼─ per band ─┤                 ├─ rows ─→ writer (+ quick-look,
//!  …                               ┘  channels  └─ filter band b ─┘          progress)
//! ```
//!
//! Batches are whole strips or tile rows, so each reader decodes its chunks once; with
//! several readers (compressed input) decompression runs in parallel, and batch `i` always
//! comes from reader `i mod K`, so every band receives its rows in order without sorting.
//! Every channel is bounded and buffers are recycled, so memory stays at a few batches per
//! band whatever the image height. The core's streaming driver
//! ([`despeckle::filter_stream_blocks`]) asks for rows in order, except that a `wrap` border
//! reads rows at the other end of the image: those come from a separate reader.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use despeckle::{BoxError, Filter, Options, RowSink, RowSource};
use despeckle_geotiff::{Reader, ReaderOptions, Writer};

use crate::error::Error;

/// A filter that can run on a file: any [`despeckle::Filter`] (blanket implementation), or a
/// boxed one from the [registry](crate::registry).
///
/// It is the object-safe face of `Filter`: the file pipeline picks the pixel type at run
/// time (`f32` or `f64` output), so it needs the streaming driver for both.
pub trait FileFilter: Sync {
    /// The filter's name (`enhanced-lee`, ...).
    fn name(&self) -> &'static str;
    /// Checks that the filter supports these window options.
    fn check_options(&self, opts: &Options) -> despeckle::Result<()>;
    /// The filter's scratch bytes per worker ([`despeckle::Filter::scratch_bytes`]).
    fn scratch_bytes(&self, width: usize, size: usize) -> usize;
    /// The overlap a tile needs to give the whole image's bits ([`despeckle::halo`]).
    fn halo(&self, opts: &Options) -> usize;
    /// Runs the core's streaming driver on `f32` rows.
    fn stream_f32(
        &self,
        source: &mut dyn RowSource<f32>,
        sink: &mut dyn RowSink<f32>,
        opts: &Options,
        block_rows: Option<usize>,
    ) -> despeckle::Result<()>;
    /// Runs the core's streaming driver on `f64` rows.
    fn stream_f64(
        &self,
        source: &mut dyn RowSource<f64>,
        sink: &mut dyn RowSink<f64>,
        opts: &Options,
        block_rows: Option<usize>,
    ) -> despeckle::Result<()>;
}

impl std::fmt::Debug for dyn FileFilter + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileFilter({})", self.name())
    }
}

pub(crate) struct DynSource<'a, T>(pub &'a mut dyn RowSource<T>);
pub(crate) struct DynSink<'a, T>(pub &'a mut dyn RowSink<T>);

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

impl<T> RowSink<T> for DynSink<'_, T> {
    fn write_rows(&mut self, y0: usize, rows: &[T]) -> Result<(), BoxError> {
        self.0.write_rows(y0, rows)
    }
}

impl<F: Filter> FileFilter for F {
    fn name(&self) -> &'static str {
        Filter::name(self)
    }
    fn check_options(&self, opts: &Options) -> despeckle::Result<()> {
        Filter::check_options(self, opts)
    }
    fn scratch_bytes(&self, width: usize, size: usize) -> usize {
        Filter::scratch_bytes(self, width, size)
    }
    fn halo(&self, opts: &Options) -> usize {
        despeckle::halo(self, opts)
    }
    fn stream_f32(
        &self,
        source: &mut dyn RowSource<f32>,
        sink: &mut dyn RowSink<f32>,
        opts: &Options,
        block_rows: Option<usize>,
    ) -> despeckle::Result<()> {
        despeckle::filter_stream_blocks(
            self,
            &mut DynSource(source),
            &mut DynSink(sink),
            opts,
            block_rows,
        )
    }
    fn stream_f64(
        &self,
        source: &mut dyn RowSource<f64>,
        sink: &mut dyn RowSink<f64>,
        opts: &Options,
        block_rows: Option<usize>,
    ) -> despeckle::Result<()> {
        despeckle::filter_stream_blocks(
            self,
            &mut DynSource(source),
            &mut DynSink(sink),
            opts,
            block_rows,
        )
    }
}

/// The pixel types the pipeline runs in: `f32` and `f64`.
pub(crate) trait Pixel: despeckle::Sample + despeckle_geotiff::Sample {
    fn stream(
        filter: &dyn FileFilter,
        source: &mut dyn RowSource<Self>,
        sink: &mut dyn RowSink<Self>,
        opts: &Options,
        block_rows: Option<usize>,
    ) -> despeckle::Result<()>;
    /// As `f64`, for the quick-look.
    fn as_f64(self) -> f64;
}

impl Pixel for f32 {
    fn stream(
        filter: &dyn FileFilter,
        source: &mut dyn RowSource<f32>,
        sink: &mut dyn RowSink<f32>,
        opts: &Options,
        block_rows: Option<usize>,
    ) -> despeckle::Result<()> {
        filter.stream_f32(source, sink, opts, block_rows)
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Pixel for f64 {
    fn stream(
        filter: &dyn FileFilter,
        source: &mut dyn RowSource<f64>,
        sink: &mut dyn RowSink<f64>,
        opts: &Options,
        block_rows: Option<usize>,
    ) -> despeckle::Result<()> {
        filter.stream_f64(source, sink, opts, block_rows)
    }
    fn as_f64(self) -> f64 {
        self
    }
}

/// Raised inside the pipeline when another stage stopped first (its error is the one
/// reported).
#[derive(Debug)]
struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("pipeline stopped")
    }
}

impl std::error::Error for Aborted {}

/// The first real error of any stage; later "the other side stopped" errors are not kept.
#[derive(Default)]
pub(crate) struct FirstError(Mutex<Option<Error>>);

impl FirstError {
    pub fn set(&self, e: Error) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
    }
    pub fn is_set(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }
    pub fn take(&self) -> Option<Error> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// What the pipeline shares with its stages.
pub(crate) struct Shared<'a> {
    pub errors: &'a FirstError,
    pub cancel: Option<&'a AtomicBool>,
    pub output: &'a std::path::Path,
}

impl Shared<'_> {
    /// Whether the pipeline should stop (cancelled, or another stage failed); records the
    /// cancellation.
    fn stopping(&self) -> bool {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            self.errors.set(Error::Cancelled {
                path: self.output.to_path_buf(),
            });
            return true;
        }
        self.errors.is_set()
    }
}

/// A recycling pool of buffers (fresh large allocations page-fault slowly).
struct Pool<T> {
    give: std::sync::mpsc::Sender<Vec<T>>,
    take: Receiver<Vec<T>>,
}

impl<T: Clone + Default> Pool<T> {
    fn new() -> Self {
        let (give, take) = std::sync::mpsc::channel();
        Pool { give, take }
    }
    /// A buffer of `len` values (contents unspecified), recycled if one is available.
    fn get(take: &Receiver<Vec<T>>, len: usize) -> Vec<T> {
        let mut v = take.try_recv().unwrap_or_default();
        // A recycled buffer of the right length is overwritten as it is: no zeroing pass.
        v.resize(len, T::default());
        v
    }
}

/// Rows of one band, fed by the reader threads' channels, for the core's streaming driver.
struct BandSource<'a, T: Pixel> {
    width: usize,
    height: usize,
    band: usize,
    batch_rows: usize,
    /// One channel per reader thread: batch `i` arrives on channel `i % K`.
    rxs: Vec<Receiver<Vec<T>>>,
    /// Where consumed batches go back to their reader thread.
    recycle: Vec<std::sync::mpsc::Sender<Vec<T>>>,
    next_batch: usize,
    /// The batch being consumed: rows `cur_y0 .. cur_y0 + cur.len() / width`.
    cur: Vec<T>,
    cur_y0: usize,
    /// First row not yet taken from the stream.
    next_row: usize,
    /// For rows asked for out of order (`wrap` borders): opened when first needed.
    fallback: Option<Reader>,
    src_path: &'a std::path::Path,
    reader_opts: ReaderOptions,
    shared: &'a Shared<'a>,
}

impl<T: Pixel> BandSource<'_, T> {
    fn cur_end(&self) -> usize {
        self.cur_y0 + self.cur.len() / self.width
    }

    /// Receives the next batch from its reader thread.
    fn next(&mut self) -> Result<(), BoxError> {
        let k = self.next_batch % self.rxs.len();
        let batch = self.rxs[k].recv().map_err(|_| Box::new(Aborted))?;
        let old = std::mem::replace(&mut self.cur, batch);
        let _ = self.recycle[k].send(old);
        self.cur_y0 = self.next_batch * self.batch_rows;
        self.next_batch += 1;
        Ok(())
    }

    fn read_out_of_order(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError> {
        if self.fallback.is_none() {
            let r = Reader::open_with(self.src_path, self.reader_opts.clone()).map_err(|e| {
                self.shared.errors.set(e.into());
                Box::new(Aborted)
            })?;
            self.fallback = Some(r);
        }
        let reader = self.fallback.as_mut().expect("opened above");
        reader.read_rows(self.band, y0, buf).map_err(|e| {
            self.shared.errors.set(e.into());
            Box::new(Aborted) as BoxError
        })
    }
}

impl<T: Pixel> RowSource<T> for BandSource<'_, T> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn read_rows(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError> {
        if self.shared.stopping() {
            return Err(Box::new(Aborted));
        }
        let w = self.width;
        let end = y0 + buf.len() / w;
        let mut y = y0;
        if y < self.next_row {
            // Rows already streamed past (a `wrap` border): read them again.
            let stop = end.min(self.next_row);
            self.read_out_of_order(y, &mut buf[..(stop - y0) * w])?;
            y = stop;
        }
        while y < end {
            while y >= self.cur_end() {
                self.next()?;
            }
            let stop = end.min(self.cur_end());
            let from = (y - self.cur_y0) * w..(stop - self.cur_y0) * w;
            buf[(y - y0) * w..(stop - y0) * w].copy_from_slice(&self.cur[from]);
            y = stop;
        }
        self.next_row = self.next_row.max(end);
        Ok(())
    }
}

/// One band of a file as a [`RowSource`] read directly (for the image-wide estimates of
/// `auto` parameters); errors are kept in `error` with their file name.
pub(crate) struct FileBand<'a> {
    pub reader: &'a mut Reader,
    pub band: usize,
    pub error: Option<despeckle_geotiff::Error>,
    pub cancel: Option<&'a AtomicBool>,
}

impl<T: Pixel> RowSource<T> for FileBand<'_> {
    fn width(&self) -> usize {
        self.reader.info().width
    }
    fn height(&self) -> usize {
        self.reader.info().height
    }
    fn read_rows(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Box::new(Aborted));
        }
        self.reader.read_rows(self.band, y0, buf).map_err(|e| {
            self.error = Some(e);
            Box::new(Aborted) as BoxError
        })
    }
}

/// One message to the writer: rows of the group's band `g`, in order.
struct OutRows<T> {
    g: usize,
    data: Vec<T>,
}

/// Output rows of one band, sent to the writer in pieces of at most `piece_rows` rows.
struct BandSink<T> {
    g: usize,
    width: usize,
    piece_rows: usize,
    tx: SyncSender<OutRows<T>>,
    recycled: Receiver<Vec<T>>,
}

impl<T: Pixel> RowSink<T> for BandSink<T> {
    fn write_rows(&mut self, _y0: usize, rows: &[T]) -> Result<(), BoxError> {
        for piece in rows.chunks(self.piece_rows * self.width) {
            let mut data = Pool::get(&self.recycled, piece.len());
            data.copy_from_slice(piece);
            self.tx
                .send(OutRows { g: self.g, data })
                .map_err(|_| Box::new(Aborted) as BoxError)?;
        }
        Ok(())
    }
}

/// What the writer loop does besides writing: quick-look and progress.
pub(crate) trait RowObserver<T> {
    /// Output rows of the group's band `g` (in order) have been written.
    fn rows(&mut self, g: usize, data: &[T]);
}

/// One pass over the input for a group of bands filtered together.
pub(crate) struct Group<'a> {
    /// Input bands (0-based).
    pub bands: &'a [usize],
    /// The output band of each (0-based).
    pub out_bands: &'a [usize],
}

/// Pipeline settings.
pub(crate) struct Plan<'a> {
    pub src_path: &'a std::path::Path,
    pub reader_opts: ReaderOptions,
    pub readers: usize,
    pub batch_rows: usize,
    /// Batches each reader thread may have queued for each band.
    pub batch_depth: usize,
    pub piece_rows: usize,
    /// Output pieces queued for the writer, per band.
    pub out_depth: usize,
    pub opts: Options,
    pub block_rows: Option<usize>,
}

/// Filters the bands of `group` from `reader` into `writer` (band `group.bands[g]` with
/// `filters[g]`); errors go to `shared.errors`.
pub(crate) fn run_group<T: Pixel>(
    filters: &[&dyn FileFilter],
    reader: &mut Reader,
    writer: &mut Writer,
    group: &Group<'_>,
    plan: &Plan<'_>,
    shared: &Shared<'_>,
    observer: &mut dyn RowObserver<T>,
) {
    let info = reader.info().clone();
    let (width, height) = (info.width, info.height);
    let nb = group.bands.len();
    let k_readers = plan.readers.max(1);
    let batches = height.div_ceil(plan.batch_rows);

    // Per reader thread and band: a channel of batches, and one back for recycling.
    let mut batch_tx: Vec<Vec<SyncSender<Vec<T>>>> = Vec::new();
    let mut batch_rx: Vec<Vec<Receiver<Vec<T>>>> = (0..nb).map(|_| Vec::new()).collect();
    let mut back_tx: Vec<Vec<std::sync::mpsc::Sender<Vec<T>>>> =
        (0..nb).map(|_| Vec::new()).collect();
    let mut back_rx: Vec<Vec<Receiver<Vec<T>>>> = Vec::new();
    for _ in 0..k_readers {
        let mut txs = Vec::new();
        let mut rxs_back = Vec::new();
        for g in 0..nb {
            let (tx, rx) = sync_channel(plan.batch_depth);
            txs.push(tx);
            batch_rx[g].push(rx);
            let pool = Pool::new();
            back_tx[g].push(pool.give);
            rxs_back.push(pool.take);
        }
        batch_tx.push(txs);
        back_rx.push(rxs_back);
    }
    let (out_tx, out_rx) = sync_channel::<OutRows<T>>(plan.out_depth * nb);
    let mut out_give = Vec::new();
    let mut out_take = Vec::new();
    for _ in 0..nb {
        let pool = Pool::<T>::new();
        out_give.push(pool.give);
        out_take.push(pool.take);
    }

    std::thread::scope(|s| {
        let mut handles = Vec::new();
        // Reader threads: thread 0 uses the caller's reader, the others open their own.
        let mut first = Some(reader);
        for (k, (txs, backs)) in batch_tx.into_iter().zip(back_rx).enumerate() {
            let own = first.take();
            let bands = group.bands;
            let name = format!("despeckle-read-{k}");
            let spawned = std::thread::Builder::new()
                .name(name)
                .spawn_scoped(s, move || {
                    let mut opened;
                    let reader: &mut Reader = match own {
                        Some(r) => r,
                        None => match Reader::open_with(plan.src_path, plan.reader_opts.clone()) {
                            Ok(r) => {
                                opened = r;
                                &mut opened
                            }
                            Err(e) => {
                                shared.errors.set(e.into());
                                return;
                            }
                        },
                    };
                    for i in (k..batches).step_by(k_readers) {
                        if shared.stopping() {
                            return;
                        }
                        let y0 = i * plan.batch_rows;
                        let rows = plan.batch_rows.min(height - y0);
                        for (g, &band) in bands.iter().enumerate() {
                            let mut buf = Pool::get(&backs[g], rows * width);
                            if let Err(e) = reader.read_rows(band, y0, &mut buf) {
                                shared.errors.set(e.into());
                                return;
                            }
                            if txs[g].send(buf).is_err() {
                                return; // the band's filter stopped
                            }
                        }
                    }
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => shared.errors.set(Error::Internal {
                    path: shared.output.to_path_buf(),
                    detail: format!("cannot start a thread: {e}"),
                }),
            }
        }
        // One filter thread per band.
        for (g, ((rxs, recycle), recycled)) in
            batch_rx.into_iter().zip(back_tx).zip(out_take).enumerate()
        {
            let band = group.bands[g];
            let filter = filters[g];
            let tx = out_tx.clone();
            let name = format!("despeckle-filter-{band}");
            let spawned = std::thread::Builder::new()
                .name(name)
                .spawn_scoped(s, move || {
                    let mut source = BandSource {
                        width,
                        height,
                        band,
                        batch_rows: plan.batch_rows,
                        rxs,
                        recycle,
                        next_batch: 0,
                        cur: Vec::new(),
                        cur_y0: 0,
                        next_row: 0,
                        fallback: None,
                        src_path: plan.src_path,
                        reader_opts: plan.reader_opts.clone(),
                        shared,
                    };
                    let mut sink = BandSink {
                        g,
                        width,
                        piece_rows: plan.piece_rows,
                        tx,
                        recycled,
                    };
                    match T::stream(filter, &mut source, &mut sink, &plan.opts, plan.block_rows) {
                        Ok(()) => {}
                        // Another stage stopped first and recorded why.
                        Err(despeckle::Error::Stream(e)) if e.is::<Aborted>() => {}
                        Err(despeckle::Error::Stream(e)) => shared.errors.set(Error::Internal {
                            path: shared.output.to_path_buf(),
                            detail: e.to_string(),
                        }),
                        Err(e) => shared.errors.set(e.into()),
                    }
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => shared.errors.set(Error::Internal {
                    path: shared.output.to_path_buf(),
                    detail: format!("cannot start a thread: {e}"),
                }),
            }
        }
        drop(out_tx);

        // The writer: this thread.
        let mut written = vec![0usize; nb];
        for msg in out_rx.iter() {
            if shared.stopping() {
                break;
            }
            let rows = msg.data.len() / width;
            if let Err(e) = writer.write_rows(group.out_bands[msg.g], &msg.data) {
                shared.errors.set(e.into());
                break;
            }
            written[msg.g] += rows;
            observer.rows(msg.g, &msg.data);
            let _ = out_give[msg.g].send(msg.data);
        }
        // Dropping the receiver stops the filters if the loop ended early.
        drop(out_rx);
        for h in handles {
            if h.join().is_err() {
                shared.errors.set(Error::Internal {
                    path: shared.output.to_path_buf(),
                    detail: "a worker thread panicked".into(),
                });
            }
        }
        if !shared.errors.is_set() && written.iter().any(|&r| r != height) {
            shared.errors.set(Error::Internal {
                path: shared.output.to_path_buf(),
                detail: format!("{written:?} rows written of {height}"),
            });
        }
    });
}
