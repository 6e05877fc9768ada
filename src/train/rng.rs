//! The trainer's random numbers: one seeded, serialisable generator type for initialisation,
//! dropout and sampling.
//!
//! candle's `Tensor::rand*` and `candle_nn::ops::dropout` draw from a thread-local generator
//! that can be neither seeded nor saved, so a run built on them is not reproducible and cannot
//! resume bit-for-bit. Every random draw of the trainer goes through a [`TrainRng`] instead: a
//! ChaCha8 stream whose full state (seed, stream id, word position) fits in a small JSON record
//! that checkpoints carry. Masks and initial weights are drawn on the host and then moved to the
//! tensor's device, so CPU and GPU runs with one seed draw the same numbers.

use candle_core::{DType, Device, Shape, Tensor};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{BaliError, Result};

/// A seeded ChaCha8 generator whose exact position can be saved and restored.
///
/// It implements [`RngCore`], so every `rand` method (`random_range`, `seq::SliceRandom`, ...)
/// works on it directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainRng {
    inner: ChaCha8Rng,
}

/// The complete state of a [`TrainRng`], as stored in checkpoint headers.
///
/// The 128-bit word position is kept as a decimal string because JSON numbers are doubles in
/// most readers and would round it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RngState {
    /// The 32-byte ChaCha key, hex-encoded.
    pub seed: String,
    /// The ChaCha stream id.
    pub stream: u64,
    /// Position in the stream, in 32-bit words, as a decimal string.
    pub word_pos: String,
}

impl TrainRng {
    /// A generator for `seed` on stream 0.
    pub fn new(seed: u64) -> Self {
        Self::with_stream(seed, 0)
    }

    /// A generator for `seed` on `stream`: streams of one seed are independent, so dropout,
    /// masking and sampling can each own one and consume numbers at their own pace without
    /// shifting each other's draws.
    pub fn with_stream(seed: u64, stream: u64) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(stream);
        Self { inner }
    }

    /// The state to store in a checkpoint.
    pub fn state(&self) -> RngState {
        let seed = self.inner.get_seed();
        RngState {
            seed: seed.iter().map(|b| format!("{b:02x}")).collect(),
            stream: self.inner.get_stream(),
            word_pos: self.inner.get_word_pos().to_string(),
        }
    }

    /// Rebuilds a generator at exactly the position `state` was taken.
    pub fn from_state(state: &RngState) -> Result<Self> {
        let bad =
            |what: &str| BaliError::Internal(format!("invalid random-generator state: {what}"));
        if state.seed.len() != 64 || !state.seed.is_ascii() {
            return Err(bad("the seed is not 64 hex digits"));
        }
        let mut seed = [0u8; 32];
        for (i, byte) in seed.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&state.seed[2 * i..2 * i + 2], 16)
                .map_err(|_| bad("the seed is not 64 hex digits"))?;
        }
        let word_pos: u128 = state
            .word_pos
            .parse()
            .map_err(|_| bad("the word position is not a decimal integer"))?;
        let mut inner = ChaCha8Rng::from_seed(seed);
        inner.set_stream(state.stream);
        inner.set_word_pos(word_pos);
        Ok(Self { inner })
    }

    /// A tensor of `shape` drawn uniformly from `[-bound, bound)`: the Glorot and Kaiming
    /// uniform initialisations that PyTorch layers use are this with their own bounds.
    pub fn uniform(
        &mut self,
        shape: impl Into<Shape>,
        bound: f64,
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        if !(bound > 0.0 && bound.is_finite()) {
            return Err(BaliError::Internal(format!(
                "uniform initialisation bound {bound} is not a positive number"
            )));
        }
        let shape = shape.into();
        let values: Vec<f64> = (0..shape.elem_count())
            .map(|_| self.inner.random_range(-bound..bound))
            .collect();
        Ok(Tensor::from_vec(values, shape, &Device::Cpu)?
            .to_dtype(dtype)?
            .to_device(device)?)
    }

    /// Inverted-dropout multipliers for `n` elements: 0 with probability `p`, `1 / (1 - p)`
    /// otherwise. Element `i` takes word `i` of the stream from the current position (dropped
    /// when the word is below `p * 2^32`), and the generator ends `n` words on, exactly as if
    /// the words had been drawn one after another; blocks of words are drawn in parallel by
    /// copies of the generator seeked to their offsets. `p` must lie in `[0, 1)`.
    pub fn dropout_multipliers(&mut self, n: usize, p: f64) -> Vec<f32> {
        /// Words drawn per task: a ChaCha refill is 64 words, a task amortises its seek.
        const WORDS_PER_TASK: usize = 1 << 14;
        let threshold = (p * 4_294_967_296.0).round() as u64;
        let scale = (1.0 / (1.0 - p)) as f32;
        let start = self.inner.get_word_pos();
        let mut out = vec![0f32; n];
        let inner = &self.inner;
        out.par_chunks_mut(WORDS_PER_TASK)
            .enumerate()
            .for_each(|(task, block)| {
                let mut rng = inner.clone();
                rng.set_word_pos(start + (task * WORDS_PER_TASK) as u128);
                // The stream's bytes land in the output buffer, then each slot's four bytes
                // become its multiplier.
                rng.fill_bytes(bytemuck::cast_slice_mut(block));
                for v in block.iter_mut() {
                    let word = u32::from_le_bytes(v.to_ne_bytes());
                    *v = if u64::from(word) >= threshold {
                        scale
                    } else {
                        0.0
                    };
                }
            });
        self.inner.set_word_pos(start + n as u128);
        out
    }

    /// The multipliers of inverted dropout for a tensor of `shape`, in `like`'s dtype and on
    /// its device: [`Self::dropout_multipliers`] drawn on the host (so CPU and GPU runs of
    /// one seed draw the same masks); `None` when `p` is 0.
    pub fn dropout_mask(
        &mut self,
        shape: &[usize],
        p: f64,
        like: &Tensor,
    ) -> Result<Option<Tensor>> {
        if !(0.0..1.0).contains(&p) {
            return Err(BaliError::Internal(format!(
                "dropout probability {p} is outside [0, 1)"
            )));
        }
        if p == 0.0 {
            return Ok(None);
        }
        let mask = self.dropout_multipliers(shape.iter().product(), p);
        let mask = Tensor::from_vec(mask, shape, &Device::Cpu)?
            .to_dtype(like.dtype())?
            .to_device(like.device())?;
        Ok(Some(mask))
    }

    /// Inverted dropout of `xs` with drop probability `p`: each element is zeroed with
    /// probability `p` and the survivors are scaled by `1 / (1 - p)`, as `torch.nn.Dropout`
    /// does in training mode. The mask ([`Self::dropout_mask`]) is a constant of the graph, so
    /// gradients flow through the kept elements only.
    pub fn dropout(&mut self, xs: &Tensor, p: f64) -> Result<Tensor> {
        match self.dropout_mask(xs.dims(), p, xs)? {
            Some(mask) => Ok(xs.mul(&mask)?),
            None => Ok(xs.clone()),
        }
    }
}

