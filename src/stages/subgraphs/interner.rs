//! Concept-id interning shared by the threads of a graph build.
//!
//! UMLS has about 4M concepts in MRREL's 80M rows, so every row costs two lookups: the map is
//! split into shards, each behind its own lock, so that rayon workers rarely wait on each
//! other. A provisional id packs (shard, index in shard) into a `u32`; once every row is in,
//! [`ShardedInterner::into_sorted`] renumbers concepts by their sorted string, which makes the
//! final ids independent of thread scheduling and lets the graph find a concept by binary
//! search instead of keeping a hash map.

use std::collections::HashMap;
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::{BaliError, Result};

/// Bits of a provisional id that select the shard.
const SHARD_BITS: u32 = 6;
/// Number of shards.
const SHARDS: usize = 1 << SHARD_BITS;
/// Bits left for the index within a shard.
const LOCAL_BITS: u32 = 32 - SHARD_BITS;
/// Largest number of concepts one shard can hold.
const LOCAL_LIMIT: u32 = 1 << LOCAL_BITS;

/// A concurrent string-to-id map with provisional ids (see the module docs).
pub(crate) struct ShardedInterner {
    shards: Vec<Mutex<HashMap<Box<str>, u32>>>,
}

/// Concepts in sorted order and the map from provisional to final ids.
pub(crate) struct SortedConcepts {
    /// Distinct concept ids in ascending byte order; the position is the final id.
    pub(crate) concepts: Vec<Box<str>>,
    /// `remap[shard][local]` is the final id of a provisional id.
    remap: Vec<Vec<u32>>,
}

impl SortedConcepts {
    /// The final id of a provisional id handed out by the interner.
    #[inline]
    pub(crate) fn final_id(&self, provisional: u32) -> u32 {
        let shard = (provisional >> LOCAL_BITS) as usize;
        let local = (provisional & (LOCAL_LIMIT - 1)) as usize;
        self.remap[shard][local]
    }
}

/// FNV-1a: cheap, and only used to spread concepts over shards (the shard maps hash again
/// with the standard library's DoS-resistant hasher).
#[inline]
fn shard_of(s: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h >> (64 - SHARD_BITS)) as usize
}

impl ShardedInterner {
    /// An empty interner.
    pub(crate) fn new() -> Self {
        ShardedInterner {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// The provisional id of `s`, adding it if new.
    pub(crate) fn intern(&self, s: &str) -> Result<u32> {
        let shard = shard_of(s);
        let mut map = self.shards[shard]
            .lock()
            .map_err(|_| BaliError::Internal("a graph-build worker panicked".into()))?;
        if let Some(&local) = map.get(s) {
            return Ok(((shard as u32) << LOCAL_BITS) | local);
        }
        let local = map.len() as u32;
        if local >= LOCAL_LIMIT {
            return Err(BaliError::Internal(format!(
                "more than {LOCAL_LIMIT} concepts hashed to one interner shard: the graph's \
                 32-bit concept ids cannot hold this many concepts"
            )));
        }
        map.insert(s.into(), local);
        Ok(((shard as u32) << LOCAL_BITS) | local)
    }

    /// Number of distinct strings interned so far.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|m| m.lock().map(|m| m.len()).unwrap_or(0))
            .sum()
    }

    /// Renumbers every concept by its rank in sorted order.
    pub(crate) fn into_sorted(self) -> Result<SortedConcepts> {
        let mut entries: Vec<(Box<str>, u32)> = Vec::with_capacity(self.len());
        let mut sizes = Vec::with_capacity(SHARDS);
        for (shard, map) in self.shards.into_iter().enumerate() {
            let map = map
                .into_inner()
                .map_err(|_| BaliError::Internal("a graph-build worker panicked".into()))?;
            sizes.push(map.len());
            entries.extend(
                map.into_iter()
                    .map(|(s, local)| (s, ((shard as u32) << LOCAL_BITS) | local)),
            );
        }
        entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut remap: Vec<Vec<u32>> = sizes.iter().map(|&n| vec![0; n]).collect();
        let mut concepts = Vec::with_capacity(entries.len());
        for (rank, (s, provisional)) in entries.into_iter().enumerate() {
            let shard = (provisional >> LOCAL_BITS) as usize;
            let local = (provisional & (LOCAL_LIMIT - 1)) as usize;
            remap[shard][local] = rank as u32;
            concepts.push(s);
        }
        Ok(SortedConcepts { concepts, remap })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_per_string_and_final_ids_follow_sorted_order() {
        let interner = ShardedInterner::new();
        let words = ["C3", "C1", "HP:0001250", "C2", "C1", "C3"];
        let ids: Vec<u32> = words.iter().map(|w| interner.intern(w).unwrap()).collect();
        assert_eq!(ids[1], ids[4]);
        assert_eq!(ids[0], ids[5]);
        assert_eq!(interner.len(), 4);
        let sorted = interner.into_sorted().unwrap();
        let concepts: Vec<&str> = sorted.concepts.iter().map(|s| &**s).collect();
        assert_eq!(concepts, ["C1", "C2", "C3", "HP:0001250"]);
        for (w, id) in words.iter().zip(ids) {
            assert_eq!(&*sorted.concepts[sorted.final_id(id) as usize], *w);
        }
    }
}
