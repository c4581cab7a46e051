//! Writer → reader round trips for every layout, compression, type, interleave and format.

use crate::common;

use common::{at, fpattern, list, tempdir};
use despeckle_geotiff::{
    BigTiff, Compression, GeoTags, Interleave, Layout, OutputCompression, OutputLayout, OutputType,
    Predictor, Reader, SampleType, Writer, WriterOptions,
};

/// Writes `opts` with `fpattern` values, in blocks of `block` rows, bands one after the other
/// (band interleave) or in step (pixel interleave).
fn write_pattern(path: &std::path::Path, opts: &WriterOptions, block: usize) {
    let (w, h, nb) = (opts.width, opts.height, opts.bands);
    let mut wr = Writer::create(path, opts.clone()).unwrap();
    let rows = |b: usize, y0: usize, n: usize| -> Vec<f64> {
        (0..n * w).map(|i| fpattern(b, i % w, y0 + i / w)).collect()
    };
    if opts.interleave == Interleave::Pixel {
        let mut y = 0;
        while y < h {
            let n = block.min(h - y);
            for b in 0..nb {
                wr.write_rows(b, &rows(b, y, n)).unwrap();
            }
            y += n;
        }
    } else {
        for b in 0..nb {
            let mut y = 0;
            while y < h {
                let n = block.min(h - y);
                // Alternate the input type: the writer converts either.
                if (y / block).is_multiple_of(2) {
                    wr.write_rows(b, &rows(b, y, n)).unwrap();
                } else {
                    let v: Vec<f32> = rows(b, y, n).iter().map(|&x| x as f32).collect();
                    wr.write_rows(b, &v).unwrap();
                }
                y += n;
            }
        }
    }
    assert_eq!(wr.rows_written(nb - 1), h);
    wr.finish().unwrap();
}

fn expected(opts: &WriterOptions, b: usize, x: usize, y: usize, block: usize) -> f64 {
    let v = fpattern(b, x, y);
    match opts.sample_type {
        OutputType::F32 => v as f32 as f64,
        // Blocks given as f32 (odd blocks, band interleave) were rounded on the way in.
        OutputType::F64 if opts.interleave == Interleave::Band && (y / block) % 2 == 1 => {
            v as f32 as f64
        }
        OutputType::F64 => v,
    }
}

fn check(path: &std::path::Path, opts: &WriterOptions, block: usize) {
    let mut r = Reader::open(path).unwrap();
    let info = r.info().clone();
    assert_eq!(
        (info.width, info.height, info.bands),
        (opts.width, opts.height, opts.bands)
    );
    assert_eq!(
        info.sample_type,
        match opts.sample_type {
            OutputType::F32 => SampleType::F32,
            OutputType::F64 => SampleType::F64,
        }
    );
    assert_eq!(info.compression, opts.compression.kind());
    let predicted = opts.float_predictor && opts.compression != OutputCompression::None;
    assert_eq!(
        info.predictor,
        if predicted {
            Predictor::FloatingPoint
        } else {
            Predictor::None
        }
    );
    assert_eq!(
        info.planar,
        opts.bands > 1 && opts.interleave == Interleave::Band
    );
    assert_eq!(info.bigtiff, opts.bigtiff == BigTiff::Yes);
    match opts.layout {
        OutputLayout::Tiles { width, height } => {
            assert_eq!(info.layout, Layout::Tiles { width, height })
        }
        OutputLayout::Strips {
            rows_per_strip: Some(n),
        } => {
            assert_eq!(
                info.layout,
                Layout::Strips {
                    rows_per_strip: n.min(opts.height)
                }
            )
        }
        OutputLayout::Strips {
            rows_per_strip: None,
        } => {
            assert!(matches!(info.layout, Layout::Strips { .. }))
        }
    }
    for b in 0..info.bands {
        let mut all = vec![0f64; info.width * info.height];
        r.read_rows(b, 0, &mut all).unwrap();
        for (i, v) in all.iter().enumerate() {
            let (x, y) = (i % info.width, i / info.width);
            assert_eq!(
                v.to_bits(),
                expected(opts, b, x, y, block).to_bits(),
                "{opts:?}: band {b} ({x},{y})"
            );
        }
    }
}

