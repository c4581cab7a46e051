//! `despeckle polsar` on PolSARpro folders made by hand as the format says (config.txt and
#![allow(clippy::needless_range_loop)] // pixel indices read best as indices
//! headerless little-endian float32 `.bin` files): the boxcar against the window means
//! computed here, Refined Lee keeping the matrix positive semi-definite on C2, and one-line
//! errors that leave no output.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_despeckle")
}

const C2: [&str; 4] = ["C11", "C12_real", "C12_imag", "C22"];

/// Uniform numbers in [0, 1) from a fixed seed (a linear congruential generator).
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as f64 / (1u64 << 31) as f64
    }
}

/// Writes a PolSARpro folder as the format says: `config.txt` and one headerless
/// little-endian float32 `<element>.bin` per plane.
fn write_folder(
    dir: &Path,
    w: usize,
    h: usize,
    polar_type: &str,
    names: &[&str],
    planes: &[Vec<f32>],
) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("config.txt"),
        format!("Nrow\n{h}\n---------\nNcol\n{w}\n---------\nPolarCase\nmonostatic\n---------\nPolarType\n{polar_type}\n"),
    )
    .unwrap();
    for (name, p) in names.iter().zip(planes) {
        let bytes: Vec<u8> = p.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(dir.join(format!("{name}.bin")), bytes).unwrap();
    }
}

/// A C2 folder of `w` × `h` pixels: C11, C22 > 0 and |C12|² ≤ C11·C22 (a valid matrix).
fn write_c2(dir: &Path, w: usize, h: usize) -> Vec<Vec<f32>> {
    let mut u = uniform(12345);
    let mut rnd = || u() as f32;
    let mut planes = vec![vec![0f32; w * h]; 4];
    for i in 0..w * h {
        let edge = if i % w < w / 2 { 1.0 } else { 5.0 };
        let (a, b) = (edge * (0.1 + rnd()), 0.1 + rnd());
        let (r, t) = (rnd() * (a * b).sqrt(), rnd() * 6.0);
        planes[0][i] = a;
        planes[1][i] = r * t.cos();
        planes[2][i] = r * t.sin();
        planes[3][i] = b;
    }
    write_folder(dir, w, h, "pp2", &C2, &planes);
    planes
}

