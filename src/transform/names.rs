//! One name table per option enum: parsing, the canonical name and the list in error messages
//! all read the same table, so adding a value is one line.

/// Every value's canonical name (the first entry for a value) and its aliases.
pub struct Names<T: 'static> {
    pub table: &'static [(&'static str, T)],
}

impl<T: Copy + PartialEq> Names<T> {
    pub fn parse(&self, s: &str) -> Option<T> {
        self.table.iter().find(|(name, _)| *name == s).map(|(_, v)| *v)
    }

    /// The canonical name: the first one the table gives `value`.
    pub fn name(&self, value: T) -> Option<&'static str> {
        self.table.iter().find(|(_, v)| *v == value).map(|(name, _)| *name)
    }

    /// The canonical names, for error messages ("one of a, b, c").
    pub fn list(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for (name, value) in self.table {
            if self.name(*value) == Some(name) {
                names.push(name);
            }
        }
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_name_is_canonical_and_aliases_parse() {
        const N: Names<u8> = Names { table: &[("one", 1), ("two", 2), ("2", 2)] };
        assert_eq!((N.parse("2"), N.parse("two"), N.parse("three")), (Some(2), Some(2), None));
        assert_eq!((N.name(2), N.name(3)), (Some("two"), None));
        assert_eq!(N.list(), "one, two");
    }
}
