//! Properties of value decoding and formatting (`core::value`):
//!
//! - `parse_date`, `parse_time`, `parse_timestamp`, `parse_uuid` and
//!   `check_decimal` never panic, on any string, nor on strings shaped
//!   almost like what they read (so that every branch and every overflow
//!   is reached);
//! - format then parse gives back exactly what was formatted, for every
//!   date (i32 days), time of day, timestamp (i64 µs, with and without
//!   zone, and at any whole-minute offset parse takes), uuid, and double
//!   (Rust's shortest text reads back to the same bits; it is also a
//!   decimal `check_decimal` takes), and for decimals in keel's grammar;
//! - `check_decimal` takes nothing Rust's own f64 parser refuses;
//! - every conversion (`as_*`, `write_text`) of every value returns a
//!   value or an error, never a panic.

mod prop_util;

use keel::ValueRef;
use keel::core::value::{
    MICROS_PER_DAY, check_decimal, format_date, format_double, format_time, format_timestamp, format_timestamptz_at,
    format_uuid, is_formatted_timestamp, parse_date, parse_time, parse_timestamp, parse_uuid,
};
use proptest::prelude::*;
use proptest::sample::select;

const FILE: &str = "proptest-regressions/prop_value.txt";

fn cfg(cases: u32) -> ProptestConfig {
    prop_util::config(FILE, cases)
}

fn fmt(f: impl FnOnce(&mut String)) -> String {
    let mut s = String::new();
    f(&mut s);
    s
}

/// Text shaped almost like a date, time, timestamp, uuid or decimal.
fn almost() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+-]?[0-9]{1,9}-[0-9]{1,3}-[0-9]{1,3}",
        "[+-]?[0-9]{4,8}-[01][0-9]-[0-3][0-9]([ T][0-2][0-9]:[0-5][0-9](:[0-6][0-9](\\.[0-9]{0,8})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{0,2})?)?",
        "[0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3}(\\.[0-9]{0,9})?)?",
        "[0-9a-fA-F-]{30,38}",
        "[+-]?[0-9]{0,5}(\\.[0-9]{0,5})?([eE][+-]?[0-9]{0,3})?",
        select(vec!["NaN", "Infinity", "-Infinity", "+Infinity", "inf", "nan", "-", "+", ".", "e5", "1e", "1.e5"]).prop_map(String::from),
    ]
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![almost(), "\\PC{0,40}".boxed(), any::<String>().boxed()]
}

