//! Single-band ENVI rasters written row by row: float32 or float64, band sequential,
//! little-endian, the data file and its header renamed into place together.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use despeckle::{BoxError, RowSink};

use crate::error::{Error, Result};
use crate::header::{ByteOrder, DataType, Header, Interleave};
use crate::output::{FileSet, OutputOptions};

/// A sample type written: `f32` (ENVI data type 4) or `f64` (5).
pub trait WriteValue: Copy + private::Sealed {
    /// The ENVI data type.
    const DATA_TYPE: DataType;
    /// Appends the little-endian bytes of `rows` to `out`.
    fn extend_le(rows: &[Self], out: &mut Vec<u8>);
}

macro_rules! write_value {
    ($t:ty, $dt:ident, $n:literal) => {
        impl WriteValue for $t {
            const DATA_TYPE: DataType = DataType::$dt;
            fn extend_le(rows: &[$t], out: &mut Vec<u8>) {
                let start = out.len();
                out.resize(start + rows.len() * $n, 0);
                for (o, v) in out[start..].chunks_exact_mut($n).zip(rows) {
                    o.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    };
}

write_value!(f32, F32, 4);
write_value!(f64, F64, 8);

mod private {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Values converted to bytes at a time (64 Ki values: 256 or 512 KiB).
const PIECE_VALUES: usize = 1 << 16;

/// One band being written into a [`FileSet`]: its data file, header file and progress.
#[derive(Debug)]
pub(crate) struct BandOut<T> {
    data: usize,
    header_file: usize,
    data_path: PathBuf,
    header: Header,
    rows: usize,
    bytes: Vec<u8>,
    _t: PhantomData<T>,
}

impl<T: WriteValue> BandOut<T> {
    /// Starts `data` and `header_path` in `set`; `header` gives the size and the metadata
    /// (its layout fields are set here: one band, `T`'s type, bsq, little-endian, no offset).
    pub(crate) fn create(
        set: &mut FileSet,
        data: &Path,
        header_path: &Path,
        mut header: Header,
    ) -> Result<BandOut<T>> {
        header.bands = 1;
        header.header_offset = 0;
        header.data_type = T::DATA_TYPE;
        header.interleave = Interleave::Bsq;
        header.byte_order = ByteOrder::Little;
        header.band_names.truncate(1);
        if header.samples == 0 || header.lines == 0 {
            return Err(Error::OutOfRange {
                path: data.to_path_buf(),
                reason: format!("an empty raster ({} x {})", header.samples, header.lines),
            });
        }
        let data_i = set.create(data)?;
        let header_i = set.create(header_path)?;
        Ok(BandOut {
            data: data_i,
            header_file: header_i,
            data_path: data.to_path_buf(),
            header,
            rows: 0,
            bytes: Vec::new(),
            _t: PhantomData,
        })
    }

    /// Appends rows `y0 ..`; rows come in order, each once.
    pub(crate) fn write(&mut self, set: &mut FileSet, y0: usize, rows: &[T]) -> Result<()> {
        let (w, h) = (self.header.samples, self.header.lines);
        let n = rows.len() / w;
        if y0 != self.rows || !rows.len().is_multiple_of(w) || y0 + n > h {
            return Err(Error::OutOfRange {
                path: self.data_path.clone(),
                reason: format!(
                    "rows {y0}..{} ({} values) written after {} of {h} rows of width {w}: rows go in order, each once",
                    y0 + n,
                    rows.len(),
                    self.rows
                ),
            });
        }
        // in pieces: the copy stays small whatever the block of rows
        for piece in rows.chunks(PIECE_VALUES) {
            self.bytes.clear();
            T::extend_le(piece, &mut self.bytes);
            set.write(self.data, &self.bytes)?;
        }
        self.rows += n;
        Ok(())
    }

    /// Writes the header once every row is there.
    pub(crate) fn finish(&self, set: &mut FileSet) -> Result<()> {
        if self.rows != self.header.lines {
            return Err(Error::OutOfRange {
                path: self.data_path.clone(),
                reason: format!(
                    "unfinished: {} of {} rows written",
                    self.rows, self.header.lines
                ),
            });
        }
        set.write(self.header_file, self.header.to_text().as_bytes())
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }
}

/// Writes one band of an ENVI raster row by row (float32 or float64, band sequential,
/// little-endian) as a [`RowSink`]: the data file and its header are written under temporary
/// names and renamed into place by [`BandWriter::finish`]; dropped unfinished, or on error,
/// nothing is left.
#[derive(Debug)]
pub struct BandWriter<T: WriteValue> {
    set: FileSet,
    band: BandOut<T>,
}

impl<T: WriteValue> BandWriter<T> {
    /// Starts writing `data` and its header `header_path` (e.g. `out.img` and `out.hdr`, or
    /// `C11.bin` and `C11.bin.hdr`). `header` gives the size and the metadata kept (band
    /// name, description, map info, coordinate system string, no-data); its layout fields
    /// are set by the writer.
    pub fn create(
        data: &Path,
        header_path: &Path,
        header: Header,
        opts: &OutputOptions,
    ) -> Result<BandWriter<T>> {
        let mut set = FileSet::new(opts);
        let band = BandOut::create(&mut set, data, header_path, header)?;
        Ok(BandWriter { set, band })
    }

    /// Appends rows `y0 .. y0 + rows.len() / width`, in order.
    pub fn write(&mut self, y0: usize, rows: &[T]) -> Result<()> {
        self.band.write(&mut self.set, y0, rows)
    }

    /// The header that will be written.
    pub fn header(&self) -> &Header {
        self.band.header()
    }

    /// Writes the header and renames both files into place (every row must be written).
    pub fn finish(self) -> Result<()> {
        let BandWriter { mut set, band } = self;
        band.finish(&mut set)?;
        set.commit()
    }
}

impl<T: WriteValue> RowSink<T> for BandWriter<T> {
    fn write_rows(&mut self, y0: usize, rows: &[T]) -> Result<(), BoxError> {
        Ok(self.write(y0, rows)?)
    }
}
