//! Georeferencing translated between ENVI headers (`map info`, `coordinate system string`,
//! `geo points`), GeoTIFF tags ([`GeoTags`]) and BEAM-DIMAP documents, for north-up grids
//! ([`NorthUp`]) and ground control points on WGS 84 latitude and longitude
//! ([`GroundPoints`]).
//!
//! Everything goes through [`NorthUp`]: a point of the raster, its map coordinates, the pixel
//! size and the coordinate system's EPSG code. What cannot be carried exactly is left out and
//! said in a one-line note ([`Translated::note`]); nothing is guessed.
//!
//! Conventions:
//! - GeoTIFF `PixelIsArea` raster coordinates (0, 0) are the upper-left corner of the
//!   upper-left pixel; `PixelIsPoint` coordinates (0, 0) its centre.
//! - ENVI's `map info` reference pixel is 1-based: (1, 1) is the upper-left corner of the
//!   upper-left pixel, (1.5, 1.5) its centre (ENVI's header format; GDAL's ENVI driver reads
//!   it so).
//!
//! So a GeoTIFF tie point (i, j) becomes the reference pixel (i + 1, j + 1) (`PixelIsPoint`:
//! (i + 1.5, j + 1.5)) with the same map coordinates, and back: no coordinate is computed,
//! so a round trip keeps every number bit for bit.
//!
//! Coordinate systems: geographic and UTM systems on WGS 84 (EPSG:4326, 32601–32660,
//! 32701–32760), NAD83 (4269, 26901–26923) and ETRS89 (4258, 25828–25838) are named in
//! `map info` (datum `WGS-84`, `North America 1983`, `ETRS89`) with their OGC WKT 1 as
//! `coordinate system string`. Read back, the code comes from the WKT's own EPSG authority
//! (WKT 1 `AUTHORITY`, WKT 2 `ID`), else from a WKT 1 that describes one of those systems
//! without an authority (ESRI WKT as GDAL's ENVI driver writes it, ESA SNAP's `WGS84(DD)`),
//! else from `map info` naming UTM or Geographic Lat/Lon on one of those datums; when the
//! WKT and `map info` both give a code they must agree. Other systems keep the grid (`map
//! info` `Arbitrary`, or a GeoTIFF tie point and pixel scale without GeoKeys) and a note says
//! the coordinate system was not carried.

use despeckle_geotiff::GeoTags;
use despeckle_geotiff::geo::{CrsKind, RasterType};

use crate::crs::{Datum, Known};
use crate::wkt::Node;

/// A north-up affine georeferencing: raster point `pixel` (0-based, corner convention: (0, 0)
/// is the upper-left corner of the upper-left pixel) lies at map coordinates `map`; pixels
/// are `size.0` wide (map x grows to the right) and `size.1` high (map y shrinks downwards);
/// `epsg` names the coordinate system when known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NorthUp {
    /// The raster point (column, row), corner convention.
    pub pixel: (f64, f64),
    /// Its map coordinates (x, y): easting and northing, or longitude and latitude.
    pub map: (f64, f64),
    /// Pixel width and height in map units (both positive).
    pub size: (f64, f64),
    /// The coordinate system: EPSG code and kind, when known.
    pub epsg: Option<(u16, CrsKind)>,
}

/// A translation and what it could not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated<T> {
    /// What was translated.
    pub value: T,
    /// One line saying what was left out and why, if anything was.
    pub note: Option<String>,
}

impl<T> Translated<T> {
    fn new(value: T, note: Option<String>) -> Translated<T> {
        Translated { value, note }
    }
}

/// The ENVI header fields of a georeferencing: `map info`, `coordinate system string` and
/// `geo points` (without braces).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnviGeo {
    /// `map info`.
    pub map_info: Option<String>,
    /// `coordinate system string` (a WKT).
    pub coordinate_system: Option<String>,
    /// `geo points`: ground control points in latitude and longitude.
    pub geo_points: Option<String>,
}