proptest! {
    #![proptest_config(cfg(5000))]

    #[test]
    fn parsers_never_panic(s in any_text()) {
        let _ = parse_date(&s);
        let _ = parse_time(&s);
        let _ = parse_timestamp(&s);
        let _ = parse_uuid(&s);
        let _ = check_decimal(&s);
    }

    #[test]
    fn dates_round_trip(d in prop_oneof![any::<i32>(), -800_000i32..3_000_000]) {
        let s = fmt(|o| format_date(d, o));
        prop_assert_eq!(parse_date(&s).map_err(|e| e.message), Ok(d), "{}", s);
        // A date is a timestamp at midnight, when it fits one.
        if let Some(us) = (d as i64).checked_mul(MICROS_PER_DAY) {
            prop_assert_eq!(parse_timestamp(&s).map_err(|e| e.message), Ok((us, false)), "{}", s);
        }
    }

    #[test]
    fn times_round_trip(t in prop_oneof![0..MICROS_PER_DAY, (0..86_400i64).prop_map(|s| s * 1_000_000)]) {
        let s = fmt(|o| format_time(t, o));
        prop_assert_eq!(parse_time(&s).map_err(|e| e.message), Ok(t), "{}", s);
    }

    #[test]
    fn timestamps_round_trip(t in prop_oneof![any::<i64>(), -1i64 << 50..1i64 << 50, select(vec![i64::MIN, i64::MAX, 0, -1])], zoned in any::<bool>()) {
        let s = fmt(|o| format_timestamp(t, zoned, o));
        prop_assert_eq!(parse_timestamp(&s).map_err(|e| e.message), Ok((t, zoned)), "{}", s);
        let iso = s.replacen(' ', "T", 1);
        prop_assert_eq!(parse_timestamp(&iso).map_err(|e| e.message), Ok((t, zoned)), "{}", iso);
    }

    /// `is_formatted_timestamp` says yes to exactly the text
    /// `format_timestamp` writes: every timestamp of years 0 to 9999, as
    /// written, and any text it takes formats back to itself once parsed
    /// (so SQLite's TIMESTAMP text it takes is handed out as it is).
    #[test]
    fn formatted_timestamps_are_recognized(t in -62_167_219_200_000_000i64..253_402_300_800_000_000, s in prop_oneof![
        any_text(),
        "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-4]):[0-5][0-9]:[0-6][0-9](\\.[0-9]{6})?",
    ]) {
        let w = fmt(|o| format_timestamp(t, false, o));
        prop_assert!(is_formatted_timestamp(w.as_bytes()), "{}", w);
        if is_formatted_timestamp(s.as_bytes()) {
            let (v, zoned) = parse_timestamp(&s).map_err(|e| TestCaseError::fail(format!("{s:?}: {}", e.message)))?;
            prop_assert!(!zoned);
            prop_assert_eq!(fmt(|o| format_timestamp(v, false, o)), s);
        }
    }

    #[test]
    fn unformatted_timestamps_are_not_taken(s in prop_oneof![
        Just("2024-02-30 00:00:00".to_owned()), Just("2023-02-29 12:00:00".to_owned()),
        Just("2024-01-01 00:00:00.000000".to_owned()), Just("2024-01-01T00:00:00".to_owned()),
        Just("2024-01-01 24:00:00".to_owned()), Just("2024-01-01 00:00:60".to_owned()),
        Just("2024-01-01 00:00:00.5".to_owned()), Just("2024-01-01 00:00:00Z".to_owned()),
        Just("+12345-01-01 00:00:00".to_owned()), Just("2024-01-01".to_owned()),
    ]) {
        prop_assert!(!is_formatted_timestamp(s.as_bytes()), "{}", s);
    }

    #[test]
    fn timestamps_at_an_offset_round_trip(t in -1i64 << 58..1i64 << 58, minutes in -(15 * 60 + 59)..=(15 * 60 + 59i32)) {
        let s = fmt(|o| format_timestamptz_at(t, minutes * 60, o));
        prop_assert_eq!(parse_timestamp(&s).map_err(|e| e.message), Ok((t, true)), "{}", s);
    }

    #[test]
    fn uuids_round_trip(u in any::<[u8; 16]>(), upper in any::<bool>(), plain in any::<bool>()) {
        let mut s = fmt(|o| format_uuid(&u, o));
        prop_assert_eq!(s.len(), 36);
        if upper { s = s.to_uppercase(); }
        if plain { s.retain(|c| c != '-'); }
        prop_assert_eq!(parse_uuid(&s).map_err(|e| e.message), Ok(u), "{}", s);
    }

    #[test]
    fn doubles_round_trip(x in prop_oneof![any::<f64>(), select(vec![0.0, -0.0, f64::MIN_POSITIVE, f64::MAX, f64::MIN, 5e-324, f64::EPSILON, 0.1, 1e21, 1e-7])]) {
        let s = fmt(|o| format_double(x, o));
        let back: f64 = s.parse().map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
        prop_assert!(back.to_bits() == x.to_bits() || (x.is_nan() && back.is_nan()), "{} gave {}", x, s);
        prop_assert!(check_decimal(&s).is_ok(), "{}", s);
        // Short as well as exact: 17 digits, a sign, a point and an
        // exponent ("-1.7976931348623157e308") at most.
        prop_assert!(s.len() <= 24, "{} gave {} ({} chars)", x, s, s.len());
    }

    #[test]
    fn decimals_in_the_grammar_are_taken(s in "[+-]?([0-9]{1,30}(\\.[0-9]{0,30})?|\\.[0-9]{1,30})([eE][+-]?[0-9]{1,4})?") {
        prop_assert!(check_decimal(&s).is_ok(), "{}", s);
    }

    #[test]
    fn check_decimal_takes_only_numbers(s in any_text()) {
        if check_decimal(&s).is_ok() {
            prop_assert!(s.parse::<f64>().is_ok(), "{:?} taken as a decimal", s);
        }
    }

    #[test]
    fn conversions_never_panic(k in 0u8..14, n in prop_oneof![any::<i64>(), select(vec![i64::MIN, i64::MAX, 0, -1, i32::MAX as i64, i32::MIN as i64])], t in any_text(), u in any::<[u8; 16]>()) {
        let v = match k {
            0 => ValueRef::Null,
            1 => ValueRef::Bool(n & 1 == 1),
            2 => ValueRef::Int64(n),
            3 => ValueRef::Uint64(n as u64),
            4 => ValueRef::Double(f64::from_bits(n as u64)),
            5 => ValueRef::Text(&t),
            6 => ValueRef::Bytes(t.as_bytes()),
            7 => ValueRef::Date(n as i32),
            8 => ValueRef::Time(n),
            9 => ValueRef::Timestamp(n),
            10 => ValueRef::Timestamptz(n),
            11 => ValueRef::Uuid(u),
            12 => ValueRef::Json(&t),
            _ => ValueRef::Decimal(&t),
        };
        let mut s = String::new();
        let _ = v.write_text(&mut s);
        let _ = (v.as_i64(), v.as_u64(), v.as_f64(), v.as_bool(), v.as_date(), v.as_time(), v.as_timestamp(), v.as_uuid(), v.as_bytes());
        if let Ok(us) = v.as_timestamp() {
            // A date read as a timestamp is its midnight.
            if let ValueRef::Date(d) = v {
                prop_assert_eq!(us, d as i64 * MICROS_PER_DAY);
            }
        }
    }
}
