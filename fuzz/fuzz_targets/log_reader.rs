//! The streaming log reader with a small line limit and reads of arbitrary sizes: every
//! line is accounted for once, in order, and a line is rejected as too long exactly when
//! it is longer than the limit.
#![no_main]

use std::io::Read;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use perx_fuzz::avro::{AvroCodec, ConvertOptions, convert};
use perx_fuzz::core::Reject;
use perx_fuzz::progress::NoProgress;

/// Hands out the input in pieces of the sizes the fuzzer chose.
struct Pieces<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    at: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = self
            .sizes
            .get(self.at % self.sizes.len().max(1))
            .map_or(7, |s| usize::from(*s) + 1);
        self.at += 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|input: (u8, &[u8], &[u8])| {
    let (limit, sizes, data) = input;
    let max = usize::from(limit) + 1;
    let mut rejects: Vec<Reject> = Vec::new();
    let reader = Pieces { data, sizes, at: 0 };
    let opts = ConvertOptions {
        codec: AvroCodec::Null,
        max_line_bytes: max,
    };
    let (stats, _, _) = convert(
        reader,
        Vec::new(),
        opts,
        (Path::new("in.txt"), Path::new("out.avro")),
        &mut |r| {
            rejects.push(r);
            Ok(())
        },
        &NoProgress,
    )
    .expect("converting to memory cannot fail");
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let lines: Vec<&[u8]> = if data.is_empty() {
        Vec::new()
    } else {
        body.split(|b| *b == b'\n').collect()
    };
    assert_eq!(stats.lines, lines.len() as u64, "every line counted once");
    assert_eq!(stats.records + stats.rejected, stats.lines);
    assert_eq!(stats.bytes, data.len() as u64);
    let mut last = 0;
    for r in &rejects {
        assert!(r.line_no > last, "rejects in line order");
        last = r.line_no;
        let line = lines[(r.line_no - 1) as usize];
        let too_long = line.len() > max;
        assert_eq!(r.reason.starts_with("line-too-long"), too_long, "line {}", r.line_no);
        if too_long {
            assert!(r.reason.contains(&format!("({} bytes)", line.len())), "{}", r.reason);
        }
    }
});
