//! Loading a model's own tokenizer: the one function the `samples` stage, the trainer and the
//! evaluation share, so that token ids always mean the same thing.
//!
//! A Hugging Face model directory holds either `tokenizer.json` (the complete pipeline:
//! normaliser, pre-tokeniser, WordPiece, post-processor) or only `vocab.txt` with
//! `tokenizer_config.json`; for the latter the BERT pipeline is assembled the way
//! `transformers.BertTokenizerFast` does (`do_lower_case`, `strip_accents`,
//! `tokenize_chinese_chars`). Truncation and padding stored in `tokenizer.json` are switched
//! off: bali truncates itself (never through a mention) and the trainer pads per batch.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokenizers::decoders::wordpiece::WordPiece as WordPieceDecoder;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::{AddedToken, Encoding, TruncationDirection};

use crate::error::{BaliError, IoResultExt, Result};

/// The ids of the special tokens the pipeline and the trainer need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialTokens {
    /// Start of sequence (`[CLS]`).
    pub cls: u32,
    /// End of sequence (`[SEP]`).
    pub sep: u32,
    /// Padding (`[PAD]`).
    pub pad: u32,
    /// Masked-language-model mask (`[MASK]`).
    pub mask: u32,
    /// Unknown word piece (`[UNK]`).
    pub unk: u32,
}

/// A loaded tokenizer with its special tokens and the files it came from.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    special: SpecialTokens,
    /// Special tokens a single sequence gets (2 for BERT: `[CLS]` and `[SEP]`).
    added: usize,
    files: Vec<PathBuf>,
}

/// Loads the tokenizer of the model at `path`: a model directory (`tokenizer.json`, else
/// `vocab.txt` with the optional `tokenizer_config.json` and `special_tokens_map.json`), or
/// one of those two files directly.
pub fn load_tokenizer(path: impl AsRef<Path>) -> Result<Tokenizer> {
    Tokenizer::load(path)
}

impl Tokenizer {
    /// See [`load_tokenizer`].
    pub fn load(path: impl AsRef<Path>) -> Result<Tokenizer> {
        let path = path.as_ref();
        let (dir, file) = if path.is_dir() {
            let json = path.join("tokenizer.json");
            let vocab = path.join("vocab.txt");
            if json.is_file() {
                (path.to_path_buf(), json)
            } else if vocab.is_file() {
                (path.to_path_buf(), vocab)
            } else {
                return Err(BaliError::Tokenizer(format!(
                    "{}: neither tokenizer.json nor vocab.txt is in this directory",
                    path.display()
                )));
            }
        } else {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (dir, path.to_path_buf())
        };
        let config_path = dir.join("tokenizer_config.json");
        let map_path = dir.join("special_tokens_map.json");
        let config = read_json(&config_path)?;
        let map = read_json(&map_path)?;
        let mut files = vec![file.clone()];
        files.extend([config_path, map_path].into_iter().filter(|p| p.is_file()));

        let names = SpecialNames::from_json(config.as_ref(), map.as_ref());
        let is_json = file.extension().is_some_and(|e| e == "json");
        let mut inner = if is_json {
            tokenizers::Tokenizer::from_file(&file)
                .map_err(|e| BaliError::Tokenizer(format!("{}: {e}", file.display())))?
        } else {
            from_vocab(&file, config.as_ref(), &names)?
        };
        inner
            .with_truncation(None)
            .map_err(|e| BaliError::Tokenizer(format!("{}: {e}", file.display())))?;
        inner.with_padding(None);

        let id = |token: &str| {
            inner.token_to_id(token).ok_or_else(|| {
                BaliError::Tokenizer(format!(
                    "{}: the vocabulary has no special token {token}",
                    file.display()
                ))
            })
        };
        let special = SpecialTokens {
            cls: id(&names.cls)?,
            sep: id(&names.sep)?,
            pad: id(&names.pad)?,
            mask: id(&names.mask)?,
            unk: id(&names.unk)?,
        };
        let added = inner
            .post_process(Encoding::default(), None, true)
            .map_err(|e| BaliError::Tokenizer(format!("{}: {e}", file.display())))?
            .len();
        tracing::debug!(file = %file.display(), vocab = inner.get_vocab_size(true), "loaded tokenizer");
        Ok(Tokenizer {
            inner,
            special,
            added,
            files,
        })
    }