fn read_plane(dir: &Path, name: &str) -> Vec<f32> {
    std::fs::read(dir.join(format!("{name}.bin")))
        .unwrap()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn boxcar_and_refined_lee_on_a_polsarpro_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (w, h) = (31, 23);
    let input = tmp.path().join("C2");
    let planes = write_c2(&input, w, h);
    let out = tmp.path().join("boxcar");
    let st = Command::new(bin())
        .args(["polsar", "boxcar"])
        .arg(&input)
        .arg(&out)
        .args(["--size", "3", "--border", "nearest"])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let config = std::fs::read_to_string(out.join("config.txt")).unwrap();
    assert!(
        config.contains("Nrow\n23\n") && config.contains("pp2"),
        "{config}"
    );
    for (p, name) in C2.iter().enumerate() {
        assert!(out.join(format!("{name}.bin.hdr")).exists());
        let got = read_plane(&out, name);
        for y in 0..h {
            for x in 0..w {
                let mut s = 0f64;
                for dy in -1isize..=1 {
                    for dx in -1isize..=1 {
                        let yy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
                        let xx = (x as isize + dx).clamp(0, w as isize - 1) as usize;
                        s += planes[p][yy * w + xx] as f64;
                    }
                }
                let want = (s / 9.0) as f32;
                let g = got[y * w + x];
                assert!(
                    (g - want).abs() <= 1e-6 * want.abs().max(1.0),
                    "{name} ({x}, {y}): {g} vs {want}"
                );
            }
        }
    }
    let rl = tmp.path().join("refined");
    let st = Command::new(bin())
        .args(["polsar", "refined-lee"])
        .arg(&input)
        .arg(&rl)
        .args([
            "--size",
            "5",
            "--looks",
            "2",
            "--ddof",
            "1",
            "--threads",
            "2",
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let o: Vec<Vec<f32>> = C2.iter().map(|n| read_plane(&rl, n)).collect();
    let mut changed = 0;
    for i in 0..w * h {
        let (a, re, im, b) = (
            o[0][i] as f64,
            o[1][i] as f64,
            o[2][i] as f64,
            o[3][i] as f64,
        );
        assert!(
            a >= 0.0 && b >= 0.0 && re * re + im * im <= a * b * (1.0 + 1e-5),
            "pixel {i}"
        );
        changed += (o[0][i] != planes[0][i]) as usize;
    }
    assert!(changed > w * h / 2, "filtered");
}

#[test]
fn bad_inputs_are_one_line_errors_that_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("C2");
    write_c2(&input, 9, 8);
    let run = |args: &[&str], out: &Path| {
        let o = Command::new(bin())
            .arg("polsar")
            .args(&args[..1])
            .arg(&input)
            .arg(out)
            .args(&args[1..])
            .output()
            .unwrap();
        assert!(!o.status.success());
        let e = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        e
    };
    let out = tmp.path().join("out");
    let e = run(&["refined-lee", "--size", "3"], &out);
    assert!(e.contains("size"), "{e}");
    assert!(!out.exists(), "no output folder left");
    let e = run(&["refined-lee", "--looks", "0"], &out);
    assert!(e.contains("looks"), "{e}");
    let e = run(&["boxcar"], &input);
    assert!(e.contains("input folder"), "{e}");
    // the output folder spelled differently is still the input
    let e = run(&["boxcar"], &tmp.path().join("C2/../C2"));
    assert!(e.contains("input folder"), "{e}");
    // an incomplete matrix
    std::fs::remove_file(input.join("C12_imag.bin")).unwrap();
    let e = run(&["boxcar"], &out);
    assert!(e.contains("C12_imag"), "{e}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&input).unwrap().count(),
        4,
        "input untouched"
    );
}

/// A GeoTIFF whose band descriptions name the elements in another order is recognised;
/// the output GeoTIFF has the canonical order with descriptions set; plain bands need
/// `--matrix`.
#[test]
fn geotiff_bands_named_by_their_descriptions() {
    use despeckle_geotiff::{Reader, Writer, WriterOptions};
    let tmp = tempfile::tempdir().unwrap();
    let (w, h) = (12, 9);
    let planes = write_c2(&tmp.path().join("C2"), w, h);
    // bands in the file: C22, C11, C12_imag, C12_real
    let file_order = [3usize, 0, 2, 1];
    let write = |path: &Path, described: bool| {
        let mut o = WriterOptions::new(w, h, 4);
        if described {
            let mut xml = String::from("<GDALMetadata>\n");
            for (b, &p) in file_order.iter().enumerate() {
                xml.push_str(&format!(
                    "  <Item name=\"DESCRIPTION\" sample=\"{b}\" role=\"description\">{}</Item>\n",
                    C2[p]
                ));
            }
            xml.push_str("</GDALMetadata>\n");
            o.geo.gdal_metadata = Some(xml);
        }
        let mut wr = Writer::create(path, o).unwrap();
        for &p in &file_order {
            wr.write_rows(file_order.iter().position(|&q| q == p).unwrap(), &planes[p])
                .unwrap();
        }
        wr.finish().unwrap();
    };
    let named = tmp.path().join("named.tif");
    write(&named, true);
    let out = tmp.path().join("out.tif");
    let st = Command::new(bin())
        .args(["polsar", "boxcar"])
        .arg(&named)
        .arg(&out)
        .args(["--size", "3", "--border", "nearest"])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let mut r = Reader::open(&out).unwrap();
    let xml = r.info().geo.gdal_metadata.clone().unwrap();
    for (b, name) in C2.iter().enumerate() {
        assert!(
            xml.contains(&format!("sample=\"{b}\" role=\"description\">{name}<")),
            "{xml}"
        );
        let mut got = vec![0f32; w * h];
        r.read_rows(b, 0, &mut got).unwrap();
        // the centre pixel's 3 × 3 mean
        let (x, y) = (5, 4);
        let mut s = 0f64;
        for dy in 0..3 {
            for dx in 0..3 {
                s += planes[b][(y + dy - 1) * w + x + dx - 1] as f64;
            }
        }
        let want = (s / 9.0) as f32;
        assert!(
            (got[y * w + x] - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{name}"
        );
    }
    // plain bands: refused without --matrix, read in element order with it
    let plain = tmp.path().join("plain.tif");
    write(&plain, false);
    let o = Command::new(bin())
        .args(["polsar", "boxcar"])
        .arg(&plain)
        .arg(tmp.path().join("p.tif"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--matrix"));
    let st = Command::new(bin())
        .args(["polsar", "refined-lee"])
        .arg(&plain)
        .arg(tmp.path().join("folder"))
        .args(["--matrix", "c2"])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(tmp.path().join("folder/C12_imag.bin").exists());
}

/// SLC → C2, C3, T3, C4, T4 (with and without --multilook) on CInt16 and CFloat32 GeoTIFFs
/// written by GDAL, against numpy outer products and block means (tests/polsar_slc.py).
#[test]
fn matrices_from_slc_against_numpy() {
    run_script("polsar_slc.py");
}

/// Runs `despeckle polsar ARGS...`, which must succeed; returns its standard error.
fn run_ok<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> String {
    let o = Command::new(bin())
        .arg("polsar")
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    err
}

/// Runs `tests/SCRIPT DIR DESPECKLE` (python3 with numpy and rasterio, GDAL's command-line
/// tools: scripts/setup.sh) in a temporary folder; it fails with one line per problem.
fn run_script(script: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(script);
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let o = Command::new(python)
        .arg(path)
        .arg(tmp.path())
        .arg(bin())
        .output()
        .unwrap_or_else(|e| {
            panic!("run {script} (python3 with numpy and rasterio: scripts/setup.sh): {e}")
        });
    assert!(
        o.status.success(),
        "{script}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Georeferencing across formats, checked with GDAL (tests/polsar_georef.py): GeoTIFF →
/// PolSARpro (opened by GDAL's ENVI driver) → GeoTIFF for UTM north and south, WGS 84 and a
/// system ENVI map info does not name; folders written by `gdal_translate -of ENVI`; SLC →
/// multilooked folder; BEAM-DIMAP map-projected and slant-range products.
#[test]
fn georeferencing_across_formats_against_gdal() {
    run_script("polsar_georef.py");
}

/// GeoTIFF → PolSARpro folder → GeoTIFF keeps the tie point, pixel scale and EPSG code bit
/// for bit (awkward decimals), and the folder's headers say it in ENVI's terms.
#[test]
fn georeferencing_round_trip_through_a_folder_is_exact() {
    use despeckle_geotiff::{GeoTags, Reader, Writer, WriterOptions};
    let tmp = tempfile::tempdir().unwrap();
    let (w, h) = (5, 4);
    let src = tmp.path().join("c2.tif");
    let mut opts = WriterOptions::new(w, h, 4);
    opts.geo = GeoTags {
        model_tiepoint: Some(vec![0.0, 0.0, 0.0, 612_345.678_901_234_5, 7_654_321.1, 0.0]),
        model_pixel_scale: Some(vec![13.333_333_333_333_334, 0.1 + 0.2, 0.0]),
        geo_key_directory: Some(vec![
            1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32719,
        ]),
        gdal_metadata: Some(
            "<GDALMetadata>\n".to_string()
                + &C2
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        format!("<Item name=\"DESCRIPTION\" sample=\"{i}\" role=\"description\">{n}</Item>\n")
                    })
                    .collect::<String>()
                + "</GDALMetadata>\n",
        ),
        ..GeoTags::default()
    };
    let mut wr = Writer::create(&src, opts).unwrap();
    for b in 0..4 {
        wr.write_rows(b, &vec![1.0 + b as f32; w * h]).unwrap();
    }
    wr.finish().unwrap();
    let folder = tmp.path().join("C2");
    let back = tmp.path().join("back.tif");
    for (i, o) in [(&src, &folder), (&folder, &back)] {
        let err = run_ok([OsStr::new("boxcar"), i.as_os_str(), o.as_os_str()]);
        assert!(err.is_empty(), "{err}");
    }
    let hdr = std::fs::read_to_string(folder.join("C22.bin.hdr")).unwrap();
    assert!(
        hdr.contains(
            "map info = {UTM, 1, 1, 612345.6789012345, 7654321.1, 13.333333333333334, \
             0.30000000000000004, 19, South, WGS-84, units=Meters}"
        ),
        "{hdr}"
    );
    assert!(hdr.contains("AUTHORITY[\"EPSG\",\"32719\"]]}"), "{hdr}");
    let a = Reader::open(&src).unwrap().info().geo.clone();
    let b = Reader::open(&back).unwrap().info().geo.clone();
    assert_eq!(b.model_tiepoint, a.model_tiepoint);
    assert_eq!(b.model_pixel_scale, a.model_pixel_scale);
    assert_eq!(b.geo_transform(), a.geo_transform());
    assert_eq!(b.epsg(), a.epsg());
}

/// A float32 GeoTIFF of `bands` bands of ones: a real (not complex) input.
fn write_real(path: &Path, w: usize, h: usize, bands: usize) {
    use despeckle_geotiff::{Writer, WriterOptions};
    let mut wr = Writer::create(path, WriterOptions::new(w, h, bands)).unwrap();
    for b in 0..bands {
        wr.write_rows(b, &vec![1f32; w * h]).unwrap();
    }
    wr.finish().unwrap();
}

/// Bad SLC command lines are one-line errors that leave no output.
#[test]
fn slc_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real.tif");
    write_real(&real, 8, 6, 1);
    let out = tmp.path().join("out.tif");
    let cases: [(&[&str], &str); 5] = [
        (&["c3", "a.tif", "b.tif"], "takes 4 input files"),
        (
            &["c2", "REAL", "REAL", "OUT", "--multilook", "0x2"],
            "factors from 1",
        ),
        (
            &["c2", "REAL", "REAL", "OUT", "--multilook", "4by2"],
            "AZxRG",
        ),
        (&["c2", "REAL", "REAL", "OUT"], "complex SLC samples"),
        (
            &["boxcar", "REAL", "OUT", "--multilook", "2x2"],
            "for matrices formed from SLC",
        ),
    ];
    for (args, want) in cases {
        let args: Vec<String> = args
            .iter()
            .map(|a| match *a {
                "REAL" => real.display().to_string(),
                "OUT" => out.display().to_string(),
                a => a.to_string(),
            })
            .collect();
        let o = Command::new(bin())
            .arg("polsar")
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} left an output");
    }
}

/// `despeckle info` names the matrix of a PolSARpro folder and of a GeoTIFF whose band
/// descriptions name the elements, with the element order.
#[test]
fn info_recognises_matrices() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("C2");
    write_c2(&folder, 6, 5);
    let o = Command::new(bin())
        .arg("info")
        .arg(&folder)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("Matrix:        C2 (covariance"), "{text}");
    assert!(
        text.contains(
            "C11 (C11.bin), C12_real (C12_real.bin), C12_imag (C12_imag.bin), C22 (C22.bin)"
        ),
        "{text}"
    );
    assert!(text.contains("Size:          6 x 5"), "{text}");
    // a GeoTIFF written by `polsar boxcar`: band descriptions set
    let tif = tmp.path().join("c2.tif");
    let st = Command::new(bin())
        .args(["polsar", "boxcar"])
        .arg(&folder)
        .arg(&tif)
        .args(["--size", "3", "--quiet"])
        .status()
        .unwrap();
    assert!(st.success());
    let o = Command::new(bin()).arg("info").arg(&tif).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Matrix:        C2 (covariance, 2 × 2 Hermitian), 4 planes"),
        "{text}"
    );
    assert!(text.contains("C11 (band 1), C12_real (band 2)"), "{text}");
    // a plain GeoTIFF: no matrix line
    let plain = tmp.path().join("plain.tif");
    write_real(&plain, 4, 4, 1);
    let o = Command::new(bin())
        .arg("info")
        .arg(&plain)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Matrix:"));
}

