//! CSV records of every export and export timestamps: no panic; accepted timestamps lie in
//! the accepted years and format back to the same instant.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perx_fuzz::core::records::{Cell, CsvSource, HeaderMap};
use perx_fuzz::core::timestamp;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(t) = timestamp::parse_utc(s) {
            let again = t.format("%Y-%m-%d %H:%M:%S%.f UTC").to_string();
            assert_eq!(timestamp::parse_utc(&again), Some(t), "{again}");
        }
    }
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let source = CsvSource::ALL[pick as usize % CsvSource::ALL.len()];
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(body);
    let mut rec = csv::StringRecord::new();
    // The first record is the header, as in a real export.
    let header = match rdr.read_record(&mut rec) {
        Ok(true) => rec.iter().map(str::to_owned).collect::<Vec<_>>(),
        _ => return,
    };
    let Ok(map) = HeaderMap::new(source, header.iter().map(String::as_str)) else {
        return;
    };
    while let Ok(true) = rdr.read_record(&mut rec) {
        let fields: Vec<&str> = rec.iter().collect();
        match map.parse(&fields) {
            Ok(cells) => {
                for c in cells {
                    if let Cell::Timestamp(t) = c {
                        assert!(timestamp::in_range(t));
                    }
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
