//! GeoTIFF and GDAL tags: their numbers, their values kept verbatim, and a few readings of them
//! (affine transform, EPSG code, no-data value).

/// TIFF tag `ModelPixelScaleTag` (DOUBLE × 3).
pub const TAG_MODEL_PIXEL_SCALE: u16 = 33550;
/// TIFF tag `ModelTiepointTag` (DOUBLE × 6·n).
pub const TAG_MODEL_TIEPOINT: u16 = 33922;
/// TIFF tag `ModelTransformationTag` (DOUBLE × 16).
pub const TAG_MODEL_TRANSFORMATION: u16 = 34264;
/// TIFF tag `GeoKeyDirectoryTag` (SHORT × 4·(n+1)).
pub const TAG_GEO_KEY_DIRECTORY: u16 = 34735;
/// TIFF tag `GeoDoubleParamsTag` (DOUBLE).
pub const TAG_GEO_DOUBLE_PARAMS: u16 = 34736;
/// TIFF tag `GeoAsciiParamsTag` (ASCII).
pub const TAG_GEO_ASCII_PARAMS: u16 = 34737;
/// TIFF tag `GDAL_METADATA` (ASCII, XML).
pub const TAG_GDAL_METADATA: u16 = 42112;
/// TIFF tag `GDAL_NODATA` (ASCII, the no-data value as text).
pub const TAG_GDAL_NODATA: u16 = 42113;

/// The georeferencing and GDAL tags of an image, kept verbatim so that a writer can copy them
/// to its output bit for bit.
///
/// Numeric tags are held as the values stored in the file (converted to the host's byte order,
/// never rounded); ASCII tags as their text without the final NUL terminator (which the writer
/// puts back).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoTags {
    /// `ModelPixelScaleTag` (33550): pixel size in x, y, z.
    pub model_pixel_scale: Option<Vec<f64>>,
    /// `ModelTiepointTag` (33922): groups of (i, j, k, x, y, z) tying raster to model space.
    pub model_tiepoint: Option<Vec<f64>>,
    /// `ModelTransformationTag` (34264): a 4 × 4 row-major affine matrix.
    pub model_transformation: Option<Vec<f64>>,
    /// `GeoKeyDirectoryTag` (34735): the GeoKey directory (CRS definition).
    pub geo_key_directory: Option<Vec<u16>>,
    /// `GeoDoubleParamsTag` (34736): double-valued GeoKeys.
    pub geo_double_params: Option<Vec<f64>>,
    /// `GeoAsciiParamsTag` (34737): ASCII-valued GeoKeys, `|`-separated.
    pub geo_ascii_params: Option<String>,
    /// `GDAL_METADATA` (42112): GDAL's XML metadata (band names, scale/offset, statistics...).
    pub gdal_metadata: Option<String>,
    /// `GDAL_NODATA` (42113): the no-data value exactly as written in the file.
    pub gdal_nodata: Option<String>,
}

/// Whether an EPSG code names a projected or a geographic coordinate system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrsKind {
    /// `ProjectedCSTypeGeoKey` (3072).
    Projected,
    /// `GeographicTypeGeoKey` (2048).
    Geographic,
}

/// `GTRasterTypeGeoKey` (1025): whether a pixel's coordinates name its corner or its centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RasterType {
    /// Coordinates refer to the pixel's area (top-left corner); GDAL's default.
    PixelIsArea,
    /// Coordinates refer to the pixel's centre.
    PixelIsPoint,
}

const KEY_MODEL_TYPE: u16 = 1024;
const KEY_RASTER_TYPE: u16 = 1025;
const KEY_CITATION: u16 = 1026;
const KEY_GEOGRAPHIC_TYPE: u16 = 2048;
const KEY_PROJECTED_TYPE: u16 = 3072;
const KEY_USER_DEFINED: u16 = 32767;

impl GeoTags {
    /// `true` when none of the tags is present.
    pub fn is_empty(&self) -> bool {
        *self == GeoTags::default()
    }

