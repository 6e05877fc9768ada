//! The word-level trie the linker walks: forms as sequences of token ids.
//!
//! Why not a character automaton: at UMLS size (10M strings) the `aho-corasick` crate's
//! automata hold hundreds of millions of states, take minutes and many GiB to build, and cannot
//! be saved, so a cached index could not load in seconds (the measured numbers are in
//! BENCHMARKS.md). A trie over token ids has one node per distinct *word* prefix instead of per
//! character prefix, is four flat `u32` arrays that are written and read as they are, and needs
//! no failure links: matches may only start at a token, so leftmost-longest matching is a walk
//! from each token (see [`super::matcher`]).
//!
//! Layout (breadth-first numbering, node 0 is the root): the children of node `n` are the
//! nodes `first_child[n]..first_child[n + 1]`, sorted by their edge label `label[c]`, so a
//! child is found by binary search; the root's children, which are as many as distinct first
//! words, are found in O(1) through `root[token]`. The concepts of the form ending at `n` are
//! `postings[post_start[n]..post_start[n + 1]]` (empty for inner nodes).

use std::collections::VecDeque;

/// Marks an absent root child.
pub const NONE: u32 = u32::MAX;

/// Forms to put in a trie: token sequences and their concept ids, both flat.
#[derive(Debug, Clone, Default)]
pub struct FormList {
    /// Token ids of all forms, back to back.
    pub tokens: Vec<u32>,
    /// `token_offsets[f]..token_offsets[f + 1]` are the tokens of form `f`; starts with 0.
    pub token_offsets: Vec<u64>,
    /// Concept ids of all forms, back to back (sorted and distinct within a form).
    pub cuis: Vec<u32>,
    /// `cui_offsets[f]..cui_offsets[f + 1]` are the concepts of form `f`; starts with 0.
    pub cui_offsets: Vec<u64>,
}

impl FormList {
    /// An empty list.
    pub fn new() -> Self {
        FormList {
            tokens: Vec::new(),
            token_offsets: vec![0],
            cuis: Vec::new(),
            cui_offsets: vec![0],
        }
    }

    /// Appends a form (its tokens must be non-empty and differ from every other form's).
    pub fn push(&mut self, tokens: &[u32], cuis: &[u32]) {
        self.tokens.extend_from_slice(tokens);
        self.token_offsets.push(self.tokens.len() as u64);
        self.cuis.extend_from_slice(cuis);
        self.cui_offsets.push(self.cuis.len() as u64);
    }

    /// Number of forms.
    pub fn len(&self) -> usize {
        self.token_offsets.len() - 1
    }

    /// No forms.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tokens of form `f`.
    pub fn tokens(&self, f: usize) -> &[u32] {
        &self.tokens[self.token_offsets[f] as usize..self.token_offsets[f + 1] as usize]
    }

    /// Concepts of form `f`.
    pub fn cuis(&self, f: usize) -> &[u32] {
        &self.cuis[self.cui_offsets[f] as usize..self.cui_offsets[f + 1] as usize]
    }
}

/// The trie (see the module docs for the layout and its invariants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormTrie {
    root: Vec<u32>,
    first_child: Vec<u32>,
    label: Vec<u32>,
    post_start: Vec<u32>,
    postings: Vec<u32>,
}

/// The arrays of a trie, for the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrieParts {
    /// Root child per token id.
    pub root: Vec<u32>,
    /// First child per node, plus the node count at the end.
    pub first_child: Vec<u32>,
    /// Edge label per node.
    pub label: Vec<u32>,
    /// Start of each node's postings, plus their total at the end.
    pub post_start: Vec<u32>,
    /// Concept ids.
    pub postings: Vec<u32>,
}

impl FormTrie {
    /// Builds the trie of `forms` over a vocabulary of `vocab_len` token ids.
    ///
    /// Forms are sorted by token sequence (in parallel), so that every node's forms form one
    /// range of the sorted order; the nodes are then numbered breadth-first by splitting those
    /// ranges, which leaves every node's children contiguous without any pointer structure.
    pub fn build(forms: &FormList, vocab_len: usize) -> Result<FormTrie, String> {
        use rayon::slice::ParallelSliceMut;
        if forms.len() >= u32::MAX as usize || forms.cuis.len() >= u32::MAX as usize {
            return Err(format!("{} forms do not fit 32-bit ids", forms.len()));
        }
        let mut order: Vec<u32> = (0..forms.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| forms.tokens(a as usize).cmp(forms.tokens(b as usize)));

        let mut first_child = vec![];
        let mut label = vec![NONE];
        let mut post_start = vec![];
        let mut postings = Vec::with_capacity(forms.cuis.len());
        // Breadth-first queue of (range of `order`, depth); node ids follow queue order.
        let mut queue: VecDeque<(usize, usize, usize)> = VecDeque::from([(0, order.len(), 0)]);
        let mut next_id: u64 = 1;
        while let Some((lo, hi, depth)) = queue.pop_front() {
            first_child.push(next_id as u32);
            post_start.push(postings.len() as u32);
            let mut i = lo;
            // Forms ending here sort first in the range; forms are distinct, so at most one.
            while i < hi && forms.tokens(order[i] as usize).len() == depth {
                postings.extend_from_slice(forms.cuis(order[i] as usize));
                i += 1;
            }
            while i < hi {
                let token = forms.tokens(order[i] as usize)[depth];
                let mut j = i + 1;
                while j < hi && forms.tokens(order[j] as usize)[depth] == token {
                    j += 1;
                }
                label.push(token);
                queue.push_back((i, j, depth + 1));
                next_id += 1;
                i = j;
            }
            if next_id >= u32::MAX as u64 {
                return Err("the trie has more than 2^32 nodes".into());
            }
        }
        first_child.push(next_id as u32);
        post_start.push(postings.len() as u32);

        let mut root = vec![NONE; vocab_len];
        for child in first_child[0]..first_child[1] {
            let token = label[child as usize] as usize;
            if token >= vocab_len {
                return Err(format!(
                    "token id {token} outside a vocabulary of {vocab_len}"
                ));
            }
            root[token] = child;
        }
        Ok(FormTrie {
            root,
            first_child,
            label,
            post_start,
            postings,
        })
    }

