//! Reader tests on files made by an independent builder and by the `tiff` crate's encoder.

use crate::common;

use common::{RawTiff, at, fpattern, pattern, tempdir};
use despeckle_geotiff::{
    ComplexMode, Compression, Error, Layout, Predictor, Reader, ReaderOptions, SampleType,
};

/// The value the builder stores for (format, bits) and what the reader must return.
fn stored(format: u16, bits: u16, b: usize, x: usize, y: usize) -> (u64, f64) {
    let p = pattern(b, x, y);
    match (format, bits) {
        (1, _) => (
            p as u64 * if bits > 8 { 97 } else { 1 },
            p * if bits > 8 { 97.0 } else { 1.0 },
        ),
        (2, _) => {
            let v = if bits > 8 {
                (p as i64 - 120) * 131
            } else {
                p as i64 / 2 - 60
            };
            (v as u64, v as f64)
        }
        (3, 32) => {
            let v = fpattern(b, x, y) as f32;
            (v.to_bits() as u64, v as f64)
        }
        (3, 64) => {
            let v = fpattern(b, x, y);
            (v.to_bits(), v)
        }
        _ => unreachable!(),
    }
}

fn check_all_bands(reader: &mut Reader, expect: &dyn Fn(usize, usize, usize) -> f64) {
    let info = reader.info().clone();
    for b in 0..info.bands {
        // Whole image at once, in f64.
        let mut all = vec![0f64; info.width * info.height];
        reader.read_rows(b, 0, &mut all).unwrap();
        for y in 0..info.height {
            for x in 0..info.width {
                let want = expect(b, x, y);
                let got = all[y * info.width + x];
                assert!(
                    got == want || (got - want).abs() <= 1e-9 * want.abs(),
                    "band {b} ({x},{y}): got {got}, want {want}"
                );
            }
        }
        // Block by block, in f32.
        let mut rows = 0;
        for block in reader.blocks::<f32>(b).unwrap() {
            let block = block.unwrap();
            assert_eq!(block.y0, rows);
            assert_eq!(block.data.len(), block.rows * info.width);
            for (i, v) in block.data.iter().enumerate() {
                let (x, y) = (i % info.width, block.y0 + i / info.width);
                assert_eq!(*v, expect(b, x, y) as f32, "band {b} ({x},{y}) as f32");
            }
            rows += block.rows;
        }
        assert_eq!(rows, info.height);
    }
}

