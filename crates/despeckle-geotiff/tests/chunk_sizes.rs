//! A strip or tile must hold enough bytes for what it decodes to, checked before the reader
//! allocates for it: a small file declaring thousands of bands, or strips and tiles past its
//! end, is refused without allocating what it declares, in every layout and compression.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use despeckle_geotiff::fuzzing::PeakAlloc;
use despeckle_geotiff::{Error, Reader};

mod common;
use common::{RawTiff, at, tempdir};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// The allocation counter is global: these tests run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The UInt16 sample of `band` at (`x`, `y`).
fn value(band: usize, x: usize, y: usize) -> u64 {
    ((band * 1000 + y * 31 + x * 7) % 65536) as u64
}

/// Opens `path` and reads every row of every band; also the most bytes allocated at once.
/// (The output buffers are not counted.)
fn read_all(path: &Path) -> (Result<Vec<Vec<f32>>, Error>, usize) {
    let mut peak = 0;
    let result = (|| {
        PeakAlloc::start();
        let opened = Reader::open(path);
        peak = PeakAlloc::peak();
        let mut r = opened?;
        let (w, h, bands) = (r.info().width, r.info().height, r.info().bands);
        let mut out = Vec::new();
        for b in 0..bands {
            let mut v = vec![0f32; w * h];
            PeakAlloc::start();
            let read = r.read_rows(b, 0, &mut v);
            peak = peak.max(PeakAlloc::peak());
            read?;
            out.push(v);
        }
        Ok(out)
    })();
    (result, peak)
}

/// Strips and tiles (`Some` tile size), pixel- and band-interleaved, with partial last
/// strips and edge tiles.
fn layouts() -> Vec<RawTiff> {
    let mut v = Vec::new();
    for planar in [false, true] {
        for tile in [None, Some((16, 16))] {
            let mut t = RawTiff::new(21, 19, 3, 16, 1);
            t.planar = planar;
            t.tile = tile;
            t.rows_per_strip = 4;
            v.push(t);
        }
    }
    v
}

/// Uncompressed strips and tiles are read from their offset whatever their byte count says
/// (as libtiff and GDAL do): one whose data would run one byte past the end of the file is
/// refused, naming it; one ending exactly there reads.
#[test]
fn uncompressed_chunks_need_their_size_inside_the_file() {
    let _serial = serial();
    let dir = tempdir();
    let path = at(&dir, "exact.tif");
    let sample = |b, x, y| vec![value(b, x, y)];
    for mut t in layouts() {
        let what = format!("{} {}", t.tile.map_or("strips", |_| "tiles"), t.planar);
        // A byte count one short changes nothing.
        t.declare = Some(Arc::new(|i, o, n| (o, n - u64::from(i == 1))));
        t.write(&path, &sample);
        let len = std::fs::metadata(&path).unwrap().len();
        let (got, _) = read_all(&path);
        let got = got.unwrap_or_else(|e| panic!("{what}: {e}"));
        for (b, band) in got.iter().enumerate() {
            for (k, &v) in band.iter().enumerate() {
                let (x, y) = (k % t.width, k / t.width);
                assert_eq!(
                    f64::from(v),
                    value(b, x, y) as f64,
                    "{what} band {b} ({x}, {y})"
                );
            }
        }
        // Chunk 1 (the second strip, or the top right tile: whole tiles inside the image)
        // placed so that its data end one byte past the end of the file, then exactly there.
        for past in [1, 0] {
            t.declare = Some(Arc::new(
                move |i, o, n| {
                    if i == 1 { (len - n + past, n) } else { (o, n) }
                },
            ));
            t.write(&path, &sample);
            assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
            let (got, _) = read_all(&path);
            if past == 0 {
                got.unwrap_or_else(|e| panic!("{what}: {e}"));
                continue;
            }
            let e = got.unwrap_err();
            let msg = e.to_string();
            let chunk = if t.tile.is_some() {
                "tile 1"
            } else {
                "strip 1"
            };
            assert!(
                matches!(e, Error::Corrupt { .. })
                    && msg.contains(&format!("{chunk} starts at offset"))
                    && msg.contains("too few for the")
                    && msg.contains("bytes it must hold"),
                "{what}: {msg}"
            );
        }
    }
}

