//! Our Lee, Kuan, Gamma MAP and Frost with the Orfeo ToolBox's conventions (`ddof = 1`,
//! `border = nearest`, Frost with Euclidean distances and `damping` = OTB's `deramp`) against
//! `otbcli_Despeckle` itself, run on generated float32 GeoTIFF-less TIFF scenes (speckle,
//! an edge, point targets, a constant and a zero area), window radius 1–3.
//!
//! Requirement: every pixel within 1e-5 relative of OTB's float32 output (exactly 0 where
//! OTB gives 0; where OTB's float32 output is subnormal, within two subnormal steps, 2^-148:
//! a subnormal cannot carry 1e-5 relative precision), for our float64 and float32 runs. Measured: see the `eprintln!` lines
//! (`cargo test -p despeckle --test integration filters_otb -- --nocapture`).
//!
//! OTB is not optional: without `otbcli_Despeckle` on the PATH the test fails and says how to
//! install it (`scripts/setup-peers.sh`).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Rng;
use despeckle::{
    Border, Filter, Frost, GammaMap, ImageMut, ImageRef, Kuan, Lee, LocalStats, Options, Sample,
    Statistic, filter,
};

/// What a machine without the Orfeo ToolBox is told.
const MISSING: &str = "otbcli_Despeckle (the Orfeo ToolBox) is not installed or not on the \
                       PATH: run `bash scripts/setup-peers.sh` (installs Debian's otb-bin), then \
                       rerun this test";

fn otb_available() -> bool {
    // `-help` prints the application's help to stderr (exit status 1)
    Command::new("otbcli_Despeckle")
        .arg("-help")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stderr).contains("Despeckle"))
}

fn require_otb() {
    assert!(otb_available(), "{MISSING}");
}

/// A float32 scene without NaN (OTB knows no no-data): two speckle levels split by an edge,
/// bright point targets, a constant block and a zero block.
fn otb_scene(w: usize, h: usize, looks: u32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut v = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let base = if x < w / 2 { 1.0 } else { 6.0 };
            let mut val = base * rng.speckle(looks);
            if (x % 37 == 11 && y % 29 == 7) || (x == w / 3 && y == h / 3) {
                val = 400.0;
            }
            if (w * 3 / 4..w * 3 / 4 + 8).contains(&x) && (h / 2..h / 2 + 9).contains(&y) {
                val = 2.5;
            }
            if x < 7 && y >= h - 8 {
                val = 0.0;
            }
            v.push(val as f32);
        }
    }
    v
}

fn write_tiff(path: &Path, data: &[f32], w: usize, h: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = tiff::encoder::TiffEncoder::new(std::io::BufWriter::new(file)).unwrap();
    enc.write_image::<tiff::encoder::colortype::Gray32Float>(w as u32, h as u32, data)
        .unwrap();
}

fn read_tiff(path: &Path) -> (Vec<f32>, usize, usize) {
    let file = std::fs::File::open(path).unwrap();
    let mut dec = tiff::decoder::Decoder::new(std::io::BufReader::new(file)).unwrap();
    let (w, h) = dec.dimensions().unwrap();
    match dec.read_image().unwrap() {
        tiff::decoder::DecodingResult::F32(v) => (v, w as usize, h as usize),
        _ => panic!("OTB did not write float32"),
    }
}

