//! The option vocabulary's tests: every option's canonical form, and the 400s naming the option.
use super::*;

const ALL: Vocabulary = Vocabulary { transform: true, presets: true };

fn build(pairs: &[(&str, &str)]) -> Result<Transform> {
    let config = UrlSettings::default();
    let mut b = Builder::new(&config);
    for (n, v) in pairs {
        b.set(n, v, ALL)?;
    }
    b.finish()
}

#[test]
fn every_option_parses_into_the_canonical_form() {
    let t = build(&[
        ("w", "400"),
        ("h", "300"),
        ("fit", "cover"),
        ("g", "top"),
        ("q", "75"),
        ("f", "webp"),
        ("background", "red"),
        ("rotate", "90"),
        ("flip", "h"),
    ])
    .unwrap();
    assert_eq!(t.canonical(), "w=400,h=300,fit=cover,g=top,q=75,f=webp,bg=ff0000,r=90,flip=h");
    assert_eq!(build(&[("size", "l"), ("to_webp", "1")]).unwrap().canonical(), "size=L,f=webp");
    assert_eq!(build(&[("background", "%23fff".replace("%23", "#").as_str())]).unwrap().canonical(), "", "white is the default");
    assert_eq!(build(&[("background", "00000080")]).unwrap().canonical(), "bg=00000080");
}

#[test]
fn cloudflares_whole_vocabulary_parses_into_the_canonical_form() {
    let t = build(&[
        ("blur", "10"),
        ("sharpen", "1.5"),
        ("brightness", "1.2"),
        ("contrast", "0.8"),
        ("gamma", "2"),
        ("saturation", "0"),
        ("metadata", "keep"),
        ("quality", "medium-low"),
        ("scq", "low"),
        ("compression", "fast"),
        ("w", "auto"),
    ])
    .unwrap();
    assert_eq!(t.canonical(), "w=auto,q=medium-low,scq=low,compression=fast,blur=10,sharpen=1.5,bri=1.2,con=0.8,gam=2,sat=0,meta=keep");
    let neutral = build(&[("brightness", "1"), ("contrast", "0"), ("gamma", "1.0"), ("saturation", "1"), ("sharpen", "0"), ("blur", "0")]);
    assert_eq!(neutral.unwrap().canonical(), "", "neutral adjustments and Cloudflare's ignored 0 change nothing");
    assert_eq!(build(&[("metadata", "copyright")]).unwrap().canonical(), "", "copyright is the default");
    assert_eq!(build(&[("format", "baseline-jpeg")]).unwrap().canonical(), "f=baseline-jpeg");
    assert_eq!(build(&[("format", "json")]).unwrap().canonical(), "f=json");
    assert_eq!(
        build(&[("gravity", "face"), ("zoom", "0.5"), ("fit", "cover"), ("w", "5"), ("h", "5")]).unwrap().canonical(),
        "w=5,h=5,fit=cover,g=face,zoom=0.5"
    );
    let zoom_elsewhere = build(&[("gravity", "auto"), ("zoom", "0.5"), ("fit", "cover"), ("w", "5"), ("h", "5")]);
    assert_eq!(zoom_elsewhere.unwrap().canonical(), "w=5,h=5,fit=cover,g=auto", "zoom only refines face crops");
    let zoom_zero = build(&[("gravity", "face"), ("zoom", "0"), ("fit", "cover"), ("w", "5"), ("h", "5")]);
    assert_eq!(zoom_zero.unwrap().canonical(), "w=5,h=5,fit=cover,g=face", "0 is the default");
    assert_eq!(build(&[("upscale", "interpolate")]).unwrap().canonical(), "", "bicubic-or-better is what we do anyway");
    let onerror = build(&[("onerror", "redirect"), ("w", "5")]).unwrap();
    assert!(onerror.on_error);
    assert_eq!(onerror.canonical(), "w=5", "onerror changes only what an error answers");
}

