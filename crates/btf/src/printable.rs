//! Names from untrusted files, made safe to show a person.
//!
//! Section, symbol, tar member and BTF names come from files anyone can
//! write. Printed raw, an escape sequence in one of them reaches the terminal
//! (recolouring it, moving the cursor, retitling the window) and a bidi
//! override reorders what the reader sees. [`printable`] wraps such a name
//! for `Display` so that every byte stays visible and nothing is
//! interpreted: printable characters pass unchanged, everything else is
//! written as an escape.
//!
//! ```
//! use corex_btf::printable;
//! assert_eq!(printable("task_struct").to_string(), "task_struct");
//! assert_eq!(printable("a\x1b[31mb").to_string(), "a\\x1b[31mb");
//! assert_eq!(printable(&b"bad\xff"[..]).to_string(), "bad\\xff");
//! ```

use std::fmt;

/// A name shown with its control characters, invisible formatting
/// characters, backslashes and invalid UTF-8 escaped (see [`printable`]).
#[derive(Clone, Copy, Debug)]
pub struct Printable<'a>(&'a [u8]);

/// Wraps text from an untrusted file for display:
/// - `\` becomes `\\`, so that an escape in the output is never ambiguous;
/// - tab, newline and carriage return become `\t`, `\n`, `\r`;
/// - other ASCII control characters (and DEL) become `\xNN`;
/// - bytes that are not valid UTF-8 become `\xNN`, one per byte;
/// - C1 controls, bidi overrides and isolates, zero-width and other
///   invisible formatting characters become `\u{XXXX}`.
pub fn printable<S: AsRef<[u8]> + ?Sized>(text: &S) -> Printable<'_> {
    Printable(text.as_ref())
}

impl Printable<'_> {
    /// Whether the text is shown exactly as it is (nothing to escape).
    pub fn is_plain(&self) -> bool {
        std::str::from_utf8(self.0).is_ok_and(|s| s.chars().all(|c| !needs_escape(c)))
    }
}

/// Characters that are not shown as themselves.
fn needs_escape(c: char) -> bool {
    c == '\\' || c.is_control() || is_invisible_format(c)
}

/// Unicode format characters (category Cf) and the other invisible code
/// points a terminal or editor may act on rather than show.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00ad}'                      // soft hyphen
        | '\u{034f}'                    // combining grapheme joiner
        | '\u{061c}'                    // Arabic letter mark
        | '\u{115f}' | '\u{1160}'       // Hangul fillers
        | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}'       // Mongolian variation selectors
        | '\u{200b}'..='\u{200f}'       // zero-width characters, LRM, RLM
        | '\u{2028}'..='\u{202e}'       // line/paragraph separators, bidi embeddings and overrides
        | '\u{2060}'..='\u{206f}'       // word joiner, bidi isolates, deprecated format characters
        | '\u{3164}'                    // Hangul filler
        | '\u{fe00}'..='\u{fe0f}'       // variation selectors
        | '\u{feff}'                    // zero-width no-break space (BOM)
        | '\u{ffa0}'                    // halfwidth Hangul filler
        | '\u{fff0}'..='\u{fffb}'       // interlinear annotations, specials
        | '\u{e0000}'..='\u{e0fff}'     // tags and variation selectors supplement
    )
}

fn write_char(f: &mut impl fmt::Write, c: char) -> fmt::Result {
    match c {
        '\\' => f.write_str("\\\\"),
        '\t' => f.write_str("\\t"),
        '\n' => f.write_str("\\n"),
        '\r' => f.write_str("\\r"),
        c if (c as u32) < 0x80 && c.is_control() => write!(f, "\\x{:02x}", c as u32),
        c if needs_escape(c) => write!(f, "\\u{{{:04x}}}", c as u32),
        c => f.write_char(c),
    }
}

impl Printable<'_> {
    /// Writes the text as shown, escapes and all.
    fn write_shown(&self, f: &mut impl fmt::Write) -> fmt::Result {
        // The common case, plain ASCII, in one pass and one write.
        if self
            .0
            .iter()
            .all(|&b| (b' '..=b'~').contains(&b) && b != b'\\')
        {
            return f.write_str(std::str::from_utf8(self.0).unwrap_or_default());
        }
        for chunk in self.0.utf8_chunks() {
            // Runs of characters shown as themselves go out in one write.
            let valid = chunk.valid();
            let mut plain_from = 0;
            for (at, c) in valid.char_indices() {
                if needs_escape(c) {
                    f.write_str(&valid[plain_from..at])?;
                    write_char(f, c)?;
                    plain_from = at + c.len_utf8();
                }
            }
            f.write_str(&valid[plain_from..])?;
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A width or precision (`{:20}`) applies to the text as shown.
        if f.width().is_some() || f.precision().is_some() {
            let mut shown = String::new();
            self.write_shown(&mut shown)?;
            return f.pad(&shown);
        }
        self.write_shown(f)
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn width_and_precision_apply_to_the_shown_text() {
        assert_eq!(format!("[{:8}]", printable("ab")), "[ab      ]");
        assert_eq!(format!("[{:>6}]", printable("a\nb")), "[  a\\nb]");
        assert_eq!(format!("[{:.3}]", printable("abcdef")), "[abc]");
    }

    #[test]
    fn escapes_exactly_what_a_terminal_would_act_on() {
        let cases: &[(&[u8], &str)] = &[
            (b"task_struct", "task_struct"),
            (
                b"tracepoint/syscalls/sys_enter_execve",
                "tracepoint/syscalls/sys_enter_execve",
            ),
            (b"\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
            (b"a\tb\nc\rd", "a\\tb\\nc\\rd"),
            (b"back\\slash", "back\\\\slash"),
            (b"del\x7f", "del\\x7f"),
            (b"\xff\xfe", "\\xff\\xfe"),
            (b"trunc\xe2\x82", "trunc\\xe2\\x82"),
            ("caf\u{e9}".as_bytes(), "caf\u{e9}"),
            ("\u{9b}31m".as_bytes(), "\\u{009b}31m"),
            ("admin\u{202e}txt.exe".as_bytes(), "admin\\u{202e}txt.exe"),
            ("zero\u{200b}width".as_bytes(), "zero\\u{200b}width"),
            ("\u{feff}bom".as_bytes(), "\\u{feff}bom"),
            (b"", ""),
        ];
        for (input, want) in cases {
            assert_eq!(printable(input).to_string(), *want, "input {input:?}");
        }
    }

    #[test]
    fn plain_text_is_recognised() {
        assert!(printable("vmlinux").is_plain());
        assert!(!printable("a\x1b").is_plain());
        assert!(!printable(&b"\xff"[..]).is_plain());
        assert!(!printable("a\\b").is_plain());
    }
}
