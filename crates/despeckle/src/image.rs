//! Borrowed image views with a row stride.

use crate::error::{Error, Result};
use crate::sample::Sample;

fn check_layout(len: usize, width: usize, height: usize, stride: usize) -> Result<()> {
    if stride < width {
        return Err(Error::InvalidImage(format!(
            "row stride {stride} is smaller than the width {width}"
        )));
    }
    let needed = if width == 0 || height == 0 {
        0
    } else {
        (height - 1)
            .checked_mul(stride)
            .and_then(|v| v.checked_add(width))
            .ok_or_else(|| Error::InvalidImage("image dimensions overflow".into()))?
    };
    if len < needed {
        return Err(Error::InvalidImage(format!(
            "a {width} × {height} image with row stride {stride} needs {needed} samples, \
             the buffer has {len}"
        )));
    }
    Ok(())
}

/// A read-only image: `height` rows of `width` samples, row `y` starting at `y · stride`.
#[derive(Debug, Clone, Copy)]
pub struct ImageRef<'a, T> {
    data: &'a [T],
    width: usize,
    height: usize,
    stride: usize,
}

impl<'a, T: Sample> ImageRef<'a, T> {
    /// A view of a contiguous row-major buffer (`stride == width`).
    pub fn new(data: &'a [T], width: usize, height: usize) -> Result<Self> {
        Self::with_stride(data, width, height, width)
    }

    /// A view whose rows start every `stride` samples (`stride ≥ width`).
    pub fn with_stride(data: &'a [T], width: usize, height: usize, stride: usize) -> Result<Self> {
        check_layout(data.len(), width, height, stride)?;
        Ok(ImageRef {
            data,
            width,
            height,
            stride,
        })
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Distance in samples between the starts of two consecutive rows.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Row `y` (panics if `y ≥ height`).
    #[inline]
    pub fn row(&self, y: usize) -> &'a [T] {
        let start = y * self.stride;
        &self.data[start..start + self.width]
    }
}

/// A mutable image: `height` rows of `width` samples, row `y` starting at `y · stride`.
#[derive(Debug)]
pub struct ImageMut<'a, T> {
    data: &'a mut [T],
    width: usize,
    height: usize,
    stride: usize,
}

impl<'a, T: Sample> ImageMut<'a, T> {
    /// A view of a contiguous row-major buffer (`stride == width`).
    pub fn new(data: &'a mut [T], width: usize, height: usize) -> Result<Self> {
        Self::with_stride(data, width, height, width)
    }

    /// A view whose rows start every `stride` samples (`stride ≥ width`).
    pub fn with_stride(
        data: &'a mut [T],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<Self> {
        check_layout(data.len(), width, height, stride)?;
        Ok(ImageMut {
            data,
            width,
            height,
            stride,
        })
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Distance in samples between the starts of two consecutive rows.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// A read-only view of the same pixels.
    pub fn as_ref(&self) -> ImageRef<'_, T> {
        ImageRef {
            data: self.data,
            width: self.width,
            height: self.height,
            stride: self.stride,
        }
    }

    /// Row `y`, mutable (panics if `y ≥ height`).
    #[inline]
    pub fn row_mut(&mut self, y: usize) -> &mut [T] {
        let start = y * self.stride;
        &mut self.data[start..start + self.width]
    }

    /// The underlying buffer.
    pub(crate) fn data_mut(&mut self) -> &mut [T] {
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_checked() {
        let v = vec![0f32; 10];
        assert!(ImageRef::new(&v, 5, 2).is_ok());
        assert!(ImageRef::new(&v, 5, 3).is_err());
        assert!(ImageRef::with_stride(&v, 3, 3, 4).is_err()); // needs 2·4 + 3 = 11 samples
        assert!(ImageRef::with_stride(&v, 2, 3, 4).is_ok()); // needs 2·4 + 2 = 10
        assert!(ImageRef::with_stride(&v, 3, 4, 3).is_err());
        assert!(ImageRef::with_stride(&v, 4, 2, 3).is_err());
        assert!(ImageRef::new(&v, 0, 0).is_ok());
        let img = ImageRef::with_stride(&v, 2, 3, 4).unwrap();
        assert_eq!(img.row(2).len(), 2);
    }
}
