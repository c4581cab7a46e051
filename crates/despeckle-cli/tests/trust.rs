//! Files users can trust, through the `despeckle` binary: no output ever replaces an input or
//! a special file, FIFOs never block, band metadata follows its band, 32-bit integers are
//! filtered in float64, stale temporary files are cleaned up, and every error is one short,
//! clear line.
//!
//! The band-metadata and integer tests need python3 with numpy and rasterio
//! (`scripts/setup.sh` installs them).

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use common::files;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_despeckle")
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs the binary in `dir`, killed after 20 s (a blocked run fails the test instead of
/// hanging it).
fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run despeckle");
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("{args:?} still running after 20 s (blocked?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs a command that must fail: exit 1 or 2, one line containing `want`, no file changed.
fn fails(dir: &Path, args: &[&str], want: &str) -> String {
    let before = files(dir);
    let o = run_in(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        matches!(o.status.code(), Some(1 | 2)),
        "{args:?}: {:?}: {err}",
        o.status
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("despeckle: error: "), "{args:?}: {err}");
    assert!(err.contains(want), "{args:?}: {err:?} lacks {want:?}");
    assert_eq!(files(dir), before, "{args:?}: files changed");
    err
}

fn succeeds(dir: &Path, args: &[&str]) {
    let o = run_in(dir, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A small float32 GeoTIFF.
fn small_tif(path: &Path) {
    let mut w =
        despeckle_geotiff::Writer::create(path, despeckle_geotiff::WriterOptions::new(16, 12, 1))
            .unwrap();
    let data: Vec<f32> = (0..16 * 12).map(|i| 1.0 + (i % 7) as f32).collect();
    w.write_rows(0, &data).unwrap();
    w.finish().unwrap();
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    small_tif(&d.join("in.tif"));
    std::fs::create_dir(d.join("sub")).unwrap();
    symlink(d.join("in.tif"), d.join("link.tif")).unwrap();
    std::fs::hard_link(d.join("in.tif"), d.join("hard.tif")).unwrap();
    symlink(&d, d.join("self")).unwrap();
    (dir, d)
}

#[test]
fn no_output_replaces_the_input() {
    let (_dir, d) = setup();
    let original = std::fs::read(d.join("in.tif")).unwrap();
    let absolute = d.join("in.tif").to_string_lossy().to_string();
    let spellings = [
        "in.tif",
        "./in.tif",
        "sub/../in.tif",
        "link.tif",
        "hard.tif",
        "self/in.tif",
        absolute.as_str(),
    ];
    for s in spellings {
        fails(
            &d,
            &["mean", "in.tif", s, "--overwrite"],
            "the output is the input",
        );
        fails(
            &d,
            &["mean", "in.tif", "o.tif", "--quicklook", s, "--overwrite"],
            "the output is the input",
        );
    }
    // Output and quick-look the same file.
    for (out, png) in [("o.tif", "./o.tif"), ("o.tif", "self/o.tif")] {
        fails(
            &d,
            &["mean", "in.tif", out, "--quicklook", png, "--overwrite"],
            "the same file as the output",
        );
    }
    assert_eq!(std::fs::read(d.join("in.tif")).unwrap(), original);
    succeeds(&d, &["mean", "in.tif", "o.tif", "--quicklook", "q.png"]);
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn special_files_are_never_replaced_nor_waited_for() {
    let (_dir, d) = setup();
    mkfifo(&d.join("pipe"));
    // As outputs, even with --overwrite.
    for target in ["pipe", "/dev/null", "sub"] {
        fails(
            &d,
            &["mean", "in.tif", target, "--overwrite"],
            "not a regular file",
        );
        fails(
            &d,
            &[
                "mean",
                "in.tif",
                "o.tif",
                "--quicklook",
                target,
                "--overwrite",
            ],
            "not a regular file",
        );
    }
    assert!(
        std::fs::metadata(d.join("pipe"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    // As inputs: refused at once (no writer will ever open the FIFO).
    let err = fails(
        &d,
        &["info", "pipe"],
        "pipe: is a FIFO (named pipe), not a regular file",
    );
    assert_eq!(err.matches("not a regular file").count(), 1, "{err}");
    fails(&d, &["mean", "pipe", "o.tif"], "FIFO");
    fails(&d, &["info", "/dev/zero"], "character device");
    // A folder: said once, not "is a folder: is a folder".
    let err = fails(&d, &["info", "sub"], "sub: is a folder, not a regular file");
    assert_eq!(err.matches("folder").count(), 1, "{err}");
}

#[test]
fn stale_temporary_files_are_removed_live_ones_kept() {
    let (_dir, d) = setup();
    let dead = {
        let mut c = Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let mut live = Command::new("sleep").arg("60").spawn().unwrap();
    let stale = [format!(".o.tif.tmp-{dead}"), format!(".q.png.tmp-{dead}-7")];
    let keep = [
        format!(".o.tif.tmp-{}", live.id()),
        format!(".o.tif.tmp-{dead}.part"),
        format!(".x.tif.tmp-{dead}"),
    ];
    for name in stale.iter().chain(&keep) {
        std::fs::File::create(d.join(name))
            .unwrap()
            .write_all(b"partial")
            .unwrap();
    }
    succeeds(&d, &["mean", "in.tif", "o.tif", "--quicklook", "q.png"]);
    let now = files(&d);
    for name in &stale {
        assert!(!now.contains(name), "{name} left: {now:?}");
    }
    for name in &keep {
        assert!(now.contains(name), "{name} removed: {now:?}");
    }
    live.kill().unwrap();
    live.wait().unwrap();
}

#[test]
fn negative_and_huge_numbers_get_the_parameters_own_message() {
    let (_dir, d) = setup();
    for (args, want) in [
        (&["--size", "-3"][..], "invalid parameter `size`"),
        (&["--threads", "-1"][..], "invalid parameter `threads`"),
        (&["-b", "-1"][..], "band -1 out of range"),
        (&["--nodata", "-inf", "--size", "2"][..], "`size`"),
        (&["--cval", "-inf", "--border", "constant"][..], "`border`"),
    ] {
        let mut a = vec!["mean", "in.tif", "o.tif"];
        a.extend(args);
        fails(&d, &a, want);
    }
    for (args, want) in [
        (&["--looks", "-inf"][..], "invalid parameter `looks`"),
        (&["--looks", "-2"][..], "invalid parameter `looks`"),
        (&["--damping", "-1e300"][..], "got -1e300"),
        (&["--cmax", "1e-300"][..], "got 1e-300"),
    ] {
        let mut a = vec!["enhanced-lee", "in.tif", "o.tif"];
        a.extend(args);
        let err = fails(&d, &a, want);
        assert!(err.len() < 300, "{err}");
        assert!(!err.contains("unexpected argument"), "{err}");
    }
    // Lee Sigma's hint agrees with its check: a 5 × 5 target window needs 9.
    let err = fails(
        &d,
        &[
            "lee-sigma",
            "in.tif",
            "o.tif",
            "--target-window",
            "5",
            "--size",
            "7",
        ],
        "at least 9 (9 recommended), got 7",
    );
    assert!(!err.contains("7 recommended"), "{err}");
    succeeds(
        &d,
        &[
            "lee-sigma",
            "in.tif",
            "o.tif",
            "--target-window",
            "5",
            "--size",
            "9",
            "--z98",
            "100",
        ],
    );
}

/// A classic little-endian TIFF whose SampleFormat tag has 100,000 different values.
fn corrupt_sample_format(path: &Path) {
    let n = 100_000u32;
    let entries: [(u16, u16, u32, u32); 10] = [
        (256, 3, 1, 4),
        (257, 3, 1, 4),
        (258, 3, 1, 32),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 0), // strip offset, set below
        (277, 3, 1, 1),
        (278, 3, 1, 4),
        (279, 4, 1, 64),
        (339, 3, n, 0), // values' offset, set below
    ];
    let ifd_len = 2 + entries.len() * 12 + 4;
    let data_at = (8 + ifd_len) as u32;
    let values_at = data_at + 64;
    let mut b: Vec<u8> = b"II".to_vec();
    b.extend(42u16.to_le_bytes());
    b.extend(8u32.to_le_bytes());
    b.extend((entries.len() as u16).to_le_bytes());
    for (tag, ty, count, value) in entries {
        b.extend(tag.to_le_bytes());
        b.extend(ty.to_le_bytes());
        b.extend(count.to_le_bytes());
        let v = match tag {
            273 => data_at,
            339 => values_at,
            _ => value,
        };
        if ty == 3 && count == 1 {
            b.extend((v as u16).to_le_bytes());
            b.extend([0, 0]);
        } else {
            b.extend(v.to_le_bytes());
        }
    }
    b.extend(0u32.to_le_bytes());
    b.extend(std::iter::repeat_n(0u8, 64));
    // Mixed formats (uint, int, float, ...): unsupported, and the decoder's message lists
    // them all.
    for i in 0..n {
        b.extend((1 + (i % 3) as u16).to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn errors_embedding_file_data_stay_short() {
    let (_dir, d) = setup();
    corrupt_sample_format(&d.join("bad.tif"));
    for args in [&["info", "bad.tif"][..], &["mean", "bad.tif", "o.tif"][..]] {
        let err = fails(&d, args, "bad.tif: ");
        assert!(
            err.chars().count() < 1100,
            "{} chars: {err:.200}",
            err.len()
        );
    }
}

/// Runs a Python snippet (numpy and rasterio) in `dir`.
fn py(dir: &Path, code: &str) -> String {
    let o = Command::new(python())
        .args(["-c", code])
        .current_dir(dir)
        .output()
        .expect("python3");
    assert!(
        o.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn band_descriptions_and_metadata_follow_their_band() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    py(
        d,
        r#"
import numpy as np, rasterio
from rasterio.transform import from_origin
a = np.random.default_rng(1).gamma(4, 0.25, (3, 20, 24)).astype("float32")
with rasterio.open("pol.tif", "w", driver="GTiff", width=24, height=20, count=3,
                   dtype="float32", transform=from_origin(0, 0, 10, 10), nodata=-1) as f:
    f.write(a)
    f.update_tags(mission="S1")
    for b, name in enumerate(["VV", "VH", "HH"], 1):
        f.set_band_description(b, name)
        f.update_tags(b, pol=name, index=str(b))
    f.scales = (1.0, 2.0, 3.0)
    f.offsets = (0.0, 0.5, 0.25)
"#,
    );
    succeeds(d, &["mean", "pol.tif", "b3.tif", "-b", "3"]);
    succeeds(d, &["mean", "pol.tif", "b31.tif", "-b", "3", "-b", "1"]);
    succeeds(d, &["mean", "pol.tif", "all.tif"]);
    let report = py(
        d,
        r#"
import rasterio
for name in ["b3", "b31", "all"]:
    with rasterio.open(name + ".tif") as f:
        bands = []
        for b in range(1, f.count + 1):
            t = f.tags(b)
            bands.append(f"{f.descriptions[b-1]}:{t.get('pol')}:{t.get('index')}:{f.scales[b-1]}:{f.offsets[b-1]}")
        print(name, f.nodata, f.tags().get("mission"), " ".join(bands))
"#,
    );
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines,
        [
            "b3 -1.0 S1 HH:HH:3:3.0:0.25",
            "b31 -1.0 S1 HH:HH:3:3.0:0.25 VV:VV:1:1.0:0.0",
            "all -1.0 S1 VV:VV:1:1.0:0.0 VH:VH:2:2.0:0.5 HH:HH:3:3.0:0.25",
        ],
        "{report}"
    );
}

/// uint32 and int32 samples near 2³² (2³¹) that float32 cannot hold are filtered in float64:
/// the window means stored as float32 are the float64 reference rounded once.
#[test]
fn thirty_two_bit_integers_are_filtered_in_float64() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    py(
        d,
        r#"
import numpy as np, rasterio
rng = np.random.default_rng(7)
k = rng.integers(0, 40, (30, 40))
# float32 steps are 256 in [2^31, 2^32) and 128 in [2^30, 2^31): 100 (50) above a step,
# float32 would round every value down by 100 (50).
u = (2**32 - 256 * (k + 1) + 100).astype("uint32")
i = (2**31 - 128 * (k + 1) + 50).astype("int32")
for name, a in [("u32", u), ("i32", i)]:
    with rasterio.open(name + ".tif", "w", driver="GTiff", width=40, height=30, count=1,
                       dtype=a.dtype.name) as f:
        f.write(a, 1)
"#,
    );
    for name in ["u32", "i32"] {
        succeeds(
            d,
            &[
                "mean",
                &format!("{name}.tif"),
                &format!("{name}_mean.tif"),
                "--size",
                "3",
                "--border",
                "nearest",
            ],
        );
        succeeds(
            d,
            &[
                "mean",
                &format!("{name}.tif"),
                &format!("{name}_mean64.tif"),
                "--size",
                "3",
                "--border",
                "nearest",
                "--dtype",
                "float64",
            ],
        );
    }
    let report = py(
        d,
        r#"
import numpy as np, rasterio
for name, step in [("u32", 256), ("i32", 128)]:
    with rasterio.open(name + ".tif") as f:
        x = f.read(1).astype(np.float64)
    p = np.pad(x, 1, mode="edge")
    ref = sum(p[dy:dy + x.shape[0], dx:dx + x.shape[1]] for dy in range(3) for dx in range(3)) / 9
    with rasterio.open(name + "_mean.tif") as f:
        assert f.dtypes[0] == "float32", f.dtypes
        out = f.read(1).astype(np.float64)
    with rasterio.open(name + "_mean64.tif") as f:
        out64 = f.read(1)
    same = np.mean(out == ref.astype(np.float32))
    err64 = np.max(np.abs(out64 - ref))
    print(name, same >= 0.99, np.max(np.abs(out - ref)) <= step / 2 + 1e-3, err64 < 1e-5)
"#,
    );
    assert_eq!(
        report.trim(),
        "u32 True True True\ni32 True True True",
        "{report}"
    );
}
