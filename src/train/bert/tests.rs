//! Tests of the encoder: gradients against finite differences, padding, pooling, and the real
//! MiniLM checkpoint against Hugging Face transformers.

use super::*;
use crate::testutil::shared;
use crate::train::gradcheck::check;
use candle_core::Var;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A BERT small enough for finite differences: 2 heads of 4, one layer unless asked.
pub(crate) fn tiny_config(layers: usize) -> BertConfig {
    BertConfig {
        vocab_size: 40,
        hidden_size: 8,
        num_hidden_layers: layers,
        num_attention_heads: 2,
        intermediate_size: 16,
        max_position_embeddings: 16,
        ..BertConfig::default()
    }
}

/// Two rows of 5 tokens, the second padded after 3.
pub(crate) fn tiny_batch(dev: &Device) -> Result<(Tensor, Tensor)> {
    let ids = Tensor::new(&[[2u32, 7, 11, 5, 3], [2, 9, 3, 0, 0]], dev)?;
    let mask = Tensor::new(&[[1u32, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dev)?;
    Ok((ids, mask))
}

fn fixed_weights(shape: &[usize], seed: u64, dev: &Device) -> Result<Tensor> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|_| rand::Rng::random_range(&mut rng, -1.0..1.0))
        .collect();
    Ok(Tensor::from_vec(v, shape, dev)?)
}

fn vars(varmap: &VarMap) -> Result<Vec<Var>> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| BaliError::Internal("poisoned".into()))?;
    let mut named: Vec<(String, Var)> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(named.into_iter().map(|(_, v)| v).collect())
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> Result<f64> {
    Ok(a.sub(b)?
        .abs()?
        .max_all()?
        .to_dtype(DType::F64)?
        .to_scalar::<f64>()?)
}

#[test]
fn attention_with_a_padding_mask_matches_finite_differences() -> Result<()> {
    let dev = Device::Cpu;
    let varmap = VarMap::new();
    let bert = Bert::random(tiny_config(1), 1, &varmap, DType::F64, &dev)?;
    let (_, mask) = tiny_batch(&dev)?;
    let bias = attention_bias(&mask, DType::F64)?;
    let x = Var::from_tensor(&fixed_weights(&[10, 8], 2, &dev)?)?;
    let w = fixed_weights(&[10, 8], 3, &dev)?;
    let layer = &bert.model.encoder.layer[0];
    let loss = || -> Result<Tensor> {
        let y = bert.self_attention(layer, x.as_tensor(), &bias, &mut Mode::Eval)?;
        Ok(y.mul(&w)?.sum_all()?)
    };
    let mut probed = vec![x.clone()];
    let data = varmap
        .data()
        .lock()
        .map_err(|_| BaliError::Internal("poisoned".into()))?;
    for part in ["query", "key", "value"] {
        for kind in ["weight", "bias"] {
            let name = format!("encoder.layer.0.attention.self.{part}.{kind}");
            probed.push(data[&name].clone());
        }
    }
    drop(data);
    let out = check(&probed, loss, 1e-6, 20)?;
    assert!(out.max_error < 1e-6, "{out:?}");
    Ok(())
}

#[test]
fn a_full_layer_with_dropout_matches_finite_differences() -> Result<()> {
    let dev = Device::Cpu;
    let varmap = VarMap::new();
    let bert = Bert::random(tiny_config(1), 4, &varmap, DType::F64, &dev)?;
    let (ids, mask) = tiny_batch(&dev)?;
    let w = fixed_weights(&[2, 5, 8], 5, &dev)?;
    // Each evaluation replays the same dropout masks from a fresh stream, so the loss is a
    // deterministic function of the weights and the check covers dropout too.
    let loss = || -> Result<Tensor> {
        let mut rng = crate::train::rng::TrainRng::new(11);
        let y = bert.forward(&ids, None, &mask, &mut Mode::Train(&mut rng))?;
        Ok(y.mul(&w)?.sum_all()?)
    };
    let all = vars(&varmap)?;
    assert_eq!(all.len(), weights::encoder_shapes(bert.config())?.len());
    let out = check(&all, loss, 1e-6, 12)?;
    assert!(out.max_error < 1e-5, "{out:?}");
    Ok(())
}

#[test]
fn padding_does_not_change_the_states_of_real_tokens() -> Result<()> {
    let dev = Device::Cpu;
    let varmap = VarMap::new();
    let bert = Bert::random(tiny_config(2), 6, &varmap, DType::F32, &dev)?;
    let alone = bert.forward(
        &Tensor::new(&[[2u32, 9, 3]], &dev)?,
        None,
        &Tensor::new(&[[1u32, 1, 1]], &dev)?,
        &mut Mode::Eval,
    )?;
    let (ids, mask) = tiny_batch(&dev)?;
    let batched = bert.forward(&ids, None, &mask, &mut Mode::Eval)?;
    let row = batched.narrow(0, 1, 1)?.narrow(1, 0, 3)?;
    assert!(max_abs_diff(&alone, &row)? < 1e-6);
    // Whatever sits in the padded slots is invisible to the real tokens.
    let other = Tensor::new(&[[2u32, 7, 11, 5, 3], [2, 9, 3, 17, 23]], &dev)?;
    let changed = bert.forward(&other, None, &mask, &mut Mode::Eval)?;
    assert!(max_abs_diff(&changed.narrow(1, 0, 3)?, &batched.narrow(1, 0, 3)?)? < 1e-6);
    Ok(())
}