#[test]
fn every_layout_compression_type_and_interleave() {
    let dir = tempdir();
    let layouts = [
        OutputLayout::default(),
        OutputLayout::Strips {
            rows_per_strip: Some(7),
        },
        OutputLayout::Strips {
            rows_per_strip: Some(1000),
        },
        OutputLayout::Tiles {
            width: 16,
            height: 32,
        },
    ];
    let compressions = [
        OutputCompression::None,
        OutputCompression::Lzw,
        OutputCompression::Deflate { level: 6 },
        OutputCompression::Zstd { level: 3 },
        OutputCompression::PackBits,
    ];
    let mut n = 0;
    for layout in layouts {
        for compression in compressions {
            for float_predictor in [false, true] {
                if float_predictor && compression == OutputCompression::None {
                    continue;
                }
                for sample_type in [OutputType::F32, OutputType::F64] {
                    for (bands, interleave) in [
                        (1, Interleave::Band),
                        (3, Interleave::Band),
                        (3, Interleave::Pixel),
                    ] {
                        for bigtiff in [BigTiff::No, BigTiff::Yes] {
                            let mut o = WriterOptions::new(45, 37, bands);
                            o.layout = layout;
                            o.compression = compression;
                            o.float_predictor = float_predictor;
                            o.sample_type = sample_type;
                            o.interleave = interleave;
                            o.bigtiff = bigtiff;
                            let path = at(&dir, &format!("r{n}.tif"));
                            n += 1;
                            write_pattern(&path, &o, 5);
                            check(&path, &o, 5);
                            std::fs::remove_file(&path).unwrap();
                        }
                    }
                }
            }
        }
    }
    assert!(
        list(dir.path()).is_empty(),
        "left over: {:?}",
        list(dir.path())
    );
}

#[test]
fn partial_edge_tiles_300_by_170() {
    let dir = tempdir();
    for (bands, interleave) in [
        (1, Interleave::Band),
        (2, Interleave::Band),
        (2, Interleave::Pixel),
    ] {
        for compression in [
            OutputCompression::None,
            OutputCompression::Deflate { level: 1 },
        ] {
            let mut o = WriterOptions::new(300, 170, bands);
            o.layout = OutputLayout::TILED;
            o.interleave = interleave;
            o.compression = compression;
            o.float_predictor = true;
            let path = at(&dir, "edge.tif");
            // Blocks of 64 rows do not line up with the 256-row tiles.
            write_pattern(&path, &o, 64);
            check(&path, &o, 64);
            let r = Reader::open(&path).unwrap();
            assert_eq!(r.block_count(), 1);
            assert_eq!(r.block_rows(0), 0..170);
            std::fs::remove_file(&path).unwrap();
        }
    }
}

#[test]
fn exact_float64_values_survive() {
    let dir = tempdir();
    let path = at(&dir, "f64.tif");
    let special = [
        0.0,
        -0.0,
        1.0 / 3.0,
        f64::MIN_POSITIVE,
        5e-324,
        f64::MAX,
        -1e300,
        f64::INFINITY,
        f64::NAN,
    ];
    let mut o = WriterOptions::new(special.len(), 2, 1);
    o.sample_type = OutputType::F64;
    o.compression = OutputCompression::Zstd { level: 5 };
    o.float_predictor = true;
    let mut w = Writer::create(&path, o).unwrap();
    let rows: Vec<f64> = special
        .iter()
        .chain(special.iter().rev())
        .copied()
        .collect();
    w.write_rows(0, &rows).unwrap();
    w.finish().unwrap();
    let mut r = Reader::open(&path).unwrap();
    let mut out = vec![0f64; rows.len()];
    r.read_rows(0, 0, &mut out).unwrap();
    for (a, b) in out.iter().zip(&rows) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
}

