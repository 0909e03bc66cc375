//! The variables as the reader sees them: what is set, else the declared default, in the shape
//! declared for it (a number in its range, a boolean, one of some words), and the error that
//! names the variable. Shared by `read.rs` and `origin.rs`.

use super::variables::{declared, Values};
use crate::error::{Error, Result};

/// A variable lookup (`env.var(name)` in the worker) with the declarations behind it.
pub(super) struct Vars<F> {
    get: F,
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub fn new(get: F) -> Self {
        Vars { get }
    }

    /// The value set, if any (even empty). Panics on a name not declared: a test reads them all.
    pub fn given(&self, name: &str) -> Option<String> {
        declared(name);
        (self.get)(name)
    }

    /// The value set and not blank, or the declared default unless it is empty.
    pub fn text(&self, name: &str) -> Option<String> {
        let given = self.given(name).filter(|v| !v.trim().is_empty());
        given.or_else(|| Some(declared(name).default.to_string()).filter(|d| !d.is_empty()))
    }

    /// The value set (even empty), or the declared default.
    pub fn value(&self, name: &str) -> String {
        self.given(name).unwrap_or_else(|| declared(name).default.to_string())
    }

    /// A whole number in the declared range: the value set, else the default.
    pub fn number(&self, name: &str) -> Result<u64> {
        number_in(name, &self.value(name))
    }

    /// A number only when set (a variable with no default, such as `DEFAULT_QUALITY`).
    pub fn number_given(&self, name: &str) -> Result<Option<u64>> {
        self.given(name).map(|v| number_in(name, &v)).transpose()
    }

    pub fn boolean(&self, name: &str) -> Result<bool> {
        match self.value(name).trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(config_error(name, "true or false")),
        }
    }

    /// One of the declared words.
    pub fn word(&self, name: &str) -> Result<&'static str> {
        let Values::OneOf(words) = declared(name).values else { panic!("{name} is not declared with words") };
        let value = self.value(name);
        words.iter().copied().find(|w| *w == value.trim()).ok_or_else(|| config_error(name, &one_of(words)))
    }
}

fn number_in(name: &str, value: &str) -> Result<u64> {
    let Values::Number { min, max } = declared(name).values else { panic!("{name} is not declared as a number") };
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(config_error(name, &format!("a whole number from {min} to {max}"))),
    }
}

/// `a, b or c`.
fn one_of(words: &[&str]) -> String {
    match words.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Items separated by commas and/or spaces.
pub(super) fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty())
}

pub(super) fn config_error(name: &str, expected: &str) -> Error {
    Error::Misconfigured(format!("configuration variable {name} must be {expected}"))
}
