//! The deskphone digit map: syntax, matching as digits arrive, errors.

use phone::device::{DigitMap, DigitMapError, MapMatch, DEFAULT_DIGIT_MAP};

fn map(text: &str) -> DigitMap {
    DigitMap::parse(text).unwrap()
}

#[test]
fn default_map_classifies_as_digits_arrive() {
    let m = DigitMap::default();
    assert_eq!(m.as_str(), DEFAULT_DIGIT_MAP);
    let cases = [
        ("", MapMatch::Partial),
        ("2", MapMatch::Partial),
        ("200", MapMatch::Partial),
        ("2002", MapMatch::Complete),
        ("20021", MapMatch::NoMatch),
        ("1", MapMatch::Partial),
        ("1002", MapMatch::Complete),
        ("0", MapMatch::Partial),
        ("00", MapMatch::NoMatch),
        ("01", MapMatch::CompleteOrLonger),
        ("0123456789", MapMatch::CompleteOrLonger),
        ("9", MapMatch::Partial),
        ("91", MapMatch::Partial),
        ("911", MapMatch::CompleteOrLonger),
        ("9112", MapMatch::Complete),
        ("*", MapMatch::Partial),
        ("*7", MapMatch::Partial),
        ("*72", MapMatch::Complete),
        ("*7*", MapMatch::NoMatch),
        ("2#", MapMatch::NoMatch),
        ("2a", MapMatch::NoMatch),
    ];
    for (digits, expected) in cases {
        assert_eq!(m.classify(digits), expected, "{digits:?}");
    }
}

#[test]
fn sets_ranges_repeats_and_parentheses() {
    let m = map("( [135-7*]x. | 4[0-2] )");
    assert_eq!(m.as_str(), "([135-7*]x.|4[0-2])");
    assert_eq!(m.classify("1"), MapMatch::CompleteOrLonger);
    assert_eq!(m.classify("2"), MapMatch::NoMatch);
    assert_eq!(m.classify("6123"), MapMatch::CompleteOrLonger);
    assert_eq!(m.classify("*1"), MapMatch::CompleteOrLonger);
    assert_eq!(m.classify("42"), MapMatch::Complete);
    assert_eq!(m.classify("43"), MapMatch::NoMatch);
    // A repeated element in the middle may be skipped or taken many times.
    let m = map("1x.2");
    assert_eq!(m.classify("12"), MapMatch::CompleteOrLonger);
    assert_eq!(m.classify("1552"), MapMatch::CompleteOrLonger);
    assert_eq!(m.classify("155"), MapMatch::Partial);
    assert_eq!("911".parse::<DigitMap>().unwrap().to_string(), "911");
}

#[test]
fn bad_maps_are_refused() {
    assert_eq!(DigitMap::parse(""), Err(DigitMapError::Empty));
    assert_eq!(DigitMap::parse("2xxx||3"), Err(DigitMapError::Empty));
    assert_eq!(DigitMap::parse(".2"), Err(DigitMapError::Unexpected { at: 0, found: '.' }));
    assert_eq!(DigitMap::parse("2x.."), Err(DigitMapError::Unexpected { at: 3, found: '.' }));
    assert_eq!(DigitMap::parse("2#"), Err(DigitMapError::Unexpected { at: 1, found: '#' }));
    assert_eq!(DigitMap::parse("[2-"), Err(DigitMapError::BadSet(0)));
    assert_eq!(DigitMap::parse("1[]"), Err(DigitMapError::BadSet(1)));
    assert_eq!(DigitMap::parse("[9-2]"), Err(DigitMapError::BadSet(0)));
}
