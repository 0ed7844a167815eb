//! Links from one group of customers that share a key: every pair from different sources,
//! unless the key is shared by too many customers to say anything (a switchboard number, an
//! `info@` address, a generic name).

use crate::link::keys::{KeyColumn, KeyEntry};

/// What the two customers of a link share (the `match_key` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum MatchKey {
    /// A number in `phone`, `fax`, or a mobile column on only one side.
    Phone,
    /// A number both hold as their mobile.
    Mobile,
    /// The normalised e-mail address.
    Email,
    /// The company-name key.
    Name,
}

impl MatchKey {
    /// The name in the `match_key` column and the manifest.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Mobile => "mobile",
            Self::Email => "email",
            Self::Name => "name",
        }
    }
}

/// Confidence of a name link whose key has at least this many characters.
const LONG_NAME_CHARS: usize = 6;
/// Confidence of a link by an exact normalised phone number or e-mail address.
pub(crate) const EXACT_CONFIDENCE: f64 = 1.0;
/// Confidence of a name link with a long key.
pub(crate) const LONG_NAME_CONFIDENCE: f64 = 0.8;
/// Confidence of a name link with a short key (short names repeat more often).
pub(crate) const SHORT_NAME_CONFIDENCE: f64 = 0.6;

/// One link: `left` sorts before `right` (by side index, then customer id).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Link {
    pub(crate) left_side: u32,
    pub(crate) left_customer_id: Box<str>,
    pub(crate) right_side: u32,
    pub(crate) right_customer_id: Box<str>,
    pub(crate) match_key: MatchKey,
    pub(crate) match_value: Box<str>,
    pub(crate) confidence: f64,
}

/// What one key group gave.
#[derive(Debug, Default)]
pub(crate) struct GroupLinks {
    pub(crate) links: Vec<Link>,
    /// The group's key kind when it was shared by more than the fan-out limit.
    pub(crate) skipped: Option<MatchKey>,
}

/// One customer of a group, with whether it holds the key (only) as a mobile.
struct Member<'a> {
    side: u32,
    customer_id: &'a str,
    mobile_only: bool,
}

/// The links of one group of entries with equal keys, sorted by (side, customer id) as
/// [`crate::link::sorted_keys`] yields them. A group of more than `max_fanout` distinct
/// customers gives no links.
pub(crate) fn group_links(group: &[KeyEntry], max_fanout: usize) -> GroupLinks {
    let Some(first) = group.first() else {
        return GroupLinks::default();
    };
    let mut members: Vec<Member<'_>> = Vec::new();
    for entry in group {
        let is_mobile = entry.column == KeyColumn::Mobile;
        match members.last_mut() {
            Some(last) if last.side == entry.side && last.customer_id == &*entry.customer_id => {
                last.mobile_only &= is_mobile;
            }
            _ => members.push(Member {
                side: entry.side,
                customer_id: &entry.customer_id,
                mobile_only: is_mobile,
            }),
        }
    }
    let kind = match first.column {
        KeyColumn::Email => MatchKey::Email,
        KeyColumn::Name => MatchKey::Name,
        KeyColumn::Phone | KeyColumn::Mobile | KeyColumn::Fax => MatchKey::Phone,
    };
    let one_side = members.iter().all(|m| m.side == members[0].side);
    if members.len() < 2 || one_side {
        return GroupLinks::default();
    }
    if members.len() > max_fanout {
        // Counted under the key its links would have had: a number every member holds as a
        // mobile is a mobile key.
        let skipped = match kind {
            MatchKey::Phone if members.iter().all(|m| m.mobile_only) => MatchKey::Mobile,
            other => other,
        };
        return GroupLinks {
            links: Vec::new(),
            skipped: Some(skipped),
        };
    }
    let value = first.value();
    let mut links = Vec::new();
    for (i, left) in members.iter().enumerate() {
        for right in members.iter().skip(i + 1).filter(|r| r.side != left.side) {
            let match_key = match kind {
                MatchKey::Phone if left.mobile_only && right.mobile_only => MatchKey::Mobile,
                other => other,
            };
            links.push(Link {
                left_side: left.side,
                left_customer_id: left.customer_id.into(),
                right_side: right.side,
                right_customer_id: right.customer_id.into(),
                match_key,
                match_value: value.into(),
                confidence: confidence(match_key, value),
            });
        }
    }
    GroupLinks {
        links,
        skipped: None,
    }
}

