//! `despeckle temporal quegan` on small stacks: the outputs equal the core's in-memory result
//! bit for bit (one file per date, a multi-band input, a list file, the super image, several
//! threads and blocks), and bad stacks are refused with a one-line error that leaves nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use despeckle::temporal::{Quegan, SuperImage};
use despeckle::{ImageMut, ImageRef, Lee, Mean, MultiFilter, Options, filter_planes};
use despeckle_geotiff::{GeoTags, Reader, Writer, WriterOptions};

use crate::common;
use common::files;

const W: usize = 37;
const H: usize = 45;
const NODATA: f32 = -9999.0;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_despeckle"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run despeckle")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Date `t` of a speckled scene with a few no-data pixels of its own.
fn date(t: usize) -> Vec<f32> {
    let mut s = (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..W * H)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            let level = if i % W < W / 2 { 1.0 } else { 5.0 };
            if (i * (3 + t)) % 53 == t {
                NODATA
            } else {
                (level * -u.ln()) as f32
            }
        })
        .collect()
}

fn geo(x0: f64) -> GeoTags {
    GeoTags {
        model_pixel_scale: Some(vec![10.0, 10.0, 0.0]),
        model_tiepoint: Some(vec![0.0, 0.0, 0.0, x0, 5000.0, 0.0]),
        geo_key_directory: Some(vec![1, 1, 0, 1, 3072, 0, 1, 32631]),
        ..GeoTags::default()
    }
}

/// Writes the bands to a float32 GeoTIFF with GDAL_NODATA.
fn write(path: &Path, bands: &[Vec<f32>], w: usize, h: usize, x0: f64) {
    let mut o = WriterOptions::new(w, h, bands.len());
    o.geo = geo(x0);
    o.nodata = Some(NODATA as f64);
    let mut wr = Writer::create(path, o).unwrap();
    for (b, data) in bands.iter().enumerate() {
        wr.write_rows(b, data).unwrap();
    }
    wr.finish().unwrap();
}

fn read(path: &Path) -> Vec<Vec<f32>> {
    let mut r = Reader::open(path).unwrap();
    let info = r.info().clone();
    assert_eq!(
        info.geo.model_tiepoint,
        geo(0.0).model_tiepoint,
        "georeferencing kept"
    );
    assert_eq!(info.nodata, Some(NODATA as f64));
    (0..info.bands)
        .map(|b| {
            let mut v = vec![0.0f32; info.width * info.height];
            r.read_rows(b, 0, &mut v).unwrap();
            v
        })
        .collect()
}

/// The core's in-memory result.
fn expected(f: &impl MultiFilter, dates: &[Vec<f32>], size: usize) -> Vec<Vec<f32>> {
    let inputs: Vec<ImageRef<f32>> = dates
        .iter()
        .map(|d| ImageRef::new(d, W, H).unwrap())
        .collect();
    let mut outs = vec![vec![0.0f32; W * H]; f.output_planes(dates.len()).unwrap()];
    let mut views: Vec<ImageMut<f32>> = outs
        .iter_mut()
        .map(|o| ImageMut::new(o, W, H).unwrap())
        .collect();
    let opts = Options::new(size).unwrap().with_nodata(Some(NODATA as f64));
    filter_planes(f, &inputs, &mut views, &opts).unwrap();
    outs
}

fn same_bits(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len());
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert_eq!(a.to_bits(), b.to_bits(), "{what}: pixel {i}: {a} vs {b}");
    }
}