/// Ground control points on WGS 84 latitude and longitude (EPSG:4326), as a Sentinel-1 SLC
/// GeoTIFF has them: `(column, row, longitude, latitude)` each, raster coordinates in the
/// corner convention ((0, 0) the upper-left corner of the upper-left pixel).
///
/// In a GeoTIFF they are several tie points `(i, j, 0, lon, lat, 0)` with no pixel scale and
/// the GeoKeys of EPSG:4326; in an ENVI header, `geo points = {x, y, lat, lon, ...}` with
/// 1-based pixel coordinates (x = i + 1, y = j + 1), as GDAL's ENVI driver writes and reads
/// them. Numbers are copied, except for that `+ 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundPoints(pub Vec<[f64; 4]>);

impl GroundPoints {
    /// The ground control points of GeoTIFF tags: several tie points, no pixel scale or
    /// transformation, `PixelIsArea`, on EPSG:4326. Anything else gives `None` (a note says
    /// why when the tags do hold several tie points).
    pub fn from_geotiff(geo: &GeoTags) -> Translated<Option<GroundPoints>> {
        let Some(tp) = &geo.model_tiepoint else {
            return Translated::new(None, None);
        };
        if tp.len() <= 6 || geo.model_pixel_scale.is_some() || geo.model_transformation.is_some() {
            return Translated::new(None, None);
        }
        let none = |why: &str| {
            Translated::new(
                None,
                Some(format!("ground control points not carried: {why}")),
            )
        };
        if !tp.len().is_multiple_of(6) || !tp.iter().all(|v| v.is_finite()) {
            return none("the tie points are not whole finite (i, j, k, x, y, z) sets");
        }
        if geo.raster_type() == Some(RasterType::PixelIsPoint) {
            return none("they name pixel centres (PixelIsPoint), which ENVI geo points do not");
        }
        match geo.epsg() {
            Some((4326, CrsKind::Geographic)) => {}
            Some((c, _)) => {
                return none(&format!(
                    "they are in EPSG:{c}, and ENVI geo points hold WGS 84 latitude and \
                     longitude only"
                ));
            }
            None => return none("their coordinate system is not EPSG:4326 (WGS 84)"),
        }
        let points = tp
            .chunks_exact(6)
            .map(|t| [t[0], t[1], t[3], t[4]])
            .collect();
        Translated::new(Some(GroundPoints(points)), None)
    }

