//! The `Sec-WebSocket-Extensions` header: bytes ⇄ [`Extension`] list, for
//! both roles, with or without the `deflate` feature.
//!
//! The grammar is RFC 6455 §9.1, with the list and whitespace rules of
//! HTTP (RFC 9110 §5.6.1, §5.6.6):
//!
//! ```text
//! Sec-WebSocket-Extensions = extension-list
//! extension-list = 1#extension
//! extension = extension-token *( ";" extension-param )
//! extension-token = registered-token
//! registered-token = token
//! extension-param = token [ "=" (token | quoted-string) ]
//! ```
//!
//! A header may appear on several lines; the lists join in order. Commas
//! and semicolons inside a quoted string split nothing. Empty list elements
//! are skipped ("a recipient MUST parse and ignore a reasonable number of
//! empty list elements", RFC 9110 §5.6.1). The parser never panics: any
//! byte sequence gives a list or [`Malformed`].

use alloc::string::String;
use alloc::vec::Vec;

use super::Extension;

/// A `Sec-WebSocket-Extensions` value that breaks the grammar.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Malformed;

/// Parses the values of every `Sec-WebSocket-Extensions` header line, in
/// order, into one list of extensions with their parameters (quoted values
/// unquoted).
pub(crate) fn parse_values<I, V>(values: I) -> Result<Vec<Extension>, Malformed>
where
    I: IntoIterator<Item = V>,
    V: AsRef<[u8]>,
{
    let mut out = Vec::new();
    for v in values {
        Parser {
            s: v.as_ref(),
            i: 0,
        }
        .list(&mut out)?;
    }
    Ok(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// OWS / BWS: spaces and tabs.
    fn ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ows();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn token(&mut self) -> Result<String, Malformed> {
        self.ows();
        let start = self.i;
        while self.peek().is_some_and(super::is_tchar) {
            self.i += 1;
        }
        if start == self.i {
            return Err(Malformed);
        }
        // tchars are ASCII: one char a byte.
        Ok(self.s[start..self.i]
            .iter()
            .map(|&b| char::from(b))
            .collect())
    }

    /// `token / quoted-string`. "When using the quoted-string syntax
    /// variant, the value after quoted-string unescaping MUST conform to
    /// the 'token' ABNF" (RFC 6455 §9.1).
    fn value(&mut self) -> Result<String, Malformed> {
        self.ows();
        if self.peek() != Some(b'"') {
            return self.token();
        }
        self.i += 1;
        let mut v = String::new();
        loop {
            let c = match self.peek() {
                None => return Err(Malformed),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                Some(b'\\') => {
                    self.i += 1;
                    self.peek().ok_or(Malformed)?
                }
                Some(c) => c,
            };
            // Anything but a tchar would fail the token rule below anyway;
            // refusing it here also keeps the String ASCII.
            if !super::is_tchar(c) {
                return Err(Malformed);
            }
            v.push(char::from(c));
            self.i += 1;
        }
        if v.is_empty() {
            return Err(Malformed);
        }
        Ok(v)
    }

    fn list(&mut self, out: &mut Vec<Extension>) -> Result<(), Malformed> {
        loop {
            self.ows();
            match self.peek() {
                None => return Ok(()),
                // An empty list element.
                Some(b',') => {
                    self.i += 1;
                    continue;
                }
                Some(_) => {}
            }
            let name = self.token()?;
            let mut params = Vec::new();
            while self.eat(b';') {
                let p = self.token()?;
                let v = if self.eat(b'=') {
                    Some(self.value()?)
                } else {
                    None
                };
                params.push((p, v));
            }
            out.push(Extension { name, params });
            self.ows();
            match self.peek() {
                None => return Ok(()),
                // The separator, taken at the top of the loop as an empty
                // element's is.
                Some(b',') => {}
                Some(_) => return Err(Malformed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn ext(name: &str, params: &[(&str, Option<&str>)]) -> Extension {
        Extension {
            name: name.to_string(),
            params: params
                .iter()
                .map(|(p, v)| (p.to_string(), v.map(|v| v.to_string())))
                .collect(),
        }
    }

    macro_rules! ok {
        ($input:expr => $($ext:expr),* $(,)?) => {
            assert_eq!(parse_values($input), Ok(vec![$($ext),*]), "{:?}", $input);
        };
    }

    macro_rules! bad {
        ($input:expr) => {
            assert_eq!(parse_values($input), Err(Malformed), "{:?}", $input);
        };
    }

    #[test]
    fn grammar() {
        ok!(["permessage-deflate"] => ext("permessage-deflate", &[]));
        ok!(["a; b; c=1"] => ext("a", &[("b", None), ("c", Some("1"))]));
        ok!(["a ;b = 1 ; c=\"x\"\t"] => ext("a", &[("b", Some("1")), ("c", Some("x"))]));
        ok!(["a, b", "c"] => ext("a", &[]), ext("b", &[]), ext("c", &[]));
        ok!([", a,, ,b ,"] => ext("a", &[]), ext("b", &[]));
        ok!(["", "  "] =>);
        ok!([r#"a; b="1\0""#] => ext("a", &[("b", Some("10"))]));
        bad!(["a b"]);
        bad!(["a;"]);
        bad!(["a; =1"]);
        bad!(["a; b="]);
        bad!(["a; b=\""]);
        bad!(["a; b=\"1"]);
        bad!(["a; b=\"\""]);
        bad!(["a; b=\"1,2\""]);
        bad!(["a; b=\"1 2\""]);
        bad!(["a; b=\"1\\"]);
        bad!(["a; b=1 2"]);
        bad!(["a; b=\"1\"x"]);
        bad!([";a"]);
        bad!(["a\r\n"]);
        bad!([&b"a\xff"[..]]);
        bad!(["a", "b;"]);
    }
}
