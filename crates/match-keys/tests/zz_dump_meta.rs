// TEMPORARY: dumps metadata, to be deleted.
use rlibphonenumber::interfaces::AsOriginal;
use rlibphonenumber::{PHONE_NUMBER_UTIL, Region};

#[test]
#[ignore]
fn dump() {
    let inner = PHONE_NUMBER_UTIL.as_original();
    for region in [Region::CN, Region::US, Region::DE] {
        let m = inner.get_metadata_for_region(region).unwrap();
        println!(
            "=== {region:?} cc={} intl={:?} npfp={:?} ntr={:?} np={:?} same={} leading={:?}",
            m.original.country_code(),
            m.international_prefix().pattern_base,
            m.national_prefix_for_parsing().pattern_base,
            m.original.national_prefix_transform_rule(),
            m.original.national_prefix(),
            m.original.same_mobile_and_fixed_line_pattern(),
            m.leading_digits().pattern_base,
        );
        for (name, d) in [
            ("general", &m.general_desc),
            ("fixed", &m.fixed_line),
            ("mobile", &m.mobile),
            ("toll_free", &m.toll_free),
            ("premium", &m.premium_rate),
            ("shared", &m.shared_cost),
            ("personal", &m.personal_number),
            ("voip", &m.voip),
            ("pager", &m.pager),
            ("uan", &m.uan),
            ("voicemail", &m.voicemail),
        ] {
            println!(
                "-- {name}: lengths={:?} local={:?}\n   {:?}",
                d.original.possible_length,
                d.original.possible_length_local_only,
                d.national_number_pattern().pattern_base
            );
        }
    }
}