/// `despeckle info` on a BEAM-DIMAP C2 product whose bands are listed out of element order
/// (as ESA SNAP may write them), with a band that is no element.
#[test]
fn info_on_a_dimap_product() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("p.data");
    std::fs::create_dir(&data).unwrap();
    let names = ["C22", "C12_real", "C11", "C12_imag", "Span"];
    let (mut files, mut infos) = (String::new(), String::new());
    for (i, name) in names.iter().enumerate() {
        std::fs::write(data.join(format!("{name}.img")), vec![0u8; 4 * 3 * 2]).unwrap();
        std::fs::write(
            data.join(format!("{name}.hdr")),
            "ENVI\nsamples = 3\nlines = 2\nbands = 1\nheader offset = 0\nfile type = ENVI \
             Standard\ndata type = 4\ninterleave = bsq\nbyte order = 1\n",
        )
        .unwrap();
        files += &format!(
            "<Data_File><DATA_FILE_PATH href=\"p.data/{name}.hdr\" /><BAND_INDEX>{i}</BAND_INDEX></Data_File>\n"
        );
        infos += &format!(
            "<Spectral_Band_Info><BAND_INDEX>{i}</BAND_INDEX><BAND_NAME>{name}</BAND_NAME>\
             <DATA_TYPE>float32</DATA_TYPE></Spectral_Band_Info>\n"
        );
    }
    let dim = tmp.path().join("p.dim");
    std::fs::write(
        &dim,
        format!(
            "<?xml version=\"1.0\"?>\n<Dimap_Document name=\"p.dim\">\
             <Raster_Dimensions><NCOLS>3</NCOLS><NROWS>2</NROWS><NBANDS>5</NBANDS></Raster_Dimensions>\
             <Data_Access><DATA_FILE_FORMAT>ENVI</DATA_FILE_FORMAT>{files}</Data_Access>\
             <Image_Interpretation>{infos}</Image_Interpretation></Dimap_Document>\n"
        ),
    )
    .unwrap();
    let o = Command::new(bin()).arg("info").arg(&dim).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("BEAM-DIMAP"), "{text}");
    assert!(text.contains("Matrix:        C2 (covariance"), "{text}");
    assert!(
        text.contains("C11 (band 3), C12_real (band 2), C12_imag (band 4), C22 (band 1)"),
        "{text}"
    );
    assert!(text.contains("not stored in element order"), "{text}");
    // slant range: no map grid, said
    assert!(text.contains("Map grid:      none"), "{text}");
    assert!(text.contains("tie-point grids only"), "{text}");

    // `polsar` reads the product; no georeferencing is invented, a note says why
    let out = tmp.path().join("out.tif");
    let err = run_ok([OsStr::new("boxcar"), dim.as_os_str(), out.as_os_str()]);
    assert!(err.contains("note: no map georeferencing"), "{err}");
    let geo = despeckle_geotiff::Reader::open(&out)
        .unwrap()
        .info()
        .geo
        .clone();
    assert_eq!(geo.geo_transform(), None);
    assert_eq!(geo.epsg(), None);
    // bands with different no-data values: refused, nothing written
    let text = std::fs::read_to_string(&dim).unwrap().replacen(
        "<BAND_NAME>C11</BAND_NAME>",
        "<BAND_NAME>C11</BAND_NAME><NO_DATA_VALUE_USED>true</NO_DATA_VALUE_USED>\
         <NO_DATA_VALUE>0.0</NO_DATA_VALUE>",
        1,
    );
    std::fs::write(&dim, text).unwrap();
    let out = tmp.path().join("out2.tif");
    let o = Command::new(bin())
        .args(["polsar", "boxcar"])
        .arg(&dim)
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("different no-data values (C11 0, C12_real none"),
        "{err}"
    );
    assert!(!out.exists());
    // ... unless --nodata gives one
    run_ok([
        OsStr::new("boxcar"),
        dim.as_os_str(),
        out.as_os_str(),
        OsStr::new("--nodata"),
        OsStr::new("0"),
    ]);
    assert!(out.exists());
}

