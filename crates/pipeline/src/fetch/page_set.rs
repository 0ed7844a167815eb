//! The set of pages of one entity already fetched: what a resumed run skips, and what the
//! checkpoint records.

use serde::{Deserialize, Serialize};

/// A set of page numbers kept as sorted, disjoint, non-adjacent inclusive ranges, so the
/// checkpoint of a million-page entity fetched mostly in order stays a few bytes long.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<[u64; 2]>", into = "Vec<[u64; 2]>")]
pub struct PageSet {
    ranges: Vec<[u64; 2]>,
}

impl PageSet {
    /// Adds `page`; returns false when it was already there.
    pub fn insert(&mut self, page: u64) -> bool {
        let i = self.ranges.partition_point(|r| r[1] < page);
        if self.ranges.get(i).is_some_and(|r| r[0] <= page) {
            return false;
        }
        let join_left = i > 0 && self.ranges[i - 1][1].checked_add(1) == Some(page);
        let join_right = self
            .ranges
            .get(i)
            .is_some_and(|r| page.checked_add(1) == Some(r[0]));
        match (join_left, join_right) {
            (true, true) => {
                self.ranges[i - 1][1] = self.ranges[i][1];
                self.ranges.remove(i);
            }
            (true, false) => self.ranges[i - 1][1] = page,
            (false, true) => self.ranges[i][0] = page,
            (false, false) => self.ranges.insert(i, [page, page]),
        }
        true
    }

    /// Whether `page` is in the set.
    pub fn contains(&self, page: u64) -> bool {
        let i = self.ranges.partition_point(|r| r[1] < page);
        self.ranges.get(i).is_some_and(|r| r[0] <= page)
    }

    /// Pages in the set.
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|r| r[1] - r[0] + 1).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

impl TryFrom<Vec<[u64; 2]>> for PageSet {
    type Error = String;

    fn try_from(ranges: Vec<[u64; 2]>) -> Result<Self, String> {
        for (i, r) in ranges.iter().enumerate() {
            if r[0] == 0 || r[0] > r[1] {
                return Err(format!("page range {r:?} is not a range of pages from 1"));
            }
            if i > 0 && ranges[i - 1][1].saturating_add(1) >= r[0] {
                return Err(format!("page ranges are not sorted and apart at {r:?}"));
            }
        }
        Ok(Self { ranges })
    }
}

impl From<PageSet> for Vec<[u64; 2]> {
    fn from(set: PageSet) -> Self {
        set.ranges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_set_merges_ranges_in_any_order() {
        let mut set = PageSet::default();
        for page in [5, 1, 3, 2, 4, 9, 7, 8] {
            assert!(set.insert(page));
        }
        assert!(!set.insert(3));
        assert_eq!(set.ranges, vec![[1, 5], [7, 9]]);
        assert_eq!(set.len(), 8);
        assert!(set.contains(1) && set.contains(9) && !set.contains(6) && !set.contains(10));
        assert!(set.insert(6));
        assert_eq!(set.ranges, vec![[1, 9]]);
        let json = serde_json::to_string(&set).expect("encodes");
        assert_eq!(json, "[[1,9]]");
        assert_eq!(serde_json::from_str::<PageSet>(&json).ok(), Some(set));
    }

    #[test]
    fn page_set_refuses_unsorted_or_overlapping_ranges() {
        for bad in [
            "[[3,1]]",
            "[[0,2]]",
            "[[1,4],[3,6]]",
            "[[1,2],[3,4]]",
            "[[5,6],[1,2]]",
        ] {
            assert!(serde_json::from_str::<PageSet>(bad).is_err(), "{bad}");
        }
    }
}
