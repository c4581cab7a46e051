//! BEAM-DIMAP products laid out as ESA SNAP writes them (big-endian ENVI bands in
//! `.data/`), and broken ones.

use std::fs;
use std::path::{Path, PathBuf};

use despeckle::polsar::Matrix;
use despeckle_envi::{ComplexPair, DimapProduct, Error, Format};

const W: usize = 4;
const H: usize = 3;
const WKT: &str = "GEOGCS[\"WGS84(DD)\", DATUM[\"WGS84\", SPHEROID[\"WGS84\", 6378137.0, 298.257223563]], PRIMEM[\"Greenwich\", 0.0], UNIT[\"degree\", 0.017453292519943295], AXIS[\"Geodetic longitude\", EAST], AXIS[\"Geodetic latitude\", NORTH]]";

fn v(b: usize, y: usize, x: usize) -> f32 {
    b as f32 * 10.0 + y as f32 + x as f32 * 0.25
}

/// A band file as SNAP writes it: `NAME.hdr` + big-endian `NAME.img`.
fn band_file(data: &Path, name: &str, code: u32, values: impl Iterator<Item = f64>) {
    let bytes: Vec<u8> = values
        .flat_map(|v| match code {
            4 => (v as f32).to_be_bytes().to_vec(),
            2 => (v as i16).to_be_bytes().to_vec(),
            _ => unreachable!(),
        })
        .collect();
    fs::write(data.join(format!("{name}.img")), bytes).unwrap();
    fs::write(
        data.join(format!("{name}.hdr")),
        format!(
            "ENVI\ndescription = {{Sentinel-1 IW Level-1 SLC Product - Unit: intensity}}\nsamples = {W}\nlines = {H}\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\ndata type = {code}\ninterleave = bsq\nbyte order = 1\nband names = {{ {name} }}\n"
        ),
    )
    .unwrap();
}

fn spectral(i: usize, name: &str, extra: &str) -> String {
    format!(
        "<Spectral_Band_Info>\n<BAND_INDEX>{i}</BAND_INDEX>\n<BAND_DESCRIPTION />\n<BAND_NAME>{name}</BAND_NAME>\n<BAND_RASTER_WIDTH>{W}</BAND_RASTER_WIDTH>\n<BAND_RASTER_HEIGHT>{H}</BAND_RASTER_HEIGHT>\n{extra}\n</Spectral_Band_Info>\n"
    )
}

