//! The memory model: how many workers and how many rows per streamed block fit a memory
//! budget, and the budget itself.
//!
//! Every driver (and the file pipeline built on the streaming one) plans its work here, before
//! allocating anything, so that the bytes it allocates stay under [`Options::max_memory`]
//! (default: [`default_max_memory`], half the memory the system reports available).
//!
//! # The formula
//!
//! With `w` the image width, `s` the window size, `wp = w + s − 1` the padded width, `b` the
//! bytes of one sample of the image type and `t` the number of workers:
//!
//! * **one worker** (a band of rows in progress), [`worker_bytes`]:
//!   `8 · (2·s·wp + 2·wp + 4·wp + 3·w) + b·w + scratch` — the ring of the window's `s` padded
//!   rows as values and validity masks (`f64`), the entering row, the column sums `N`, `Σx`,
//!   `Σx²` and their drift guard, the three window sums of the output row, one output row, and
//!   the filter's own per-row scratch ([`Filter::scratch_bytes`]: a few rows for most filters,
//!   about `2·s` padded rows for the median);
//! * **in-memory drivers** ([`filter`](super::filter)): `t · worker` (for a filter that splits
//!   its rows' work over the workers itself, one worker per band, [`bands_in_parallel`]); the
//!   in-place driver adds `b · w` per row it must save before it is overwritten (`s − 1` rows
//!   per band boundary plus rows a border maps from far away);
//! * **streaming driver** ([`filter_stream`](super::filter_stream)): the same workers plus a block
//!   of `B` input rows with `s − 1` halo rows and `B` output rows: `b · w · (2·B + s − 1)`
//!   (`s − 1` more halo rows with `wrap` borders, which read rows from the other end);
//!   `B` is a multiple of [`REFRESH_ROWS`] with at least one band of `REFRESH_ROWS` rows per
//!   worker, about 16 MiB of input when the budget allows. Callers that hold more rows per
//!   block (the file pipeline's read and write queues) add their cost per block row and their
//!   fixed cost through [`StreamCosts`].
//!
//! The planner takes the requested number of workers (default: all cores), caps it at the
//! cores ([`std::thread::available_parallelism`]) and at the bands of rows there are (one per
//! [`REFRESH_ROWS`] rows: more workers would have nothing to do), then lowers it, and the
//! block height, until the total fits the budget. If even one worker with the smallest block
//! does not fit, it refuses with [`Error::MemoryBudget`] before allocating. The result never
//! depends on the number of workers or the block height.
//!
//! Not counted: the caller's input and output images (in-memory drivers), the stack of each
//! worker thread, allocator overhead.
//!
//! [`Options::max_memory`]: crate::Options::max_memory
//! [`Filter::scratch_bytes`]: crate::Filter::scratch_bytes
//! [`Error::MemoryBudget`]: crate::Error::MemoryBudget

use crate::engine::REFRESH_ROWS;
use crate::error::{Error, Result};
use crate::options::Options;

/// Share of the available memory used when no budget is given: half, so that a run leaves room
/// for the page cache that streams the file and for other programs, as GDAL's default cache
/// (5 % of RAM) and the Orfeo ToolBox's `-ram` leave most of the machine alone while still
/// letting wide images and big windows through.
pub const DEFAULT_SHARE: f64 = 0.5;

/// Budget used when the system does not report its memory (non-Linux systems): 2 GiB.
pub const FALLBACK_MAX_MEMORY: usize = 2 << 30;

/// Input bytes per streamed block aimed at when the budget allows: 16 MiB.
pub const BLOCK_TARGET_BYTES: usize = 16 << 20;

/// A `kB` field of a Linux `/proc` file such as `/proc/meminfo` or `/proc/self/status`
/// (`key` with its colon, e.g. `"MemAvailable:"`, `"VmHWM:"`), in bytes; `None` where the
/// file or the field is missing.
pub fn proc_kib_field(file: &str, key: &str) -> Option<usize> {
    let text = std::fs::read_to_string(file).ok()?;
    let kib: usize = text
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib.saturating_mul(1024))
}

fn meminfo(key: &str) -> Option<usize> {
    proc_kib_field("/proc/meminfo", key)
}

/// The machine's physical memory in bytes (`MemTotal` of `/proc/meminfo`; `None` where the
/// system does not say).
pub fn total_memory() -> Option<usize> {
    meminfo("MemTotal:")
}

/// Memory available to new allocations without swapping, in bytes (`MemAvailable`).
pub fn available_memory() -> Option<usize> {
    meminfo("MemAvailable:")
}

