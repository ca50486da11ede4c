//! The output buffer both emitters write into.
//!
//! For documents that carry plaintext (an unsealed Secret) the buffer never
//! lets the allocator free an unwiped copy: when it must grow it copies into a
//! larger allocation itself and wipes the old one, and it wipes itself when
//! dropped unless handed over as a `Zeroizing<String>`.

use zeroize::{Zeroize, Zeroizing};

pub(super) struct Out {
    buf: String,
    sensitive: bool,
}

impl Out {
    pub(super) fn with_capacity(capacity: usize, sensitive: bool) -> Out {
        Out {
            buf: String::with_capacity(capacity),
            sensitive,
        }
    }

    #[inline]
    fn reserve(&mut self, additional: usize) {
        if self.sensitive && self.buf.len() + additional > self.buf.capacity() {
            self.grow_wiping(additional);
        }
    }

    #[cold]
    fn grow_wiping(&mut self, additional: usize) {
        let wanted = (self.buf.len() + additional).max(self.buf.capacity() * 2);
        let mut bigger = String::with_capacity(wanted);
        bigger.push_str(&self.buf);
        self.buf.zeroize();
        self.buf = bigger;
    }

    #[inline]
    pub(super) fn push_str(&mut self, s: &str) {
        self.reserve(s.len());
        self.buf.push_str(s);
    }

    /// Appends one ASCII byte.
    #[inline]
    pub(super) fn push_byte(&mut self, b: u8) {
        debug_assert!(b.is_ascii());
        self.reserve(1);
        self.buf.push(char::from(b));
    }

    pub(super) fn into_string(mut self) -> String {
        std::mem::take(&mut self.buf)
    }

    pub(super) fn into_zeroizing(mut self) -> Zeroizing<String> {
        Zeroizing::new(std::mem::take(&mut self.buf))
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        if self.sensitive {
            self.buf.zeroize();
        }
    }
}
