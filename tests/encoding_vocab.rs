//! Vocabulary: the seed's ordering, lookups, errors and serialisation.

use melodeon::encoding::grid::Token;
use melodeon::encoding::vocab::{END_ID, Vocab, VocabError};
use proptest::prelude::*;

fn toks(s: &str) -> Vec<Token> {
    s.split(' ').map(|t| t.parse().unwrap()).collect()
}

#[test]
fn seed_order_terminator_first_then_sorted_as_strings() {
    let a = toks("60 _ r 45 100 9");
    let b = toks("81 _ . 60");
    let v = Vocab::from_sequences([a.as_slice(), b.as_slice()]);
    // Python sorted(): "100" < "45" < "60" < "81" < "9" < "_" < "r".
    assert_eq!(v.symbols(), [".", "100", "45", "60", "81", "9", "_", "r"]);
    assert_eq!(v.id(Token::End), Some(END_ID));
    assert_eq!(v.id(Token::Note(9)), Some(5));
    assert_eq!(v.token(6), Some(Token::Hold));
    assert_eq!(v.token(8), None);
    assert_eq!(v.len(), 8);
}

#[test]
fn unknown_tokens_and_ids_are_clear_errors() {
    let v = Vocab::from_sequences([toks("60 _").as_slice()]);
    assert_eq!(
        v.encode(&toks("60 _ 61")),
        Err(VocabError::UnknownToken {
            token: Token::Note(61),
            position: 2
        })
    );
    assert_eq!(
        v.decode(&[0, 1, 7]).unwrap_err().to_string(),
        "id 7 at position 2 is outside the vocabulary of 3"
    );
    assert_eq!(v.encode(&toks("60 _ .")), Ok(vec![1, 2, 0]));
}

#[test]
fn serialises_as_the_token_list() {
    let v = Vocab::from_sequences([toks("r 60 _").as_slice()]);
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(json, r#"[".","60","_","r"]"#);
    let back: Vocab = serde_json::from_str(&json).unwrap();
    assert_eq!(back, v);
    assert!(serde_json::from_str::<Vocab>(r#"["60","."]"#).is_err());
    assert!(serde_json::from_str::<Vocab>(r#"[".","60","60"]"#).is_err());
    assert!(serde_json::from_str::<Vocab>(r#"[".","x"]"#).is_err());
}

proptest! {
    #[test]
    fn ids_round_trip(notes in prop::collection::vec(0u8..=127, 0..100)) {
        let tokens: Vec<Token> = notes.iter().map(|&n| if n % 5 == 0 { Token::Hold } else { Token::Note(n) }).collect();
        let v = Vocab::from_sequences([tokens.as_slice()]);
        let ids = v.encode(&tokens).unwrap();
        prop_assert_eq!(v.decode(&ids).unwrap(), tokens);
    }
}
