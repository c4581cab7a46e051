//! An ENVI raster (a headerless binary file and its `.hdr`) read band by band, row by row.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use despeckle::{BoxError, RowSource};
use despeckle_geotiff::temp::open_input;

use crate::error::{Error, Result};
use crate::header::{ByteOrder, DataType, Header, Interleave, find_header};

/// The most bytes a reader holds besides the caller's rows: 1 MiB of file data at a time.
pub const READ_CHUNK_BYTES: usize = 1 << 20;

/// Which part of a complex sample a reader yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplexPart {
    /// The real part.
    Re,
    /// The imaginary part.
    Im,
}

/// An ENVI raster: the data file, its header, checked against the file's length.
#[derive(Debug, Clone)]
pub struct Raster {
    path: PathBuf,
    header_path: PathBuf,
    header: Header,
}

impl Raster {
    /// Opens the data file `data` with its header found as GDAL does (`NAME.hdr`, else
    /// `NAME.img.hdr`, see [`find_header`]).
    pub fn open(data: &Path) -> Result<Raster> {
        let header_path = find_header(data).ok_or_else(|| Error::Header {
            path: data.to_path_buf(),
            reason: format!(
                "no header beside the data file (looked for {} and {}.hdr)",
                data.with_extension("hdr").display(),
                data.display()
            ),
        })?;
        Raster::open_with_header(data, &header_path)
    }

    /// Opens the data file `data` described by the header file `header_path`.
    pub fn open_with_header(data: &Path, header_path: &Path) -> Result<Raster> {
        let header = Header::read(header_path)?;
        Raster::with_header(data, header, header_path)
    }

    /// Opens the data file `data` described by `header` (read from `header_path`, which
    /// names it in messages): the file must be a regular file at least as long as the
    /// header declares.
    pub fn with_header(data: &Path, header: Header, header_path: &Path) -> Result<Raster> {
        let file = open_input(data)?;
        let actual = file.metadata().map_err(|e| Error::read_io(data, e))?.len();
        let expected = header
            .data_bytes()
            .and_then(|n| n.checked_add(header.header_offset));
        match expected {
            Some(expected) if expected <= actual => {}
            _ => {
                return Err(Error::Truncated {
                    path: data.to_path_buf(),
                    expected: expected.unwrap_or(u64::MAX),
                    actual,
                    what: header.layout(),
                });
            }
        }
        Ok(Raster {
            path: data.to_path_buf(),
            header_path: header_path.to_path_buf(),
            header,
        })
    }

    /// The data file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header file.
    pub fn header_path(&self) -> &Path {
        &self.header_path
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Width (`samples`).
    pub fn width(&self) -> usize {
        self.header.samples
    }

    /// Height (`lines`).
    pub fn height(&self) -> usize {
        self.header.lines
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.header.bands
    }

    /// A row reader of band `band` (from 0) of a real-valued raster; complex rasters are
    /// read one part at a time with [`Raster::band_part`].
    pub fn band(&self, band: usize) -> Result<BandReader> {
        if self.header.data_type.is_complex() {
            return Err(Error::Unsupported {
                path: self.path.clone(),
                what: format!(
                    "complex samples ({}) as one real band: read the real and the imaginary part as two planes",
                    self.header.data_type.name()
                ),
            });
        }
        self.reader(band, None)
    }

    /// A row reader of the real or imaginary part of band `band` of a complex raster.
    pub fn band_part(&self, band: usize, part: ComplexPart) -> Result<BandReader> {
        if !self.header.data_type.is_complex() {
            return Err(Error::Unsupported {
                path: self.path.clone(),
                what: format!(
                    "a complex part of real samples ({})",
                    self.header.data_type.name()
                ),
            });
        }
        self.reader(band, Some(part))
    }

    fn reader(&self, band: usize, part: Option<ComplexPart>) -> Result<BandReader> {
        let h = &self.header;
        if band >= h.bands {
            return Err(Error::OutOfRange {
                path: self.path.clone(),
                reason: format!(
                    "band {band} out of range: the raster has {} band(s), numbered from 0",
                    h.bands
                ),
            });
        }
        let file = open_input(&self.path)?;
        let sample = h.data_type.bytes();
        let stride = match h.interleave {
            Interleave::Bip => sample * h.bands,
            Interleave::Bsq | Interleave::Bil => sample,
        };
        Ok(BandReader {
            file,
            pos: None,
            path: self.path.clone(),
            header: h.clone(),
            band,
            part,
            stride,
            chunk_pixels: (READ_CHUNK_BYTES / stride).max(1),
            scratch: Vec::new(),
            scale: None,
        })
    }
}

/// Reads one band (or one part of a complex band) of an ENVI raster row by row, as
/// [`RowSource<f32>`] or [`RowSource<f64>`], whatever the interleave and byte order; holds
/// at most [`READ_CHUNK_BYTES`] of file data besides the caller's rows.
///
/// Integer and float64 samples read as `f32` are rounded to the nearest float32; a finite
/// value beyond float32's range is an error ([`Error::ValueRange`]), never ±∞. 64-bit
/// integers beyond 2⁵³ round to the nearest float64.
#[derive(Debug)]
pub struct BandReader {
    file: File,
    /// Where the file's cursor is, if known.
    pos: Option<u64>,
    path: PathBuf,
    header: Header,
    band: usize,
    part: Option<ComplexPart>,
    /// Bytes from one pixel of the band to the next in the file.
    stride: usize,
    chunk_pixels: usize,
    scratch: Vec<u8>,
    scale: Option<(f64, f64)>,
}

impl BandReader {
    /// Image width.
    pub fn width(&self) -> usize {
        self.header.samples
    }

