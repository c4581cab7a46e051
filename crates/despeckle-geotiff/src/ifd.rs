//! Serialisation of a TIFF header and image file directory (classic or BigTIFF, little-endian).
//!
//! The writer lays the pixel data first and the directory last, so that the directory can hold
//! the offsets of every strip or tile without the data being kept in memory ([`encode`]).
//! Cloud-optimized output lays its directories before the data instead, each directory followed
//! by its values ([`encode_dir_first`]), chained from the first to the last.

/// A tag value to write.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// SHORT (3).
    Short(Vec<u16>),
    /// LONG (4).
    Long(Vec<u32>),
    /// LONG8 (16, BigTIFF only).
    Long8(Vec<u64>),
    /// DOUBLE (12).
    Double(Vec<f64>),
    /// ASCII (2), the bytes including the final NUL.
    Ascii(Vec<u8>),
}

impl Value {
    fn type_code(&self) -> u16 {
        match self {
            Value::Short(_) => 3,
            Value::Long(_) => 4,
            Value::Long8(_) => 16,
            Value::Double(_) => 12,
            Value::Ascii(_) => 2,
        }
    }

    fn count(&self) -> u64 {
        (match self {
            Value::Short(v) => v.len(),
            Value::Long(v) => v.len(),
            Value::Long8(v) => v.len(),
            Value::Double(v) => v.len(),
            Value::Ascii(v) => v.len(),
        }) as u64
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Short(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Long(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Long8(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Double(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Ascii(v) => v.clone(),
        }
    }

    /// An ASCII value from text (a NUL terminator is appended).
    pub(crate) fn ascii(text: &str) -> Value {
        let mut b = text.as_bytes().to_vec();
        b.push(0);
        Value::Ascii(b)
    }
}

/// Bytes of the file header; its first-IFD offset is zero until patched.
pub(crate) fn header(bigtiff: bool) -> Vec<u8> {
    let mut h = b"II".to_vec();
    if bigtiff {
        h.extend_from_slice(&43u16.to_le_bytes());
        h.extend_from_slice(&8u16.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&0u64.to_le_bytes());
    } else {
        h.extend_from_slice(&42u16.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
    }
    h
}

/// Where the header keeps the first IFD's offset, and that offset's bytes.
pub(crate) fn first_ifd_pointer(bigtiff: bool, ifd_offset: u64) -> (u64, Vec<u8>) {
    if bigtiff {
        (8, ifd_offset.to_le_bytes().to_vec())
    } else {
        (4, (ifd_offset as u32).to_le_bytes().to_vec())
    }
}

/// An encoded directory: `bytes` go at file offset `start`, the directory itself at `ifd_offset`.
#[derive(Debug)]
pub(crate) struct Encoded {
    pub bytes: Vec<u8>,
    pub ifd_offset: u64,
}

fn pad_to(buf: &mut Vec<u8>, start: u64, align: u64) {
    while !(start + buf.len() as u64).is_multiple_of(align) {
        buf.push(0);
    }
}

/// Encodes `entries` (any order; sorted here) as out-of-line values followed by the directory,
/// to be written at file offset `start`. Fails, naming the reason, when a classic TIFF would
/// need an offset past 4 GiB.
pub(crate) fn encode(
    start: u64,
    entries: &mut [(u16, Value)],
    bigtiff: bool,
) -> Result<Encoded, String> {
    let mut buf = Vec::new();
    pad_to(&mut buf, start, 8);
    let values_start = start + buf.len() as u64;
    let (fields, values) = lay_out(entries, bigtiff, values_start)?;
    buf.extend_from_slice(&values);
    let ifd_offset = start + buf.len() as u64;
    buf.extend_from_slice(&directory(&fields, bigtiff, ifd_offset, 0)?);
    Ok(Encoded {
        bytes: buf,
        ifd_offset,
    })
}

/// Bytes of a directory of `entries` fields (without out-of-line values).
pub(crate) fn directory_len(entries: usize, bigtiff: bool) -> u64 {
    let n = entries as u64;
    if bigtiff {
        8 + 20 * n + 8
    } else {
        2 + 12 * n + 4
    }
}

/// Encodes `entries` (any order; sorted here) as a directory at file offset `start` (even),
/// pointing to the next directory at `next` (0: none), followed by its out-of-line values.
/// The length of the result depends on the entries' types and counts only, not on their
/// values or on `next`.
pub(crate) fn encode_dir_first(
    start: u64,
    entries: &mut [(u16, Value)],
    bigtiff: bool,
    next: u64,
) -> Result<Vec<u8>, String> {
    debug_assert!(
        start.is_multiple_of(2),
        "a directory starts on a word boundary"
    );
    let dir_len = directory_len(entries.len(), bigtiff);
    let mut gap = Vec::new();
    pad_to(&mut gap, start + dir_len, 8);
    let (fields, values) = lay_out(entries, bigtiff, start + dir_len + gap.len() as u64)?;
    let mut buf = directory(&fields, bigtiff, start, next)?;
    debug_assert_eq!(buf.len() as u64, dir_len);
    buf.extend_from_slice(&gap);
    buf.extend_from_slice(&values);
    Ok(buf)
}

/// A directory entry: tag, type, count and the value or its offset.
type Field = (u16, u16, u64, Vec<u8>);

/// Sorts `entries` and lays their out-of-line values from file offset `values_start` (a multiple
/// of 8), each value 8-aligned.
fn lay_out(
    entries: &mut [(u16, Value)],
    bigtiff: bool,
    values_start: u64,
) -> Result<(Vec<Field>, Vec<u8>), String> {
    entries.sort_by_key(|(tag, _)| *tag);
    let inline = if bigtiff { 8 } else { 4 };
    let mut values = Vec::new();
    let mut fields: Vec<Field> = Vec::with_capacity(entries.len());
    for (tag, value) in entries.iter() {
        let bytes = value.bytes();
        let field = if bytes.len() <= inline {
            let mut f = bytes;
            f.resize(inline, 0);
            f
        } else {
            let at = values_start + values.len() as u64;
            values.extend_from_slice(&bytes);
            pad_to(&mut values, values_start, 8);
            if bigtiff {
                at.to_le_bytes().to_vec()
            } else {
                let at = u32::try_from(at).map_err(|_| classic_limit())?;
                at.to_le_bytes().to_vec()
            }
        };
        fields.push((*tag, value.type_code(), value.count(), field));
    }
    Ok((fields, values))
}

/// The directory itself, to be written at file offset `at`, pointing to `next`.
fn directory(fields: &[Field], bigtiff: bool, at: u64, next: u64) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    if bigtiff {
        buf.extend_from_slice(&(fields.len() as u64).to_le_bytes());
    } else {
        u32::try_from(at).map_err(|_| classic_limit())?;
        buf.extend_from_slice(&(fields.len() as u16).to_le_bytes());
    }
    for (tag, ty, count, field) in fields {
        buf.extend_from_slice(&tag.to_le_bytes());
        buf.extend_from_slice(&ty.to_le_bytes());
        if bigtiff {
            buf.extend_from_slice(&count.to_le_bytes());
        } else {
            let count = u32::try_from(*count).map_err(|_| classic_limit())?;
            buf.extend_from_slice(&count.to_le_bytes());
        }
        buf.extend_from_slice(field);
    }
    if bigtiff {
        buf.extend_from_slice(&next.to_le_bytes());
    } else {
        let next = u32::try_from(next).map_err(|_| classic_limit())?;
        buf.extend_from_slice(&next.to_le_bytes());
    }
    Ok(buf)
}

fn classic_limit() -> String {
    "the file outgrows the 4 GiB limit of classic TIFF; write it as BigTIFF".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_layout() {
        let mut e = vec![
            (257u16, Value::Long(vec![7])),
            (256u16, Value::Long(vec![5])),
            (33550u16, Value::Double(vec![1.0, 2.0, 0.0])),
        ];
        let enc = encode(10, &mut e, false).unwrap();
        // Values start at 16 (8-aligned), 24 bytes of doubles, then the IFD at 40.
        assert_eq!(enc.ifd_offset, 40);
        let ifd = &enc.bytes[(enc.ifd_offset - 10) as usize..];
        assert_eq!(u16::from_le_bytes([ifd[0], ifd[1]]), 3);
        // Sorted: 256 first.
        assert_eq!(u16::from_le_bytes([ifd[2], ifd[3]]), 256);
        // The doubles' entry points at offset 16.
        let third = &ifd[2 + 24..2 + 36];
        assert_eq!(u32::from_le_bytes(third[8..12].try_into().unwrap()), 16);
        assert_eq!(ifd.len(), 2 + 3 * 12 + 4);
    }

    #[test]
    fn directory_first_layout() {
        let entries = || {
            vec![
                (257u16, Value::Long(vec![7])),
                (256u16, Value::Long(vec![5])),
                (33550u16, Value::Double(vec![1.0, 2.0, 0.0])),
            ]
        };
        let bytes = encode_dir_first(192, &mut entries(), false, 1000).unwrap();
        // The directory at 192 (3 entries: 2 + 36 + 4 = 42 bytes), then the doubles at 240
        // (8-aligned).
        assert_eq!(directory_len(3, false), 42);
        assert_eq!(u16::from_le_bytes([bytes[0], bytes[1]]), 3);
        assert_eq!(u16::from_le_bytes([bytes[2], bytes[3]]), 256);
        let third = &bytes[2 + 24..2 + 36];
        assert_eq!(u32::from_le_bytes(third[8..12].try_into().unwrap()), 240);
        assert_eq!(u32::from_le_bytes(bytes[38..42].try_into().unwrap()), 1000);
        assert_eq!(bytes.len(), 240 - 192 + 24);
        assert_eq!(f64::from_le_bytes(bytes[48..56].try_into().unwrap()), 1.0);
        // The length does not depend on `next`; BigTIFF's directory is 8 + 20n + 8 bytes.
        assert_eq!(
            encode_dir_first(192, &mut entries(), false, 0)
                .unwrap()
                .len(),
            bytes.len()
        );
        let big = encode_dir_first(200, &mut entries(), true, 0).unwrap();
        assert_eq!(directory_len(3, true), 76);
        assert_eq!(big.len(), 80 + 24);
    }

    #[test]
    fn classic_refuses_big_offsets() {
        let mut e = vec![(33550u16, Value::Double(vec![1.0, 2.0, 0.0]))];
        assert!(encode(u32::MAX as u64 + 10, &mut e, false).is_err());
        assert!(encode(u32::MAX as u64 + 10, &mut e, true).is_ok());
    }
}
