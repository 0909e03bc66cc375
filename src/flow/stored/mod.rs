//! What the flow keeps in R2 beside the originals, and in what form: persisted variants
//! ([`variant`]) and mezzanines ([`mezzanine`]).

pub mod mezzanine;
pub mod variant;
