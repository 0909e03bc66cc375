//! The configuration checked before it ships: `[vars]` (and `.dev.vars`) read by the worker's own
//! [`Config::from_lookup`], as `src/edge` reads them, so a bad value stops `npm run deploy` and
//! `npm start` instead of making every request a 500. `scripts/check_config.mjs` gathers the
//! variables with wrangler and hands them to the `check-config` example, which calls [`check_vars`].

use crate::config::variables::{declared, VARIABLES};
use crate::config::Config;
use crate::error::Error;
use serde_json::{Map, Value};
use std::fmt;

/// The first variable that is wrong, and what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub variable: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// Checks variables as wrangler binds them (a `[vars]` string is a JSON string; a TOML number,
/// boolean or table is that JSON value). `Ok` carries warnings: names the worker never reads.
pub fn check_vars(vars: &Map<String, Value>) -> Result<Vec<String>, Problem> {
    let mut warnings = Vec::new();
    for (name, value) in vars {
        match (VARIABLES.iter().any(|v| v.name == name), value) {
            (true, Value::String(_)) => {}
            // `env.var` (and `env.secret`) is a string binding or nothing: the worker would
            // silently use the default.
            (true, other) => {
                return Err(Problem {
                    variable: name.clone(),
                    message: format!("must be a string ({name} = \"…\"): the worker reads only strings and would ignore {}", kind(other)),
                })
            }
            (false, _) => warnings.push(format!("{name}: not a variable the worker reads (ignored)")),
        }
    }
    let given = |name: &str| vars.get(name).and_then(Value::as_str).map(String::from);
    let region_set = given("ORIGIN_S3_REGION").is_some_and(|r| !r.trim().is_empty());
    let get = |name: &str| {
        given(name).or_else(|| {
            // The secrets (`wrangler secret put`) live in Cloudflare, not in `wrangler.toml`, so the
            // check must not need them: an absent one is checked as if set to a valid value, so
            // what depends on it (`REQUIRE_SIGNATURE`) is checked too. The S3 credentials go with a
            // region: without one, none of them is expected.
            let stands_in = declared(name).secret && (region_set || !name.starts_with("ORIGIN_S3_"));
            // (Long enough for every secret's minimum: SIGNING_KEY needs 32 bytes.)
            stands_in.then(|| format!("a-placeholder-standing-in-for-{}", name.to_ascii_lowercase()))
        })
    };
    let config = Config::from_lookup(get).map_err(problem)?;
    eager_variants(&config)?;
    Ok(warnings)
}

/// `EAGER_VARIANTS` are read as the queue consumer reads them (`flow::eager`): each a query the
/// URL grammar and the size policy accept, for an original the policy lets be transformed.
fn eager_variants(config: &Config) -> Result<(), Problem> {
    let ext = config.policy.allowed_extensions.first().map_or("jpg", String::as_str);
    let key = format!("original.{ext}");
    for query in &config.upload.eager_variants {
        let checked = crate::url::for_key(&key, query, &config.url).and_then(|request| crate::policy::check_request(&request, config));
        if let Err(e) = checked {
            return Err(Problem { variable: "EAGER_VARIANTS".into(), message: format!("'{query}': {}", e.message()) });
        }
    }
    Ok(())
}

/// What a non-string value is, named without printing it (it may be a secret).
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
        Value::String(_) => "a string",
        Value::Null => "null",
    }
}

