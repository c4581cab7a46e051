//! Sizing the file pipeline under the memory budget: reader threads, batch and piece sizes,
//! queue depths and the core driver's blocks and workers.
//!
//! The pipeline's memory, with `K` reader threads, `n` bands filtered together, `r` the bytes of
//! one output row (`width × 4` or `× 8`), `B` rows per block and `c` the bytes of one decoded
//! strip or row of tiles of the input:
//!
//! * readers: `2·c` each (the decoded chunk row, and compressed bytes or the tiff crate's own
//!   buffer), `K · 2·c`;
//! * per band: the batches of input rows queued or being consumed, about `B·r` plus
//!   `(3K + 1)` batches; the output pieces queued for the writer, about `B·r` plus three
//!   pieces; the core driver ([`despeckle::budget`]): `t` workers and its block;
//! * the writer's chunk rows and compression queue ([`Writer::buffer_bound`]) and the
//!   quick-look's sums (12 bytes per quick-look pixel).
//!
//! Everything but the core driver's share is passed to [`despeckle::budget::plan_stream`] as
//! [`StreamCosts`] (fixed, and per block row), split evenly between the bands, so one formula
//! decides the workers and block height.

use despeckle::Options;
use despeckle::budget::{self, Geometry, Plan, StreamCosts};
use despeckle::engine::REFRESH_ROWS;
use despeckle_geotiff::{Reader, Writer};

use crate::error::{Error, Result};

/// Aimed-at bytes of a batch of input rows.
const BATCH_BYTES: usize = 2 << 20;
/// Aimed-at bytes of a piece of output rows handed to the writer.
const PIECE_BYTES: usize = 2 << 20;
/// Most bytes of batches queued by the parallel decoders before the memory budget applies.
const READ_BUDGET: usize = 16 << 20;

/// The pipeline's sizes.
pub(crate) struct Sizes {
    pub readers: usize,
    pub batch_rows: usize,
    pub batch_depth: usize,
    pub piece_rows: usize,
    pub out_depth: usize,
    pub block_rows: usize,
    /// The core driver's options for each band (threads and budget of its share).
    pub core: Options,
    /// The plan of one band (threads, block, bytes of the whole pipeline's share).
    pub plan: Plan,
    /// Bytes of the whole pipeline by the model.
    pub bytes: usize,
}

/// What the pipeline is sized from.
pub(crate) struct Inputs<'a> {
    pub reader: &'a Reader,
    pub writer: &'a Writer,
    pub bands: usize,
    pub pixel_bytes: usize,
    pub scratch_bytes: usize,
    pub quicklook_bytes: usize,
    pub compressed: bool,
    pub block_rows: Option<usize>,
}

/// Sizes the pipeline under `core.max_memory()` (or the default budget), or refuses before
/// anything is allocated.
pub(crate) fn size(core: &Options, x: &Inputs<'_>) -> Result<Sizes> {
    let info = x.reader.info();
    let (width, height) = (info.width, info.height);
    let path = x.reader.path();
    let budget = budget::budget_of(core);
    let cores = core.threads().unwrap_or_else(budget::cores).max(1);
    let row = (width * x.pixel_bytes).max(1);
    let block_h = x.reader.block_height().max(1);
    let chunk = x.reader.chunk_row_bytes();
    let reader_bytes = 2 * chunk;
    if reader_bytes > budget / 2 {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            detail: format!(
                "one {} takes {} decoded, more than half the memory budget of {}: raise it \
                 (--max-memory, max_memory=) or rewrite the file with smaller strips or tiles \
                 (e.g. gdal_translate -co TILED=YES)",
                match info.layout {
                    despeckle_geotiff::Layout::Tiles { .. } => "row of tiles",
                    despeckle_geotiff::Layout::Strips { .. } => "strip",
                },
                budget::human(chunk),
                budget::human(budget)
            ),
        });
    }
    // Batches of whole strips / tile rows, about BATCH_BYTES or more.
    let batch_rows = block_h * BATCH_BYTES.div_ceil(row).div_ceil(block_h).max(1);
    let batch_bytes = batch_rows * row;
    // Decompression in parallel as far as the queued batches and decoders fit a quarter of
    // the budget (and READ_BUDGET).
    let readers = if x.compressed {
        let mut k = cores.clamp(1, 4).min((READ_BUDGET / batch_bytes).max(1));
        while k > 1 && k * (reader_bytes + (3 * batch_bytes) * x.bands) > budget / 4 {
            k -= 1;
        }
        k
    } else {
        1
    };
    let piece_rows = PIECE_BYTES.div_ceil(row).max(1);
    let shared_fixed = readers * reader_bytes + x.writer.buffer_bound() + x.quicklook_bytes;
    let band_fixed = (3 * readers + 1) * batch_bytes + 3 * piece_rows * row;
    let costs = StreamCosts {
        fixed: shared_fixed.div_ceil(x.bands) + band_fixed,
        per_block_row: 2 * row,
    };
    let g = Geometry::single(width, height, core.size(), x.pixel_bytes, x.scratch_bytes);
    let share = core.with_max_memory(Some(budget / x.bands.max(1)));
    // The core's default block (about 8 MiB of rows, enough for every worker) unless told.
    let wanted = x
        .block_rows
        .unwrap_or_else(|| (8usize << 20).div_ceil(row).max(2 * REFRESH_ROWS * cores));
    let plan = budget::plan_stream(&g, &share, Some(wanted), costs).map_err(|e| match e {
        despeckle::Error::MemoryBudget(m) if x.bands > 1 => despeckle::Error::MemoryBudget(
            format!("{m} ({} bands filtered together share it)", x.bands),
        ),
        e => e,
    })?;
    let block_rows = plan.block_rows.unwrap_or(REFRESH_ROWS);
    // The core driver sees the budget left once the pipeline's own buffers are counted: it
    // then plans the same workers and block.
    let pipeline = costs.fixed + costs.per_block_row * block_rows;
    let core = core
        .with_threads(Some(plan.threads))
        .with_max_memory(Some(share.max_memory().unwrap_or(budget) - pipeline));
    // Enough in flight that a whole block is ready when the filter asks for it (the readers
    // fill the next batches meanwhile), and a whole block of output can be handed over while
    // the writer is busy: the stages overlap.
    let batches_per_block = block_rows.div_ceil(batch_rows).max(1);
    Ok(Sizes {
        readers,
        batch_rows,
        batch_depth: batches_per_block.div_ceil(readers).max(1),
        piece_rows,
        out_depth: block_rows.div_ceil(piece_rows) + 1,
        block_rows,
        core,
        bytes: (plan.bytes - shared_fixed.div_ceil(x.bands)) * x.bands + shared_fixed,
        plan,
    })
}
