//! The linearised-graph variant of BALI: instead of a GNN, each target's star is written out as
//! text and encoded by the shared language model; g_v is the `[CLS]` state.
//!
//! A target with neighbours n_1..n_k becomes
//! `[CLS] target [SEP] n_1 rel_1 target [SEP] ... n_k rel_k target [SEP]`
//! (the reference's "v1" format), at most [`MAX_TOKENS`] tokens. Truncation drops whole
//! neighbour segments from the end, never half a name, as sample building never cuts a
//! mention; only a target name longer than the limit on its own is cut.
//!
//! The seam with the encoder: this module builds the token ids ([`linearize`]), pads a batch
//! into `input_ids` / `attention_mask` ([`LinearizedBatch`]), and pools the encoder's
//! last-layer states ([`cls_states`]); the trainer runs the shared BERT in between, with
//! gradients, exactly as it does for sentences.

use candle_core::{Device, Tensor};

use crate::error::{BaliError, Result};

/// Longest linearised sequence, special tokens included (BALI: 128).
pub const MAX_TOKENS: usize = 128;

/// The special-token ids of the language model's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialTokens {
    /// `[CLS]`.
    pub cls: u32,
    /// `[SEP]`.
    pub sep: u32,
    /// `[PAD]`.
    pub pad: u32,
}

impl SpecialTokens {
    /// Looks the three tokens up with `id` (e.g. `tokenizers::Tokenizer::token_to_id`).
    pub fn lookup(id: impl Fn(&str) -> Option<u32>) -> Result<Self> {
        let get = |token: &str| {
            id(token).ok_or_else(|| {
                BaliError::Tokenizer(format!("the vocabulary has no `{token}` token"))
            })
        };
        Ok(Self {
            cls: get("[CLS]")?,
            sep: get("[SEP]")?,
            pad: get("[PAD]")?,
        })
    }

    /// `ids` without a leading `[CLS]` and a trailing `[SEP]` (and any `[PAD]` after it): names
    /// in the `names` table are stored as `[CLS] name [SEP]`, and a linearised sequence needs
    /// the bare word pieces.
    pub fn strip<'a>(&self, ids: &'a [u32]) -> &'a [u32] {
        let ids = ids.strip_prefix(&[self.cls]).unwrap_or(ids);
        let end = ids
            .iter()
            .rposition(|&t| t != self.pad)
            .map_or(0, |i| i + 1);
        let ids = &ids[..end];
        ids.strip_suffix(&[self.sep]).unwrap_or(ids)
    }
}

/// One neighbour of a star in word pieces, without special tokens.
#[derive(Debug, Clone, Copy)]
pub struct Neighbour<'a> {
    /// The neighbour's name.
    pub name: &'a [u32],
    /// The relation's text (see [`relation_text`]).
    pub relation: &'a [u32],
}