#[test]
fn trims_and_borders_take_dpr_into_account() {
    assert_eq!(build(&[("trim", "1;2;3;4"), ("dpr", "2")]).unwrap().canonical(), "trim=2_4_6_8");
    assert_eq!(build(&[("trim.left", "5"), ("trim.width", "100")]).unwrap().canonical(), "trim=0_0_0_5_w100");
    assert_eq!(build(&[("trim", "0;0;0;0")]).unwrap().canonical(), "", "a trim of nothing");
    assert_eq!(build(&[("trim", "border")]).unwrap().canonical(), "trim=border");
    let full = build(&[("trim", "border"), ("trim.border.color", "white"), ("trim.border.tolerance", "200"), ("trim.border.keep", "3")]);
    assert_eq!(full.unwrap().canonical(), "trim=border_ffffff_t200_k3");
    assert_eq!(build(&[("border", "red;4"), ("dpr", "1.5")]).unwrap().canonical(), "border=ff0000_6_6_6_6");
    assert_eq!(build(&[("border", "rgb(0,0,255),1,2,3,4")]).unwrap().canonical(), "border=0000ff_1_2_3_4");
    assert_eq!(build(&[("border", "red;0")]).unwrap().canonical(), "", "a border of nothing");
}

#[test]
fn dpr_is_folded_into_the_box_and_checked_against_the_maximum() {
    assert_eq!(build(&[("w", "400"), ("dpr", "2")]).unwrap().canonical(), build(&[("w", "800")]).unwrap().canonical());
    assert_eq!(build(&[("w", "101"), ("h", "50"), ("dpr", "1.5")]).unwrap().canonical(), "w=152,h=75");
    assert_eq!(build(&[("dpr", "2")]).unwrap().canonical(), "", "dpr alone changes nothing");
    let e = build(&[("w", "3000"), ("dpr", "2")]).unwrap_err();
    assert!(e.message().contains("over the maximum of 4096"), "{e}");
}

#[test]
fn rejects_bad_values_naming_the_option() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("w", "0")], "width"),
        (&[("w", "4097")], "width"),
        (&[("w", "+5")], "width"),
        (&[("w", " 5")], "width"),
        (&[("q", "101")], "quality"),
        (&[("fit", "fill")], "fit"),
        (&[("g", "north")], "gravity"),
        (&[("format", "tiff")], "format"),
        (&[("dpr", "4")], "dpr"),
        (&[("dpr", "NaN")], "dpr"),
        (&[("rotate", "45")], "rotate"),
        (&[("flip", "x")], "flip"),
        (&[("background", "notacolour")], "background"),
        (&[("size", "XXL")], "size"),
        (&[("to_webp", "yes")], "to_webp"),
        (&[("blur", "251")], "blur"),
        (&[("sharpen", "10.5")], "sharpen"),
        (&[("brightness", "-1")], "brightness"),
        (&[("saturation", "x")], "saturation"),
        (&[("trim", "1;2;3")], "trim"),
        (&[("trim", "border"), ("trim.left", "3")], "trim=border"),
        (&[("trim.border.keep", "3")], "trim=border"),
        (&[("trim", "1;2;3;4"), ("trim.top", "3")], "trim.top"),
        (&[("trim.border.tolerance", "256"), ("trim", "border")], "trim.border.tolerance"),
        (&[("border", "red")], "border"),
        (&[("border", "red;1;2")], "border"),
        (&[("border", "nocolour;4")], "border"),
        (&[("metadata", "all")], "metadata"),
        (&[("onerror", "retry")], "onerror"),
        (&[("compression", "slow")], "compression"),
        (&[("quality", "best")], "quality"),
        (&[("scq", "0")], "slow-connection-quality"),
        (&[("zoom", "2")], "zoom"),
        (&[("segment", "foreground")], "not supported here"),
        (&[("upscale", "generate")], "not supported here"),
        (&[("upscale", "x")], "upscale"),
        (&[("width", "auto"), ("size", "L")], "size"),
        (&[("frobnicate", "1")], "frobnicate"),
        (&[("w", "1"), ("width", "2")], "width"),
        (&[("size", "L"), ("w", "100")], "size"),
        (&[("to_webp", "1"), ("format", "png")], "to_webp"),
        (&[("format", "png"), ("to_webp", "1")], "to_webp"),
    ];
    for (pairs, named) in cases {
        let e = build(pairs).unwrap_err();
        assert_eq!(e.status(), 400, "{pairs:?}");
        assert!(e.message().contains(named), "{pairs:?}: {e}");
    }
}

