//! Georeferencing translated between GeoTIFF tags, ENVI headers and BEAM-DIMAP documents:
//! exact round trips, GDAL's conventions (its ENVI writer's headers, its WKT of EPSG codes)
//! and every refusal with its note.

use std::path::PathBuf;

use despeckle_envi::Raster;
use despeckle_envi::georef::{NorthUp, epsg_of_wkt, wkt_of_epsg};
use despeckle_geotiff::GeoTags;
use despeckle_geotiff::geo::CrsKind;

/// GDAL 3.6's `gdalsrsinfo -o wkt1 --single-line EPSG:CODE`.
const GDAL_32632: &str = "PROJCS[\"WGS 84 / UTM zone 32N\",GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4326\"]],PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",9],PARAMETER[\"scale_factor\",0.9996],PARAMETER[\"false_easting\",500000],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH],AUTHORITY[\"EPSG\",\"32632\"]]";
const GDAL_32706: &str = "PROJCS[\"WGS 84 / UTM zone 6S\",GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4326\"]],PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",-147],PARAMETER[\"scale_factor\",0.9996],PARAMETER[\"false_easting\",500000],PARAMETER[\"false_northing\",10000000],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH],AUTHORITY[\"EPSG\",\"32706\"]]";
const GDAL_4326: &str = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4326\"]]";
const GDAL_26910: &str = "PROJCS[\"NAD83 / UTM zone 10N\",GEOGCS[\"NAD83\",DATUM[\"North_American_Datum_1983\",SPHEROID[\"GRS 1980\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"7019\"]],AUTHORITY[\"EPSG\",\"6269\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4269\"]],PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",-123],PARAMETER[\"scale_factor\",0.9996],PARAMETER[\"false_easting\",500000],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH],AUTHORITY[\"EPSG\",\"26910\"]]";
const GDAL_25832: &str = "PROJCS[\"ETRS89 / UTM zone 32N\",GEOGCS[\"ETRS89\",DATUM[\"European_Terrestrial_Reference_System_1989\",SPHEROID[\"GRS 1980\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"7019\"]],AUTHORITY[\"EPSG\",\"6258\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4258\"]],PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",9],PARAMETER[\"scale_factor\",0.9996],PARAMETER[\"false_easting\",500000],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH],AUTHORITY[\"EPSG\",\"25832\"]]";
const GDAL_4258: &str = "GEOGCS[\"ETRS89\",DATUM[\"European_Terrestrial_Reference_System_1989\",SPHEROID[\"GRS 1980\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"7019\"]],AUTHORITY[\"EPSG\",\"6258\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4258\"]]";
/// GDAL 3.6's `gdalsrsinfo -o wkt_esri --single-line EPSG:CODE` (no authority).
const ESRI: [(u16, &str); 4] = [
    (
        25832,
        "PROJCS[\"ETRS_1989_UTM_Zone_32N\",GEOGCS[\"GCS_ETRS_1989\",DATUM[\"D_ETRS_1989\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",9.0],PARAMETER[\"Scale_Factor\",0.9996],PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]",
    ),
    (
        26910,
        "PROJCS[\"NAD_1983_UTM_Zone_10N\",GEOGCS[\"GCS_North_American_1983\",DATUM[\"D_North_American_1983\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",-123.0],PARAMETER[\"Scale_Factor\",0.9996],PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]",
    ),
    (
        32706,
        "PROJCS[\"WGS_1984_UTM_Zone_6S\",GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",10000000.0],PARAMETER[\"Central_Meridian\",-147.0],PARAMETER[\"Scale_Factor\",0.9996],PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]",
    ),
    (
        4326,
        "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]",
    ),
];
/// ESA SNAP's default geographic system (no authority).
const SNAP_WGS84: &str = "GEOGCS[\"WGS84(DD)\", \n DATUM[\"WGS84\", \n SPHEROID[\"WGS84\", 6378137.0, 298.257223563]], PRIMEM[\"Greenwich\", 0.0], UNIT[\"degree\", 0.017453292519943295], AXIS[\"Geodetic longitude\", EAST], AXIS[\"Geodetic latitude\", NORTH]]";

fn keys(model: u16, key: u16, code: u16) -> Vec<u16> {
    vec![
        1, 1, 0, 3, 1024, 0, 1, model, 1025, 0, 1, 1, key, 0, 1, code,
    ]
}

fn utm(code: u16, tie: [f64; 6], scale: [f64; 3]) -> GeoTags {
    GeoTags {
        model_tiepoint: Some(tie.to_vec()),
        model_pixel_scale: Some(scale.to_vec()),
        geo_key_directory: Some(keys(1, 3072, code)),
        ..GeoTags::default()
    }
}

/// GeoTIFF → ENVI → GeoTIFF through the headers' text.
fn round_trip(g: &GeoTags) -> (String, GeoTags) {
    let n = NorthUp::from_geotiff(g);
    assert_eq!(n.note, None);
    let envi = n.value.unwrap().to_envi();
    let map = envi.value.map_info.clone().unwrap();
    let back = NorthUp::from_envi(Some(&map), envi.value.coordinate_system.as_deref());
    assert_eq!(back.note, None, "{map}");
    (map, back.value.unwrap().to_geotiff())
}

#[test]
fn geotiff_to_envi_and_back_is_exact() {
    // awkward numbers: every digit must survive the text
    let g = utm(
        32632,
        [0.0, 0.0, 0.0, 499_987.123_456_789_1, 4_600_000.1, 0.0],
        [10.000_000_000_000_2, 13.7, 0.0],
    );
    let (map, back) = round_trip(&g);
    assert_eq!(
        map,
        "UTM, 1, 1, 499987.1234567891, 4600000.1, 10.0000000000002, 13.7, 32, North, WGS-84, units=Meters"
    );
    assert_eq!(back.geo_transform(), g.geo_transform());
    assert_eq!(back.epsg(), Some((32632, CrsKind::Projected)));
    assert_eq!(back.model_tiepoint, g.model_tiepoint);
    assert_eq!(back.model_pixel_scale, g.model_pixel_scale);

    // a tie point elsewhere than (0, 0): ENVI's reference pixel is 1-based
    let g = utm(
        32706,
        [3.0, 7.0, 0.0, 300_000.0, 7_000_000.0, 0.0],
        [20.0, 20.0, 0.0],
    );
    let (map, back) = round_trip(&g);
    assert!(
        map.starts_with("UTM, 4, 8, 300000, 7000000, 20, 20, 6, South,"),
        "{map}"
    );
    assert_eq!(back.geo_transform(), g.geo_transform());
    assert_eq!(back.epsg(), Some((32706, CrsKind::Projected)));

    // geographic, from a transformation matrix without rotation
    let g = GeoTags {
        model_transformation: Some(vec![
            0.001, 0.0, 0.0, 3.5, 0.0, -0.002, 0.0, 45.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
        ]),
        geo_key_directory: Some(keys(2, 2048, 4326)),
        ..GeoTags::default()
    };
    let (map, back) = round_trip(&g);
    assert_eq!(
        map,
        "Geographic Lat/Lon, 1, 1, 3.5, 45.25, 0.001, 0.002, WGS-84, units=Degrees"
    );
    assert_eq!(back.geo_transform(), g.geo_transform());
    assert_eq!(back.epsg(), Some((4326, CrsKind::Geographic)));
}

#[test]
fn pixel_is_point_names_the_centre() {
    // PixelIsPoint: the tie point is the centre of pixel (0, 0), ENVI's (1.5, 1.5); GDAL's
    // geotransform of such a file starts half a pixel up and left, as the ENVI one does
    let mut g = utm(
        32632,
        [0.0, 0.0, 0.0, 500_000.0, 4_600_000.0, 0.0],
        [10.0, 10.0, 0.0],
    );
    g.geo_key_directory.as_mut().unwrap()[11] = 2;
    let envi = NorthUp::from_geotiff(&g).value.unwrap().to_envi().value;
    let map = envi.map_info.unwrap();
    assert!(
        map.starts_with("UTM, 1.5, 1.5, 500000, 4600000, 10, 10,"),
        "{map}"
    );
    let back = NorthUp::from_envi(Some(&map), None)
        .value
        .unwrap()
        .to_geotiff();
    assert_eq!(
        back.geo_transform(),
        Some([499_995.0, 10.0, 0.0, 4_600_005.0, 0.0, -10.0])
    );
}

#[test]
fn wkt_is_gdals_for_the_named_systems() {
    assert_eq!(wkt_of_epsg(32632).as_deref(), Some(GDAL_32632));
    assert_eq!(wkt_of_epsg(32706).as_deref(), Some(GDAL_32706));
    assert_eq!(wkt_of_epsg(4326).as_deref(), Some(GDAL_4326));
    assert_eq!(wkt_of_epsg(26910).as_deref(), Some(GDAL_26910));
    assert_eq!(wkt_of_epsg(25832).as_deref(), Some(GDAL_25832));
    assert_eq!(wkt_of_epsg(4258).as_deref(), Some(GDAL_4258));
    // UPS north, NAD83 zone 24 (not 269zz), ETRS89 zone 27 (not 258zz), Lambert-93
    for code in [32661, 26924, 25827, 25839, 2154, 26700] {
        assert_eq!(wkt_of_epsg(code), None, "{code}");
    }
    let named = (32601..=32660)
        .chain(32701..=32760)
        .chain(26901..=26923)
        .chain(25828..=25838)
        .chain([4326, 4269, 4258]);
    for code in named {
        let wkt = wkt_of_epsg(code).unwrap();
        let kind = if [4326, 4269, 4258].contains(&code) {
            CrsKind::Geographic
        } else {
            CrsKind::Projected
        };
        assert_eq!(epsg_of_wkt(&wkt), Ok((code, kind)));
        // the same system without its authorities: recognised from what it describes
        let bare = wkt
            .split(",AUTHORITY[")
            .map(|part| match part.find("]]") {
                Some(i) if part.starts_with('"') => &part[i + 1..],
                _ => part,
            })
            .collect::<String>();
        assert!(!bare.contains("AUTHORITY"), "{bare}");
        assert_eq!(epsg_of_wkt(&bare), Ok((code, kind)), "{bare}");
    }
}

#[test]
fn epsg_codes_of_wkt() {
    assert_eq!(epsg_of_wkt(SNAP_WGS84), Ok((4326, CrsKind::Geographic)));
    // WKT 2 (as PROJ writes it): the root's own ID, not its base CRS's
    let wkt2 = "PROJCRS[\"WGS 84 / UTM zone 32N\",BASEGEOGCRS[\"WGS 84\",ENSEMBLE[\"World Geodetic System 1984 ensemble\",ELLIPSOID[\"WGS 84\",6378137,298.257223563]],ID[\"EPSG\",4326]],CONVERSION[\"UTM zone 32N\",METHOD[\"Transverse Mercator\",ID[\"EPSG\",9807]]],CS[Cartesian,2],ID[\"EPSG\",32632]]";
    assert_eq!(epsg_of_wkt(wkt2), Ok((32632, CrsKind::Projected)));
    // ESRI WKT (no authority), as GDAL's ENVI driver writes it: recognised by content
    for (code, esri) in ESRI {
        assert_eq!(epsg_of_wkt(esri).map(|c| c.0), Ok(code), "{esri}");
    }
    // ... but not when a parameter is not UTM's, or the datum is another on the same
    // ellipsoid, or the projection is missing
    let (_, e) = ESRI[0];
    for (from, to) in [
        ("\"Scale_Factor\",0.9996", "\"Scale_Factor\",0.9999"),
        ("\"Central_Meridian\",9.0", "\"Central_Meridian\",10.0"),
        ("\"False_Northing\",0.0", "\"False_Northing\",5000000.0"),
        ("D_ETRS_1989", "D_RGF_1993"),
        ("UNIT[\"Meter\",1.0]", "UNIT[\"Foot\",0.3048]"),
        ("PROJECTION[\"Transverse_Mercator\"],", ""),
    ] {
        assert!(e.contains(from), "{from}");
        let changed = e.replace(from, to);
        assert!(
            epsg_of_wkt(&changed).unwrap_err().contains("no EPSG code"),
            "{changed}"
        );
    }
    // a projected system whose base is WGS 84 is not EPSG:4326
    let no_auth = "PROJCS[\"x\",GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433]],UNIT[\"metre\",1]]";
    assert!(epsg_of_wkt(no_auth).is_err());
    // another ellipsoid is not WGS 84, whatever the name says
    let grs80 = SNAP_WGS84.replace("298.257223563", "298.257222101");
    assert!(epsg_of_wkt(&grs80).is_err());
    assert!(
        epsg_of_wkt("COMPD_CS[\"a\",AUTHORITY[\"EPSG\",\"7405\"]]")
            .unwrap_err()
            .contains("COMPD_CS")
    );
    assert!(epsg_of_wkt("GEOGCS[\"a\",AUTHORITY[\"EPSG\",\"104000\"]]").is_err());
    // broken and hostile text: an error, never a panic or a deep recursion
    for bad in [
        "",
        "GEOGCS[",
        "GEOGCS[\"a\"",
        "GEOGCS[\"a\"]]",
        "[[]]",
        "GEOGCS[\"a\",,]",
        &"A[".repeat(100_000),
    ] {
        assert!(epsg_of_wkt(bad).is_err(), "{bad:.40}");
    }
}

#[test]
fn gdal_written_header_gives_gdals_georeferencing() {
    // tests/data/gdal_bsq.hdr: GDAL's ENVI driver, EPSG:32631, transform
    // (500000, 10, 0, 4000000, 0, -10), ESRI WKT (no authority): the code comes from map info
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/gdal_bsq.img");
    let h = Raster::open(&path).unwrap().header().clone();
    let t = NorthUp::from_envi(h.map_info.as_deref(), h.coordinate_system.as_deref());
    assert_eq!(t.note, None);
    let g = t.value.unwrap().to_geotiff();
    assert_eq!(
        g.geo_transform(),
        Some([500_000.0, 10.0, 0.0, 4_000_000.0, 0.0, -10.0])
    );
    assert_eq!(g.epsg(), Some((32631, CrsKind::Projected)));
    // the map info ESA SNAP writes into a BEAM-DIMAP band header (its datum's own name,
    // reference pixel at the scene centre, its CRS's WKT)
    let t = NorthUp::from_envi(
        Some(
            "UTM,1001.5,501.5,605000.0,4995000.0,10.0,10.0,32,North,World Geodetic System 1984,units=Meters",
        ),
        Some(GDAL_32632),
    );
    assert_eq!(t.note, None);
    let g = t.value.unwrap().to_geotiff();
    assert_eq!(
        g.geo_transform(),
        Some([594_995.0, 10.0, 0.0, 5_000_005.0, 0.0, -10.0])
    );
    assert_eq!(g.epsg(), Some((32632, CrsKind::Projected)));
    let t = NorthUp::from_envi(
        Some("Geographic Lat/Lon,1.0,1.0,3.5,45.25,1.0E-4,1.0E-4,WGS84,units=Degrees"),
        Some(SNAP_WGS84),
    );
    assert_eq!(t.value.unwrap().epsg, Some((4326, CrsKind::Geographic)));
}

#[test]
fn what_is_not_carried_is_said() {
    let note = |t: Option<String>| t.unwrap_or_default();
    // rotated map info
    let t = NorthUp::from_envi(
        Some("UTM, 1, 1, 500000, 4000000, 10, 10, 31, North, WGS-84, rotation=30"),
        None,
    );
    assert_eq!(t.value, None);
    assert!(note(t.note).contains("rotation=30"));
    // map info and WKT naming different systems: the grid without a system
    let t = NorthUp::from_envi(
        Some("UTM, 1, 1, 500000, 4000000, 10, 10, 31, North, WGS-84"),
        Some(GDAL_32632),
    );
    assert_eq!(t.value.unwrap().epsg, None);
    assert!(note(t.note).contains("EPSG:32631"));
    // a WKT that names no known system: the system is left out, whatever map info says
    // (GDAL reads the WKT first)
    let lambert_esri = "PROJCS[\"RGF_1993_Lambert_93\",GEOGCS[\"GCS_RGF_1993\",DATUM[\"D_RGF_1993\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Lambert_Conformal_Conic\"],UNIT[\"Meter\",1.0]]";
    let t = NorthUp::from_envi(
        Some("UTM, 1, 1, 500000, 4000000, 10, 10, 31, North, WGS-84"),
        Some(lambert_esri),
    );
    assert_eq!(t.value.unwrap().epsg, None);
    assert!(note(t.note).contains("RGF_1993_Lambert_93"));
    // UTM without a datum is NAD27 for GDAL, not WGS 84; feet are not EPSG:326zz
    for m in [
        "UTM, 1, 1, 500000, 4000000, 10, 10, 31, North",
        "UTM, 1, 1, 500000, 4000000, 10, 10, 31, North, WGS-84, units=Feet",
        "UTM, 1, 1, 500000, 4000000, 10, 10, 61, North, WGS-84",
        "Lambert Conformal Conic, 1, 1, 500000, 4000000, 10, 10, WGS-84",
    ] {
        let t = NorthUp::from_envi(Some(m), None);
        assert_eq!(t.value.unwrap().epsg, None, "{m}");
        assert!(note(t.note).contains("not carried"), "{m}");
    }
    // a WKT with an authority names the system of any projection
    let t = NorthUp::from_envi(
        Some("Lambert Conformal Conic, 1, 1, 700000, 6600000, 10, 10, North America 1983"),
        Some("PROJCS[\"RGF93 / Lambert-93\",UNIT[\"metre\",1],AUTHORITY[\"EPSG\",\"2154\"]]"),
    );
    assert_eq!(t.note, None);
    assert_eq!(t.value.unwrap().epsg, Some((2154, CrsKind::Projected)));
    // broken map info
    for m in [
        "UTM, 1, 1, 500000",
        "UTM, 1, 1, x, 4000000, 10, 10, 31, North, WGS-84",
        "UTM, 1, 1, 500000, 4000000, -10, 10, 31, North, WGS-84",
        "UTM, 1, 1, 500000, 4000000, 10, 10, 31, Up, WGS-84",
    ] {
        let t = NorthUp::from_envi(Some(m), None);
        assert_eq!(t.value, None, "{m}");
        assert!(note(t.note).contains("map info"), "{m}");
    }
    assert_eq!(NorthUp::from_envi(None, Some(GDAL_4326)).value, None);

    // GeoTIFF side: ground control points, rotation, south-up
    let gcps = GeoTags {
        model_tiepoint: Some(vec![0.0; 12]),
        ..GeoTags::default()
    };
    assert!(note(NorthUp::from_geotiff(&gcps).note).contains("ground control points"));
    let rotated = GeoTags {
        model_transformation: Some(vec![
            10.0, 1.0, 0.0, 5.0, 1.0, -10.0, 0.0, 9.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
        ]),
        ..GeoTags::default()
    };
    assert!(note(NorthUp::from_geotiff(&rotated).note).contains("rotated"));
    let south_up = utm(32632, [0.0, 0.0, 0.0, 1.0, 2.0, 0.0], [10.0, -10.0, 0.0]);
    assert!(note(NorthUp::from_geotiff(&south_up).note).contains("north-up"));
    assert_eq!(NorthUp::from_geotiff(&GeoTags::default()).value, None);
    assert_eq!(NorthUp::from_geotiff(&GeoTags::default()).note, None);

    // a system without a name in map info: the grid alone, said
    let lambert = utm(
        2154,
        [0.0, 0.0, 0.0, 700_000.0, 6_600_000.0, 0.0],
        [10.0, 10.0, 0.0],
    );
    let t = NorthUp::from_geotiff(&lambert).value.unwrap().to_envi();
    assert_eq!(
        t.value.map_info.as_deref(),
        Some("Arbitrary, 1, 1, 700000, 6600000, 10, 10, 0, North")
    );
    assert_eq!(t.value.coordinate_system, None);
    assert!(note(t.note).contains("EPSG:2154"));
}

#[test]
fn dimap_transforms() {
    let t = NorthUp::from_dimap(
        Some([0.001, 0.0, 0.0, -0.002, 3.5, 45.25]),
        Some(SNAP_WGS84),
    );
    assert_eq!(t.note, None);
    assert_eq!(
        t.value.unwrap().to_geotiff().geo_transform(),
        Some([3.5, 0.001, 0.0, 45.25, 0.0, -0.002])
    );
    assert_eq!(t.value.unwrap().epsg, Some((4326, CrsKind::Geographic)));
    // slant range: tie-point grids only
    let t = NorthUp::from_dimap(None, Some(SNAP_WGS84));
    assert_eq!(t.value, None);
    assert!(t.note.unwrap().contains("tie-point grids"));
    let t = NorthUp::from_dimap(Some([1.0, 0.5, 0.0, -1.0, 0.0, 0.0]), None);
    assert_eq!(t.value, None);
    let t = NorthUp::from_dimap(Some([1.0, 0.0, 0.0, -1.0, 0.0, 0.0]), None);
    assert_eq!(t.value.unwrap().epsg, None);
    assert!(t.note.unwrap().contains("names none"));
}

/// Ground control points (several tie points on EPSG:4326, as in Sentinel-1 SLC GeoTIFFs)
/// become ENVI `geo points` with 1-based pixel coordinates and latitude before longitude
/// (GDAL's layout), and come back as the same tie points and GeoKeys; what cannot be carried
/// gives a note.
#[test]
fn ground_control_points_to_geo_points_and_back() {
    use despeckle_envi::georef::GroundPoints;
    use despeckle_geotiff::geo::RasterType;
    let tie = vec![
        0.0, 0.0, 0.0, 10.25, 45.5, 0.0, //
        20.0, 0.0, 0.0, 10.5, 45.53, 0.0, //
        0.0, 7.5, 0.0, 10.2, 45.1, 0.0,
    ];
    let geo = GeoTags {
        model_tiepoint: Some(tie.clone()),
        geo_key_directory: Some(keys(2, 2048, 4326)),
        ..GeoTags::default()
    };
    let t = GroundPoints::from_geotiff(&geo);
    assert_eq!(t.note, None);
    let points = t.value.unwrap();
    let text = points.to_envi();
    assert_eq!(
        text,
        "1, 1, 45.5, 10.25, 21, 1, 45.53, 10.5, 1, 8.5, 45.1, 10.2"
    );
    let back = GroundPoints::from_envi(&text).value.unwrap().to_geotiff();
    assert_eq!(back.model_tiepoint, Some(tie.clone()));
    assert_eq!(back.epsg(), Some((4326, CrsKind::Geographic)));
    assert_eq!(back.raster_type(), Some(RasterType::PixelIsArea));
    assert_eq!(back.model_pixel_scale, None);
    // one tie point with a pixel scale is a grid, not ground control points: no note here
    let grid = utm(32632, [0.0, 0.0, 0.0, 5e5, 5e6, 0.0], [10.0, 10.0, 0.0]);
    let t = GroundPoints::from_geotiff(&grid);
    assert!(t.value.is_none() && t.note.is_none());
    // refused with a note: another system, pixel centres, broken tie points
    let other = GeoTags {
        geo_key_directory: Some(keys(1, 3072, 32632)),
        ..geo.clone()
    };
    let note = GroundPoints::from_geotiff(&other).note.unwrap();
    assert!(note.contains("EPSG:32632"), "{note}");
    let mut point_keys = keys(2, 2048, 4326);
    point_keys[11] = 2; // RasterPixelIsPoint
    let point = GeoTags {
        geo_key_directory: Some(point_keys),
        ..geo.clone()
    };
    assert!(
        GroundPoints::from_geotiff(&point)
            .note
            .unwrap()
            .contains("PixelIsPoint")
    );
    let broken = GeoTags {
        model_tiepoint: Some(tie[..10].to_vec()),
        ..geo.clone()
    };
    assert!(GroundPoints::from_geotiff(&broken).note.is_some());
    for bad in [
        "1, 1, 45, 10",
        "1, 1, 45, 10, 2, 2, 46",
        "1, 1, a, 10, 2, 2, 46, 11",
        "1, 1, inf, 10, 2, 2, 46, 11",
    ] {
        let t = GroundPoints::from_envi(bad);
        assert!(t.value.is_none() && t.note.is_some(), "{bad}");
    }
}