    /// The `geo points` header text: `x, y, lat, lon` per point, 1-based pixel coordinates.
    pub fn to_envi(&self) -> String {
        self.0
            .iter()
            .map(|[i, j, lon, lat]| format!("{}, {}, {lat}, {lon}", i + 1.0, j + 1.0))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The ground control points of an ENVI `geo points` text (four finite numbers per
    /// point, at least two points); `None` and a note otherwise.
    pub fn from_envi(text: &str) -> Translated<Option<GroundPoints>> {
        let none = |why: &str| {
            Translated::new(
                None,
                Some(format!(
                    "ground control points not carried: geo points {why}"
                )),
            )
        };
        let values: Result<Vec<f64>, _> =
            text.split(',').map(|v| v.trim().parse::<f64>()).collect();
        let Ok(values) = values else {
            return none("holds something other than numbers");
        };
        if values.len() < 8 || !values.len().is_multiple_of(4) {
            return none("is not two or more (x, y, latitude, longitude) sets");
        }
        if !values.iter().all(|v| v.is_finite()) {
            return none("holds non-finite numbers");
        }
        let points = values
            .chunks_exact(4)
            .map(|p| [p[0] - 1.0, p[1] - 1.0, p[3], p[2]])
            .collect();
        Translated::new(Some(GroundPoints(points)), None)
    }

    /// GeoTIFF tags: one tie point per ground control point, `PixelIsArea`, EPSG:4326.
    pub fn to_geotiff(&self) -> GeoTags {
        GeoTags {
            model_tiepoint: Some(
                self.0
                    .iter()
                    .flat_map(|&[i, j, lon, lat]| [i, j, 0.0, lon, lat, 0.0])
                    .collect(),
            ),
            geo_key_directory: Some(GeoTags::epsg_keys(4326, CrsKind::Geographic)),
            ..GeoTags::default()
        }
    }
}

impl NorthUp {
    /// The north-up georeferencing of GeoTIFF tags: one tie point and a pixel scale, or a
    /// transformation matrix without rotation or shear. Ground control points (several tie
    /// points), rotated, sheared or south-up grids give `None` and a note.
    pub fn from_geotiff(geo: &GeoTags) -> Translated<Option<NorthUp>> {
        let none = |note: &str| Translated::new(None, Some(note.to_string()));
        let point = geo.raster_type() == Some(RasterType::PixelIsPoint);
        // PixelIsPoint names pixel centres: raster (0, 0) is the corner point (0.5, 0.5)
        let shift = if point { 0.5 } else { 0.0 };
        let (pixel, map, size) = if let Some(m) = &geo.model_transformation {
            if m.len() != 16 {
                return none(
                    "georeferencing not carried: a ModelTransformation of other than 16 values",
                );
            }
            if m[1] != 0.0 || m[4] != 0.0 {
                return none(
                    "georeferencing not carried: the GeoTIFF's grid is rotated or sheared \
                     (ModelTransformation); only north-up grids are translated",
                );
            }
            ((shift, shift), (m[3], m[7]), (m[0], -m[5]))
        } else {
            match (&geo.model_tiepoint, &geo.model_pixel_scale) {
                (None, _) => return Translated::new(None, None),
                (Some(tp), Some(sc)) if tp.len() == 6 && sc.len() >= 2 => (
                    (tp[0] + shift, tp[1] + shift),
                    (tp[3], tp[4]),
                    (sc[0], sc[1]),
                ),
                (Some(tp), _) if tp.len() > 6 => {
                    return none(
                        "georeferencing not carried: the GeoTIFF has ground control points \
                         (tie points without a pixel scale), which ENVI map info cannot hold",
                    );
                }
                _ => {
                    return none("georeferencing not carried: a tie point without a pixel scale");
                }
            }
        };
        let finite = [pixel.0, pixel.1, map.0, map.1, size.0, size.1]
            .iter()
            .all(|v| v.is_finite());
        if !finite || size.0 <= 0.0 || size.1 <= 0.0 {
            return none(
                "georeferencing not carried: the GeoTIFF's grid is not north-up (pixel sizes \
                 must be positive, rows going south)",
            );
        }
        Translated::new(
            Some(NorthUp {
                pixel,
                map,
                size,
                epsg: geo.epsg(),
            }),
            None,
        )
    }

    /// GeoTIFF tags of this georeferencing: `PixelIsArea` tie point and pixel scale, and the
    /// GeoKeys of the EPSG code (model type, raster type, projected or geographic type).
    /// Without a code, no GeoKeys.
    pub fn to_geotiff(&self) -> GeoTags {
        let keys = self.epsg.map(|(code, kind)| GeoTags::epsg_keys(code, kind));
        GeoTags {
            model_pixel_scale: Some(vec![self.size.0, self.size.1, 0.0]),
            model_tiepoint: Some(vec![
                self.pixel.0,
                self.pixel.1,
                0.0,
                self.map.0,
                self.map.1,
                0.0,
            ]),
            geo_key_directory: keys,
            ..GeoTags::default()
        }
    }

    /// The ENVI `map info` and `coordinate system string` of this georeferencing: UTM or
    /// Geographic Lat/Lon with the datum's ENVI name and the system's WKT for the known
    /// systems (see the module's documentation); otherwise `Arbitrary` (the grid without a
    /// coordinate system), no WKT, and a note.
    pub fn to_envi(&self) -> Translated<EnviGeo> {
        let (rx, ry) = (self.pixel.0 + 1.0, self.pixel.1 + 1.0);
        let (x, y) = self.map;
        let (dx, dy) = self.size;
        let known = self.epsg.and_then(|(c, _)| Known::from_epsg(c));
        let (map_info, note) = match known {
            Some(Known {
                datum,
                utm: Some((zone, north)),
            }) => (
                format!(
                    "UTM, {rx}, {ry}, {x}, {y}, {dx}, {dy}, {zone}, {}, {}, units=Meters",
                    if north { "North" } else { "South" },
                    datum.envi_name()
                ),
                None,
            ),
            Some(Known { datum, utm: None }) => (
                format!(
                    "Geographic Lat/Lon, {rx}, {ry}, {x}, {y}, {dx}, {dy}, {}, units=Degrees",
                    datum.envi_name()
                ),
                None,
            ),
            None => (
                format!("Arbitrary, {rx}, {ry}, {x}, {y}, {dx}, {dy}, 0, North"),
                Some(match self.epsg {
                    Some((c, _)) => format!(
                        "coordinate system EPSG:{c} not carried into the ENVI headers (only \
                         geographic and UTM systems on WGS 84, NAD83 and ETRS89 are): map info \
                         holds the grid alone"
                    ),
                    None => "no EPSG coordinate system in the input: map info holds the grid \
                             alone"
                        .to_string(),
                }),
            ),
        };
        Translated::new(
            EnviGeo {
                map_info: Some(map_info),
                coordinate_system: known.map(Known::wkt),
                geo_points: None,
            },
            note,
        )
    }

    /// The georeferencing of ENVI header fields. `map info` gives the grid (a rotated one is
    /// refused with a note); the coordinate system comes from the WKT (its EPSG authority, or
    /// a known system it describes) or, without a WKT, from `map info` naming UTM or
    /// Geographic Lat/Lon on a known datum; when both name one they must agree, and a WKT
    /// that names none leaves the system out. Without `map info`, `None`.
    pub fn from_envi(map_info: Option<&str>, wkt: Option<&str>) -> Translated<Option<NorthUp>> {
        let Some(text) = map_info else {
            return Translated::new(None, None);
        };
        let none = |note: String| Translated::new(None, Some(note));
        let parsed = match MapInfo::parse(text) {
            Ok(m) => m,
            Err(why) => return none(format!("georeferencing not carried: map info {why}")),
        };
        if parsed.rotation != 0.0 {
            return none(format!(
                "georeferencing not carried: map info has rotation={} (only north-up grids \
                 are translated)",
                parsed.rotation
            ));
        }
        let from_map = parsed.known().map(Known::epsg);
        let from_wkt = wkt.map(crs_of_wkt);
        let (epsg, note) = match (from_map, from_wkt) {
            (m, None) => (
                m,
                m.is_none().then(|| {
                    format!(
                        "coordinate system not carried: map info names `{}` with no EPSG \
                         equivalent here and there is no coordinate system string",
                        parsed.projection
                    )
                }),
            ),
            (m, Some(Ok(w))) => match m {
                Some(m) if m != w => (
                    None,
                    Some(format!(
                        "coordinate system not carried: map info says EPSG:{} but the \
                         coordinate system string EPSG:{}",
                        m.0, w.0
                    )),
                ),
                _ => (Some(w), None),
            },
            // the WKT describes the system (GDAL's ENVI driver reads it first): one that cannot
            // be named leaves the system unknown, whatever map info says
            (_, Some(Err(why))) => (None, Some(format!("coordinate system not carried: {why}"))),
        };
        Translated::new(
            Some(NorthUp {
                pixel: (parsed.reference.0 - 1.0, parsed.reference.1 - 1.0),
                map: parsed.map,
                size: parsed.size,
                epsg,
            }),
            note,
        )
    }

    /// The georeferencing of a BEAM-DIMAP document's `Geoposition/IMAGE_TO_MODEL_TRANSFORM`
    /// ([m00, m10, m01, m11, m02, m12], SNAP's image coordinates: (0, 0) the upper-left
    /// corner) and `Coordinate_Reference_System/WKT`. Without a transform (a product
    /// georeferenced by tie-point grids only, as SAR products in slant range are), `None`
    /// and a note: such products have no map georeferencing.
    pub fn from_dimap(
        image_to_model: Option<[f64; 6]>,
        wkt: Option<&str>,
    ) -> Translated<Option<NorthUp>> {
        let Some([m00, m10, m01, m11, m02, m12]) = image_to_model else {
            return Translated::new(
                None,
                Some(
                    "no map georeferencing: the BEAM-DIMAP product has no image-to-map \
                     transform (tie-point grids only, e.g. slant range)"
                        .into(),
                ),
            );
        };
        let finite = [m00, m10, m01, m11, m02, m12].iter().all(|v| v.is_finite());
        if !finite || m10 != 0.0 || m01 != 0.0 || m00 <= 0.0 || m11 >= 0.0 {
            return Translated::new(
                None,
                Some(
                    "georeferencing not carried: the BEAM-DIMAP grid is not north-up (rotated, \
                     sheared or flipped)"
                        .into(),
                ),
            );
        }
        let (epsg, note) = match wkt.map(crs_of_wkt) {
            None => (
                None,
                Some("coordinate system not carried: the BEAM-DIMAP product names none".into()),
            ),
            Some(Ok(c)) => (Some(c), None),
            Some(Err(why)) => (None, Some(format!("coordinate system not carried: {why}"))),
        };
        Translated::new(
            Some(NorthUp {
                pixel: (0.0, 0.0),
                map: (m02, m12),
                size: (m00, -m11),
                epsg,
            }),
            note,
        )
    }
}

/// The fields of an ENVI `map info` read here.
#[derive(Debug, Clone, PartialEq)]
struct MapInfo {
    projection: String,
    reference: (f64, f64),
    map: (f64, f64),
    size: (f64, f64),
    /// UTM zone and hemisphere.
    zone: Option<(u32, bool)>,
    datum: Option<String>,
    units: Option<String>,
    rotation: f64,
}

impl MapInfo {
    /// `{projection, ref x, ref y, x, y, dx, dy[, zone, North|South][, datum][, units=U]
    /// [, rotation=R]}`.
    fn parse(text: &str) -> Result<MapInfo, String> {
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        if fields.len() < 7 {
            return Err(format!("has {} fields, fewer than 7", fields.len()));
        }
        let num = |i: usize| -> Result<f64, String> {
            fields[i]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("field {} is `{}`, not a number", i + 1, fields[i]))
        };
        let (rx, ry, x, y, dx, dy) = (num(1)?, num(2)?, num(3)?, num(4)?, num(5)?, num(6)?);
        if dx <= 0.0 || dy <= 0.0 {
            return Err(format!("pixel size {dx} x {dy} is not positive"));
        }
        let value = |key: &str| {
            fields[7..].iter().find_map(|f| {
                let (k, v) = f.split_once('=')?;
                k.trim().eq_ignore_ascii_case(key).then(|| v.trim())
            })
        };
        let rotation = match value("rotation") {
            None => 0.0,
            Some(r) => r
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("rotation `{r}` is not a number"))?,
        };
        let units = value("units").map(str::to_string);
        let plain: Vec<&str> = fields[7..]
            .iter()
            .copied()
            .filter(|f| !f.contains('=') && !f.is_empty())
            .collect();
        let projection = fields[0].to_string();
        let utm = projection.eq_ignore_ascii_case("UTM");
        let (zone, datum) = if utm {
            let zone = match (plain.first(), plain.get(1)) {
                (Some(z), Some(h)) => {
                    let z: u32 = z
                        .parse()
                        .map_err(|_| format!("UTM zone `{z}` is not a whole number"))?;
                    let north = if h.eq_ignore_ascii_case("North") {
                        true
                    } else if h.eq_ignore_ascii_case("South") {
                        false
                    } else {
                        return Err(format!("UTM hemisphere `{h}` is not North or South"));
                    };
                    Some((z, north))
                }
                _ => return Err("names UTM without a zone and hemisphere".into()),
            };
            (zone, plain.get(2).map(|d| d.to_string()))
        } else {
            (None, plain.first().map(|d| d.to_string()))
        };
        Ok(MapInfo {
            projection,
            reference: (rx, ry),
            map: (x, y),
            size: (dx, dy),
            zone,
            datum,
            units,
            rotation,
        })
    }

