//! The filters. Each is a small type implementing [`Filter`](crate::Filter); the window,
//! border, no-data, threading and streaming machinery lives once in the engine.

mod edge_windows;
mod enhanced_frost;
mod enhanced_lee;
mod frost;
mod gamma_dist;
mod gamma_map;
mod idan;
mod lee;
mod lee_sigma;
mod local_stats;
mod mean;
mod median;
mod nonlocal;
pub mod polsar;
mod range;
mod refined_lee;
mod speckle;

pub use edge_windows::EdgeRule;
pub use enhanced_frost::EnhancedFrost;
pub use enhanced_lee::EnhancedLee;
pub use frost::Frost;
pub use gamma_map::GammaMap;
pub use idan::Idan;
pub use lee::{Kuan, Lee};
pub use lee_sigma::{LeeSigma, SigmaRange};
pub use local_stats::{LocalStats, Statistic};
pub use mean::Mean;
pub use median::Median;
pub use nonlocal::{Ppb, PpbState};
pub use refined_lee::RefinedLee;
pub use speckle::{Distance, Domain, check_ddof, check_looks};
