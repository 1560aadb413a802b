//! Random names, from the kernel's random source (`getrandom`): all that
//! tmpguard needs randomness for (the probe's file names, fallback names).

/// Characters drawn uniformly from an alphabet.
pub struct Chars {
    buf: [u8; 32],
    pos: usize,
}

impl Chars {
    /// One `getrandom` call now (and another only after 32 bytes are used).
    pub fn new() -> Chars {
        let mut c = Chars {
            buf: [0; 32],
            pos: 0,
        };
        c.refill();
        c
    }

    fn refill(&mut self) {
        // Linux has had getrandom(2) since 3.17; the crate falls back to
        // /dev/urandom before that. Nothing else can stand in for it.
        getrandom::fill(&mut self.buf).expect("the kernel's random source");
        self.pos = 0;
    }

    /// `len` characters of `alphabet` (at most 256 of them), each equally likely:
    /// a byte above the largest multiple of the alphabet's size is drawn again.
    pub fn take<'a>(&'a mut self, alphabet: &'a [u8], len: usize) -> impl Iterator<Item = u8> + 'a {
        let n = alphabet.len();
        let limit = 256 - 256 % n;
        (0..len).map(move |_| {
            loop {
                if self.pos == self.buf.len() {
                    self.refill();
                }
                let b = usize::from(self.buf[self.pos]);
                self.pos += 1;
                if b < limit {
                    return alphabet[b % n];
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_alphabet_and_every_letter() {
        let mut c = Chars::new();
        let drawn: Vec<u8> = c.take(b"abc", 3000).collect();
        assert!(drawn.iter().all(|b| b"abc".contains(b)));
        for l in b"abc" {
            let k = drawn.iter().filter(|b| *b == l).count();
            assert!((800..1200).contains(&k), "{k}");
        }
    }
}
