//! Readers of the raw inputs: PubMed XML, UMLS RRF and OBO ontologies, into Arrow batches.
//!
//! Readers are library code with no knowledge of the engine: the stage kinds in
//! [`crate::stages`] wrap them.