/// A C2 product (bands listed C22, C12_real, C11, C12_imag), a virtual band and a scaled
/// int16 band with a no-data value.
fn product(dir: &Path) -> PathBuf {
    let data = dir.join("S1_C2.data");
    fs::create_dir(&data).unwrap();
    let names = ["C22", "C12_real", "C11", "C12_imag"];
    let mut files = String::new();
    let mut infos = String::new();
    for (i, name) in names.iter().enumerate() {
        let p = Matrix::C2
            .elements()
            .iter()
            .position(|e| e == name)
            .unwrap();
        band_file(
            &data,
            name,
            4,
            (0..H).flat_map(|y| (0..W).map(move |x| v(p, y, x) as f64)),
        );
        files += &format!(
            "<Data_File>\n<DATA_FILE_PATH href=\"S1_C2.data/{name}.hdr\" />\n<BAND_INDEX>{i}</BAND_INDEX>\n</Data_File>\n"
        );
        infos += &spectral(
            i,
            name,
            "<DATA_TYPE>float32</DATA_TYPE>\n<PHYSICAL_UNIT>intensity</PHYSICAL_UNIT>\n<SCALING_FACTOR>1.0</SCALING_FACTOR>\n<SCALING_OFFSET>0.0</SCALING_OFFSET>\n<LOG10_SCALED>false</LOG10_SCALED>\n<NO_DATA_VALUE_USED>false</NO_DATA_VALUE_USED>\n<NO_DATA_VALUE>0.0</NO_DATA_VALUE>",
        );
    }
    infos += &spectral(
        4,
        "Span",
        // a band's own transform (multi-size products) is not the product's
        "<DATA_TYPE>float32</DATA_TYPE>\n<VIRTUAL_BAND>true</VIRTUAL_BAND>\n<EXPRESSION>C11 + C22</EXPRESSION>\n<IMAGE_TO_MODEL_TRANSFORM>9,9,9,9,9,9</IMAGE_TO_MODEL_TRANSFORM>",
    );
    band_file(&data, "amp", 2, (0..H * W).map(|i| i as f64 - 1.0));
    files += "<Data_File>\n<DATA_FILE_PATH href=\"S1_C2.data/amp.hdr\" />\n<BAND_INDEX>5</BAND_INDEX>\n</Data_File>\n";
    infos += &spectral(
        5,
        "amp",
        "<DATA_TYPE>int16</DATA_TYPE>\n<PHYSICAL_UNIT>amplitude</PHYSICAL_UNIT>\n<SCALING_FACTOR>0.5</SCALING_FACTOR>\n<SCALING_OFFSET>1.0</SCALING_OFFSET>\n<NO_DATA_VALUE_USED>true</NO_DATA_VALUE_USED>\n<NO_DATA_VALUE>-1.0</NO_DATA_VALUE>",
    );
    let dim = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Dimap_Document name=\"S1_C2.dim\">\n\
<Metadata_Id>\n<METADATA_FORMAT version=\"2.12.1\">DIMAP</METADATA_FORMAT>\n</Metadata_Id>\n\
<Dataset_Id>\n<DATASET_SERIES>BEAM-PRODUCT</DATASET_SERIES>\n<DATASET_NAME>S1_C2</DATASET_NAME>\n</Dataset_Id>\n\
<Dataset_Use>\n<DATASET_COMMENTS>Sentinel-1 IW Level-1 SLC Product</DATASET_COMMENTS>\n</Dataset_Use>\n\
<Production>\n<PRODUCT_TYPE>SLC</PRODUCT_TYPE>\n</Production>\n\
<Coordinate_Reference_System>\n<WKT>\n{WKT}\n</WKT>\n</Coordinate_Reference_System>\n\
<Raster_Dimensions>\n<NCOLS>{W}</NCOLS>\n<NROWS>{H}</NROWS>\n<NBANDS>6</NBANDS>\n</Raster_Dimensions>\n\
<Data_Access>\n<DATA_FILE_FORMAT>ENVI</DATA_FILE_FORMAT>\n<DATA_FILE_ORGANISATION>BAND_SEPARATE</DATA_FILE_ORGANISATION>\n{files}</Data_Access>\n\
<Image_Interpretation>\n{infos}</Image_Interpretation>\n\
<Geoposition>\n<IMAGE_TO_MODEL_TRANSFORM>0.001,0.0,0.0,-0.001,3.5,45.25</IMAGE_TO_MODEL_TRANSFORM>\n</Geoposition>\n\
<Dataset_Sources>\n<MDElem name=\"metadata\"><MDATTR name=\"PRODUCT\" type=\"ascii\">x</MDATTR></MDElem>\n</Dataset_Sources>\n\
</Dimap_Document>\n"
    );
    let path = dir.join("S1_C2.dim");
    fs::write(&path, dim).unwrap();
    path
}

#[test]
fn bands_matrix_and_georeferencing() {
    let dir = tempfile::tempdir().unwrap();
    let p = DimapProduct::open(&product(dir.path())).unwrap();
    assert_eq!((p.width, p.height), (W, H));
    assert_eq!(p.dataset_name.as_deref(), Some("S1_C2"));
    assert_eq!(p.product_type.as_deref(), Some("SLC"));
    assert_eq!(p.crs_wkt.as_deref(), Some(WKT));
    assert_eq!(
        p.image_to_model,
        Some([0.001, 0.0, 0.0, -0.001, 3.5, 45.25])
    );
    let names: Vec<&str> = p.bands.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["C22", "C12_real", "C11", "C12_imag", "Span", "amp"]);
    let span = p.band("Span").unwrap();
    assert!(span.virtual_band && !span.is_stored());
    assert_eq!(span.expression.as_deref(), Some("C11 + C22"));
    assert_eq!(p.band("C11").unwrap().unit.as_deref(), Some("intensity"));
    assert_eq!(p.band("C11").unwrap().no_data, None);

    let (matrix, order) = p.matrix().unwrap();
    assert_eq!(matrix, Matrix::C2);
    assert_eq!(order, [2, 1, 3, 0]);
    for (plane, &i) in order.iter().enumerate() {
        let mut r = p.reader(i).unwrap();
        let mut all = vec![0f32; W * H];
        r.read(0, &mut all).unwrap();
        let want: Vec<f32> = (0..H)
            .flat_map(|y| (0..W).map(move |x| v(plane, y, x)))
            .collect();
        assert_eq!(all, want, "plane {plane}");
    }

    // scaled int16: stored × 0.5 + 1, no-data from the document
    let amp = p.bands.iter().position(|b| b.name == "amp").unwrap();
    let mut r = p.reader(amp).unwrap();
    assert_eq!(r.no_data(), Some(-1.0));
    let mut row = vec![0f64; W];
    r.read(1, &mut row).unwrap();
    assert_eq!(row, [2.5, 3.0, 3.5, 4.0]); // stored 3, 4, 5, 6

    let e = p.reader(4).unwrap_err().to_string();
    assert!(
        e.contains("band Span is virtual (expression `C11 + C22`)"),
        "{e}"
    );
    let e = p.reader(9).unwrap_err().to_string();
    assert!(
        e.contains("band 9 out of range: the product has 6 band(s)"),
        "{e}"
    );
}

