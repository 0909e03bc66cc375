//! Reading and writing formats, and the port to the codecs that live outside Rust. The steps
//! choose a codec by format (`steps::probe`, `steps::decode`, `steps::encode`); the codecs use no
//! step.

pub mod avif; // AVIF output: rav1e with its own presets, avif-serialize
pub mod gainmap; // HDR gain maps in JPEG (Ultra HDR, ISO 21496-1): read, and written around a new base
pub mod heif; // AVIF and HEIC: the container, grids, alpha, colour (pictures decoded through the port)
pub mod jpeg; // baseline and progressive: header, scale, decode, CMYK
pub mod metadata; // EXIF: what `metadata` keeps, as a JPEG's APP1
pub mod palette; // PNG8: indexed PNG for ≤ 256 colours, NeuQuant for a named quality
pub mod port; // the codecs outside Rust: libwebp, its animation encoder, dav1d, libde265
pub mod progressive; // progressive JPEGs at 1/2 or 1/4 scale, keeping only what that scale reads
pub mod raster; // PNG, WebP, GIF, BMP through `image`; JPEG through `jpeg`
pub mod segments; // a JPEG's header segments (SOI to the first scan), read and inserted
mod sniff; // which codec reads a file, from its magic bytes
pub mod vector; // SVG: drawn by resvg at the size asked

pub use sniff::sniff;
