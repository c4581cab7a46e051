//! The memory budget on files: a small Deflate TIFF that decodes to rows of 40 MB (10⁷ pixels
//! wide) is refused before its rows are allocated, and a wide file filtered under a tight
//! budget keeps the process's peak memory under it, with the same result as without.
//!
//! One test function: the peak resident memory (`VmHWM`) is process-wide.

use std::io::Write;
use std::path::Path;

use despeckle::Mean;
use despeckle_file::{Error, FileOptions, Reader, filter_file};

/// Writes a little-endian float32 TIFF `width × height`, one row per Deflate strip, every
/// strip the same compressed row (all strips point at it): a few hundred bytes per 10⁶ pixels.
fn wide_deflate(path: &Path, width: u32, height: u32, row: impl Fn(usize) -> f32) {
    let raw: Vec<u8> = (0..width as usize)
        .flat_map(|x| row(x).to_le_bytes())
        .collect();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&raw).unwrap();
    let strip = z.finish().unwrap();
    drop(raw);

    let n = height as usize;
    let entries: u16 = 11;
    let ifd = 8u32;
    let after_ifd = ifd + 2 + 12 * entries as u32 + 4;
    let offsets_at = after_ifd;
    let counts_at = offsets_at + 4 * height;
    let data_at = counts_at + 4 * height;
    let mut f = Vec::new();
    f.extend_from_slice(b"II*\0");
    f.extend_from_slice(&ifd.to_le_bytes());
    f.extend_from_slice(&entries.to_le_bytes());
    let mut tag = |t: u16, ty: u16, count: u32, value: u32| {
        f.extend_from_slice(&t.to_le_bytes());
        f.extend_from_slice(&ty.to_le_bytes());
        f.extend_from_slice(&count.to_le_bytes());
        f.extend_from_slice(&value.to_le_bytes());
    };
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    tag(256, LONG, 1, width);
    tag(257, LONG, 1, height);
    tag(258, SHORT, 1, 32);
    tag(259, SHORT, 1, 8); // Deflate
    tag(262, SHORT, 1, 1);
    tag(273, LONG, height, if n == 1 { data_at } else { offsets_at });
    tag(277, SHORT, 1, 1);
    tag(278, LONG, 1, 1);
    tag(
        279,
        LONG,
        height,
        if n == 1 {
            strip.len() as u32
        } else {
            counts_at
        },
    );
    tag(284, SHORT, 1, 1);
    tag(339, SHORT, 1, 3); // IEEE float
    f.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(f.len() as u32, after_ifd);
    for _ in 0..n {
        f.extend_from_slice(&data_at.to_le_bytes());
    }
    for _ in 0..n {
        f.extend_from_slice(&(strip.len() as u32).to_le_bytes());
    }
    f.extend_from_slice(&strip);
    std::fs::write(path, f).unwrap();
}

/// The process's peak resident memory (`None` off Linux).
fn peak_rss() -> Option<usize> {
    status("VmHWM:")
}

/// Resets the peak to the current resident memory (Linux ≥ 4.0).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn status(key: &str) -> Option<usize> {
    despeckle::budget::proc_kib_field("/proc/self/status", key)
}

fn read_all(path: &Path) -> Vec<f32> {
    let mut r = Reader::open(path).unwrap();
    let (w, h) = (r.info().width, r.info().height);
    let mut v = vec![0.0f32; w * h];
    r.read_rows(0, 0, &mut v).unwrap();
    v
}

#[test]
fn files_stay_under_the_budget() {
    let dir = tempfile::tempdir().unwrap();

    // 10⁷ pixels wide, 32 rows: under 2 MB on disk, 1.28 GB decoded. A 7 × 7 window needs
    // about 2 GB per worker (its ring alone holds 14 rows of 80 MB): refused at 1 GiB before
    // any row is decoded or allocated.
    let wide = dir.path().join("wide.tif");
    wide_deflate(&wide, 10_000_000, 32, |x| 1.0 + (x % 5) as f32);
    assert!(std::fs::metadata(&wide).unwrap().len() < 2 << 20);
    let mut o = FileOptions::new(7);
    o.threads = Some(1);
    o.max_memory = Some(1 << 30);
    let e = filter_file(&wide, dir.path().join("out.tif"), &Mean, &o).unwrap_err();
    assert!(
        matches!(e, Error::Parameter(despeckle::Error::MemoryBudget(_))),
        "{e}"
    );
    let m = e.to_string();
    assert!(
        m.contains("size 7 on a 10,000,000-wide image needs")
            && m.contains("the memory budget is 1.0 GB"),
        "{m}"
    );
    assert!(!dir.path().join("out.tif").exists());
    if let Some(peak) = peak_rss() {
        assert!(peak < 256 << 20, "peak {} MiB before refusing", peak >> 20);
    }

    // 200,000 wide (800 KB rows), 96 rows: filtered under a budget that fits one worker
    // (about 50 MB with its scratch) and small blocks, the process's peak stays under the
    // budget plus what the test program held before, and the result equals the one with the
    // default budget.
    let src = dir.path().join("w200k.tif");
    wide_deflate(&src, 200_000, 96, |x| 1.0 + ((x * 7919) % 101) as f32);
    let before = status("VmRSS:").filter(|_| reset_peak());
    let budget = 192usize << 20;
    let mut o = FileOptions::new(7);
    o.max_memory = Some(budget);
    let tight = dir.path().join("tight.tif");
    let report = filter_file(&src, &tight, &Mean, &o).unwrap();
    assert!(report.planned_bytes <= budget, "{report:?}");
    assert_eq!(report.memory_budget, budget);
    if let (Some(before), Some(after)) = (before, peak_rss()) {
        assert!(
            after <= before + budget,
            "peak {} MiB, budget {} MiB",
            after >> 20,
            budget >> 20
        );
    }
    let free = dir.path().join("free.tif");
    filter_file(&src, &free, &Mean, &FileOptions::new(7)).unwrap();
    assert!(read_all(&tight) == read_all(&free));

    // A single strip larger than half the budget is refused when the file is opened.
    let mut o = FileOptions::new(3);
    o.max_memory = Some(1 << 20);
    let e = filter_file(&src, dir.path().join("x.tif"), &Mean, &o).unwrap_err();
    assert!(
        e.to_string().contains("more than half the memory budget"),
        "{e}"
    );
}
