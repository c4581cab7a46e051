//! Conversion of decoded samples (any stored type) to `f32` or `f64`, complex included.

use std::fmt::Debug;

use crate::info::SampleType;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The element types rows are read into and written from: `f32` or `f64`.
///
/// This trait is sealed: it is implemented for `f32` and `f64` only.
pub trait Sample:
    Copy + Default + PartialEq + Debug + Send + Sync + 'static + sealed::Sealed
{
    /// `SampleType::F32` or `SampleType::F64`.
    const TYPE: SampleType;
    /// Converts from `f64` (rounding to nearest for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Converts to `f32` (rounding to nearest for `f64`).
    fn to_f32(self) -> f32;
}

impl Sample for f32 {
    const TYPE: SampleType = SampleType::F32;
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
}

impl Sample for f64 {
    const TYPE: SampleType = SampleType::F64;
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn to_f32(self) -> f32 {
        self as f32
    }
}

/// How complex samples (SAR single-look complex data) are turned into real values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplexMode {
    /// `re² + im²` (power), the domain most speckle filters expect for intensity data.
    Intensity,
    /// `sqrt(re² + im²)` (magnitude).
    Amplitude,
    /// `re`, the real part (with [`Imaginary`](ComplexMode::Imaginary): the complex values
    /// themselves, e.g. to form polarimetric matrices).
    Real,
    /// `im`, the imaginary part.
    Imaginary,
}

/// Where one band's samples are in a decoded buffer of native-endian samples.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source {
    /// The stored type.
    pub ty: SampleType,
    /// Samples per pixel in the buffer (bands for pixel-interleaved data, else 1).
    pub stride: usize,
    /// Index of the wanted band within a pixel.
    pub offset: usize,
    /// For complex types: `true` when the file is big-endian, so that the real part is the high
    /// half of the native integer the decoder produced.
    pub big_endian: bool,
    /// How complex values become real ones (`None` for real types).
    pub complex: Option<ComplexMode>,
}

#[inline]
fn read<const N: usize>(px: &[u8], at: usize) -> [u8; N] {
    let mut b = [0u8; N];
    b.copy_from_slice(&px[at..at + N]);
    b
}

#[inline]
fn each<const N: usize, T: Sample>(
    src: &[u8],
    s: &Source,
    dst: &mut [T],
    f: impl Fn([u8; N]) -> T,
) {
    let step = s.stride * N;
    let at = s.offset * N;
    for (d, px) in dst.iter_mut().zip(src.chunks_exact(step)) {
        *d = f(read::<N>(px, at));
    }
}

#[inline]
fn complex_value<T: Sample>(re: f64, im: f64, mode: ComplexMode) -> T {
    T::from_f64(match mode {
        ComplexMode::Intensity => re * re + im * im,
        ComplexMode::Amplitude => (re * re + im * im).sqrt(),
        ComplexMode::Real => re,
        ComplexMode::Imaginary => im,
    })
}

/// Converts complex samples of two 32-bit parts (`CInt32`, `CFloat32`), decoded as one native
/// `u64` each; `part` reads one part's bits as a number. The real part comes first in the file.
#[inline]
fn complex64<T: Sample>(
    src: &[u8],
    s: &Source,
    dst: &mut [T],
    mode: ComplexMode,
    part: impl Fn(u32) -> f64,
) {
    let be = s.big_endian;
    each::<8, T>(src, s, dst, |b| {
        let v = u64::from_ne_bytes(b);
        let (first, second) = if be { (v >> 32, v) } else { (v, v >> 32) };
        complex_value(part(first as u32), part(second as u32), mode)
    })
}

