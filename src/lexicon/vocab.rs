//! Token keys and concept identifiers as dense integer ids.
//!
//! The matcher works on token ids, not strings: a form is a sequence of ids, and a sentence
//! token is looked up once and then compared as an integer at every trie level. Keys live in
//! two namespaces that never share an id: the lower-cased one, and the case-sensitive one used
//! only by acronym forms ("MAP"), so a lower-case "map" in text can never reach an acronym.

use foldhash::{HashMap, HashMapExt};

/// Strings numbered 0.. in insertion order, stored back to back (one allocation for all,
/// which is also the on-disk layout of the cache).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringTable {
    bytes: Vec<u8>,
    /// `offsets[i]..offsets[i + 1]` is string `i`; starts with 0.
    offsets: Vec<u64>,
}

impl StringTable {
    /// An empty table.
    pub fn new() -> Self {
        StringTable {
            bytes: Vec::new(),
            offsets: vec![0],
        }
    }

    /// Rebuilds a table from its parts, checking that they describe valid UTF-8 strings.
    pub fn from_parts(bytes: Vec<u8>, offsets: Vec<u64>) -> Result<Self, String> {
        if offsets.first() != Some(&0) || offsets.last() != Some(&(bytes.len() as u64)) {
            return Err("string table offsets do not span its bytes".into());
        }
        if offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err("string table offsets decrease".into());
        }
        let text =
            std::str::from_utf8(&bytes).map_err(|e| format!("string table is not UTF-8: {e}"))?;
        if offsets.iter().any(|&o| !text.is_char_boundary(o as usize)) {
            return Err("string table offset splits a character".into());
        }
        Ok(StringTable { bytes, offsets })
    }

    /// Appends `s` and returns its id.
    pub fn push(&mut self, s: &str) -> u32 {
        let id = self.len() as u32;
        self.bytes.extend_from_slice(s.as_bytes());
        self.offsets.push(self.bytes.len() as u64);
        id
    }

    /// String `id`.
    ///
    /// # Panics
    /// When `id` is out of range: ids come from this table, so that is a bug.
    pub fn get(&self, id: u32) -> &str {
        let (s, e) = (
            self.offsets[id as usize] as usize,
            self.offsets[id as usize + 1] as usize,
        );
        // Checked at construction: every offset is a char boundary of valid UTF-8.
        std::str::from_utf8(&self.bytes[s..e]).unwrap_or_default()
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// No strings.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The concatenated bytes and the offsets (for the cache).
    pub fn parts(&self) -> (&[u8], &[u64]) {
        (&self.bytes, &self.offsets)
    }

    /// Heap bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.bytes.capacity() + self.offsets.capacity() * 8
    }

    /// Iterates over the strings in id order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len() as u32).map(move |i| self.get(i))
    }
}

/// A string interner: a [`StringTable`] plus a hash index into it.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    table: StringTable,
    index: HashMap<Box<str>, u32>,
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Self {
        Interner {
            table: StringTable::new(),
            index: HashMap::new(),
        }
    }

    /// Indexes an existing table (ids stay those of the table). Fails on a duplicate string.
    pub fn from_table(table: StringTable) -> Result<Self, String> {
        let mut index = HashMap::with_capacity(table.len());
        for (id, s) in table.iter().enumerate() {
            if index.insert(Box::from(s), id as u32).is_some() {
                return Err(format!("string {s:?} appears twice"));
            }
        }
        Ok(Interner { table, index })
    }

    /// The id of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.index.get(s) {
            return id;
        }
        let id = self.table.push(s);
        self.index.insert(Box::from(s), id);
        id
    }

    /// The id of `s`, if present.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    /// The strings in id order.
    pub fn table(&self) -> &StringTable {
        &self.table
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// No strings.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Heap bytes held, estimated for the hash index (key box, value, one control byte and
    /// the load-factor slack of a swiss table).
    pub fn memory_bytes(&self) -> usize {
        let keys: usize = self.index.keys().map(|k| k.len()).sum();
        self.table.memory_bytes() + keys + self.index.capacity() * (16 + 4 + 4 + 1)
    }
}

/// Token keys in their two namespaces, with one id space shared by both.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    lower: HashMap<Box<str>, u32>,
    cased: HashMap<Box<str>, u32>,
    words: StringTable,
    /// Per id: the key belongs to the case-sensitive namespace.
    is_cased: Vec<bool>,
}

