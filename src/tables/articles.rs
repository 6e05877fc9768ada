//! `articles` and `deletions`: what the `pubmed` source reads from PubmedArticleSet files.

use arrow::datatypes::{DataType, SchemaRef};

use super::{col, item, list_of, provenance, struct_of, table};

/// What an `articles` table holds.
pub const DESCRIPTION: &str =
    "PubMed citations: one row per PubmedArticle or PubmedBookArticle record of one input file";
/// What a `deletions` table holds.
pub const DELETIONS_DESCRIPTION: &str =
    "PMIDs listed in DeleteCitation elements: a later file's deletion removes the PMID from the current view";

/// Schema of `articles`.
pub fn schema() -> SchemaRef {
    let section = struct_of(vec![
        col(
            "label",
            DataType::Utf8,
            true,
            "AbstractText Label attribute, e.g. BACKGROUND",
        ),
        col(
            "nlm_category",
            DataType::Utf8,
            true,
            "AbstractText NlmCategory attribute, e.g. METHODS",
        ),
        col(
            "text",
            DataType::Utf8,
            false,
            "Section text with inline markup flattened",
        ),
    ]);
    let other_abstract = struct_of(vec![
        col(
            "type",
            DataType::Utf8,
            true,
            "OtherAbstract Type attribute, e.g. PIP or plain-language-summary",
        ),
        col(
            "language",
            DataType::Utf8,
            true,
            "OtherAbstract Language attribute, e.g. eng or spa",
        ),
        col(
            "text",
            DataType::Utf8,
            false,
            "Its AbstractText sections joined with a single newline, markup flattened",
        ),
    ]);
    let mesh = struct_of(vec![
        col(
            "ui",
            DataType::Utf8,
            false,
            "MeSH descriptor unique identifier, e.g. D006801",
        ),
        col("name", DataType::Utf8, false, "Descriptor name"),
        col(
            "major_topic",
            DataType::Boolean,
            false,
            "MajorTopicYN of the descriptor or any of its qualifiers",
        ),
    ]);
    let chemical = struct_of(vec![
        col("ui", DataType::Utf8, true, "MeSH UI of the substance"),
        col("name", DataType::Utf8, false, "NameOfSubstance"),
        col(
            "registry_number",
            DataType::Utf8,
            true,
            "RegistryNumber (CAS or 0)",
        ),
    ]);
    let mut fields = vec![
        col("pmid", DataType::Int64, false, "PubMed identifier"),
        col("version", DataType::Int32, false, "PMID Version attribute (1 when absent)"),
        col("kind", DataType::Utf8, false, "Record kind: article (PubmedArticle) or book (PubmedBookArticle)"),
        col("title", DataType::Utf8, true, "ArticleTitle (BookTitle for a book without ArticleTitle), markup flattened, whitespace normalised"),
        col(
            "abstract",
            DataType::Utf8,
            true,
            "All AbstractText sections in order, joined with a single newline; null when the record has no abstract",
        ),
        col(
            "abstract_sections",
            list_of(col("item", section, false, "One AbstractText element")),
            false,
            "AbstractText sections in order, with Label and NlmCategory",
        ),
        col(
            "other_abstracts",
            list_of(col("item", other_abstract, false, "One OtherAbstract element")),
            false,
            "OtherAbstract elements (translations, PIP and plain-language summaries): kept apart from `abstract`, which is the publisher's abstract only",
        ),
        col("languages", list_of(item(DataType::Utf8)), false, "Language elements, e.g. eng"),
        col("journal", DataType::Utf8, true, "Journal Title (publisher name for books)"),
        col("journal_iso", DataType::Utf8, true, "Journal ISOAbbreviation"),
        col("pub_year", DataType::Int32, true, "Publication year from PubDate Year, or the first year in MedlineDate"),
        col(
            "mesh",
            list_of(col("item", mesh, false, "One MeshHeading")),
            false,
            "MeSH descriptors of the MeshHeadingList",
        ),
        col(
            "chemicals",
            list_of(col("item", chemical, false, "One Chemical")),
            false,
            "Substances of the ChemicalList",
        ),
        col("keywords", list_of(item(DataType::Utf8)), false, "Keywords of every KeywordList"),
        col("publication_types", list_of(item(DataType::Utf8)), false, "PublicationType names"),
        col("doi", DataType::Utf8, true, "ArticleId of IdType doi (or ELocationID doi)"),
        col("date_revised", DataType::Date32, true, "MedlineCitation DateRevised"),
        col("byte_offset", DataType::Int64, false, "Byte offset of the record's start tag in the decompressed XML"),
    ];
    fields.extend(provenance());
    table(DESCRIPTION, fields)
}

/// Schema of `deletions`.
pub fn deletions_schema() -> SchemaRef {
    table(
        DELETIONS_DESCRIPTION,
        vec![
            col("pmid", DataType::Int64, false, "Deleted PubMed identifier"),
            col(
                "source_file",
                DataType::Utf8,
                false,
                "File whose DeleteCitation lists the PMID",
            ),
            col(
                "byte_offset",
                DataType::Int64,
                false,
                "Byte offset of the PMID element in the decompressed XML",
            ),
        ],
    )
}
