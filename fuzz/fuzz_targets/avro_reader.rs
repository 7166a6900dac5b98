//! The Avro reader on arbitrary bytes: no panic and no allocation beyond the limits; and a
//! text log converted to Avro reads back as the records its accepted lines describe.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use perx_fuzz::avro::{AvroCodec, convert, open_reader};
use perx_fuzz::core::logline::parse_line;
use perx_fuzz::progress::NoProgress;

fuzz_target!(|data: &[u8]| {
    if let Ok(records) = open_reader(data, Path::new("fuzz.avro")) {
        for r in records.take(100_000) {
            if r.is_err() {
                break;
            }
        }
    }
    // Round trip: every accepted line becomes exactly one record with its values.
    let Ok((stats, bytes, _)) = convert(
        data,
        Vec::new(),
        AvroCodec::Null,
        (Path::new("in.txt"), Path::new("out.avro")),
        &mut |_| Ok(()),
        &NoProgress,
    ) else {
        return;
    };
    let records: Vec<_> = open_reader(&bytes[..], Path::new("out.avro"))
        .expect("our own file opens")
        .collect::<Result<_, _>>()
        .expect("our own records read");
    assert_eq!(records.len() as u64, stats.records);
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let accepted: Vec<_> = if data.is_empty() {
        Vec::new()
    } else {
        body.split(|b| *b == b'\n')
            .enumerate()
            .filter_map(|(i, l)| parse_line(l).ok().map(|e| (i + 1, e)))
            .collect()
    };
    assert_eq!(accepted.len(), records.len());
    for ((line, ev), rec) in accepted.iter().zip(&records) {
        assert_eq!(rec.line_no, *line as i64);
        assert_eq!(rec.timestamp, ev.ts.timestamp_micros());
        assert_eq!(rec.http_path, ev.http_path);
        assert_eq!(rec.user_id, ev.user_id);
    }
});