#[test]
fn pooling_averages_the_right_tokens_and_differentiates() -> Result<()> {
    let dev = Device::Cpu;
    let h = Var::from_tensor(&fixed_weights(&[2, 4, 3], 7, &dev)?)?;
    let rows: Vec<Vec<Vec<f64>>> = h.as_tensor().to_vec3()?;
    let mask = Tensor::new(&[[1u8, 1, 1, 0], [1, 1, 0, 0]], &dev)?;
    let pooled: Vec<Vec<f64>> = mean_pool(h.as_tensor(), &mask)?.to_vec2()?;
    for k in 0..3 {
        let want0 = (rows[0][0][k] + rows[0][1][k] + rows[0][2][k]) / 3.0;
        let want1 = (rows[1][0][k] + rows[1][1][k]) / 2.0;
        assert!((pooled[0][k] - want0).abs() < 1e-12 && (pooled[1][k] - want1).abs() < 1e-12);
    }
    let spans = [
        TokenSpan {
            row: 1,
            start: 1,
            end: 3,
        },
        TokenSpan {
            row: 0,
            start: 2,
            end: 3,
        },
        TokenSpan {
            row: 1,
            start: 1,
            end: 3,
        },
    ];
    let mentions: Vec<Vec<f64>> = pool_spans(h.as_tensor(), &spans, &[0, 1, 2], 3)?.to_vec2()?;
    for k in 0..3 {
        assert!((mentions[0][k] - (rows[1][1][k] + rows[1][2][k]) / 2.0).abs() < 1e-12);
        assert!((mentions[1][k] - rows[0][2][k]).abs() < 1e-12);
        assert_eq!(mentions[0][k], mentions[2][k]);
    }
    // Spans of one group are averaged over all their tokens together.
    let grouped: Vec<Vec<f64>> = pool_spans(h.as_tensor(), &spans, &[0, 0, 1], 2)?.to_vec2()?;
    for k in 0..3 {
        let three = (rows[1][1][k] + rows[1][2][k] + rows[0][2][k]) / 3.0;
        assert!((grouped[0][k] - three).abs() < 1e-12);
        assert_eq!(grouped[1][k], mentions[2][k]);
    }
    let one = |row, start, end| [TokenSpan { row, start, end }];
    assert!(pool_spans(h.as_tensor(), &one(0, 2, 2), &[0], 1).is_err());
    assert!(pool_spans(h.as_tensor(), &one(2, 0, 1), &[0], 1).is_err());
    assert!(pool_spans(h.as_tensor(), &one(0, 0, 1), &[1], 1).is_err());

    let w = fixed_weights(&[3, 3], 8, &dev)?;
    let w2 = fixed_weights(&[2, 3], 9, &dev)?;
    let loss = || -> Result<Tensor> {
        let a = pool_spans(h.as_tensor(), &spans, &[0, 1, 2], 3)?
            .mul(&w)?
            .sum_all()?;
        let b = mean_pool(h.as_tensor(), &mask)?.mul(&w2)?.sum_all()?;
        Ok((a + b)?)
    };
    let out = check(std::slice::from_ref(&h), loss, 1e-6, 24)?;
    assert!(out.max_error < 1e-8, "{out:?}");
    Ok(())
}

/// Hugging Face's `BertModel` output for the real MiniLM checkpoint.
///
/// The fixture `models/all-minilm-l6-v2.reference.json` in ../shared was made once with
/// Python: `AutoTokenizer`/`AutoModel.from_pretrained` on this directory, eval mode, fp32 on
/// CPU, one unpadded sentence at a time; it stores each sentence's `input_ids` and
/// `last_hidden_state` rounded to 6 decimals (the file's `made_with` field names the
/// transformers and torch versions). We feed the same ids and require every state within 1e-4.
#[test]
fn minilm_matches_hugging_face_transformers() -> Result<()> {
    let (Some(dir), Some(reference)) = (
        shared("models/all-minilm-l6-v2"),
        shared("models/all-minilm-l6-v2.reference.json"),
    ) else {
        return Ok(());
    };
    let dev = Device::Cpu;
    let bert = Bert::load(&dir, &VarMap::new(), DType::F32, &dev)?;
    let text = std::fs::read_to_string(&reference).map_err(|e| BaliError::io(&reference, e))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let samples = json["samples"].as_array().cloned().unwrap_or_default();
    assert_eq!(samples.len(), 3);
    for sample in samples {
        let ids: Vec<u32> = serde_json::from_value(sample["input_ids"].clone())?;
        let want: Vec<Vec<f32>> = serde_json::from_value(sample["last_hidden_state"].clone())?;
        let n = ids.len();
        let input = Tensor::from_vec(ids, (1, n), &dev)?;
        let mask = Tensor::ones((1, n), DType::U32, &dev)?;
        let got = bert
            .forward(&input, None, &mask, &mut Mode::Eval)?
            .squeeze(0)?;
        let want = Tensor::new(want, &dev)?;
        assert_eq!(got.dims(), want.dims());
        let diff = max_abs_diff(&got, &want)?;
        assert!(diff < 1e-4, "{}: max abs difference {diff}", sample["text"]);
    }
    Ok(())
}
