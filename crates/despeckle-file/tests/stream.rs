//! `filter_file` equals the core's in-memory `filter` bit for bit, for every layout, border
//! mode, block size and thread count; options, errors and cancellation behave.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use despeckle::{Border, EnhancedLee, ImageMut, ImageRef, LocalStats, Mean, Options, Statistic};
use despeckle_file::registry::FilterSpec;
use despeckle_file::{
    Error, FileFilter, FileOptions, Nodata, OutputCompression, OutputLayout, OutputType, Reader,
    filter_file,
};
use despeckle_geotiff::{GeoTags, Interleave, Writer, WriterOptions};

use crate::common;
use common::files;

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

/// A speckled test image with structure, NaN, a no-data value (-9999) and zeros.
fn image(width: usize, height: usize, band: usize) -> Vec<f64> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ (band as u64 * 7919);
    let mut rnd = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..width * height)
        .map(|i| {
            let (x, y) = (i % width, i / width);
            let base = 1.0 + (x / 20) as f64 + 3.0 * ((y / 25) % 2) as f64 + band as f64;
            // Gamma(2)-like speckle from two exponentials.
            let speckle = -(rnd().max(1e-12).ln() + rnd().max(1e-12).ln()) / 2.0;
            match (x * 31 + y * 17) % 401 {
                0 => f64::NAN,
                1 => -9999.0,
                2 => 0.0,
                3 => 500.0, // point target
                _ => base * speckle,
            }
        })
        .collect()
}

struct Input {
    path: PathBuf,
    width: usize,
    height: usize,
    bands: usize,
}

/// Writes a float32/float64 GeoTIFF with our writer.
#[allow(clippy::too_many_arguments)]
fn write_input(
    dir: &Path,
    name: &str,
    (width, height, bands): (usize, usize, usize),
    ty: OutputType,
    layout: OutputLayout,
    compression: OutputCompression,
    interleave: Interleave,
    nodata: Option<f64>,
) -> Input {
    let path = dir.join(name);
    let mut o = WriterOptions::new(width, height, bands);
    o.sample_type = ty;
    o.layout = layout;
    o.compression = compression;
    o.interleave = interleave;
    o.nodata = nodata;
    o.geo = GeoTags {
        model_pixel_scale: Some(vec![10.0, 10.0, 0.0]),
        model_tiepoint: Some(vec![0.0, 0.0, 0.0, 500_000.0, 4_600_000.0, 0.0]),
        geo_key_directory: Some(vec![
            1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32631,
        ]),
        gdal_metadata: Some("<GDALMetadata><Item name=\"X\">1</Item></GDALMetadata>".into()),
        ..Default::default()
    };
    let mut w = Writer::create(&path, o).unwrap();
    let data: Vec<Vec<f64>> = (0..bands).map(|b| image(width, height, b)).collect();
    // Rows in step (pixel interleave needs it), a few at a time.
    for y0 in (0..height).step_by(5) {
        let y1 = (y0 + 5).min(height);
        for (b, d) in data.iter().enumerate() {
            w.write_rows(b, &d[y0 * width..y1 * width]).unwrap();
        }
    }
    w.finish().unwrap();
    Input {
        path,
        width,
        height,
        bands,
    }
}

/// Every band of a file, read whole.
fn read_all<T: despeckle_geotiff::Sample>(path: &Path) -> Vec<Vec<T>> {
    let mut r = Reader::open(path).unwrap();
    let (w, h, n) = (r.info().width, r.info().height, r.info().bands);
    (0..n)
        .map(|b| {
            let mut v = vec![T::default(); w * h];
            r.read_rows(b, 0, &mut v).unwrap();
            v
        })
        .collect()
}

/// The core's in-memory result for one band.
fn in_memory<T: despeckle::Sample, F: despeckle::Filter>(
    filter: &F,
    input: &[T],
    width: usize,
    height: usize,
    opts: &Options,
) -> Vec<T> {
    let mut out = vec![T::default(); input.len()];
    despeckle::filter(
        filter,
        ImageRef::new(input, width, height).unwrap(),
        &mut ImageMut::new(&mut out, width, height).unwrap(),
        opts,
    )
    .unwrap();
    out
}

