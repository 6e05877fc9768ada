//! The encoder's shape and hyper-parameters, read from (and written back to) a Hugging Face
//! `config.json`.
//!
//! Fields bali does not interpret (`_name_or_path`, `transformers_version`, `use_cache`, ...)
//! are kept verbatim in [`BertConfig::extra`] so that an exported model carries them on.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{BaliError, IoResultExt, Position, Result};

/// The feed-forward non-linearity named by `hidden_act`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// The exact GELU, `x * Phi(x)` through erf: Hugging Face's `gelu`, BERT's default.
    #[serde(rename = "gelu")]
    Gelu,
    /// The tanh approximation of GELU (`gelu_new`, `gelu_pytorch_tanh`: the same formula).
    #[serde(rename = "gelu_new", alias = "gelu_pytorch_tanh")]
    GeluTanh,
    /// `max(0, x)`.
    #[serde(rename = "relu")]
    Relu,
}

/// A BERT configuration with Hugging Face's field names and defaults (`BertConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BertConfig {
    /// Rows of the word-embedding matrix (the tokenizer's vocabulary).
    pub vocab_size: usize,
    /// Width d of every hidden state.
    pub hidden_size: usize,
    /// Number of transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer; must divide `hidden_size`.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Feed-forward non-linearity.
    pub hidden_act: Activation,
    /// Dropout on embeddings and on each sub-layer's output, in training mode.
    pub hidden_dropout_prob: f64,
    /// Dropout on the attention probabilities, in training mode.
    pub attention_probs_dropout_prob: f64,
    /// Longest sequence the position embeddings cover.
    pub max_position_embeddings: usize,
    /// Number of token types (segments).
    pub type_vocab_size: usize,
    /// Epsilon inside every layer norm.
    pub layer_norm_eps: f64,
    /// Standard deviation of the normal initialisation of weights (random start, fresh heads).
    pub initializer_range: f64,
    /// Token id of `[PAD]`; its word-embedding row starts at zero in a random model, as in
    /// Hugging Face.
    pub pad_token_id: u32,
    /// Only `absolute` is implemented: relative position variants change the attention maths.
    pub position_embedding_type: String,
    /// Every other field of `config.json`, written back unchanged on export.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for BertConfig {
    /// Hugging Face's `BertConfig()` defaults (BERT-base).
    fn default() -> Self {
        BertConfig {
            vocab_size: 30522,
            hidden_size: 768,
            num_hidden_layers: 12,
            num_attention_heads: 12,
            intermediate_size: 3072,
            hidden_act: Activation::Gelu,
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            max_position_embeddings: 512,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
            initializer_range: 0.02,
            pad_token_id: 0,
            position_embedding_type: "absolute".to_string(),
            extra: serde_json::Map::new(),
        }
    }
}

impl BertConfig {
    /// Reads and validates `config.json`. Syntax errors and unsupported settings name the file
    /// (and the line and column, where serde knows them).
    pub fn from_file(path: &Path) -> Result<BertConfig> {
        let text = std::fs::read_to_string(path).at(path)?;
        let config: BertConfig = serde_json::from_str(&text).map_err(|e| {
            BaliError::bad_input(
                path,
                Position::LineColumn(e.line() as u64, e.column() as u64),
                e.to_string(),
            )
        })?;
        config
            .validate()
            .map_err(|reason| BaliError::bad_input(path, Position::Line(1), reason))?;
        Ok(config)
    }

    /// Checks what the encoder relies on; the message says what is wrong.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.position_embedding_type != "absolute" {
            return Err(format!(
                "position_embedding_type `{}` is not supported (only `absolute`)",
                self.position_embedding_type
            ));
        }
        let positive = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("{name} must be positive"));
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        for (name, p) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            (
                "attention_probs_dropout_prob",
                self.attention_probs_dropout_prob,
            ),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(format!("{name} must be in [0, 1), got {p}"));
            }
        }
        if self.pad_token_id as usize >= self.vocab_size {
            return Err(format!(
                "pad_token_id {} is outside the vocabulary of {}",
                self.pad_token_id, self.vocab_size
            ));
        }
        Ok(())
    }

    /// Width of one attention head.
    pub fn head_size(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hugging_face_fields_and_keeps_the_rest() -> Result<()> {
        let json = r#"{"architectures": ["BertModel"], "hidden_size": 384, "num_attention_heads": 12,
            "num_hidden_layers": 6, "intermediate_size": 1536, "hidden_act": "gelu",
            "transformers_version": "4.8.2"}"#;
        let config: BertConfig = serde_json::from_str(json)?;
        assert_eq!(config.hidden_size, 384);
        assert_eq!(config.head_size(), 32);
        assert_eq!(config.vocab_size, 30522, "unset fields take HF defaults");
        assert_eq!(config.extra["transformers_version"], "4.8.2");
        let back = serde_json::to_value(&config)?;
        assert_eq!(back["architectures"][0], "BertModel");
        assert_eq!(back["hidden_act"], "gelu");
        assert_eq!(back["layer_norm_eps"], 1e-12);
        Ok(())
    }

    #[test]
    fn rejects_what_the_encoder_cannot_run() -> Result<()> {
        let bad: BertConfig =
            serde_json::from_str(r#"{"hidden_size": 100, "num_attention_heads": 12}"#)?;
        assert!(bad.validate().unwrap_err().contains("multiple"));
        let relative: BertConfig =
            serde_json::from_str(r#"{"position_embedding_type": "relative_key"}"#)?;
        assert!(relative.validate().is_err());
        assert!(serde_json::from_str::<BertConfig>(r#"{"hidden_act": "swish"}"#).is_err());
        let tanh: BertConfig = serde_json::from_str(r#"{"hidden_act": "gelu_pytorch_tanh"}"#)?;
        assert_eq!(tanh.hidden_act, Activation::GeluTanh);
        Ok(())
    }

    #[test]
    fn a_syntax_error_names_file_line_and_column() -> Result<()> {
        let dir = tempfile::tempdir().at("tempdir")?;
        let path = dir.path().join("config.json");
        std::fs::write(&path, "{\n  \"hidden_size\": 384,\n  oops\n}").at(&path)?;
        let err = BertConfig::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("config.json: 3:"), "{err}");
        Ok(())
    }
}