/// Thousands of bands (or a very wide band) in a file of a few hundred bytes, whose strips or
/// tiles hold 8 bytes, or lie past the end of the file: refused, with no more allocated than
/// the reader's fixed buffers, whatever the compression.
#[test]
fn declared_sizes_alone_allocate_nothing() {
    let _serial = serial();
    let dir = tempdir();
    let path = at(&dir, "declared.tif");
    // Each chunk decodes to at least 512 KiB: more than 8 bytes of any codec can hold.
    let mut specs = Vec::new();
    // 2000 bands, pixel-interleaved: a strip of 8 rows of 64 pixels is 2 MB, a 16 x 16 tile 1 MB.
    for tile in [None, Some((16, 16))] {
        let mut t = RawTiff::new(64, 20, 2000, 16, 1);
        t.rows_per_strip = 8;
        t.tile = tile;
        specs.push(t);
    }
    // Band-interleaved: strips of 8 rows 65536 wide (1 MB per band), 512 x 512 tiles (512 KiB).
    let mut t = RawTiff::new(65536, 20, 2, 16, 1);
    t.rows_per_strip = 8;
    t.planar = true;
    specs.push(t);
    let mut t = RawTiff::new(1000, 600, 2, 16, 1);
    t.planar = true;
    t.tile = Some((512, 512));
    specs.push(t);
    for mut t in specs {
        t.chunk_data = Some(vec![0x55; 8]);
        for compression in [1u16, 5, 8, 50000, 32773] {
            t.compression = compression;
            for past_end in [false, true] {
                t.declare = past_end.then(|| -> Arc<dyn Fn(usize, u64, u64) -> (u64, u64)> {
                    Arc::new(|_, _, _| (1 << 30, 1 << 30))
                });
                t.write(&path, &|_, _, _| unreachable!());
                let len = std::fs::metadata(&path).unwrap().len();
                let what = format!(
                    "{} bands, {:?} tiles, compression {compression}, {len} bytes",
                    t.spp, t.tile
                );
                assert!(len < 64_000, "{what}");
                let (got, peak) = read_all(&path);
                let e = got.unwrap_err();
                let msg = e.to_string();
                assert!(
                    matches!(e, Error::Corrupt { .. }) && msg.contains("too few"),
                    "{what}: {msg}"
                );
                if past_end && compression == 1 {
                    assert!(
                        msg.contains("starts at offset 1073741824, past the end of the file"),
                        "{what}: {msg}"
                    );
                } else if past_end {
                    assert!(
                        msg.contains("declares 1073741824 bytes at offset 1073741824")
                            && msg.contains("holds 0"),
                        "{what}: {msg}"
                    );
                }
                // The reader's 64 KiB file buffer, the tags and the strip table.
                assert!(peak < 256 << 10, "{what}: {peak} bytes allocated at once");
            }
        }
    }
}

/// A row of 128 tiles whose bytes could hold their rows (LZW and ZSTD expand enough) but do not
/// decode: the first tile fails before the row of tiles (2.6 MB) is allocated.
#[test]
fn a_row_of_tiles_is_allocated_once_its_first_tile_decodes() {
    let _serial = serial();
    let dir = tempdir();
    let path = at(&dir, "row.tif");
    let mut t = RawTiff::new(65536, 20, 1, 16, 1);
    t.tile = Some((512, 512));
    t.chunk_data = Some(vec![0x55; 8]);
    for compression in [5u16, 50000] {
        t.compression = compression;
        t.write(&path, &|_, _, _| unreachable!());
        let (got, peak) = read_all(&path);
        let e = got.unwrap_err();
        assert!(matches!(e, Error::Corrupt { .. }), "{compression}: {e}");
        assert!(
            peak < 256 << 10,
            "{compression}: {peak} bytes allocated at once"
        );
    }
}

/// The bottom tiles of the second and later planes of a band-interleaved file are decoded
/// whole: one whose rows inside the image (1 of 512) end the file, but not the rest of the
/// tile, is refused before its 512 KiB are allocated, while the first plane reads.
#[test]
fn later_planes_need_whole_bottom_tiles() {
    let _serial = serial();
    let dir = tempdir();
    let path = at(&dir, "planes.tif");
    let mut t = RawTiff::new(600, 1, 2, 16, 1);
    t.planar = true;
    t.tile = Some((512, 512));
    let sample = |b, x, y| vec![value(b, x, y)];
    t.write(&path, &sample);
    let len = std::fs::metadata(&path).unwrap().len();
    // Tiles 2 and 3 (the second plane) start 1024 bytes (one row) before the end of the file.
    t.declare = Some(Arc::new(
        move |i, o, n| if i >= 2 { (len - 1024, n) } else { (o, n) },
    ));
    t.write(&path, &sample);
    let mut r = Reader::open(&path).unwrap();
    let mut row = vec![0f32; 600];
    r.read_rows(0, 0, &mut row).unwrap();
    assert!(
        row.iter()
            .enumerate()
            .all(|(x, &v)| f64::from(v) == value(0, x, 0) as f64)
    );
    PeakAlloc::start();
    let e = r.read_rows(1, 0, &mut row).unwrap_err();
    let peak = PeakAlloc::peak();
    let msg = e.to_string();
    assert!(
        msg.contains("tile 2 starts at offset")
            && msg.contains("1024 bytes before the end of the file")
            && msg.contains("too few for the 524288 bytes it must hold"),
        "{msg}"
    );
    assert!(peak < 256 << 10, "{peak} bytes allocated at once");
}