#[test]
fn every_integer_and_float_type_in_every_layout() {
    let dir = tempdir();
    let types = [
        (1, 8),
        (2, 8),
        (1, 16),
        (2, 16),
        (1, 32),
        (2, 32),
        (3, 32),
        (3, 64),
    ];
    let mut n = 0;
    for &(format, bits) in &types {
        for big_endian in [false, true] {
            for tile in [None, Some((16, 16))] {
                for planar in [false, true] {
                    for compression in [1, 8] {
                        for predictor in [1, 2] {
                            if predictor == 2 && format == 3 {
                                continue;
                            }
                            let mut t = RawTiff::new(37, 29, 2, bits, format);
                            t.big_endian = big_endian;
                            t.tile = tile;
                            t.planar = planar;
                            t.compression = compression;
                            t.predictor = predictor;
                            t.rows_per_strip = 4;
                            let path = at(&dir, &format!("t{n}.tif"));
                            n += 1;
                            t.write(&path, &|b, x, y| vec![stored(format, bits, b, x, y).0]);
                            let mut r = Reader::open(&path).unwrap();
                            let info = r.info().clone();
                            assert_eq!((info.width, info.height, info.bands), (37, 29, 2));
                            assert_eq!(info.sample_type.bytes() * 8, bits as usize);
                            assert_eq!(info.planar, planar);
                            assert_eq!(info.big_endian, big_endian);
                            assert_eq!(
                                info.compression,
                                if compression == 8 {
                                    Compression::Deflate
                                } else {
                                    Compression::None
                                }
                            );
                            assert_eq!(
                                info.predictor,
                                if predictor == 2 {
                                    Predictor::Horizontal
                                } else {
                                    Predictor::None
                                }
                            );
                            match tile {
                                Some(_) => assert_eq!(
                                    info.layout,
                                    Layout::Tiles {
                                        width: 16,
                                        height: 16
                                    }
                                ),
                                None => {
                                    assert_eq!(info.layout, Layout::Strips { rows_per_strip: 4 })
                                }
                            }
                            check_all_bands(&mut r, &|b, x, y| stored(format, bits, b, x, y).1);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn sample_type_names() {
    let dir = tempdir();
    let cases = [
        (1, 8, SampleType::U8),
        (2, 8, SampleType::I8),
        (1, 16, SampleType::U16),
        (2, 16, SampleType::I16),
        (1, 32, SampleType::U32),
        (2, 32, SampleType::I32),
        (3, 32, SampleType::F32),
        (3, 64, SampleType::F64),
        (5, 32, SampleType::ComplexI16),
        (5, 64, SampleType::ComplexI32),
        (6, 64, SampleType::ComplexF32),
    ];
    for (i, (format, bits, ty)) in cases.into_iter().enumerate() {
        let path = at(&dir, &format!("{i}.tif"));
        let parts = if format >= 5 { 2 } else { 1 };
        RawTiff::new(5, 4, 1, bits, format).write(&path, &|_, _, _| vec![1; parts]);
        assert_eq!(Reader::open(&path).unwrap().info().sample_type, ty);
    }
}

/// (re, im) stored for a complex test pixel.
fn complex_parts(b: usize, x: usize, y: usize) -> (f64, f64) {
    (pattern(b, x, y) - 120.0, pattern(b + 1, y, x) - 77.0)
}

#[test]
fn complex_samples_as_intensity_and_amplitude() {
    let dir = tempdir();
    let mut n = 0;
    for (format, bits) in [(5, 32), (5, 64), (6, 64)] {
        for big_endian in [false, true] {
            for tile in [None, Some((16, 16))] {
                for bigtiff in [false, true] {
                    let mut t = RawTiff::new(21, 19, 2, bits, format);
                    t.big_endian = big_endian;
                    t.tile = tile;
                    t.bigtiff = bigtiff;
                    t.compression = 8;
                    let path = at(&dir, &format!("c{n}.tif"));
                    n += 1;
                    let part = |v: f64| -> u64 {
                        match (format, bits) {
                            (5, 32) => v as i16 as u16 as u64,
                            (5, 64) => v as i32 as u32 as u64,
                            _ => (v as f32).to_bits() as u64,
                        }
                    };
                    t.write(&path, &|b, x, y| {
                        let (re, im) = complex_parts(b, x, y);
                        vec![part(re), part(im)]
                    });

                    let mut r = Reader::open(&path).unwrap();
                    assert!(r.info().sample_type.is_complex());
                    assert_eq!(r.info().bigtiff, bigtiff);
                    // Without a mode: a clear error naming the file.
                    let mut buf = vec![0f32; 21];
                    let err = r.read_rows(0, 0, &mut buf).unwrap_err();
                    assert!(matches!(err, Error::ComplexModeRequired { .. }), "{err}");
                    assert!(err.to_string().contains("intensity"));
                    assert!(r.blocks::<f32>(0).is_err());

                    r.set_complex_mode(Some(ComplexMode::Intensity));
                    check_all_bands(&mut r, &|b, x, y| {
                        let (re, im) = complex_parts(b, x, y);
                        re * re + im * im
                    });
                    let mut r = Reader::open_with(&path, {
                        let mut o = ReaderOptions::default();
                        o.complex = Some(ComplexMode::Amplitude);
                        o
                    })
                    .unwrap();
                    let mut all = vec![0f64; 21 * 19];
                    r.read_rows(1, 0, &mut all).unwrap();
                    for (i, v) in all.iter().enumerate() {
                        let (re, im) = complex_parts(1, i % 21, i / 21);
                        assert!((v - (re * re + im * im).sqrt()).abs() < 1e-12);
                    }
                    // the parts themselves, exactly
                    for (mode, part) in [(ComplexMode::Real, 0), (ComplexMode::Imaginary, 1)] {
                        r.set_complex_mode(Some(mode));
                        r.read_rows(1, 0, &mut all).unwrap();
                        for (i, v) in all.iter().enumerate() {
                            let (re, im) = complex_parts(1, i % 21, i / 21);
                            assert_eq!(*v, [re, im][part], "{mode:?} at {i}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn bigtiff_input() {
    let dir = tempdir();
    let path = at(&dir, "big.tif");
    let mut t = RawTiff::new(33, 17, 3, 16, 1);
    t.bigtiff = true;
    t.planar = true;
    t.tile = Some((16, 16));
    t.write(&path, &|b, x, y| vec![stored(1, 16, b, x, y).0]);
    let mut r = Reader::open(&path).unwrap();
    assert!(r.info().bigtiff);
    check_all_bands(&mut r, &|b, x, y| stored(1, 16, b, x, y).1);
}

#[test]
fn rows_in_any_order() {
    let dir = tempdir();
    for tile in [None, Some((16, 32))] {
        let path = at(&dir, "o.tif");
        let mut t = RawTiff::new(41, 70, 2, 32, 3);
        t.tile = tile;
        t.rows_per_strip = 8;
        t.compression = 8;
        t.write(&path, &|b, x, y| vec![stored(3, 32, b, x, y).0]);
        let mut r = Reader::open(&path).unwrap();
        let expect = |b, x, y| stored(3, 32, b, x, y).1;
        // Last rows first, then ranges crossing block edges, then the first rows, mixing bands.
        for (band, y0, rows) in [
            (1, 66, 4),
            (0, 69, 1),
            (0, 5, 20),
            (1, 30, 35),
            (0, 0, 70),
            (1, 0, 1),
            (0, 31, 2),
        ] {
            let mut out = vec![0f64; rows * 41];
            r.read_rows(band, y0, &mut out).unwrap();
            for (i, v) in out.iter().enumerate() {
                assert_eq!(
                    *v,
                    expect(band, i % 41, y0 + i / 41),
                    "band {band} row {}",
                    y0 + i / 41
                );
            }
        }
        // Blocks by index, bottom to top.
        let mut buf = Vec::new();
        for i in (0..r.block_count()).rev() {
            let rows = r.read_block::<f32>(0, i, &mut buf).unwrap();
            assert_eq!(rows, r.block_rows(i));
            assert_eq!(buf[0], expect(0, 0, rows.start) as f32);
        }
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn range_and_band_errors() {
    let dir = tempdir();
    let path = at(&dir, "e.tif");
    RawTiff::new(10, 10, 1, 8, 1).write(&path, &|_, _, _| vec![1]);
    let mut r = Reader::open(&path).unwrap();
    let mut out = vec![0f32; 20];
    assert!(matches!(
        r.read_rows(1, 0, &mut out),
        Err(Error::BandOutOfRange {
            band: 1,
            bands: 1,
            ..
        })
    ));
    assert!(matches!(
        r.read_rows(0, 9, &mut out),
        Err(Error::RowsOutOfRange { .. })
    ));
    let mut odd = vec![0f32; 15];
    assert!(matches!(
        r.read_rows(0, 0, &mut odd),
        Err(Error::Usage { .. })
    ));
    let e = r.read_rows(2, 0, &mut out).unwrap_err().to_string();
    assert!(e.starts_with(&path.display().to_string()), "{e}");
    assert!(r.read_block::<f32>(0, 99, &mut Vec::new()).is_err());
}

#[test]
fn memory_stays_at_one_block_for_a_tall_image() {
    let dir = tempdir();
    let (w, h) = (64, 20_000);
    for tile in [None, Some((32, 48))] {
        let path = at(&dir, "tall.tif");
        let mut t = RawTiff::new(w, h, 1, 32, 3);
        t.rows_per_strip = 16;
        t.tile = tile;
        t.compression = 8;
        t.write(&path, &|_, x, y| vec![((x + y) as f32).to_bits() as u64]);
        let mut r = Reader::open(&path).unwrap();
        let bound = match tile {
            None => w * 16 * 4,
            Some((tw, th)) => w * th * 4 + tw * th * 4,
        };
        let mut sum = 0f64;
        let mut peak = 0;
        for block in r.blocks::<f32>(0).unwrap() {
            let block = block.unwrap();
            sum += block.data.iter().map(|&v| v as f64).sum::<f64>();
            peak = peak.max(block.data.len());
        }
        assert!(
            r.buffer_bytes() <= bound,
            "reader holds {} bytes, bound {bound}",
            r.buffer_bytes()
        );
        assert!(r.buffer_bytes() > 0);
        assert!(peak <= w * r.block_height());
        let want: f64 = (0..h)
            .map(|y| (0..w).map(|x| (x + y) as f64).sum::<f64>())
            .sum();
        assert_eq!(sum, want);
        // Random access near the bottom does not grow the buffers either.
        let mut out = vec![0f32; w * 100];
        r.read_rows(0, h - 100, &mut out).unwrap();
        assert!(r.buffer_bytes() <= bound);
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn huge_single_strip_is_refused_with_a_clear_message() {
    let dir = tempdir();
    let path = at(&dir, "onestrip.tif");
    let mut t = RawTiff::new(100, 100, 1, 32, 3);
    t.rows_per_strip = 100;
    t.write(&path, &|_, _, _| vec![0]);
    let mut o = ReaderOptions::default();
    o.max_block_bytes = 1000;
    let err = Reader::open_with(&path, o).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("strip"), "{err}");
}

mod tiff_crate_inputs {
    use super::*;
    use std::fs::File;
    use tiff::encoder::{Compression as C, DeflateLevel, Predictor as P, TiffEncoder, colortype};
    use tiff::tags::Tag;

    fn compressions() -> Vec<C> {
        vec![
            C::Uncompressed,
            C::Lzw,
            C::Deflate(DeflateLevel::Balanced),
            C::Packbits,
        ]
    }

    macro_rules! case {
        ($dir:expr, $ct:ty, $conv:expr, $pred:expr, $name:expr) => {{
            let (w, h) = (53usize, 41usize);
            for (ci, comp) in compressions().into_iter().enumerate() {
                let path = at(&$dir, &format!("{}-{ci}.tif", $name));
                let data: Vec<_> = (0..w * h)
                    .map(|i| $conv(pattern(0, i % w, i / w)))
                    .collect();
                {
                    let f = File::create(&path).unwrap();
                    let mut enc = TiffEncoder::new(f)
                        .unwrap()
                        .with_compression(comp)
                        .with_predictor($pred);
                    enc.write_image::<$ct>(w as u32, h as u32, &data).unwrap();
                }
                let mut r = Reader::open(&path).unwrap();
                let mut out = vec![0f64; w * h];
                r.read_rows(0, 0, &mut out).unwrap();
                for i in 0..w * h {
                    assert_eq!(
                        out[i],
                        $conv(pattern(0, i % w, i / w)) as f64,
                        "{} {ci} pixel {i}",
                        $name
                    );
                }
            }
        }};
    }

    #[test]
    fn gray_types_with_each_compression_and_predictor() {
        let dir = tempdir();
        case!(dir, colortype::Gray8, |v: f64| v as u8, P::None, "u8");
        case!(
            dir,
            colortype::Gray8,
            |v: f64| v as u8,
            P::Horizontal,
            "u8h"
        );
        case!(
            dir,
            colortype::Gray16,
            |v: f64| (v * 200.0) as u16,
            P::Horizontal,
            "u16h"
        );
        case!(
            dir,
            colortype::GrayI16,
            |v: f64| (v * 100.0 - 9000.0) as i16,
            P::Horizontal,
            "i16h"
        );
        case!(
            dir,
            colortype::GrayI32,
            |v: f64| (v * 1e5 - 9e6) as i32,
            P::None,
            "i32"
        );
        case!(
            dir,
            colortype::Gray32,
            |v: f64| (v * 1e5) as u32,
            P::Horizontal,
            "u32h"
        );
        case!(
            dir,
            colortype::Gray32Float,
            |v: f64| (v * 0.1 - 3.0) as f32,
            P::None,
            "f32"
        );
        case!(
            dir,
            colortype::Gray64Float,
            |v: f64| v * 0.1 - 3.0,
            P::None,
            "f64"
        );
    }

    #[test]
    fn rgb_is_three_chunky_bands() {
        let dir = tempdir();
        let path = at(&dir, "rgb.tif");
        let (w, h) = (20usize, 9usize);
        let data: Vec<u8> = (0..w * h * 3)
            .map(|i| pattern(i % 3, (i / 3) % w, i / 3 / w) as u8)
            .collect();
        TiffEncoder::new(File::create(&path).unwrap())
            .unwrap()
            .with_compression(C::Lzw)
            .write_image::<colortype::RGB8>(w as u32, h as u32, &data)
            .unwrap();
        let mut r = Reader::open(&path).unwrap();
        assert_eq!(r.info().bands, 3);
        assert!(!r.info().planar);
        check_all_bands(&mut r, &|b, x, y| pattern(b, x, y) as u8 as f64);
    }

    #[test]
    fn geotiff_tags_and_nodata_are_parsed() {
        let dir = tempdir();
        let path = at(&dir, "geo.tif");
        {
            let mut enc = TiffEncoder::new(File::create(&path).unwrap()).unwrap();
            let mut img = enc.new_image::<colortype::Gray32Float>(4, 3).unwrap();
            let e = img.encoder();
            e.write_tag(Tag::Unknown(33550), &[10.0f64, 10.0, 0.0][..])
                .unwrap();
            e.write_tag(
                Tag::Unknown(33922),
                &[0.0f64, 0.0, 0.0, 500000.0, 4600000.0, 0.0][..],
            )
            .unwrap();
            e.write_tag(
                Tag::Unknown(34735),
                &[
                    1u16, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32631,
                ][..],
            )
            .unwrap();
            e.write_tag(Tag::Unknown(34737), "WGS 84 / UTM zone 31N|")
                .unwrap();
            e.write_tag(Tag::Unknown(42113), "-9999").unwrap();
            e.write_tag(Tag::Unknown(42112), "<GDALMetadata>\n</GDALMetadata>")
                .unwrap();
            img.write_data(&[0f32; 12]).unwrap();
        }
        let r = Reader::open(&path).unwrap();
        let info = r.info();
        assert_eq!(info.nodata, Some(-9999.0));
        assert_eq!(info.geo.gdal_nodata.as_deref(), Some("-9999"));
        assert_eq!(info.geo.model_pixel_scale, Some(vec![10.0, 10.0, 0.0]));
        assert_eq!(
            info.geo.geo_transform(),
            Some([500000.0, 10.0, 0.0, 4600000.0, 0.0, -10.0])
        );
        assert_eq!(
            info.geo.epsg(),
            Some((32631, despeckle_geotiff::geo::CrsKind::Projected))
        );
        assert_eq!(
            info.geo.geo_ascii_params.as_deref(),
            Some("WGS 84 / UTM zone 31N|")
        );
        assert_eq!(
            info.geo.gdal_metadata.as_deref(),
            Some("<GDALMetadata>\n</GDALMetadata>")
        );
        let text = info.to_string();
        for needle in [
            "4 x 3 pixels",
            "Float32",
            "EPSG:32631",
            "No-data:       -9999",
            "Pixel size:    10, -10",
            "Origin:        500000, 4600000",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }
}

/// A GDAL-written file (67 × 45, 3 × uint16, pixel-interleaved, LZW, 16 × 16 tiles) whose
/// right-edge tiles make tiff 0.11.3's row-by-row decoding fail with "no lzw end code found";
/// the reader decodes whole tiles instead. Values: `pattern(b, x, y) * 257`.
#[test]
fn gdal_lzw_edge_tiles_regression() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gdal_lzw_edge_tiles.tif");
    let mut r = Reader::open(&path).unwrap();
    assert_eq!(r.info().compression, Compression::Lzw);
    assert_eq!(
        r.info().layout,
        Layout::Tiles {
            width: 16,
            height: 16
        }
    );
    assert_eq!(
        r.info().geo.epsg(),
        Some((32631, despeckle_geotiff::geo::CrsKind::Projected))
    );
    check_all_bands(&mut r, &|b, x, y| pattern(b, x, y) * 257.0);
}
