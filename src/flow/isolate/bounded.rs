//! What an isolate remembers across requests (render counts, an origin's refusals and validators)
//! is bounded in bytes, not in entries: a key can be a kilobyte and an origin's header tens of
//! kilobytes, so ten thousand entries could be hundreds of megabytes of a 128 MB isolate. Past
//! its bound a map drops what has expired, then everything but the entry being written (it only
//! remembers to spare work; forgetting costs a fetch or a fresh count, never a wrong answer).

use std::collections::HashMap;

/// Which entries go first when a map is over its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// Past its time: dropped first.
    Expired,
    /// Cheap to forget (a count far from its bound): dropped next.
    Expendable,
    /// Dropped only when nothing else is left.
    Live,
}

/// Bytes counted for an entry beside its key and value (the table's slot, the `String`'s header).
const ENTRY_OVERHEAD: usize = 64;

/// A map from keys to `V` that holds at most `max_bytes` by `weigh`'s count.
pub struct Bounded<V> {
    entries: HashMap<String, (V, usize)>,
    bytes: usize,
    max_bytes: usize,
    /// The heap bytes a value holds beyond its own size (strings, sets).
    weigh: fn(&V) -> usize,
}

impl<V> Bounded<V> {
    pub fn new(max_bytes: usize, weigh: fn(&V) -> usize) -> Bounded<V> {
        Bounded { entries: HashMap::new(), bytes: 0, max_bytes, weigh }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries.get(key).map(|(v, _)| v)
    }

    /// The bytes held now, by the same count as the bound.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let (value, weight) = self.entries.remove(key)?;
        self.bytes -= weight;
        Some(value)
    }

    /// Inserts or replaces `key`'s value, making room as [`Bounded::update`] does. An entry
    /// larger than the whole bound is not kept.
    pub fn insert(&mut self, key: String, value: V, expired: impl Fn(&V) -> bool) {
        self.insert_ranked(key, value, |v| if expired(v) { Rank::Expired } else { Rank::Live })
    }

    /// As [`Bounded::insert`], making room by rank: the expired first, then the expendable.
    pub fn insert_ranked(&mut self, key: String, value: V, rank: impl Fn(&V) -> Rank) {
        self.remove(&key);
        let weight = self.weight(&key, &value);
        if weight > self.max_bytes {
            return;
        }
        self.bytes += weight;
        self.entries.insert(key.clone(), (value, weight));
        self.make_room(&key, rank);
    }

    /// Changes `key`'s value in place and weighs it again; when the map is then over its bound,
    /// the expired entries go, then all others. `None` when there is no such entry.
    pub fn update<R>(&mut self, key: &str, change: impl FnOnce(&mut V) -> R, expired: impl Fn(&V) -> bool) -> Option<R> {
        self.update_ranked(key, change, |v| if expired(v) { Rank::Expired } else { Rank::Live })
    }

    /// As [`Bounded::update`], making room by rank.
    pub fn update_ranked<R>(&mut self, key: &str, change: impl FnOnce(&mut V) -> R, rank: impl Fn(&V) -> Rank) -> Option<R> {
        let (value, weight) = self.entries.get_mut(key)?;
        let result = change(value);
        let new = ENTRY_OVERHEAD + key.len() + std::mem::size_of::<V>() + (self.weigh)(value);
        self.bytes = self.bytes - *weight + new;
        *weight = new;
        if new > self.max_bytes {
            self.remove(key);
        } else {
            self.make_room(key, rank);
        }
        Some(result)
    }

    fn weight(&self, key: &str, value: &V) -> usize {
        ENTRY_OVERHEAD + key.len() + std::mem::size_of::<V>() + (self.weigh)(value)
    }

    fn make_room(&mut self, keep: &str, rank: impl Fn(&V) -> Rank) {
        for above in [Rank::Expired, Rank::Expendable, Rank::Live] {
            if self.bytes <= self.max_bytes {
                return;
            }
            self.entries.retain(|k, (v, _)| k == keep || rank(v) > above);
            self.bytes = self.entries.values().map(|(_, w)| w).sum();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_and_growing_values_stay_within_the_bytes() {
        let mut map: Bounded<Vec<u64>> = Bounded::new(100_000, |v| v.capacity() * 8);
        for n in 0..10_000 {
            map.insert(format!("{n}{}", "k".repeat(1000)), Vec::new(), |_| false);
            assert!(map.bytes() <= 100_000, "{n}: {}", map.bytes());
        }
        assert!(map.len() < 100, "{}", map.len());
        let key = "grows".to_string();
        map.insert(key.clone(), Vec::new(), |_| false);
        for n in 0..5_000u64 {
            map.update(&key, |v| v.push(n), |_| false).expect("kept: it is the one being written");
            assert!(map.bytes() <= 100_000);
        }
        // Past the whole bound it is dropped rather than kept over it.
        for n in 0..20_000u64 {
            map.update(&key, |v| v.push(n), |_| false);
        }
        assert!(map.bytes() <= 100_000 && map.get(&key).is_none());
    }

    #[test]
    fn expired_entries_go_first() {
        let mut map: Bounded<bool> = Bounded::new(2_000, |_| 0);
        map.insert("live".into(), false, |expired| *expired);
        for n in 0..100 {
            map.insert(format!("old{n}"), true, |expired| *expired);
        }
        assert!(map.get("live").is_some(), "kept while only expired entries are dropped");
        assert!(map.bytes() <= 2_000);
    }
}
