//! Writes the aligned encoder as a standard Hugging Face BERT directory.
//!
//! BALI keeps only the language model after training, and users fine-tune it with standard
//! tooling, so the output is exactly what `transformers.BertModel.from_pretrained` expects:
//! `config.json`, `model.safetensors` holding every `BertModel` tensor under its usual name
//! (embeddings, encoder layers, and the pooler carried unchanged from the input checkpoint), and
//! the tokenizer files of the input model. The MLM and graph heads stay behind.
//!
//! Each file is written under a temporary name and renamed into place, and `config.json` comes
//! last: a directory whose export was interrupted has no new `config.json` beside new weights.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use tracing::info;

use super::bert::Bert;
use crate::error::{BaliError, IoResultExt, Result};
use crate::store::atomic;

/// Tokenizer files copied from the input model directory when present.
pub const TOKENIZER_FILES: &[&str] = &[
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
];

/// Exports `bert` into `out` (created if needed; files of the same names are replaced), taking
/// the tokenizer files from `tokenizer_dir` (usually the directory the model was loaded from).
/// Returns the files written.
///
/// Tensors are written as `F32` whatever the training dtype, with the `{"format": "pt"}`
/// metadata that transformers checks for.
pub fn export(bert: &Bert, tokenizer_dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let present: Vec<&str> = TOKENIZER_FILES
        .iter()
        .copied()
        .filter(|f| tokenizer_dir.join(f).is_file())
        .collect();
    if !present
        .iter()
        .any(|f| *f == "vocab.txt" || *f == "tokenizer.json")
    {
        return Err(BaliError::Spec(format!(
            "{} has neither vocab.txt nor tokenizer.json: an exported model needs its tokenizer",
            tokenizer_dir.display()
        )));
    }
    std::fs::create_dir_all(out).at(out)?;
    let mut written = Vec::new();

    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    for (name, t) in bert.parameters() {
        tensors.push((
            name,
            t.to_device(&Device::Cpu)?
                .to_dtype(DType::F32)?
                .contiguous()?,
        ));
    }
    for (name, t) in bert.carried() {
        tensors.push((name.clone(), t.to_device(&Device::Cpu)?.contiguous()?));
    }
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let weights = out.join("model.safetensors");
    let tmp = atomic::temp_path(&weights);
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize_to_file(
        tensors.iter().map(|(n, t)| (n.as_str(), t)),
        Some(metadata),
        &tmp,
    )
    .map_err(|e| {
        BaliError::from(candle_core::Error::from(e)).context(format!("writing {}", tmp.display()))
    })?;
    atomic::publish(&tmp, &weights)?;
    written.push(weights);

    for file in present {
        let from = tokenizer_dir.join(file);
        let to = out.join(file);
        let bytes = std::fs::read(&from).at(&from)?;
        atomic::write(&to, &bytes)?;
        written.push(to);
    }

    let config = out.join("config.json");
    atomic::write(&config, &config_json(bert)?)?;
    written.push(config);
    info!(dir = %out.display(), tensors = tensors.len(), "exported Hugging Face BERT directory");
    Ok(written)
}

