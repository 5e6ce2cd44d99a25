//! The sources a user names (trees, logs): one collection for the snapshot and the live
//! sources alike, so a name has one spelling wherever it is looked up, replaced or written;
//! and every source's parts under its key, in one collection of them.

/// Named entries, a name matched without regard to ASCII case: the names are Windows file
/// and folder names (`ServiceConnectionTool.log`, `UpdatePacks`), which Windows matches so,
/// and rules name them as users type them. Kept in the order named, which reports and
/// `collect` keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByName<T> {
    entries: Vec<(String, T)>,
}

impl<T> Default for ByName<T> {
    fn default() -> Self {
        ByName { entries: Vec::new() }
    }
}

impl<T> ByName<T> {
    /// The entry named `name` in any case.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.entry(name).map(|(_, value)| value)
    }

    /// The entry named `name` in any case, with its name as it was spelt.
    pub fn entry(&self, name: &str) -> Option<(&str, &T)> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(n, value)| (n.as_str(), value))
    }

    /// Names `value` `name`, in place of an entry of the same name in any case (which takes
    /// the new spelling): the name replaced, as it was spelt, if there was one. Two entries
    /// never differ by case alone, or `check` would read one and `collect` write both.
    pub fn set(&mut self, name: String, value: T) -> Option<String> {
        match self.entries.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            Some(entry) => Some(std::mem::replace(entry, (name, value)).0),
            None => {
                self.entries.push((name, value));
                None
            }
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, (String, T)> {
        self.entries.iter()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(name, _)| name.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a, T> IntoIterator for &'a ByName<T> {
    type Item = &'a (String, T);
    type IntoIter = std::slice::Iter<'a, (String, T)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

/// Collected as if named one after another: a later name replaces an earlier one alike.
impl<T> FromIterator<(String, T)> for ByName<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        let mut named = ByName::default();
        for (name, value) in iter {
            named.set(name, value);
        }
        named
    }
}

/// Every source's parts, under the source's key (`logs`, `console`): the snapshot's
/// artifacts and the live paths alike. A source of a few fixed files keeps them under the
/// manifest's keys (`updates`, `allowlist`), one read by name under the names, one of many
/// under their positions (`1`, `2`); `sources::shape` says which, once per shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BySource<T> {
    sources: Vec<(&'static str, ByName<T>)>,
}

impl<T> Default for BySource<T> {
    fn default() -> Self {
        BySource { sources: Vec::new() }
    }
}

impl<T> BySource<T> {
    /// The parts of the source keyed `source` (none when it has none).
    pub fn of(&self, source: &str) -> Option<&ByName<T>> {
        self.sources
            .iter()
            .find(|(key, _)| *key == source)
            .map(|(_, parts)| parts)
    }

    /// The parts of the source keyed `source`, to add to.
    pub fn of_mut(&mut self, source: &'static str) -> &mut ByName<T> {
        let at = match self.sources.iter().position(|(key, _)| *key == source) {
            Some(at) => at,
            None => {
                self.sources.push((source, ByName::default()));
                self.sources.len() - 1
            }
        };
        &mut self.sources[at].1
    }

    /// The parts of the source keyed `source`, in the order named.
    pub fn iter_of(&self, source: &str) -> std::slice::Iter<'_, (String, T)> {
        self.of(source).map_or([].iter(), ByName::iter)
    }

    pub fn is_empty(&self) -> bool {
        self.sources.iter().all(|(_, parts)| parts.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::ByName;

    #[test]
    fn a_name_in_another_case_is_the_same_entry() {
        let mut trees = ByName::default();
        assert_eq!(trees.set("Pack".to_owned(), "a"), None);
        assert_eq!(trees.get("PACK"), Some(&"a"));
        assert_eq!(trees.set("pack".to_owned(), "b"), Some("Pack".to_owned()));
        assert_eq!(trees.iter().collect::<Vec<_>>(), [&("pack".to_owned(), "b")]);
    }
}
