//! Text normalisation shared by the dictionary (concept names) and the linker (sentences).
//!
//! Both sides go through the same two steps, so a name matches a piece of text exactly when
//! their token keys are equal:
//!
//! 1. [`tokenize`]: the text becomes a sequence of tokens. A *word* is a maximal run of letters,
//!    digits and combining marks; every other non-space character is a one-character
//!    *punctuation* token. Whitespace, hyphens and dashes of every kind (`-`, U+2010..U+2015,
//!    U+2212, soft hyphen, ...) and zero-width characters separate tokens and are not tokens, so
//!    "non-small-cell", "non small  cell" and "non‐small cell" tokenise alike. A possessive
//!    `'s` (any apostrophe) glued to a word is dropped, so "Crohn's disease" and "Crohn disease"
//!    tokenise alike; the token offsets still point into the original text, so a match spans
//!    the original characters, apostrophe included.
//! 2. [`push_key`]: each token gets a key. Words: Unicode compatibility decomposition (NFKD),
//!    combining marks removed (so "Sjögren" = "Sjogren", "ﬁbrosis" = "fibrosis"), then lower
//!    case, or the case kept for the case-sensitive (acronym) namespace. Punctuation: apostrophe
//!    and quotation-mark variants fold to `'` and `"`, others are NFKD-normalised.
//!
//! Matching on tokens gives whole-word boundaries by construction: a form can only start and
//! end where a token does, so "cell" never matches inside "cells" and "MAP" never inside
//! "MAPK". Keys never contain whitespace, which lets a form be stored as its keys joined by
//! single spaces (the `form` column of the dictionary).
//!
//! The Python peer in `bench/scripts/link_pyahocorasick.py` re-implements these rules; where
//! the two differ (Python's `str.isalnum` against Rust's `char::is_alphanumeric` for some
//! non-Latin scripts, combining marks outside the diacritics blocks) is documented there.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// One token of a text, with byte and code-point offsets into that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Code-point offset of the first character (a Python `str` index).
    pub char_start: u32,
    /// Code-point offset one past the last character.
    pub char_end: u32,
    /// A word (letters, digits, marks) rather than a single punctuation character.
    pub is_word: bool,
    /// Follows the previous token across exactly one hyphen and no space ("IL-6"): the
    /// dictionary adds a variant with such words glued together ("IL6").
    pub hyphen_joined: bool,
    /// The token has no lower-case letter, so it can match a case-sensitive (acronym) form.
    pub caseless_or_upper: bool,
}

/// Characters that separate tokens without being tokens: the hyphen and dash family.
pub fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{00AD}' | '\u{2010}'
            ..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Zero-width and byte-order-mark characters, treated as whitespace.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Characters of words: letters, digits and combining marks (so a decomposed "é" stays one word).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || (!c.is_ascii() && is_combining_mark(c))
}

/// Apostrophe variants, folded to `'` in keys.
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{2032}'
    )
}

/// Quotation-mark variants, folded to `"` in keys.
fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' | '\u{2033}'
    )
}

/// What a character is to the tokenizer.
#[derive(Clone, Copy)]
enum Class {
    /// Part of a word; `lower` when it is a lower-case letter.
    Word { lower: bool },
    /// Whitespace or an invisible character.
    Space,
    /// A hyphen or dash.
    Hyphen,
    /// Anything else: a one-character token.
    Punct,
}

/// Classifies `c`, with a fast path for ASCII (almost all of PubMed).
#[inline]
fn classify(c: char) -> Class {
    if c.is_ascii() {
        return match c {
            'a'..='z' => Class::Word { lower: true },
            'A'..='Z' | '0'..='9' => Class::Word { lower: false },
            ' ' | '\t'..='\r' => Class::Space,
            '-' => Class::Hyphen,
            _ => Class::Punct,
        };
    }
    if is_word_char(c) {
        Class::Word {
            lower: c.is_lowercase(),
        }
    } else if c.is_whitespace() || is_invisible(c) {
        Class::Space
    } else if is_hyphen(c) {
        Class::Hyphen
    } else {
        Class::Punct
    }
}

