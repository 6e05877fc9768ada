//! Mention spans to sub-token spans, and truncation that never cuts a mention.
//!
//! BALI's rule: a mention's tokens are every WordPiece sub-token whose *word* (the
//! pre-tokeniser's unit: BERT splits at whitespace and punctuation) lies inside the mention's
//! character span. A mention whose span cuts a word (it ends inside "diabetes" of
//! "prediabetes", say) has tokens that would not spell it, so it is reported as misaligned
//! rather than silently shortened or widened. Offsets are code points, as in the `sentences` and
//! `mentions` tables, and the tokenizer's offsets map through its normaliser (lower-casing,
//! accent stripping) back to the original text.

use std::ops::Range;

use tokenizers::Encoding;

/// A word of an encoding: its character span and its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    chars: Range<usize>,
    tokens: Range<usize>,
}

/// The words of a plain encoding (no special tokens), in order. Tokens without a word id (none
/// in a plain encoding) count as a word each.
fn words(encoding: &Encoding) -> Vec<Word> {
    let ids = encoding.get_word_ids();
    let offsets = encoding.get_offsets();
    let mut words: Vec<Word> = Vec::new();
    for (i, (&(s, e), &w)) in offsets.iter().zip(ids).enumerate() {
        match words.last_mut() {
            Some(last) if w.is_some() && ids[last.tokens.start] == w => {
                last.chars.start = last.chars.start.min(s);
                last.chars.end = last.chars.end.max(e);
                last.tokens.end = i + 1;
            }
            _ => words.push(Word {
                chars: s..e,
                tokens: i..i + 1,
            }),
        }
    }
    words
}

/// The token span of each character span `[start, end)` in a plain encoding: the tokens of the
/// words inside it, or `None` when a word straddles a boundary or no word lies inside.
pub fn align_mentions(encoding: &Encoding, spans: &[Range<usize>]) -> Vec<Option<Range<usize>>> {
    let words = words(encoding);
    spans
        .iter()
        .map(|span| {
            let mut tokens: Option<Range<usize>> = None;
            for word in &words {
                if word.chars.end <= span.start || word.chars.start >= span.end {
                    continue;
                }
                if word.chars.start < span.start || word.chars.end > span.end {
                    return None;
                }
                tokens = Some(match tokens {
                    Some(t) => t.start..word.tokens.end,
                    None => word.tokens.clone(),
                });
            }
            tokens
        })
        .collect()
}

/// How many leading tokens of a plain encoding to keep within `budget` tokens without cutting a
/// mention (token spans in `mentions`) in half: BALI drops the whole trailing mention instead.
///
/// The cut also avoids splitting a word into a dangling "##" piece, unless a single word is
/// longer than the whole budget. Mentions ending at or before the returned point are kept
/// whole; every other mention lies entirely after it.
pub fn truncation_point(encoding: &Encoding, mentions: &[Range<usize>], budget: usize) -> usize {
    let n = encoding.len();
    if n <= budget {
        return n;
    }
    let word = encoding.get_word_ids();
    let mut cut = budget;
    loop {
        let before = cut;
        let mut at_word = cut;
        while at_word > 0 && word[at_word].is_some() && word[at_word] == word[at_word - 1] {
            at_word -= 1;
        }
        if at_word > 0 {
            cut = at_word;
        }
        for m in mentions {
            if m.start < cut && cut < m.end {
                cut = m.start;
            }
        }
        if cut == before {
            return cut;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::samples::tokenizer::load_tokenizer;
    use crate::testutil::shared;

    /// Code-point span of the first occurrence of `needle` in `text`.
    fn span(text: &str, needle: &str) -> Range<usize> {
        let byte = text.find(needle).unwrap();
        let start = text[..byte].chars().count();
        start..start + needle.chars().count()
    }

    #[test]
    fn mentions_map_to_the_tokens_of_their_words() {
        let Some(dir) = shared("models/all-minilm-l6-v2") else {
            return;
        };
        let tok = load_tokenizer(dir).unwrap();
        let text = "Prediabetes and type 2 diabetes mellitus raise IL-6 in Sjögren's syndrome.";
        let enc = tok.encode_plain(text).unwrap();
        let spans = [
            span(text, "type 2 diabetes mellitus"),
            span(text, "IL-6"),
            span(text, "Sjögren's syndrome"),
            3..11, // "diabetes" inside "Prediabetes"
            0..0,
        ];
        let aligned = align_mentions(&enc, &spans);
        let decode = |r: &Range<usize>| tok.decode(&enc.get_ids()[r.clone()]).unwrap();
        assert_eq!(
            decode(aligned[0].as_ref().unwrap()),
            "type 2 diabetes mellitus"
        );
        assert_eq!(decode(aligned[1].as_ref().unwrap()), "il - 6");
        assert_eq!(decode(aligned[2].as_ref().unwrap()), "sjogren ' s syndrome");
        // "diabetes" inside "Prediabetes" cuts a word; an empty span holds no word.
        assert_eq!(aligned[3], None);
        assert_eq!(aligned[4], None);
    }

    #[test]
    fn truncation_drops_the_trailing_mention_whole_and_never_splits_a_word() {
        let Some(dir) = shared("models/all-minilm-l6-v2") else {
            return;
        };
        let tok = load_tokenizer(dir).unwrap();
        // "hyperglycaemia" is several word pieces.
        let text = "a b c d e hyperglycaemia f";
        let enc = tok.encode_plain(text).unwrap();
        let pieces = enc.len() - 6;
        assert!(pieces >= 2, "{:?}", enc.get_tokens());
        // Budget ends inside the word: cut before it.
        assert_eq!(truncation_point(&enc, &[], 6), 5);
        // A mention "d e hyperglycaemia" straddling the cut: cut before the mention.
        let m = align_mentions(&enc, &[span(text, "d e hyperglycaemia")])[0]
            .clone()
            .unwrap();
        assert_eq!(m, 3..5 + pieces);
        assert_eq!(truncation_point(&enc, std::slice::from_ref(&m), 6), 3);
        // A budget that fits everything.
        assert_eq!(truncation_point(&enc, &[m], 100), enc.len());
        // One word longer than the budget: cut inside it rather than keep nothing.
        let long = tok.encode_plain("hyperglycaemia").unwrap();
        assert_eq!(truncation_point(&long, &[], 1), 1);
    }
}
