//! Token ↔ id mapping, built as the tutorial built it: `.` is 0, the other
//! symbols follow from 1 in the order of their text (Python's `sorted()` on
//! strings, so `"100"` sorts before `"45"`).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::grid::Token;

/// Id of the terminator / padding token `.`.
pub const END_ID: u32 = 0;

/// Problems with ids, tokens or a stored vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VocabError {
    /// A token the vocabulary does not hold.
    #[error("token '{token}' at position {position} is not in the vocabulary")]
    UnknownToken {
        /// The token.
        token: Token,
        /// Its position in the sequence.
        position: usize,
    },
    /// An id past the end of the vocabulary.
    #[error("id {id} at position {position} is outside the vocabulary of {size}")]
    UnknownId {
        /// The id.
        id: u32,
        /// Its position in the sequence.
        position: usize,
        /// Vocabulary size.
        size: usize,
    },
    /// A stored token list that is not a valid vocabulary.
    #[error("invalid vocabulary: {0}")]
    Invalid(String),
}

/// The vocabulary: serialises as the list of token strings in id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Vec<Token>", try_from = "Vec<Token>")]
pub struct Vocab {
    tokens: Vec<Token>,
    ids: HashMap<Token, u32>,
}

impl Vocab {
    /// Builds the tutorial's vocabulary from all symbols used in `sequences`
    /// (the terminator is always present, at id 0).
    pub fn from_sequences<'a>(sequences: impl IntoIterator<Item = &'a [Token]>) -> Vocab {
        let mut symbols = BTreeSet::new();
        for seq in sequences {
            symbols.extend(seq.iter().copied().filter(|t| *t != Token::End));
        }
        let mut rest: Vec<Token> = symbols.into_iter().collect();
        rest.sort_by_key(Token::to_string);
        let mut tokens = vec![Token::End];
        tokens.extend(rest);
        // At most 131 distinct tokens exist, so the ids fit in u32.
        let ids = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, i as u32))
            .collect();
        Vocab { tokens, ids }
    }

    /// Rebuilds a vocabulary from its tokens in id order (as stored in a model
    /// file). The first must be `.` and none may repeat.
    pub fn from_tokens(tokens: Vec<Token>) -> Result<Vocab, VocabError> {
        if tokens.first() != Some(&Token::End) {
            return Err(VocabError::Invalid("the first token must be '.'".into()));
        }
        let mut ids = HashMap::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            let id = u32::try_from(i).map_err(|_| VocabError::Invalid("too many tokens".into()))?;
            if ids.insert(*t, id).is_some() {
                return Err(VocabError::Invalid(format!("token '{t}' appears twice")));
            }
        }
        Ok(Vocab { tokens, ids })
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Never true for a valid vocabulary (it always holds `.`).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Tokens in id order.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Token strings in id order.
    pub fn symbols(&self) -> Vec<String> {
        self.tokens.iter().map(Token::to_string).collect()
    }

    /// The id of `token`.
    pub fn id(&self, token: Token) -> Option<u32> {
        self.ids.get(&token).copied()
    }

    /// The token with `id`.
    pub fn token(&self, id: u32) -> Option<Token> {
        self.tokens.get(usize::try_from(id).ok()?).copied()
    }

    /// Maps a token sequence to ids.
    pub fn encode(&self, tokens: &[Token]) -> Result<Vec<u32>, VocabError> {
        tokens
            .iter()
            .enumerate()
            .map(|(position, t)| {
                self.id(*t).ok_or(VocabError::UnknownToken {
                    token: *t,
                    position,
                })
            })
            .collect()
    }

    /// Maps ids back to tokens.
    pub fn decode(&self, ids: &[u32]) -> Result<Vec<Token>, VocabError> {
        ids.iter()
            .enumerate()
            .map(|(position, &id)| {
                self.token(id).ok_or(VocabError::UnknownId {
                    id,
                    position,
                    size: self.len(),
                })
            })
            .collect()
    }
}

impl From<Vocab> for Vec<Token> {
    fn from(v: Vocab) -> Vec<Token> {
        v.tokens
    }
}

impl TryFrom<Vec<Token>> for Vocab {
    type Error = VocabError;

    fn try_from(tokens: Vec<Token>) -> Result<Vocab, VocabError> {
        Vocab::from_tokens(tokens)
    }
}
