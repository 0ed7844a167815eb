//! Times the match-key fast paths against the general rules (issue 26), on one million values
//! of a realistic mix each, and checks that both give the same answers.
//!
//! Phone values, read in default region CN: 70 % Chinese mobiles in the written forms of U8 and
//! YCM records, 15 % landlines, 10 % foreign numbers in E.164, 5 % junk. Company names: 60 %
//! Chinese, 25 % English, 10 % Chinese with full-width brackets, 5 % other scripts.
//!
//! Run with `cargo run --release -p custlake-match-keys --example key_speed`.

use std::hint::black_box;
use std::time::Instant;

use custlake_match_keys::{Region, company_name_key, phone_e164, reference};

/// Values per mix.
const N: usize = 1_000_000;

fn main() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let phones: Vec<(&str, String)> = (0..N).map(|_| phone_value(&mut rng)).collect();
    compare(
        "phone_e164, default region CN (70 % CN mobiles, 15 % landlines, 10 % foreign E.164, 5 % junk)",
        &phones,
        |raw| phone_e164(raw, Some(Region::CN)),
        |raw| reference::phone_e164(raw, Some(Region::CN)),
    );
    let names: Vec<(&str, String)> = (0..N).map(|_| company_name(&mut rng)).collect();
    compare(
        "company_name_key (60 % Chinese, 25 % English, 10 % full-width brackets, 5 % other)",
        &names,
        company_name_key,
        reference::company_name_key,
    );
}

/// Times `fast` and `full` over `values` (each with its kind) and prints ns per call and the
/// speed-up for the whole mix and for each kind, and how many answers agree.
fn compare(
    title: &str,
    values: &[(&str, String)],
    fast: impl Fn(&str) -> Option<String>,
    full: impl Fn(&str) -> Option<String>,
) {
    let all: Vec<&str> = values.iter().map(|(_, raw)| raw.as_str()).collect();
    // Warm up: lookup tables and regexes are built on first use.
    for raw in all.iter().take(10_000) {
        black_box((fast(raw), full(raw)));
    }
    let agree = all.iter().filter(|raw| fast(raw) == full(raw)).count();
    let keys = all.iter().filter(|raw| fast(raw).is_some()).count();
    println!("{title}");
    println!(
        "  answers identical: {agree} of {}; keys: {keys}",
        all.len()
    );
    println!(
        "  {:<22} {:>8} {:>11} {:>11} {:>9}",
        "values", "count", "full ns", "fast ns", "speed-up"
    );
    let mut kinds: Vec<&str> = values.iter().map(|(kind, _)| *kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let subsets = kinds.into_iter().map(|kind| {
        let subset = values
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, raw)| raw.as_str());
        (kind, subset.collect::<Vec<_>>())
    });
    for (kind, subset) in std::iter::once(("all (the mix)", all.clone())).chain(subsets) {
        let full_ns = ns_per_call(&subset, &full);
        let fast_ns = ns_per_call(&subset, &fast);
        println!(
            "  {kind:<22} {:>8} {full_ns:>11.1} {fast_ns:>11.1} {:>8.1}x",
            subset.len(),
            full_ns / fast_ns
        );
    }
}

/// The mean time of one call of `key` over `values`, in nanoseconds.
fn ns_per_call(values: &[&str], key: impl Fn(&str) -> Option<String>) -> f64 {
    let start = Instant::now();
    for raw in values {
        black_box(key(black_box(raw)));
    }
    start.elapsed().as_nanos() as f64 / values.len() as f64
}

/// One phone value of the mix, with its kind.
fn phone_value(rng: &mut Rng) -> (&'static str, String) {
    match rng.below(100) {
        0..70 => ("CN mobile", mobile(rng)),
        70..85 => ("CN landline", landline(rng)),
        85..95 => ("foreign E.164", foreign(rng)),
        _ => ("junk", (*rng.pick(JUNK)).to_owned()),
    }
}

