//! Per-band items of GDAL's `GDAL_METADATA` XML follow their band when bands are selected or
//! reordered.
//!
//! GDAL stores band descriptions (`role="description"`), offsets and scales
//! (`role="offset"`, `role="scale"`), units and each band's metadata items as
//! `<Item name="..." sample="N" ...>` with a 0-based band number `N`; dataset-wide items have
//! no `sample`. The no-data value is file-wide (`GDAL_NODATA`) and needs nothing.

/// The `GDAL_METADATA` text for an output whose band `k` is input band `bands[k]` (0-based):
/// every item with `sample="N"` is repeated once for each output band taken from input band
/// `N`, renumbered (and dropped if `N` is not selected); other items and text are kept as
/// they are. The identity selection returns the text unchanged.
pub fn select_bands(xml: &str, bands: &[usize]) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = find_item(rest) {
        let (before, from_item) = rest.split_at(start);
        let Some(len) = item_len(from_item) else {
            break;
        };
        let (item, after) = from_item.split_at(len);
        // The whitespace before the item goes with it (kept once per copy).
        let indent_at = before.trim_end().len();
        let (text, indent) = before.split_at(indent_at);
        out.push_str(text);
        match sample_attr(item) {
            None => {
                out.push_str(indent);
                out.push_str(item);
            }
            Some((value_at, value_len, n)) => {
                for (k, _) in bands.iter().enumerate().filter(|&(_, &b)| b == n) {
                    out.push_str(indent);
                    out.push_str(&item[..value_at]);
                    out.push_str(&k.to_string());
                    out.push_str(&item[value_at + value_len..]);
                }
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Where the next `<Item` element starts.
fn find_item(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("<Item") {
        let at = from + i;
        match text[at + 5..].chars().next() {
            Some(c) if c.is_whitespace() || c == '>' || c == '/' => return Some(at),
            _ => from = at + 5,
        }
    }
    None
}

/// The length of the element starting `text` (`<Item ...>...</Item>` or `<Item .../>`).
fn item_len(text: &str) -> Option<usize> {
    let open_end = text.find('>')? + 1;
    if text[..open_end].ends_with("/>") {
        return Some(open_end);
    }
    const CLOSE: &str = "</Item>";
    Some(open_end + text[open_end..].find(CLOSE)? + CLOSE.len())
}

/// The `sample` attribute of an item's opening tag: where its value starts, its length, and
/// the band number; `None` if it has none (or not a number).
fn sample_attr(item: &str) -> Option<(usize, usize, usize)> {
    let open = &item[..item.find('>')?];
    let mut from = 0;
    while let Some(i) = open[from..].find("sample") {
        let at = from + i;
        from = at + 6;
        let preceded = open[..at].ends_with(char::is_whitespace);
        let rest = open[from..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let quote = rest.chars().next()?;
        if !preceded || (quote != '"' && quote != '\'') {
            continue;
        }
        let value_at = open.len() - rest.len() + 1;
        let value_len = open[value_at..].find(quote)?;
        let n = open[value_at..value_at + value_len].trim().parse().ok()?;
        return Some((value_at, value_len, n));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<GDALMetadata>\n  <Item name=\"AREA_OR_POINT\">Area</Item>\n  \
        <Item name=\"DESCRIPTION\" sample=\"0\" role=\"description\">VV</Item>\n  \
        <Item name=\"DESCRIPTION\" sample=\"1\" role=\"description\">VH</Item>\n  \
        <Item name=\"SCALE\" sample=\"1\" role=\"scale\">2</Item>\n  \
        <Item name=\"DESCRIPTION\" sample=\"2\" role=\"description\">HH</Item>\n  \
        <Item name=\"pol\" sample='2'>h&amp;h</Item>\n</GDALMetadata>";

    #[test]
    fn items_follow_their_band() {
        assert_eq!(select_bands(XML, &[0, 1, 2]), XML, "identity");
        assert_eq!(
            select_bands(XML, &[2]),
            "<GDALMetadata>\n  <Item name=\"AREA_OR_POINT\">Area</Item>\n  \
             <Item name=\"DESCRIPTION\" sample=\"0\" role=\"description\">HH</Item>\n  \
             <Item name=\"pol\" sample='0'>h&amp;h</Item>\n</GDALMetadata>"
        );
        assert_eq!(
            select_bands(XML, &[1, 0, 1]),
            "<GDALMetadata>\n  <Item name=\"AREA_OR_POINT\">Area</Item>\n  \
             <Item name=\"DESCRIPTION\" sample=\"1\" role=\"description\">VV</Item>\n  \
             <Item name=\"DESCRIPTION\" sample=\"0\" role=\"description\">VH</Item>\n  \
             <Item name=\"DESCRIPTION\" sample=\"2\" role=\"description\">VH</Item>\n  \
             <Item name=\"SCALE\" sample=\"0\" role=\"scale\">2</Item>\n  \
             <Item name=\"SCALE\" sample=\"2\" role=\"scale\">2</Item>\n</GDALMetadata>"
        );
    }

    #[test]
    fn odd_text_is_kept() {
        for text in [
            "",
            "<GDALMetadata/>",
            "<Item",
            "<Items>x</Items>",
            "<Item sample=\"1\">",
        ] {
            assert_eq!(select_bands(text, &[0]), text);
        }
        // `resample="1"` is not `sample`.
        let t = "<Item name=\"a\" resample=\"1\">x</Item>";
        assert_eq!(select_bands(t, &[0]), t);
    }
}
