//! A log file's codec, read from its header, and re-encoding with another codec (for
//! engines that do not read perx's default zstandard).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use super::{AvroCodec, AvroError, RecordRef, log_writer, open};
use crate::progress::{Progress, Unit};

/// The `avro.codec` of an Avro file's header (`null` when absent, as the spec says).
pub fn codec_name(path: &Path) -> Result<String, AvroError> {
    let mut head = Vec::with_capacity(1 << 16);
    File::open(path)
        .and_then(|f| f.take(1 << 16).read_to_end(&mut head))
        .map_err(|source| AvroError::Io {
            path: path.to_owned(),
            source,
        })?;
    // The key as the header's map writes it: its length (10, zig-zag: 0x14), then the
    // bytes, so `avro.codec.compression_level` does not match.
    let key = b"\x14avro.codec";
    let Some(at) = head.windows(key.len()).position(|w| w == key) else {
        return Ok("null".into());
    };
    // The value follows as Avro bytes: a zig-zag varint length, then the bytes.
    let mut i = at + key.len();
    let (mut raw, mut shift) = (0u64, 0);
    while let Some(&b) = head.get(i) {
        raw |= u64::from(b & 0x7f) << shift;
        i += 1;
        shift += 7;
        if b & 0x80 == 0 || shift > 63 {
            break;
        }
    }
    let len = ((raw >> 1) as i64 ^ -((raw & 1) as i64)).max(0) as usize;
    let value = head.get(i..i + len).unwrap_or_default();
    Ok(String::from_utf8_lossy(value).into_owned())
}

/// Rewrites an Avro log written by [`convert`] with another codec (for engines that do not
/// read its codec); returns the records copied.
pub fn transcode(
    input: &Path,
    output: &Path,
    codec: AvroCodec,
    progress: &dyn Progress,
) -> Result<u64, AvroError> {
    let records = open(input)?;
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| AvroError::Io { path: p, source }
    };
    let out = BufWriter::new(File::create(output).map_err(io(output))?);
    let avro_err = |e: apache_avro::Error| AvroError::Avro {
        path: output.to_owned(),
        source: Box::new(e),
    };
    let mut writer = log_writer(out, codec).map_err(avro_err)?;
    progress.start("re-encoding the log", None, Unit::Rows);
    let mut n = 0u64;
    for r in records {
        let r = r?;
        writer
            .append_ser(RecordRef {
                line_no: r.line_no,
                timestamp: r.timestamp,
                http_method: &r.http_method,
                http_path: &r.http_path,
                user_id: &r.user_id,
            })
            .map_err(avro_err)?;
        n += 1;
        if n.is_multiple_of(65_536) {
            progress.advance(65_536);
        }
    }
    let mut out = writer.into_inner().map_err(avro_err)?;
    out.flush().map_err(io(output))?;
    progress.finish();
    Ok(n)
}