#[test]
fn auto_format_negotiates_transforms_that_name_no_format() {
    let config = UrlSettings { auto_format: true, ..UrlSettings::default() };
    let finish = |pairs: &[(&str, &str)]| {
        let mut b = Builder::new(&config);
        pairs.iter().for_each(|(n, v)| b.set(n, v, ALL).unwrap());
        b.finish().unwrap().canonical()
    };
    assert_eq!(finish(&[("w", "100")]), "w=100,f=auto");
    assert_eq!(finish(&[("w", "100"), ("f", "png")]), "w=100,f=png");
    assert_eq!(finish(&[]), "", "an original stays an original");
}

#[test]
fn a_path_size_cannot_be_set_again() {
    let config = UrlSettings::default();
    let mut b = Builder::with_path_size(&config, SizeSpec::parse("200x200", false).unwrap());
    b.set("format", "webp", ALL).unwrap();
    assert_eq!(b.finish().unwrap().canonical(), "w=200,h=200,fit=cover,f=webp");
    let big = Builder::with_path_size(&config, SizeSpec::parse("99999x10", false).unwrap());
    assert_eq!(big.finish().unwrap_err().status(), 400, "a path size over the maximum");
    let mut b = Builder::with_path_size(&config, SizeSpec::parse("640w", false).unwrap());
    assert!(b.set("w", "100", ALL).unwrap_err().message().contains("conflicts"));
}

#[test]
fn switched_off_vocabularies_are_unknown() {
    let config = UrlSettings::default();
    let mut b = Builder::new(&config);
    let e = b.set("size", "L", Vocabulary { transform: true, presets: false }).unwrap_err();
    assert!(e.message().contains("unknown option 'size'"), "{e}");
}

/// The names Cloudflare's types list and its docs do not explain, with the meanings docs/options.md
/// gives them: `gravity=entropy`, `gravity.mode`, `format=png-force`.
#[test]
fn entropy_focal_modes_and_png_force() {
    let crop = [("w", "100"), ("h", "100"), ("fit", "cover")];
    let with = |extra: &[(&'static str, &'static str)]| build(&[&crop[..], extra].concat());
    assert_eq!(with(&[("gravity", "entropy")]).unwrap().gravity, Gravity::Entropy);
    assert_eq!(with(&[("gravity", "entropy")]).unwrap().canonical(), "w=100,h=100,fit=cover,g=entropy");
    let remainder = with(&[("gravity", "0.25x0.75"), ("gravity.mode", "remainder")]).unwrap();
    assert_eq!(remainder.gravity, Gravity::Remainder { x: 250, y: 750 });
    assert_eq!(remainder.canonical(), "w=100,h=100,fit=cover,g=0.25x0.75;remainder", "not the box-centred point's variant");
    let centred = with(&[("gravity", "0.25x0.75"), ("gravity.mode", "box-center")]).unwrap();
    assert_eq!(centred, with(&[("gravity", "0.25x0.75")]).unwrap(), "box-center is the default");
    for (pairs, says) in [
        (vec![("gravity", "left"), ("gravity.mode", "remainder")], "gravity.mode needs a focal point"),
        (vec![("gravity.mode", "remainder")], "gravity.mode needs a focal point"),
        (vec![("gravity", "0.5x0.5"), ("gravity.mode", "middle")], "gravity.mode"),
    ] {
        let e = with(&pairs).unwrap_err();
        assert!(e.status() == 400 && e.message().contains(says), "{pairs:?}: {e}");
    }
    // png-force: PNG, and a quality never makes it a palette (it would with format=png).
    let forced = build(&[("w", "50"), ("format", "png-force"), ("quality", "40"), ("scq", "20")]).unwrap();
    assert_eq!((forced.format, forced.quality, forced.slow_quality), (Some(FormatChoice::Is(Format::Png)), None, None));
    assert_eq!(forced, build(&[("w", "50"), ("format", "png")]).unwrap(), "the lossless PNG's variant");
    assert!(build(&[("format", "png-force"), ("to_webp", "1")]).is_err());
    assert!(build(&[("format", "png-farce")]).unwrap_err().message().contains("png-force"));
}
