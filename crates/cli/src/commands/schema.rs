//! `custlake schema`: the unified schema with column descriptions.

use anyhow::Result;
use custlake_pipeline::RunStatus;
use custlake_schema::{Dataset, PARTITION_COLUMNS, describe_json};

use crate::cli::{SchemaArgs, SchemaFormat};

/// Prints the schema in the requested format.
pub fn run(args: SchemaArgs) -> Result<RunStatus> {
    match args.format {
        SchemaFormat::Json => println!("{}", serde_json::to_string_pretty(&describe_json())?),
        SchemaFormat::Arrow => {
            for dataset in [Dataset::Customers, Dataset::Contacts, Dataset::Rejects] {
                println!("{}: {:#?}", dataset.as_str(), dataset.schema());
            }
        }
        SchemaFormat::Table => {
            for dataset in [Dataset::Customers, Dataset::Contacts, Dataset::Rejects] {
                println!("{}", dataset.as_str());
                for field in dataset.schema().fields() {
                    let description = field
                        .metadata()
                        .get(custlake_schema::DESCRIPTION_KEY)
                        .map(String::as_str)
                        .unwrap_or("");
                    let nullable = if field.is_nullable() { "" } else { " not null" };
                    let ty = if PARTITION_COLUMNS.contains(&field.name().as_str()) {
                        "string, in the path".to_owned()
                    } else {
                        custlake_schema::pyarrow_type(field.data_type())
                    };
                    println!(
                        "  {:<26} {:<40} {description}",
                        field.name(),
                        format!("{ty}{nullable}")
                    );
                }
                println!();
            }
        }
    }
    Ok(RunStatus::Succeeded)
}
