//! The text log → Avro conversion: every record read back, schema as written.

use std::io::BufRead;

use apache_avro::{Reader, Schema};
use perx::avro::{self, AvroCodec, SCHEMA_JSON};
use perx::core::logline::parse_line;
use perx::progress::NoProgress;

use crate::util::real_data;

/// Converts `text` with `codec` and checks every record against the text line it came from.
fn round_trip(text: &std::path::Path, codec: AvroCodec) -> u64 {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("log.avro");
    let (stats, _) = avro::convert_file(text, &out, codec, &mut |_| {}, &NoProgress).unwrap();

    // The schema embedded in the file is the hand-written one.
    let reader = Reader::new(std::fs::File::open(&out).unwrap()).unwrap();
    let written = Schema::parse_str(SCHEMA_JSON).unwrap();
    assert_eq!(reader.writer_schema(), &written);
    assert_eq!(
        reader.writer_schema().canonical_form(),
        written.canonical_form()
    );

    let records: Vec<_> = avro::open(&out).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(records.len() as u64, stats.records);
    let lines: Vec<Vec<u8>> = std::io::BufReader::new(std::fs::File::open(text).unwrap())
        .split(b'\n')
        .map(|l| l.unwrap())
        .collect();
    let mut next = records.iter();
    for (i, line) in lines.iter().enumerate() {
        let Ok(ev) = parse_line(line) else { continue };
        let rec = next.next().expect("a record for every accepted line");
        assert_eq!(rec.line_no, i as i64 + 1);
        assert_eq!(rec.timestamp, ev.ts.timestamp_micros(), "line {}", i + 1);
        assert_eq!(rec.http_method, ev.http_method);
        assert_eq!(rec.http_path, ev.http_path);
        assert_eq!(rec.user_id, ev.user_id);
    }
    assert!(next.next().is_none(), "no record without a line");
    stats.records
}

#[test]
fn real_log_round_trips_through_avro_exactly() {
    let Some(dir) = real_data("perx", "real_log_round_trips_through_avro_exactly") else {
        return;
    };
    for codec in [
        AvroCodec::Zstd,
        AvroCodec::Null,
        AvroCodec::Deflate,
        AvroCodec::Snappy,
    ] {
        assert_eq!(
            round_trip(&dir.join("http_log.txt"), codec),
            16000,
            "{codec:?}"
        );
    }
}

#[test]
fn sample_log_round_trips_and_sidecar_lists_bad_lines() {
    let text = crate::util::sample_dir().join("http_log.txt");
    let good = round_trip(&text, AvroCodec::Zstd);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s.avro");
    let mut seen = Vec::new();
    let (stats, _) = avro::convert_file(
        &text,
        &out,
        AvroCodec::Zstd,
        &mut |r| seen.push(r.line_no),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(stats.records, good);
    assert_eq!(stats.records + stats.rejected, stats.lines);
    let mut sidecar = Vec::new();
    avro::read_sidecar(&avro::sidecar_path(&out), &mut |r| -> Result<
        (),
        avro::AvroError,
    > {
        sidecar.push(r);
        Ok(())
    })
    .unwrap();
    let numbers: Vec<u64> = sidecar.iter().map(|r| r.line_no).collect();
    assert_eq!(numbers, seen);
    assert_eq!(
        numbers,
        perx::sample::bad_line_numbers(perx::sample::DEFAULT_LOG_LINES)
    );
}

#[test]
fn avro_of_another_schema_is_refused_with_advice() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("other.avro");
    let schema =
        Schema::parse_str(r#"{"type":"record","name":"x","fields":[{"name":"a","type":"long"}]}"#)
            .unwrap();
    let mut w = apache_avro::Writer::new(&schema, Vec::new()).unwrap();
    w.append_value(apache_avro::types::Value::Record(vec![(
        "a".into(),
        apache_avro::types::Value::Long(1),
    )]))
    .unwrap();
    std::fs::write(&path, w.into_inner().unwrap()).unwrap();
    let err = avro::open(&path).err().expect("refused");
    let msg = err.to_string();
    assert!(msg.contains("not perx's http_log schema"), "{msg}");
    assert!(msg.contains("perx convert-log"), "{msg}");
}