#[test]
fn broken_products_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dim = product(dir.path());
    let good = fs::read_to_string(&dim).unwrap();
    let open = |text: &str| {
        fs::write(&dim, text).unwrap();
        DimapProduct::open(&dim).unwrap_err().to_string()
    };
    let e = open("<Dimap_Document><Raster_Dimensions>");
    assert!(
        e.contains("S1_C2.dim: BEAM-DIMAP product: invalid XML"),
        "{e}"
    );
    let e = open("<?xml version=\"1.0\"?><Other/>");
    assert!(e.contains("the root element is <Other>"), "{e}");
    let e = open(&good.replace("<NCOLS>4</NCOLS>", ""));
    assert!(e.contains("no <NCOLS> in <Raster_Dimensions>"), "{e}");
    let e = open(&good.replace("<NROWS>3</NROWS>", "<NROWS>-3</NROWS>"));
    assert!(e.contains("<NROWS> is `-3`"), "{e}");
    let e = open(&good.replace("0.001,0.0,0.0,-0.001,3.5,45.25", "1,2,3"));
    assert!(e.contains("not 6 numbers"), "{e}");
    let e = open("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><Dimap_Document/>");
    assert!(e.contains("invalid XML"), "{e}");

    // a band whose ENVI file is smaller than the product says
    fs::write(&dim, good.replace("<NCOLS>4</NCOLS>", "<NCOLS>5</NCOLS>")).unwrap();
    let p = DimapProduct::open(&dim).unwrap();
    let e = p.reader(0).unwrap_err().to_string();
    assert!(
        e.contains("band C22 is 4 x 3 with 1 band(s), the product 5 x 3"),
        "{e}"
    );
    // a missing band file
    fs::write(&dim, &good).unwrap();
    fs::remove_file(dir.path().join("S1_C2.data/C11.img")).unwrap();
    let p = DimapProduct::open(&dim).unwrap();
    let e = p.reader(2).unwrap_err().to_string();
    assert!(e.contains("C11.img: no such file"), "{e}");
    // a matrix band missing from the document
    fs::write(
        &dim,
        good.replace(
            "<BAND_NAME>C12_imag</BAND_NAME>",
            "<BAND_NAME>x</BAND_NAME>",
        ),
    )
    .unwrap();
    let e = DimapProduct::open(&dim).unwrap().matrix().unwrap_err();
    assert!(matches!(e, Error::Layout { .. }), "{e:?}");
    let e = e.to_string();
    assert!(
        e.ends_with("S1_C2.dim: C2 matrix incomplete: missing C12_imag"),
        "{e}"
    );
}

