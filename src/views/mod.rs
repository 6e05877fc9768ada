//! Read-time views over committed tables, below the stages, the trainer and inspection:
//! [`current`], the current PubMed articles (a later file's version of a PMID supersedes an
//! earlier one, and deletions remove it).

pub mod current;

pub use current::CurrentArticles;
