//! A minimal safe wrapper over libyaml's event parser (`unsafe-libyaml`, the one
//! serde_yaml uses). go-yaml v2, which kubeseal uses, is a Go port of libyaml, so
//! both accept the same syntax; unlike serde_yaml, events keep each scalar's style.

use std::ffi::CStr;
use std::mem::MaybeUninit;

use unsafe_libyaml as unsafe_sys;
use zeroize::Zeroizing;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    Other,
}

/// The events the tree is built from (the stream's start and a document's end
/// carry nothing it needs and are left out; the stream's end ends the list).
pub(super) enum Event {
    DocumentStart,
    Alias(Vec<u8>),
    Scalar {
        anchor: Option<Vec<u8>>,
        tag: Option<Vec<u8>>,
        value: Zeroizing<Vec<u8>>,
        style: Style,
    },
    SequenceStart {
        anchor: Option<Vec<u8>>,
        tag: Option<Vec<u8>>,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<Vec<u8>>,
        tag: Option<Vec<u8>>,
    },
    MappingEnd,
}

/// 0-based line and column.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    pub line: usize,
    pub column: usize,
}

pub(super) struct ParseError {
    pub problem: String,
    pub mark: Mark,
}

unsafe fn c_bytes(p: *const u8) -> Option<Vec<u8>> {
    if p.is_null() {
        None
    } else {
        // SAFETY: libyaml gives NUL-terminated strings that live as long as the event.
        Some(unsafe { CStr::from_ptr(p.cast()) }.to_bytes().to_vec())
    }
}

/// Parses all events of `input` (one YAML stream).
pub(super) fn events(input: &[u8]) -> Result<Vec<(Event, Mark)>, ParseError> {
    let mut parser: Box<MaybeUninit<unsafe_sys::yaml_parser_t>> = Box::new(MaybeUninit::uninit());
    let p = parser.as_mut_ptr();
    // SAFETY: `p` points to heap memory that stays put until `yaml_parser_delete`
    // below; `input` outlives the parser; each event is read before it is deleted.
    unsafe {
        if unsafe_sys::yaml_parser_initialize(p).fail {
            return Err(ParseError {
                problem: "cannot allocate the YAML parser".into(),
                mark: Mark { line: 0, column: 0 },
            });
        }
        unsafe_sys::yaml_parser_set_input_string(p, input.as_ptr(), input.len() as u64);
        let mut out = Vec::new();
        let result = loop {
            let mut ev = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
            let evp = ev.as_mut_ptr();
            if unsafe_sys::yaml_parser_parse(p, evp).fail {
                let parser_ref: &unsafe_sys::yaml_parser_t = &*p;
                let problem = if parser_ref.problem.is_null() {
                    "invalid YAML".to_string()
                } else {
                    CStr::from_ptr(parser_ref.problem.cast())
                        .to_string_lossy()
                        .into_owned()
                };
                // Reader (encoding) errors carry a byte offset, not a mark.
                let mark = if parser_ref.error == unsafe_sys::YAML_READER_ERROR {
                    let at = (parser_ref.problem_offset as usize).min(input.len());
                    let before = &input[..at];
                    Mark {
                        line: before.iter().filter(|&&b| b == b'\n').count(),
                        column: before.iter().rev().take_while(|&&b| b != b'\n').count(),
                    }
                } else {
                    Mark {
                        line: parser_ref.problem_mark.line as usize,
                        column: parser_ref.problem_mark.column as usize,
                    }
                };
                break Err(ParseError { problem, mark });
            }
            let e = &*evp;
            let mark = Mark {
                line: e.start_mark.line as usize,
                column: e.start_mark.column as usize,
            };
            if e.type_ == unsafe_sys::YAML_STREAM_END_EVENT {
                unsafe_sys::yaml_event_delete(evp);
                break Ok(out);
            }
            let event = match e.type_ {
                unsafe_sys::YAML_DOCUMENT_START_EVENT => Some(Event::DocumentStart),
                unsafe_sys::YAML_ALIAS_EVENT => Some(Event::Alias(
                    c_bytes(e.data.alias.anchor).unwrap_or_default(),
                )),
                unsafe_sys::YAML_SCALAR_EVENT => {
                    let s = e.data.scalar;
                    let value = if s.value.is_null() {
                        Vec::new()
                    } else {
                        std::slice::from_raw_parts(s.value, s.length as usize).to_vec()
                    };
                    Some(Event::Scalar {
                        anchor: c_bytes(s.anchor),
                        tag: c_bytes(s.tag),
                        value: Zeroizing::new(value),
                        style: if s.style == unsafe_sys::YAML_PLAIN_SCALAR_STYLE {
                            Style::Plain
                        } else {
                            Style::Other
                        },
                    })
                }
                unsafe_sys::YAML_SEQUENCE_START_EVENT => Some(Event::SequenceStart {
                    anchor: c_bytes(e.data.sequence_start.anchor),
                    tag: c_bytes(e.data.sequence_start.tag),
                }),
                unsafe_sys::YAML_SEQUENCE_END_EVENT => Some(Event::SequenceEnd),
                unsafe_sys::YAML_MAPPING_START_EVENT => Some(Event::MappingStart {
                    anchor: c_bytes(e.data.mapping_start.anchor),
                    tag: c_bytes(e.data.mapping_start.tag),
                }),
                unsafe_sys::YAML_MAPPING_END_EVENT => Some(Event::MappingEnd),
                _ => None,
            };
            unsafe_sys::yaml_event_delete(evp);
            if let Some(ev) = event {
                out.push((ev, mark));
            }
        };
        unsafe_sys::yaml_parser_delete(p);
        result
    }
}