fn stack(dir: &Path, n: usize) -> (Vec<Vec<f32>>, Vec<PathBuf>) {
    let dates: Vec<Vec<f32>> = (0..n).map(date).collect();
    let paths: Vec<PathBuf> = (0..n).map(|t| dir.join(format!("s1_{t}.tif"))).collect();
    for (d, p) in dates.iter().zip(&paths) {
        write(p, std::slice::from_ref(d), W, H, 0.0);
    }
    (dates, paths)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn one_output_per_date_equals_the_core() {
    let dir = tempfile::tempdir().unwrap();
    let (dates, paths) = stack(dir.path(), 4);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut args = vec!["temporal", "quegan"];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend([
        "--out-dir",
        s(&out),
        "--filter",
        "lee",
        "--looks",
        "2",
        "--size",
        "5",
        "--super-image",
        "ratio",
        "--threads",
        "2",
        "--block-rows",
        "16",
    ]);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        files(&out),
        [
            "quegan_super_ratio.tif",
            "s1_0.tif",
            "s1_1.tif",
            "s1_2.tif",
            "s1_3.tif"
        ]
    );
    let q = Quegan::new(Lee::new(2.0).unwrap()).with_super_image(Some(SuperImage::Ratio));
    let want = expected(&q, &dates, 5);
    for (t, want) in want.iter().enumerate().take(4) {
        let got = read(&out.join(format!("s1_{t}.tif")));
        same_bits(&got[0], want, &format!("date {t}"));
    }
    let got = read(&out.join("quegan_super_ratio.tif"));
    same_bits(&got[0], &want[4], "super image");
}

