//! Arbitrary text as an ENVI header, a PolSARpro `config.txt` or a BEAM-DIMAP document: an
//! error or a value, never a panic (bounded case counts: fast).

use std::path::Path;

use despeckle_envi::{Config, DimapProduct, Header};
use proptest::prelude::*;

/// Lines built from the words these formats use, so that the parsers get past their first
/// checks.
fn lines() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("ENVI".to_string()),
        Just("samples".to_string()),
        Just("lines".to_string()),
        Just("bands".to_string()),
        Just("data type".to_string()),
        Just("byte order".to_string()),
        Just("interleave".to_string()),
        Just("band names".to_string()),
        Just("header offset".to_string()),
        Just("data ignore value".to_string()),
        Just("=".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(",".to_string()),
        Just("Nrow".to_string()),
        Just("Ncol".to_string()),
        Just("---------".to_string()),
        "[0-9]{1,25}",
        "-?[0-9]{0,3}\\.?[0-9]{0,3}(e[+-]?[0-9]{1,3})?",
        "(bsq|bil|bip|nan|inf|BSQ)",
        "[a-zA-Z_ ]{0,8}",
        "\\PC{0,4}",
    ];
    proptest::collection::vec(
        proptest::collection::vec(word, 0..8).prop_map(|w| w.join(" ")),
        0..12,
    )
    .prop_map(|l| l.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn headers_never_panic(text in lines()) {
        let with_magic = format!("ENVI\n{text}");
        for t in [&text, &with_magic] {
            if let Ok(h) = Header::parse(t, Path::new("x.hdr")) {
                // what parses writes back to text that parses to the same layout
                let again = Header::parse(&h.to_text(), Path::new("x.hdr")).unwrap();
                prop_assert_eq!((again.samples, again.lines, again.bands), (h.samples, h.lines, h.bands));
                prop_assert_eq!((again.data_type, again.interleave, again.byte_order), (h.data_type, h.interleave, h.byte_order));
                prop_assert_eq!(again.band_names.len(), h.band_names.len());
            }
        }
    }

    #[test]
    fn configs_never_panic(text in lines()) {
        if let Ok(c) = Config::parse(&text, Path::new("config.txt")) {
            prop_assert_eq!(Config::parse(&c.to_text(), Path::new("config.txt")).unwrap(), c);
        }
    }

    #[test]
    fn dim_documents_never_panic(
        tags in proptest::collection::vec(
            prop_oneof![
                Just("<Dimap_Document>"), Just("</Dimap_Document>"),
                Just("<Raster_Dimensions>"), Just("</Raster_Dimensions>"),
                Just("<NCOLS>3</NCOLS>"), Just("<NROWS>x</NROWS>"), Just("<NROWS>2</NROWS>"),
                Just("<Data_Access>"), Just("</Data_Access>"),
                Just("<Data_File><BAND_INDEX>0</BAND_INDEX><DATA_FILE_PATH href=\"../a.hdr\"/></Data_File>"),
                Just("<Image_Interpretation>"), Just("</Image_Interpretation>"),
                Just("<Spectral_Band_Info><BAND_INDEX>0</BAND_INDEX><BAND_NAME>C11</BAND_NAME></Spectral_Band_Info>"),
                Just("<Spectral_Band_Info><BAND_INDEX>1</BAND_INDEX><SCALING_FACTOR>q</SCALING_FACTOR></Spectral_Band_Info>"),
                Just("<IMAGE_TO_MODEL_TRANSFORM>1,2,3,4,5,6</IMAGE_TO_MODEL_TRANSFORM>"),
                Just("<Coordinate_Reference_System><WKT>GEOGCS[]</WKT></Coordinate_Reference_System>"),
                Just("&amp;"), Just("<"), Just("\u{0}"),
            ],
            0..14,
        )
    ) {
        let dir = tempfile::tempdir().unwrap();
        let dim = dir.path().join("p.dim");
        std::fs::write(&dim, tags.concat()).unwrap();
        if let Ok(p) = DimapProduct::open(&dim) {
            for i in 0..p.bands.len() + 1 {
                let _ = p.reader(i);
            }
            let _ = p.matrix();
            let _ = p.north_up();
        }
    }

    #[test]
    fn map_info_and_wkt_never_panic(
        map in proptest::collection::vec(
            prop_oneof![
                Just("UTM".to_string()), Just("Geographic Lat/Lon".to_string()),
                Just("North".to_string()), Just("South".to_string()), Just("WGS-84".to_string()),
                Just("units=Meters".to_string()), Just("rotation=".to_string()),
                "-?[0-9]{0,8}\\.?[0-9]{0,4}(E[+-]?[0-9]{1,3})?", "\\PC{0,4}",
            ],
            0..14,
        ),
        wkt in proptest::collection::vec(
            prop_oneof![
                Just("GEOGCS["), Just("PROJCS["), Just("DATUM["), Just("SPHEROID["),
                Just("AUTHORITY[\"EPSG\","), Just("ID["), Just("]"), Just(")"), Just("("),
                Just(","), Just("\""), Just("\"WGS 84\""), Just("6378137"),
                Just("298.257223563"), Just("\"32632\""), Just("UNIT[\"degree\""),
            ],
            0..24,
        ),
    ) {
        use despeckle_envi::georef::{NorthUp, epsg_of_wkt};
        let (map, wkt) = (map.join(", "), wkt.concat());
        let _ = epsg_of_wkt(&wkt);
        let t = NorthUp::from_envi(Some(&map), Some(&wkt));
        // what is read writes back to the same grid
        if let Some(n) = t.value {
            let g = n.to_geotiff();
            let back = NorthUp::from_geotiff(&g).value.unwrap();
            prop_assert_eq!(back.to_geotiff().geo_transform(), g.geo_transform());
        }
    }
}
