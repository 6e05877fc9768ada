//! Synthetic UMLS tables at full scale, for the benchmarks that need more than the sample
//! excerpt: [`mrconso`] (concept names, for the dictionary and the linker) and [`mrrel`]
//! (relations, for the graph build).

pub mod mrconso;
pub mod mrrel;
