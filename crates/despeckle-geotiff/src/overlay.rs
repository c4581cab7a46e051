//! A look at the file header and first IFD before the `tiff` crate decodes it, and a reader
//! that presents complex samples to `tiff` as integers or floats of the same width.
//!
//! The `tiff` crate (0.11) decodes strips and tiles of any integer or float samples with every
//! compression and predictor we need, but refuses `SampleFormat` 5 (complex integer) and
//! 6 (complex float). A complex sample is two parts stored one after the other, so
//! `CInt16` has the bits of a 32-bit integer and `CFloat32` those of a 64-bit float. Presenting the
//! `SampleFormat` tag as 2 (int) or 3 (float) makes `tiff` decode, un-predict and byte-swap the
//! sample exactly as libtiff does for these files (libtiff's predictors also work on the whole
//! 32- or 64-bit sample); [`convert`](crate::convert) then splits the native integer into its
//! two parts according to the file's byte order. Only the bytes of that one tag value are
//! replaced, in memory, nothing is written.

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};

/// TIFF tag number of `SampleFormat`.
const TAG_SAMPLE_FORMAT: u16 = 339;
/// Most IFD entries we are willing to scan (a real GeoTIFF has a few dozen).
const MAX_ENTRIES: u64 = 4096;

/// What the header and the first IFD say, before any decoding.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scan {
    /// `MM` byte order.
    pub big_endian: bool,
    /// BigTIFF header (version 43).
    pub bigtiff: bool,
    /// The raw `SampleFormat` values of the first image, if the tag is present and readable.
    pub sample_format: Option<Vec<u16>>,
    /// Bytes to present differently: (file offset, byte).
    pub patches: Vec<(u64, u8)>,
    /// Why the first IFD cannot be trusted, if it cannot: more entries than any real file has,
    /// a tag given twice with different values, or a tag whose value runs past the end of the
    /// file. Checked before the `tiff` crate reads
    /// the directory, which would otherwise allocate what the counts declare, not what the
    /// file holds.
    pub damage: Option<String>,
}

struct Bytes {
    big_endian: bool,
}

impl Bytes {
    fn u16(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }
    fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    fn u64(&self, b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        if self.big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }
}

/// Bytes of one value of TIFF field type `code`, or `None` for an unknown type.
fn type_bytes(code: u16) -> Option<u64> {
    Some(match code {
        1 | 2 | 6 | 7 => 1,         // BYTE, ASCII, SBYTE, UNDEFINED
        3 | 8 => 2,                 // SHORT, SSHORT
        4 | 9 | 11 | 13 => 4,       // LONG, SLONG, FLOAT, IFD
        5 | 10 | 12 | 16..=18 => 8, // RATIONAL, SRATIONAL, DOUBLE, LONG8, SLONG8, IFD8
        _ => return None,
    })
}

