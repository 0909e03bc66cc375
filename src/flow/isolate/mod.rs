//! What one isolate remembers across requests: the originals in flight ([`gate`]), renders per
//! original ([`renders`]) and per client ([`clients`]), checks of originals under way
//! ([`freshness`]), all bounded in bytes ([`bounded`]). Lost when the isolate goes: each is a
//! bound or a saving, never the only copy of anything.

pub mod bounded;
pub mod clients;
pub mod freshness;
pub mod gate;
pub mod renders;
