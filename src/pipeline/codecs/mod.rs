//! What reads or writes a format beyond a few library calls, and the port to the codecs that
//! live outside Rust. JPEG (baseline), PNG, WebP, GIF and BMP are decoded in `steps::decode`
//! and written in `steps::encode` with a few calls each; what needs more is here.

pub mod heif; // AVIF and HEIC: the container, grids, alpha, colour (pictures decoded through the port)
pub mod metadata; // EXIF: what `metadata` keeps, as a JPEG's APP1
pub mod palette; // PNG8: indexed PNG for ≤ 256 colours, NeuQuant for a named quality
pub mod port; // the codecs outside Rust: libwebp, its animation encoder, dav1d, libde265
pub mod progressive; // progressive JPEGs at 1/2 or 1/4 scale, keeping only what that scale reads
pub mod vector; // SVG: drawn by resvg at the size asked