/// The linearised token ids of a star: `target` and the neighbours' names and relations are
/// bare word pieces. `max_len` is at least 3 (room for `[CLS] x [SEP]`).
pub fn linearize(
    target: &[u32],
    neighbours: &[Neighbour<'_>],
    special: SpecialTokens,
    max_len: usize,
) -> Result<Vec<u32>> {
    if max_len < 3 {
        return Err(BaliError::Internal(format!(
            "linearised sequences need at least 3 tokens, not {max_len}"
        )));
    }
    let head = target.len().min(max_len - 2);
    let mut ids = Vec::with_capacity(max_len);
    ids.push(special.cls);
    ids.extend_from_slice(&target[..head]);
    ids.push(special.sep);
    for n in neighbours {
        let segment = n.name.len() + n.relation.len() + target.len() + 1;
        if ids.len() + segment > max_len {
            break;
        }
        ids.extend_from_slice(n.name);
        ids.extend_from_slice(n.relation);
        ids.extend_from_slice(target);
        ids.push(special.sep);
    }
    Ok(ids)
}

/// Words for a relation, to be tokenised: the RELA when there is one (`may_treat` ->
/// `may treat`), else the UMLS REL code spelled out (`PAR` -> `parent`); an unknown code is
/// used as it is, lower-cased.
pub fn relation_text(rel: &str, rela: Option<&str>) -> String {
    if let Some(rela) = rela.map(str::trim).filter(|r| !r.is_empty()) {
        return rela.replace('_', " ");
    }
    let words = match rel {
        "PAR" => "parent",
        "CHD" => "child",
        "RB" => "broader",
        "RN" => "narrower",
        "SIB" => "sibling",
        "SY" => "synonym",
        "RL" => "alike",
        "RQ" => "possibly synonymous",
        "RO" => "related",
        "RU" => "related unspecified",
        "AQ" => "allowed qualifier",
        "QB" => "qualified by",
        other => return other.to_lowercase().replace('_', " "),
    };
    words.to_string()
}

/// Linearised sequences padded into one batch for the encoder.
#[derive(Debug, Clone)]
pub struct LinearizedBatch {
    /// Token ids, `u32`, `[B, L]`, padded with `[PAD]` to the longest sequence.
    pub input_ids: Tensor,
    /// 1 for a real token, 0 for padding, `u32`, `[B, L]`.
    pub attention_mask: Tensor,
}

impl LinearizedBatch {
    /// Pads `sequences` (each as built by [`linearize`]) to the longest one.
    pub fn new(sequences: &[Vec<u32>], special: SpecialTokens, device: &Device) -> Result<Self> {
        let width = sequences.iter().map(Vec::len).max().unwrap_or(0);
        if width == 0 {
            return Err(BaliError::Internal(
                "a linearised batch needs at least one non-empty sequence".into(),
            ));
        }
        let mut ids = Vec::with_capacity(sequences.len() * width);
        let mut mask = Vec::with_capacity(sequences.len() * width);
        for s in sequences {
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(special.pad, width - s.len()));
            mask.extend(std::iter::repeat_n(1u32, s.len()));
            mask.extend(std::iter::repeat_n(0u32, width - s.len()));
        }
        let shape = (sequences.len(), width);
        Ok(Self {
            input_ids: Tensor::from_vec(ids, shape, device)?,
            attention_mask: Tensor::from_vec(mask, shape, device)?,
        })
    }
}

