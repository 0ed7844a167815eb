//! Customer links: the ground truth lists the configured copies, linked records share their
//! keys in different written forms, and nothing else shares a key across sources.
//!
//! Keys are computed twice: with the product's match keys (`custlake-match-keys`: E.164 with
//! region CN for U8 and none for YCM, the company-name key, the normalised e-mail) and with a
//! crude normalisation that knows nothing of libphonenumber (digits only, country code and
//! trunk 0 dropped; lower case, no punctuation, no legal form), so a collision the product's
//! rules happen to hide is still caught.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::common::{self, client, start};
use custlake_match_keys::{Region, company_name_key, email_normalized, phone_e164};
use custlake_simulator::{
    Entity, GroundTruthLink, MessinessConfig, SharedKey, SimConfig, SimHandle, SourceKind,
    U8TenantConfig, YcmClientConfig,
};
use serde_json::Value;

/// A customer: (tenant, customer id).
type CustomerRef = (String, String);

/// One served customer record, keyed as the product keys it.
struct Customer {
    source: SourceKind,
    tenant: String,
    id: String,
    record: Value,
}

impl Customer {
    fn reference(&self) -> CustomerRef {
        (self.tenant.clone(), self.id.clone())
    }

    /// A field as text (a JSON number keeps its digits).
    fn text(&self, field: &str) -> Option<String> {
        match &self.record[field] {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The product's source column for a shared key.
    fn field(&self, key: SharedKey) -> Option<String> {
        let name = match (self.source, key) {
            (SourceKind::YonyouU8, SharedKey::Phone) => "phone",
            (SourceKind::YonyouU8, SharedKey::Mobile) => "mobile",
            (SourceKind::YonyouU8, SharedKey::Fax) => "fax",
            (SourceKind::YonyouU8, SharedKey::Name) => "name",
            (SourceKind::YeastarYcm, SharedKey::Phone) => "businessNumber",
            (SourceKind::YeastarYcm, SharedKey::Mobile) => "mobileNumber",
            (SourceKind::YeastarYcm, SharedKey::Fax) => "faxNumber",
            (SourceKind::YeastarYcm, SharedKey::Name) => return self.ycm_name(),
            (_, SharedKey::Email) => "email",
        };
        self.text(name)
    }

    /// YCM's `name` as the product maps it: `company`, else the person's name.
    fn ycm_name(&self) -> Option<String> {
        self.text("company").or_else(|| {
            let parts: Vec<String> = ["firstName", "lastName"]
                .iter()
                .filter_map(|f| self.text(f))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
    }

    fn region(&self) -> Option<Region> {
        (self.source == SourceKind::YonyouU8).then_some(Region::CN)
    }

    /// The product's key of `key`.
    fn match_key(&self, key: SharedKey) -> Option<String> {
        let value = self.field(key)?;
        match key {
            SharedKey::Name => company_name_key(&value),
            SharedKey::Email => email_normalized(&value),
            _ => phone_e164(&value, self.region()),
        }
    }

    /// Every phone-like value of the record (phone, mobile, fax, YCM home).
    fn phones(&self) -> Vec<String> {
        let fields: &[&str] = match self.source {
            SourceKind::YonyouU8 => &["phone", "mobile", "fax"],
            SourceKind::YeastarYcm => {
                &["businessNumber", "mobileNumber", "faxNumber", "homeNumber"]
            }
        };
        fields.iter().filter_map(|f| self.text(f)).collect()
    }

    fn name(&self) -> Option<String> {
        match self.source {
            SourceKind::YonyouU8 => self.text("name"),
            SourceKind::YeastarYcm => self.ycm_name(),
        }
    }
}

/// The customers `sim` serves, without the records a client must reject (no key).
fn customers(sim: &SimHandle) -> Vec<Customer> {
    let config = sim.config();
    let sets = config
        .u8_tenants
        .iter()
        .map(|t| (SourceKind::YonyouU8, &t.name, Entity::U8Customers))
        .chain(
            config
                .ycm_clients
                .iter()
                .map(|c| (SourceKind::YeastarYcm, &c.name, Entity::YcmCustomers)),
        );
    let mut all = Vec::new();
    for (source, tenant, entity) in sets {
        let set = sim.entity_set(tenant, entity).expect("tenant exists");
        for record in set.records {
            let Some(id) = record.key else { continue };
            all.push(Customer {
                source,
                tenant: tenant.clone(),
                id: id.trim().to_owned(),
                record: serde_json::from_str(&record.json).expect("record is JSON"),
            });
        }
    }
    all
}

/// Digits only (full-width ones too), without a leading `0086`/`86` country code and trunk `0`.
fn crude_phone(raw: &str) -> Option<String> {
    let digits: String = raw
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - 0xFEE0),
            _ => None,
        })
        .collect();
    let rest = if let Some(rest) = digits.strip_prefix("0086") {
        rest
    } else if digits.len() >= 12 && digits.starts_with("86") {
        &digits[2..]
    } else {
        &digits
    };
    let rest = rest.strip_prefix('0').unwrap_or(rest);
    (rest.len() >= 7).then(|| rest.to_owned())
}

/// Lower case, letters and digits only, legal forms dropped from the end.
fn crude_name(raw: &str) -> Option<String> {
    const SUFFIXES: &[&str] = &[
        "集团有限公司",
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "股份公司",
        "集团",
        "inc",
        "llc",
        "ltd",
    ];
    let mut name: String = raw
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    while let Some(suffix) = SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        name.truncate(name.len() - suffix.len());
    }
    (name.chars().count() >= 2).then_some(name)
}