/// 1.0 for an exact phone, mobile or e-mail match; for a name, 0.8 with a key of at least
/// [`LONG_NAME_CHARS`] characters, else 0.6.
fn confidence(key: MatchKey, value: &str) -> f64 {
    match key {
        MatchKey::Name if value.chars().count() >= LONG_NAME_CHARS => LONG_NAME_CONFIDENCE,
        MatchKey::Name => SHORT_NAME_CONFIDENCE,
        _ => EXACT_CONFIDENCE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, side: u32, id: &str, column: KeyColumn) -> KeyEntry {
        KeyEntry {
            key: key.into(),
            side,
            customer_id: id.into(),
            column,
        }
    }

    #[test]
    fn pairs_across_sides_only_labelled_by_column() {
        let mut group = vec![
            entry("t+8613811388661", 0, "u1", KeyColumn::Mobile),
            entry("t+8613811388661", 0, "u2", KeyColumn::Mobile),
            entry("t+8613811388661", 1, "y1", KeyColumn::Mobile),
            entry("t+8613811388661", 2, "y9", KeyColumn::Phone),
        ];
        group.sort();
        let links = group_links(&group, 20).links;
        let pairs: Vec<(&str, &str, &str)> = links
            .iter()
            .map(|l| {
                (
                    &*l.left_customer_id,
                    &*l.right_customer_id,
                    l.match_key.as_str(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("u1", "y1", "mobile"),
                ("u1", "y9", "phone"),
                ("u2", "y1", "mobile"),
                ("u2", "y9", "phone"),
                ("y1", "y9", "phone"),
            ]
        );
        assert!(
            links
                .iter()
                .all(|l| l.match_value.as_ref() == "+8613811388661")
        );
        assert!(links.iter().all(|l| l.confidence == EXACT_CONFIDENCE));
    }

    #[test]
    fn one_customer_with_a_key_in_two_columns_counts_once() {
        let group = vec![
            entry("t+861062345678", 0, "u1", KeyColumn::Phone),
            entry("t+861062345678", 0, "u1", KeyColumn::Mobile),
            entry("t+861062345678", 1, "y1", KeyColumn::Mobile),
        ];
        let links = group_links(&group, 20).links;
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].match_key, MatchKey::Phone);
    }

    #[test]
    fn keys_shared_too_widely_give_no_links_and_are_counted() {
        let group: Vec<KeyEntry> = (0..21)
            .map(|i| {
                entry(
                    "einfo@example.com",
                    i % 2,
                    &format!("c{i:02}"),
                    KeyColumn::Email,
                )
            })
            .collect();
        let mut sorted = group.clone();
        sorted.sort();
        let outcome = group_links(&sorted, 20);
        assert!(outcome.links.is_empty());
        assert_eq!(outcome.skipped, Some(MatchKey::Email));
        assert!(group_links(&sorted[..20], 20).skipped.is_none());
    }

    #[test]
    fn a_mobile_shared_too_widely_is_counted_as_mobile() {
        let mut mobiles = vec![
            entry("t+8613811388661", 0, "u1", KeyColumn::Mobile),
            entry("t+8613811388661", 1, "y1", KeyColumn::Mobile),
        ];
        mobiles.sort();
        assert_eq!(group_links(&mobiles, 1).skipped, Some(MatchKey::Mobile));
        let mut mixed = vec![
            entry("t+8613811388661", 0, "u1", KeyColumn::Mobile),
            entry("t+8613811388661", 1, "y1", KeyColumn::Phone),
        ];
        mixed.sort();
        assert_eq!(group_links(&mixed, 1).skipped, Some(MatchKey::Phone));
    }

    #[test]
    fn name_confidence_depends_on_the_key_length() {
        let long = [
            entry("n北京华信科技", 0, "u", KeyColumn::Name),
            entry("n北京华信科技", 1, "y", KeyColumn::Name),
        ];
        let short = [
            entry("n华信", 0, "u", KeyColumn::Name),
            entry("n华信", 1, "y", KeyColumn::Name),
        ];
        assert_eq!(
            group_links(&long, 20).links[0].confidence,
            LONG_NAME_CONFIDENCE
        );
        assert_eq!(
            group_links(&short, 20).links[0].confidence,
            SHORT_NAME_CONFIDENCE
        );
        let same_side = [
            entry("n华信", 0, "u", KeyColumn::Name),
            entry("n华信", 0, "v", KeyColumn::Name),
        ];
        assert!(group_links(&same_side, 20).links.is_empty());
    }
}
