//! The ENVI header (`.hdr`): a text file of `key = value` lines, values in braces `{...}`
//! possibly spanning lines, that describes a headerless binary raster.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::text::read_text;

/// The largest header read: 4 MiB (thousands of band names fit easily).
pub const MAX_HEADER_BYTES: u64 = 4 << 20;

/// The sample type of an ENVI raster (`data type` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// 1: unsigned 8-bit.
    U8,
    /// 2: signed 16-bit.
    I16,
    /// 3: signed 32-bit.
    I32,
    /// 4: 32-bit float.
    F32,
    /// 5: 64-bit float.
    F64,
    /// 6: complex of two 32-bit floats (real, imaginary).
    C32,
    /// 9: complex of two 64-bit floats (real, imaginary).
    C64,
    /// 12: unsigned 16-bit.
    U16,
    /// 13: unsigned 32-bit.
    U32,
    /// 14: signed 64-bit.
    I64,
    /// 15: unsigned 64-bit.
    U64,
}

impl DataType {
    /// The type of an ENVI `data type` code; `None` for other codes.
    pub fn from_code(code: u32) -> Option<DataType> {
        Some(match code {
            1 => DataType::U8,
            2 => DataType::I16,
            3 => DataType::I32,
            4 => DataType::F32,
            5 => DataType::F64,
            6 => DataType::C32,
            9 => DataType::C64,
            12 => DataType::U16,
            13 => DataType::U32,
            14 => DataType::I64,
            15 => DataType::U64,
            _ => return None,
        })
    }

    /// The ENVI `data type` code.
    pub fn code(self) -> u32 {
        match self {
            DataType::U8 => 1,
            DataType::I16 => 2,
            DataType::I32 => 3,
            DataType::F32 => 4,
            DataType::F64 => 5,
            DataType::C32 => 6,
            DataType::C64 => 9,
            DataType::U16 => 12,
            DataType::U32 => 13,
            DataType::I64 => 14,
            DataType::U64 => 15,
        }
    }

    /// Bytes per sample (both parts of a complex sample).
    pub fn bytes(self) -> usize {
        match self {
            DataType::U8 => 1,
            DataType::I16 | DataType::U16 => 2,
            DataType::I32 | DataType::U32 | DataType::F32 => 4,
            DataType::F64 | DataType::I64 | DataType::U64 | DataType::C32 => 8,
            DataType::C64 => 16,
        }
    }

    /// Whether samples are complex (two parts).
    pub fn is_complex(self) -> bool {
        matches!(self, DataType::C32 | DataType::C64)
    }

    /// Whether every value of this type is exactly a float32 (u8, i16, u16, f32, complex
    /// f32); the others may round or overflow when read as float32.
    pub fn fits_f32(self) -> bool {
        matches!(
            self,
            DataType::U8 | DataType::I16 | DataType::U16 | DataType::F32 | DataType::C32
        )
    }

    /// A name for messages: `uint8`, `int16`, ..., `float32`, `complex64` (two float32).
    pub fn name(self) -> &'static str {
        match self {
            DataType::U8 => "uint8",
            DataType::I16 => "int16",
            DataType::I32 => "int32",
            DataType::F32 => "float32",
            DataType::F64 => "float64",
            DataType::C32 => "complex64",
            DataType::C64 => "complex128",
            DataType::U16 => "uint16",
            DataType::U32 => "uint32",
            DataType::I64 => "int64",
            DataType::U64 => "uint64",
        }
    }
}

/// How the bands of an ENVI raster are interleaved (`interleave` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Interleave {
    /// Band sequential: every row of band 0, then of band 1, ...
    #[default]
    Bsq,
    /// Band interleaved by line: row 0 of every band, then row 1, ...
    Bil,
    /// Band interleaved by pixel: every band of pixel 0, then of pixel 1, ...
    Bip,
}

impl Interleave {
    /// The header's spelling: `bsq`, `bil`, `bip`.
    pub fn name(self) -> &'static str {
        match self {
            Interleave::Bsq => "bsq",
            Interleave::Bil => "bil",
            Interleave::Bip => "bip",
        }
    }
}

/// The byte order of the samples (`byte order` field: 0 little-endian, 1 big-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ByteOrder {
    /// 0: least significant byte first (Intel; PolSARpro, GDAL on x86).
    #[default]
    Little,
    /// 1: most significant byte first (ESA SNAP's BEAM-DIMAP bands).
    Big,
}