/// Both orders of every linked pair.
fn linked_pairs(links: &[GroundTruthLink]) -> HashSet<(CustomerRef, CustomerRef)> {
    let mut pairs = HashSet::new();
    for l in links {
        let left = (l.left_tenant.clone(), l.left_customer_id.clone());
        let right = (l.right_tenant.clone(), l.right_customer_id.clone());
        pairs.insert((left.clone(), right.clone()));
        pairs.insert((right, left));
    }
    pairs
}

/// Pairs of customers of different sources that share a key but are not linked.
fn accidental_pairs(
    customers: &[Customer],
    linked: &HashSet<(CustomerRef, CustomerRef)>,
    keys: impl Fn(&Customer) -> Vec<String>,
) -> Vec<(String, CustomerRef, CustomerRef)> {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (n, c) in customers.iter().enumerate() {
        let mut own: Vec<String> = keys(c);
        own.sort();
        own.dedup();
        for key in own {
            by_key.entry(key).or_default().push(n);
        }
    }
    let mut accidental = Vec::new();
    for (key, holders) in by_key {
        for (a, &x) in holders.iter().enumerate() {
            for &y in &holders[a + 1..] {
                let (x, y) = (&customers[x], &customers[y]);
                if x.tenant == y.tenant {
                    continue;
                }
                let pair = (x.reference(), y.reference());
                if !linked.contains(&pair) {
                    accidental.push((key.clone(), pair.0, pair.1));
                }
            }
        }
    }
    accidental
}

fn by_reference(customers: &[Customer]) -> HashMap<CustomerRef, &Customer> {
    customers.iter().map(|c| (c.reference(), c)).collect()
}