fn same_bits_f32(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn same_bits_f64(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn bit_identical_to_in_memory_for_layouts_borders_blocks_threads() {
    let dir = tempdir();
    let inputs = [
        write_input(
            dir.path(),
            "strips.tif",
            (157, 301, 1),
            OutputType::F32,
            OutputLayout::Strips {
                rows_per_strip: Some(7),
            },
            OutputCompression::None,
            Interleave::Band,
            Some(-9999.0),
        ),
        write_input(
            dir.path(),
            "tiles_deflate_2bands_pixel.tif",
            (157, 301, 2),
            OutputType::F32,
            OutputLayout::Tiles {
                width: 32,
                height: 48,
            },
            OutputCompression::Deflate { level: 1 },
            Interleave::Pixel,
            Some(-9999.0),
        ),
        write_input(
            dir.path(),
            "strips_zstd_3bands_planar.tif",
            (64, 200, 3),
            OutputType::F32,
            OutputLayout::Strips {
                rows_per_strip: Some(16),
            },
            OutputCompression::Zstd { level: 1 },
            Interleave::Band,
            None,
        ),
    ];
    let el = EnhancedLee::new(2.0).unwrap();
    let borders = [
        Border::Reflect,
        Border::Wrap,
        Border::Constant(0.5),
        Border::Shrink,
        Border::Mirror,
    ];
    let mut cases = 0;
    for input in &inputs {
        let original = read_all::<f32>(&input.path);
        let file_nodata = Reader::open(&input.path).unwrap().info().nodata;
        for (i, &border) in borders.iter().enumerate() {
            // Block sizes smaller than, around and larger than the strips/tiles.
            let (block_rows, threads) =
                [(Some(16), Some(1)), (Some(48), Some(2)), (None, None)][i % 3];
            let size = [3, 7, 5, 9, 7][i];
            let out = dir.path().join(format!("out_{i}.tif"));
            let mut o = FileOptions::new(size);
            o.border = border;
            o.block_rows = block_rows;
            o.threads = threads;
            o.overwrite = true;
            let report = filter_file(&input.path, &out, &el, &o).unwrap();
            assert_eq!(report.nodata, file_nodata);
            let core = Options::new(size)
                .unwrap()
                .with_border(border)
                .with_nodata(file_nodata);
            let got = read_all::<f32>(&out);
            assert_eq!(got.len(), input.bands);
            for b in 0..input.bands {
                let want = in_memory(&el, &original[b], input.width, input.height, &core);
                assert!(
                    same_bits_f32(&got[b], &want),
                    "{} band {b} border {border} size {size} block {block_rows:?}",
                    input.path.display()
                );
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 5 * 6);
}

#[test]
fn float64_and_band_selection_and_other_filters() {
    let dir = tempdir();
    let input = write_input(
        dir.path(),
        "f64.tif",
        (90, 77, 3),
        OutputType::F64,
        OutputLayout::Tiles {
            width: 16,
            height: 16,
        },
        OutputCompression::Lzw,
        Interleave::Pixel,
        None,
    );
    let original = read_all::<f64>(&input.path);
    let out = dir.path().join("out.tif");
    let ls = LocalStats::new(Statistic::Cv).with_ddof(1).unwrap();
    let filters: [(&dyn FileFilter, &str); 3] = [
        (&ls, "local-stats"),
        (&Mean, "mean"),
        (&EnhancedLee::new(1.0).unwrap(), "enhanced-lee"),
    ];
    for (filter, name) in filters {
        let mut o = FileOptions::new(5);
        o.bands = Some(vec![2, 0]);
        o.overwrite = true;
        o.nodata = Nodata::Value(-9999.0);
        let report = filter_file(&input.path, &out, filter, &o).unwrap();
        assert_eq!(report.filter, name);
        assert_eq!(report.dtype, OutputType::F64, "float64 input stays float64");
        let info = Reader::open(&out).unwrap().info().clone();
        assert_eq!(info.bands, 2);
        assert_eq!(info.nodata, Some(-9999.0));
        assert_eq!(info.geo.geo_transform().unwrap()[0], 500_000.0);
        assert!(info.geo.gdal_metadata.is_some());
        let got = read_all::<f64>(&out);
        let core = Options::new(5).unwrap().with_nodata(Some(-9999.0));
        for (k, &b) in [2usize, 0].iter().enumerate() {
            let want = match name {
                "local-stats" => in_memory(&ls, &original[b], 90, 77, &core),
                "mean" => in_memory(&Mean, &original[b], 90, 77, &core),
                _ => in_memory(&EnhancedLee::new(1.0).unwrap(), &original[b], 90, 77, &core),
            };
            assert!(same_bits_f64(&got[k], &want), "{name} band {b}");
        }
    }
    // --dtype float32 on float64 input: the f32 pipeline on the input rounded to f32.
    let mut o = FileOptions::new(3);
    o.dtype = Some(OutputType::F32);
    o.bands = Some(vec![1]);
    o.overwrite = true;
    filter_file(&input.path, &out, &Mean, &o).unwrap();
    let got = read_all::<f32>(&out);
    let input32: Vec<f32> = original[1].iter().map(|&v| v as f32).collect();
    let want = in_memory(&Mean, &input32, 90, 77, &Options::new(3).unwrap());
    assert!(same_bits_f32(&got[0], &want));
}

#[test]
fn layout_and_compression_follow_the_input_unless_given() {
    let dir = tempdir();
    let input = write_input(
        dir.path(),
        "in.tif",
        (100, 60, 1),
        OutputType::F32,
        OutputLayout::Tiles {
            width: 32,
            height: 16,
        },
        OutputCompression::Zstd { level: 3 },
        Interleave::Band,
        None,
    );
    let out = dir.path().join("out.tif");
    let el = EnhancedLee::new(4.0).unwrap();
    let mut o = FileOptions::new(7);
    filter_file(&input.path, &out, &el, &o).unwrap();
    let info = Reader::open(&out).unwrap().info().clone();
    assert_eq!(
        info.layout,
        despeckle_file::Layout::Tiles {
            width: 32,
            height: 16
        }
    );
    assert_eq!(info.compression, despeckle_file::Compression::Zstd);
    assert!(!info.bigtiff);

    o.overwrite = true;
    o.layout = Some(OutputLayout::Strips {
        rows_per_strip: Some(10),
    });
    o.compression = Some(OutputCompression::Deflate { level: 6 });
    o.float_predictor = Some(true);
    o.bigtiff = despeckle_file::BigTiff::Yes;
    let report = filter_file(&input.path, &out, &el, &o).unwrap();
    assert!(report.bigtiff);
    let info = Reader::open(&out).unwrap().info().clone();
    assert_eq!(
        info.layout,
        despeckle_file::Layout::Strips { rows_per_strip: 10 }
    );
    assert_eq!(info.compression, despeckle_file::Compression::Deflate);
    assert_eq!(info.predictor, despeckle_geotiff::Predictor::FloatingPoint);
    assert!(info.bigtiff);

    // Cloud-optimized: 512 × 512 tiles unless tiles are given, the same pixels (its layout and
    // overviews are checked with GDAL in despeckle-geotiff's tests/cog.rs).
    let plain = read_all::<f32>(&out);
    o.cog = true;
    o.layout = None;
    o.bigtiff = despeckle_file::BigTiff::Auto;
    let cog = dir.path().join("cog.tif");
    let report = filter_file(&input.path, &cog, &el, &o).unwrap();
    assert!(report.cog);
    assert_eq!(report.layout, OutputLayout::COG_TILES);
    assert!(same_bits_f32(&read_all::<f32>(&cog)[0], &plain[0]));
    o.layout = Some(OutputLayout::Tiles {
        width: 16,
        height: 16,
    });
    filter_file(&input.path, &cog, &el, &o).unwrap();
    let info = Reader::open(&cog).unwrap().info().clone();
    assert_eq!(
        info.layout,
        despeckle_file::Layout::Tiles {
            width: 16,
            height: 16
        }
    );
    assert!(same_bits_f32(&read_all::<f32>(&cog)[0], &plain[0]));
    assert_eq!(files(dir.path()), ["cog.tif", "in.tif", "out.tif"]);
}

#[test]
fn registry_spec_progress_and_quicklook() {
    let dir = tempdir();
    let input = write_input(
        dir.path(),
        "in.tif",
        (300, 200, 1),
        OutputType::F32,
        OutputLayout::Strips {
            rows_per_strip: Some(3),
        },
        OutputCompression::None,
        Interleave::Band,
        Some(-9999.0),
    );
    let out = dir.path().join("out.tif");
    let png = dir.path().join("q.png");
    let mut spec = FilterSpec::new("enhanced_lee").unwrap();
    spec.set("looks", 2).unwrap().set("damping", "1.5").unwrap();
    let filter = spec.build().unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let mut o = FileOptions::new(7);
    o.quicklook = Some(png.clone());
    o.quicklook_side = 100;
    o.progress = Some(Arc::new(move |p| {
        assert_eq!(p.total, 200);
        s.store(p.done, Ordering::Relaxed);
    }));
    filter_file(&input.path, &out, &*filter, &o).unwrap();
    assert_eq!(seen.load(Ordering::Relaxed), 200);
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let reader = dec.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (100, 67));
    // Equal to the typed filter.
    let typed = EnhancedLee::new(2.0).unwrap().with_damping(1.5).unwrap();
    let out2 = dir.path().join("out2.tif");
    filter_file(&input.path, &out2, &typed, &FileOptions::new(7)).unwrap();
    assert!(same_bits_f32(
        &read_all::<f32>(&out)[0],
        &read_all::<f32>(&out2)[0]
    ));
    assert_eq!(
        files(dir.path()),
        ["in.tif", "out.tif", "out2.tif", "q.png"]
    );
}

#[test]
fn errors_leave_no_output() {
    let dir = tempdir();
    let input = write_input(
        dir.path(),
        "in.tif",
        (50, 40, 2),
        OutputType::F32,
        OutputLayout::Strips {
            rows_per_strip: Some(8),
        },
        OutputCompression::None,
        Interleave::Band,
        None,
    );
    let out = dir.path().join("out.tif");
    let el = EnhancedLee::new(4.0).unwrap();
    let check = |o: &FileOptions, dst: &Path, want: &str| {
        let e = filter_file(&input.path, dst, &el, o).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(want), "{msg} (wanted {want})");
        assert!(!msg.contains('\n'), "{msg}");
        assert_eq!(files(dir.path()), ["in.tif"], "{msg}");
        e
    };
    let mut o = FileOptions::new(4);
    check(&o, &out, "size");
    o.size = 7;
    o.bands = Some(vec![2]);
    check(&o, &out, "band 2 out of range");
    o.bands = Some(vec![]);
    check(&o, &out, "no band");
    o.bands = None;
    o.threads = Some(0);
    check(&o, &out, "threads");
    o.threads = None;
    o.layout = Some(OutputLayout::Tiles {
        width: 20,
        height: 16,
    });
    check(&o, &out, "multiples of 16");
    o.cog = true;
    o.layout = Some(OutputLayout::Strips {
        rows_per_strip: None,
    });
    check(&o, &out, "a cloud-optimized GeoTIFF is tiled");
    o.layout = None;
    o.quicklook = Some(dir.path().join("missing/q.png"));
    check(&o, &out, "does not exist");
    o.quicklook = None;
    check(&o, &input.path, "the output is the input");
    check(&o, &dir.path().join("no/such/out.tif"), "does not exist");
    let e = filter_file(dir.path().join("nope.tif"), &out, &el, &o).unwrap_err();
    assert!(matches!(e, Error::File(_)), "{e:?}");
    assert!(e.to_string().contains("nope.tif: no such file"), "{e}");

    // Cancellation: no output (nor spill files of cloud-optimized output).
    let cancel = Arc::new(AtomicBool::new(true));
    o.cancel = Some(cancel);
    let e = check(&o, &out, "cancelled");
    assert!(matches!(e, Error::Cancelled { .. }));
}

#[test]
fn truncated_input_fails_before_any_output() {
    let dir = tempdir();
    let input = write_input(
        dir.path(),
        "in.tif",
        (200, 400, 1),
        OutputType::F32,
        OutputLayout::Strips {
            rows_per_strip: Some(4),
        },
        OutputCompression::Deflate { level: 1 },
        Interleave::Band,
        None,
    );
    // (Damage in the middle of a file whose directory comes first is tested with GDAL-written
    // files in the CLI's tests.)
    let bytes = std::fs::read(&input.path).unwrap();
    std::fs::write(&input.path, &bytes[..bytes.len() / 2]).unwrap();
    let out = dir.path().join("out.tif");
    let e = filter_file(
        &input.path,
        &out,
        &EnhancedLee::new(4.0).unwrap(),
        &FileOptions::new(7),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with(&input.path.display().to_string()), "{msg}");
    assert!(msg.contains("truncated or corrupt"), "{msg}");
    assert_eq!(files(dir.path()), ["in.tif"]);
}

#[test]
fn every_registered_filter_streams_like_the_core_and_auto_is_estimated() {
    use despeckle_file::filter_file_spec;
    use despeckle_file::registry::FILTERS;
    let dir = tempdir();
    let input = write_input(
        dir.path(),
        "in.tif",
        (70, 90, 2),
        OutputType::F32,
        OutputLayout::Tiles {
            width: 32,
            height: 32,
        },
        OutputCompression::Deflate { level: 1 },
        Interleave::Pixel,
        Some(-9999.0),
    );
    let original = read_all::<f32>(&input.path);
    let out = dir.path().join("out.tif");
    let mut o = FileOptions::new(7);
    o.overwrite = true;
    o.block_rows = Some(32);
    for def in FILTERS {
        let mut spec = FilterSpec::new(def.name).unwrap();
        let has_looks = def.params.iter().any(|p| p.name == "looks");
        if has_looks {
            spec.set("looks", "auto").unwrap();
        }
        let report = filter_file_spec(&input.path, &out, &spec, &o)
            .unwrap_or_else(|e| panic!("{}: {e}", def.name));
        let got = read_all::<f32>(&out);
        for b in 0..2 {
            // The same filter, built with the values the file run estimated, run by the core.
            let mut want_spec = spec.clone();
            for e in report.estimates.iter().filter(|e| e.band == b) {
                want_spec.set(e.name, e.value).unwrap();
            }
            if has_looks {
                // The estimate is the core's, over the same (float32) band.
                let img = ImageRef::new(&original[b], 70, 90).unwrap();
                let mut src = img;
                let enl =
                    despeckle::estimate::enl(&mut src, Some(-9999.0), despeckle::Domain::Intensity)
                        .unwrap()
                        .enl;
                assert!(
                    report
                        .estimates
                        .iter()
                        .any(|e| e.band == b && e.value == enl)
                );
            }
            let filter = want_spec.build().unwrap();
            let mut want = vec![0f32; 70 * 90];
            let opts = Options::new(7).unwrap().with_nodata(Some(-9999.0));
            filter
                .stream_f32(
                    &mut ImageRef::new(&original[b], 70, 90).unwrap(),
                    &mut ImageMut::new(&mut want, 70, 90).unwrap(),
                    &opts,
                    None,
                )
                .unwrap();
            assert!(same_bits_f32(&got[b], &want), "{} band {b}", def.name);
        }
        let n_auto = usize::from(has_looks) + usize::from(def.name == "lee-sigma");
        assert_eq!(report.estimates.len(), 2 * n_auto, "{}", def.name);
    }
}
