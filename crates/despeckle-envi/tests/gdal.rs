//! Files written by GDAL's ENVI driver (tests/data/make_fixtures.py, through rasterio) read
//! back with the values of the script's formulas.

use std::path::PathBuf;

use despeckle_envi::{ByteOrder, ComplexPart, DataType, Interleave, Raster};

const W: usize = 6;
const H: usize = 4;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn read_all(r: &Raster, band: usize) -> Vec<f64> {
    let mut v = vec![0f64; W * H];
    r.band(band).unwrap().read(0, &mut v).unwrap();
    v
}

#[test]
fn float32_bsq_with_georeferencing_and_nodata() {
    let r = Raster::open(&fixture("gdal_bsq.img")).unwrap();
    let h = r.header();
    assert_eq!((h.samples, h.lines, h.bands), (W, H, 3));
    assert_eq!(
        (h.data_type, h.interleave, h.byte_order),
        (DataType::F32, Interleave::Bsq, ByteOrder::Little)
    );
    assert_eq!(h.no_data, Some(-9999.0));
    assert_eq!(h.band_names, ["band 1", "band 2", "band 3"]);
    assert_eq!(
        h.map_info.as_deref(),
        Some("UTM, 1, 1, 500000, 4000000, 10, 10, 31, North,WGS-84")
    );
    assert!(
        h.coordinate_system
            .as_deref()
            .unwrap()
            .starts_with("PROJCS[\"WGS_1984_UTM_Zone_31N\"")
    );
    for b in 0..3 {
        let v = read_all(&r, b);
        for y in 0..H {
            for x in 0..W {
                let want = (b as f64 + 1.0) * 100.0 + y as f64 * 10.0 + x as f64 + 0.25;
                assert_eq!(v[y * W + x], want, "band {b} ({y}, {x})");
            }
        }
    }
}

#[test]
fn float32_bil_and_int16_bip() {
    let bil = Raster::open(&fixture("gdal_bil.img")).unwrap();
    assert_eq!(bil.header().interleave, Interleave::Bil);
    let bip = Raster::open(&fixture("gdal_bip.img")).unwrap();
    assert_eq!(
        (bip.header().interleave, bip.header().data_type),
        (Interleave::Bip, DataType::I16)
    );
    for b in 0..3 {
        let (vl, vp) = (read_all(&bil, b), read_all(&bip, b));
        for y in 0..H {
            for x in 0..W {
                let (bf, yf, xf) = (b as f64 + 1.0, y as f64, x as f64);
                assert_eq!(vl[y * W + x], bf * 100.0 + yf * 10.0 + xf + 0.25);
                assert_eq!(vp[y * W + x], bf * 100.0 - yf * 10.0 - xf);
            }
        }
    }
}

#[test]
fn complex_float32() {
    let r = Raster::open(&fixture("gdal_cfloat32.img")).unwrap();
    assert_eq!(r.header().data_type, DataType::C32);
    let mut re = vec![0f32; W * H];
    let mut im = vec![0f32; W * H];
    r.band_part(0, ComplexPart::Re)
        .unwrap()
        .read(0, &mut re)
        .unwrap();
    r.band_part(0, ComplexPart::Im)
        .unwrap()
        .read(0, &mut im)
        .unwrap();
    for y in 0..H {
        for x in 0..W {
            assert_eq!(re[y * W + x], (y * 10 + x) as f32);
            assert_eq!(im[y * W + x], -((y + 2 * x) as f32) - 0.5);
        }
    }
}