/// Reads exactly `buf.len()` bytes at `at`; `Ok(false)` if the file is too short.
fn read_at(r: &mut (impl Read + Seek), at: u64, buf: &mut [u8]) -> io::Result<bool> {
    r.seek(SeekFrom::Start(at))?;
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Looks at the header and the first IFD. Returns `Ok(None)` when the file is not a TIFF or is
/// too short to tell (the `tiff` decoder then reports the precise problem).
pub(crate) fn scan(r: &mut (impl Read + Seek)) -> io::Result<Option<Scan>> {
    let mut head = [0u8; 16];
    if !read_at(r, 0, &mut head[..8])? {
        return Ok(None);
    }
    let big_endian = match &head[..2] {
        b"II" => false,
        b"MM" => true,
        _ => return Ok(None),
    };
    let b = Bytes { big_endian };
    let (bigtiff, ifd) = match b.u16(&head[2..4]) {
        42 => (false, u64::from(b.u32(&head[4..8]))),
        43 => {
            if !read_at(r, 0, &mut head)? {
                return Ok(None);
            }
            (true, b.u64(&head[8..16]))
        }
        _ => return Ok(None),
    };
    let mut scan = Scan {
        big_endian,
        bigtiff,
        ..Scan::default()
    };

    let (count_len, entry_len, value_at, inline) = if bigtiff {
        (8usize, 20u64, 12u64, 8u64)
    } else {
        (2, 12, 8, 4)
    };
    let mut count_buf = [0u8; 8];
    if !read_at(r, ifd, &mut count_buf[..count_len])? {
        return Ok(Some(scan));
    }
    let count = if bigtiff {
        b.u64(&count_buf)
    } else {
        u64::from(b.u16(&count_buf))
    };
    if count > MAX_ENTRIES {
        scan.damage = Some(format!(
            "the first image directory declares {count} entries (at most {MAX_ENTRIES} read)"
        ));
        return Ok(Some(scan));
    }
    if count == 0 {
        return Ok(Some(scan));
    }
    let first_entry = ifd + count_len as u64;
    // The entries the file holds: `tiff` reports a directory cut short, but only after reading
    // (and allocating for) the entries before the cut.
    let file_len = r.seek(SeekFrom::End(0))?;
    let present = (count * entry_len).min(file_len.saturating_sub(first_entry));
    let mut entries = vec![0u8; present as usize];
    if !read_at(r, first_entry, &mut entries)? {
        return Ok(Some(scan));
    }
    for e in entries.chunks_exact(entry_len as usize) {
        let Some(size) = type_bytes(b.u16(&e[2..4])) else {
            // tiff 0.11 skips 8 bytes of a BigTIFF entry of unknown type instead of 16, and so
            // reads the following entries from the wrong place: refuse rather than let it.
            if bigtiff {
                scan.damage = Some(format!(
                    "tag {}: unknown field type {}",
                    b.u16(&e[0..2]),
                    b.u16(&e[2..4])
                ));
                return Ok(Some(scan));
            }
            continue;
        };
        let n = if bigtiff {
            b.u64(&e[4..12])
        } else {
            u64::from(b.u32(&e[4..8]))
        };
        let bytes = n.saturating_mul(size);
        if bytes <= inline {
            continue;
        }
        let at = if bigtiff {
            b.u64(&e[12..20])
        } else {
            u64::from(b.u32(&e[8..12]))
        };
        if at.saturating_add(bytes) > file_len {
            scan.damage = Some(format!(
                "tag {}: its value of {bytes} bytes at offset {at} runs past the end of the \
                 file ({file_len} bytes)",
                b.u16(&e[0..2])
            ));
            return Ok(Some(scan));
        }
    }
    // libtiff (and so GDAL) keeps the first of two entries of one tag, `tiff` the last: a
    // directory that gives one tag two different values is refused rather than read otherwise
    // than GDAL reads it.
    let mut first: HashMap<&[u8], &[u8]> = HashMap::new();
    for e in entries.chunks_exact(entry_len as usize) {
        if *first.entry(&e[..2]).or_insert(e) != e {
            scan.damage = Some(format!(
                "tag {} appears twice in the first image directory, with different values",
                b.u16(&e[0..2])
            ));
            return Ok(Some(scan));
        }
    }
    for (i, e) in entries.chunks_exact(entry_len as usize).enumerate() {
        if b.u16(&e[0..2]) != TAG_SAMPLE_FORMAT {
            continue;
        }
        // Only SHORT values (the type the specification and every writer use).
        if b.u16(&e[2..4]) != 3 {
            break;
        }
        let n = if bigtiff {
            b.u64(&e[4..12])
        } else {
            u64::from(b.u32(&e[4..8]))
        };
        if n == 0 || n > u64::from(u16::MAX) {
            break;
        }
        let entry_pos = first_entry + i as u64 * entry_len;
        let at = if 2 * n <= inline {
            entry_pos + value_at
        } else if bigtiff {
            b.u64(&e[12..20])
        } else {
            u64::from(b.u32(&e[8..12]))
        };
        let mut raw = vec![0u8; 2 * n as usize];
        if !read_at(r, at, &mut raw)? {
            break;
        }
        let values: Vec<u16> = raw.chunks_exact(2).map(|v| b.u16(v)).collect();
        for (k, &v) in values.iter().enumerate() {
            let shown: u16 = match v {
                5 => 2, // complex integer -> signed integer of twice the part width
                6 => 3, // complex float -> float of twice the part width
                _ => continue,
            };
            let bytes = if big_endian {
                shown.to_be_bytes()
            } else {
                shown.to_le_bytes()
            };
            let pos = at + 2 * k as u64;
            scan.patches.push((pos, bytes[0]));
            scan.patches.push((pos + 1, bytes[1]));
        }
        scan.sample_format = Some(values);
        break;
    }
    Ok(Some(scan))
}

/// A reader that replaces a few bytes of the underlying stream on the fly.
#[derive(Debug)]
pub(crate) struct Overlay<R> {
    inner: R,
    pos: u64,
    patches: Vec<(u64, u8)>,
}

impl<R: Read + Seek> Overlay<R> {
    /// Wraps `inner`, which must be positioned at offset 0.
    pub(crate) fn new(inner: R, patches: Vec<(u64, u8)>) -> Self {
        Overlay {
            inner,
            pos: 0,
            patches,
        }
    }
}

impl<R: Read> Read for Overlay<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let end = self.pos + n as u64;
        for &(at, byte) in &self.patches {
            if at >= self.pos && at < end {
                buf[(at - self.pos) as usize] = byte;
            }
        }
        self.pos = end;
        Ok(n)
    }
}

