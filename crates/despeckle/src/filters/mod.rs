//! The filters. Each is a small type implementing [`Filter`](crate::Filter); the window,
//! border, no-data, threading and streaming machinery lives once in the engine.

mod enhanced_lee;
mod local_stats;
mod mean;
mod speckle;

pub use enhanced_lee::EnhancedLee;
pub use local_stats::{LocalStats, Statistic};
pub use mean::Mean;
pub use speckle::{Domain, check_ddof, check_looks};