/// Splits `text` into tokens (appended to `out`, which is cleared first). See the module docs
/// for the rules; offsets always lie on character boundaries of `text`.
pub fn tokenize(text: &str, out: &mut Vec<Token>) {
    out.clear();
    let mut chars = 0u32;
    // State of the word being read, if any.
    let mut word: Option<(usize, u32, bool)> = None; // (byte start, char start, has_lower)
    let mut hyphens_since_token = 0u32;
    let mut space_since_token = true;
    for (i, c) in text.char_indices() {
        let class = classify(c);
        if let Class::Word { lower } = class {
            match &mut word {
                Some((_, _, has_lower)) => *has_lower |= lower,
                None => word = Some((i, chars, lower)),
            }
            chars += 1;
            continue;
        }
        if let Some((start, char_start, has_lower)) = word.take() {
            out.push(Token {
                start,
                end: i,
                char_start,
                char_end: chars,
                is_word: true,
                hyphen_joined: !out.is_empty() && hyphens_since_token == 1 && !space_since_token,
                caseless_or_upper: !has_lower,
            });
            hyphens_since_token = 0;
            space_since_token = false;
        }
        match class {
            Class::Space => space_since_token = true,
            Class::Hyphen => hyphens_since_token += 1,
            _ => {
                out.push(Token {
                    start: i,
                    end: i + c.len_utf8(),
                    char_start: chars,
                    char_end: chars + 1,
                    is_word: false,
                    hyphen_joined: false,
                    caseless_or_upper: true,
                });
                hyphens_since_token = 0;
                space_since_token = false;
            }
        }
        chars += 1;
    }
    if let Some((start, char_start, has_lower)) = word {
        out.push(Token {
            start,
            end: text.len(),
            char_start,
            char_end: chars,
            is_word: true,
            hyphen_joined: !out.is_empty() && hyphens_since_token == 1 && !space_since_token,
            caseless_or_upper: !has_lower,
        });
    }
    drop_possessives(text, out);
}

/// Removes `'` + `s` token pairs glued to a preceding word ("Crohn's" -> "Crohn").
fn drop_possessives(text: &str, tokens: &mut Vec<Token>) {
    let is_possessive = |w: &[Token]| {
        let [word, apos, s] = w else { return false };
        word.is_word
            && !apos.is_word
            && word.end == apos.start
            && apos.end == s.start
            && s.is_word
            && text[apos.start..apos.end].chars().all(is_apostrophe)
            && matches!(&text[s.start..s.end], "s" | "S")
    };
    if !tokens.windows(3).any(is_possessive) {
        return;
    }
    let mut kept = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if i + 2 < tokens.len() && is_possessive(&tokens[i..i + 3]) {
            kept.push(tokens[i]);
            i += 3;
        } else {
            kept.push(tokens[i]);
            i += 1;
        }
    }
    *tokens = kept;
}

/// Appends the key of `token_text` to `out`: see the module docs. `lowercase` false gives the
/// key of the case-sensitive namespace (NFKD and marks removed, case kept).
pub fn push_key(token_text: &str, is_word: bool, lowercase: bool, out: &mut String) {
    if !is_word {
        for c in token_text.chars() {
            if is_apostrophe(c) {
                out.push('\'');
            } else if is_quote(c) {
                out.push('"');
            } else {
                out.extend(
                    c.nfkd()
                        .filter(|d| !d.is_whitespace() && !is_combining_mark(*d)),
                );
            }
        }
        return;
    }
    if token_text.is_ascii() {
        let start = out.len();
        out.push_str(token_text);
        if lowercase {
            out[start..].make_ascii_lowercase();
        }
        return;
    }
    let folded: String = token_text
        .nfkd()
        .filter(|d| !d.is_whitespace() && !is_combining_mark(*d))
        .collect();
    if lowercase {
        out.push_str(&folded.to_lowercase());
    } else {
        out.push_str(&folded);
    }
}

/// A concept name after normalisation: the token keys the matcher searches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalForm {
    /// Token keys joined by single spaces (keys never contain whitespace): the `form` column
    /// of the dictionary. Never empty.
    pub text: String,
    /// Keys are in the case-sensitive namespace (an acronym such as "MAP").
    pub case_sensitive: bool,
    /// Letters and digits in the word keys: what `min_length` compares against.
    pub word_chars: usize,
}

impl NormalForm {
    /// The token keys in order.
    pub fn keys(&self) -> std::str::Split<'_, char> {
        self.text.split(' ')
    }
}

