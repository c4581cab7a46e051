//! `despeckle polsar c2|c3|t3|c4|t4 SLC... OUT`: polarimetric matrices formed from single-look
//! complex GeoTIFFs (one channel per file) with the core's SLC formulas, multilooked by block
//! averaging in the same streaming pass.
//!
//! A sample that is zero in every channel has no data (Sentinel-1 SLCs are zero outside the
//! swath and in the gaps between bursts; ESA SNAP reads their bands with no-data value 0): it
//! is left out of its block's average, and a block with no data at all gives NaN in every
//! element (the output's no-data value), which the filters then leave out of their windows.

use std::path::PathBuf;

use anyhow::{Result, bail};
use despeckle::polsar::{Complex64, Matrix, slc};
use despeckle::{BoxError, PlaneSource};
use despeckle_geotiff::{ComplexMode, GeoTags, Reader};

use crate::polsar_io::{Georef, OutputMeta, is_tiff};

/// Multilook factors: `az` rows (azimuth) × `rg` columns (range) per output pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Looks {
    /// Rows averaged.
    pub az: usize,
    /// Columns averaged.
    pub rg: usize,
}

impl std::str::FromStr for Looks {
    type Err = String;

    /// `AZxRG` (`4x1`) or `N` (`N x N`), each at least 1.
    fn from_str(s: &str) -> Result<Looks, String> {
        let bad = || format!("--multilook: give AZxRG (rows x columns, e.g. 4x1) or N, got {s:?}");
        let t = s.trim().to_ascii_lowercase();
        let (a, r) = match t.split_once('x') {
            Some((a, r)) => (a.trim(), r.trim()),
            None => (t.as_str(), t.as_str()),
        };
        let az: usize = a.parse().map_err(|_| bad())?;
        let rg: usize = r.parse().map_err(|_| bad())?;
        if az == 0 || rg == 0 || az > 1024 || rg > 1024 {
            return Err(format!(
                "--multilook: factors from 1 to 1024, got {az}x{rg}"
            ));
        }
        Ok(Looks { az, rg })
    }
}

/// The SLC channels a matrix is formed from, in the order of the command line.
pub fn channels(matrix: Matrix) -> &'static [&'static str] {
    match matrix {
        Matrix::C2 => &[
            "S1 (co-polarised, e.g. VV)",
            "S2 (cross-polarised, e.g. VH)",
        ],
        _ => &["HH", "HV", "VH", "VV"],
    }
}

/// The matrix of one pixel from its channels, in element order (the first `planes` values).
fn pixel(matrix: Matrix, s: &[Complex64]) -> [f64; 16] {
    let mut out = [0.0; 16];
    match matrix {
        Matrix::C2 => out[..4].copy_from_slice(&slc::c2_from_dual(s[0], s[1])),
        Matrix::C3 => out[..9].copy_from_slice(&slc::c3_from_quad(s[0], s[1], s[2], s[3])),
        Matrix::T3 => out[..9].copy_from_slice(&slc::t3_from_quad(s[0], s[1], s[2], s[3])),
        Matrix::C4 => out.copy_from_slice(&slc::c4_from_quad(s[0], s[1], s[2], s[3])),
        Matrix::T4 => out.copy_from_slice(&slc::t4_from_quad(s[0], s[1], s[2], s[3])),
    }
    out
}

/// The matrix planes of a set of SLC GeoTIFFs, multilooked, as a row source.
pub struct SlcSource {
    readers: Vec<Reader>,
    matrix: Matrix,
    looks: Looks,
    /// Output size.
    width: usize,
    height: usize,
    /// One input row of each channel: real and imaginary parts.
    re: Vec<Vec<f64>>,
    im: Vec<Vec<f64>>,
    /// One output row of every plane, summed over its block.
    acc: Vec<f64>,
    /// The number of samples with data in each output pixel's block.
    count: Vec<u32>,
}