fn tmp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("despeckle-otb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `otbcli_Despeckle -filter <name> -filter.<name>.<key> <value> …` on `input`.
fn run_otb(input: &Path, output: &Path, name: &str, params: &[(&str, String)]) -> Vec<f32> {
    let mut cmd = Command::new("otbcli_Despeckle");
    cmd.arg("-in")
        .arg(input)
        .arg("-out")
        .arg(output)
        .arg("float")
        .arg("-filter")
        .arg(name);
    for (k, v) in params {
        cmd.arg(format!("-filter.{name}.{k}")).arg(v);
    }
    let out = cmd.output().expect("running otbcli_Despeckle");
    assert!(
        out.status.success(),
        "otbcli_Despeckle failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    read_tiff(output).0
}

fn ours<T: Sample, F: Filter>(f: &F, input: &[f32], w: usize, h: usize, size: usize) -> Vec<f64> {
    let data: Vec<T> = input.iter().map(|&v| T::from_f64(v as f64)).collect();
    let mut out = vec![T::default(); data.len()];
    let opts = Options::new(size).unwrap().with_border(Border::Nearest);
    filter(
        f,
        ImageRef::new(&data, w, h).unwrap(),
        &mut ImageMut::new(&mut out, w, h).unwrap(),
        &opts,
    )
    .unwrap();
    out.iter().map(|v| v.to_f64()).collect()
}

/// One of our filters, run on f32 or f64 data.
trait Ours {
    fn ours(&self, f32_: bool, input: &[f32], w: usize, h: usize, size: usize) -> Vec<f64>;
}

impl<F: Filter> Ours for F {
    fn ours(&self, f32_: bool, input: &[f32], w: usize, h: usize, size: usize) -> Vec<f64> {
        if f32_ {
            ours::<f32, F>(self, input, w, h, size)
        } else {
            ours::<f64, F>(self, input, w, h, size)
        }
    }
}

/// OTB's filter name, its parameters, our filter, and where it jumps (Gamma MAP) or NaN.
type Case<'a> = (&'static str, Vec<(&'static str, String)>, &'a dyn Ours, f64);

/// Worst relative difference to OTB; pixels where `skip` are not compared.
fn worst(got: &[f64], otb: &[f32], skip: &dyn Fn(usize) -> bool, what: &str) -> f64 {
    let mut worst = 0.0f64;
    for (i, (&g, &o)) in got.iter().zip(otb).enumerate() {
        if skip(i) {
            continue;
        }
        let o = o as f64;
        // OTB writes float32: below 2^-126 its output is subnormal, with an absolute (not a
        // relative) precision of 2^-149; such pixels may differ by two of those steps.
        let tiny = 2.0 * f64::from(f32::from_bits(1));
        if (g - o).abs() <= tiny && o.abs() < f64::from(f32::MIN_POSITIVE) {
            continue;
        }
        let d = if o == 0.0 {
            assert!(g.abs() < 1e-30, "{what}: pixel {i}: ours {g}, OTB 0");
            0.0
        } else {
            (g - o).abs() / o.abs()
        };
        assert!(
            d <= 1e-5,
            "{what}: pixel {i}: ours {g}, OTB {o} (relative {d:e})"
        );
        worst = worst.max(d);
    }
    worst
}

#[test]
fn lee_kuan_gamma_map_frost_reproduce_otb() {
    require_otb();
    let dir = tmp_dir();
    let (w, h) = (203, 151);
    let mut summary = Vec::new();
    for (k, looks) in [(0usize, 1u32), (1, 3)] {
        let input = otb_scene(w, h, looks, 40 + k as u64);
        let in_path = dir.join(format!("in{k}.tif"));
        write_tiff(&in_path, &input, w, h);
        let out_path = dir.join(format!("out{k}.tif"));
        // OTB's nblooks for our looks: non-integer values too
        let nl = if looks == 1 { 1.0 } else { 3.5 };
        for rad in [1usize, 2, 3] {
            let size = 2 * rad + 1;
            // Ci (sample variance, nearest) for the Gamma MAP discontinuity at √2·Cu
            let ci = ours::<f64, _>(
                &LocalStats::new(Statistic::Cv).with_ddof(1).unwrap(),
                &input,
                w,
                h,
                size,
            );
            let lee = Lee::new(nl).unwrap().with_ddof(1).unwrap();
            let kuan = Kuan::new(nl).unwrap().with_ddof(1).unwrap();
            let gamma = GammaMap::new(nl).unwrap().with_ddof(1).unwrap();
            let frost01 = Frost::new()
                .with_damping(0.1)
                .unwrap()
                .with_ddof(1)
                .unwrap();
            let frost2 = Frost::new().with_ddof(1).unwrap();
            let rad_s = rad.to_string();
            let cases: Vec<Case> = vec![
                (
                    "lee",
                    vec![("rad", rad_s.clone()), ("nblooks", nl.to_string())],
                    &lee,
                    f64::NAN,
                ),
                (
                    "kuan",
                    vec![("rad", rad_s.clone()), ("nblooks", nl.to_string())],
                    &kuan,
                    f64::NAN,
                ),
                (
                    "gammamap",
                    vec![("rad", rad_s.clone()), ("nblooks", nl.to_string())],
                    &gamma,
                    gamma.cmax(),
                ),
                (
                    "frost",
                    vec![("rad", rad_s.clone()), ("deramp", "0.1".into())],
                    &frost01,
                    f64::NAN,
                ),
                (
                    "frost",
                    vec![("rad", rad_s.clone()), ("deramp", "2".into())],
                    &frost2,
                    f64::NAN,
                ),
            ];
            for (name, params, run, jump) in &cases {
                let otb = run_otb(&in_path, &out_path, name, params);
                assert_eq!(otb.len(), w * h);
                for f32_ in [false, true] {
                    let got = run.ours(f32_, &input, w, h, size);
                    // only Gamma MAP jumps (at Ci = √2·Cu), decided in f64 from the window
                    // sums: pixels within 1e-12 of it (rounding of the sums) are not compared
                    let skip = |i: usize| jump.is_finite() && (ci[i] - jump).abs() < 1e-12 * jump;
                    let what = format!("{name} {params:?} looks {nl} f32={f32_}");
                    let d = worst(&got, &otb, &skip, &what);
                    summary.push((name.to_string(), f32_, d));
                    eprintln!("{what}: max relative difference to OTB {d:.2e}");
                }
            }
        }
    }
    for name in ["lee", "kuan", "gammamap", "frost"] {
        for f32_ in [false, true] {
            let m = summary
                .iter()
                .filter(|s| s.0 == name && s.1 == f32_)
                .fold(0.0f64, |m, s| m.max(s.2));
            eprintln!(
                "SUMMARY {name} ({}): max relative difference {m:.2e}",
                if f32_ { "f32" } else { "f64" }
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn missing_otb_message_names_the_setup_script() {
    assert!(MISSING.contains("scripts/setup-peers.sh"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/setup-peers.sh");
    assert!(script.exists(), "{} is missing", script.display());
}