fn odd_geo() -> GeoTags {
    GeoTags {
        model_pixel_scale: Some(vec![1.0 / 3.0, 0.1 + 0.2, 0.0]),
        model_tiepoint: Some(vec![0.5, -0.0, 0.0, 699960.000000001, 5000040.25, 5e-324]),
        model_transformation: None,
        geo_key_directory: Some(vec![
            1, 1, 0, 4, 1024, 0, 1, 1, 1025, 0, 1, 2, 1026, 34737, 7, 0, 3072, 0, 1, 32633,
        ]),
        geo_double_params: Some(vec![6378137.0, 298.257223563, f64::MIN_POSITIVE]),
        geo_ascii_params: Some("UTM 33|WGS 84 ünïcödé|".into()),
        gdal_metadata: Some(
            "<GDALMetadata>\n  <Item name=\"POLARISATION\" sample=\"0\">VV</Item>\n</GDALMetadata>"
                .into(),
        ),
        gdal_nodata: Some("-9999.0".into()),
    }
}

fn bits(v: &Option<Vec<f64>>) -> Option<Vec<u64>> {
    v.as_ref().map(|v| v.iter().map(|x| x.to_bits()).collect())
}

#[test]
fn georeferencing_tags_are_copied_bit_for_bit() {
    let dir = tempdir();
    for bigtiff in [BigTiff::No, BigTiff::Yes] {
        let src = at(&dir, "src.tif");
        let mut o = WriterOptions::new(8, 6, 1);
        o.geo = odd_geo();
        o.nodata = Some(-9999.0);
        o.bigtiff = bigtiff;
        write_pattern(&src, &o, 6);
        let r = Reader::open(&src).unwrap();
        let g = &r.info().geo;
        let want = odd_geo();
        assert_eq!(bits(&g.model_pixel_scale), bits(&want.model_pixel_scale));
        assert_eq!(bits(&g.model_tiepoint), bits(&want.model_tiepoint));
        assert_eq!(bits(&g.geo_double_params), bits(&want.geo_double_params));
        assert_eq!(g.model_transformation, None);
        assert_eq!(g.geo_key_directory, want.geo_key_directory);
        assert_eq!(g.geo_ascii_params, want.geo_ascii_params);
        assert_eq!(g.gdal_metadata, want.gdal_metadata);
        // The same value as the original text: the text is kept as written.
        assert_eq!(g.gdal_nodata.as_deref(), Some("-9999.0"));
        assert_eq!(r.info().nodata, Some(-9999.0));
        assert_eq!(g.citation(), Some("UTM 33"));

        // A second generation, through WriterOptions::like, is identical again.
        let copy = at(&dir, "copy.tif");
        let mut o2 = WriterOptions::like(r.info());
        o2.layout = OutputLayout::Tiles {
            width: 16,
            height: 16,
        };
        write_pattern(&copy, &o2, 3);
        let r2 = Reader::open(&copy).unwrap();
        assert_eq!(
            bits(&r2.info().geo.model_tiepoint),
            bits(&want.model_tiepoint)
        );
        assert_eq!(r2.info().geo.gdal_metadata, want.gdal_metadata);
        assert_eq!(r2.info().geo.gdal_nodata.as_deref(), Some("-9999.0"));
        std::fs::remove_file(&src).unwrap();
        std::fs::remove_file(&copy).unwrap();
    }
}

#[test]
fn transformation_matrix_is_copied() {
    let dir = tempdir();
    let path = at(&dir, "m.tif");
    let m = vec![
        10.0, 0.5, 0.0, 1000.0, 0.25, -10.0, 0.0, 2000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
    ];
    let mut o = WriterOptions::new(4, 4, 1);
    o.geo.model_transformation = Some(m.clone());
    write_pattern(&path, &o, 4);
    let r = Reader::open(&path).unwrap();
    assert_eq!(r.info().geo.model_transformation, Some(m));
    assert_eq!(
        r.info().geo.geo_transform(),
        Some([1000.0, 10.0, 0.5, 2000.0, 0.25, -10.0])
    );
    assert!(r.info().to_string().contains("Rotation"));
}