impl Vocabulary {
    /// An empty vocabulary.
    pub fn new() -> Self {
        Vocabulary {
            words: StringTable::new(),
            ..Default::default()
        }
    }

    /// Rebuilds a vocabulary from its words and their namespace flags (for the cache).
    pub fn from_parts(words: StringTable, is_cased: Vec<bool>) -> Result<Self, String> {
        if words.len() != is_cased.len() {
            return Err("vocabulary flags and words differ in length".into());
        }
        let mut lower = HashMap::new();
        let mut cased = HashMap::new();
        for (id, (word, &c)) in words.iter().zip(&is_cased).enumerate() {
            let map = if c { &mut cased } else { &mut lower };
            if map.insert(Box::from(word), id as u32).is_some() {
                return Err(format!("vocabulary word {word:?} appears twice"));
            }
        }
        Ok(Vocabulary {
            lower,
            cased,
            words,
            is_cased,
        })
    }

    /// The id of `key` in the given namespace, adding it if new.
    pub fn intern(&mut self, key: &str, case_sensitive: bool) -> u32 {
        let map = if case_sensitive {
            &mut self.cased
        } else {
            &mut self.lower
        };
        if let Some(&id) = map.get(key) {
            return id;
        }
        let id = self.words.push(key);
        map.insert(Box::from(key), id);
        self.is_cased.push(case_sensitive);
        id
    }

    /// The id of `key` in the given namespace.
    #[inline]
    pub fn get(&self, key: &str, case_sensitive: bool) -> Option<u32> {
        if case_sensitive {
            self.cased.get(key).copied()
        } else {
            self.lower.get(key).copied()
        }
    }

    /// Whether any case-sensitive key exists (if not, text tokens skip the second lookup).
    pub fn has_cased(&self) -> bool {
        !self.cased.is_empty()
    }

    /// The key of `id`.
    pub fn word(&self, id: u32) -> &str {
        self.words.get(id)
    }

    /// Whether `id` is in the case-sensitive namespace.
    pub fn is_cased(&self, id: u32) -> bool {
        self.is_cased[id as usize]
    }

    /// Number of keys in both namespaces.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// No keys.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words and flags (for the cache).
    pub fn parts(&self) -> (&StringTable, &[bool]) {
        (&self.words, &self.is_cased)
    }

    /// Heap bytes held (hash indexes estimated as in [`Interner::memory_bytes`]).
    pub fn memory_bytes(&self) -> usize {
        let maps = (self.lower.capacity() + self.cased.capacity()) * (16 + 4 + 4 + 1);
        let keys: usize = self
            .lower
            .keys()
            .chain(self.cased.keys())
            .map(|k| k.len())
            .sum();
        self.words.memory_bytes() + self.is_cased.capacity() + maps + keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_do_not_share_ids() {
        let mut v = Vocabulary::new();
        let lower = v.intern("map", false);
        let cased = v.intern("MAP", true);
        let cased_digit = v.intern("6", true);
        let lower_digit = v.intern("6", false);
        assert_eq!(v.intern("map", false), lower);
        assert_ne!(cased_digit, lower_digit);
        assert_eq!(v.get("MAP", false), None);
        assert_eq!(v.get("MAP", true), Some(cased));
        let (words, flags) = v.parts();
        let back = Vocabulary::from_parts(words.clone(), flags.to_vec()).unwrap();
        assert_eq!(back.get("6", true), Some(cased_digit));
        assert_eq!(back.word(lower), "map");
        assert!(back.is_cased(cased) && !back.is_cased(lower));
    }

    #[test]
    fn string_table_rejects_bad_parts() {
        let mut t = StringTable::new();
        t.push("é");
        t.push("x");
        let (b, o) = t.parts();
        assert_eq!(StringTable::from_parts(b.to_vec(), o.to_vec()).unwrap(), t);
        assert!(StringTable::from_parts(b.to_vec(), vec![0, 1, 3]).is_err());
        assert!(StringTable::from_parts(b.to_vec(), vec![0, 2]).is_err());
        assert!(Interner::from_table(t.clone()).is_ok());
        t.push("x");
        assert!(Interner::from_table(t).is_err());
    }
}
