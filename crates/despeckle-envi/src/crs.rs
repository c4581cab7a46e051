//! The coordinate systems the georeferencing translation knows by content: geographic and
//! UTM on WGS 84, NAD83 and ETRS89 — their EPSG codes, the OGC WKT 1 written for them (as
//! GDAL and PROJ export the EPSG definitions), their ENVI `map info` datum names, and their
//! recognition from a WKT without an EPSG authority (ESRI WKT as GDAL's ENVI driver writes
//! it, ESA SNAP's `WGS84(DD)`).

use despeckle_geotiff::geo::CrsKind;

use crate::wkt::Node;

/// A geodetic datum of the known systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Datum {
    /// World Geodetic System 1984.
    Wgs84,
    /// North American Datum 1983.
    Nad83,
    /// European Terrestrial Reference System 1989.
    Etrs89,
}

/// A known system: geographic (degrees) or a UTM zone (metres) on a datum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Known {
    pub datum: Datum,
    /// `Some((zone, north))` for UTM, `None` for geographic.
    pub utm: Option<(u8, bool)>,
}

impl Datum {
    /// The datum's parts of its EPSG entries: the geographic system, the first UTM code of
    /// the northern and southern zones (the code of zone 1), and the zones EPSG defines.
    fn codes(self) -> (u16, u16, Option<u16>, std::ops::RangeInclusive<u8>) {
        match self {
            Datum::Wgs84 => (4326, 32600, Some(32700), 1..=60),
            Datum::Nad83 => (4269, 26900, None, 1..=23),
            Datum::Etrs89 => (4258, 25800, None, 28..=38),
        }
    }

    /// The datum as ENVI's `map info` and GDAL's ENVI driver name it (ETRS89, which GDAL
    /// leaves unnamed, by its abbreviation; GDAL reads the WKT written beside it).
    pub fn envi_name(self) -> &'static str {
        match self {
            Datum::Wgs84 => "WGS-84",
            Datum::Nad83 => "North America 1983",
            Datum::Etrs89 => "ETRS89",
        }
    }

    /// The datum of a name in `map info` or WKT (case, blanks, `_` and `-` ignored): ENVI's,
    /// OGC's, ESRI's (`D_` prefix) and ESA SNAP's spellings.
    pub fn from_name(name: &str) -> Option<Datum> {
        let n = name.to_ascii_uppercase().replace([' ', '_', '-'], "");
        // ESRI's `D_` prefix
        let n = n
            .strip_prefix('D')
            .filter(|r| ["WGS", "NORTH", "ETRS"].iter().any(|p| r.starts_with(p)))
            .unwrap_or(&n);
        match n {
            "WGS84" | "WGS1984" | "WORLDGEODETICSYSTEM1984" => Some(Datum::Wgs84),
            "NORTHAMERICA1983" | "NORTHAMERICAN1983" | "NORTHAMERICANDATUM1983" | "NAD83" => {
                Some(Datum::Nad83)
            }
            "ETRS1989" | "ETRS89" | "EUROPEANTERRESTRIALREFERENCESYSTEM1989" => Some(Datum::Etrs89),
            _ => None,
        }
    }

    /// The ellipsoid's semi-major axis (m) and inverse flattening.
    fn ellipsoid(self) -> (f64, f64) {
        match self {
            Datum::Wgs84 => (6378137.0, 298.257223563),
            Datum::Nad83 | Datum::Etrs89 => (6378137.0, 298.257222101),
        }
    }

    /// The OGC WKT 1 `GEOGCS` of the datum without its closing bracket (axes and authority
    /// follow), as GDAL exports it.
    fn geogcs(self) -> String {
        let (name, datum, ellipsoid, rf, e_code, d_code) = match self {
            Datum::Wgs84 => ("WGS 84", "WGS_1984", "WGS 84", "298.257223563", 7030, 6326),
            Datum::Nad83 => (
                "NAD83",
                "North_American_Datum_1983",
                "GRS 1980",
                "298.257222101",
                7019,
                6269,
            ),
            Datum::Etrs89 => (
                "ETRS89",
                "European_Terrestrial_Reference_System_1989",
                "GRS 1980",
                "298.257222101",
                7019,
                6258,
            ),
        };
        format!(
            "GEOGCS[\"{name}\",DATUM[\"{datum}\",SPHEROID[\"{ellipsoid}\",6378137,{rf},\
             AUTHORITY[\"EPSG\",\"{e_code}\"]],AUTHORITY[\"EPSG\",\"{d_code}\"]],\
             PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",\
             0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]]"
        )
    }
}

const DATUMS: [Datum; 3] = [Datum::Wgs84, Datum::Nad83, Datum::Etrs89];