    /// The known system named, if any: UTM (zone, hemisphere, metres) or Geographic Lat/Lon
    /// (degrees) on a datum named as ENVI and GDAL name it (`WGS-84`, `North America 1983`)
    /// or as ESA SNAP writes its datum's name (`WGS84`, `World Geodetic System 1984`).
    fn known(&self) -> Option<Known> {
        let datum = Datum::from_name(self.datum.as_deref()?)?;
        let units = self.units.as_deref().map(str::to_ascii_lowercase);
        if let Some((zone, north)) = self.zone {
            let metres = matches!(units.as_deref(), None | Some("meters" | "metres"));
            let zone = u8::try_from(zone).ok()?;
            return if metres {
                Known::new(datum, Some((zone, north)))
            } else {
                None
            };
        }
        let lat_lon = self
            .projection
            .to_ascii_lowercase()
            .starts_with("geographic lat");
        if lat_lon && matches!(units.as_deref(), None | Some("degrees")) {
            Known::new(datum, None)
        } else {
            None
        }
    }
}

/// The EPSG code of a WKT coordinate system: its own authority, or the WGS 84 geographic
/// system ESA SNAP writes without one; an error says why not.
fn crs_of_wkt(text: &str) -> Result<(u16, CrsKind), String> {
    let root = Node::parse(text).ok_or("the WKT could not be read")?;
    let kind = match root.keyword.as_str() {
        "PROJCS" | "PROJCRS" | "PROJECTEDCRS" => CrsKind::Projected,
        "GEOGCS" | "GEOGCRS" | "GEOGRAPHICCRS" => CrsKind::Geographic,
        other => {
            return Err(format!(
                "the WKT is a {other}, not a projected or geographic system"
            ));
        }
    };
    let name = root.name().unwrap_or("");
    if let Some(code) = root.epsg() {
        return u16::try_from(code)
            .ok()
            .filter(|&c| c > 0 && c < 32767)
            .map(|c| (c, kind))
            .ok_or_else(|| format!("EPSG:{code} of `{name}` does not fit a GeoTIFF GeoKey"));
    }
    if let Some(k) = Known::from_wkt_content(&root) {
        return Ok(k.epsg());
    }
    Err(format!("the WKT `{name}` gives no EPSG code"))
}

/// The EPSG code and kind of a WKT coordinate system (WKT 1 or 2): the root object's own
/// `AUTHORITY`/`ID`, or the known geographic or UTM system a WKT 1 describes without one
/// (ESRI WKT, ESA SNAP's `WGS84(DD)`); an error says why there is none.
pub fn epsg_of_wkt(text: &str) -> Result<(u16, CrsKind), String> {
    crs_of_wkt(text)
}

/// The OGC WKT 1 written for an EPSG code (as GDAL exports it), for the systems `map info`
/// names: 4326, 32601–32660, 32701–32760 (WGS 84); 4269, 26901–26923 (NAD83); 4258,
/// 25828–25838 (ETRS89).
pub fn wkt_of_epsg(code: u16) -> Option<String> {
    Known::from_epsg(code).map(Known::wkt)
}