    /// The `tokenizers` tokenizer, for anything this wrapper does not cover.
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }

    /// Ids of the special tokens.
    pub fn special(&self) -> SpecialTokens {
        self.special
    }

    /// Vocabulary size including added tokens (the embedding matrix's row count).
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Number of special tokens a single sequence gets (`[CLS]` and `[SEP]`: 2).
    pub fn special_count(&self) -> usize {
        self.added
    }

    /// The files the tokenizer was read from: a change to any of them changes token ids, so
    /// stages list them among their fingerprinted files.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Tokenises `text` without special tokens; offsets are code points into `text`, and word
    /// ids number the pre-tokeniser's words (split at whitespace and punctuation for BERT).
    pub fn encode_plain(&self, text: &str) -> Result<Encoding> {
        self.inner
            .encode_char_offsets(text, false)
            .map_err(|e| BaliError::Tokenizer(e.to_string()))
    }

    /// Keeps the first `len` tokens of a plain encoding and adds the special tokens
    /// (`[CLS]` ... `[SEP]`). The result has `len + special_count()` tokens; special tokens have
    /// a special-tokens mask of 1.
    pub fn finish(&self, mut plain: Encoding, len: usize) -> Result<Encoding> {
        if len < plain.len() {
            plain.truncate(len, 0, TruncationDirection::Right);
            // Truncation keeps the rest as "overflowing" encodings: not wanted here.
            plain.get_overflowing_mut().clear();
        }
        self.inner
            .post_process(plain, None, true)
            .map_err(|e| BaliError::Tokenizer(e.to_string()))
    }

    /// `[CLS] text [SEP]` in at most `max_length` tokens (the text is cut at the end if needed):
    /// how concept names are encoded for the graph side (BALI: at most 32).
    pub fn encode_name(&self, text: &str, max_length: usize) -> Result<Vec<u32>> {
        let plain = self.encode_plain(text)?;
        let keep = max_length.saturating_sub(self.added);
        Ok(self.finish(plain, keep)?.get_ids().to_vec())
    }

    /// The text of `ids` as the tokenizer's decoder renders it (special tokens skipped).
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, true)
            .map_err(|e| BaliError::Tokenizer(e.to_string()))
    }
}

/// Special-token strings, from `special_tokens_map.json` or `tokenizer_config.json`, BERT's by
/// default.
struct SpecialNames {
    cls: String,
    sep: String,
    pad: String,
    mask: String,
    unk: String,
}

impl SpecialNames {
    fn from_json(config: Option<&Value>, map: Option<&Value>) -> Self {
        // A value is either the token string or an AddedToken object with `content`.
        let get = |key: &str, default: &str| -> String {
            [map, config]
                .into_iter()
                .flatten()
                .filter_map(|v| match &v[key] {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o.get("content").and_then(Value::as_str).map(String::from),
                    _ => None,
                })
                .next()
                .unwrap_or_else(|| default.to_string())
        };
        SpecialNames {
            cls: get("cls_token", "[CLS]"),
            sep: get("sep_token", "[SEP]"),
            pad: get("pad_token", "[PAD]"),
            mask: get("mask_token", "[MASK]"),
            unk: get("unk_token", "[UNK]"),
        }
    }
}

/// The JSON at `path`, or `None` when the file does not exist.
fn read_json(path: &Path) -> Result<Option<Value>> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = fs::read_to_string(path).at(path)?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| BaliError::Tokenizer(format!("{}: {e}", path.display())))
}

