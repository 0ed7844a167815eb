//! `custlake init`: a working configuration for a running `custlake-sim`, so the step from
//! `custlake demo` to a configuration of one's own is one command.
//!
//! It writes the configuration `custlake demo` runs with — the simulator's demo tenants, their
//! accounts and the settings that suit it — as `custlake.toml`, its secrets as `${VAR}`
//! references, and `.env.example` with the values of those variables (the simulator's demo
//! secrets; a real account's secrets are exported the same way, never written in the file).

use std::path::Path;

use anyhow::{Context, Result};
use custlake_pipeline::RunStatus;
use custlake_simulator::SimConfig;

use crate::UsageError;
use crate::cli::InitArgs;
use crate::commands::demo::demo_config;

/// Where `init`'s configuration exports to, relative to the folder `custlake` runs in.
const OUTPUT_PATH: &str = "lake";

/// Writes `custlake.toml` and `.env.example` into `args.dir`.
pub fn run(args: InitArgs) -> Result<RunStatus> {
    let config_path = args.dir.join("custlake.toml");
    let env_path = args.dir.join(".env.example");
    for path in [&config_path, &env_path] {
        if path.exists() && !args.force {
            return Err(UsageError::msg(format!(
                "{} exists; pass --force to replace it, or --dir to write elsewhere",
                path.display()
            ))
            .into());
        }
    }
    // The credentials do not depend on the record count.
    let sim = SimConfig::demo(1);
    let (config, secrets) = demo_config(&sim, &args.base_url, Path::new(OUTPUT_PATH));
    let body = toml::to_string_pretty(&config).context("writing the configuration as TOML")?;
    let header = format!(
        "# custlake configuration for custlake-sim at {base}: its demo tenants.\n\
         # Secrets are ${{VAR}} references: `. ./.env.example` sets them for custlake-sim.\n\
         # [output] path is relative to the folder custlake runs in. Every setting is explained\n\
         # in custlake.example.toml.\n\n",
        base = args.base_url
    );
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    std::fs::write(&config_path, format!("{header}{body}"))
        .with_context(|| format!("writing {}", config_path.display()))?;
    let mut env = String::from(
        "# The secrets custlake.toml references, as custlake-sim's demo accounts have them.\n\
         # For real accounts: export each variable from your secret store instead.\n",
    );
    for (var, value) in &secrets {
        env.push_str(&format!("export {var}={value}\n"));
    }
    std::fs::write(&env_path, env).with_context(|| format!("writing {}", env_path.display()))?;
    println!(
        "wrote {} and {}: start custlake-sim, then `. {}` and `custlake export --config {}`",
        config_path.display(),
        env_path.display(),
        env_path.display(),
        config_path.display()
    );
    Ok(RunStatus::Succeeded)
}