/// An ENVI header: the layout of the binary file and the metadata kept from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Columns (`samples`).
    pub samples: usize,
    /// Rows (`lines`).
    pub lines: usize,
    /// Bands (`bands`).
    pub bands: usize,
    /// Bytes before the first sample (`header offset`, default 0).
    pub header_offset: u64,
    /// `file type` (default `ENVI Standard`).
    pub file_type: String,
    /// The sample type (`data type`).
    pub data_type: DataType,
    /// Band interleave (`interleave`, default `bsq`).
    pub interleave: Interleave,
    /// Sample byte order (`byte order`, default 0: little-endian, as GDAL assumes too).
    pub byte_order: ByteOrder,
    /// `band names`, if given (one per band).
    pub band_names: Vec<String>,
    /// `description`, if given (without braces).
    pub description: Option<String>,
    /// `map info`, kept verbatim without its braces (projection, tie point, pixel size).
    pub map_info: Option<String>,
    /// `coordinate system string`, kept verbatim without its braces (a WKT).
    pub coordinate_system: Option<String>,
    /// `geo points`, kept verbatim without its braces: ground control points, four numbers
    /// each (pixel x, pixel y, 1-based corner convention; latitude, longitude).
    pub geo_points: Option<String>,
    /// `data ignore value`: the no-data value.
    pub no_data: Option<f64>,
}

impl Header {
    /// A header for a single-band band-sequential raster in native little-endian order.
    pub fn new(samples: usize, lines: usize, data_type: DataType) -> Header {
        Header {
            samples,
            lines,
            bands: 1,
            header_offset: 0,
            file_type: "ENVI Standard".into(),
            data_type,
            interleave: Interleave::Bsq,
            byte_order: ByteOrder::Little,
            band_names: Vec::new(),
            description: None,
            map_info: None,
            coordinate_system: None,
            geo_points: None,
            no_data: None,
        }
    }

    /// Reads and parses the header file `path` (at most [`MAX_HEADER_BYTES`]).
    pub fn read(path: &Path) -> Result<Header> {
        let text = read_text(path, MAX_HEADER_BYTES, "ENVI header")?;
        Header::parse(&text, path)
    }

    /// Parses header text; `path` names the file in errors.
    ///
    /// The text must start with `ENVI`. Keys are matched without case and with blanks
    /// collapsed; unknown keys and `;` comment lines are ignored. `samples`, `lines`, `bands`
    /// and `data type` are required.
    pub fn parse(text: &str, path: &Path) -> Result<Header> {
        let bad = |reason: String| Error::header(path, reason);
        let text = text.trim_start_matches('\u{feff}');
        let mut lines = text.lines();
        match lines.next() {
            Some(first) if first.trim() == "ENVI" => {}
            _ => return Err(bad("the first line is not `ENVI`".into())),
        }
        let fields = fields(lines).map_err(bad)?;
        let get = |key: &str| fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
        let int = |key: &'static str| -> Result<Option<u64>> {
            get(key)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| bad(format!("`{key} = {}` is not a whole number", v.trim())))
                })
                .transpose()
        };
        let required = |key: &'static str| -> Result<u64> {
            int(key)?.ok_or_else(|| bad(format!("no `{key}` field")))
        };
        let count = |key: &'static str| -> Result<usize> {
            let v = required(key)?;
            if v == 0 {
                return Err(bad(format!("`{key} = 0`: the raster is empty")));
            }
            usize::try_from(v).map_err(|_| bad(format!("`{key} = {v}` is too large")))
        };
        let samples = count("samples")?;
        let lines = count("lines")?;
        let bands = count("bands")?;
        let code = required("data type")?;
        let data_type = u32::try_from(code)
            .ok()
            .and_then(DataType::from_code)
            .ok_or_else(|| {
                bad(format!(
                    "`data type = {code}` is not one of 1, 2, 3, 4, 5, 6, 9, 12, 13, 14, 15"
                ))
            })?;
        let interleave = match get("interleave").map(|v| v.trim().to_ascii_lowercase()) {
            None => Interleave::Bsq,
            Some(v) => match v.as_str() {
                "bsq" => Interleave::Bsq,
                "bil" => Interleave::Bil,
                "bip" => Interleave::Bip,
                _ => return Err(bad(format!("`interleave = {v}` is not bsq, bil or bip"))),
            },
        };
        let byte_order = match int("byte order")? {
            None | Some(0) => ByteOrder::Little,
            Some(1) => ByteOrder::Big,
            Some(v) => return Err(bad(format!("`byte order = {v}` is not 0 or 1"))),
        };
        let header_offset = int("header offset")?.unwrap_or(0);
        let band_names: Vec<String> = match get("band names") {
            Some(v) => list(v),
            None => Vec::new(),
        };
        if !band_names.is_empty() && band_names.len() != bands {
            return Err(bad(format!(
                "{} band names for {bands} band(s)",
                band_names.len()
            )));
        }
        let no_data = match get("data ignore value") {
            None => None,
            Some(v) => Some(v.trim().parse::<f64>().map_err(|_| {
                bad(format!(
                    "`data ignore value = {}` is not a number",
                    v.trim()
                ))
            })?),
        };
        let text_field = |key: &str| {
            get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Ok(Header {
            samples,
            lines,
            bands,
            header_offset,
            file_type: text_field("file type").unwrap_or_else(|| "ENVI Standard".into()),
            data_type,
            interleave,
            byte_order,
            band_names,
            description: text_field("description"),
            map_info: text_field("map info"),
            coordinate_system: text_field("coordinate system string"),
            geo_points: text_field("geo points"),
            no_data,
        })
    }

    /// The header as ENVI text (fields GDAL and ENVI read; braces around lists and text).
    pub fn to_text(&self) -> String {
        let mut s = String::from("ENVI\n");
        let mut field = |k: &str, v: &dyn std::fmt::Display| {
            let _ = writeln!(s, "{k} = {v}");
        };
        if let Some(d) = &self.description {
            field("description", &format!("{{{}}}", clean(d)));
        }
        field("samples", &self.samples);
        field("lines", &self.lines);
        field("bands", &self.bands);
        field("header offset", &self.header_offset);
        field("file type", &clean(&self.file_type));
        field("data type", &self.data_type.code());
        field("interleave", &self.interleave.name());
        field(
            "byte order",
            &match self.byte_order {
                ByteOrder::Little => 0,
                ByteOrder::Big => 1,
            },
        );
        if let Some(m) = &self.map_info {
            field("map info", &format!("{{{}}}", clean(m)));
        }
        if let Some(c) = &self.coordinate_system {
            field("coordinate system string", &format!("{{{}}}", clean(c)));
        }
        if let Some(g) = &self.geo_points {
            field("geo points", &format!("{{{}}}", clean(g)));
        }
        if let Some(v) = self.no_data {
            field("data ignore value", &number(v));
        }
        if !self.band_names.is_empty() {
            let names: Vec<String> = self.band_names.iter().map(|n| clean(n)).collect();
            field("band names", &format!("{{ {} }}", names.join(", ")));
        }
        s
    }

    /// Bytes of the samples: samples × lines × bands × sample size (`None` on overflow).
    pub fn data_bytes(&self) -> Option<u64> {
        (self.samples as u64)
            .checked_mul(self.lines as u64)?
            .checked_mul(self.bands as u64)?
            .checked_mul(self.data_type.bytes() as u64)
    }

    /// The layout in words, for messages: `3 x 2 x 1 float32 after 0 header bytes`.
    pub fn layout(&self) -> String {
        format!(
            "{} x {} x {} {} after {} header bytes",
            self.samples,
            self.lines,
            self.bands,
            self.data_type.name(),
            self.header_offset
        )
    }
}

