//! Cloud-optimized output: validated by independent validators (rio-cogeo's `cog_validate`,
//! and GDAL's `validate_cloud_optimized_geotiff.py` checks redone through rasterio, with its
//! full check of block order, leaders and trailers), overviews read back through GDAL and
//! compared with a numpy reference of the averaging, the full resolution compared bit for bit
//! with the same image written without `cog` (`tests/cog_check.py`).
//!
//! Needs `python3` with `numpy`, `rasterio` and `rio-cogeo` (`scripts/setup.sh`).

use crate::common;

use std::path::{Path, PathBuf};

use common::{fpattern, list, tempdir};
use despeckle_geotiff::{
    BigTiff, GeoTags, Interleave, OutputCompression, OutputLayout, OutputType, Writer,
    WriterOptions,
};

/// Runs `cog_check.py DIR`.
fn check(dir: &Path) -> String {
    common::run_python(
        "cog_check.py",
        "numpy, rasterio, rio_cogeo",
        &[dir.as_os_str()],
    )
}

/// A value of band `b` at `(x, y)`: a pattern with NaN, ±∞, no-data pixels and no-data
/// regions (whole 2 × 2 blocks and larger) among ordinary values.
fn value(b: usize, x: usize, y: usize, nodata: Option<f64>) -> f64 {
    let fill = nodata.unwrap_or(f64::NAN);
    if (x / 8 + y / 8 + b) % 11 == 3 {
        return fill; // an 8 × 8 hole
    }
    match (x * 31 + y * 17 + b * 7) % 97 {
        5 => f64::NAN,
        9 => f64::INFINITY,
        13 => fill,
        _ => fpattern(b, x, y) * 1.37 + 1e3,
    }
}

struct Case {
    name: &'static str,
    width: usize,
    height: usize,
    bands: usize,
    ty: OutputType,
    compression: OutputCompression,
    predictor: bool,
    tiles: (usize, usize),
    interleave: Interleave,
    bigtiff: BigTiff,
    nodata: Option<f64>,
    overviews: usize,
}

fn geo() -> GeoTags {
    GeoTags {
        model_pixel_scale: Some(vec![10.0, 10.0, 0.0]),
        model_tiepoint: Some(vec![0.0, 0.0, 0.0, 500000.0, 4600000.0, 0.0]),
        // EPSG:32631, pixel is area.
        geo_key_directory: Some(vec![
            1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32631,
        ]),
        gdal_metadata: Some(
            "<GDALMetadata>\n  <Item name=\"SOURCE\">cog test</Item>\n</GDALMetadata>".into(),
        ),
        ..GeoTags::default()
    }
}

/// Writes `case` as a COG and as plain tiles, and the values as raw float64 (band after band).
fn write_case(dir: &Path, c: &Case) {
    let mut opts = WriterOptions::new(c.width, c.height, c.bands);
    opts.sample_type = c.ty;
    opts.compression = c.compression;
    opts.float_predictor = c.predictor;
    opts.layout = OutputLayout::Tiles {
        width: c.tiles.0,
        height: c.tiles.1,
    };
    opts.interleave = c.interleave;
    opts.bigtiff = c.bigtiff;
    opts.nodata = c.nodata;
    opts.geo = geo();
    opts.threads = 2;
    let bands: Vec<Vec<f64>> = (0..c.bands)
        .map(|b| {
            (0..c.height)
                .flat_map(|y| (0..c.width).map(move |x| (x, y)))
                .map(|(x, y)| value(b, x, y, c.nodata))
                .collect()
        })
        .collect();
    for cog in [true, false] {
        let mut o = opts.clone();
        o.cog = cog;
        let name = format!("{}{}.tif", c.name, if cog { "" } else { "_plain" });
        let mut w = Writer::create(dir.join(name), o).unwrap();
        assert_eq!(w.overview_count(), if cog { c.overviews } else { 0 });
        // Uneven pieces: rows cut across tile rows; pixel-interleaved bands in step.
        let piece = 13 * c.width;
        if c.interleave == Interleave::Pixel {
            for start in (0..c.width * c.height).step_by(piece) {
                for (b, data) in bands.iter().enumerate() {
                    w.write_rows(b, &data[start..(start + piece).min(data.len())])
                        .unwrap();
                }
            }
        } else {
            for (b, data) in bands.iter().enumerate() {
                for rows in data.chunks(piece) {
                    w.write_rows(b, rows).unwrap();
                }
            }
        }
        w.finish().unwrap();
    }
    let raw: Vec<u8> = bands
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(dir.join(format!("{}.f64", c.name)), raw).unwrap();
}

