//! The knowledge graph below the stages: the seeded neighbour and name sampler ([`sampler`])
//! that the `subgraphs` stage and the trainer share, so both draw the same neighbourhoods.

pub mod sampler;

pub use sampler::{pick_name, sample_neighbors};