#[test]
fn a_multi_band_input_and_a_list_give_the_same_stack() {
    let dir = tempfile::tempdir().unwrap();
    let dates: Vec<Vec<f32>> = (0..3).map(date).collect();
    let multi = dir.path().join("stack.tif");
    write(&multi, &dates, W, H, 0.0);
    let out = dir.path().join("filtered.tif");
    let o = run(&[
        "temporal",
        "quegan",
        s(&multi),
        "--out",
        s(&out),
        "--size",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = expected(&Quegan::new(Mean), &dates, 3);
    let got = read(&out);
    assert_eq!(got.len(), 3);
    for t in 0..3 {
        same_bits(&got[t], &want[t], &format!("band {t}"));
    }
    // the same dates as single files, listed in a text file (relative to it)
    let sub = dir.path().join("dates");
    std::fs::create_dir(&sub).unwrap();
    let (_, paths) = stack(&sub, 3);
    let list = sub.join("list.txt");
    std::fs::write(&list, "# the dates\ns1_0.tif\n\ns1_1.tif\ns1_2.tif\n").unwrap();
    let out2 = dir.path().join("from_list.tif");
    let o = run(&[
        "temporal",
        "quegan",
        "--list",
        s(&list),
        "--out",
        s(&out2),
        "--size",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got2 = read(&out2);
    for t in 0..3 {
        same_bits(&got2[t], &want[t], &format!("listed date {t}"));
    }
    assert_eq!(paths.len(), 3);
}

#[test]
fn bad_stacks_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (dates, paths) = stack(dir.path(), 2);
    let shifted = dir.path().join("shifted.tif");
    write(&shifted, &[dates[0].clone()], W, H, 30.0);
    let small = dir.path().join("small.tif");
    write(&small, &[vec![1.0; 10 * 12]], 10, 12, 0.0);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![s(&paths[0]), s(&paths[1]), s(&shifted)],
            "shifted.tif: not on the grid of",
        ),
        (vec![s(&paths[0]), s(&small)], "it is 10 × 12"),
        (
            vec![
                s(&paths[0]),
                s(&paths[1]),
                "--filter",
                "lee",
                "--region",
                "3",
            ],
            "no parameter `region`",
        ),
        (
            vec![
                s(&paths[0]),
                s(&paths[1]),
                "--filter",
                "lee",
                "--looks",
                "auto",
            ],
            "`auto` is not available",
        ),
        (vec![s(&paths[0]), s(&paths[1]), "--size", "4"], "size"),
    ];
    for (inputs, message) in cases {
        let mut args = vec!["temporal", "quegan"];
        args.extend(inputs);
        args.extend(["--out-dir", s(&out)]);
        let o = run(&args);
        let e = stderr(&o);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(e.contains(message), "{args:?}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "one line: {e}");
        assert!(files(&out).is_empty(), "{args:?} left {:?}", files(&out));
    }
    // outputs named after their inputs, in the inputs' folder: refused, inputs intact
    let before = std::fs::read(&paths[0]).unwrap();
    let o = run(&[
        "temporal",
        "quegan",
        s(&paths[0]),
        s(&paths[1]),
        "--out-dir",
        s(dir.path()),
        "--overwrite",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("s1_0.tif"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&paths[0]).unwrap(), before);
    assert_eq!(
        files(dir.path()),
        ["out", "s1_0.tif", "s1_1.tif", "shifted.tif", "small.tif"]
    );
}

/// `--group VV,VH` (words of the file names) and `--group band` (bands of multi-band dates)
/// filter the groups apart in one run: the outputs equal the core run on each group's dates,
/// with one super image per group; a missing word is refused before anything is written.
#[test]
fn groups_are_filtered_apart() {
    let dir = tempfile::tempdir().unwrap();
    let dates: Vec<Vec<f32>> = (0..6).map(date).collect();
    // dates 0, 2, 4 are VV, 1, 3, 5 VH (interleaved, as a file listing sorts them)
    let names = ["d0_VV", "d0_VH", "d1_VV", "d1_VH", "d2_VV", "d2_VH"];
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|n| dir.path().join(format!("{n}.tif")))
        .collect();
    for (d, p) in dates.iter().zip(&paths) {
        write(p, std::slice::from_ref(d), W, H, 0.0);
    }
    let q = || Quegan::new(Mean).with_super_image(Some(SuperImage::Mean));
    let vv: Vec<Vec<f32>> = [0, 2, 4].map(|k| dates[k].clone()).to_vec();
    let vh: Vec<Vec<f32>> = [1, 3, 5].map(|k| dates[k].clone()).to_vec();
    let (want_vv, want_vh) = (expected(&q(), &vv, 5), expected(&q(), &vh, 5));

    let out = dir.path().join("out");
    let mut args = vec![
        "temporal",
        "quegan",
        "--group",
        "VV,VH",
        "--super-image",
        "mean",
    ];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(["--out-dir", s(&out), "--size", "5"]);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    for (k, n) in names.iter().enumerate() {
        let (want, i) = if k % 2 == 0 {
            (&want_vv, k / 2)
        } else {
            (&want_vh, k / 2)
        };
        same_bits(&read(&out.join(format!("{n}.tif")))[0], &want[i], n);
    }
    let sup_vv = read(&out.join("quegan_super_mean_VV.tif"));
    same_bits(&sup_vv[0], &want_vv[3], "VV super image");
    let sup_vh = read(&out.join("quegan_super_mean_VH.tif"));
    same_bits(&sup_vh[0], &want_vh[3], "VH super image");

    // the same groups as the bands of three dual-band dates, into one multi-band file
    let dual: Vec<PathBuf> = (0..3)
        .map(|t| {
            let p = dir.path().join(format!("dual_{t}.tif"));
            write(
                &p,
                &[dates[2 * t].clone(), dates[2 * t + 1].clone()],
                W,
                H,
                0.0,
            );
            p
        })
        .collect();
    let one = dir.path().join("grouped.tif");
    let mut args = vec![
        "temporal",
        "quegan",
        "--group",
        "band",
        "--super-image",
        "mean",
    ];
    args.extend(dual.iter().map(|p| s(p)));
    args.extend(["--out", s(&one), "--size", "5"]);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = read(&one);
    assert_eq!(
        got.len(),
        8,
        "six dates, then the super images of band 1 and band 2"
    );
    for t in 0..3 {
        same_bits(&got[2 * t], &want_vv[t], &format!("date {t} band 1"));
        same_bits(&got[2 * t + 1], &want_vh[t], &format!("date {t} band 2"));
    }
    same_bits(&got[6], &want_vv[3], "band 1 super image");
    same_bits(&got[7], &want_vh[3], "band 2 super image");

    // a word no file name contains
    let bad = dir.path().join("bad");
    let mut args = vec!["temporal", "quegan", "--group", "VV,HH"];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(["--out-dir", s(&bad)]);
    let o = run(&args);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("none of the --group words VV, HH"),
        "{}",
        stderr(&o)
    );
    assert!(!bad.exists(), "nothing written, no folder left");
}
