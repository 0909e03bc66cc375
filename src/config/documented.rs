//! docs/configuration.md against the code (issue #37): every variable the reader asks for is on
//! the page, every variable on the page is read, and each documented default, given back as the
//! variable's value, leaves the configuration as it was (so the page cannot drift from
//! `Config::default`).

use super::Config;

const PAGE: &str = include_str!("../../docs/configuration.md");
const READERS: [&str; 2] = [include_str!("read.rs"), include_str!("origin.rs")];

/// `(names, defaults)` per table row: the backquoted names of the first cell, the backquoted
/// values of the second (none for "—" or "(empty …)").
fn rows() -> Vec<(Vec<String>, Vec<String>)> {
    let quoted = |cell: &str| cell.split('`').skip(1).step_by(2).map(String::from).collect::<Vec<_>>();
    PAGE.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            (quoted(cells[0]), quoted(cells.get(1).copied().unwrap_or("")))
        })
        .collect()
}

/// The names the reader asks for: every quoted upper-case name in its code (its tests left out),
/// however it asks (`get("…")`, a table of names, the S3 triple).
fn read_names() -> Vec<String> {
    let code = READERS.iter().map(|source| source.split("#[cfg(test)]").next().unwrap_or(""));
    let mut names: Vec<String> = code
        .flat_map(|code| code.split('"').skip(1).step_by(2))
        .filter(|s| s.len() > 2 && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .map(String::from)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_variable_read_is_documented_and_every_documented_one_is_read() {
    let documented: Vec<String> = rows().into_iter().flat_map(|(names, _)| names).collect();
    let read = read_names();
    assert!(read.len() > 40 && documented.len() > 40, "read {} documented {}", read.len(), documented.len());
    let undocumented: Vec<&String> = read.iter().filter(|n| !documented.contains(n)).collect();
    let unread: Vec<&String> = documented.iter().filter(|n| !read.contains(n)).collect();
    assert!(undocumented.is_empty(), "read but not in docs/configuration.md: {undocumented:?}");
    assert!(unread.is_empty(), "in docs/configuration.md but never read: {unread:?}");
}

#[test]
fn every_documented_default_is_the_default() {
    let default = Config::from_lookup(|_| None).unwrap();
    assert_eq!(default, Config::default(), "no variables set is the default configuration");
    let mut checked = 0;
    for (names, defaults) in rows() {
        for (i, name) in names.iter().enumerate() {
            // One default for several names (`MAX_WIDTH`, `MAX_HEIGHT`: `4096`), or one each.
            let Some(value) = defaults.get(i).or(defaults.first().filter(|_| defaults.len() == 1)) else { continue };
            let given = Config::from_lookup(|n| (n == name.as_str()).then(|| value.clone()));
            assert_eq!(
                given.as_ref().ok(),
                Some(&default),
                "{name}={value}: the page's default is not the code's ({:?})",
                given.as_ref().err()
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} defaults checked");
}
