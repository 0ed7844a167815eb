//! `custlake schema`: the unified schema with column descriptions, every dataset the output
//! can hold (the change logs included), each column as readers see it.

use anyhow::Result;
use custlake_pipeline::RunStatus;
use custlake_schema::{Dataset, PARTITION_COLUMNS, describe_json};

use crate::cli::{SchemaArgs, SchemaFormat};

/// Every dataset, in output order, then the change logs.
fn datasets() -> impl Iterator<Item = Dataset> {
    Dataset::ALL.into_iter().chain(Dataset::HISTORIES)
}

/// How a column's type is spelled.
#[derive(Clone, Copy)]
enum Spelling {
    /// As pyarrow prints it.
    Pyarrow,
    /// Arrow's own type names.
    Arrow,
}

/// Prints the schema in the requested format.
pub fn run(args: SchemaArgs) -> Result<RunStatus> {
    match args.format {
        SchemaFormat::Json => println!("{}", serde_json::to_string_pretty(&describe_json())?),
        SchemaFormat::Arrow => print_columns(Spelling::Arrow),
        SchemaFormat::Table => print_columns(Spelling::Pyarrow),
    }
    Ok(RunStatus::Succeeded)
}

/// One block per dataset: each column's name, type and description. The partition columns
/// live in the folder names, and readers give them back as text.
fn print_columns(spelling: Spelling) {
    for dataset in datasets() {
        println!("{}", dataset.as_str());
        for field in dataset.schema().fields() {
            let description = field
                .metadata()
                .get(custlake_schema::DESCRIPTION_KEY)
                .map(String::as_str)
                .unwrap_or("");
            let nullable = if field.is_nullable() { "" } else { " not null" };
            let in_path = PARTITION_COLUMNS.contains(&field.name().as_str());
            let ty = match (spelling, in_path) {
                (Spelling::Pyarrow, true) => "string, in the path".to_owned(),
                (Spelling::Arrow, true) => "Utf8 (from the path)".to_owned(),
                (Spelling::Pyarrow, false) => custlake_schema::pyarrow_type(field.data_type()),
                (Spelling::Arrow, false) => format!("{:?}", field.data_type()),
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