/// `polsar lee-sigma` (Z98 computed from the folder) and `polsar idan` write what the core
/// filters give on the same float32 planes, bit for bit; a given `--z98` equal to the
/// computed one gives the same output; parameters of another filter are refused.
/// The core filter's output on the same float32 planes.
fn core<F: despeckle::MultiFilter>(
    f: &F,
    planes: &[Vec<f32>],
    w: usize,
    h: usize,
    o: &despeckle::Options,
) -> Vec<Vec<f32>> {
    use despeckle::{ImageMut, ImageRef, filter_planes};
    let inputs: Vec<ImageRef<f32>> = planes
        .iter()
        .map(|p| ImageRef::new(p, w, h).unwrap())
        .collect();
    let mut outs = vec![vec![0f32; w * h]; planes.len()];
    let mut views: Vec<ImageMut<f32>> = outs
        .iter_mut()
        .map(|p| ImageMut::new(p, w, h).unwrap())
        .collect();
    filter_planes(f, &inputs, &mut views, o).unwrap();
    drop(views);
    outs
}

#[test]
fn lee_sigma_and_idan_on_a_polsarpro_folder_equal_the_core_filters() {
    use despeckle::estimate::joint_quantiles;
    use despeckle::polsar::{Criterion, Matrix, PolIdan, PolLeeSigma};
    use despeckle::{ImageRef, Options, Planes};
    let tmp = tempfile::tempdir().unwrap();
    let (w, h) = (37, 29);
    let input = tmp.path().join("C2");
    let planes = write_c2(&input, w, h);
    let cli = |name: &str, out: &Path, args: &[&str]| {
        let st = Command::new(bin())
            .args(["polsar", name])
            .arg(&input)
            .arg(out)
            .args(args)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        C2.iter().map(|n| read_plane(out, n)).collect::<Vec<_>>()
    };
    let o = Options::new(7).unwrap();
    let mut src = Planes(
        planes
            .iter()
            .map(|p| ImageRef::new(p, w, h).unwrap())
            .collect(),
    );
    let z98: Vec<f64> = joint_quantiles(&mut src, Matrix::C2.diagonal(), 0.98, None)
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let ls = PolLeeSigma::new(Matrix::C2, 2.0, &z98)
        .unwrap()
        .with_sigma(0.8)
        .unwrap()
        .with_ddof(1)
        .unwrap();
    let want = core(&ls, &planes, w, h, &o);
    let args = [
        "--size", "7", "--looks", "2", "--sigma", "0.8", "--ddof", "1",
    ];
    assert_eq!(cli("lee-sigma", &tmp.path().join("ls"), &args), want);
    let given = format!("{},{}", z98[0], z98[1]);
    let mut with_z = args.to_vec();
    with_z.extend(["--z98", &given]);
    assert_eq!(cli("lee-sigma", &tmp.path().join("ls2"), &with_z), want);
    let idan = PolIdan::new(Matrix::C2, 3.0)
        .unwrap()
        .with_region(30)
        .unwrap()
        .with_criterion(Criterion::Sum);
    let want = core(&idan, &planes, w, h, &Options::new(9).unwrap());
    let got = cli(
        "idan",
        &tmp.path().join("idan"),
        &[
            "--size",
            "9",
            "--looks",
            "3",
            "--region",
            "30",
            "--criterion",
            "sum",
        ],
    );
    assert_eq!(got, want);
    // another filter's parameter, a wrong number of Z98 values: one-line errors, no output
    for (name, args, msg) in [
        ("idan", &["--sigma", "0.5"][..], "takes no --sigma"),
        ("lee-sigma", &["--region", "9"][..], "takes no --region"),
        ("lee-sigma", &["--z98", "1"][..], "2 numbers"),
        ("lee-sigma", &["--z98", "a,b"][..], "not a number"),
        ("lee-sigma", &["--size", "3"][..], "size"),
    ] {
        let out = tmp.path().join("bad");
        let o = Command::new(bin())
            .args(["polsar", name])
            .arg(&input)
            .arg(&out)
            .args(args)
            .output()
            .unwrap();
        assert!(!o.status.success());
        let e = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(e.contains(msg) && e.trim().lines().count() == 1, "{e}");
        assert!(!out.exists());
    }
}

