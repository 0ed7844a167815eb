//! Mapping throughput: realistic U8 customer records (43 fields, Chinese text, raw on) into
//! Arrow, per call of one page, on one core. Also YCM customers and U8 contacts for scale, and
//! U8 decode + map to show what the JSON decoding upstream costs in comparison.
//!
//! Run: `cargo bench -p custlake-schema --bench map_throughput`

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custlake_client_kit::VendorRecord;
use custlake_schema::{
    MapContext, SourceKind, map_u8_contacts, map_u8_customers, map_ycm_customers,
};
use yeastar_ycm::types::YcmCustomer;
use yonyou_u8::types::{U8Customer, U8CustomerContact};

/// Records per mapping call: one large U8 page.
const PAGE: usize = 1000;

/// A tiny deterministic generator, so the bench needs no RNG crate and is repeatable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const CITIES: &[&str] = &[
    "北京", "上海", "天津", "深圳", "杭州", "成都", "武汉", "西安", "南京", "厦门",
];
const WORDS: &[&str] = &[
    "星河",
    "鹏程",
    "云飞",
    "世纪天华",
    "华信",
    "恒通",
    "瑞丰",
    "博远",
    "金桥",
    "汇智",
];
const KINDS: &[&str] = &[
    "科技有限公司",
    "电子有限公司",
    "贸易有限公司",
    "集团公司",
    "实业有限公司",
];
const SURNAMES: &[&str] = &["张", "王", "李", "刘", "陈", "杨", "黄", "赵", "周", "吴"];
const GIVEN: &[&str] = &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "婷", "天宇"];
const INDUSTRIES: &[&str] = &[
    "电子类",
    "制造业",
    "批发零售",
    "软件和信息技术服务业",
    "建筑业",
];
const BANKS: &[&str] = &[
    "中国工商银行北京分行",
    "中国建设银行上海分行",
    "招商银行深圳分行",
];