impl Known {
    /// The known system of an EPSG code.
    pub fn from_epsg(code: u16) -> Option<Known> {
        DATUMS.iter().find_map(|&datum| {
            let (geog, north, south, zones) = datum.codes();
            let zone = |first: u16| {
                code.checked_sub(first)
                    .and_then(|z| u8::try_from(z).ok())
                    .filter(|z| zones.contains(z))
            };
            if code == geog {
                Some(Known { datum, utm: None })
            } else if let Some(z) = zone(north) {
                Some(Known {
                    datum,
                    utm: Some((z, true)),
                })
            } else {
                south.and_then(zone).map(|z| Known {
                    datum,
                    utm: Some((z, false)),
                })
            }
        })
    }

    /// A UTM zone or geographic system on `datum`, if EPSG defines it.
    pub fn new(datum: Datum, utm: Option<(u8, bool)>) -> Option<Known> {
        let k = Known { datum, utm };
        let (geog, north, south, zones) = datum.codes();
        let code = match utm {
            None => Some(geog),
            Some((z, n)) if zones.contains(&z) => {
                if n {
                    Some(north)
                } else {
                    south
                }
            }
            Some(_) => None,
        };
        code.map(|_| k)
    }

    /// Its EPSG code and kind.
    pub fn epsg(self) -> (u16, CrsKind) {
        let (geog, north, south, _) = self.datum.codes();
        match self.utm {
            None => (geog, CrsKind::Geographic),
            Some((z, n)) => {
                let first = if n {
                    north
                } else {
                    south.expect("checked at creation")
                };
                (first + z as u16, CrsKind::Projected)
            }
        }
    }

    /// The OGC WKT 1 of the system, as GDAL and PROJ export the EPSG definition.
    pub fn wkt(self) -> String {
        let (code, _) = self.epsg();
        let geogcs = self.datum.geogcs();
        match self.utm {
            None => format!(
                "{geogcs},AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],\
                 AUTHORITY[\"EPSG\",\"{code}\"]]"
            ),
            Some((zone, north)) => {
                let (geog, _, _, _) = self.datum.codes();
                let name = geogcs
                    .split('"')
                    .nth(1)
                    .expect("the GEOGCS is named")
                    .to_string();
                format!(
                    "PROJCS[\"{name} / UTM zone {zone}{}\",{geogcs},AUTHORITY[\"EPSG\",\
                     \"{geog}\"]],PROJECTION[\"Transverse_Mercator\"],\
                     PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",{}],\
                     PARAMETER[\"scale_factor\",0.9996],PARAMETER[\"false_easting\",500000],\
                     PARAMETER[\"false_northing\",{}],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\
                     \"9001\"]],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH],\
                     AUTHORITY[\"EPSG\",\"{code}\"]]",
                    if north { "N" } else { "S" },
                    6 * zone as i32 - 183,
                    if north { 0 } else { 10_000_000 },
                )
            }
        }
    }

    /// The known system a WKT 1 describes without naming an authority: its datum (by name
    /// and ellipsoid), Greenwich, degrees, and for `PROJCS` a Transverse Mercator with UTM's
    /// parameters in metres (zone from the central meridian, hemisphere from the false
    /// northing).
    pub fn from_wkt_content(root: &Node) -> Option<Known> {
        let geogcs = if root.keyword == "GEOGCS" {
            root
        } else if root.keyword == "PROJCS" {
            root.children("GEOGCS").next()?
        } else {
            return None;
        };
        let datum_node = geogcs.children("DATUM").next()?;
        let datum = Datum::from_name(datum_node.name()?)?;
        let ellipsoid = datum_node.children("SPHEROID").next()?;
        if (ellipsoid.number(1)?, ellipsoid.number(2)?) != datum.ellipsoid() {
            return None;
        }
        let greenwich = geogcs.children("PRIMEM").next()?.number(1)? == 0.0;
        let degrees = geogcs
            .children("UNIT")
            .next()?
            .number(1)
            .is_some_and(|f| (f - std::f64::consts::PI / 180.0).abs() < 1e-15);
        if !greenwich || !degrees {
            return None;
        }
        if root.keyword == "GEOGCS" {
            return Known::new(datum, None);
        }
        let projection = root.children("PROJECTION").next()?.name()?;
        if !projection.eq_ignore_ascii_case("Transverse_Mercator") {
            return None;
        }
        let parameter = |name: &str| {
            root.children("PARAMETER")
                .find(|p| p.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
                .and_then(|p| p.number(1))
        };
        let metres = root
            .children("UNIT")
            .next()
            .is_some_and(|u| u.number(1) == Some(1.0));
        let meridian = parameter("central_meridian")?;
        let zone = (meridian + 183.0) / 6.0;
        let north = match parameter("false_northing")? {
            0.0 => true,
            10_000_000.0 => false,
            _ => return None,
        };
        let utm = metres
            && parameter("latitude_of_origin")? == 0.0
            && parameter("scale_factor")? == 0.9996
            && parameter("false_easting")? == 500_000.0
            && zone.fract() == 0.0
            && (1.0..=60.0).contains(&zone);
        if !utm {
            return None;
        }
        Known::new(datum, Some((zone as u8, north)))
    }
}