/// The default budget: [`DEFAULT_SHARE`] of [`available_memory`] (else
/// [`FALLBACK_MAX_MEMORY`]).
pub fn default_max_memory() -> usize {
    available_memory().map_or(FALLBACK_MAX_MEMORY, |a| (a as f64 * DEFAULT_SHARE) as usize)
}

/// Parses a memory size: bytes (`1000000`), with a binary unit (`512K`, `512M`, `4G`, `1T`;
/// also `MB`, `MiB`, …, case-insensitive; fractions allowed: `1.5G`), or a percentage of the
/// machine's physical memory (`25%`).
///
/// ```
/// use despeckle::budget::parse_size;
/// assert_eq!(parse_size("512M")?, 512 << 20);
/// assert_eq!(parse_size("4g")?, 4 << 30);
/// assert_eq!(parse_size("1.5 GiB")?, 3 << 29);
/// assert_eq!(parse_size("4096")?, 4096);
/// assert!(parse_size("lots").is_err());
/// # Ok::<(), despeckle::Error>(())
/// ```
pub fn parse_size(text: &str) -> Result<usize> {
    let bad = |why: &str| {
        Error::param(
            "max_memory",
            format!("`{text}` {why}; expected e.g. 512M, 4G or 25%"),
        )
    };
    let t = text.trim();
    if let Some(p) = t.strip_suffix('%') {
        let pct: f64 = p.trim().parse().map_err(|_| bad("is not a percentage"))?;
        if !(pct > 0.0 && pct <= 100.0) {
            return Err(bad("must be a percentage above 0 and at most 100"));
        }
        let total = total_memory().ok_or_else(|| {
            bad("is a share of the physical memory, which this system does not report")
        })?;
        return Ok((total as f64 * pct / 100.0) as usize);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = (t[..split].trim(), t[split..].trim().to_ascii_lowercase());
    let value: f64 = num.parse().map_err(|_| bad("is not a size"))?;
    let shift = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return Err(bad("has an unknown unit")),
    };
    let bytes = value * (1u64 << shift) as f64;
    if !(bytes >= 1.0 && bytes < usize::MAX as f64) {
        return Err(bad("must be at least one byte"));
    }
    Ok(bytes as usize)
}

/// Bytes as a short human-readable size (`3.2 GB`, `512 MB`: powers of 1000 as in most
/// system tools' decimal units would mislead here, so binary units with their plain names:
/// 1 GB = 2³⁰ bytes, matching what [`parse_size`] reads).
pub fn human(bytes: usize) -> String {
    let b = bytes as f64;
    let (v, unit) = if b >= (1u64 << 40) as f64 {
        (b / (1u64 << 40) as f64, "TB")
    } else if b >= (1u64 << 30) as f64 {
        (b / (1u64 << 30) as f64, "GB")
    } else if b >= (1u64 << 20) as f64 {
        (b / (1u64 << 20) as f64, "MB")
    } else if b >= 1024.0 {
        (b / 1024.0, "KB")
    } else {
        return format!("{bytes} B");
    };
    if v < 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

/// The image and filter quantities the memory model needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Image width.
    pub width: usize,
    /// Image height.
    pub height: usize,
    /// Window size (the engine's: `2 · radius + 1` of the filter's reach).
    pub size: usize,
    /// Bytes per sample of the image type (4 for `f32`, 8 for `f64`).
    pub sample_bytes: usize,
    /// The filter's scratch bytes per worker ([`MultiFilter::scratch_bytes`](crate::MultiFilter::scratch_bytes)).
    pub scratch_bytes: usize,
    /// Input planes (1 for a single-channel image).
    pub planes: usize,
    /// Output planes.
    pub out_planes: usize,
    /// Rows above a band that it reads besides its window's halo (the filter's warm-up,
    /// rounded up to a multiple of [`REFRESH_ROWS`]; 0 for most filters).
    pub warmup_rows: usize,
    /// Whether the engine keeps window sums (the filter reads them).
    pub sums: bool,
    /// [`MultiFilter::column_tasks`](crate::MultiFilter::column_tasks) (1 for most filters).
    pub column_tasks: usize,
}

