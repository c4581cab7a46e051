//! GDAL (through rasterio) as the oracle: the reader reads every layout GDAL writes, and GDAL
//! reads what the writer writes, with the same values, georeferencing and no-data.
//!
//! Needs `python3` with `numpy` and `rasterio` (its wheel bundles GDAL); `scripts/setup.sh`
//! installs them. Without them these tests fail with a message saying so.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use common::tempdir;
use despeckle_geotiff::geo::CrsKind;
use despeckle_geotiff::{
    BigTiff, ComplexMode, Compression, Interleave, Layout, OutputCompression, OutputLayout,
    OutputType, Predictor, Reader, Writer, WriterOptions,
};

/// Runs `gdal_fixtures.py MODE DIR`.
fn run(mode: &str, dir: &Path) -> String {
    common::run_python(
        "gdal_fixtures.py",
        "numpy, rasterio",
        &[mode.as_ref(), dir.as_os_str()],
    )
}

fn read_f64(path: &Path) -> Vec<f64> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn write_f64(path: &Path, values: &[f64]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn tsv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn reads_every_gdal_layout() {
    let dir = tempdir();
    run("write", dir.path());
    let fixtures = tsv(&dir.path().join("manifest.tsv"));
    assert!(fixtures.len() >= 40, "only {} fixtures", fixtures.len());
    for f in &fixtures {
        let name = &f["name"];
        let path = dir.path().join(format!("{name}.tif"));
        let mut r = Reader::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let info = r.info().clone();
        let num = |k: &str| f[k].parse::<usize>().unwrap();
        assert_eq!(
            (info.width, info.height, info.bands),
            (num("width"), num("height"), num("bands")),
            "{name}"
        );
        let type_name = match f["dtype"].as_str() {
            "uint8" => "Byte",
            "int8" => "Int8",
            "uint16" => "UInt16",
            "int16" => "Int16",
            "uint32" => "UInt32",
            "int32" => "Int32",
            "float32" => "Float32",
            "float64" => "Float64",
            "complex_int16" => "CInt16",
            "complex64" => "CFloat32",
            other => panic!("unknown dtype {other}"),
        };
        assert_eq!(info.sample_type.name(), type_name, "{name}");
        let (bw, bh) = f["block"].split_once('x').unwrap();
        let (bw, bh): (usize, usize) = (bw.parse().unwrap(), bh.parse().unwrap());
        if f["tiled"] == "1" {
            assert_eq!(
                info.layout,
                Layout::Tiles {
                    width: bw,
                    height: bh
                },
                "{name}"
            );
        } else {
            assert_eq!(info.layout, Layout::Strips { rows_per_strip: bh }, "{name}");
        }
        let comp = match f["compress"].as_str() {
            "none" => Compression::None,
            "lzw" => Compression::Lzw,
            "deflate" => Compression::Deflate,
            "zstd" => Compression::Zstd,
            "packbits" => Compression::PackBits,
            other => panic!("unknown compression {other}"),
        };
        assert_eq!(info.compression, comp, "{name}");
        let pred = match f["predictor"].as_str() {
            "2" => Predictor::Horizontal,
            "3" => Predictor::FloatingPoint,
            _ => Predictor::None,
        };
        assert_eq!(info.predictor, pred, "{name}");
        assert_eq!(info.planar, f["interleave"] == "band", "{name}");
        assert_eq!(info.bigtiff, f["bigtiff"] == "1", "{name}");
        assert_eq!(info.big_endian, f["endian"] == "big", "{name}");
        match f["nodata"].as_str() {
            "" => assert_eq!(info.nodata, None, "{name}"),
            v => assert!(
                same(info.nodata.unwrap(), v.parse().unwrap()),
                "{name}: {:?}",
                info.nodata
            ),
        }
        let gt: Vec<f64> = f["transform"]
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(info.geo.geo_transform().unwrap().to_vec(), gt, "{name}");
        assert_eq!(
            info.geo.epsg(),
            Some((f["epsg"].parse().unwrap(), CrsKind::Projected)),
            "{name}"
        );
        assert!(
            info.geo
                .gdal_metadata
                .as_deref()
                .unwrap_or("")
                .contains("POLARISATION"),
            "{name}: GDAL metadata {:?}",
            info.geo.gdal_metadata
        );

        if info.sample_type.is_complex() {
            r.set_complex_mode(Some(ComplexMode::Intensity));
        }
        let want = read_f64(&dir.path().join(format!("{name}.f64")));
        let plane = info.width * info.height;
        for b in 0..info.bands {
            let mut got = vec![0f64; plane];
            // Bottom half first, then the top half: random access on GDAL's files too.
            let half = info.height / 2 * info.width;
            r.read_rows(b, info.height / 2, &mut got[half..]).unwrap();
            r.read_rows(b, 0, &mut got[..half]).unwrap();
            for (i, (g, w)) in got
                .iter()
                .zip(&want[b * plane..(b + 1) * plane])
                .enumerate()
            {
                assert!(
                    same(*g, *w),
                    "{name}: band {b} pixel ({}, {}): {g} != {w}",
                    i % info.width,
                    i / info.width
                );
            }
        }
    }
}

#[test]
fn gdal_reads_what_the_writer_writes() {
    let dir = tempdir();
    // Georeferencing, GDAL metadata and no-data come from a GDAL-written file.
    let src_dir = tempdir();
    run("write", src_dir.path());
    let src = Reader::open(src_dir.path().join("float32_bigtiff_tiled.tif")).unwrap();
    let src_info = src.info().clone();
    assert_eq!(src_info.nodata, Some(-9999.0));
    let gt = src_info.geo.geo_transform().unwrap();
    let gt_text: Vec<String> = gt.iter().map(|v| format!("{v:?}")).collect();

    struct Case {
        name: &'static str,
        bands: usize,
        ty: OutputType,
        compression: OutputCompression,
        predictor: bool,
        layout: OutputLayout,
        interleave: Interleave,
        bigtiff: BigTiff,
        nodata: Option<f64>,
    }
    let base = Case {
        name: "",
        bands: 1,
        ty: OutputType::F32,
        compression: OutputCompression::None,
        predictor: false,
        layout: OutputLayout::default(),
        interleave: Interleave::Band,
        bigtiff: BigTiff::Auto,
        nodata: Some(-9999.0),
    };
    let cases = vec![
        Case {
            name: "strips_none",
            ..base
        },
        Case {
            name: "strips7_lzw_p3",
            compression: OutputCompression::Lzw,
            predictor: true,
            layout: OutputLayout::Strips {
                rows_per_strip: Some(7),
            },
            ..base
        },
        Case {
            name: "tiled_deflate_p3",
            compression: OutputCompression::Deflate { level: 6 },
            predictor: true,
            layout: OutputLayout::TILED,
            ..base
        },
        Case {
            name: "tiled16_zstd",
            compression: OutputCompression::Zstd { level: 9 },
            layout: OutputLayout::Tiles {
                width: 16,
                height: 32,
            },
            ..base
        },
        Case {
            name: "packbits",
            compression: OutputCompression::PackBits,
            ..base
        },
        Case {
            name: "bigtiff_f64_tiled",
            ty: OutputType::F64,
            bigtiff: BigTiff::Yes,
            layout: OutputLayout::Tiles {
                width: 32,
                height: 16,
            },
            compression: OutputCompression::Deflate { level: 1 },
            predictor: true,
            ..base
        },
        Case {
            name: "bands3_planar_tiled",
            bands: 3,
            layout: OutputLayout::Tiles {
                width: 16,
                height: 16,
            },
            compression: OutputCompression::Zstd { level: 3 },
            predictor: true,
            ..base
        },
        Case {
            name: "bands3_pixel_strips",
            bands: 3,
            interleave: Interleave::Pixel,
            layout: OutputLayout::Strips {
                rows_per_strip: Some(4),
            },
            compression: OutputCompression::Deflate { level: 6 },
            ..base
        },
        Case {
            name: "bands2_pixel_tiled_bigtiff",
            bands: 2,
            interleave: Interleave::Pixel,
            layout: OutputLayout::Tiles {
                width: 16,
                height: 16,
            },
            bigtiff: BigTiff::Yes,
            ..base
        },
        Case {
            name: "nodata_nan",
            nodata: Some(f64::NAN),
            ..base
        },
        Case {
            name: "no_nodata",
            nodata: None,
            ..base
        },
    ];

    let mut check = String::from(
        "file\tbands\tdtype\tcompress\ttiled\tinterleave\tnodata\ttransform\tepsg\tmetadata_item\n",
    );
    let (w, h) = (src_info.width, src_info.height);
    for c in &cases {
        let file = format!("{}.tif", c.name);
        let mut o = WriterOptions::like(&src_info);
        o.bands = c.bands;
        o.sample_type = c.ty;
        o.compression = c.compression;
        o.float_predictor = c.predictor;
        o.layout = c.layout;
        o.interleave = c.interleave;
        o.bigtiff = c.bigtiff;
        o.nodata = c.nodata;
        let mut wr = Writer::create(dir.path().join(&file), o).unwrap();
        let mut expected = Vec::new();
        let values = |b: usize| -> Vec<f64> {
            (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    if (x + y + b).is_multiple_of(23) {
                        -9999.0
                    } else {
                        common::fpattern(b, x, y) + 1e-9 * (x as f64)
                    }
                })
                .collect()
        };
        for b in 0..c.bands {
            let v = values(b);
            expected.extend(v.iter().map(|&x| match c.ty {
                OutputType::F32 => x as f32 as f64,
                OutputType::F64 => x,
            }));
        }
        if c.interleave == Interleave::Pixel {
            for y in (0..h).step_by(3) {
                let n = 3.min(h - y);
                for b in 0..c.bands {
                    wr.write_rows(b, &values(b)[y * w..(y + n) * w]).unwrap();
                }
            }
        } else {
            for b in 0..c.bands {
                wr.write_rows(b, &values(b)).unwrap();
            }
        }
        wr.finish().unwrap();
        write_f64(&dir.path().join(format!("{}.f64", c.name)), &expected);
        let comp = match c.compression {
            OutputCompression::None => "none",
            OutputCompression::Lzw => "lzw",
            OutputCompression::Deflate { .. } => "deflate",
            OutputCompression::Zstd { .. } => "zstd",
            OutputCompression::PackBits => "packbits",
        };
        let tiled = matches!(c.layout, OutputLayout::Tiles { .. });
        let interleave = if c.interleave == Interleave::Band {
            "band"
        } else {
            "pixel"
        };
        let dtype = if c.ty == OutputType::F32 {
            "float32"
        } else {
            "float64"
        };
        let nodata = c
            .nodata
            .map(|v| format!("{v:?}").to_lowercase())
            .unwrap_or_default();
        check.push_str(&format!(
            "{file}\t{}\t{dtype}\t{comp}\t{}\t{interleave}\t{nodata}\t{}\t32631\tPOLARISATION=VV\n",
            c.bands,
            u8::from(tiled),
            gt_text.join(","),
        ));
    }
    std::fs::write(dir.path().join("check.tsv"), check).unwrap();
    let out = run("check", dir.path());
    assert!(
        out.contains(&format!("checked {} files, 0 problems", cases.len())),
        "{out}"
    );
}