    /// The GDAL-style affine transform `[x0, dx, rx, y0, ry, dy]` mapping pixel corner
    /// `(col, row)` to `(x0 + col·dx + row·rx, y0 + col·ry + row·dy)`, from the transformation
    /// matrix or from the first tie point and the pixel scale. No half-pixel shift is applied
    /// for `PixelIsPoint` rasters.
    pub fn geo_transform(&self) -> Option<[f64; 6]> {
        if let Some(m) = &self.model_transformation
            && m.len() >= 8
        {
            return Some([m[3], m[0], m[1], m[7], m[4], m[5]]);
        }
        let tp = self.model_tiepoint.as_ref()?;
        let sc = self.model_pixel_scale.as_ref()?;
        if tp.len() < 6 || sc.len() < 2 {
            return None;
        }
        let (i, j, x, y) = (tp[0], tp[1], tp[3], tp[4]);
        Some([x - i * sc[0], sc[0], 0.0, y + j * sc[1], 0.0, -sc[1]])
    }

    /// The georeferencing of the grid whose pixels are blocks of `fx` × `fy` pixels of this
    /// one, from the top-left corner (multilooking by block averaging): the pixel scale and
    /// the transformation's pixel steps multiplied, the tie points' raster coordinates
    /// divided (corners for `PixelIsArea`; centres, shifted to the block centres, for
    /// `PixelIsPoint`). Other tags are kept.
    pub fn scaled(&self, fx: usize, fy: usize) -> GeoTags {
        let (fx, fy) = (fx as f64, fy as f64);
        let point = self.raster_type() == Some(RasterType::PixelIsPoint);
        let mut g = self.clone();
        if let Some(s) = g.model_pixel_scale.as_mut() {
            if let Some(v) = s.get_mut(0) {
                *v *= fx;
            }
            if let Some(v) = s.get_mut(1) {
                *v *= fy;
            }
        }
        if let Some(tp) = g.model_tiepoint.as_mut() {
            for t in tp.chunks_exact_mut(6) {
                if point {
                    t[0] = (t[0] - (fx - 1.0) / 2.0) / fx;
                    t[1] = (t[1] - (fy - 1.0) / 2.0) / fy;
                } else {
                    t[0] /= fx;
                    t[1] /= fy;
                }
            }
        }
        if let Some(m) = g.model_transformation.as_mut()
            && m.len() >= 16
        {
            // x' = a·i + b·j + c: with i = fx·I (+ (fx − 1)/2 for centres), j likewise
            for row in 0..3 {
                let (a, b) = (m[4 * row], m[4 * row + 1]);
                if point {
                    m[4 * row + 3] += a * (fx - 1.0) / 2.0 + b * (fy - 1.0) / 2.0;
                }
                m[4 * row] = a * fx;
                m[4 * row + 1] = b * fy;
            }
        }
        g
    }

