//! The body of a POST, from curl's options: `-d`/`--data`, `--data-urlencode`, `--data-binary`.
//!
//! RFC 1945 §8.3: POST sends an entity — the bytes after the head — and §7.2.2 says a request
//! with a body must give its `Content-Length` (the server cannot wait for a close that would
//! also close the reply's way back). The body is what an HTML form sends:
//! `application/x-www-form-urlencoded`, `name=value` pairs joined with `&`, each name and value
//! percent-encoded. We follow curl's rules, so a command line works with either program:
//!
//! | option | the piece it adds |
//! |---|---|
//! | `-d TEXT` | `TEXT` as it is (you encode it) |
//! | `-d @FILE` | the file, without its CR and LF bytes |
//! | `--data-binary TEXT` / `@FILE` | as `-d`, but a file's bytes are kept exactly |
//! | `--data-urlencode TEXT` | `TEXT` percent-encoded; `name=TEXT` encodes only `TEXT`; `=TEXT` encodes `TEXT` |
//! | `--data-urlencode @FILE` / `name@FILE` | the file's bytes percent-encoded (after `name=`) |
//!
//! Several pieces are joined with `&` in the order given. `@-` reads stdin.

use std::io::Read;
use std::path::PathBuf;

use percent_encoding::utf8_percent_encode;

use crate::escape::UNRESERVED;

use super::GetError;

/// The `Content-Type` of a body made by these options, unless `-H` names another.
pub use crate::headers::FORM_CONTENT_TYPE;

/// One data option from the command line, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataArg {
    /// `-d`/`--data`.
    Data(String),
    /// `--data-binary`.
    Binary(String),
    /// `--data-urlencode`.
    UrlEncode(String),
}

/// The request body for these options: their pieces joined with `&`.
pub fn form_body(args: &[DataArg]) -> Result<Vec<u8>, GetError> {
    let mut body = Vec::new();
    for (index, arg) in args.iter().enumerate() {
        if index > 0 {
            body.push(b'&');
        }
        body.extend_from_slice(&piece(arg)?);
    }
    Ok(body)
}

/// The bytes one option adds.
fn piece(arg: &DataArg) -> Result<Vec<u8>, GetError> {
    match arg {
        DataArg::Data(text) => match text.strip_prefix('@') {
            // curl drops the line breaks of a file read by -d, so a file may hold one long line.
            Some(path) => {
                let mut bytes = read_data_file(path)?;
                bytes.retain(|&byte| byte != b'\r' && byte != b'\n');
                Ok(bytes)
            }
            None => Ok(text.as_bytes().to_vec()),
        },
        DataArg::Binary(text) => match text.strip_prefix('@') {
            Some(path) => read_data_file(path),
            None => Ok(text.as_bytes().to_vec()),
        },
        DataArg::UrlEncode(text) => url_encoded_piece(text),
    }
}

/// curl's five forms of `--data-urlencode`.
fn url_encoded_piece(text: &str) -> Result<Vec<u8>, GetError> {
    let (name, content) = match text.find(['=', '@']) {
        // "=content" and "name=content": the name is kept as it is.
        Some(at) if text.as_bytes()[at] == b'=' => {
            (&text[..at], text.as_bytes()[at + 1..].to_vec())
        }
        // "@file" and "name@file".
        Some(at) => (&text[..at], read_data_file(&text[at + 1..])?),
        None => ("", text.as_bytes().to_vec()),
    };
    let content = String::from_utf8_lossy(&content).into_owned();
    let encoded = utf8_percent_encode(&content, UNRESERVED).to_string();
    if name.is_empty() {
        Ok(encoded.into_bytes())
    } else {
        Ok(format!("{name}={encoded}").into_bytes())
    }
}

/// The bytes of a data file; `-` is stdin.
fn read_data_file(path: &str) -> Result<Vec<u8>, GetError> {
    let mut bytes = Vec::new();
    let result = if path == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|read| bytes = read)
    };
    match result {
        Ok(()) => Ok(bytes),
        Err(source) => Err(GetError::ReadData {
            path: PathBuf::from(path),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_follow_curls_rules_and_join_with_ampersands() {
        for (args, want) in [
            (vec![DataArg::Data("a=1".into())], "a=1"),
            (
                vec![
                    DataArg::Data("a=1".into()),
                    DataArg::Binary("b=2".into()),
                    DataArg::UrlEncode("c=x y&z".into()),
                ],
                "a=1&b=2&c=x%20y%26z",
            ),
            (
                vec![DataArg::UrlEncode("text=straße".into())],
                "text=stra%C3%9Fe",
            ),
            (vec![DataArg::UrlEncode("=a b".into())], "a%20b"),
            (vec![DataArg::UrlEncode("a b".into())], "a%20b"),
            (vec![DataArg::UrlEncode("k=a=b".into())], "k=a%3Db"),
            (vec![DataArg::UrlEncode("-._~".into())], "-._~"),
            (vec![DataArg::Data(String::new())], ""),
        ] {
            let body = form_body(&args).expect("no files");
            assert_eq!(String::from_utf8(body).expect("ascii"), want, "{args:?}");
        }
    }

    #[test]
    fn files_are_read_as_each_option_says() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data.txt");
        std::fs::write(&path, "a b\r\nc\n").expect("write");
        let at = format!("@{}", path.display());
        for (arg, want) in [
            (DataArg::Data(at.clone()), &b"a bc"[..]),
            (DataArg::Binary(at.clone()), b"a b\r\nc\n"),
            (DataArg::UrlEncode(at.clone()), b"a%20b%0D%0Ac%0A"),
            (DataArg::UrlEncode(format!("t{at}")), b"t=a%20b%0D%0Ac%0A"),
        ] {
            assert_eq!(
                form_body(std::slice::from_ref(&arg)).expect("file"),
                want,
                "{arg:?}"
            );
        }
    }

    #[test]
    fn a_missing_file_is_a_read_data_error() {
        let error = form_body(&[DataArg::Data("@/no/such/file".into())]).expect_err("missing");
        assert!(matches!(error, GetError::ReadData { .. }), "{error}");
        assert_eq!(error.exit_code(), 26);
    }
}
