//! The filter registry shared by the command line and the Python package: every filter builds
//! with its defaults, parameters are documented, and bad values name the parameter.

use despeckle_file::registry::{Estimate, FILTERS, FilterSpec, find};

#[test]
fn every_filter_builds_with_its_defaults() {
    for def in FILTERS {
        let mut spec = FilterSpec::new(def.name).unwrap();
        if def.name == "lee-sigma" {
            assert_eq!(spec.estimates(), [("z98", Estimate::Quantile(0.98))]);
            let e = spec.build().unwrap_err().to_string();
            assert!(e.contains("`z98`") && e.contains("auto"), "{e}");
            spec.set("z98", 10.0).unwrap();
        }
        assert!(spec.estimates().is_empty(), "{}", def.name);
        let f = spec.build().unwrap();
        assert_eq!(f.name(), def.name);
        for p in def.params {
            assert!(
                !p.help.is_empty()
                    && p.name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{p:?}"
            );
        }
    }
    assert!(find("Enhanced_Lee").is_some());
    assert!(find("lee-sigma-x").is_none());
}

#[test]
fn values_are_checked_with_the_parameter_named() {
    let mut s = FilterSpec::new("enhanced-lee").unwrap();
    s.set("looks", "abc").unwrap();
    let e = s.build().unwrap_err().to_string();
    assert!(e.contains("`looks`") && e.contains("abc"), "{e}");
    s.set("looks", 0.0).unwrap();
    assert!(s.build().unwrap_err().to_string().contains("looks"));
    s.set("looks", 4).unwrap().set("ddof", 2).unwrap();
    assert!(s.build().unwrap_err().to_string().contains("ddof"));
    s.set("ddof", "1").unwrap().set("cmax", "none").unwrap();
    s.build().unwrap();
    s.set("domain", "db").unwrap();
    assert!(s.build().unwrap_err().to_string().contains("domain"));
    let e = s.set("window", 3).unwrap_err().to_string();
    assert!(
        e.contains("no parameter `window`") && e.contains("looks"),
        "{e}"
    );
    let e = FilterSpec::new("frosty").unwrap_err().to_string();
    assert!(e.contains("enhanced-lee"), "{e}");
}
