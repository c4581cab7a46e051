//! ESA SNAP BEAM-DIMAP products, read only: the `.dim` XML document and the `.data/` folder
//! with one ENVI raster (`NAME.hdr` + `NAME.img`) per band.
//!
//! Read from the document: the raster size (`Raster_Dimensions`), each band's
//! `Spectral_Band_Info` (name, unit, data type, no-data value when `NO_DATA_VALUE_USED`,
//! scaling factor and offset, virtual bands' `EXPRESSION`), its `Data_File` (the header's
//! path, relative to the `.dim` file's folder), the coordinate reference system's WKT
//! (`Coordinate_Reference_System/WKT`) and the affine `Geoposition/IMAGE_TO_MODEL_TRANSFORM`.
//! Tie-point grids and the metadata tree are not read.

use std::path::{Path, PathBuf};

use despeckle::polsar::Matrix;

use crate::error::{Error, Result};
use crate::georef::{NorthUp, Translated};
use crate::raster::{BandReader, Raster};
use crate::text::read_text;

/// The largest `.dim` document read: 32 MiB (SNAP's metadata of a Sentinel-1 product is a
/// few MiB).
pub const MAX_DIM_BYTES: u64 = 32 << 20;

/// The most XML nodes of a `.dim` document (bounds the parsed tree's memory).
const MAX_NODES: u32 = 4_000_000;

/// One band of a BEAM-DIMAP product.
#[derive(Debug, Clone, PartialEq)]
pub struct DimapBand {
    /// `BAND_INDEX`.
    pub index: usize,
    /// `BAND_NAME`.
    pub name: String,
    /// `PHYSICAL_UNIT` (`intensity`, `real`, `imaginary`, `dB`, ...), if given.
    pub unit: Option<String>,
    /// `DATA_TYPE` as SNAP writes it (`float32`, `int16`, ...), if given.
    pub data_type: Option<String>,
    /// `NO_DATA_VALUE`, when `NO_DATA_VALUE_USED` is true.
    pub no_data: Option<f64>,
    /// `SCALING_FACTOR` (1 if absent).
    pub scaling_factor: f64,
    /// `SCALING_OFFSET` (0 if absent).
    pub scaling_offset: f64,
    /// `LOG10_SCALED`: values are 10^(stored × factor + offset) (not read by this crate).
    pub log10_scaled: bool,
    /// A virtual band's `EXPRESSION` (band maths), if given.
    pub expression: Option<String>,
    /// Whether the band is virtual (`VIRTUAL_BAND` or an `EXPRESSION`): computed by SNAP,
    /// no data file.
    pub virtual_band: bool,
    /// The band's ENVI header (`Data_File/DATA_FILE_PATH/@href`, resolved), if any.
    pub header_path: Option<PathBuf>,
}

impl DimapBand {
    /// Whether the band is stored (has a data file) rather than computed from an expression.
    pub fn is_stored(&self) -> bool {
        self.header_path.is_some() && !self.virtual_band
    }
}

/// The real and imaginary bands of one complex channel of a BEAM-DIMAP product
/// ([`DimapProduct::complex_pairs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplexPair {
    /// What follows `i_` and `q_` in the band names: the polarisation, with a swath or date
    /// where SNAP adds one (`VV`, `IW1_VH`, `VV_mst_22Sep2023`).
    pub suffix: String,
    /// Position of the real (`i_`) band in [`DimapProduct::bands`].
    pub re: usize,
    /// Position of the imaginary (`q_`) band in [`DimapProduct::bands`].
    pub im: usize,
}

/// A BEAM-DIMAP product opened for reading.
#[derive(Debug, Clone)]
pub struct DimapProduct {
    path: PathBuf,
    /// `Dataset_Id/DATASET_NAME`, if given.
    pub dataset_name: Option<String>,
    /// `Production/PRODUCT_TYPE`, if given.
    pub product_type: Option<String>,
    /// Width (`NCOLS`).
    pub width: usize,
    /// Height (`NROWS`).
    pub height: usize,
    /// The bands, in document order.
    pub bands: Vec<DimapBand>,
    /// The coordinate reference system (`Coordinate_Reference_System/WKT`), if any.
    pub crs_wkt: Option<String>,
    /// `Geoposition/IMAGE_TO_MODEL_TRANSFORM`: the affine map from pixel to map coordinates
    /// as [m00, m10, m01, m11, m02, m12] (Java's `AffineTransform.getMatrix` order:
    /// x_map = m00·col + m01·row + m02, y_map = m10·col + m11·row + m12), if any.
    pub image_to_model: Option<[f64; 6]>,
}