/// Converts `dst.len()` pixels of one band from `src` (decoded, native-endian samples).
///
/// `src` must hold at least `dst.len() * stride` samples; complex types need `s.complex`.
pub(crate) fn convert<T: Sample>(src: &[u8], s: &Source, dst: &mut [T]) {
    debug_assert!(src.len() >= dst.len() * s.stride * s.ty.bytes());
    let mode = s.complex.unwrap_or(ComplexMode::Intensity);
    match s.ty {
        SampleType::U8 => each::<1, T>(src, s, dst, |b| T::from_f64(b[0] as f64)),
        SampleType::I8 => each::<1, T>(src, s, dst, |b| T::from_f64(b[0] as i8 as f64)),
        SampleType::U16 => each::<2, T>(src, s, dst, |b| T::from_f64(u16::from_ne_bytes(b) as f64)),
        SampleType::I16 => each::<2, T>(src, s, dst, |b| T::from_f64(i16::from_ne_bytes(b) as f64)),
        SampleType::U32 => each::<4, T>(src, s, dst, |b| T::from_f64(u32::from_ne_bytes(b) as f64)),
        SampleType::I32 => each::<4, T>(src, s, dst, |b| T::from_f64(i32::from_ne_bytes(b) as f64)),
        // f32 -> f64 -> f32 is exact and folded away by the compiler.
        SampleType::F32 => each::<4, T>(src, s, dst, |b| T::from_f64(f32::from_ne_bytes(b) as f64)),
        SampleType::F64 => each::<8, T>(src, s, dst, |b| T::from_f64(f64::from_ne_bytes(b))),
        SampleType::ComplexI16 => {
            // The decoder produced one native u32 per sample, holding the two 16-bit parts in
            // the file's order: the real part comes first in the file.
            let be = s.big_endian;
            each::<4, T>(src, s, dst, |b| {
                let v = u32::from_ne_bytes(b);
                let (first, second) = if be { (v >> 16, v) } else { (v, v >> 16) };
                complex_value(
                    first as u16 as i16 as f64,
                    second as u16 as i16 as f64,
                    mode,
                )
            })
        }
        SampleType::ComplexI32 => complex64(src, s, dst, mode, |p| p as i32 as f64),
        SampleType::ComplexF32 => complex64(src, s, dst, mode, |p| f32::from_bits(p) as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(ty: SampleType, stride: usize, offset: usize) -> Source {
        Source {
            ty,
            stride,
            offset,
            big_endian: false,
            complex: Some(ComplexMode::Intensity),
        }
    }

    #[test]
    fn integers_to_float() {
        let data: Vec<u8> = [-3i16, 7, 1000, -32768]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let mut out = [0f32; 2];
        convert(&data, &src(SampleType::I16, 2, 1), &mut out);
        assert_eq!(out, [7.0, -32768.0]);
    }

    #[test]
    fn complex_int16_little_and_big_endian_files() {
        // re = 3, im = -4 as the decoder hands them over for a little-endian file: the native
        // u32 of the bytes [re, im] read as little-endian.
        let le = u32::from_le_bytes([3, 0, 0xfc, 0xff]);
        let mut out = [0f64; 1];
        convert(
            &le.to_ne_bytes(),
            &src(SampleType::ComplexI16, 1, 0),
            &mut out,
        );
        assert_eq!(out[0], 25.0);
        // A big-endian file: bytes [0,3, 0xff,0xfc] read as a big-endian u32.
        let be = u32::from_be_bytes([0, 3, 0xff, 0xfc]);
        let mut s = src(SampleType::ComplexI16, 1, 0);
        s.big_endian = true;
        s.complex = Some(ComplexMode::Amplitude);
        convert(&be.to_ne_bytes(), &s, &mut out);
        assert_eq!(out[0], 5.0);
    }

    #[test]
    fn complex_float() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&1.5f32.to_le_bytes());
        bytes.extend_from_slice(&(-2.0f32).to_le_bytes());
        let v = u64::from_le_bytes(bytes.try_into().unwrap());
        let mut out = [0f32; 1];
        convert(
            &v.to_ne_bytes(),
            &src(SampleType::ComplexF32, 1, 0),
            &mut out,
        );
        assert_eq!(out[0], 6.25);
    }
}
