//! Test helpers: deterministic pixel patterns and a small independent TIFF builder that can
//! produce what the `tiff` crate's encoder cannot (tiles, planar, complex, big-endian, BigTIFF,
//! integer types with predictor 2).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// A deterministic value for band `b`, column `x`, row `y`, in `0..=250`.
pub fn pattern(b: usize, x: usize, y: usize) -> f64 {
    ((x * 7 + y * 13 + b * 101 + (x * y) % 17) % 251) as f64
}

/// A float value with a fraction, varying over the image.
pub fn fpattern(b: usize, x: usize, y: usize) -> f64 {
    pattern(b, x, y) * 0.37 - 20.5 + (y as f64) * 1e-3
}

/// Lists the files of a folder (names only), sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A TIFF file described sample by sample, encoded independently of the crate under test.
#[derive(Clone)]
pub struct RawTiff {
    pub big_endian: bool,
    pub bigtiff: bool,
    pub width: usize,
    pub height: usize,
    pub spp: usize,
    /// Bits per sample (both parts for complex).
    pub bits: u16,
    /// TIFF SampleFormat (1 uint, 2 int, 3 float, 5 complex int, 6 complex float).
    pub format: u16,
    pub planar: bool,
    /// Tile size, or `None` for strips.
    pub tile: Option<(usize, usize)>,
    pub rows_per_strip: usize,
    /// 1 (none) or 8 (Deflate).
    pub compression: u16,
    /// 1 or 2 (horizontal, integer types only).
    pub predictor: u16,
    /// Extra tags: (tag, TIFF type, values as little-endian bytes).
    pub extra: Vec<(u16, u16, Vec<u8>)>,
    /// Bytes stored for every strip or tile instead of its samples (data that need not decode,
    /// with any `compression` code).
    pub chunk_data: Option<Vec<u8>>,
    /// The offset and byte count declared for chunk `i`, from those of the data written.
    #[allow(clippy::type_complexity)]
    pub declare: Option<std::sync::Arc<dyn Fn(usize, u64, u64) -> (u64, u64)>>,
}

impl RawTiff {
    pub fn new(width: usize, height: usize, spp: usize, bits: u16, format: u16) -> RawTiff {
        RawTiff {
            big_endian: false,
            bigtiff: false,
            width,
            height,
            spp,
            bits,
            format,
            planar: false,
            tile: None,
            rows_per_strip: 3,
            compression: 1,
            predictor: 1,
            extra: Vec::new(),
            chunk_data: None,
            declare: None,
        }
    }

    fn part_bytes(&self) -> usize {
        if self.format >= 5 {
            self.bits as usize / 16
        } else {
            self.bits as usize / 8
        }
    }

