//! The `despeckle` binary, run as a user would: GeoTIFFs written by GDAL in every layout,
//! outputs checked with GDAL against an independent numpy reference, one-line errors that
//! leave no file, Ctrl-C, bounded memory, progress, `info` and `filters`.
//!
//! Needs python3 with numpy and rasterio (`scripts/setup.sh` installs them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common;
use common::files;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_despeckle")
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli_fixtures.py")
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Checks once that python3 with numpy and rasterio is there, with a clear message if not.
fn need_python() {
    static OK: OnceLock<()> = OnceLock::new();
    OK.get_or_init(|| {
        let probe = Command::new(python())
            .args(["-c", "import numpy, rasterio"])
            .output();
        match probe {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!(
                "these tests need python3 with numpy and rasterio; run scripts/setup.sh. \
                 Python said: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!("these tests need {} with numpy and rasterio: {e}", python()),
        }
    });
}

/// Runs the fixture script.
fn fixtures(args: &[&str]) -> String {
    need_python();
    let out = Command::new(python())
        .arg(script())
        .args(args)
        .output()
        .expect("run cli_fixtures.py");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "cli_fixtures.py {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run despeckle")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small GDAL-written input: the first fixture case.
fn small_input(dir: &Path) -> PathBuf {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    let src = CACHE.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("despeckle-cli-small-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        fixtures(&["write", d.to_str().unwrap()]);
        d
    });
    let path = dir.join("in.tif");
    std::fs::copy(src.join("f32_strips_none_nodata.tif"), &path).unwrap();
    path
}

#[test]
fn gdal_layouts_match_the_float64_reference() {
    let dir = tempdir();
    let d = dir.path().to_str().unwrap();
    fixtures(&["write", d]);
    let cases = std::fs::read_to_string(dir.path().join("cases.tsv")).unwrap();
    let mut n = 0;
    for line in cases.lines().filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, filter, input, output) = (cols[0], cols[1], cols[2], cols[3]);
        let mut args = vec![filter, input, output];
        args.extend(cols[4].split_whitespace());
        let o = run(&args);
        assert!(o.status.success(), "{name}: {args:?}: {}", stderr(&o));
        assert!(
            o.stderr.is_empty() && o.stdout.is_empty(),
            "{name}: not silent without a terminal: {}",
            stderr(&o)
        );
        n += 1;
    }
    assert!(n >= 19, "{n} cases");
    let report = fixtures(&["check", d]);
    assert!(report.contains("0 problem(s)"), "{report}");
    // Nothing but inputs, outputs and the case list.
    for f in files(dir.path()) {
        assert!(f.ends_with(".tif") || f == "cases.tsv", "stray file {f}");
    }
}

/// Runs a failing command and checks the error contract: exit status 1 (2 for usage
/// errors), one line on stderr containing `want`, no panic, and no file added to `dir`.
fn fails(dir: &Path, args: &[&str], want: &str) {
    let before = files(dir);
    let o = run(args);
    let err = stderr(&o);
    let code = o.status.code();
    assert!(
        code == Some(1) || code == Some(2),
        "{args:?}: exit {code:?}: {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err}"
    );
    assert!(err.starts_with("despeckle: error: "), "{args:?}: {err}");
    assert!(
        err.contains(want),
        "{args:?}: {err:?} does not contain {want:?}"
    );
    assert_eq!(files(dir), before, "{args:?}: files changed");
}