/// A number as the header writes it: `nan`, `inf`, `-inf` (GDAL's spellings) or Rust's
/// shortest exact decimal.
fn number(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{v}")
    }
}

/// Text safe inside braces and on one line: braces and line breaks become blanks.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '{' | '}' | '\n' | '\r' => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The `key = value` fields after the first line, keys normalised (lower case, single
/// blanks), brace values joined across lines without their braces.
fn fields<'a>(
    mut lines: impl Iterator<Item = &'a str>,
) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.is_empty() || t.starts_with(';') {
            continue;
        }
        let Some((key, value)) = t.split_once('=') else {
            continue;
        };
        let key = key
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        let value = value.trim();
        let value = if let Some(rest) = value.strip_prefix('{') {
            let mut body = rest.to_string();
            while !body.contains('}') {
                match lines.next() {
                    Some(more) => {
                        body.push('\n');
                        body.push_str(more);
                    }
                    None => return Err(format!("`{key}`: no closing brace")),
                }
            }
            let end = body.find('}').expect("contains a brace");
            body.truncate(end);
            body.trim().to_string()
        } else {
            value.to_string()
        };
        out.push((key, value));
    }
    Ok(out)
}

/// A brace list split at commas, items trimmed.
fn list(v: &str) -> Vec<String> {
    v.split(',').map(|s| s.trim().to_string()).collect()
}

/// The header file of a data file as GDAL looks for it: `NAME.hdr` beside `NAME.img`
/// (extension replaced), else `NAME.img.hdr` (appended, as PolSARpro writes `C11.bin.hdr`);
/// `None` if neither exists.
pub fn find_header(data: &Path) -> Option<PathBuf> {
    [data.with_extension("hdr"), appended_hdr(data)]
        .into_iter()
        .find(|p| p.is_file())
}

/// `NAME.ext.hdr`: the header name with `.hdr` appended to the data file's name.
pub(crate) fn appended_hdr(data: &Path) -> PathBuf {
    let mut s = data.as_os_str().to_owned();
    s.push(".hdr");
    PathBuf::from(s)
}