    /// Image height.
    pub fn height(&self) -> usize {
        self.header.lines
    }

    /// The band's no-data value (`data ignore value`), if any.
    pub fn no_data(&self) -> Option<f64> {
        self.header.no_data
    }

    /// The data file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header of the raster this band belongs to.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Returns values `stored × factor + offset` (BEAM-DIMAP's scaled bands), computed in
    /// float64.
    pub fn with_scaling(mut self, factor: f64, offset: f64) -> BandReader {
        self.scale = (factor != 1.0 || offset != 0.0).then_some((factor, offset));
        self
    }

    /// Sets the no-data value reported by [`BandReader::no_data`] (e.g. BEAM-DIMAP's, which
    /// its document holds).
    pub fn with_no_data(mut self, no_data: Option<f64>) -> BandReader {
        self.header.no_data = no_data;
        self
    }

    /// Reads rows `y0 .. y0 + buf.len() / width` into `buf` (row-major).
    pub fn read<T: Value>(&mut self, y0: usize, buf: &mut [T]) -> Result<()> {
        let (w, h) = (self.header.samples, self.header.lines);
        let rows = buf.len() / w;
        if !buf.len().is_multiple_of(w) || y0.checked_add(rows).is_none_or(|end| end > h) {
            return Err(Error::OutOfRange {
                path: self.path.clone(),
                reason: format!(
                    "rows {y0}..{} (a buffer of {} values) out of range: the raster is {w} x {h}",
                    y0.saturating_add(rows),
                    buf.len()
                ),
            });
        }
        let sample = self.header.data_type.bytes() as u64;
        let (off, bands, lines, width) = (
            self.header.header_offset,
            self.header.bands as u64,
            h as u64,
            w as u64,
        );
        let band = self.band as u64;
        match self.header.interleave {
            Interleave::Bsq => {
                // all the rows are one run
                let start = off + ((band * lines + y0 as u64) * width) * sample;
                self.read_run(start, y0, 0, buf)?;
            }
            Interleave::Bil | Interleave::Bip => {
                for (i, row) in buf.chunks_exact_mut(w).enumerate() {
                    let y = (y0 + i) as u64;
                    let start = match self.header.interleave {
                        Interleave::Bil => off + ((y * bands + band) * width) * sample,
                        _ => off + (y * width * bands + band) * sample,
                    };
                    self.read_run(start, y0 + i, 0, row)?;
                }
            }
        }
        Ok(())
    }