#[test]
fn nodata_written_and_parsed() {
    let dir = tempdir();
    let cases: [(Option<f64>, Option<&str>, Option<&str>); 5] = [
        (None, Some("0"), None),             // no nodata: no tag even if geo had text
        (Some(f64::NAN), None, Some("nan")), // NaN as GDAL writes it
        (Some(-9999.0), Some("-9999"), Some("-9999")), // same value: text kept
        (Some(0.0), Some("-9999"), Some("0")), // changed value: new text
        (Some(f32::MIN as f64), None, Some("-3.4028234663852886e38")),
    ];
    for (i, (nodata, raw, want)) in cases.into_iter().enumerate() {
        let path = at(&dir, &format!("n{i}.tif"));
        let mut o = WriterOptions::new(3, 2, 1);
        o.nodata = nodata;
        o.geo.gdal_nodata = raw.map(String::from);
        write_pattern(&path, &o, 2);
        let r = Reader::open(&path).unwrap();
        assert_eq!(r.info().geo.gdal_nodata.as_deref(), want, "case {i}");
        match nodata {
            Some(v) if v.is_nan() => assert!(r.info().nodata.unwrap().is_nan()),
            _ => assert_eq!(r.info().nodata, nodata, "case {i}"),
        }
    }
}

#[test]
fn bigtiff_auto_threshold() {
    assert!(!WriterOptions::new(10_000, 10_000, 1).uses_bigtiff());
    assert!(WriterOptions::new(100_000, 30_000, 1).uses_bigtiff());
    // 1 GiB of float32 per band, 4 bands: over 4 GiB.
    assert!(WriterOptions::new(16384, 16384, 4).uses_bigtiff());
    let mut o = WriterOptions::new(30_000, 30_000, 1); // 3.35 GiB raw
    assert!(!o.uses_bigtiff());
    o.compression = OutputCompression::Lzw; // LZW may grow incompressible data
    assert!(o.uses_bigtiff());
    o.bigtiff = BigTiff::No;
    assert!(!o.uses_bigtiff());
}

#[test]
fn writer_memory_is_one_chunk_row() {
    let dir = tempdir();
    let path = at(&dir, "tall.tif");
    let (w, h) = (200, 5000);
    let mut o = WriterOptions::new(w, h, 2);
    o.layout = OutputLayout::Strips {
        rows_per_strip: Some(8),
    };
    o.compression = OutputCompression::Deflate { level: 1 };
    let mut wr = Writer::create(&path, o).unwrap();
    let row: Vec<f32> = (0..w * 8).map(|i| i as f32).collect();
    let mut peak = 0;
    for b in 0..2 {
        for _ in 0..h / 8 {
            wr.write_rows(b, &row).unwrap();
            peak = peak.max(wr.buffer_bytes());
        }
    }
    // Pending rows of one band (at most a strip and a block) plus the compression queue.
    assert!(
        peak <= 2 * w * 8 * 4 + (16 << 20) + w * 8 * 4,
        "peak {peak}"
    );
    wr.finish().unwrap();
    let mut r = Reader::open(&path).unwrap();
    assert_eq!(r.info().compression, Compression::Deflate);
    let mut out = vec![0f32; w];
    r.read_rows(1, h - 1, &mut out).unwrap();
    assert_eq!(out[..], row[7 * w..]);
}

#[test]
fn info_display_mentions_everything() {
    let dir = tempdir();
    let path = at(&dir, "d.tif");
    let mut o = WriterOptions::new(300, 170, 2);
    o.layout = OutputLayout::TILED;
    o.compression = OutputCompression::Zstd { level: 9 };
    o.float_predictor = true;
    o.bigtiff = BigTiff::Yes;
    o.geo = odd_geo();
    o.nodata = Some(-9999.0);
    write_pattern(&path, &o, 50);
    let text = Reader::open(&path).unwrap().info().to_string();
    for needle in [
        "300 x 170 pixels, 2 bands",
        "Float32",
        "tiles of 256 x 256, band-interleaved (planar)",
        "ZSTD, predictor 3 (floating point)",
        "BigTIFF, little-endian",
        "No-data:       -9999",
        "Pixel size:    0.333333333333, -0.3",
        "Origin:        699959.833333334, 5000040.25",
        "EPSG:32633 (projected)",
        "PixelIsPoint",
        "GDAL metadata:",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}