#[test]
fn cog_output_is_valid_with_exact_overviews() {
    let dir = tempdir();
    let base = Case {
        name: "",
        width: 100,
        height: 70,
        bands: 1,
        ty: OutputType::F32,
        compression: OutputCompression::None,
        predictor: false,
        tiles: (512, 512),
        interleave: Interleave::Band,
        bigtiff: BigTiff::Auto,
        nodata: Some(-9999.0),
        overviews: 0,
    };
    let cases = [
        // Smaller than one tile: no overview.
        Case {
            name: "small_none",
            ..base
        },
        // Not a multiple of the tile size; odd sizes on every level: 300 × 203 → 150 × 102 →
        // 75 × 51 → 38 × 26.
        Case {
            name: "levels3_deflate_p3",
            width: 300,
            height: 203,
            compression: OutputCompression::Deflate { level: 6 },
            predictor: true,
            tiles: (64, 64),
            overviews: 3,
            ..base
        },
        // Two bands, band-interleaved, float64, non-square tiles, no no-data (NaN fills).
        Case {
            name: "bands2_f64_zstd",
            width: 161,
            height: 230,
            bands: 2,
            ty: OutputType::F64,
            compression: OutputCompression::Zstd { level: 3 },
            tiles: (32, 48),
            nodata: None,
            overviews: 3,
            ..base
        },
        // Three bands pixel-interleaved, LZW, BigTIFF, NaN no-data.
        Case {
            name: "bands3_pixel_lzw_bigtiff",
            width: 130,
            height: 97,
            bands: 3,
            compression: OutputCompression::Lzw,
            tiles: (32, 32),
            interleave: Interleave::Pixel,
            bigtiff: BigTiff::Yes,
            nodata: Some(f64::NAN),
            overviews: 3,
            ..base
        },
        // GDAL's default tile size, one overview, PackBits.
        Case {
            name: "tiles512_packbits",
            width: 520,
            height: 600,
            compression: OutputCompression::PackBits,
            overviews: 1,
            ..base
        },
    ];
    let mut manifest = String::from("name\twidth\theight\tbands\tdtype\tnodata\toverviews\n");
    for c in &cases {
        write_case(dir.path(), c);
        manifest.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            c.name,
            c.width,
            c.height,
            c.bands,
            match c.ty {
                OutputType::F32 => "float32",
                OutputType::F64 => "float64",
            },
            c.nodata.map_or("none".into(), |v| format!("{v:?}")),
            c.overviews
        ));
    }
    // Only the outputs: no spill or temporary file is left.
    let names = list(dir.path());
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "temporary files left: {names:?}"
    );
    std::fs::write(dir.path().join("cog.tsv"), manifest).unwrap();
    let report = check(dir.path());
    assert_eq!(
        report.lines().filter(|l| l.starts_with("ok ")).count(),
        cases.len(),
        "{report}"
    );
}

/// The spill files go away with the writer on error, and a strips layout is refused (the
/// Ctrl-C clean-up is tested in `cleanup.rs`).
#[test]
fn cog_leaves_nothing_behind() {
    let dir = tempdir();
    let path: PathBuf = dir.path().join("out.tif");
    let mut opts = WriterOptions::new(200, 300, 1);
    opts.cog = true;
    let err = Writer::create(&path, opts.clone()).unwrap_err().to_string();
    assert!(err.contains("tiled"), "{err}");
    opts.layout = OutputLayout::Tiles {
        width: 32,
        height: 32,
    };
    let mut w = Writer::create(&path, opts.clone()).unwrap();
    assert_eq!(w.overview_count(), 4);
    w.write_rows(0, &vec![1.0f32; 200 * 100]).unwrap();
    // The output's temporary file and one spill file per level.
    assert_eq!(list(dir.path()).len(), 6, "{:?}", list(dir.path()));
    assert!(w.finish().is_err()); // incomplete
    assert!(list(dir.path()).is_empty(), "{:?}", list(dir.path()));
    // Dropped half-way.
    let mut w = Writer::create(&path, opts).unwrap();
    w.write_rows(0, &vec![1.0f32; 200 * 100]).unwrap();
    drop(w);
    assert!(list(dir.path()).is_empty(), "{:?}", list(dir.path()));
}

/// Memory does not grow with the height: the bytes the writer holds (tile rows of every level
/// being filled, the averaging rows, the compression queue) peak at the same value for an
/// image 8 times as tall.
#[test]
fn cog_memory_is_flat_in_height() {
    let peak = |height: usize| {
        let dir = tempdir();
        let mut opts = WriterOptions::new(256, height, 1);
        opts.cog = true;
        opts.layout = OutputLayout::Tiles {
            width: 32,
            height: 32,
        };
        // Uncompressed: no compression queue, whose fill depends on the threads' timing.
        let mut w = Writer::create(dir.path().join("tall.tif"), opts).unwrap();
        let rows: Vec<f32> = (0..256 * 8).map(|i| (i % 255) as f32).collect();
        let mut most = 0;
        for _ in 0..height / 8 {
            w.write_rows(0, &rows).unwrap();
            most = most.max(w.buffer_bytes());
        }
        let levels = w.overview_count();
        w.finish().unwrap();
        (most, levels)
    };
    let (short, short_levels) = peak(2_048);
    let (tall, tall_levels) = peak(16_384);
    assert_eq!(tall_levels, short_levels + 3);
    // Three more levels of narrow rows (a tile row each), nothing proportional to the height.
    assert!(
        tall <= short + 3 * 32 * 32 * 4 * 2 + 3 * 256 * 16,
        "peak buffer {short} B for 2,048 rows, {tall} B for 16,384 rows"
    );
}