#[tokio::test]
async fn truth_lists_the_configured_share_in_process_and_over_http() {
    let mut config = SimConfig::demo(1000);
    // The demo's first two U8 tenants: the shares below are counted over them.
    config.u8_tenants.truncate(2);
    config.frozen_time = Some(1_664_248_965);
    let sim = start(config).await;
    let links = sim.ground_truth_links();
    let ycm: Vec<&GroundTruthLink> = links
        .iter()
        .filter(|l| l.right_source == SourceKind::YeastarYcm)
        .collect();
    let u8: Vec<&GroundTruthLink> = links
        .iter()
        .filter(|l| l.right_source == SourceKind::YonyouU8)
        .collect();
    assert_eq!(ycm.len(), 300, "30% of the YCM client's 1000 customers");
    assert_eq!(u8.len(), 50, "5% of the second U8 tenant's 1000 customers");
    assert!(
        u8.iter()
            .all(|l| l.left_tenant == "u8_demo_a" && l.right_tenant == "u8_demo_b")
    );
    let tenants: BTreeSet<&str> = ycm.iter().map(|l| l.left_tenant.as_str()).collect();
    assert_eq!(
        tenants,
        BTreeSet::from(["u8_demo_a", "u8_demo_b"]),
        "spread over both"
    );
    let originals: HashSet<(&str, &str)> = links
        .iter()
        .map(|l| (l.left_tenant.as_str(), l.left_customer_id.as_str()))
        .collect();
    assert_eq!(originals.len(), links.len(), "each original has one copy");
    assert!(links.iter().all(|l| l.left_source == SourceKind::YonyouU8));
    assert!(links.iter().all(|l| !l.shared.is_empty()));
    assert!(links.iter().all(|l| !l.shared.contains(&SharedKey::Email)));

    // Every id is a served customer's key.
    let all = customers(&sim);
    let served = by_reference(&all);
    for l in &links {
        assert!(served.contains_key(&(l.left_tenant.clone(), l.left_customer_id.clone())));
        assert!(served.contains_key(&(l.right_tenant.clone(), l.right_customer_id.clone())));
    }

    let body = common::get(
        &client(),
        &format!("{}/_sim/ground_truth/links", sim.base_url()),
    )
    .await
    .1;
    let over_http: Vec<GroundTruthLink> = String::from_utf8(body)
        .expect("utf8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a link per line"))
        .collect();
    assert_eq!(over_http, links);
    let first: Value =
        serde_json::from_str(&serde_json::to_string(&links[0]).expect("serializes")).expect("JSON");
    assert_eq!(first["left_source"], "yonyou_u8");
    assert_eq!(first["right_source"], "yeastar_ycm");
    assert!(first["shared"].as_array().is_some_and(|s| !s.is_empty()));
    sim.shutdown().await;
}

#[tokio::test]
async fn linked_pairs_share_their_keys_written_differently() {
    let sim = start(SimConfig::demo(3000)).await;
    let links = sim.ground_truth_links();
    let all = customers(&sim);
    let served = by_reference(&all);
    let mut checked = 0;
    let mut mismatched = Vec::new();
    let mut differently_written = 0;
    let mut shapes: HashMap<SharedKey, BTreeSet<String>> = HashMap::new();
    for l in &links {
        let left = served[&(l.left_tenant.clone(), l.left_customer_id.clone())];
        let right = served[&(l.right_tenant.clone(), l.right_customer_id.clone())];
        for key in [
            SharedKey::Phone,
            SharedKey::Mobile,
            SharedKey::Fax,
            SharedKey::Name,
        ] {
            let (a, b) = (left.match_key(key), right.match_key(key));
            if !l.shared.contains(&key) {
                // A key the pair does not share is not equal by accident.
                assert!(a.is_none() || a != b, "{l:?}: {key:?} {a:?}");
                continue;
            }
            checked += 1;
            if a.is_none() || a != b {
                mismatched.push((key, left.field(key), right.field(key)));
            }
            let (raw_a, raw_b) = (left.field(key), right.field(key));
            if raw_a != raw_b {
                differently_written += 1;
            }
            for raw in [raw_a, raw_b].into_iter().flatten() {
                let shape: String = raw
                    .chars()
                    .map(|c| match c {
                        '0'..='9' => '9',
                        '０'..='９' => '９',
                        c => c,
                    })
                    .collect();
                shapes.entry(key).or_default().insert(shape);
            }
        }
    }
    // Mild messiness: YCM numbers typed without the country code (0.5%) cannot be placed.
    assert!(
        mismatched.len() * 100 < checked,
        "{} of {checked} shared keys do not match: {:?}",
        mismatched.len(),
        &mismatched[..mismatched.len().min(10)]
    );
    assert!(
        differently_written * 2 > checked,
        "{differently_written} of {checked}"
    );
    for key in [SharedKey::Phone, SharedKey::Mobile, SharedKey::Fax] {
        let count = shapes.get(&key).map_or(0, BTreeSet::len);
        assert!(count >= 3, "{key:?}: only {count} written forms");
    }
    // Some U8 numbers use full-width digits, some mobiles go out as JSON numbers.
    let phone_shapes = &shapes[&SharedKey::Phone];
    assert!(
        phone_shapes.iter().any(|s| s.contains('９')),
        "{phone_shapes:?}"
    );
    assert!(phone_shapes.iter().any(|s| s.starts_with("+99")));
    assert!(all.iter().any(|c| c.record["mobile"].is_number()));
    sim.shutdown().await;
}