    /// The GeoKeys as `(key id, tag location, count, value or offset)`, skipping the header.
    fn keys(&self) -> impl Iterator<Item = [u16; 4]> + '_ {
        let dir = self.geo_key_directory.as_deref().unwrap_or(&[]);
        let n = dir.get(3).copied().unwrap_or(0) as usize;
        dir.chunks_exact(4)
            .skip(1)
            .take(n)
            .map(|k| [k[0], k[1], k[2], k[3]])
    }

    fn short_key(&self, id: u16) -> Option<u16> {
        self.keys().find(|k| k[0] == id && k[1] == 0).map(|k| k[3])
    }

    /// The EPSG code of the coordinate system, when the GeoKeys give one (user-defined systems
    /// give `None`). A projected system without a code (`ProjectedCSTypeGeoKey` user-defined,
    /// or `GTModelTypeGeoKey` projected with none) is user-defined, whatever its geographic
    /// base's code; so is a geocentric model.
    pub fn epsg(&self) -> Option<(u16, CrsKind)> {
        let valid = |c: u16| c != KEY_USER_DEFINED && c != 0;
        if let Some(c) = self.short_key(KEY_PROJECTED_TYPE) {
            return valid(c).then_some((c, CrsKind::Projected));
        }
        // GTModelTypeGeoKey: 1 projected, 2 geographic, 3 geocentric
        if matches!(self.short_key(KEY_MODEL_TYPE), Some(1 | 3)) {
            return None;
        }
        match self.short_key(KEY_GEOGRAPHIC_TYPE) {
            Some(c) if valid(c) => Some((c, CrsKind::Geographic)),
            _ => None,
        }
    }

    /// The GeoKey directory naming EPSG coordinate system `code` of kind `kind` (the inverse
    /// of [`GeoTags::epsg`]): `GTModelTypeGeoKey` (1 projected, 2 geographic),
    /// `GTRasterTypeGeoKey` `PixelIsArea`, and `ProjectedCSTypeGeoKey` or
    /// `GeographicTypeGeoKey`.
    pub fn epsg_keys(code: u16, kind: CrsKind) -> Vec<u16> {
        let (model, key) = match kind {
            CrsKind::Projected => (1, KEY_PROJECTED_TYPE),
            CrsKind::Geographic => (2, KEY_GEOGRAPHIC_TYPE),
        };
        vec![
            1,
            1,
            0,
            3,
            KEY_MODEL_TYPE,
            0,
            1,
            model,
            KEY_RASTER_TYPE,
            0,
            1,
            1,
            key,
            0,
            1,
            code,
        ]
    }

    /// Whether coordinates name pixel corners or centres (`GTRasterTypeGeoKey`), if given.
    pub fn raster_type(&self) -> Option<RasterType> {
        match self.short_key(KEY_RASTER_TYPE)? {
            1 => Some(RasterType::PixelIsArea),
            2 => Some(RasterType::PixelIsPoint),
            _ => None,
        }
    }

    /// The citation text (`GTCitationGeoKey`) from the ASCII parameters, if any.
    pub fn citation(&self) -> Option<&str> {
        let k = self.keys().find(|k| k[0] == KEY_CITATION)?;
        if k[1] != TAG_GEO_ASCII_PARAMS {
            return None;
        }
        let ascii = self.geo_ascii_params.as_deref()?;
        let start = k[3] as usize;
        let end = start + (k[2] as usize).saturating_sub(1);
        ascii.get(start..end.min(ascii.len()))
    }

    /// The no-data value of the `GDAL_NODATA` text, when it is a number (`nan`, `inf`, `-inf`
    /// included).
    pub fn nodata(&self) -> Option<f64> {
        parse_nodata(self.gdal_nodata.as_deref()?)
    }
}

/// Parses a `GDAL_NODATA` text: a decimal number, `nan`, `inf` or `-inf` (any case, spaces
/// around ignored).
pub fn parse_nodata(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if t.is_empty() {
        return None;
    }
    if t.eq_ignore_ascii_case("nan") || t.eq_ignore_ascii_case("-nan") {
        return Some(f64::NAN);
    }
    t.parse::<f64>().ok()
}