    /// Rebuilds a trie from its arrays, checking every invariant the walk relies on, so that a
    /// damaged cache is an error and never an out-of-bounds index. `n_cuis` bounds the postings.
    pub fn from_parts(parts: TrieParts, n_cuis: usize) -> Result<FormTrie, String> {
        let TrieParts {
            root,
            first_child,
            label,
            post_start,
            postings,
        } = parts;
        let nodes = label.len();
        if nodes == 0 || first_child.len() != nodes + 1 || post_start.len() != nodes + 1 {
            return Err("trie arrays disagree on the node count".into());
        }
        if first_child.windows(2).any(|w| w[0] > w[1]) || first_child[nodes] as usize != nodes {
            return Err("trie child ranges are not increasing or overrun the nodes".into());
        }
        if first_child[0] != 1 {
            return Err("trie root children do not start at node 1".into());
        }
        if post_start.windows(2).any(|w| w[0] > w[1])
            || post_start[nodes] as usize != postings.len()
        {
            return Err("trie posting ranges are not increasing or overrun the postings".into());
        }
        if postings.iter().any(|&c| c as usize >= n_cuis) {
            return Err("trie posting names a concept outside the concept table".into());
        }
        if label[1..].iter().any(|&t| t as usize >= root.len()) {
            return Err("trie edge label outside the vocabulary".into());
        }
        if root
            .iter()
            .any(|&c| c != NONE && (c < first_child[0] || c >= first_child[1]))
        {
            return Err("trie root table points outside the root's children".into());
        }
        for n in 0..nodes {
            let children = &label[first_child[n] as usize..first_child[n + 1] as usize];
            if children.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("trie node {n} has unsorted children"));
            }
        }
        Ok(FormTrie {
            root,
            first_child,
            label,
            post_start,
            postings,
        })
    }

    /// The arrays, borrowed: `(root, first_child, label, post_start, postings)`.
    pub fn arrays(&self) -> [&[u32]; 5] {
        [
            &self.root,
            &self.first_child,
            &self.label,
            &self.post_start,
            &self.postings,
        ]
    }

    /// The root's child for `token`.
    #[inline]
    pub fn root_child(&self, token: u32) -> Option<u32> {
        match self.root.get(token as usize) {
            Some(&c) if c != NONE => Some(c),
            _ => None,
        }
    }

    /// The child of non-root `node` along `token`.
    #[inline]
    pub fn child(&self, node: u32, token: u32) -> Option<u32> {
        let (lo, hi) = (
            self.first_child[node as usize],
            self.first_child[node as usize + 1],
        );
        let children = &self.label[lo as usize..hi as usize];
        children.binary_search(&token).ok().map(|i| lo + i as u32)
    }

    /// Concepts of the form ending at `node` (empty when no form ends there).
    #[inline]
    pub fn postings(&self, node: u32) -> &[u32] {
        &self.postings
            [self.post_start[node as usize] as usize..self.post_start[node as usize + 1] as usize]
    }

    /// Number of nodes, root included.
    pub fn num_nodes(&self) -> usize {
        self.label.len()
    }

    /// Number of (form, concept) pairs.
    pub fn num_postings(&self) -> usize {
        self.postings.len()
    }

    /// Heap bytes held.
    pub fn memory_bytes(&self) -> usize {
        4 * (self.root.capacity()
            + self.first_child.capacity()
            + self.label.capacity()
            + self.post_start.capacity()
            + self.postings.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(trie: &FormTrie, tokens: &[u32]) -> Option<u32> {
        let (first, rest) = tokens.split_first()?;
        let mut node = trie.root_child(*first)?;
        for &t in rest {
            node = trie.child(node, t)?;
        }
        Some(node)
    }

    #[test]
    fn every_form_is_found_and_nothing_else() {
        let mut forms = FormList::new();
        let data: &[(&[u32], &[u32])] = &[
            (&[1, 2, 3], &[7]),
            (&[1], &[5, 6]),
            (&[1, 2], &[0]),
            (&[4, 2], &[1]),
            (&[0], &[2]),
        ];
        for (t, c) in data {
            forms.push(t, c);
        }
        let trie = FormTrie::build(&forms, 5).unwrap();
        for (t, c) in data {
            let node = walk(&trie, t).unwrap();
            assert_eq!(trie.postings(node), *c);
        }
        // Inner-only prefix and absent paths.
        assert!(walk(&trie, &[4]).is_some_and(|n| trie.postings(n).is_empty()));
        assert_eq!(walk(&trie, &[2]), None);
        assert_eq!(walk(&trie, &[1, 3]), None);
        assert_eq!(trie.num_nodes(), 1 + 3 + 2 + 1);
        let parts = || {
            let [root, first_child, label, post_start, postings] =
                trie.arrays().map(<[u32]>::to_vec);
            TrieParts {
                root,
                first_child,
                label,
                post_start,
                postings,
            }
        };
        let back = FormTrie::from_parts(parts(), 8).unwrap();
        assert_eq!(back, trie);
        assert!(
            FormTrie::from_parts(parts(), 7).is_err(),
            "posting 7 is out of range"
        );
        let mut bad = parts();
        bad.first_child[2] = 100;
        assert!(FormTrie::from_parts(bad, 8).is_err());
    }
}