/// A C3 folder of `w` × `h` pixels: 3-look averages of random quad-pol pixels (full rank).
fn write_c3(dir: &Path, w: usize, h: usize) -> Vec<Vec<f32>> {
    use despeckle::polsar::{Complex64, Matrix, slc::c3_from_quad};
    let mut u = uniform(987);
    let mut planes = vec![vec![0f32; w * h]; 9];
    for i in 0..w * h {
        let gain = if i % w < w / 2 { 1.0 } else { 4.0 };
        let mut sum = [0.0; 9];
        for _ in 0..3 {
            let mut c = || Complex64::new(u() - 0.5, u() - 0.5) * gain;
            let (hh, hv, vv) = (c(), c(), c());
            for (s, v) in sum.iter_mut().zip(c3_from_quad(hh, hv, hv, vv)) {
                *s += v / 3.0;
            }
        }
        for p in 0..9 {
            planes[p][i] = sum[p] as f32;
        }
    }
    write_folder(dir, w, h, "full", Matrix::C3.elements(), &planes);
    planes
}

/// `polsar convert --to t3` writes T3 as `Conversion` gives it pixel by pixel; `--to t3` before
/// a filter equals the core filter on the converted planes; misuse is refused in one line.
#[test]
fn convert_and_filter_in_another_basis() {
    use despeckle::Options;
    use despeckle::polsar::{Conversion, Matrix, PolIdan};
    let tmp = tempfile::tempdir().unwrap();
    let (w, h) = (23, 19);
    let input = tmp.path().join("C3");
    let planes = write_c3(&input, w, h);
    let run = |args: &[&str]| {
        Command::new(bin())
            .arg("polsar")
            .args(args)
            .output()
            .unwrap()
    };
    let conv = Conversion::new(Matrix::C3, Matrix::T3).unwrap();
    let mut want = vec![vec![0f32; w * h]; 9];
    let mut t = [0.0; 9];
    for i in 0..w * h {
        let c: Vec<f64> = planes.iter().map(|p| p[i] as f64).collect();
        conv.pixel(&c, &mut t);
        for p in 0..9 {
            want[p][i] = t[p] as f32;
        }
    }
    let out = tmp.path().join("T3");
    let st = run(&[
        "convert",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        "--to",
        "t3",
    ]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let got: Vec<Vec<f32>> = Matrix::T3
        .elements()
        .iter()
        .map(|n| read_plane(&out, n))
        .collect();
    assert_eq!(got, want);
    // back to C3: the input to float32 rounding of two changes of basis
    let back = tmp.path().join("C3back");
    let st = run(&[
        "convert",
        out.to_str().unwrap(),
        back.to_str().unwrap(),
        "--to",
        "c3",
    ]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    for (name, p) in Matrix::C3.elements().iter().zip(&planes) {
        let b = read_plane(&back, name);
        for (x, y) in b.iter().zip(p) {
            assert!(
                (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                "{name}: {x} vs {y}"
            );
        }
    }
    // IDAN on C3 read as T3 (as SNAP filters C3) = the core IDAN of the converted planes
    let idan_out = tmp.path().join("idan.tif");
    let st = run(&[
        "idan",
        input.to_str().unwrap(),
        idan_out.to_str().unwrap(),
        "--to",
        "t3",
        "--looks",
        "3",
    ]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let f = PolIdan::new(Matrix::T3, 3.0).unwrap();
    let outs = core(&f, &want, w, h, &Options::new(7).unwrap());
    let mut r = despeckle_file::Reader::open(&idan_out).unwrap();
    let xml = r.info().geo.gdal_metadata.clone().unwrap();
    for (b, want) in outs.iter().enumerate() {
        let name = Matrix::T3.elements()[b];
        assert!(
            xml.contains(&format!("sample=\"{b}\" role=\"description\">{name}<")),
            "{xml}"
        );
        let mut got = vec![0f32; w * h];
        r.read_rows(b, 0, &mut got).unwrap();
        assert_eq!(&got, want, "band {b}");
    }
    // misuse: one line, no output
    let c2 = tmp.path().join("C2");
    write_c2(&c2, 5, 4);
    let bad = tmp.path().join("bad");
    for (args, msg) in [
        (vec!["convert", input.to_str().unwrap()], "needs --to"),
        (
            vec!["convert", c2.to_str().unwrap(), "--to", "t3"],
            "cannot be converted",
        ),
        (
            vec![
                "convert",
                input.to_str().unwrap(),
                "--to",
                "t3",
                "--looks",
                "2",
            ],
            "takes no --looks",
        ),
        (
            vec!["boxcar", input.to_str().unwrap(), "--to", "t4"],
            "cannot be converted",
        ),
    ] {
        let mut a = args.clone();
        a.insert(2, bad.to_str().unwrap());
        let o = run(&a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(msg), "{a:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!bad.exists(), "{a:?} left an output");
    }
}

/// The no-data value goes from a GeoTIFF (GDAL_NODATA) into every PolSARpro header (`data
/// ignore value`) and back; `--nodata` sets the output's; elements that disagree are refused
/// without it.
#[test]
fn nodata_is_carried_between_geotiff_and_folders() {
    use despeckle_geotiff::{Reader, Writer, WriterOptions};
    let tmp = tempfile::tempdir().unwrap();
    let (w, h) = (6, 5);
    let src = tmp.path().join("c2.tif");
    let mut opts = WriterOptions::new(w, h, 4);
    opts.nodata = Some(-9999.0);
    let mut wr = Writer::create(&src, opts).unwrap();
    for b in 0..4 {
        let mut v = vec![1.0 + b as f32; w * h];
        v[7] = -9999.0;
        wr.write_rows(b, &v).unwrap();
    }
    wr.finish().unwrap();
    let folder = tmp.path().join("C2");
    let back = tmp.path().join("back.tif");
    let run = |args: &[&OsStr]| {
        let o = Command::new(bin())
            .args(["polsar", "boxcar"])
            .args(args)
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let c2 = OsStr::new("--matrix=c2");
    let (ok, err) = run(&[src.as_os_str(), folder.as_os_str(), c2]);
    assert!(ok, "{err}");
    let (ok, err) = run(&[folder.as_os_str(), back.as_os_str()]);
    assert!(ok, "{err}");
    for name in C2 {
        let hdr = std::fs::read_to_string(folder.join(format!("{name}.bin.hdr"))).unwrap();
        assert!(hdr.contains("data ignore value = -9999"), "{hdr}");
        assert_eq!(read_plane(&folder, name)[7], -9999.0, "{name}");
    }
    let r = Reader::open(&back).unwrap();
    assert_eq!(r.info().nodata, Some(-9999.0));
    // --nodata names the output's value
    let other = tmp.path().join("other.tif");
    let (ok, err) = run(&[
        src.as_os_str(),
        other.as_os_str(),
        c2,
        OsStr::new("--nodata"),
        OsStr::new("2"),
    ]);
    assert!(ok, "{err}");
    assert_eq!(Reader::open(&other).unwrap().info().nodata, Some(2.0));
    // one header without it: refused unless --nodata gives one
    let hdr = folder.join("C22.bin.hdr");
    let text = std::fs::read_to_string(&hdr).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.starts_with("data ignore value"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&hdr, kept).unwrap();
    let out = tmp.path().join("out.tif");
    let (ok, err) = run(&[folder.as_os_str(), out.as_os_str()]);
    assert!(!ok && err.contains("different no-data values"), "{err}");
    assert!(!out.exists());
    let (ok, err) = run(&[
        folder.as_os_str(),
        out.as_os_str(),
        OsStr::new("--nodata"),
        OsStr::new("-9999"),
    ]);
    assert!(ok, "{err}");
}
