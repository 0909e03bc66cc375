use edge_image_resizer::config::Config;
use edge_image_resizer::pipeline::{self, probe};
use edge_image_resizer::transform::{Accepts, Format, FormatChoice, Transform};
fn main() {
    let start = std::time::Instant::now();
    let clock = move || start.elapsed().as_secs_f64() * 1000.0;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let w: u32 = args[0].parse().unwrap();
    for path in &args[1..] {
        let src = std::fs::read(path).unwrap();
        let p = probe::probe(&src).unwrap();
        let host = pipeline::Host { clock: &clock, webp: &pipeline::encode::LosslessWebp };
        let t = Transform { width: Some(w), format: Some(FormatChoice::Is(Format::Jpeg)), ..Default::default() }.resolved(
            p.format,
            Config::default().output_defaults(),
            Accepts::default(),
        );
        let mut v = vec![];
        for _ in 0..7 {
            let o = pipeline::run(src.clone(), &t, &Config::default(), &host).unwrap();
            v.push(o.timings);
        }
        v.sort_by(|a, b| (a.decode + a.resize + a.encode).partial_cmp(&(b.decode + b.resize + b.encode)).unwrap());
        let m = v[3];
        println!("{path} -> {w}: decode {:.1} resize {:.1} encode {:.1}", m.decode, m.resize, m.encode);
    }
}