/// g_v of the linearised variant: the last-layer state of each sequence's `[CLS]` token, from
/// the encoder's `[B, L, d]` output.
pub fn cls_states(hidden: &Tensor) -> Result<Tensor> {
    Ok(hidden.narrow(1, 0, 1)?.squeeze(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::gradcheck::check;
    use crate::train::rng::TrainRng;
    use candle_core::{DType, Var};

    const SPECIAL: SpecialTokens = SpecialTokens {
        cls: 101,
        sep: 102,
        pad: 0,
    };

    #[test]
    fn a_star_is_written_out_in_the_reference_format() -> Result<()> {
        let target = [7, 8];
        let rel = [50];
        let neighbours = [
            Neighbour {
                name: &[11],
                relation: &rel,
            },
            Neighbour {
                name: &[12, 13],
                relation: &rel,
            },
        ];
        let ids = linearize(&target, &neighbours, SPECIAL, MAX_TOKENS)?;
        assert_eq!(
            ids,
            [101, 7, 8, 102, 11, 50, 7, 8, 102, 12, 13, 50, 7, 8, 102]
        );
        // No neighbours: just the target.
        assert_eq!(
            linearize(&target, &[], SPECIAL, MAX_TOKENS)?,
            [101, 7, 8, 102]
        );
        Ok(())
    }

    #[test]
    fn truncation_drops_whole_segments() -> Result<()> {
        let target = [7];
        let neighbours = [
            Neighbour {
                name: &[11],
                relation: &[50],
            },
            Neighbour {
                name: &[12, 13, 14],
                relation: &[50],
            },
        ];
        // 3 (head) + 4 (first segment) = 7; the second segment (6) does not fit in 10.
        let ids = linearize(&target, &neighbours, SPECIAL, 10)?;
        assert_eq!(ids, [101, 7, 102, 11, 50, 7, 102]);
        // A target longer than the limit is cut, keeping [CLS] and [SEP].
        let long: Vec<u32> = (200..300).collect();
        let ids = linearize(&long, &neighbours, SPECIAL, 8)?;
        assert_eq!(ids, [101, 200, 201, 202, 203, 204, 205, 102]);
        assert!(linearize(&target, &[], SPECIAL, 2).is_err());
        Ok(())
    }

    #[test]
    fn relation_texts() {
        assert_eq!(relation_text("RO", Some("may_treat")), "may treat");
        assert_eq!(relation_text("PAR", None), "parent");
        assert_eq!(relation_text("CHD", Some(" ")), "child");
        assert_eq!(relation_text("is_a", None), "is a");
    }

    #[test]
    fn names_lose_their_special_tokens() {
        assert_eq!(SPECIAL.strip(&[101, 5, 6, 102]), &[5, 6]);
        assert_eq!(SPECIAL.strip(&[5, 6]), &[5, 6]);
        assert_eq!(SPECIAL.strip(&[101, 5, 102, 0, 0]), &[5]);
    }

    #[test]
    fn batches_are_padded_with_a_mask() -> Result<()> {
        let batch =
            LinearizedBatch::new(&[vec![101, 5, 102], vec![101, 102]], SPECIAL, &Device::Cpu)?;
        let ids: Vec<Vec<u32>> = batch.input_ids.to_vec2()?;
        let mask: Vec<Vec<u32>> = batch.attention_mask.to_vec2()?;
        assert_eq!(ids, [[101, 5, 102], [101, 102, 0]]);
        assert_eq!(mask, [[1, 1, 1], [1, 1, 0]]);
        assert!(LinearizedBatch::new(&[], SPECIAL, &Device::Cpu).is_err());
        Ok(())
    }

    #[test]
    fn cls_pooling_takes_position_zero_and_passes_gradients() -> Result<()> {
        let hidden = Var::from_tensor(&TrainRng::new(3).uniform(
            (2, 4, 3),
            1.0,
            DType::F64,
            &Device::Cpu,
        )?)?;
        let pooled: Vec<Vec<f64>> = cls_states(hidden.as_tensor())?.to_vec2()?;
        let all: Vec<Vec<Vec<f64>>> = hidden.as_tensor().to_vec3()?;
        assert_eq!(pooled, [all[0][0].clone(), all[1][0].clone()]);
        let weights = TrainRng::new(4).uniform((2, 3), 1.0, DType::F64, &Device::Cpu)?;
        let result = check(
            std::slice::from_ref(&hidden),
            || Ok((cls_states(hidden.as_tensor())? * &weights)?.sum_all()?),
            1e-6,
            24,
        )?;
        assert!(result.max_error < 1e-8, "{result:?}");
        Ok(())
    }

    #[test]
    fn the_real_minilm_tokenizer_gives_the_expected_text() -> Result<()> {
        let Some(path) = crate::testutil::shared("models/all-minilm-l6-v2/tokenizer.json") else {
            return Ok(());
        };
        let mut tokenizer = tokenizers::Tokenizer::from_file(&path)
            .map_err(|e| BaliError::Tokenizer(e.to_string()))?;
        // This tokenizer.json pads every encoding to 128; names and relations are bare.
        tokenizer.with_padding(None);
        let special = SpecialTokens::lookup(|t| tokenizer.token_to_id(t))?;
        assert_eq!((special.cls, special.sep, special.pad), (101, 102, 0));
        let encode = |text: &str| -> Result<Vec<u32>> {
            Ok(tokenizer
                .encode(text, false)
                .map_err(|e| BaliError::Tokenizer(e.to_string()))?
                .get_ids()
                .to_vec())
        };
        // A name as the `names` table stores it, with its special tokens.
        let with_specials = tokenizer
            .encode("Fever", true)
            .map_err(|e| BaliError::Tokenizer(e.to_string()))?
            .get_ids()
            .to_vec();
        let target = special.strip(&with_specials);
        let (n1, r1) = (encode("Hyperthermia")?, encode(&relation_text("RN", None))?);
        let (n2, r2) = (
            encode("Abnormal body temperature")?,
            encode(&relation_text("RB", Some("is_a")))?,
        );
        let neighbours = [
            Neighbour {
                name: &n1,
                relation: &r1,
            },
            Neighbour {
                name: &n2,
                relation: &r2,
            },
        ];
        let ids = linearize(target, &neighbours, special, MAX_TOKENS)?;
        let text = tokenizer
            .decode(&ids, false)
            .map_err(|e| BaliError::Tokenizer(e.to_string()))?;
        assert_eq!(
            text,
            "[CLS] fever [SEP] hyperthermia narrower fever [SEP] abnormal body temperature is a fever [SEP]"
        );
        Ok(())
    }
}
