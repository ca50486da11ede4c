//! Whether Go's `json.Unmarshal(data, &map[string]interface{}{})` succeeds, and
//! Go's message when it does not: the API server's whole check of a
//! `.dockercfg` / `.dockerconfigjson` value.
//!
//! Go's decoder first checks the whole input with its scanner
//! (`encoding/json/scanner.go`), then decodes. This module follows the scanner's
//! states and messages, then the decode step's two ways to fail for this target: a
//! top-level value that is not an object (`null` is fine: the map stays nil) and a
//! number outside float64's range anywhere (an `interface{}` holds numbers as
//! float64). serde_json is not used because it disagrees with Go on input the
//! API server accepts: it stops at 128 levels of nesting (Go at 10,000), refuses
//! invalid UTF-8 inside strings (Go replaces it with U+FFFD) and lone UTF-16
//! surrogate escapes such as `"\ud800"` (Go replaces them too). Duplicate keys,
//! accepted by both, need no care here since nothing is kept.

/// Go's `maxNestingDepth`: the scanner refuses the 10,001st open bracket.
const MAX_NESTING_DEPTH: usize = 10_000;

/// Why Go's `json.Unmarshal` into `map[string]interface{}` fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoJsonError {
    /// The scanner refused the input: Go's `*json.SyntaxError` message.
    Syntax(String),
    /// Valid JSON whose top-level value is not an object or `null`, e.g.
    /// `json: cannot unmarshal array into Go value of type map[string]interface {}`.
    NotAnObject(String),
    /// A number whose magnitude float64 cannot hold (Go's `number ... into Go value
    /// of type float64`); the number itself is not kept, as it may be secret.
    NumberOutOfRange,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    /// Inside an object, expecting `:` after a key.
    ObjectKey,
    /// Inside an object, after a member's value.
    ObjectValue,
    /// Inside an array, after an element.
    ArrayValue,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    InString,
    InStringEsc,
    /// Inside `\u`, with this many hex digits read.
    InStringEscU(u8),
    Neg,
    /// Integer digits after a leading 1-9.
    Int,
    /// After a leading `0` or the integer digits.
    Zero,
    Dot,
    DotDigits,
    Exp,
    ExpSign,
    ExpDigits,
    /// Inside `true`/`false`/`null`: the literal and how many bytes are read.
    Literal(&'static str, usize),
    EndValue,
    EndTop,
}

/// Go's `quoteChar`: a byte shown as the rune of the same number, quoted the way
/// `strconv.Quote` does, in single quotes.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_string(),
        b'"' => "'\"'".to_string(),
        0x07 => r"'\a'".to_string(),
        0x08 => r"'\b'".to_string(),
        0x0C => r"'\f'".to_string(),
        b'\n' => r"'\n'".to_string(),
        b'\r' => r"'\r'".to_string(),
        b'\t' => r"'\t'".to_string(),
        0x0B => r"'\v'".to_string(),
        b'\\' => r"'\\'".to_string(),
        0x00..=0x1F | 0x7F => format!(r"'\x{c:02x}'"),
        // C1 controls, NBSP and the soft hyphen are not graphic to strconv.IsPrint.
        0x80..=0xA0 | 0xAD => format!(r"'\u{c:04x}'"),
        _ => format!("'{}'", char::from(c)),
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

struct Scanner {
    step: Step,
    stack: Vec<Container>,
}

impl Scanner {
    fn error(c: u8, context: &str) -> GoJsonError {
        GoJsonError::Syntax(format!("invalid character {} {context}", quote_char(c)))
    }

    /// Opens an object or array (Go's `pushParseState`).
    fn push(&mut self, c: u8, container: Container, next: Step) -> Result<(), GoJsonError> {
        self.stack.push(container);
        if self.stack.len() > MAX_NESTING_DEPTH {
            return Err(Self::error(c, "exceeded max depth"));
        }
        self.step = next;
        Ok(())
    }

    /// Closes an object or array (Go's `popParseState`).
    fn pop(&mut self) {
        self.stack.pop();
        self.step = if self.stack.is_empty() {
            Step::EndTop
        } else {
            Step::EndValue
        };
    }

    fn begin_value(&mut self, c: u8) -> Result<(), GoJsonError> {
        self.step = match c {
            c if is_space(c) => return Ok(()),
            b'{' => return self.push(c, Container::ObjectKey, Step::BeginStringOrEmpty),
            b'[' => return self.push(c, Container::ArrayValue, Step::BeginValueOrEmpty),
            b'"' => Step::InString,
            b'-' => Step::Neg,
            b'0' => Step::Zero,
            b'1'..=b'9' => Step::Int,
            b't' => Step::Literal("true", 1),
            b'f' => Step::Literal("false", 1),
            b'n' => Step::Literal("null", 1),
            _ => return Err(Self::error(c, "looking for beginning of value")),
        };
        Ok(())
    }

