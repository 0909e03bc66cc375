//! docs/configuration.md's table of variables is generated from their declarations
//! (`variables.rs`), and every declared variable is read (issue #37): the page, the reader and
//! the deploy check cannot drift apart. `UPDATE_DOCS=1 cargo test config::` rewrites the table.

use super::variables::{Values, Variable, VARIABLES};
use super::Config;
use std::cell::RefCell;

const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration.md");
const BEGIN: &str = "<!-- generated from src/config/variables.rs: UPDATE_DOCS=1 cargo test config:: -->\n";
const END: &str = "<!-- end of the generated table -->\n";

fn row(v: &Variable) -> String {
    let name = if v.secret { format!("`{}` (secret)", v.name) } else { format!("`{}`", v.name) };
    let default = if v.default.is_empty() { "—".to_string() } else { format!("`{}`", v.default) };
    let values = match v.values {
        Values::Number { min, max } => format!("{min} … {max}"),
        Values::Boolean => "`true`, `false`".to_string(),
        Values::OneOf(words) => words.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", "),
        Values::Text(form) => form.to_string(),
    };
    format!("| {name} | {default} | {values} | {} |\n", v.meaning)
}

fn table() -> String {
    let rows: String = VARIABLES.iter().map(row).collect();
    format!("| variable | default | values | meaning |\n|---|---|---|---|\n{rows}")
}

#[test]
fn the_pages_table_is_generated_from_the_declarations() {
    let page = std::fs::read_to_string(PAGE).unwrap();
    let (before, rest) = page.split_once(BEGIN).expect("docs/configuration.md has the generated table's start marker");
    let (_, after) = rest.split_once(END).expect("… and its end marker");
    let generated = format!("{before}{BEGIN}{}{END}{after}", table());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(PAGE, &generated).unwrap();
    }
    assert!(page == generated, "docs/configuration.md's table differs from src/config/variables.rs: run UPDATE_DOCS=1 cargo test config::");
}

/// Every declared name is asked for by the reader (an undeclared one panics when asked), with
/// the variables that gate others set, so nothing is declared that nothing reads.
#[test]
fn every_declared_variable_is_read() {
    let asked = RefCell::new(Vec::new());
    Config::from_lookup(|name| {
        asked.borrow_mut().push(name.to_string());
        match name {
            "ORIGIN_URL" => Some("https://origin.example".into()),
            "SIGNING_KEY" => Some("k".repeat(32)),
            _ => None,
        }
    })
    .unwrap();
    let asked = asked.into_inner();
    let unread: Vec<&str> = VARIABLES.iter().map(|v| v.name).filter(|n| !asked.iter().any(|a| a == n)).collect();
    assert!(unread.is_empty(), "declared but never read: {unread:?}");
    assert!(VARIABLES.len() > 50);
}

/// Each declared range and word list is the one the reader holds to: both ends taken, one past
/// either end refused naming the variable; every word taken, another refused; booleans likewise.
#[test]
fn the_reader_holds_each_variable_to_its_declaration() {
    let with = |name: &str, value: String| {
        // (`allow-list` needs sizes to allow.)
        let sizes = name == "SIZE_POLICY" && value == "allow-list";
        Config::from_lookup(|n| if n == name { Some(value.clone()) } else { (sizes && n == "ALLOWED_SIZES").then(|| "100w".into()) })
    };
    let mut checked = 0;
    for v in VARIABLES {
        let (good, bad): (Vec<String>, Vec<String>) = match v.values {
            Values::Number { min, max } => {
                let mut bad = vec![(max + 1).to_string(), "ten".into(), String::new()];
                if min > 0 {
                    bad.push((min - 1).to_string());
                }
                (vec![min.to_string(), max.to_string()], bad)
            }
            Values::Boolean => (vec!["true".into(), "false".into()], vec!["yes".into(), "1".into()]),
            Values::OneOf(words) => (words.iter().map(|w| w.to_string()).collect(), vec!["other".into()]),
            Values::Text(_) => continue,
        };
        for value in good {
            assert!(with(v.name, value.clone()).is_ok(), "{}={value} refused: {:?}", v.name, with(v.name, value.clone()).err());
        }
        for value in bad {
            let message = with(v.name, value.clone()).map(|_| String::new()).unwrap_or_else(|e| e.message());
            assert!(message.contains(v.name), "{}={value:?} not refused by name: {message:?}", v.name);
        }
        if !v.default.is_empty() {
            assert_eq!(with(v.name, v.default.to_string()).unwrap(), Config::default(), "{}'s default given back", v.name);
        }
        checked += 1;
    }
    assert!(checked > 35, "only {checked} checked");
}
