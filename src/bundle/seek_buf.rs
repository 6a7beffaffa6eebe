//! A buffered reader whose seeks inside its buffer cost no system call.
//! `BufReader` drops its buffer on every seek and asks the file for its
//! position, and the zip crate does both for each central directory entry:
//! a zip of 33,000 entries cost some 130,000 system calls (and as many
//! 8 KiB refills) each time it was opened.

use std::io::{self, Read, Seek, SeekFrom};

const CAPACITY: usize = 64 * 1024;

pub(crate) struct SeekBuf<R> {
    inner: R,
    buf: Box<[u8]>,
    /// Offset in `inner` of `buf[0]`.
    at: u64,
    /// Read position in `buf`, and how much of `buf` holds data.
    pos: usize,
    len: usize,
    /// Whether `inner` stands at `at + len` (false after a seek outside
    /// the buffer, made on the next read).
    in_place: bool,
}

impl<R: Read + Seek> SeekBuf<R> {
    pub(crate) fn new(inner: R) -> SeekBuf<R> {
        SeekBuf {
            inner,
            buf: vec![0; CAPACITY].into_boxed_slice(),
            at: 0,
            pos: 0,
            len: 0,
            in_place: false,
        }
    }

    /// The offset the next read starts at.
    fn offset(&self) -> u64 {
        self.at + self.pos as u64
    }

    /// Drops the buffer and moves `inner` to where reading goes on.
    fn settle(&mut self) -> io::Result<()> {
        if !self.in_place {
            self.inner.seek(SeekFrom::Start(self.at))?;
            self.in_place = true;
        }
        Ok(())
    }
}

impl<R: Read + Seek> Read for SeekBuf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.len {
            self.at = self.offset();
            self.pos = 0;
            self.len = 0;
            self.settle()?;
            if out.len() >= self.buf.len() {
                let n = self.inner.read(out)?;
                self.at += n as u64;
                return Ok(n);
            }
            self.len = self.inner.read(&mut self.buf)?;
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekBuf<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(t) => Some(t),
            SeekFrom::Current(d) => Some(self.offset().checked_add_signed(d).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
            })?),
            SeekFrom::End(_) => None,
        };
        match target {
            Some(t) if t >= self.at && t <= self.at + self.len as u64 => {
                self.pos = (t - self.at) as usize;
                Ok(t)
            }
            Some(t) => {
                self.at = t;
                self.pos = 0;
                self.len = 0;
                self.in_place = false;
                Ok(t)
            }
            None => {
                let t = self.inner.seek(to)?;
                self.at = t;
                self.pos = 0;
                self.len = 0;
                self.in_place = true;
                Ok(t)
            }
        }
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    #[derive(Debug, Clone)]
    enum Op {
        Read(usize),
        Start(u64),
        Current(i64),
        End(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0usize..200_000).prop_map(Op::Read),
            (0u64..300_000).prop_map(Op::Start),
            (-100_000i64..100_000).prop_map(Op::Current),
            (-300_000i64..10).prop_map(Op::End),
        ]
    }

    proptest! {
        /// Any run of reads and seeks gives what the same run gives on the
        /// bytes themselves.
        #[test]
        fn reads_and_seeks_as_the_bytes_do(
            len in 0usize..250_000,
            ops in prop::collection::vec(op(), 1..40),
        ) {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
            let mut plain = Cursor::new(data.clone());
            let mut buffered = SeekBuf::new(Cursor::new(data));
            for op in ops {
                match op {
                    Op::Read(n) => {
                        let (mut a, mut b) = (vec![0; n], vec![0; n]);
                        let got_a = plain.read(&mut a).map_err(|e| e.to_string());
                        // A read may return less than asked; read as much
                        // as the plain one did.
                        let want = *got_a.as_ref().unwrap_or(&0);
                        let mut got_b = 0;
                        while got_b < want {
                            let k = buffered.read(&mut b[got_b..want]).unwrap();
                            prop_assert!(k > 0);
                            got_b += k;
                        }
                        prop_assert_eq!(&a[..want], &b[..want]);
                    }
                    Op::Start(t) => {
                        let to = SeekFrom::Start(t);
                        prop_assert_eq!(plain.seek(to).ok(), buffered.seek(to).ok());
                    }
                    Op::Current(d) => {
                        let to = SeekFrom::Current(d);
                        prop_assert_eq!(plain.seek(to).ok(), buffered.seek(to).ok());
                    }
                    Op::End(d) => {
                        let to = SeekFrom::End(d);
                        prop_assert_eq!(plain.seek(to).ok(), buffered.seek(to).ok());
                    }
                }
                prop_assert_eq!(plain.stream_position().unwrap(), buffered.stream_position().unwrap());
            }
        }
    }
}