    /// Reads `out.len()` pixels starting at byte `start`, `self.stride` bytes apart, in
    /// chunks of at most [`READ_CHUNK_BYTES`]; `y`, `x` locate `out[0]` for messages.
    fn read_run<T: Value>(&mut self, start: u64, y: usize, x: usize, out: &mut [T]) -> Result<()> {
        let sample = self.header.data_type.bytes();
        let mut done = 0;
        while done < out.len() {
            let n = self.chunk_pixels.min(out.len() - done);
            let at = start + (done * self.stride) as u64;
            let len = (n - 1) * self.stride + sample;
            self.fill(at, len)?;
            let dst = &mut out[done..done + n];
            if let Err((i, value)) = decode(
                &self.scratch,
                &self.header,
                self.part,
                self.stride,
                self.scale,
                dst,
            ) {
                let index = x + done + i;
                let w = self.header.samples;
                return Err(Error::ValueRange {
                    path: self.path.clone(),
                    value,
                    row: y + index / w,
                    col: index % w,
                });
            }
            done += n;
        }
        Ok(())
    }

    /// Reads `len` bytes at `at` into the scratch buffer.
    fn fill(&mut self, at: u64, len: usize) -> Result<()> {
        let rd = |e| Error::read_io(&self.path, e);
        if self.pos != Some(at) {
            self.file.seek(SeekFrom::Start(at)).map_err(rd)?;
        }
        self.scratch.resize(len, 0);
        self.pos = None;
        self.file.read_exact(&mut self.scratch).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::Truncated {
                    path: self.path.clone(),
                    expected: at + len as u64,
                    actual: self.file.metadata().map(|m| m.len()).unwrap_or(0),
                    what: self.header.layout(),
                }
            } else {
                Error::read_io(&self.path, e)
            }
        })?;
        self.pos = Some(at + len as u64);
        Ok(())
    }
}

/// A sample type rows are read as: `f32` or `f64`.
pub trait Value: Copy + private::Sealed {
    /// The value, or `None` if a finite value does not fit.
    fn from_f64(v: f64) -> Option<Self>;
}

impl Value for f64 {
    fn from_f64(v: f64) -> Option<f64> {
        Some(v)
    }
}

impl Value for f32 {
    fn from_f64(v: f64) -> Option<f32> {
        let r = v as f32;
        (r.is_finite() || !v.is_finite()).then_some(r)
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Decodes `out.len()` samples `stride` bytes apart from `bytes`; `Err((index, value))` for
/// the first value that does not fit `T`.
fn decode<T: Value>(
    bytes: &[u8],
    h: &Header,
    part: Option<ComplexPart>,
    stride: usize,
    scale: Option<(f64, f64)>,
    out: &mut [T],
) -> std::result::Result<(), (usize, f64)> {
    let big = h.byte_order == ByteOrder::Big;
    let half = h.data_type.bytes() / 2;
    let part_off = match part {
        Some(ComplexPart::Im) => half,
        _ => 0,
    };
    macro_rules! run {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            for (i, o) in out.iter_mut().enumerate() {
                let s = i * stride + part_off;
                let raw: [u8; N] = bytes[s..s + N].try_into().expect("N bytes");
                let v = if big {
                    <$t>::from_be_bytes(raw)
                } else {
                    <$t>::from_le_bytes(raw)
                } as f64;
                let v = match scale {
                    Some((f, a)) => v * f + a,
                    None => v,
                };
                *o = T::from_f64(v).ok_or((i, v))?;
            }
        }};
    }
    match h.data_type {
        DataType::U8 => run!(u8),
        DataType::I16 => run!(i16),
        DataType::U16 => run!(u16),
        DataType::I32 => run!(i32),
        DataType::U32 => run!(u32),
        DataType::I64 => run!(i64),
        DataType::U64 => run!(u64),
        DataType::F32 | DataType::C32 => run!(f32),
        DataType::F64 | DataType::C64 => run!(f64),
    }
    Ok(())
}

impl<T: Value> RowSource<T> for BandReader {
    fn width(&self) -> usize {
        self.header.samples
    }
    fn height(&self) -> usize {
        self.header.lines
    }
    fn read_rows(&mut self, y0: usize, buf: &mut [T]) -> Result<(), BoxError> {
        Ok(self.read(y0, buf)?)
    }
}