/// Dropout in training mode, identity in evaluation mode (`rng` is `None`).
pub fn dropout(xs: &Tensor, p: f64, rng: Option<&mut TrainRng>) -> Result<Tensor> {
    match rng {
        Some(rng) => rng.dropout(xs, p),
        None => Ok(xs.clone()),
    }
}

impl RngCore for TrainRng {
    fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.inner.fill_bytes(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restored_generator_continues_the_same_sequence() -> Result<()> {
        let mut rng = TrainRng::with_stream(29, 3);
        // Odd counts leave the generator mid-block, where a naive restore would go wrong.
        for _ in 0..7 {
            rng.next_u32();
        }
        let state = rng.state();
        let json = serde_json::to_string(&state)?;
        let mut restored = TrainRng::from_state(&serde_json::from_str(&json)?)?;
        let a: Vec<u64> = (0..100).map(|_| rng.next_u64()).collect();
        let b: Vec<u64> = (0..100).map(|_| restored.next_u64()).collect();
        assert_eq!(a, b);
        Ok(())
    }

    #[test]
    fn streams_of_one_seed_differ() {
        let mut a = TrainRng::with_stream(29, 0);
        let mut b = TrainRng::with_stream(29, 1);
        let xa: Vec<u32> = (0..8).map(|_| a.next_u32()).collect();
        let xb: Vec<u32> = (0..8).map(|_| b.next_u32()).collect();
        assert_ne!(xa, xb);
    }

    #[test]
    fn a_corrupt_state_is_an_error() {
        let mut state = TrainRng::new(1).state();
        state.seed.truncate(10);
        assert!(TrainRng::from_state(&state).is_err());
    }

    #[test]
    fn dropout_zeroes_about_p_and_rescales_the_rest() -> Result<()> {
        let mut rng = TrainRng::new(29);
        let x = Tensor::ones(20_000, DType::F32, &Device::Cpu)?;
        let y: Vec<f32> = rng.dropout(&x, 0.1)?.to_vec1()?;
        let dropped = y.iter().filter(|&&v| v == 0.0).count() as f64 / y.len() as f64;
        assert!((dropped - 0.1).abs() < 0.01, "dropped share {dropped}");
        let kept_value = 1.0 / 0.9;
        assert!(y
            .iter()
            .all(|&v| v == 0.0 || (f64::from(v) - kept_value).abs() < 1e-6));
        // Evaluation mode is the identity.
        let z: Vec<f32> = dropout(&x, 0.1, None)?.to_vec1()?;
        assert!(z.iter().all(|&v| v == 1.0));
        Ok(())
    }

    #[test]
    fn dropout_multipliers_are_the_sequential_words_drawn_in_parallel() {
        let mut rng = TrainRng::with_stream(31, 2);
        rng.next_u32(); // mid-block, odd position
        let mut sequential = rng.clone();
        // Several parallel blocks, the last one short.
        let n = 3 * (1 << 14) + 77;
        let ours = rng.dropout_multipliers(n, 0.1);
        let mut bytes = vec![0u8; n * 4];
        sequential.fill_bytes(&mut bytes);
        let threshold = (0.1f64 * 4_294_967_296.0).round() as u64;
        let expected: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| {
                let word = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                if u64::from(word) >= threshold {
                    (1.0 / 0.9f64) as f32
                } else {
                    0.0
                }
            })
            .collect();
        assert_eq!(ours, expected);
        // Both generators continue from the same position.
        assert_eq!(rng.next_u64(), sequential.next_u64());
        assert!(rng.dropout_multipliers(0, 0.5).is_empty());
    }

    #[test]
    fn uniform_stays_within_its_bound() -> Result<()> {
        let mut rng = TrainRng::new(29);
        let t: Vec<f64> = rng
            .uniform((30, 40), 0.25, DType::F64, &Device::Cpu)?
            .flatten_all()?
            .to_vec1()?;
        assert!(t.iter().all(|v| (-0.25..0.25).contains(v)));
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        assert!(mean.abs() < 0.02, "mean {mean}");
        Ok(())
    }
}