/// A Chinese mobile number (in an allocated range) in one of the usual written forms.
fn mobile(rng: &mut Rng) -> String {
    let prefix = rng.pick(&[
        "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
        "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186",
        "187", "188", "189", "147", "166", "170", "173", "176", "177", "178", "191", "198", "199",
    ]);
    let number = format!("{prefix}{}", rng.digits(8));
    let (a, b, c) = (&number[..3], &number[3..7], &number[7..]);
    match rng.below(10) {
        0..4 => number,
        4 => format!("{a} {b} {c}"),
        5 => format!("{a}-{b}-{c}"),
        6 => format!("+86 {a} {b} {c}"),
        7 => format!("+86{number}"),
        8 => format!("0086 {number}"),
        _ => full_width(&number),
    }
}

/// A Chinese landline with its area code, sometimes with an extension.
fn landline(rng: &mut Rng) -> String {
    let (code, subscriber_len) = *rng.pick(&[
        ("10", 8),
        ("21", 8),
        ("20", 8),
        ("755", 8),
        ("571", 8),
        ("512", 8),
        ("28", 8),
        ("27", 8),
        ("351", 7),
        ("898", 8),
        ("431", 8),
        ("591", 8),
        ("731", 8),
        ("871", 8),
        ("933", 7),
    ]);
    let subscriber = format!("{}{}", 2 + rng.below(7), rng.digits(subscriber_len - 1));
    let (head, tail) = subscriber.split_at(subscriber_len / 2);
    match rng.below(8) {
        0..3 => format!("0{code}-{subscriber}"),
        3 => format!("(0{code}){subscriber}"),
        4 => format!("0{code} {head} {tail}"),
        5 => format!("+86 {code} {head} {tail}"),
        6 => format!("0{code}{subscriber}"),
        _ => format!("0{code}-{subscriber}-{}", rng.digits(4)),
    }
}

/// A foreign number written in E.164 with spaces.
fn foreign(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!(
            "+1 {} {}",
            rng.pick(&["212", "415", "650", "312", "617"]),
            rng.digits(7)
        ),
        1 => format!("+49 30 {}", rng.digits(8)),
        2 => format!("+44 20 {} {}", rng.digits(4), rng.digits(4)),
        3 => format!("+81 3 {} {}", rng.digits(4), rng.digits(4)),
        4 => format!("+852 {} {}", 5 + rng.below(5), rng.digits(7)),
        _ => format!("+65 {} {}", 8 + rng.below(2), rng.digits(7)),
    }
}

/// What phone fields hold when they hold no phone number.
const JUNK: &[&str] = &[
    "",
    "n/a",
    "-",
    "无",
    "待补充",
    "123",
    "0000000",
    "13811388661/13911112222",
    "Tel: 010-62345678",
    "1-800-FLOWERS",
];

/// `digits` in full-width digits, as some CJK input methods type them.
fn full_width(digits: &str) -> String {
    digits
        .chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| char::from_u32(0xFF10 + d))
                .unwrap_or(c)
        })
        .collect()
}

/// One company name of the mix, with its kind.
fn company_name(rng: &mut Rng) -> (&'static str, String) {
    let city = rng.pick(&["北京", "上海", "深圳", "广州", "杭州", "苏州", "成都"]);
    let word = rng.pick(&[
        "华信", "长城", "东方", "新华", "恒达", "金桥", "宏远", "天成",
    ]);
    let trade = rng.pick(&["科技", "贸易", "电子", "机械", "建设", "物流", "医药"]);
    let form = rng.pick(&[
        "有限公司",
        "股份有限公司",
        "有限责任公司",
        "集团有限公司",
        "公司",
    ]);
    let english = rng.pick(&["Huaxin", "Great Wall", "Acme", "Orient", "Golden Bridge"]);
    let business = rng.pick(&["Technology", "Trading", "Electronics", "Logistics"]);
    let legal = rng.pick(&["Co., Ltd.", "CO.,LTD", "Inc.", "GmbH", "Limited", "LLC"]);
    match rng.below(100) {
        0..60 => ("Chinese", format!("{city}{word}{trade}{form}")),
        60..85 => ("English", format!("{english} {business} {legal}")),
        85..95 => ("Chinese, （…）", format!("（{city}）{word}{trade}{form}")),
        _ => ("other scripts", format!("Ｓｏｎｙ {word}株式会社 ㈱")),
    }
}

/// A small deterministic generator (xorshift64*), so that every run times the same values.
struct Rng(u64);

impl Rng {
    /// The next 64 random bits.
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// `count` random decimal digits.
    fn digits(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    /// One of `items`, which must not be empty.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}