/// Normalises a concept name into its form, plus (when `hyphen_variant`) the variant with
/// hyphenated words glued together ("IL-6" gives `il 6` and `il6`; acronyms keep their case:
/// `IL 6`, `IL6`).
///
/// A name is an acronym, matched case-sensitively, when its words have at least one upper-case
/// letter, no lower-case letter, and at most `acronym_max_chars` letters and digits in all (0
/// turns acronyms off). Returns an empty list for a name without tokens.
pub fn normalize_name(
    name: &str,
    acronym_max_chars: usize,
    hyphen_variant: bool,
    tokens: &mut Vec<Token>,
) -> Vec<NormalForm> {
    tokenize(name, tokens);
    if tokens.is_empty() {
        return Vec::new();
    }
    let words = || {
        tokens
            .iter()
            .filter(|t| t.is_word)
            .map(|t| &name[t.start..t.end])
    };
    let word_chars: usize = words()
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).count())
        .sum();
    let case_sensitive = acronym_max_chars > 0
        && word_chars <= acronym_max_chars
        && tokens.iter().all(|t| t.caseless_or_upper)
        && words().any(|w| w.chars().any(char::is_uppercase));
    let lowercase = !case_sensitive;
    let glue = hyphen_variant && tokens.iter().any(|t| t.hyphen_joined && t.is_word);
    let mut text = String::with_capacity(name.len());
    let mut glued = String::new();
    let mut prev_word = false;
    for t in tokens.iter() {
        let token_text = &name[t.start..t.end];
        let before = text.len();
        if before > 0 {
            text.push(' ');
        }
        let key_start = text.len();
        push_key(token_text, t.is_word, lowercase, &mut text);
        if text.len() == key_start {
            text.truncate(before); // an empty key is no token
            continue;
        }
        if glue {
            let glued_to_previous = t.is_word && t.hyphen_joined && prev_word;
            if !glued_to_previous && !glued.is_empty() {
                glued.push(' ');
            }
            glued.push_str(&text[key_start..]);
            prev_word = t.is_word;
        }
    }
    if text.is_empty() {
        return Vec::new();
    }
    let mut forms = vec![NormalForm {
        text,
        case_sensitive,
        word_chars,
    }];
    if glue && glued != forms[0].text {
        forms.push(NormalForm {
            text: glued,
            case_sensitive,
            word_chars,
        });
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        let mut toks = Vec::new();
        tokenize(text, &mut toks);
        toks.iter()
            .map(|t| {
                let mut key = String::new();
                push_key(&text[t.start..t.end], t.is_word, true, &mut key);
                key
            })
            .collect()
    }

    #[test]
    fn hyphens_and_whitespace_separate() {
        assert_eq!(keys("non-small-cell"), ["non", "small", "cell"]);
        assert_eq!(keys("non \t small\u{2010}cell"), ["non", "small", "cell"]);
        assert_eq!(
            keys("Type 2 diabetes, mellitus."),
            ["type", "2", "diabetes", ",", "mellitus", "."]
        );
    }

    #[test]
    fn unicode_is_folded() {
        assert_eq!(keys("Sjögren"), keys("Sjogren"));
        assert_eq!(keys("Sjo\u{0308}gren"), ["sjogren"]);
        assert_eq!(keys("ﬁbrosis"), ["fibrosis"]);
        assert_eq!(keys("ΑΣΘΕΝΕΙΑ"), ["ασθενεια"]);
        assert_eq!(keys("Parkinson’s"), keys("Parkinson's"));
        assert_eq!(keys("“x”"), ["\"", "x", "\""]);
    }

    #[test]
    fn possessive_is_dropped_but_offsets_keep_it() {
        let text = "Crohn’s disease";
        let mut toks = Vec::new();
        tokenize(text, &mut toks);
        assert_eq!(keys(text), ["crohn", "disease"]);
        assert_eq!((toks[0].char_start, toks[1].char_end), (0, 15));
        // Not a possessive: a quote that is not glued, or a plural-looking word.
        assert_eq!(keys("the 's' sign"), ["the", "'", "s", "'", "sign"]);
        assert_eq!(keys("Crohn'sx"), ["crohn", "'", "sx"]);
    }

    #[test]
    fn offsets_are_code_points_and_round_trip() {
        let text = "α-synuclein — ﬁbrils (Sjögren’s) 10 µM";
        let mut toks = Vec::new();
        tokenize(text, &mut toks);
        let chars: Vec<char> = text.chars().collect();
        for t in &toks {
            let by_chars: String = chars[t.char_start as usize..t.char_end as usize]
                .iter()
                .collect();
            assert_eq!(by_chars, &text[t.start..t.end]);
        }
        assert!(toks[1].hyphen_joined && !toks[2].hyphen_joined);
    }

    #[test]
    fn acronyms_are_case_sensitive_and_short() {
        let mut toks = Vec::new();
        let map = normalize_name("MAP", 6, true, &mut toks);
        assert_eq!(map.len(), 1);
        assert!(map[0].case_sensitive);
        assert_eq!(map[0].text, "MAP");
        let il6 = normalize_name("IL-6", 6, true, &mut toks);
        assert_eq!(
            il6.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(),
            ["IL 6", "IL6"]
        );
        assert!(il6.iter().all(|f| f.case_sensitive));
        // Too long, or mixed case, or switched off: an ordinary lower-cased form.
        assert!(!normalize_name("DIABETES", 6, true, &mut toks)[0].case_sensitive);
        assert!(!normalize_name("MAPk", 6, true, &mut toks)[0].case_sensitive);
        assert!(!normalize_name("MAP", 0, true, &mut toks)[0].case_sensitive);
        assert_eq!(
            normalize_name("Map kinase", 6, true, &mut toks)[0].text,
            "map kinase"
        );
    }

    #[test]
    fn hyphen_variant_glues_words_only() {
        let mut toks = Vec::new();
        let forms = normalize_name("non-small-cell lung cancer", 6, true, &mut toks);
        let joined: Vec<String> = forms.iter().map(|f| f.text.clone()).collect();
        assert_eq!(
            joined,
            ["non small cell lung cancer", "nonsmallcell lung cancer"]
        );
        assert_eq!(normalize_name("alpha - beta", 6, true, &mut toks).len(), 1);
        assert_eq!(normalize_name("IL-6", 6, false, &mut toks).len(), 1);
        assert!(normalize_name(" -- ", 6, true, &mut toks).is_empty());
    }
}