#[tokio::test]
async fn edits_keep_what_links_share() {
    let sim = start(SimConfig::demo(400)).await;
    let before_links = sim.ground_truth_links();
    let before = customers(&sim);
    sim.change_u8_customers("u8_demo_a", 200)
        .expect("tenant exists");
    sim.change_u8_customers("u8_demo_b", 200)
        .expect("tenant exists");
    assert_eq!(sim.ground_truth_links(), before_links);
    let after = customers(&sim);
    let after = by_reference(&after);
    for c in before.iter().filter(|c| c.source == SourceKind::YonyouU8) {
        let now = after[&c.reference()];
        for field in ["name", "phone", "mobile", "fax"] {
            assert_eq!(now.record[field], c.record[field], "{field}");
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn unlinked_customers_share_no_key_with_another_source() {
    // 200,000 U8 customers in two tenants and 50,000 YCM customers.
    let mut config = SimConfig::demo(100_000);
    // The demo's first two U8 tenants: the shares below are counted over them.
    config.u8_tenants.truncate(2);
    config.messiness = MessinessConfig::mild();
    config.ycm_clients[0].customers = 50_000;
    for tenant in &mut config.u8_tenants {
        tenant.contacts_per_customer = 0;
    }
    // A third, small tenant: copies then come from one tenant and land in two.
    config.u8_tenants.push(U8TenantConfig {
        name: "u8_demo_c".into(),
        to_account: "demo_ent_c".into(),
        ds_sequence: None,
        customers: 2_000,
        ..config.u8_tenants[0].clone()
    });
    let sim = start(config).await;
    let links = sim.ground_truth_links();
    let all = customers(&sim);
    let linked = linked_pairs(&links);
    assert!(links.len() > 15_000, "{}", links.len());

    let product_phone = accidental_pairs(&all, &linked, |c| {
        c.phones()
            .iter()
            .filter_map(|p| phone_e164(p, c.region()))
            .collect()
    });
    let crude_phone = accidental_pairs(&all, &linked, |c| {
        c.phones().iter().filter_map(|p| crude_phone(p)).collect()
    });
    let product_name = accidental_pairs(&all, &linked, |c| {
        c.name()
            .and_then(|n| company_name_key(&n))
            .into_iter()
            .collect()
    });
    let crude_name = accidental_pairs(&all, &linked, |c| {
        c.name().and_then(|n| crude_name(&n)).into_iter().collect()
    });
    let email = accidental_pairs(&all, &linked, |c| {
        c.text("email")
            .and_then(|e| email_normalized(&e))
            .into_iter()
            .collect()
    });
    let show = |pairs: &[(String, CustomerRef, CustomerRef)]| {
        format!(
            "{} pairs, e.g. {:?}",
            pairs.len(),
            &pairs[..pairs.len().min(5)]
        )
    };
    assert!(product_phone.is_empty(), "E.164: {}", show(&product_phone));
    assert!(crude_phone.is_empty(), "digits: {}", show(&crude_phone));
    assert!(email.is_empty(), "e-mail: {}", show(&email));
    for (rule, pairs) in [("name key", &product_name), ("crude name", &crude_name)] {
        assert!(pairs.len() * 100 < links.len(), "{rule}: {}", show(pairs));
    }
    assert!(product_name.is_empty(), "name key: {}", show(&product_name));

    // Every YCM e-mail is its company's own.
    let mut mails = HashSet::new();
    for c in all.iter().filter(|c| c.source == SourceKind::YeastarYcm) {
        if let Some(mail) = c.text("email").and_then(|e| email_normalized(&e)) {
            assert!(mails.insert(mail.clone()), "{mail} twice");
        }
    }

    // Recall: every link is found on a shared key, almost every shared key matches.
    let served = by_reference(&all);
    let (mut shared, mut matched, mut found) = (0, 0, 0);
    for l in &links {
        let left = served[&(l.left_tenant.clone(), l.left_customer_id.clone())];
        let right = served[&(l.right_tenant.clone(), l.right_customer_id.clone())];
        let mut any = false;
        for key in &l.shared {
            shared += 1;
            let a = left.match_key(*key);
            if a.is_some() && a == right.match_key(*key) {
                matched += 1;
                any = true;
            }
        }
        found += usize::from(any);
    }
    assert!(
        matched * 1000 >= shared * 995,
        "{matched} of {shared} shared keys match"
    );
    assert!(
        found * 1000 >= links.len() * 999,
        "{found} of {} links",
        links.len()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn later_ycm_clients_copy_the_first_clients_customers_with_their_email() {
    let mut config = SimConfig::demo(1000);
    // The demo's first two U8 tenants: the shares below are counted over them.
    config.u8_tenants.truncate(2);
    config.ycm_clients.push(YcmClientConfig {
        name: "ycm_demo_b".into(),
        client_id: "ycm-demo-client-b".into(),
        ..config.ycm_clients[0].clone()
    });
    config.ycm_overlap_share = 0.2;
    let sim = start(config).await;
    let links = sim.ground_truth_links();
    let ycm_ycm: Vec<&GroundTruthLink> = links
        .iter()
        .filter(|l| l.left_source == SourceKind::YeastarYcm)
        .collect();
    assert_eq!(
        ycm_ycm.len(),
        200,
        "20% of the second client's 1000 customers"
    );
    assert_eq!(links.len(), 300 + 300 + 50 + 200);
    assert!(ycm_ycm.iter().all(|l| l.left_tenant == "ycm_demo"
        && l.right_source == SourceKind::YeastarYcm
        && l.right_tenant == "ycm_demo_b"
        && l.shared.contains(&SharedKey::Email)));
    assert!(
        links
            .iter()
            .filter(|l| l.left_source == SourceKind::YonyouU8)
            .all(|l| !l.shared.contains(&SharedKey::Email))
    );
    // Nobody is in two links.
    let mut seen = HashSet::new();
    for l in &links {
        assert!(seen.insert((l.left_tenant.clone(), l.left_customer_id.clone())));
        assert!(seen.insert((l.right_tenant.clone(), l.right_customer_id.clone())));
    }

    let all = customers(&sim);
    let served = by_reference(&all);
    let mut mismatched = Vec::new();
    for l in &ycm_ycm {
        let left = served[&(l.left_tenant.clone(), l.left_customer_id.clone())];
        let right = served[&(l.right_tenant.clone(), l.right_customer_id.clone())];
        let (raw_a, raw_b) = (left.text("email"), right.text("email"));
        assert!(raw_a.is_some() && raw_b.is_some(), "{l:?}");
        assert_ne!(raw_a, raw_b, "written differently");
        let (a, b) = (
            left.match_key(SharedKey::Email),
            right.match_key(SharedKey::Email),
        );
        assert!(a.is_some() && a == b, "{raw_a:?} vs {raw_b:?}");
        for key in [
            SharedKey::Phone,
            SharedKey::Mobile,
            SharedKey::Fax,
            SharedKey::Name,
        ] {
            let (a, b) = (left.match_key(key), right.match_key(key));
            if l.shared.contains(&key) {
                if a.is_none() || a != b {
                    mismatched.push((key, left.field(key), right.field(key)));
                }
            } else {
                assert!(a.is_none() || a != b, "{l:?}: {key:?} {a:?}");
            }
        }
    }
    // Mild messiness: YCM numbers typed without the country code cannot be placed.
    assert!(mismatched.len() < 10, "{mismatched:?}");

    // No e-mail is shared by customers that are not linked.
    let linked = linked_pairs(&links);
    let email = accidental_pairs(&all, &linked, |c| {
        c.text("email")
            .and_then(|e| email_normalized(&e))
            .into_iter()
            .collect()
    });
    assert!(email.is_empty(), "{:?}", &email[..email.len().min(5)]);
    sim.shutdown().await;
}