    fn end_value(&mut self, c: u8) -> Result<(), GoJsonError> {
        let Some(top) = self.stack.last_mut() else {
            self.step = Step::EndTop;
            return self.end_top(c);
        };
        if is_space(c) {
            self.step = Step::EndValue;
            return Ok(());
        }
        match (*top, c) {
            (Container::ObjectKey, b':') => {
                *top = Container::ObjectValue;
                self.step = Step::BeginValue;
            }
            (Container::ObjectKey, _) => return Err(Self::error(c, "after object key")),
            (Container::ObjectValue, b',') => {
                *top = Container::ObjectKey;
                self.step = Step::BeginString;
            }
            (Container::ObjectValue, b'}') => self.pop(),
            (Container::ObjectValue, _) => {
                return Err(Self::error(c, "after object key:value pair"))
            }
            (Container::ArrayValue, b',') => self.step = Step::BeginValue,
            (Container::ArrayValue, b']') => self.pop(),
            (Container::ArrayValue, _) => return Err(Self::error(c, "after array element")),
        }
        Ok(())
    }

    fn end_top(&mut self, c: u8) -> Result<(), GoJsonError> {
        if is_space(c) {
            Ok(())
        } else {
            Err(Self::error(c, "after top-level value"))
        }
    }

    fn feed(&mut self, c: u8) -> Result<(), GoJsonError> {
        match self.step {
            Step::BeginValue => self.begin_value(c),
            Step::BeginValueOrEmpty if is_space(c) => Ok(()),
            Step::BeginValueOrEmpty if c == b']' => self.end_value(c),
            Step::BeginValueOrEmpty => self.begin_value(c),
            Step::BeginStringOrEmpty if is_space(c) => Ok(()),
            Step::BeginStringOrEmpty if c == b'}' => {
                if let Some(top) = self.stack.last_mut() {
                    *top = Container::ObjectValue;
                }
                self.end_value(c)
            }
            Step::BeginStringOrEmpty | Step::BeginString => match c {
                c if is_space(c) => Ok(()),
                b'"' => {
                    self.step = Step::InString;
                    Ok(())
                }
                _ => Err(Self::error(c, "looking for beginning of object key string")),
            },
            Step::InString => {
                match c {
                    b'"' => self.step = Step::EndValue,
                    b'\\' => self.step = Step::InStringEsc,
                    0x00..=0x1F => return Err(Self::error(c, "in string literal")),
                    // Any other byte, invalid UTF-8 included: Go replaces that later.
                    _ => {}
                }
                Ok(())
            }
            Step::InStringEsc => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                    self.step = Step::InString;
                    Ok(())
                }
                b'u' => {
                    self.step = Step::InStringEscU(0);
                    Ok(())
                }
                _ => Err(Self::error(c, "in string escape code")),
            },
            Step::InStringEscU(read) => {
                if !c.is_ascii_hexdigit() {
                    return Err(Self::error(c, "in \\u hexadecimal character escape"));
                }
                // Any four hex digits, lone surrogates included.
                self.step = if read == 3 {
                    Step::InString
                } else {
                    Step::InStringEscU(read + 1)
                };
                Ok(())
            }
            Step::Neg => {
                self.step = match c {
                    b'0' => Step::Zero,
                    b'1'..=b'9' => Step::Int,
                    _ => return Err(Self::error(c, "in numeric literal")),
                };
                Ok(())
            }
            Step::Int if c.is_ascii_digit() => Ok(()),
            Step::Int | Step::Zero => match c {
                b'.' => {
                    self.step = Step::Dot;
                    Ok(())
                }
                b'e' | b'E' => {
                    self.step = Step::Exp;
                    Ok(())
                }
                _ => self.end_value(c),
            },
            Step::Dot => {
                if !c.is_ascii_digit() {
                    return Err(Self::error(c, "after decimal point in numeric literal"));
                }
                self.step = Step::DotDigits;
                Ok(())
            }
            Step::DotDigits => match c {
                c if c.is_ascii_digit() => Ok(()),
                b'e' | b'E' => {
                    self.step = Step::Exp;
                    Ok(())
                }
                _ => self.end_value(c),
            },
            Step::Exp if c == b'+' || c == b'-' => {
                self.step = Step::ExpSign;
                Ok(())
            }
            Step::Exp | Step::ExpSign => {
                if !c.is_ascii_digit() {
                    return Err(Self::error(c, "in exponent of numeric literal"));
                }
                self.step = Step::ExpDigits;
                Ok(())
            }
            Step::ExpDigits if c.is_ascii_digit() => Ok(()),
            Step::ExpDigits => self.end_value(c),
            Step::Literal(word, read) => {
                let want = word.as_bytes()[read];
                if c != want {
                    return Err(Self::error(
                        c,
                        &format!("in literal {word} (expecting {})", quote_char(want)),
                    ));
                }
                self.step = if read + 1 == word.len() {
                    Step::EndValue
                } else {
                    Step::Literal(word, read + 1)
                };
                Ok(())
            }
            Step::EndValue => self.end_value(c),
            Step::EndTop => self.end_top(c),
        }
    }
}