/// Formats a no-data value the way GDAL reads it back exactly (`nan`, `inf`, `-9999`,
/// `-3.4028234663852886e38`).
pub fn format_nodata(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        // `{:?}` prints the shortest text that parses back to the same f64.
        format!("{v:?}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scaled_grids() {
        use super::*;
        let g = GeoTags {
            model_pixel_scale: Some(vec![10.0, 20.0, 0.0]),
            model_tiepoint: Some(vec![
                0.0, 0.0, 0.0, 500.0, 900.0, 0.0, 8.0, 4.0, 0.0, 1.0, 2.0, 0.0,
            ]),
            ..GeoTags::default()
        };
        let s = g.scaled(4, 2);
        assert_eq!(s.model_pixel_scale, Some(vec![40.0, 40.0, 0.0]));
        assert_eq!(
            s.model_tiepoint,
            Some(vec![
                0.0, 0.0, 0.0, 500.0, 900.0, 0.0, 2.0, 2.0, 0.0, 1.0, 2.0, 0.0
            ])
        );
        assert_eq!(
            s.geo_transform(),
            Some([500.0, 40.0, 0.0, 900.0, 0.0, -40.0])
        );
        let t = GeoTags {
            model_transformation: Some(vec![
                10.0, 1.0, 0.0, 500.0, 2.0, -20.0, 0.0, 900.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                1.0,
            ]),
            ..GeoTags::default()
        };
        assert_eq!(
            t.scaled(3, 2).geo_transform(),
            Some([500.0, 30.0, 2.0, 900.0, 6.0, -40.0])
        );
    }

    use super::*;

    #[test]
    fn nodata_texts() {
        assert_eq!(parse_nodata("-9999"), Some(-9999.0));
        assert_eq!(parse_nodata(" 0 "), Some(0.0));
        assert!(parse_nodata("nan").unwrap().is_nan());
        assert!(parse_nodata("NaN").unwrap().is_nan());
        assert!(parse_nodata("-nan").unwrap().is_nan());
        assert_eq!(parse_nodata("inf"), Some(f64::INFINITY));
        assert_eq!(parse_nodata("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(
            parse_nodata("-3.4028234663852886e+38"),
            Some(f32::MIN as f64)
        );
        assert_eq!(parse_nodata("1e-3"), Some(0.001));
        assert_eq!(parse_nodata("abc"), None);
        assert_eq!(parse_nodata(""), None);
    }

    #[test]
    fn nodata_format_round_trips() {
        for v in [
            0.0,
            -9999.0,
            1.5,
            f32::MIN as f64,
            f64::MAX,
            1e-300,
            f64::INFINITY,
        ] {
            assert_eq!(parse_nodata(&format_nodata(v)), Some(v), "{v}");
        }
        assert!(parse_nodata(&format_nodata(f64::NAN)).unwrap().is_nan());
        assert_eq!(format_nodata(-9999.0), "-9999");
    }

    #[test]
    fn transform_from_tiepoint_and_scale() {
        let g = GeoTags {
            model_pixel_scale: Some(vec![10.0, 20.0, 0.0]),
            model_tiepoint: Some(vec![0.0, 0.0, 0.0, 500000.0, 4600000.0, 0.0]),
            ..Default::default()
        };
        assert_eq!(
            g.geo_transform(),
            Some([500000.0, 10.0, 0.0, 4600000.0, 0.0, -20.0])
        );
    }

    #[test]
    fn epsg_from_keys() {
        let g = GeoTags {
            geo_key_directory: Some(vec![
                1, 1, 0, 3, //
                1024, 0, 1, 1, //
                1025, 0, 1, 1, //
                3072, 0, 1, 32631,
            ]),
            ..Default::default()
        };
        assert_eq!(g.epsg(), Some((32631, CrsKind::Projected)));
        assert_eq!(g.raster_type(), Some(RasterType::PixelIsArea));
        let keys = |k: &[[u16; 4]]| GeoTags {
            geo_key_directory: Some(
                [[1, 1, 0, k.len() as u16]]
                    .iter()
                    .chain(k)
                    .flatten()
                    .copied()
                    .collect(),
            ),
            ..Default::default()
        };
        // a user-defined projection on WGS 84 is not EPSG:4326
        let custom = keys(&[[1024, 0, 1, 1], [2048, 0, 1, 4326], [3072, 0, 1, 32767]]);
        assert_eq!(custom.epsg(), None);
        let custom = keys(&[[1024, 0, 1, 1], [2048, 0, 1, 4326]]);
        assert_eq!(custom.epsg(), None);
        let geocentric = keys(&[[1024, 0, 1, 3], [2048, 0, 1, 4326]]);
        assert_eq!(geocentric.epsg(), None);
        let geographic = keys(&[[1024, 0, 1, 2], [2048, 0, 1, 4326]]);
        assert_eq!(geographic.epsg(), Some((4326, CrsKind::Geographic)));
        let no_model = keys(&[[2048, 0, 1, 4269]]);
        assert_eq!(no_model.epsg(), Some((4269, CrsKind::Geographic)));
    }
}