/// The BERT tokenizer pipeline over a WordPiece `vocab.txt`, configured like
/// `transformers.BertTokenizerFast` from `tokenizer_config.json`.
fn from_vocab(
    vocab: &Path,
    config: Option<&Value>,
    names: &SpecialNames,
) -> Result<tokenizers::Tokenizer> {
    let fail = |e: tokenizers::Error| BaliError::Tokenizer(format!("{}: {e}", vocab.display()));
    let flag = |key: &str| config.and_then(|c| c[key].as_bool());
    let vocab_str = vocab
        .to_str()
        .ok_or_else(|| BaliError::Tokenizer(format!("{}: path is not UTF-8", vocab.display())))?;
    let model = WordPiece::from_file(vocab_str)
        .unk_token(names.unk.clone())
        .build()
        .map_err(fail)?;
    let mut tokenizer = tokenizers::Tokenizer::new(model);
    let lowercase = flag("do_lower_case").unwrap_or(true);
    tokenizer
        .with_normalizer(Some(BertNormalizer::new(
            true,
            flag("tokenize_chinese_chars").unwrap_or(true),
            flag("strip_accents"),
            lowercase,
        )))
        .map_err(fail)?;
    tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
    let id = |token: &str| {
        tokenizer.token_to_id(token).ok_or_else(|| {
            BaliError::Tokenizer(format!(
                "{}: the vocabulary has no special token {token}",
                vocab.display()
            ))
        })
    };
    let processing = BertProcessing::new(
        (names.sep.clone(), id(&names.sep)?),
        (names.cls.clone(), id(&names.cls)?),
    );
    tokenizer.with_post_processor(Some(processing));
    tokenizer.with_decoder(Some(WordPieceDecoder::new("##".to_string(), true)));
    tokenizer
        .add_special_tokens(
            [&names.pad, &names.unk, &names.cls, &names.sep, &names.mask]
                .into_iter()
                .map(|t| AddedToken::from(t.clone(), true)),
        )
        .map_err(fail)?;
    Ok(tokenizer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::shared;

    const MODEL: &str = "models/all-minilm-l6-v2";

    #[test]
    fn minilm_loads_from_tokenizer_json_and_from_vocab_txt_alike() {
        let Some(dir) = shared(MODEL) else { return };
        let json = load_tokenizer(&dir).unwrap();
        let vocab = load_tokenizer(dir.join("vocab.txt")).unwrap();
        assert_eq!(
            json.special(),
            SpecialTokens {
                cls: 101,
                sep: 102,
                pad: 0,
                mask: 103,
                unk: 100
            }
        );
        assert_eq!(vocab.special(), json.special());
        assert_eq!(json.vocab_size(), 30522);
        assert_eq!(vocab.vocab_size(), 30522);
        assert_eq!(json.special_count(), 2);
        assert_eq!(vocab.special_count(), 2);
        assert!(json.files().iter().any(|f| f.ends_with("tokenizer.json")));

        let text = "Type 2 Diabetes mellitus (T2DM) and hyperglycaemia in Sjögren's syndrome: a β-cell study.";
        let a = json.encode_plain(text).unwrap();
        let b = vocab.encode_plain(text).unwrap();
        assert_eq!(a.get_ids(), b.get_ids());
        assert_eq!(a.get_offsets(), b.get_offsets());
        // Offsets are code points: "ö" is one character, two bytes.
        let chars: Vec<char> = text.chars().collect();
        // Pieces "s ##jo ##gren": the middle one covers "jö".
        let jo = a.get_tokens().iter().position(|t| t == "##jo").unwrap();
        let (s, e) = a.get_offsets()[jo];
        assert_eq!(chars[s..e].iter().collect::<String>(), "jö");
        assert_eq!(a.get_offsets()[jo + 1], (e, e + 4));
        // No truncation or padding from tokenizer.json: 300 words stay 300 tokens.
        let long = "cell ".repeat(300);
        assert_eq!(json.encode_plain(&long).unwrap().len(), 300);
    }

    #[test]
    fn names_are_wrapped_in_cls_sep_and_cut_to_the_limit() {
        let Some(dir) = shared(MODEL) else { return };
        let tok = load_tokenizer(&dir).unwrap();
        let ids = tok.encode_name("Diabetes Mellitus", 32).unwrap();
        assert_eq!(ids.first(), Some(&101));
        assert_eq!(ids.last(), Some(&102));
        assert_eq!(tok.decode(&ids).unwrap(), "diabetes mellitus");
        let long = tok.encode_name(&"word ".repeat(100), 32).unwrap();
        assert_eq!(long.len(), 32);
        assert_eq!((long[0], long[31]), (101, 102));
    }

    #[test]
    fn a_directory_without_a_tokenizer_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_tokenizer(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("neither tokenizer.json nor vocab.txt"),
            "{err}"
        );
    }
}