/// Go's `checkValid`: the scanner over the whole input, then its end-of-input step.
fn check_valid(data: &[u8]) -> Result<(), GoJsonError> {
    let mut scanner = Scanner {
        step: Step::BeginValue,
        stack: Vec::new(),
    };
    for &c in data {
        scanner.feed(c)?;
    }
    if scanner.step == Step::EndTop {
        return Ok(());
    }
    // Go feeds one space at the end: a top-level number ends there, and an
    // unfinished literal or number fails on that space.
    scanner.feed(b' ')?;
    if scanner.step == Step::EndTop {
        Ok(())
    } else {
        Err(GoJsonError::Syntax(
            "unexpected end of JSON input".to_string(),
        ))
    }
}

/// True when a number token does not fit a float64 (`strconv.ParseFloat`'s range
/// error; Rust's parse rounds the same way and gives infinity instead).
fn out_of_float_range(token: &[u8]) -> bool {
    std::str::from_utf8(token)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .is_some_and(f64::is_infinite)
}

/// True when any number in valid JSON `data` (outside strings) overflows float64.
fn has_out_of_range_number(data: &[u8]) -> bool {
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'"' => {
                i += 1;
                while i < data.len() && data[i] != b'"' {
                    i += if data[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < data.len()
                    && matches!(data[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                if out_of_float_range(&data[start..i]) {
                    return true;
                }
            }
            _ => i += 1,
        }
    }
    false
}

/// Go's `json.Unmarshal(data, &map[string]interface{}{})`: `Ok` exactly when Go
/// returns no error.
pub fn unmarshal_into_map(data: &[u8]) -> Result<(), GoJsonError> {
    check_valid(data)?;
    let first = data.iter().copied().find(|c| !is_space(*c));
    let kind = match first {
        Some(b'{') | Some(b'n') => None,
        Some(b'[') => Some("array"),
        Some(b'"') => Some("string"),
        Some(b't') | Some(b'f') => Some("bool"),
        _ => Some("number"),
    };
    if let Some(kind) = kind {
        return Err(GoJsonError::NotAnObject(format!(
            "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
        )));
    }
    if has_out_of_range_number(data) {
        return Err(GoJsonError::NumberOutOfRange);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(data: &[u8]) -> String {
        match unmarshal_into_map(data) {
            Err(GoJsonError::Syntax(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn objects_and_null_are_accepted() {
        for ok in [
            &b"{}"[..],
            b" null ",
            b"{\"a\":1,\"a\":[true,false,null,-0.5e+3]}",
            b"{\"\\ud800\":\"\xff\"}",
            b"{\"a\":1e-400}",
        ] {
            assert_eq!(unmarshal_into_map(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn go_messages() {
        assert_eq!(syntax(b""), "unexpected end of JSON input");
        assert_eq!(syntax(b"{\"a\":"), "unexpected end of JSON input");
        assert_eq!(syntax(b"-"), "invalid character ' ' in numeric literal");
        assert_eq!(
            syntax(b"{} x"),
            "invalid character 'x' after top-level value"
        );
        assert_eq!(
            syntax(b"\xEF\xBB\xBF{}"),
            "invalid character '\u{ef}' looking for beginning of value"
        );
        assert_eq!(
            syntax(b"{\"a\" 1}"),
            "invalid character '1' after object key"
        );
        assert_eq!(
            syntax(b"{\"a\":tru}"),
            "invalid character '}' in literal true (expecting 'e')"
        );
        assert_eq!(
            syntax(b"{\"a\":\"\n\"}"),
            r"invalid character '\n' in string literal"
        );
        assert_eq!(
            syntax(b"{'a':1}"),
            r"invalid character '\'' looking for beginning of object key string"
        );
        assert_eq!(syntax(b"[01]"), "invalid character '1' after array element");
    }

    #[test]
    fn depth_limit_is_go_s() {
        let nested = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
        assert_eq!(unmarshal_into_map(nested(9_999).as_bytes()), Ok(()));
        assert_eq!(
            syntax(nested(10_000).as_bytes()),
            "invalid character '[' exceeded max depth"
        );
    }

    #[test]
    fn decode_errors() {
        assert_eq!(
            unmarshal_into_map(b"[]"),
            Err(GoJsonError::NotAnObject(
                "json: cannot unmarshal array into Go value of type map[string]interface {}".into()
            ))
        );
        assert_eq!(
            unmarshal_into_map(b"{\"a\":[-1e400]}"),
            Err(GoJsonError::NumberOutOfRange)
        );
        assert_eq!(unmarshal_into_map(b"{\"1e400\":\"1e400\"}"), Ok(()));
    }
}
