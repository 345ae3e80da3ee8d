//! Keeping the head on screen: on a terminal, a long text body is cut at about one screen.
//!
//! The request and the reply's head are the lesson; a 10,000-byte page printed whole scrolls
//! them away. So the prompt shows the body only as far as the terminal has rows for it below
//! the head ([`Page`]), reads the rest without showing it, and says how much was left out and
//! how to get all of it. Into a pipe or a file there is no page: the body is written whole.

/// The fewest body rows shown, even when the head alone fills the screen.
pub const MIN_BODY_ROWS: usize = 3;

/// The rows kept free below the body: the line saying what was cut (two rows, as it names the
/// URL twice), the summary, the prompt.
pub const ROWS_BELOW: usize = 4;

/// How much of a body fits: counts the rows its bytes take on a terminal `columns` wide,
/// lines longer than the width wrapping, until `rows` are used.
#[derive(Debug)]
pub struct Page {
    rows: usize,
    columns: usize,
    used_rows: usize,
    column: usize,
    full: bool,
    left_out_bytes: u64,
    left_out_lines: u64,
    ends_with_newline: bool,
}

impl Page {
    /// A page for a terminal of `screen_rows` × `columns`, of which `used_rows` are taken
    /// already (the typed line, the request, the reply's head).
    pub fn new(screen_rows: usize, columns: usize, used_rows: usize) -> Page {
        let rows = screen_rows
            .saturating_sub(used_rows + ROWS_BELOW)
            .max(MIN_BODY_ROWS);
        Page {
            rows,
            columns: columns.max(1),
            used_rows: 0,
            column: 0,
            full: false,
            left_out_bytes: 0,
            left_out_lines: 0,
            ends_with_newline: true,
        }
    }

    /// How many of `bytes`' first bytes still fit on the page; the rest is counted as left out.
    pub fn fit(&mut self, bytes: &[u8]) -> usize {
        let mut fits = bytes.len();
        for (at, &byte) in bytes.iter().enumerate() {
            if self.full {
                fits = at;
                break;
            }
            match byte {
                b'\n' => self.new_row(),
                b'\t' => self.advance(8 - self.column % 8),
                // A UTF-8 continuation byte is part of the character before it.
                0x80..=0xBF => {}
                // Shown as \xNN (show.rs).
                byte if byte.is_ascii_control() => self.advance(4),
                _ => self.advance(1),
            }
            // A character that wrapped onto a row the page does not have is not shown.
            if self.full && byte != b'\n' {
                fits = at;
                break;
            }
        }
        let rest = &bytes[fits..];
        self.left_out_bytes += rest.len() as u64;
        self.left_out_lines += rest.iter().filter(|&&byte| byte == b'\n').count() as u64;
        if let Some(&last) = rest.last() {
            self.ends_with_newline = last == b'\n';
        }
        fits
    }

    /// What was left out: bytes and lines (a last line without its newline counts), or `None`
    /// when the whole body fitted.
    pub fn left_out(&self) -> Option<(u64, u64)> {
        if self.left_out_bytes == 0 {
            return None;
        }
        let unfinished = u64::from(!self.ends_with_newline);
        Some((self.left_out_bytes, self.left_out_lines + unfinished))
    }

    fn advance(&mut self, width: usize) {
        self.column += width;
        if self.column > self.columns {
            self.new_row();
            self.column = width.min(self.columns);
        }
    }

    fn new_row(&mut self) {
        self.used_rows += 1;
        self.column = 0;
        if self.used_rows >= self.rows {
            self.full = true;
        }
    }
}

/// The line that ends a cut body: how much is left out, and how to see all of it.
pub fn left_out_line(bytes: u64, lines: u64, url: &str) -> String {
    format!(
        "* {bytes} more bytes ({lines} lines) not shown, to keep the head on screen; \
         all of it: -o FILE {url} at this prompt, or httpget {url} | less in a shell\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_cut_after_the_rows_left_below_the_head() {
        // A 30-row terminal, 10 rows of head: 30 - 10 - 4 = 16 body rows.
        let body: Vec<u8> = (0..100)
            .flat_map(|n| format!("line {n}\n").into_bytes())
            .collect();
        let mut page = Page::new(30, 100, 10);
        let fits = page.fit(&body);
        assert!(body[..fits].ends_with(b"line 15\n"), "{fits}");
        assert_eq!(page.left_out(), Some(((body.len() - fits) as u64, 84)));
    }

    #[test]
    fn what_fits_is_counted_across_pieces_wrapped_lines_and_escapes() {
        for (pieces, screen_rows, columns, want_shown, want_left_out) in [
            // Fits whole: nothing left out.
            (vec![&b"a\nb\n"[..]], 30, 80, 4, None),
            // 10 body rows: 25 lines of 4 bytes, a piece each.
            (vec![&b"xyz\n"[..]; 25], 14, 80, 40, Some((60, 15))),
            // A 250-character line takes 3 rows of 100; the page has 3 rows, then 1 is left.
            (vec![&[b'a'; 250][..], b"\nrest"], 6, 100, 251, Some((4, 1))),
            // Control bytes are shown as \xNN: 25 of them fill a 100-column row, 75 the page.
            (vec![&[0x1b; 76][..]], 6, 100, 75, Some((1, 1))),
            // é is one column, two bytes.
            (vec!["é\né\né\né\n".as_bytes()], 6, 80, 9, Some((3, 1))),
            // The head alone fills the screen: still a few body rows.
            (vec![&b"1\n2\n3\n4\n"[..]], 10, 80, 6, Some((2, 1))),
        ] {
            let mut page = Page::new(screen_rows, columns, if screen_rows == 10 { 40 } else { 0 });
            let shown: usize = pieces.iter().map(|piece| page.fit(piece)).sum();
            assert_eq!(shown, want_shown, "{pieces:?}");
            assert_eq!(page.left_out(), want_left_out, "{pieces:?}");
        }
    }

    #[test]
    fn the_left_out_line_says_how_much_and_how_to_get_it() {
        let line = left_out_line(8120, 173, "http://127.0.0.1:8080/");
        assert!(line.contains("8120 more bytes (173 lines)"), "{line}");
        assert!(line.contains("-o FILE http://127.0.0.1:8080/"), "{line}");
        assert!(line.contains("| less"), "{line}");
        assert_eq!(line.lines().count(), 1);
    }
}