#[test]
fn bad_input_and_parameters_give_one_line_and_no_output() {
    let dir = tempdir();
    let d = dir.path();
    let input = small_input(d);
    let inp = input.to_str().unwrap();
    let out = d.join("out.tif");
    let out = out.to_str().unwrap();
    let p = |name: &str| d.join(name).to_str().unwrap().to_string();

    // Memory budget.
    fails(
        d,
        &["mean", inp, out, "--max-memory", "lots"],
        "invalid parameter `max_memory`: `lots` is not a size",
    );
    fails(
        d,
        &["mean", inp, out, "--size", "1001", "--max-memory", "1M"],
        "not enough memory: size 1001 on a",
    );

    // Input files.
    fails(
        d,
        &["enhanced-lee", &p("missing.tif"), out],
        "missing.tif: no such file",
    );
    std::fs::write(d.join("text.tif"), "hello, not a tiff\n").unwrap();
    fails(
        d,
        &["enhanced-lee", &p("text.tif"), out],
        "text.tif: not a TIFF file",
    );
    std::fs::write(d.join("empty.tif"), "").unwrap();
    fails(d, &["enhanced-lee", &p("empty.tif"), out], "empty.tif: ");
    fails(d, &["enhanced-lee", d.to_str().unwrap(), out], "folder");
    let bytes = std::fs::read(&input).unwrap();
    // GDAL writes the directory first: cutting the file loses pixel data, found mid-stream.
    std::fs::write(d.join("truncated.tif"), &bytes[..bytes.len() * 2 / 3]).unwrap();
    fails(
        d,
        &["enhanced-lee", &p("truncated.tif"), out],
        "truncated.tif: truncated or corrupt TIFF",
    );
    std::fs::write(d.join("header_only.tif"), &bytes[..12]).unwrap();
    fails(
        d,
        &["enhanced-lee", &p("header_only.tif"), out],
        "header_only.tif: truncated or corrupt TIFF",
    );

    // Unsupported sample type (complex128) and compression (JPEG), written by GDAL.
    need_python();
    let made = Command::new(python())
        .args([
            "-c",
            "import sys, numpy as np, rasterio\n\
             with rasterio.open(sys.argv[1], 'w', driver='GTiff', width=8, height=8, count=1, \
             dtype='complex128') as f: f.write(np.ones((1, 8, 8), 'complex128'))\n\
             with rasterio.open(sys.argv[2], 'w', driver='GTiff', width=16, height=16, count=1, \
             dtype='uint8', compress='jpeg') as f: f.write(np.ones((1, 16, 16), 'uint8'))\n",
            &p("c128.tif"),
            &p("jpeg.tif"),
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    fails(
        d,
        &["mean", &p("c128.tif"), out],
        "c128.tif: unsupported sample type",
    );
    fails(
        d,
        &["mean", &p("jpeg.tif"), out],
        "jpeg.tif: unsupported compression JPEG",
    );

    // Bands.
    fails(d, &["mean", inp, out, "--band", "2"], "band 2 out of range");
    fails(d, &["mean", inp, out, "--band", "0"], "band 0 out of range");

    // Parameters.
    fails(d, &["enhanced-lee", inp, out, "--size", "4"], "`size`");
    fails(d, &["enhanced-lee", inp, out, "--size", "1"], "`size`");
    fails(d, &["enhanced-lee", inp, out, "--size", "x"], "--size");
    fails(d, &["enhanced-lee", inp, out, "--looks", "0"], "`looks`");
    fails(d, &["enhanced-lee", inp, out, "--looks", "abc"], "`looks`");
    fails(d, &["enhanced-lee", inp, out, "--looks", "nan"], "`looks`");
    fails(
        d,
        &["enhanced-lee", inp, out, "--damping", "-1"],
        "`damping`",
    );
    fails(d, &["enhanced-lee", inp, out, "--cmax", "0.1"], "`cmax`");
    fails(d, &["enhanced-lee", inp, out, "--ddof", "2"], "`ddof`");
    fails(d, &["enhanced-lee", inp, out, "--domain", "db"], "`domain`");
    fails(
        d,
        &["enhanced-lee", inp, out, "--border", "sideways"],
        "`border`",
    );
    fails(
        d,
        &[
            "enhanced-lee",
            inp,
            out,
            "--border",
            "reflect",
            "--cval",
            "1",
        ],
        "`cval`",
    );
    fails(
        d,
        &["enhanced-lee", inp, out, "--nodata", "abc"],
        "`nodata`",
    );
    // beyond float32 (the input's type): not turned into ±inf
    fails(
        d,
        &["enhanced-lee", inp, out, "--nodata", "1e39"],
        "`nodata`: the value 1e39 is not representable in float32 data",
    );
    fails(
        d,
        &["mean", inp, out, "--border", "constant:-1e39"],
        "`border`: the constant -1e39 is not representable in float32 data",
    );
    fails(
        d,
        &["enhanced-lee", inp, out, "--threads", "0"],
        "`threads`",
    );
    fails(d, &["local-stats", inp, out, "--stat", "median"], "`stat`");
    fails(
        d,
        &["enhanced-lee", inp, out, "--tiled", "100"],
        "multiples of 16",
    );
    fails(
        d,
        &["enhanced-lee", inp, out, "--compress", "jpeg"],
        "--compress",
    );
    fails(
        d,
        &[
            "enhanced-lee",
            inp,
            out,
            "--compress",
            "deflate",
            "--level",
            "12",
        ],
        "--level 12",
    );
    fails(d, &["enhanced-lee", inp, out, "--looks"], "--looks");
    fails(d, &["enhanced-lee", inp], "OUT.tif");
    fails(d, &["frosty", inp, out], "frosty");
    fails(d, &["lee-sigma", inp, out, "--sigma", "2"], "`sigma`");
    fails(d, &["mean", inp, out, "--looks", "auto"], "--looks");
    fails(d, &["enhanced-lee", inp, out, "--window", "3"], "--window");

    // Outputs.
    fails(
        d,
        &["mean", inp, &p("no/such/folder/out.tif")],
        "output folder",
    );
    fails(
        d,
        &["mean", inp, inp, "--overwrite"],
        "the output is the input",
    );
    fails(
        d,
        &["mean", inp, out, "--quicklook", &p("nope/q.png")],
        "q.png",
    );
    std::fs::write(d.join("exists.tif"), "keep me").unwrap();
    fails(d, &["mean", inp, &p("exists.tif")], "already exists");
    assert_eq!(std::fs::read(d.join("exists.tif")).unwrap(), b"keep me");
    let o = run(&["mean", inp, &p("exists.tif"), "--overwrite"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(std::fs::read(d.join("exists.tif")).unwrap(), b"keep me");
}

/// A tmpfs mounted for the test (root only), unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, options: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn read_only_folder_and_full_disk() {
    let dir = tempdir();
    let input = dir.path().join("big.tif");
    fixtures(&["big", input.to_str().unwrap(), "1000", "1200"]);
    let inp = input.to_str().unwrap();

    let ro = dir.path().join("ro");
    match Mount::tmpfs(&ro, "ro,size=1m") {
        Some(_m) => fails(
            &ro,
            &["mean", inp, ro.join("out.tif").to_str().unwrap()],
            "read-only or not writable",
        ),
        None => eprintln!("read_only_folder: cannot mount a tmpfs (not root?): skipped"),
    }
    // Without root rights, a folder without write permission.
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let o = run(&["mean", inp, locked.join("out.tif").to_str().unwrap()]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    if !o.status.success() {
        assert!(
            stderr(&o).contains("read-only or not writable"),
            "{}",
            stderr(&o)
        );
    }
    assert!(files(&locked).is_empty() || o.status.success());

    let full = dir.path().join("full");
    match Mount::tmpfs(&full, "size=2m") {
        Some(_m) => {
            // 4.8 MB of output on a 2 MB file system.
            fails(
                &full,
                &["mean", inp, full.join("out.tif").to_str().unwrap()],
                "disk full",
            );
            assert!(files(&full).is_empty());
        }
        None => eprintln!("full_disk: cannot mount a tmpfs (not root?): skipped"),
    }
}

#[test]
fn info_filters_and_help() {
    let dir = tempdir();
    let input = small_input(dir.path());
    let o = run(&["info", input.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for want in [
        "83 x 61 pixels, 1 band",
        "Float32",
        "strips of 5 rows",
        "No-data:       -9999",
        "EPSG:32631",
        "Origin:        500000, 4600000",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
    fails(
        dir.path(),
        &["info", "/no/such.tif"],
        "/no/such.tif: no such file",
    );

    let o = run(&["filters"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for def in despeckle_file::registry::FILTERS {
        assert!(text.contains(def.name), "{} not listed", def.name);
        for p in def.params {
            let long = p.name.replace('_', "-");
            assert!(text.contains(&format!("--{long} ")), "--{long}");
        }
        // And each has a subcommand with the same options.
        let o = run(&[def.name, "--help"]);
        assert!(o.status.success());
        let help = String::from_utf8_lossy(&o.stdout);
        for p in def.params.iter().chain(despeckle_file::registry::COMMON) {
            let long = p.name.replace('_', "-");
            assert!(
                help.contains(&format!("--{long} ")),
                "{} --{long}",
                def.name
            );
        }
    }
    assert!(
        text.contains("[default: 4]") && text.contains("--size N"),
        "{text}"
    );
}

#[test]
fn quicklook_progress_and_quiet() {
    let dir = tempdir();
    let input = dir.path().join("wide.tif");
    fixtures(&["big", input.to_str().unwrap(), "2500", "700", "tiled"]);
    let out = dir.path().join("out.tif");
    let png = dir.path().join("q.png");
    let o = run(&[
        "enhanced-lee",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        "--quicklook",
        png.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stderr.is_empty() && o.stdout.is_empty());
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let info = dec.read_info().unwrap().info().clone();
    // 2500 x 700 averaged by 3: at most 1024 on the long side.
    assert_eq!((info.width, info.height), (834, 234));
    assert_eq!(info.color_type, png::ColorType::Grayscale);

    // On a terminal (a pseudo-terminal from `script`): a progress bar and a summary.
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("progress: `script` (util-linux) not found: skipped");
        return;
    }
    let cmd = format!(
        "{} enhanced-lee {} {} --overwrite",
        bin(),
        input.display(),
        out.display()
    );
    let o = Command::new("script")
        .args(["-qefc", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{tty}");
    assert!(
        tty.contains("wide.tif →") && tty.contains("enhanced-lee 2500 × 700"),
        "{tty}"
    );
    let quiet = Command::new("script")
        .args(["-qefc", &format!("{cmd} --quiet"), "/dev/null"])
        .output()
        .unwrap();
    assert!(quiet.status.success());
    assert!(
        String::from_utf8_lossy(&quiet.stdout).trim().is_empty(),
        "--quiet on a terminal: {}",
        String::from_utf8_lossy(&quiet.stdout)
    );
}

/// Peak RSS (KiB) of one run, measured by a fresh python parent (`RUSAGE_CHILDREN`).
fn peak_rss_kib(args: &[&str]) -> u64 {
    need_python();
    let o = Command::new(python())
        .args([
            "-c",
            "import resource, subprocess, sys\n\
             r = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL)\n\
             print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
             sys.exit(r.returncode)",
            bin(),
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

/// Writes a `width × height` float32 GeoTIFF of speckle-like values with our writer
/// (uncompressed strips of about 512 KiB, as GDAL lays out big files), row block by row block.
fn write_big(path: &Path, width: usize, height: usize) {
    use despeckle_geotiff::{Writer, WriterOptions};
    let mut w = Writer::create(path, WriterOptions::new(width, height, 1)).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rows = vec![0f32; width * 256];
    for y0 in (0..height).step_by(256) {
        let n = 256.min(height - y0);
        for v in &mut rows[..n * width] {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *v = 0.05 + (state >> 40) as f32 / (1u64 << 24) as f32;
        }
        w.write_rows(0, &rows[..n * width]).unwrap();
    }
    w.finish().unwrap();
}

/// A named command line, made for a given input file.
type Variant<'a> = (&'a str, &'a dyn Fn(&Path) -> Vec<String>);

/// Runs each variant's `args(input)` on a `w × h` and a `w × 4h` image and checks that its
/// peak RSS does not grow with the height and stays small beside the image.
fn assert_memory_flat(w: usize, h: usize, variants: &[Variant<'_>]) {
    let dir = tempdir();
    let short = dir.path().join("short.tif");
    let tall = dir.path().join("tall.tif");
    write_big(&short, w, h);
    write_big(&tall, w, 4 * h);
    for (what, args) in variants {
        // Each image twice: how far the reader and writer threads run ahead (queued strips,
        // bounded) depends on scheduling, so one run's peak varies by a few MiB. Growth with
        // the height shows in the smaller peak of the tall image as much as in the larger.
        let peak = |input: &Path| {
            let a = args(input);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            [peak_rss_kib(&a), peak_rss_kib(&a)]
        };
        let (short_peaks, tall_peaks) = (peak(&short), peak(&tall));
        let small = short_peaks.iter().max().copied().unwrap() as f64;
        let large = tall_peaks.iter().min().copied().unwrap() as f64;
        let largest = tall_peaks.iter().max().copied().unwrap() as f64;
        let image_kib = (w * 4 * h * 4 / 1024) as f64;
        eprintln!(
            "{what} peak RSS: {w} x {h}: {:.1} MiB, {w} x {}: {:.1} MiB (tall image {:.0} MiB)",
            small / 1024.0,
            4 * h,
            large / 1024.0,
            image_kib / 1024.0
        );
        assert!(
            large <= small * 1.10 + 8.0 * 1024.0,
            "{what}: peak RSS grew with the height: {small} KiB -> {large} KiB"
        );
        assert!(
            largest < image_kib / 2.0,
            "{what}: peak RSS {largest} KiB is not small beside the image ({image_kib} KiB)"
        );
    }
}

#[test]
fn peak_memory_does_not_grow_with_height() {
    // The pipeline holds a block of input rows and as much of output rows, each with a
    // block's worth of queued strips: it reaches its steady state after a few blocks. Blocks
    // of 256 rows (instead of about 16 MiB) make the shorter image already 32 blocks high at
    // half the size the default blocks would need (the COG's overview spills are a fixed
    // cost of about 60 MiB, so the tall image must stay well above twice that).
    let dir = tempdir();
    let out = dir.path().join("out.tif");
    let q = dir.path().join("q.png");
    let args = |input: &Path, cog: bool| {
        let mut a = [
            "enhanced-lee",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--overwrite",
            "--compress",
            "deflate",
            "--level",
            "1",
            "--quicklook",
            q.to_str().unwrap(),
            "--block-rows",
            "256",
        ]
        .map(String::from)
        .to_vec();
        if cog {
            // overviews averaged and every level spilled to disk: a few tile rows, not the image
            a.push("--cog".into());
        }
        a
    };
    assert_memory_flat(
        2000,
        8192,
        &[
            ("enhanced-lee", &|input| args(input, false)),
            ("enhanced-lee --cog", &|input| args(input, true)),
        ],
    );
    assert!(files(dir.path()).iter().all(|f| !f.starts_with('.')));
}

#[test]
fn ctrl_c_removes_the_temporary_output() {
    let dir = tempdir();
    let input = dir.path().join("in.tif");
    fixtures(&["big", input.to_str().unwrap(), "3000", "6000"]);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("out.tif");
    let child = Command::new(bin())
        .args([
            "enhanced-lee",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
        ])
        .args(["--compress", "deflate", "--level", "9", "--threads", "1"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the temporary output exists, then interrupt.
    let t0 = Instant::now();
    while files(&out_dir).is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no temporary file appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let tmp = files(&out_dir);
    assert!(tmp[0].starts_with(".out.tif.tmp-"), "{tmp:?}");
    std::thread::sleep(Duration::from_millis(100));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    if o.status.success() {
        panic!("finished before the interrupt; make the test input larger");
    }
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(files(&out_dir).is_empty(), "left {:?}", files(&out_dir));
}

/// The PNG images of a report: every `<img>` must hold a non-empty `data:image/png` URI that
/// decodes; returns their (width, height).
fn report_images(html: &str) -> Vec<(u32, u32)> {
    use base64::Engine;
    let mut sizes = Vec::new();
    for part in html.split("<img ").skip(1) {
        let src = part
            .split("src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("an <img> with a src");
        let b64 = src
            .strip_prefix("data:image/png;base64,")
            .unwrap_or_else(|| panic!("not a PNG data URI: {:.60}", src));
        assert!(!b64.is_empty(), "empty data URI");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).expect("PNG data");
        sizes.push((info.width, info.height));
    }
    sizes
}

/// The `data-filter` names of the metrics table's rows.
fn report_rows(html: &str) -> Vec<String> {
    let table = html
        .split("<table id=\"metrics\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("a table with id=\"metrics\"");
    table
        .split("<tr data-filter=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[test]
fn compare_demo_report() {
    let dir = tempdir();
    let report = dir.path().join("report.html");
    let o = run(&["compare", "--demo", "--report", report.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&report).unwrap();
    let filters = [
        "enhanced-lee",
        "lee",
        "refined-lee",
        "gamma-map",
        "frost",
        "lee-sigma",
    ];
    assert_eq!(report_rows(&html), filters);
    // quick-looks: input + 6; crops: input + 6; ratio images: 6
    let sizes = report_images(&html);
    assert_eq!(sizes.len(), 20);
    assert!(sizes.iter().all(|&s| s == (256, 256)), "{sizes:?}");
    assert!(!html.contains("http://") && !html.contains("https://"));
    // no temporary file left, and an existing report is refused
    assert_eq!(files(dir.path()), ["report.html"]);
    fails(
        dir.path(),
        &["compare", "--demo", "--report", report.to_str().unwrap()],
        "already exists",
    );

    // a sweep of one parameter of one filter, with a region and a crop
    let o = run(&[
        "compare",
        "--demo",
        "--filters",
        "lee",
        "--sweep",
        "looks=1,2,4",
        "--roi",
        "10,10,40,40",
        "--crop",
        "20,30,100,50",
        "--report",
        report.to_str().unwrap(),
        "--overwrite",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&report).unwrap();
    assert_eq!(
        report_rows(&html),
        ["lee looks=1", "lee looks=2", "lee looks=4"]
    );
    let sizes = report_images(&html);
    assert_eq!(sizes.iter().filter(|&&s| s == (100, 50)).count(), 4);
    assert!(html.contains("ENL roi 10,10,40,40"));

    fails(
        dir.path(),
        &[
            "compare",
            "--demo",
            "--filters",
            "lee,frost",
            "--sweep",
            "looks=1,2",
            "--report",
            "r2.html",
        ],
        "exactly one --filters",
    );
    fails(
        dir.path(),
        &[
            "compare",
            "--demo",
            "--filters",
            "nope",
            "--report",
            "r2.html",
        ],
        "`nope` is not a filter",
    );
}

#[test]
fn assess_and_compare_files() {
    let dir = tempdir();
    let input = small_input(dir.path());
    let out = dir.path().join("out.tif");
    let o = run(&[
        "lee",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        "--looks",
        "4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "assess",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        "--roi",
        "0,0,20,20",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("whole image") && text.contains("roi 0,0,20,20") && text.contains("M index"),
        "{text}"
    );
    let o = run(&[
        "assess",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j = String::from_utf8_lossy(&o.stdout);
    assert!(
        j.contains("\"m_index\"") && j.contains("\"ssi\"") && j.contains("\"nodata\": -9999.0"),
        "{j}"
    );
    // the input alone: its ENL
    let o = run(&["assess", input.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ENL"));
    fails(
        dir.path(),
        &["assess", input.to_str().unwrap(), "--roi", "1,2,3"],
        "expected x,y,w,h",
    );

    // compare a file against itself as the clean reference: the report gets PSNR and SSIM
    let report = dir.path().join("r.html");
    let o = run(&[
        "compare",
        input.to_str().unwrap(),
        "--filters",
        "lee,mean",
        "--looks",
        "4",
        "--truth",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&report).unwrap();
    assert_eq!(report_rows(&html), ["lee", "mean"]);
    assert!(html.contains("PSNR") && html.contains("SSIM"));
    report_images(&html);
    // the report must not replace the input
    fails(
        dir.path(),
        &[
            "compare",
            input.to_str().unwrap(),
            "--report",
            input.to_str().unwrap(),
            "--overwrite",
        ],
        "the output is the input",
    );
}

#[test]
fn compare_memory_does_not_grow_with_height() {
    // Two filters over 1000-wide images 4096 and 16384 rows high: the streaming driver's
    // blocks (256 rows instead of about 16 MiB, so that the shorter image is already 16
    // blocks high), the accumulators' rows, the quick-looks and the crop; no output image is
    // kept.
    let dir = tempdir();
    let report = dir.path().join("r.html");
    let args = |input: &Path| {
        [
            "compare",
            input.to_str().unwrap(),
            "--filters",
            "lee,mean",
            "--looks",
            "4",
            "--report",
            report.to_str().unwrap(),
            "--overwrite",
            "--block-rows",
            "256",
        ]
        .map(String::from)
        .to_vec()
    };
    assert_memory_flat(1000, 4096, &[("compare", &args)]);
}
