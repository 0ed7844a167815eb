//! The shape of the four datasets: names, types, nullability, descriptions and the JSON
//! description `custlake schema` prints.

use std::sync::Arc;

use arrow_schema::{DataType, TimeUnit};
use custlake_schema::{
    DESCRIPTION_KEY, Dataset, PARTITION_COLUMNS, SCHEMA_VERSION, SCHEMA_VERSION_KEY, SourceKind,
    contacts_schema, customer_links_schema, customers_schema, describe_json, pyarrow_type,
    rejects_schema,
};

fn names(dataset: Dataset) -> Vec<String> {
    dataset
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

fn required(dataset: Dataset) -> Vec<String> {
    dataset
        .schema()
        .fields()
        .iter()
        .filter(|f| !f.is_nullable())
        .map(|f| f.name().clone())
        .collect()
}

#[test]
fn column_names_and_order() {
    assert_eq!(
        names(Dataset::Customers),
        [
            "source",
            "tenant",
            "customer_id",
            "name",
            "short_name",
            "category_code",
            "region_code",
            "industry",
            "contact_name",
            "phone",
            "mobile",
            "fax",
            "email",
            "phone_e164",
            "mobile_e164",
            "fax_e164",
            "email_normalized",
            "address",
            "city",
            "state",
            "postal_code",
            "country",
            "delivery_address",
            "bank_name",
            "bank_account",
            "currency",
            "is_domestic",
            "is_overseas",
            "is_service",
            "management_type_code",
            "management_type_name",
            "owner_code",
            "owner_name",
            "established_on",
            "deactivated_on",
            "source_modified_at",
            "source_version",
            "remark",
            "custom_fields",
            "extracted_at",
            "run_id",
            "raw",
            "row_hash",
        ]
    );
    assert_eq!(
        names(Dataset::Contacts),
        [
            "source",
            "tenant",
            "contact_id",
            "customer_id",
            "customer_name",
            "full_name",
            "first_name",
            "last_name",
            "salutation",
            "position",
            "gender",
            "birthday",
            "mobile",
            "office_phone",
            "home_phone",
            "fax",
            "email",
            "mobile_e164",
            "office_phone_e164",
            "home_phone_e164",
            "email_normalized",
            "wechat",
            "qq",
            "hobbies",
            "native_place",
            "is_primary",
            "is_default",
            "manager_code",
            "manager_name",
            "owner_code",
            "owner_name",
            "extracted_at",
            "run_id",
            "raw",
            "row_hash",
        ]
    );
    assert_eq!(
        names(Dataset::Rejects),
        [
            "source",
            "tenant",
            "entity",
            "record_key",
            "field",
            "value",
            "reason",
            "extracted_at",
            "run_id",
            "raw",
        ]
    );
    assert_eq!(
        names(Dataset::CustomerLinks),
        [
            "source",
            "tenant",
            "left_source",
            "left_tenant",
            "left_customer_id",
            "right_source",
            "right_tenant",
            "right_customer_id",
            "match_key",
            "match_value",
            "confidence",
            "extracted_at",
            "run_id",
        ]
    );
}

#[test]
fn keys_and_run_columns_are_not_null() {
    assert_eq!(
        required(Dataset::Customers),
        [
            "source",
            "tenant",
            "customer_id",
            "extracted_at",
            "run_id",
            "row_hash"
        ]
    );
    assert_eq!(
        required(Dataset::Contacts),
        [
            "source",
            "tenant",
            "contact_id",
            "extracted_at",
            "run_id",
            "row_hash"
        ]
    );
    assert_eq!(
        required(Dataset::Rejects),
        [
            "source",
            "tenant",
            "entity",
            "reason",
            "extracted_at",
            "run_id"
        ]
    );
    // A link is only written whole: every column is required.
    assert_eq!(
        required(Dataset::CustomerLinks),
        names(Dataset::CustomerLinks)
    );
}

#[test]
fn column_types() {
    let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let timestamp = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    for dataset in Dataset::ALL {
        let schema = dataset.schema();
        let ty = |name: &str| {
            schema
                .field_with_name(name)
                .expect("column exists")
                .data_type()
                .clone()
        };
        assert_eq!(ty("source"), dictionary);
        assert_eq!(ty("tenant"), dictionary);
        assert_eq!(ty("extracted_at"), timestamp);
        assert_eq!(ty("run_id"), DataType::Utf8);
        // A link is derived from two customers' rows, so it has no vendor record to keep.
        if dataset == Dataset::CustomerLinks {
            assert!(schema.field_with_name("raw").is_err());
        } else {
            assert_eq!(ty("raw"), DataType::Utf8);
        }
    }
    let customers = customers_schema();
    let ty = |name: &str| {
        customers
            .field_with_name(name)
            .expect("column")
            .data_type()
            .clone()
    };
    assert_eq!(ty("is_domestic"), DataType::Boolean);
    assert_eq!(ty("established_on"), DataType::Date32);
    assert_eq!(ty("source_modified_at"), timestamp);
    assert_eq!(ty("source_version"), DataType::Int64);
    assert!(matches!(ty("custom_fields"), DataType::Map(_, false)));
    for key in ["phone_e164", "mobile_e164", "fax_e164", "email_normalized"] {
        assert_eq!(ty(key), DataType::Utf8, "customers.{key}");
        assert!(
            customers
                .field_with_name(key)
                .expect("column")
                .is_nullable()
        );
    }
    let contacts = contacts_schema();
    assert_eq!(
        contacts
            .field_with_name("birthday")
            .expect("column")
            .data_type(),
        &DataType::Date32
    );
    assert_eq!(
        contacts
            .field_with_name("is_primary")
            .expect("column")
            .data_type(),
        &DataType::Boolean
    );
    for key in [
        "mobile_e164",
        "office_phone_e164",
        "home_phone_e164",
        "email_normalized",
    ] {
        let field = contacts.field_with_name(key).expect("column");
        assert_eq!(field.data_type(), &DataType::Utf8, "contacts.{key}");
        assert!(field.is_nullable(), "contacts.{key}");
    }
    // Contacts have no fax key: only customers link on fax.
    assert!(contacts.field_with_name("fax_e164").is_err());
    let links = customer_links_schema();
    let ty = |name: &str| {
        links
            .field_with_name(name)
            .expect("column")
            .data_type()
            .clone()
    };
    assert_eq!(ty("confidence"), DataType::Float64);
    for name in [
        "left_source",
        "left_tenant",
        "left_customer_id",
        "right_source",
        "right_tenant",
        "right_customer_id",
        "match_key",
        "match_value",
    ] {
        assert_eq!(ty(name), DataType::Utf8, "customer_links.{name}");
    }
}

#[test]
fn every_key_column_follows_its_text_column() {
    let follows = |dataset: Dataset, text: &str, keys: &[&str]| {
        let all = names(dataset);
        let at = all.iter().position(|n| n == text).expect("text column");
        assert_eq!(
            &all[at + 1..at + 1 + keys.len()],
            keys,
            "{dataset} after {text}"
        );
    };
    follows(
        Dataset::Customers,
        "email",
        &["phone_e164", "mobile_e164", "fax_e164", "email_normalized"],
    );
    follows(
        Dataset::Contacts,
        "email",
        &[
            "mobile_e164",
            "office_phone_e164",
            "home_phone_e164",
            "email_normalized",
        ],
    );
}

#[test]
fn file_schemas_of_every_dataset_leave_out_the_partition_columns() {
    for dataset in Dataset::ALL {
        let expected: Vec<String> = names(dataset)
            .into_iter()
            .filter(|name| !PARTITION_COLUMNS.contains(&name.as_str()))
            .collect();
        let file: Vec<String> = dataset
            .file_schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(file, expected, "{dataset}");
    }
}

#[test]
fn every_column_is_described() {
    for dataset in Dataset::ALL {
        for field in dataset.schema().fields() {
            let description = field.metadata().get(DESCRIPTION_KEY);
            assert!(
                description.is_some_and(|d| d.len() > 10 && d.ends_with('.')),
                "{dataset}.{} has no proper description",
                field.name()
            );
        }
    }
    let customers = customers_schema();
    assert_eq!(
        customers
            .field_with_name("customer_id")
            .expect("column")
            .metadata()[DESCRIPTION_KEY],
        "Customer code, unique per (source, tenant). U8: code; YCM: customerId (decimal text)."
    );
}

#[test]
fn schemas_carry_their_version_and_are_cached() {
    for dataset in Dataset::ALL {
        let schema = dataset.schema();
        assert_eq!(
            schema.metadata()[SCHEMA_VERSION_KEY],
            SCHEMA_VERSION.to_string()
        );
        assert_eq!(schema.metadata()["custlake.dataset"], dataset.as_str());
    }
    assert!(Arc::ptr_eq(&customers_schema(), &customers_schema()));
    assert!(Arc::ptr_eq(&rejects_schema(), &Dataset::Rejects.schema()));
    assert!(Arc::ptr_eq(
        &customer_links_schema(),
        &Dataset::CustomerLinks.schema()
    ));
    assert_eq!(SCHEMA_VERSION, 4);
}

#[test]
fn names_of_sources_and_datasets() {
    assert_eq!(SourceKind::YonyouU8.as_str(), "yonyou_u8");
    assert_eq!(SourceKind::YeastarYcm.as_str(), "yeastar_ycm");
    assert_eq!(
        "yeastar_ycm".parse::<SourceKind>(),
        Ok(SourceKind::YeastarYcm)
    );
    assert!("u8".parse::<SourceKind>().is_err());
    let datasets: Vec<&str> = Dataset::ALL.iter().map(|d| d.as_str()).collect();
    assert_eq!(
        datasets,
        ["customers", "contacts", "rejects", "customer_links"]
    );
    for dataset in Dataset::ALL {
        assert_eq!(dataset.to_string(), dataset.as_str());
        assert_eq!(
            dataset.schema().metadata()["custlake.dataset"],
            dataset.as_str()
        );
    }
}

#[test]
fn describe_json_spells_types_as_pyarrow() {
    let described = describe_json();
    assert_eq!(described["schema_version"], 4);
    let listed: Vec<&String> = described["datasets"]
        .as_object()
        .expect("datasets")
        .keys()
        .collect();
    let mut expected: Vec<&str> = Dataset::ALL
        .iter()
        .chain(&Dataset::HISTORIES)
        .map(|d| d.as_str())
        .collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
    let column = |dataset: &str, name: &str| {
        described["datasets"][dataset]
            .as_array()
            .expect("dataset listed")
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{dataset}.{name} listed"))
            .clone()
    };
    let types = [
        ("customers", "source", "string"),
        ("customers", "customer_id", "string"),
        ("customers", "is_domestic", "bool"),
        ("customers", "source_version", "int64"),
        ("customers", "established_on", "date32[day]"),
        ("customers", "source_modified_at", "timestamp[us, tz=UTC]"),
        ("customers", "custom_fields", "map<string, string>"),
        ("customers", "phone_e164", "string"),
        ("customers", "email_normalized", "string"),
        ("customers", "row_hash", "int64"),
        ("contacts", "tenant", "string"),
        ("contacts", "office_phone_e164", "string"),
        ("rejects", "extracted_at", "timestamp[us, tz=UTC]"),
        ("customer_links", "source", "string"),
        ("customer_links", "tenant", "string"),
        ("customer_links", "left_customer_id", "string"),
        ("customer_links", "confidence", "double"),
        ("customer_links", "extracted_at", "timestamp[us, tz=UTC]"),
    ];
    for (dataset, name, ty) in types {
        assert_eq!(column(dataset, name)["type"], ty, "{dataset}.{name}");
    }
    // The partition columns are in the folder names (read back as strings), every other
    // column in the files.
    for dataset in Dataset::ALL {
        for described_column in described["datasets"][dataset.as_str()]
            .as_array()
            .expect("listed")
        {
            let name = described_column["name"].as_str().expect("name");
            let in_path = ["source", "tenant"].contains(&name);
            let want = if in_path { "path" } else { "file" };
            assert_eq!(described_column["stored_in"], want, "{dataset}.{name}");
            if in_path {
                assert_eq!(described_column["type"], "string", "{dataset}.{name}");
            }
        }
    }
    assert_eq!(column("customers", "customer_id")["stored_in"], "file");
    assert_eq!(column("customer_links", "confidence")["stored_in"], "file");
    assert_eq!(column("customer_links", "confidence")["nullable"], false);
    assert_eq!(column("customers", "phone_e164")["nullable"], true);
    let customer_id = column("customers", "customer_id");
    assert_eq!(customer_id["nullable"], false);
    assert_eq!(
        customer_id["description"],
        "Customer code, unique per (source, tenant). U8: code; YCM: customerId (decimal text)."
    );
    assert_eq!(column("rejects", "record_key")["nullable"], true);
    for dataset in Dataset::ALL {
        let listed = described["datasets"][dataset.as_str()]
            .as_array()
            .expect("listed")
            .len();
        assert_eq!(listed, dataset.schema().fields().len());
    }
    assert_eq!(
        pyarrow_type(&DataType::Timestamp(TimeUnit::Millisecond, None)),
        "timestamp[ms]"
    );
    assert_eq!(pyarrow_type(&DataType::Float64), "double");
}