impl DimapProduct {
    /// Opens the `.dim` file `dim` (at most [`MAX_DIM_BYTES`]) and lists its bands.
    pub fn open(dim: &Path) -> Result<DimapProduct> {
        let bad = |reason: String| Error::Dimap {
            path: dim.to_path_buf(),
            reason,
        };
        let text = read_text(dim, MAX_DIM_BYTES, "BEAM-DIMAP document")?;
        let opts = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_NODES,
            ..Default::default()
        };
        let doc = roxmltree::Document::parse_with_options(&text, opts)
            .map_err(|e| bad(format!("invalid XML: {e}")))?;
        let root = doc.root_element();
        if root.tag_name().name() != "Dimap_Document" {
            return Err(bad(format!(
                "the root element is <{}>, not <Dimap_Document>",
                root.tag_name().name()
            )));
        }
        // `parent/name` under the root
        let nested = |parent: &str, name: &str| child(root, parent).and_then(|p| text_of(p, name));
        let dims =
            child(root, "Raster_Dimensions").ok_or_else(|| bad("no <Raster_Dimensions>".into()))?;
        let count = |name: &str| -> Result<usize> {
            let v = text_of(dims, name)
                .ok_or_else(|| bad(format!("no <{name}> in <Raster_Dimensions>")))?;
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(bad(format!(
                    "<{name}> is `{v}`, not a positive whole number"
                ))),
            }
        };
        let (width, height) = (count("NCOLS")?, count("NROWS")?);

        let folder = dim.parent().unwrap_or(Path::new(""));
        let mut files: Vec<(usize, PathBuf)> = Vec::new();
        if let Some(access) = child(root, "Data_Access") {
            for f in access.children().filter(|n| n.has_tag_name("Data_File")) {
                let index = text_of(f, "BAND_INDEX")
                    .and_then(|v| v.parse::<usize>().ok())
                    .ok_or_else(|| bad("a <Data_File> without a valid <BAND_INDEX>".into()))?;
                let href = child(f, "DATA_FILE_PATH")
                    .and_then(|n| n.attribute("href"))
                    .ok_or_else(|| {
                        bad(format!(
                            "<Data_File> of band {index} without a DATA_FILE_PATH href"
                        ))
                    })?;
                files.push((index, folder.join(href)));
            }
        }
        let mut bands = Vec::new();
        if let Some(interp) = child(root, "Image_Interpretation") {
            for b in interp
                .children()
                .filter(|n| n.has_tag_name("Spectral_Band_Info"))
            {
                let index = text_of(b, "BAND_INDEX")
                    .and_then(|v| v.parse::<usize>().ok())
                    .ok_or_else(|| {
                        bad("a <Spectral_Band_Info> without a valid <BAND_INDEX>".into())
                    })?;
                let name = text_of(b, "BAND_NAME")
                    .ok_or_else(|| bad(format!("band {index} has no <BAND_NAME>")))?;
                let number = |tag: &str| -> Result<Option<f64>> {
                    text_of(b, tag)
                        .map(|v| {
                            v.parse::<f64>().map_err(|_| {
                                bad(format!("band {name}: <{tag}> is `{v}`, not a number"))
                            })
                        })
                        .transpose()
                };
                let flag =
                    |tag: &str| text_of(b, tag).is_some_and(|v| v.eq_ignore_ascii_case("true"));
                let no_data = if flag("NO_DATA_VALUE_USED") {
                    number("NO_DATA_VALUE")?
                } else {
                    None
                };
                bands.push(DimapBand {
                    index,
                    unit: text_of(b, "PHYSICAL_UNIT"),
                    data_type: text_of(b, "DATA_TYPE"),
                    no_data,
                    scaling_factor: number("SCALING_FACTOR")?.unwrap_or(1.0),
                    scaling_offset: number("SCALING_OFFSET")?.unwrap_or(0.0),
                    log10_scaled: flag("LOG10_SCALED"),
                    expression: text_of(b, "EXPRESSION"),
                    virtual_band: flag("VIRTUAL_BAND") || text_of(b, "EXPRESSION").is_some(),
                    header_path: files
                        .iter()
                        .find(|(i, _)| *i == index)
                        .map(|(_, p)| p.clone()),
                    name,
                });
            }
        }
        // the product's transform (bands of multi-size products have their own, not read)
        let image_to_model = match nested("Geoposition", "IMAGE_TO_MODEL_TRANSFORM") {
            None => None,
            Some(v) => {
                let nums: Vec<f64> = v
                    .split(',')
                    .map(|s| s.trim().parse::<f64>())
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|_| {
                        bad(format!(
                            "<IMAGE_TO_MODEL_TRANSFORM> is `{v}`, not 6 numbers"
                        ))
                    })?;
                Some(<[f64; 6]>::try_from(nums).map_err(|_| {
                    bad(format!(
                        "<IMAGE_TO_MODEL_TRANSFORM> is `{v}`, not 6 numbers"
                    ))
                })?)
            }
        };
        let crs_wkt = nested("Coordinate_Reference_System", "WKT");
        Ok(DimapProduct {
            path: dim.to_path_buf(),
            dataset_name: nested("Dataset_Id", "DATASET_NAME"),
            product_type: nested("Production", "PRODUCT_TYPE"),
            width,
            height,
            bands,
            crs_wkt,
            image_to_model,
        })
    }

    /// The `.dim` file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The band named `name`, if any.
    pub fn band(&self, name: &str) -> Option<&DimapBand> {
        self.bands.iter().find(|b| b.name == name)
    }

    /// The ENVI raster of band `i` (position in [`DimapProduct::bands`]): its header from the
    /// document, its data the `.img` file beside it; checked against the product's size.
    pub fn raster(&self, i: usize) -> Result<Raster> {
        let bad = |reason: String| Error::Dimap {
            path: self.path.clone(),
            reason,
        };
        let band = self.bands.get(i).ok_or_else(|| {
            bad(format!(
                "band {i} out of range: the product has {} band(s)",
                self.bands.len()
            ))
        })?;
        if band.virtual_band {
            return Err(bad(format!(
                "band {} is virtual (expression `{}`): no data file to read",
                band.name,
                band.expression.as_deref().unwrap_or("")
            )));
        }
        let header = band
            .header_path
            .as_ref()
            .ok_or_else(|| bad(format!("band {} has no <Data_File>", band.name)))?;
        let raster = Raster::open_with_header(&header.with_extension("img"), header)?;
        let h = raster.header();
        if (h.samples, h.lines) != (self.width, self.height) || h.bands != 1 {
            return Err(bad(format!(
                "band {} is {} x {} with {} band(s), the product {} x {} (NCOLS x NROWS)",
                band.name, h.samples, h.lines, h.bands, self.width, self.height
            )));
        }
        Ok(raster)
    }

    /// A row reader of band `i` returning physical values (scaling applied, the document's
    /// no-data value); log10-scaled bands are refused.
    pub fn reader(&self, i: usize) -> Result<BandReader> {
        let raster = self.raster(i)?;
        let band = &self.bands[i];
        if band.log10_scaled {
            return Err(Error::Unsupported {
                path: self.path.clone(),
                what: format!("log10-scaled band {}", band.name),
            });
        }
        let reader = raster
            .band(0)?
            .with_scaling(band.scaling_factor, band.scaling_offset);
        Ok(reader.with_no_data(band.no_data.or(raster.header().no_data)))
    }

    /// The complex bands of an SLC product: SNAP stores each as an `i_SUFFIX` (unit `real`)
    /// and a `q_SUFFIX` (unit `imaginary`) band, e.g. `i_IW1_VV` and `q_IW1_VV`. Returns, per
    /// suffix in document order, the suffix and the positions of its real and imaginary
    /// bands; a suffix without both parts is left out.
    pub fn complex_pairs(&self) -> Vec<ComplexPair> {
        let mut pairs = Vec::new();
        for (re, band) in self.bands.iter().enumerate() {
            let Some(suffix) = band.name.strip_prefix("i_") else {
                continue;
            };
            let im = self
                .bands
                .iter()
                .position(|b| b.name.strip_prefix("q_") == Some(suffix));
            if let Some(im) = im
                && band.is_stored()
                && self.bands[im].is_stored()
            {
                pairs.push(ComplexPair {
                    suffix: suffix.to_string(),
                    re,
                    im,
                });
            }
        }
        pairs
    }

    /// The product's map georeferencing ([`NorthUp`]): from the document's image-to-model
    /// transform and CRS WKT; without a transform in the document, from the `map info` and
    /// `coordinate system string` SNAP writes into the first stored band's ENVI header; with
    /// neither (a product georeferenced by tie-point grids only, as SAR products in slant
    /// range are), `None` and a note. Nothing is guessed.
    pub fn north_up(&self) -> Translated<Option<NorthUp>> {
        if self.image_to_model.is_none()
            && let Some(i) = self.bands.iter().position(DimapBand::is_stored)
            && let Ok(raster) = self.raster(i)
            && raster.header().map_info.is_some()
        {
            let h = raster.header();
            return NorthUp::from_envi(h.map_info.as_deref(), h.coordinate_system.as_deref());
        }
        NorthUp::from_dimap(self.image_to_model, self.crs_wkt.as_deref())
    }

    /// The polarimetric matrix the stored bands make (band names C11, C12_real, ... in any
    /// order), and the band positions in [`Matrix::elements`] order.
    pub fn matrix(&self) -> Result<(Matrix, Vec<usize>)> {
        let stored: Vec<usize> = (0..self.bands.len())
            .filter(|&i| self.bands[i].is_stored())
            .collect();
        let names: Vec<&str> = stored
            .iter()
            .map(|&i| self.bands[i].name.as_str())
            .collect();
        let (m, order) = Matrix::recognise(&names).map_err(|source| Error::Layout {
            path: self.path.clone(),
            source,
        })?;
        Ok((m, order.into_iter().map(|o| stored[o]).collect()))
    }
}

/// The first child element of `node` named `name`.
fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

/// The trimmed, non-empty text of the first child element of `node` named `name`.
fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}
