//! The log-line parser: never panics; an accepted line formats back to the same values;
//! a reject's reason never carries a control character (it is printed on terminals).
#![no_main]

use libfuzzer_sys::fuzz_target;
use perx_fuzz::core::logline::parse_line;
use perx_fuzz::core::timestamp;
use perx_fuzz::term::visible;

fuzz_target!(|data: &[u8]| {
    match parse_line(data) {
        Ok(ev) => {
            assert!(timestamp::in_range(ev.ts), "accepted an out-of-range instant");
            let again = format!(
                "{} {} {} {}",
                ev.ts.to_rfc3339(),
                ev.http_method,
                ev.http_path,
                ev.user_id
            );
            let back = parse_line(again.as_bytes()).expect("a formatted event parses");
            assert_eq!(back.ts, ev.ts);
            assert_eq!(back.http_method, ev.http_method);
            assert_eq!(back.http_path, ev.http_path);
            assert_eq!(back.user_id, ev.user_id);
            assert_eq!(back.kind, ev.kind);
            assert_eq!(back.item_id, ev.item_id);
        }
        Err(reason) => {
            let text = reason.to_string();
            assert!(
                !text.chars().any(|c| c.is_control()),
                "reason holds a control character: {text:?}"
            );
            assert!(text.starts_with(reason.code()));
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let shown = visible(s);
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            "visible() let a control character through"
        );
    }
});