impl SlcSource {
    /// Opens the channels of `matrix` (C2: two files; the others: HH, HV, VH, VV): single-band
    /// complex GeoTIFFs (CInt16, CInt32 or CFloat32) of one size.
    pub fn open(matrix: Matrix, paths: &[PathBuf], looks: Looks) -> Result<SlcSource> {
        let names = channels(matrix);
        if paths.len() != names.len() {
            bail!(
                "{} from SLC takes {} input files ({}) and the output, got {} paths",
                matrix,
                names.len(),
                names.join(", "),
                paths.len() + 1
            );
        }
        let mut readers = Vec::with_capacity(paths.len());
        for (path, name) in paths.iter().zip(names) {
            if !is_tiff(path) {
                bail!(
                    "{}: the {name} channel must be a GeoTIFF (.tif)",
                    path.display()
                );
            }
            let r = Reader::open(path)?;
            let info = r.info();
            if !info.sample_type.is_complex() {
                bail!(
                    "{}: the {name} channel is {} (real); forming a matrix needs the complex \
                     SLC samples (CInt16, CInt32 or CFloat32)",
                    path.display(),
                    info.sample_type.name()
                );
            }
            if info.bands != 1 {
                bail!(
                    "{}: {} bands; give one single-band complex GeoTIFF per channel",
                    path.display(),
                    info.bands
                );
            }
            if let Some(first) = readers.first() {
                let f: &Reader = first;
                let (w, h) = (f.info().width, f.info().height);
                if (info.width, info.height) != (w, h) {
                    bail!(
                        "{}: {} × {} pixels, but {} has {w} × {h}: the channels must share one grid",
                        path.display(),
                        info.width,
                        info.height,
                        f.path().display()
                    );
                }
            }
            readers.push(r);
        }
        let (in_width, in_height) = (readers[0].info().width, readers[0].info().height);
        let (width, height) = (in_width / looks.rg, in_height / looks.az);
        if width == 0 || height == 0 {
            bail!(
                "{}: {in_width} × {in_height} pixels is smaller than one {}x{} multilook block",
                paths[0].display(),
                looks.az,
                looks.rg
            );
        }
        let n = readers.len();
        Ok(SlcSource {
            readers,
            matrix,
            looks,
            width,
            height,
            re: vec![vec![0.0; in_width]; n],
            im: vec![vec![0.0; in_width]; n],
            acc: vec![0.0; width * matrix.planes()],
            count: vec![0; width],
        })
    }

    /// The output's metadata: the first channel's georeferencing scaled to the multilook grid.
    pub fn output_meta(&self) -> OutputMeta {
        let geo: GeoTags = self.readers[0]
            .info()
            .geo
            .scaled(self.looks.rg, self.looks.az);
        OutputMeta {
            size: (self.width, self.height),
            files: self.files(),
            georef: Georef::Tiff(GeoTags {
                gdal_metadata: None,
                gdal_nodata: None,
                ..geo
            }),
            // pixels whose block had no data (zero in every channel) are NaN
            nodata: Some(f64::NAN),
            polar_type: None,
        }
    }

    /// The input files.
    pub fn files(&self) -> Vec<PathBuf> {
        self.readers
            .iter()
            .map(|r| r.path().to_path_buf())
            .collect()
    }

    /// Reads input row `y` of every channel.
    fn read_row(&mut self, y: usize) -> Result<(), BoxError> {
        for ((r, re), im) in self.readers.iter_mut().zip(&mut self.re).zip(&mut self.im) {
            // one row lies in one decoded block: the second read reuses it
            r.set_complex_mode(Some(ComplexMode::Real));
            r.read_rows(0, y, re)?;
            r.set_complex_mode(Some(ComplexMode::Imaginary));
            r.read_rows(0, y, im)?;
        }
        Ok(())
    }
}

impl PlaneSource<f32> for SlcSource {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn planes(&self) -> usize {
        self.matrix.planes()
    }
    fn read_planes(
        &mut self,
        y0: usize,
        rows: usize,
        bufs: &mut [&mut [f32]],
    ) -> Result<(), BoxError> {
        let (w, k) = (self.width, self.matrix.planes());
        let (az, rg) = (self.looks.az, self.looks.rg);
        let channels = self.readers.len();
        let mut s = [Complex64::new(0.0, 0.0); 4];
        for r in 0..rows {
            self.acc.fill(0.0);
            self.count.fill(0);
            for a in 0..az {
                self.read_row((y0 + r) * az + a)?;
                for x in 0..w * rg {
                    for (c, v) in s.iter_mut().enumerate().take(channels) {
                        *v = Complex64::new(self.re[c][x], self.im[c][x]);
                    }
                    // zero in every channel: outside the swath or between bursts (no data)
                    if s[..channels].iter().all(|v| v.re == 0.0 && v.im == 0.0) {
                        continue;
                    }
                    let m = pixel(self.matrix, &s);
                    let ox = x / rg;
                    self.count[ox] += 1;
                    for (p, v) in m[..k].iter().enumerate() {
                        self.acc[p * w + ox] += v;
                    }
                }
            }
            for (p, buf) in bufs.iter_mut().enumerate() {
                let dst = &mut buf[r * w..(r + 1) * w];
                let sums = &self.acc[p * w..(p + 1) * w];
                for ((d, v), &n) in dst.iter_mut().zip(sums).zip(&self.count) {
                    *d = if n == 0 {
                        f32::NAN
                    } else {
                        (v / n as f64) as f32
                    };
                }
            }
        }
        Ok(())
    }
}