/// The model's `config.json`: the input's fields (including the ones bali does not read), with
/// the architecture set to `BertModel` and the stored dtype to float32.
fn config_json(bert: &Bert) -> Result<Vec<u8>> {
    let mut value = serde_json::to_value(bert.config())?;
    if let Some(map) = value.as_object_mut() {
        map.insert("architectures".into(), serde_json::json!(["BertModel"]));
        map.insert("model_type".into(), serde_json::json!("bert"));
        for key in ["torch_dtype", "dtype"] {
            if map.contains_key(key) {
                map.insert(key.into(), serde_json::json!("float32"));
            }
        }
    }
    let mut text = serde_json::to_vec_pretty(&value)?;
    text.push(b'\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::shared;
    use crate::train::bert::tests::{tiny_batch, tiny_config};
    use crate::train::bert::weights::{encoder_shapes, pooler_shapes};
    use crate::train::bert::Mode;
    use crate::train::mlm::MlmHead;
    use candle_nn::VarMap;
    use std::collections::BTreeMap;

    /// Name -> (dtype, shape) of every tensor in a safetensors file.
    type Header = BTreeMap<String, (String, Vec<usize>)>;

    /// The tensors of a safetensors file and its metadata.
    fn header(path: &Path) -> Result<(Header, Option<HashMap<String, String>>)> {
        let bytes = std::fs::read(path).at(path)?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(candle_core::Error::from)?;
        let names = st
            .tensors()
            .into_iter()
            .map(|(n, v)| (n, (format!("{:?}", v.dtype()), v.shape().to_vec())))
            .collect();
        let (_, meta) =
            safetensors::SafeTensors::read_metadata(&bytes).map_err(candle_core::Error::from)?;
        Ok((names, meta.metadata().clone()))
    }

    fn same_outputs(a: &Bert, b: &Bert, ids: &Tensor, mask: &Tensor) -> Result<()> {
        let x = a.forward(ids, None, mask, &mut Mode::Eval)?;
        let y = b.forward(ids, None, mask, &mut Mode::Eval)?;
        let diff: f32 = x.sub(&y)?.abs()?.max_all()?.to_scalar()?;
        assert_eq!(diff, 0.0, "the reloaded model computes something else");
        Ok(())
    }

    #[test]
    fn a_random_model_round_trips_without_its_heads() -> Result<()> {
        let dev = Device::Cpu;
        let dir = tempfile::tempdir().at("tempdir")?;
        let src = dir.path().join("tokenizer");
        std::fs::create_dir(&src).at(&src)?;
        let vocab: String = (0..40).map(|i| format!("tok{i}\n")).collect();
        std::fs::write(src.join("vocab.txt"), &vocab).at(&src)?;
        std::fs::write(
            src.join("tokenizer_config.json"),
            "{\"do_lower_case\": true}",
        )
        .at(&src)?;

        let varmap = VarMap::new();
        let config = tiny_config(2);
        let bert = Bert::random(config.clone(), 3, &varmap, DType::F32, &dev)?;
        // A head in the same VarMap must not leak into the export.
        MlmHead::new(&config, 4, &varmap, DType::F32, &dev)?;
        let out = dir.path().join("export");
        let files = export(&bert, &src, &out)?;
        assert_eq!(files.len(), 4);

        let (names, meta) = header(&out.join("model.safetensors"))?;
        let want: BTreeMap<String, (String, Vec<usize>)> = encoder_shapes(&config)?
            .into_iter()
            .chain(pooler_shapes(&config))
            .map(|(n, s)| (n, ("F32".to_string(), s)))
            .collect();
        assert_eq!(names, want);
        assert_eq!(
            meta.and_then(|m| m.get("format").cloned()).as_deref(),
            Some("pt")
        );
        assert_eq!(
            std::fs::read_to_string(out.join("vocab.txt")).at(&out)?,
            vocab
        );
        assert!(!out.join("model.safetensors.tmp").exists());

        let reloaded = Bert::load(&out, &VarMap::new(), DType::F32, &dev)?;
        let mut read_back = reloaded.config().clone();
        assert_eq!(
            read_back.extra.remove("architectures"),
            Some(serde_json::json!(["BertModel"]))
        );
        assert_eq!(
            read_back.extra.remove("model_type"),
            Some(serde_json::json!("bert"))
        );
        assert_eq!(&read_back, bert.config());
        let (ids, mask) = tiny_batch(&dev)?;
        same_outputs(&bert, &reloaded, &ids, &mask)?;
        Ok(())
    }

    #[test]
    fn a_directory_without_a_tokenizer_is_refused() -> Result<()> {
        let dir = tempfile::tempdir().at("tempdir")?;
        let bert = Bert::random(tiny_config(1), 3, &VarMap::new(), DType::F32, &Device::Cpu)?;
        let err = export(&bert, dir.path(), &dir.path().join("out")).unwrap_err();
        assert!(err.to_string().contains("vocab.txt"), "{err}");
        Ok(())
    }

    #[test]
    fn minilm_exports_the_tensors_and_files_of_its_checkpoint() -> Result<()> {
        let Some(src) = shared("models/all-minilm-l6-v2") else {
            return Ok(());
        };
        let dev = Device::Cpu;
        let bert = Bert::load(&src, &VarMap::new(), DType::F32, &dev)?;
        let dir = tempfile::tempdir().at("tempdir")?;
        let out = dir.path().join("minilm");
        export(&bert, &src, &out)?;

        let (exported, _) = header(&out.join("model.safetensors"))?;
        let (original, _) = header(&src.join("model.safetensors"))?;
        assert_eq!(
            exported, original,
            "tensor names, dtypes or shapes differ from the input checkpoint"
        );
        for file in TOKENIZER_FILES {
            let a = std::fs::read(src.join(file)).at(src.join(file))?;
            let b = std::fs::read(out.join(file)).at(out.join(file))?;
            assert!(a == b, "{file} was not copied unchanged");
        }
        let read = |p: PathBuf| -> Result<serde_json::Value> {
            Ok(serde_json::from_str(&std::fs::read_to_string(&p).at(&p)?)?)
        };
        assert_eq!(
            read(out.join("config.json"))?,
            read(src.join("config.json"))?
        );

        let reloaded = Bert::load(&out, &VarMap::new(), DType::F32, &dev)?;
        let ids = Tensor::new(&[[101u32, 14494, 1999, 7987, 3540, 2487, 102]], &dev)?;
        let mask = Tensor::ones((1, 7), DType::U32, &dev)?;
        same_outputs(&bert, &reloaded, &ids, &mask)?;
        Ok(())
    }
}