impl<R: Seek> Seek for Overlay<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(pos)?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A minimal classic little-endian TIFF with a single IFD holding SampleFormat = [6, 5]
    /// stored inline.
    fn tiny(big_endian: bool) -> Vec<u8> {
        let w16 = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w32 = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut f = Vec::new();
        f.extend_from_slice(if big_endian { b"MM" } else { b"II" });
        f.extend_from_slice(&w16(42));
        f.extend_from_slice(&w32(8));
        f.extend_from_slice(&w16(1));
        f.extend_from_slice(&w16(339));
        f.extend_from_slice(&w16(3));
        f.extend_from_slice(&w32(2));
        f.extend_from_slice(&w16(6));
        f.extend_from_slice(&w16(5));
        f.extend_from_slice(&w32(0));
        f
    }

    #[test]
    fn patches_inline_sample_format() {
        for be in [false, true] {
            let data = tiny(be);
            let s = scan(&mut Cursor::new(&data)).unwrap().unwrap();
            assert_eq!(s.sample_format.as_deref(), Some(&[6u16, 5][..]));
            assert_eq!(s.big_endian, be);
            let mut o = Overlay::new(Cursor::new(&data), s.patches);
            let mut all = Vec::new();
            // Read in odd-sized pieces to cross the patch boundaries.
            let mut buf = [0u8; 3];
            loop {
                let n = o.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..n]);
            }
            let v = |i: usize| {
                let b = [all[i], all[i + 1]];
                if be {
                    u16::from_be_bytes(b)
                } else {
                    u16::from_le_bytes(b)
                }
            };
            assert_eq!((v(18), v(20)), (3, 2));
        }
    }

    /// A classic little-endian TIFF with one entry: `tag`, `type_`, `count`, `value`.
    fn one_entry(tag: u16, type_: u16, count: u32, value: u32) -> Vec<u8> {
        let mut f = b"II".to_vec();
        f.extend_from_slice(&42u16.to_le_bytes());
        f.extend_from_slice(&8u32.to_le_bytes());
        f.extend_from_slice(&1u16.to_le_bytes());
        f.extend_from_slice(&tag.to_le_bytes());
        f.extend_from_slice(&type_.to_le_bytes());
        f.extend_from_slice(&count.to_le_bytes());
        f.extend_from_slice(&value.to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.resize(64, 0);
        f
    }

    #[test]
    fn values_must_lie_inside_the_file() {
        // 20 shorts at offset 24: 40 bytes, inside the 64-byte file.
        let ok = one_entry(42112, 3, 20, 24);
        assert_eq!(scan(&mut Cursor::new(&ok)).unwrap().unwrap().damage, None);
        // 60 million bytes of ASCII declared in a 64-byte file.
        let bad = one_entry(42112, 2, 60_000_000, 8);
        let damage = scan(&mut Cursor::new(&bad))
            .unwrap()
            .unwrap()
            .damage
            .unwrap();
        assert!(
            damage.contains("tag 42112") && damage.contains("past the end"),
            "{damage}"
        );
        // A count whose byte size overflows.
        let bad = one_entry(273, 16, u32::MAX, 8);
        assert!(
            scan(&mut Cursor::new(&bad))
                .unwrap()
                .unwrap()
                .damage
                .is_some()
        );
        // Unknown field types are skipped in classic TIFF (the entry size does not depend on
        // the type there).
        let unknown = one_entry(42112, 99, 1_000_000, 8);
        assert_eq!(
            scan(&mut Cursor::new(&unknown)).unwrap().unwrap().damage,
            None
        );
    }

    #[test]
    fn one_tag_with_two_values_is_refused() {
        // Two SamplesPerPixel entries (1 and 65281), as in a fuzzed file that GDAL reads with one
        // band and `tiff` with 65281.
        let mut f = b"II".to_vec();
        f.extend_from_slice(&42u16.to_le_bytes());
        f.extend_from_slice(&8u32.to_le_bytes());
        f.extend_from_slice(&3u16.to_le_bytes());
        for (tag, value) in [(277u16, 1u32), (256, 4), (277, 65281)] {
            f.extend_from_slice(&tag.to_le_bytes());
            f.extend_from_slice(&3u16.to_le_bytes());
            f.extend_from_slice(&1u32.to_le_bytes());
            f.extend_from_slice(&value.to_le_bytes());
        }
        f.extend_from_slice(&0u32.to_le_bytes());
        let damage = scan(&mut Cursor::new(&f)).unwrap().unwrap().damage.unwrap();
        assert!(damage.contains("tag 277 appears twice"), "{damage}");
        // The same entry twice reads the same whichever is kept.
        let at = 10 + 2 * 12;
        f[at + 8..at + 12].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(scan(&mut Cursor::new(&f)).unwrap().unwrap().damage, None);
    }

    #[test]
    fn not_a_tiff() {
        assert!(
            scan(&mut Cursor::new(b"hello world".to_vec()))
                .unwrap()
                .is_none()
        );
        assert!(scan(&mut Cursor::new(b"II".to_vec())).unwrap().is_none());
    }
}