    /// Writes the file; `sample(b, x, y)` gives the sample's parts (one for real types, two
    /// for complex) as integers of the part width (floats as their bit patterns).
    pub fn write(&self, path: &Path, sample: &dyn Fn(usize, usize, usize) -> Vec<u64>) {
        let part = self.part_bytes();
        let be = self.big_endian;
        let enc = |v: u64, n: usize| -> Vec<u8> {
            let le = v.to_le_bytes();
            let mut b = le[..n].to_vec();
            if be {
                b.reverse();
            }
            b
        };
        let (cw, ch) = self.tile.unwrap_or((self.width, self.rows_per_strip));
        let across = self.width.div_ceil(cw);
        let down = self.height.div_ceil(ch);
        let planes = if self.planar { self.spp } else { 1 };
        let spp_chunk = if self.planar { 1 } else { self.spp };
        let sb = self.bits as usize / 8;

        let mut file = vec![0u8; if self.bigtiff { 16 } else { 8 }];
        let mut offsets = Vec::new();
        let mut counts = Vec::new();
        for p in 0..planes {
            for r in 0..down {
                for c in 0..across {
                    if let Some(data) = &self.chunk_data {
                        offsets.push(file.len() as u64);
                        counts.push(data.len() as u64);
                        file.extend(data);
                        continue;
                    }
                    let rows = if self.tile.is_some() {
                        ch
                    } else {
                        ch.min(self.height - r * ch)
                    };
                    let mut raw = Vec::new();
                    for yy in 0..rows {
                        let mut row = Vec::new();
                        for xx in 0..cw {
                            let (x, y) = (c * cw + xx, r * ch + yy);
                            for s in 0..spp_chunk {
                                let b = if self.planar { p } else { s };
                                if x < self.width && y < self.height {
                                    for v in sample(b, x, y) {
                                        row.extend(enc(v, part));
                                    }
                                } else {
                                    row.extend(vec![0u8; sb]);
                                }
                            }
                        }
                        if self.predictor == 2 {
                            // Horizontal differencing on whole samples, in file byte order.
                            let n = sb;
                            let get = |b: &[u8]| {
                                let mut a = [0u8; 8];
                                if be {
                                    a[8 - n..].copy_from_slice(b);
                                    u64::from_be_bytes(a)
                                } else {
                                    a[..n].copy_from_slice(b);
                                    u64::from_le_bytes(a)
                                }
                            };
                            let orig = row.clone();
                            let stride = spp_chunk * n;
                            for i in (stride..row.len()).step_by(n) {
                                let d = get(&orig[i..i + n])
                                    .wrapping_sub(get(&orig[i - stride..i - stride + n]));
                                row[i..i + n].copy_from_slice(&enc(d, n));
                            }
                        }
                        raw.extend(row);
                    }
                    let data = if self.compression == 8 {
                        let mut z = flate2::write::ZlibEncoder::new(
                            Vec::new(),
                            flate2::Compression::new(6),
                        );
                        z.write_all(&raw).unwrap();
                        z.finish().unwrap()
                    } else {
                        raw
                    };
                    offsets.push(file.len() as u64);
                    counts.push(data.len() as u64);
                    file.extend(data);
                }
            }
        }
        if file.len() % 2 == 1 {
            file.push(0);
        }
        if let Some(declare) = &self.declare {
            for (i, (o, n)) in offsets.iter_mut().zip(&mut counts).enumerate() {
                (*o, *n) = declare(i, *o, *n);
            }
        }

        // Directory entries: (tag, type, count, value bytes in file order).
        let mut entries: Vec<(u16, u16, u64, Vec<u8>)> = Vec::new();
        let short = |v: &[u64]| {
            (
                3u16,
                v.len() as u64,
                v.iter().flat_map(|&x| enc(x, 2)).collect::<Vec<u8>>(),
            )
        };
        let long = |v: &[u64]| {
            (
                4u16,
                v.len() as u64,
                v.iter().flat_map(|&x| enc(x, 4)).collect::<Vec<u8>>(),
            )
        };
        let long8 = |v: &[u64]| {
            (
                16u16,
                v.len() as u64,
                v.iter().flat_map(|&x| enc(x, 8)).collect::<Vec<u8>>(),
            )
        };
        let mut add = |tag: u16, (ty, n, b): (u16, u64, Vec<u8>)| entries.push((tag, ty, n, b));
        add(256, long(&[self.width as u64]));
        add(257, long(&[self.height as u64]));
        add(258, short(&vec![self.bits as u64; self.spp]));
        add(259, short(&[self.compression as u64]));
        add(262, short(&[1]));
        add(277, short(&[self.spp as u64]));
        add(284, short(&[if self.planar { 2 } else { 1 }]));
        if self.predictor != 1 {
            add(317, short(&[self.predictor as u64]));
        }
        add(339, short(&vec![self.format as u64; self.spp]));
        let offs = if self.bigtiff {
            long8(&offsets)
        } else {
            long(&offsets)
        };
        let cnts = if self.bigtiff {
            long8(&counts)
        } else {
            long(&counts)
        };
        if let Some((tw, th)) = self.tile {
            add(322, long(&[tw as u64]));
            add(323, long(&[th as u64]));
            add(324, offs);
            add(325, cnts);
        } else {
            add(273, offs);
            add(278, long(&[self.rows_per_strip as u64]));
            add(279, cnts);
        }
        for (tag, ty, le) in &self.extra {
            let size = match ty {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 => 4,
                _ => 8,
            };
            let mut b = Vec::new();
            for v in le.chunks(size) {
                let mut v = v.to_vec();
                if be {
                    v.reverse();
                }
                b.extend(v);
            }
            entries.push((*tag, *ty, (le.len() / size) as u64, b));
        }
        entries.sort_by_key(|e| e.0);

        let inline = if self.bigtiff { 8 } else { 4 };
        let mut fields = Vec::new();
        for (tag, ty, n, b) in &entries {
            let field = if b.len() <= inline {
                let mut f = b.clone();
                f.resize(inline, 0);
                f
            } else {
                let at = file.len() as u64;
                file.extend(b);
                if file.len() % 2 == 1 {
                    file.push(0);
                }
                enc(at, inline)
            };
            fields.push((*tag, *ty, *n, field));
        }
        let ifd = file.len() as u64;
        if self.bigtiff {
            file.extend(enc(fields.len() as u64, 8));
        } else {
            file.extend(enc(fields.len() as u64, 2));
        }
        for (tag, ty, n, field) in fields {
            file.extend(enc(tag as u64, 2));
            file.extend(enc(ty as u64, 2));
            file.extend(enc(n, if self.bigtiff { 8 } else { 4 }));
            file.extend(field);
        }
        file.extend(vec![0u8; inline]);

        let mut head = if be { b"MM".to_vec() } else { b"II".to_vec() };
        if self.bigtiff {
            head.extend(enc(43, 2));
            head.extend(enc(8, 2));
            head.extend(enc(0, 2));
            head.extend(enc(ifd, 8));
        } else {
            head.extend(enc(42, 2));
            head.extend(enc(ifd, 4));
        }
        file[..head.len()].copy_from_slice(&head);
        std::fs::write(path, file).unwrap();
    }
}

/// The Python interpreter of the GDAL tests: `$PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs the Python script `tests/SCRIPT` with `args` and returns its standard output, failing
/// with a clear message if Python or one of the `imports` (comma-separated) is missing, or if
/// the script fails.
pub fn run_python(script: &str, imports: &str, args: &[&std::ffi::OsStr]) -> String {
    let probe = std::process::Command::new(python())
        .args(["-c", &format!("import {imports}")])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "these tests need python3 with {imports}; run scripts/setup.sh to install them. \
             Python said: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!(
            "these tests need python3 with {imports}; run scripts/setup.sh to install them \
             ({} could not be started: {e})",
            python()
        ),
    }
    let out = std::process::Command::new(python())
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests")
                .join(script),
        )
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A fresh temporary folder removed at the end of the test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("despeckle-geotiff-test")
        .tempdir()
        .unwrap()
}

/// `dir/name` as a path.
pub fn at(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}