/// How many bands of rows run at once on `threads` workers for a filter that splits each row's
/// work into `column_tasks` parts ([`MultiFilter::column_tasks`](crate::MultiFilter::column_tasks)):
/// one per worker for a filter without such parts (`column_tasks ≤ 1`); otherwise as few as
/// give every worker two parts, `⌈2·threads / column_tasks⌉`, at most one per worker — so one
/// band when there are at least two parts per worker. The workers take the parts of every band
/// (rayon steals them), so fewer bands than workers still keep them all busy, with fewer states
/// in memory and fewer warm-up rows computed twice than one band per worker.
pub fn bands_in_parallel(column_tasks: usize, threads: usize) -> usize {
    let threads = threads.max(1);
    if column_tasks <= 1 {
        threads
    } else {
        (2 * threads).div_ceil(column_tasks).min(threads)
    }
}

impl Geometry {
    /// The geometry of a single-channel image filtered by a filter without warm-up.
    pub fn single(
        width: usize,
        height: usize,
        size: usize,
        sample_bytes: usize,
        scratch_bytes: usize,
    ) -> Self {
        Geometry {
            width,
            height,
            size,
            sample_bytes,
            scratch_bytes,
            planes: 1,
            out_planes: 1,
            warmup_rows: 0,
            sums: true,
            column_tasks: 1,
        }
    }
}

/// Bytes one worker allocates (see the [module documentation](self) for the formula).
pub fn worker_bytes(g: &Geometry) -> usize {
    let wp = g.width + g.size - 1;
    let sums = if g.sums { 4 * wp + 3 * g.width } else { 0 };
    let per_plane = 8 * ((2 * g.size + 2) * wp + sums) + 3 * 8 * g.size;
    per_plane * g.planes + g.sample_bytes * g.width * g.out_planes + g.scratch_bytes
}

/// Extra memory a streaming caller holds besides the driver's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamCosts {
    /// Bytes held whatever the block height (e.g. decoders, the writer's buffers).
    pub fixed: usize,
    /// Bytes held per row of a block (e.g. queued input and output rows).
    pub per_block_row: usize,
}

/// Why the planner used fewer workers than requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// Not more workers than cores.
    Cores,
    /// Not more workers than bands of [`REFRESH_ROWS`] rows (or, when more, the filter's
    /// column tasks).
    Rows,
    /// Not more workers than fit the memory budget.
    Memory,
}

impl std::fmt::Display for Cap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cap::Cores => "the cores available",
            Cap::Rows => "the parts the image splits into (bands of 16 rows, or the filter's blocks of columns)",
            Cap::Memory => "what fits the memory budget",
        })
    }
}

/// How a run uses threads and memory, decided before it allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Workers used.
    pub threads: usize,
    /// Workers asked for (the option, else all cores).
    pub requested_threads: usize,
    /// Why `threads < requested_threads` (the first limit met), if it is.
    pub capped: Option<Cap>,
    /// Rows per streamed block (streaming driver only).
    pub block_rows: Option<usize>,
    /// Bytes the run allocates by the memory model (the caller's costs included).
    pub bytes: usize,
    /// The memory budget.
    pub budget: usize,
}

impl Plan {
    /// A one-line note when fewer workers than requested are used (`None` otherwise), e.g.
    /// "using 2 threads of the 10000 requested: the cores available".
    pub fn note(&self) -> Option<String> {
        self.capped.map(|cap| {
            format!(
                "using {} thread{} of the {} requested: not more than {cap}",
                self.threads,
                if self.threads == 1 { "" } else { "s" },
                self.requested_threads
            )
        })
    }
}

/// The budget of a run: the option, else [`default_max_memory`].
pub fn budget_of(opts: &Options) -> usize {
    opts.max_memory().unwrap_or_else(default_max_memory)
}

/// Cores the process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Requested workers and the caps by cores and by the parts the work splits into: bands of
/// rows, or the filter's own column tasks when there are more of those.
fn thread_caps(opts: &Options, g: &Geometry) -> (usize, usize, Option<Cap>) {
    let requested = opts
        .threads()
        .unwrap_or_else(rayon::current_num_threads)
        .max(1);
    let mut threads = requested;
    let mut capped = None;
    let cores = cores();
    if threads > cores {
        threads = cores;
        capped = Some(Cap::Cores);
    }
    let parts = g.height.div_ceil(REFRESH_ROWS).max(g.column_tasks).max(1);
    if threads > parts {
        threads = parts;
        capped = capped.or(Some(Cap::Rows));
    }
    (requested, threads, capped)
}

fn too_big(g: &Geometry, needed: usize, budget: usize, what: &str) -> Error {
    Error::MemoryBudget(format!(
        "size {} on a {}-wide image needs {} {what}; the memory budget is {}: raise it \
         (--max-memory, max_memory=) or use a smaller window",
        g.size,
        group_thousands(g.width),
        human(needed),
        human(budget)
    ))
}