/// `configuration variable NAME must be …` (every error `from_lookup` makes) → `NAME: must be …`.
fn problem(e: Error) -> Problem {
    if let Error::Misconfigured(m) = &e {
        if let Some((variable, expected)) = m.strip_prefix("configuration variable ").and_then(|r| r.split_once(" must be ")) {
            return Problem { variable: variable.to_string(), message: format!("must be {expected}") };
        }
    }
    Problem { variable: "configuration".into(), message: e.message() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> Result<Vec<String>, Problem> {
        check_vars(v.as_object().expect("an object"))
    }

    fn refused(v: Value) -> Problem {
        run(v.clone()).expect_err(&format!("{v} accepted"))
    }

    #[test]
    fn the_secrets_are_the_declared_ones() {
        let names: Vec<&str> = VARIABLES.iter().filter(|v| v.secret).map(|v| v.name).collect();
        assert_eq!(
            names,
            ["UPLOAD_TOKEN", "ORIGIN_S3_ACCESS_KEY_ID", "ORIGIN_S3_SECRET_ACCESS_KEY", "SIGNING_KEY", "SIGNING_KEY_PREVIOUS"]
        );
        assert_eq!(run(json!({"QUALITY_JPG": "80"})), Ok(vec!["QUALITY_JPG: not a variable the worker reads (ignored)".to_string()]));
    }

    #[test]
    fn passes_good_values_without_the_secrets() {
        assert_eq!(run(json!({})), Ok(vec![]));
        let ok = run(json!({
            "QUALITY_JPEG": "85", "MAX_WIDTH": "4096", "EAGER_VARIANTS": "w=320&format=auto w=640",
            "ORIGIN_URL": "https://old.example", "ORIGIN_S3_REGION": "eu-west-1",
            "OVERLAYS": r#"{"logo": {"key": "brand/logo.png", "composite": "xor"}}"#,
        }));
        assert_eq!(ok, Ok(vec![]), "secrets (S3 keys, signing key) are not required");
    }

    #[test]
    fn names_the_variable_and_what_it_must_be() {
        assert_eq!(
            refused(json!({"QUALITY_JPEG": "101"})),
            Problem { variable: "QUALITY_JPEG".into(), message: "must be a whole number from 1 to 100".into() }
        );
        let p = refused(json!({"OVERLAYS": r#"{"logo": {"key": "l.png", "composite": "multiply"}}"#}));
        assert!(p.variable.starts_with("OVERLAYS") && p.message.contains("over, in, atop"), "{p}");
        // Checked only when a signing key is set: the absent secret stands in for it.
        assert_eq!(refused(json!({"REQUIRE_SIGNATURE": "yes"})).variable, "REQUIRE_SIGNATURE");
        // A secret that is given (.dev.vars) is checked as given.
        assert_eq!(refused(json!({"UPLOAD_TOKEN": "short"})).variable, "UPLOAD_TOKEN");
        // S3 keys without a region are wrong whoever holds the region.
        assert_eq!(refused(json!({"ORIGIN_URL": "https://o.example", "ORIGIN_S3_ACCESS_KEY_ID": "AKID"})).variable, "ORIGIN_S3_REGION");
    }

    #[test]
    fn refuses_what_the_worker_would_ignore() {
        let p = refused(json!({"MAX_WIDTH": 2000}));
        assert_eq!(p.variable, "MAX_WIDTH");
        assert!(p.message.contains("must be a string") && p.message.contains("a number"), "{p}");
        assert!(!refused(json!({"SIGNING_KEY": 123456})).to_string().contains("123456"), "a value is never printed");
        assert_eq!(refused(json!({"OVERLAYS": {"logo": {"key": "l.png"}}})).variable, "OVERLAYS");
        assert_eq!(run(json!({"QUALITY_JPG": "80", "MY_OWN": 3})).unwrap().len(), 2, "unknown names are warnings");
    }

    #[test]
    fn reads_eager_variants_as_the_queue_consumer_does() {
        let p = refused(json!({"EAGER_VARIANTS": "w=320 w=wide"}));
        assert_eq!(p.variable, "EAGER_VARIANTS");
        assert!(p.message.contains("'w=wide'"), "{p}");
        let p = refused(json!({"SIZE_POLICY": "presets", "EAGER_VARIANTS": "w=333"}));
        assert!(p.message.contains("not allowed"), "{p}");
        assert_eq!(run(json!({"ALLOWED_EXTENSIONS": "png", "EAGER_VARIANTS": "w=320"})), Ok(vec![]));
    }
}