/// An SLC product as SNAP stores it: `i_` and `q_` bands per channel (int16 here), one
/// channel without its imaginary part, one virtual intensity band.
#[test]
fn complex_channels_of_an_slc_product() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("slc.data");
    fs::create_dir(&data).unwrap();
    let names = [
        "i_IW1_VH",
        "q_IW1_VH",
        "Intensity_IW1_VH",
        "q_IW1_VV",
        "i_IW1_VV",
        "i_IW1_HH",
    ];
    let mut files = String::new();
    let mut infos = String::new();
    for (i, name) in names.iter().enumerate() {
        let unit = match &name[..2] {
            "i_" => "real",
            "q_" => "imaginary",
            _ => "intensity",
        };
        if unit == "intensity" {
            infos += &spectral(
                i,
                name,
                "<VIRTUAL_BAND>true</VIRTUAL_BAND><EXPRESSION>i_IW1_VH * i_IW1_VH + q_IW1_VH * q_IW1_VH</EXPRESSION>",
            );
            continue;
        }
        band_file(
            &data,
            name,
            2,
            (0..H * W).map(|k| (k as f64) * if unit == "real" { 1.0 } else { -1.0 }),
        );
        files += &format!(
            "<Data_File><DATA_FILE_PATH href=\"slc.data/{name}.hdr\" /><BAND_INDEX>{i}</BAND_INDEX></Data_File>"
        );
        infos += &spectral(
            i,
            name,
            &format!("<DATA_TYPE>int16</DATA_TYPE><PHYSICAL_UNIT>{unit}</PHYSICAL_UNIT>"),
        );
    }
    let dim = dir.path().join("slc.dim");
    fs::write(
        &dim,
        format!("<Dimap_Document><Raster_Dimensions><NCOLS>{W}</NCOLS><NROWS>{H}</NROWS></Raster_Dimensions><Data_Access>{files}</Data_Access><Image_Interpretation>{infos}</Image_Interpretation></Dimap_Document>"),
    )
    .unwrap();
    let p = DimapProduct::open(&dim).unwrap();
    assert_eq!(
        p.complex_pairs(),
        [
            ComplexPair {
                suffix: "IW1_VH".into(),
                re: 0,
                im: 1
            },
            ComplexPair {
                suffix: "IW1_VV".into(),
                re: 4,
                im: 3
            },
        ]
    );
    let mut re = vec![0f32; W];
    let mut im = vec![0f32; W];
    p.reader(4).unwrap().read(2, &mut re).unwrap();
    p.reader(3).unwrap().read(2, &mut im).unwrap();
    assert_eq!(re, [8.0, 9.0, 10.0, 11.0]);
    assert_eq!(im, [-8.0, -9.0, -10.0, -11.0]);
    assert_eq!(p.band("i_IW1_VV").unwrap().unit.as_deref(), Some("real"));
    // no matrix here
    let e = p.matrix().unwrap_err().to_string();
    assert!(e.contains("no polarimetric matrix element"), "{e}");
}

#[test]
fn formats_are_told_apart_by_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let dim = product(dir.path());
    assert_eq!(Format::of(&dim), Some(Format::Dimap));
    let img = dir.path().join("S1_C2.data/C11.img");
    assert_eq!(Format::of(&img), Some(Format::Envi));
    assert_eq!(Format::of(&img.with_extension("hdr")), None);
    assert_eq!(Format::of(&dir.path().join("S1_C2.data")), None);
    fs::write(dir.path().join("S1_C2.data/config.txt"), "Nrow\n3\n").unwrap();
    assert_eq!(
        Format::of(&dir.path().join("S1_C2.data")),
        Some(Format::Polsarpro)
    );
    let tif = dir.path().join("scene.tif");
    fs::write(&tif, b"II*\0").unwrap();
    assert_eq!(Format::of(&tif), None);
    assert_eq!(Format::of(&dir.path().join("missing.img")), None);
}

#[test]
fn map_georeferencing_of_a_product() {
    use despeckle_geotiff::geo::CrsKind;
    let dir = tempfile::tempdir().unwrap();
    let dim = product(dir.path());
    let t = DimapProduct::open(&dim).unwrap().north_up();
    assert_eq!(t.note, None);
    let n = t.value.unwrap();
    assert_eq!(n.epsg, Some((4326, CrsKind::Geographic))); // SNAP's WGS84(DD), no authority
    assert_eq!(
        n.to_geotiff().geo_transform(),
        Some([3.5, 0.001, 0.0, 45.25, 0.0, -0.001])
    );
    // without the document's transform: the map info SNAP writes into the band headers
    let text = fs::read_to_string(&dim).unwrap();
    let start = text.find("<Geoposition>").unwrap();
    let end = text.find("</Geoposition>").unwrap() + "</Geoposition>".len();
    fs::write(&dim, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let t = DimapProduct::open(&dim).unwrap().north_up();
    assert_eq!(t.value, None);
    assert!(t.note.unwrap().contains("tie-point grids"));
    let hdr = dir.path().join("S1_C2.data/C22.hdr");
    let h = fs::read_to_string(&hdr).unwrap();
    fs::write(
        &hdr,
        format!("{h}map info = {{UTM, 1.0, 1.0, 600000.0, 5000000.0, 10.0, 10.0, 33, North, WGS-84, units=Meters}}\n"),
    )
    .unwrap();
    let t = DimapProduct::open(&dim).unwrap().north_up();
    assert_eq!(t.note, None);
    let g = t.value.unwrap().to_geotiff();
    assert_eq!(g.epsg(), Some((32633, CrsKind::Projected)));
    assert_eq!(
        g.geo_transform(),
        Some([600000.0, 10.0, 0.0, 5000000.0, 0.0, -10.0])
    );
}
