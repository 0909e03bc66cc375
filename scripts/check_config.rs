//! `check-config`: the worker's configuration checked natively, with its own parser
//! (`Config::from_lookup`), before it ships. `scripts/check_config.mjs` runs it with the variables
//! wrangler would bind, as one JSON object on stdin (`{"QUALITY_JPEG": "85", …}`).
//!
//! Prints `config ok` and exits 0, or `VARIABLE: what it must be` on stderr and exits 1 (2 when the
//! input is not a JSON object). Names the worker never reads are warnings on stderr.

use edge_image_resizer::preflight::check_vars;
use serde_json::{Map, Value};
use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut input = String::new();
    let read = std::io::stdin().read_to_string(&mut input).map_err(|e| e.to_string());
    let parsed = read.and_then(|_| serde_json::from_str::<Map<String, Value>>(&input).map_err(|e| e.to_string()));
    let vars = match parsed {
        Ok(vars) => vars,
        Err(e) => {
            eprintln!("check-config: expected a JSON object of variables on stdin ({e})");
            return ExitCode::from(2);
        }
    };
    match check_vars(&vars) {
        Ok(warnings) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            println!("config ok ({} variables)", vars.len());
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("{problem}");
            ExitCode::FAILURE
        }
    }
}
