//! # speedup
//!
//! How much faster does a job run on the GPU than on every CPU core, and than on one? speedup runs
//! the Game of Life (and other embarrassingly-parallel workloads) three ways, serial, Rayon and
//! wgpu compute shaders, gives the same answer on each, and measures the difference.
//!
//! ```
//! use speedup::backend::Backend;
//! use speedup::life::{self, Grid, Rule, Topology};
//!
//! // A blinker on a 5x5 torus has period 2, on every backend.
//! let blinker = Grid::from_text("-----/--*--/--*--/--*--/-----").unwrap();
//! let after_two = life::run(&Backend::Serial, blinker.clone(), Rule::CONWAY, Topology::Torus, 2).unwrap();
//! assert_eq!(after_two, blinker);
//! let rayon = life::run(&Backend::Rayon { threads: 2 }, blinker.clone(), Rule::CONWAY, Topology::Torus, 1).unwrap();
//! assert_eq!(rayon.to_text(), "-----/-----/-***-/-----/-----");
//! ```

#![warn(missing_docs)]

pub mod backend;
pub mod error;
pub mod gpu;
pub mod harness;
pub mod host;
pub mod input;
pub mod isa;
pub mod life;
pub mod output;
pub mod peak;
pub mod random;
pub(crate) mod simd;
pub mod size;
pub mod workloads;

pub use error::{Error, Result};