fn group_thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Plans an in-memory run ([`filter`](super::filter)); `saved_rows(t)` is the number of rows
/// the driver copies with `t` workers (the in-place driver's saved rows; 0 out of place).
pub fn plan_in_memory(
    g: &Geometry,
    opts: &Options,
    saved_rows: impl Fn(usize) -> usize,
) -> Result<Plan> {
    let budget = budget_of(opts);
    let (requested, mut threads, mut capped) = thread_caps(opts, g);
    let worker = worker_bytes(g);
    let row = g.sample_bytes * g.width;
    let bytes = |t: usize| {
        worker
            .saturating_mul(bands_in_parallel(g.column_tasks, t))
            .saturating_add(row.saturating_mul(saved_rows(t)))
    };
    if bytes(1) > budget {
        return Err(too_big(g, bytes(1), budget, "per worker"));
    }
    while bytes(threads) > budget {
        threads -= 1;
        capped = capped.or(Some(Cap::Memory));
    }
    Ok(Plan {
        threads,
        requested_threads: requested,
        capped,
        block_rows: None,
        bytes: bytes(threads),
        budget,
    })
}

/// Plans a streaming run ([`filter_stream_blocks`](super::filter_stream_blocks)): workers
/// and rows per block (`block_rows`: the caller's choice, rounded up to a multiple of
/// [`REFRESH_ROWS`] and lowered if it does not fit; `None`: about
/// [`BLOCK_TARGET_BYTES`] of input per plane, at most four times that for all the input and
/// output planes together), with the caller's own `costs`.
pub fn plan_stream(
    g: &Geometry,
    opts: &Options,
    block_rows: Option<usize>,
    costs: StreamCosts,
) -> Result<Plan> {
    let budget = budget_of(opts);
    let (requested, mut threads, mut capped) = thread_caps(opts, g);
    let worker = worker_bytes(g);
    let row = g.sample_bytes * g.width;
    // `wrap` borders also keep the rows they map from the other end of the image.
    let halo = (g.size - 1 + g.warmup_rows)
        * g.planes
        * if matches!(opts.border(), crate::Border::Wrap) {
            2
        } else {
            1
        };
    let per_row = (row * (g.planes + g.out_planes)).saturating_add(costs.per_block_row);
    let bytes = |t: usize, block: usize| {
        worker
            .saturating_mul(bands_in_parallel(g.column_tasks, t))
            .saturating_add(row.saturating_mul(halo))
            .saturating_add(per_row.saturating_mul(block))
            .saturating_add(costs.fixed)
    };
    let smallest =
        |t: usize| (REFRESH_ROWS * t).min(g.height.div_ceil(REFRESH_ROWS) * REFRESH_ROWS);
    if bytes(1, smallest(1)) > budget {
        let one = bytes(1, smallest(1));
        return Err(too_big(
            g,
            one,
            budget,
            &format!(
                "with one worker and blocks of {} rows",
                smallest(1).min(g.height)
            ),
        ));
    }
    while bytes(threads, smallest(threads)) > budget {
        threads -= 1;
        capped = capped.or(Some(Cap::Memory));
    }
    let round = |r: usize| r.max(1).div_ceil(REFRESH_ROWS) * REFRESH_ROWS;
    let wanted = match block_rows {
        Some(r) => round(r),
        None => {
            // about BLOCK_TARGET_BYTES of rows per plane, and at most four times that for
            // every input and output plane together (a stack of many dates)
            let per_plane = BLOCK_TARGET_BYTES / row.max(1);
            let all = 4 * BLOCK_TARGET_BYTES / (row * (g.planes + g.out_planes)).max(1);
            round(per_plane.min(all).max(2 * REFRESH_ROWS * threads))
        }
    };
    // No more rows than the image has (rounded up), no fewer than one band per worker, and
    // no more than the budget allows.
    let fit = (budget - bytes(threads, 0)) / per_row.max(1);
    let fit = (fit / REFRESH_ROWS * REFRESH_ROWS).max(smallest(threads));
    let block = wanted.min(round(g.height)).min(fit).max(smallest(threads));
    Ok(Plan {
        threads,
        requested_threads: requested,
        capped,
        block_rows: Some(block),
        bytes: bytes(threads, block),
        budget,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(width: usize, height: usize, size: usize) -> Geometry {
        Geometry::single(width, height, size, 4, 0)
    }

    #[test]
    fn filters_with_column_tasks_run_as_few_bands_as_keep_the_workers_busy() {
        // serial rows: a band per worker
        assert_eq!(bands_in_parallel(1, 64), 64);
        assert_eq!(bands_in_parallel(0, 3), 3);
        // two parts per worker or more: one band
        assert_eq!(bands_in_parallel(128, 64), 1);
        assert_eq!(bands_in_parallel(4, 2), 1);
        // fewer: enough bands for two parts per worker, never more than the workers
        assert_eq!(bands_in_parallel(40, 64), 4);
        assert_eq!(bands_in_parallel(20, 16), 2);
        assert_eq!(bands_in_parallel(3, 2), 2);
        assert_eq!(bands_in_parallel(2, 64), 64);
        assert_eq!(bands_in_parallel(2, 1), 1);
        for c in 2..300 {
            for t in 1..70 {
                let b = bands_in_parallel(c, t);
                assert!((1..=t).contains(&b));
                assert!(
                    b * c >= 2 * t || b == t,
                    "{c} parts, {t} workers: {b} bands"
                );
            }
        }
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size(" 2 GB ").unwrap(), 2 << 30);
        assert_eq!(parse_size("64kib").unwrap(), 64 << 10);
        assert_eq!(parse_size("1T").unwrap(), 1 << 40);
        for bad in ["", "M", "-1G", "0", "3 parsecs", "0%", "150%", "x%"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        if let Some(total) = total_memory() {
            let q = parse_size("25%").unwrap();
            assert!(q.abs_diff(total / 4) <= 1, "{q} {total}");
        }
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 << 29), "1.5 GB");
        assert_eq!(human(200 << 20), "200 MB");
        assert_eq!(group_thousands(200_000), "200,000");
        assert_eq!(group_thousands(999), "999");
    }

    #[test]
    fn the_stream_plan_fits_the_budget_or_refuses() {
        let g = geom(200_000, 50_000, 1001);
        // one worker alone: 2·1001 padded f64 rows ≈ 3.2 GB
        let w = worker_bytes(&g);
        assert!(w > 3 << 30 && w < 7 << 29, "{w}");
        let opts = Options::new(1001).unwrap().with_max_memory(Some(2 << 30));
        let e = plan_stream(&g, &opts, None, StreamCosts::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("size 1001 on a 200,000-wide image needs"), "{e}");
        assert!(e.contains("the memory budget is 2.0 GB"), "{e}");
        for budget in [4usize << 30, 6 << 30, 64 << 30] {
            for threads in [1, 2, 8] {
                let opts = Options::new(1001)
                    .unwrap()
                    .with_max_memory(Some(budget))
                    .with_threads(Some(threads));
                let p = plan_stream(&g, &opts, None, StreamCosts::default()).unwrap();
                assert!(p.bytes <= budget, "{p:?}");
                assert!(p.threads >= 1 && p.threads <= threads.min(cores()));
                let b = p.block_rows.unwrap();
                assert!(
                    b.is_multiple_of(REFRESH_ROWS) && b >= REFRESH_ROWS * p.threads,
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn threads_are_capped_by_cores_and_rows() {
        let opts = Options::new(7).unwrap().with_threads(Some(10_000));
        let p = plan_in_memory(&geom(256, 256, 7), &opts, |_| 0).unwrap();
        assert_eq!(p.requested_threads, 10_000);
        assert!(p.threads <= cores().min(16));
        assert!(p.note().unwrap().contains("of the 10000 requested"));
        let p = plan_in_memory(&geom(256, 16, 7), &opts, |_| 0).unwrap();
        assert_eq!(p.threads, 1);
        let opts = Options::new(7).unwrap().with_threads(Some(1));
        let p = plan_in_memory(&geom(256, 256, 7), &opts, |_| 0).unwrap();
        assert_eq!((p.threads, p.capped, p.note()), (1, None, None));
    }

    #[test]
    fn memory_lowers_the_workers() {
        let g = geom(10_000, 10_000, 101);
        let w = worker_bytes(&g);
        let opts = Options::new(101)
            .unwrap()
            .with_threads(Some(2))
            .with_max_memory(Some(w + w / 2));
        let p = plan_in_memory(&g, &opts, |_| 0).unwrap();
        assert_eq!(p.threads, 1);
        if cores() >= 2 {
            assert_eq!(p.capped, Some(Cap::Memory));
        }
        let tight = opts.with_max_memory(Some(w - 1));
        assert!(matches!(
            plan_in_memory(&g, &tight, |_| 0),
            Err(Error::MemoryBudget(_))
        ));
    }
}