fn u8_customer_json(i: usize, rng: &mut Lcg) -> String {
    let city = rng.pick(CITIES);
    let name = format!("{city}{}{}", rng.pick(WORDS), rng.pick(KINDS));
    let person = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
    let seller = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
    let month = 1 + rng.next() % 12;
    let day = 1 + rng.next() % 28;
    let flag = |rng: &mut Lcg| {
        if rng.next().is_multiple_of(2) {
            "1"
        } else {
            "0"
        }
    };
    let (domestic, overseas, service) = (flag(rng), flag(rng), flag(rng));
    let mut fields = vec![
        format!(r#""code":"{i:010}""#),
        format!(r#""name":"{name}""#),
        format!(r#""abbrname":"{city}{}""#, rng.pick(WORDS)),
        format!(r#""sort_code":"0{}""#, rng.next() % 9),
        format!(r#""domain_code":"0{}""#, rng.next() % 9),
        format!(r#""industry":"{}""#, rng.pick(INDUSTRIES)),
        format!(
            r#""address":"{city}市海淀区中关村大街{}号""#,
            rng.next() % 300
        ),
        format!(r#""bank_open":"{}""#, rng.pick(BANKS)),
        format!(
            r#""bank_acc_number":"6222{:012}""#,
            rng.next() % 1_000_000_000_000
        ),
        format!(r#""contact":"{person}""#),
        format!(r#""phone":"010-{:08}""#, rng.next() % 100_000_000),
        format!(r#""fax":"010-{:08}""#, rng.next() % 100_000_000),
        format!(r#""mobile":138{:08}"#, rng.next() % 100_000_000),
        format!(
            r#""devliver_site":"{city}市朝阳区建国路{}号仓库""#,
            rng.next() % 200
        ),
        format!(
            r#""ModifyDate":"2024-{month:02}-{day:02} 10:{:02}:{:02}""#,
            rng.next() % 60,
            rng.next() % 60
        ),
        format!(r#""seed_date":"2019-{month:02}-{day:02}""#),
        r#""end_date":"""#.to_owned(),
        format!(r#""memo":"{}客户，按月结算""#, rng.pick(WORDS)),
        r#""ccusexch_name":"人民币""#.to_owned(),
        format!(r#""bcusdomestic":"{domestic}""#),
        format!(r#""bcusoverseas":"{overseas}""#),
        format!(r#""bserviceattribute":"{service}""#),
        r#""ccusmngtypecode":"999""#.to_owned(),
        r#""ccusmngtypename":"普通客户""#.to_owned(),
        format!(r#""spec_operator":"00{:03}""#, rng.next() % 100),
        format!(r#""spec_operator_name":"{seller}""#),
        format!(r#""timestamp":{}"#, 1_000_000 + i as u64 * 7),
    ];
    for n in 1..=16 {
        let value = match n {
            1 => format!("{}级", ["A", "B", "C"][(rng.next() % 3) as usize]),
            2 => rng.pick(CITIES).to_owned(),
            3 if rng.next().is_multiple_of(2) => "重点客户".to_owned(),
            _ => String::new(),
        };
        fields.push(format!(r#""self_define{n}":"{value}""#));
    }
    format!("{{{}}}", fields.join(","))
}

fn u8_contact_json(i: usize, rng: &mut Lcg) -> String {
    format!(
        r#"{{"code":"{i:08}","name":"{}{}","ccuscode":"{:04}","ccusname":"{}{}{}","direct_leader_code":"","direct_leader":"","charge_person_code":"000{:02}","charge_person":"{}{}","be_main_linker":"1","title":"经理","sex":"{}","birthday":"1985-0{}-1{}","native":"{}","default":"1","position":"采购经理","mobile_phone":"139{:08}","office_phone":"","email":"","favorite":"","wechat":"","qq":""}}"#,
        rng.pick(SURNAMES),
        rng.pick(GIVEN),
        rng.next() % 10_000,
        rng.pick(CITIES),
        rng.pick(WORDS),
        rng.pick(KINDS),
        rng.next() % 100,
        rng.pick(SURNAMES),
        rng.pick(GIVEN),
        rng.pick(&["男", "女", "不详"]),
        1 + rng.next() % 9,
        rng.next() % 9,
        rng.pick(CITIES),
        rng.next() % 100_000_000,
    )
}

fn ycm_customer_json(i: usize, rng: &mut Lcg) -> String {
    format!(
        r#"{{"customerId":{},"firstName":"{}","lastName":"{}","company":"{} Ltd","email":"user{i}@example.com","businessNumber":"0592{:07}","mobileNumber":"139{:08}","zipCode":"361000","city":"Xiamen","state":"Fujian","country":"China"}}"#,
        50_000_000 + i,
        rng.pick(&["Leo", "Naomi", "Ashley", "伟", "芳"]),
        rng.pick(&["Ball", "Nicholas", "Gardner", "张", "王"]),
        rng.pick(&["Example", "Acme", "Globex"]),
        rng.next() % 10_000_000,
        rng.next() % 100_000_000,
    )
}

fn decode<T: serde::de::DeserializeOwned>(texts: &[String]) -> Vec<VendorRecord<T>> {
    texts
        .iter()
        .map(|t| VendorRecord::from_json(t).expect("generated JSON is valid"))
        .collect()
}

fn context() -> MapContext {
    let at = Utc
        .with_ymd_and_hms(2024, 5, 1, 8, 0, 0)
        .single()
        .expect("valid instant");
    MapContext::new(SourceKind::YonyouU8, "bench", "run-bench", at)
}

fn bench(c: &mut Criterion) {
    let mut rng = Lcg(42);
    let ctx = context();

    let u8_texts: Vec<String> = (0..PAGE).map(|i| u8_customer_json(i, &mut rng)).collect();
    let u8_records: Vec<VendorRecord<U8Customer>> = decode(&u8_texts);
    let sanity = map_u8_customers(&ctx, &u8_records);
    assert_eq!(sanity.stats.customer_rows, PAGE);
    assert_eq!(sanity.stats.field_rejects, 0, "bench data maps cleanly");
    let avg_raw = u8_texts.iter().map(String::len).sum::<usize>() / PAGE;
    eprintln!(
        "U8 customer records: {PAGE} per call, 43 fields, {avg_raw} bytes of JSON on average"
    );

    let contact_records: Vec<VendorRecord<U8CustomerContact>> = decode(
        &(0..PAGE)
            .map(|i| u8_contact_json(i, &mut rng))
            .collect::<Vec<_>>(),
    );
    let ycm_records: Vec<VendorRecord<YcmCustomer>> = decode(
        &(0..PAGE)
            .map(|i| ycm_customer_json(i, &mut rng))
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        map_u8_contacts(&ctx, &contact_records).stats.field_rejects,
        0
    );
    assert_eq!(map_ycm_customers(&ctx, &ycm_records).stats.field_rejects, 0);

    let mut group = c.benchmark_group("map");
    group.throughput(Throughput::Elements(PAGE as u64));
    group.bench_function("u8_customers_raw_on", |b| {
        b.iter(|| black_box(map_u8_customers(&ctx, black_box(&u8_records))))
    });
    let no_raw = MapContext {
        include_raw: false,
        ..ctx.clone()
    };
    group.bench_function("u8_customers_raw_off", |b| {
        b.iter(|| black_box(map_u8_customers(&no_raw, black_box(&u8_records))))
    });
    group.bench_function("u8_contacts_raw_on", |b| {
        b.iter(|| black_box(map_u8_contacts(&ctx, black_box(&contact_records))))
    });
    group.bench_function("ycm_customers_raw_on", |b| {
        b.iter(|| black_box(map_ycm_customers(&ctx, black_box(&ycm_records))))
    });
    group.bench_function("u8_customers_decode_and_map", |b| {
        b.iter(|| {
            let records: Vec<VendorRecord<U8Customer>> = decode(black_box(&u8_texts));
            black_box(map_u8_customers(&ctx, &records))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_secs(2))
        .measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
