//! `despeckle info` on polarimetric matrix products: the matrix kind and its element order in a
//! GeoTIFF whose band descriptions name the elements, a PolSARpro folder or a BEAM-DIMAP `.dim`.

use std::fmt::Write;
use std::path::Path;

use anyhow::Result;
use despeckle::polsar::Matrix;
use despeckle_envi::{DimapProduct, PolsarproFolder};
use despeckle_geotiff::RasterInfo;

use crate::polsar_io::band_descriptions;

/// `Matrix:` and `Elements:` lines: the kind and, for each plane in element order, where it is
/// (`names[order[p]]` is plane `p`'s source, labelled by `place`).
fn matrix_lines(m: Matrix, order: &[usize], place: impl Fn(usize) -> String) -> String {
    let kind = if m.is_coherency() {
        "coherency"
    } else {
        "covariance"
    };
    let mut s = format!(
        "Matrix:        {m} ({kind}, {k} × {k} Hermitian), {} planes\n",
        m.planes(),
        k = m.k()
    );
    let elems: Vec<String> = m
        .elements()
        .iter()
        .zip(order)
        .map(|(name, &o)| format!("{name} ({})", place(o)))
        .collect();
    let _ = writeln!(s, "Elements:      {}", elems.join(", "));
    if order.iter().enumerate().any(|(p, &o)| p != o) {
        s.push_str("               (not stored in element order; read in element order)\n");
    }
    s
}

/// The matrix lines of a GeoTIFF whose band descriptions name the elements, if they do.
pub fn tiff_matrix(info: &RasterInfo) -> Option<String> {
    let names = band_descriptions(info.geo.gdal_metadata.as_deref(), info.bands);
    if names.iter().all(Option::is_none) {
        return None;
    }
    let names: Vec<String> = names.into_iter().map(Option::unwrap_or_default).collect();
    let (m, order) = Matrix::recognise(&names).ok()?;
    Some(matrix_lines(m, &order, |b| format!("band {}", b + 1)))
}

/// The description of a PolSARpro folder.
pub fn folder(dir: &Path) -> Result<String> {
    let f = PolsarproFolder::open(dir)?;
    let mut s = format!(
        "Folder:        {}\nFormat:        PolSARpro (config.txt, one float32 ELEMENT.bin per \
         element)\nSize:          {} x {}\nPolarType:     {}\n",
        dir.display(),
        f.width(),
        f.height(),
        f.config().polar_type
    );
    let order: Vec<usize> = (0..f.matrix().planes()).collect();
    s.push_str(&matrix_lines(f.matrix(), &order, |p| {
        f.planes()[p]
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }));
    let (map, crs) = f.georeferencing();
    let _ = writeln!(s, "Map info:      {}", map.unwrap_or("none"));
    if let Some(c) = crs {
        let _ = writeln!(s, "Coordinates:   {c}");
    }
    Ok(s)
}

/// The description of a BEAM-DIMAP product.
pub fn dimap(dim: &Path) -> Result<String> {
    let d = DimapProduct::open(dim)?;
    let mut s = format!(
        "File:          {}\nFormat:        BEAM-DIMAP (ESA SNAP)\nSize:          {} x {}\n",
        dim.display(),
        d.width,
        d.height
    );
    if let Some(t) = &d.product_type {
        let _ = writeln!(s, "Product type:  {t}");
    }
    let names: Vec<&str> = d.bands.iter().map(|b| b.name.as_str()).collect();
    let _ = writeln!(s, "Bands:         {}", names.join(", "));
    match d.matrix() {
        Ok((m, order)) => s.push_str(&matrix_lines(m, &order, |b| format!("band {}", b + 1))),
        Err(e) => {
            let _ = writeln!(s, "Matrix:        none ({e})");
        }
    }
    let t = d.north_up();
    match t.value {
        Some(n) => {
            let crs = n
                .epsg
                .map_or("coordinate system unknown".to_string(), |(c, _)| {
                    format!("EPSG:{c}")
                });
            let _ = writeln!(
                s,
                "Map grid:      {crs}, upper-left corner ({}, {}), pixel {} x {}",
                n.map.0 - n.pixel.0 * n.size.0,
                n.map.1 + n.pixel.1 * n.size.1,
                n.size.0,
                n.size.1
            );
        }
        None => {
            let _ = writeln!(s, "Map grid:      none");
        }
    }
    if let Some(note) = t.note {
        let _ = writeln!(s, "               {note}");
    }
    Ok(s)
}
