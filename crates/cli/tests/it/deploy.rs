//! The `custlake …` command lines in `deploy/` (Dockerfile, Kubernetes Job, Airflow DAG, README)
//! checked against the flags `custlake <subcommand> --help` lists, so renaming a flag breaks
//! this test instead of a production job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// One option as `--help` lists it; `possible` is empty when any value goes.
#[derive(Debug, Clone)]
struct Flag {
    takes_value: bool,
    possible: Vec<String>,
}

/// A subcommand's options by spelling: `--config` and `-c` name the same [`Flag`].
type Flags = BTreeMap<String, Flag>;

/// What the deploy files write where the orchestrator fills in the shard index.
const PLACEHOLDERS: [&str; 2] = ["$(JOB_COMPLETION_INDEX)", "{k}"];

/// Where a command line stops in text (a quote, backtick, shell operator or comment).
const ENDS: [char; 8] = ['"', '\'', '`', '|', ';', '&', '#', '\\'];

fn help(args: &[&str]) -> String {
    let mut custlake = Command::cargo_bin("custlake").expect("binary built");
    let output = custlake.args(args).arg("--help").output().expect("runs");
    assert!(output.status.success(), "custlake {args:?} --help failed");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// Subcommand names from the `Commands:` section of `custlake --help`.
fn subcommands(help: &str) -> Vec<String> {
    let (_, section) = help.split_once("Commands:").expect("a Commands: section");
    let section = section.split("\n\n").next().unwrap_or_default();
    let names = section.lines().filter_map(|l| l.split_whitespace().next());
    names.map(str::to_owned).collect()
}

/// Options of one `--help`: lines indented at most 6 spaces such as `-c, --config <CONFIG>` or
/// `--no-raw`, with the possible values from `[possible values: a, b]` (short help) or the
/// `- a: …` items after `Possible values:` (long help).
fn parse_help(help: &str) -> Flags {
    let (mut flags, mut names, mut in_list) = (Flags::new(), Vec::new(), false);
    for line in help.lines() {
        let text = line.trim_start();
        if text.starts_with('-') && line.len() - text.len() <= 6 {
            let spec = text.split("  ").next().unwrap_or_default();
            let takes_value = spec.contains('<');
            let flag = Flag {
                takes_value,
                possible: Vec::new(),
            };
            let name = |n: &str| n.split([' ', '.']).next().unwrap_or(n).to_owned();
            names = spec.split(", ").map(name).collect();
            flags.extend(names.iter().map(|n: &String| (n.clone(), flag.clone())));
            in_list = false;
        }
        in_list |= text == "Possible values:";
        let (_, listed) = text.split_once("[possible values: ").unwrap_or_default();
        let listed = listed.split(']').next().unwrap_or_default();
        let mut possible: Vec<&str> = listed.split(", ").collect();
        if let Some(item) = text.strip_prefix("- ").filter(|_| in_list) {
            possible.push(item.split(':').next().unwrap_or(item));
        }
        for name in &names {
            let flag = flags.get_mut(name).expect("listed above");
            let values = possible.iter().map(|v| v.trim()).filter(|v| !v.is_empty());
            flag.possible.extend(values.map(str::to_owned));
        }
    }
    flags
}

/// Checks the arguments after `custlake <subcommand>` against that subcommand's flags.
fn check_args(flags: &Flags, args: &[String]) -> Result<(), String> {
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value)),
            _ => (arg.as_str(), None),
        };
        let unknown = || format!("unknown flag or argument {name:?}");
        let flag = flags.get(name).ok_or_else(unknown)?;
        let mut next_value = || rest.next().filter(|v| !v.starts_with('-'));
        let value = match (flag.takes_value, inline) {
            (false, None) => continue,
            (false, Some(_)) => return Err(format!("{name} takes no value")),
            (true, Some(value)) => value,
            (true, None) => next_value().ok_or(format!("{name} needs a value"))?,
        };
        if !flag.possible.is_empty() && !flag.possible.iter().any(|p| p == value) {
            return Err(format!("{name} {value:?} is none of {:?}", flag.possible));
        }
        if name == "--shard" && !is_shard(value) {
            return Err(format!("--shard {value:?} is not K/N with K < N, or /N"));
        }
    }
    Ok(())
}

/// `K/N` with `K < N`, or `/N` (K from JOB_COMPLETION_INDEX).
fn is_shard(value: &str) -> bool {
    let (k, n) = value.split_once('/').unwrap_or(("", ""));
    let below = |n: u32| k.is_empty() || k.parse::<u32>().is_ok_and(|k| k < n);
    n.parse::<u32>().is_ok_and(|n| n > 0 && below(n))
}

/// A list of string literals (`["a", 'b',]`: Dockerfile exec form, YAML flow sequence, Python
/// list) at the start of `text`.
fn string_list(text: &str) -> Option<Vec<String>> {
    let mut items = Vec::new();
    let mut rest = text.strip_prefix('[')?.trim_start();
    while !rest.starts_with(']') {
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let end = rest[1..].find(quote)?;
        items.push(rest[1..=end].to_owned());
        rest = rest[end + 2..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        rest.starts_with(['"', '\'', ']']).then_some(())?;
    }
    Some(items)
}

/// Every custlake command line in a file, from its subcommand on: string lists starting with
/// `"custlake"` (or `["custlake"]` and the next list, as ENTRYPOINT and CMD, command and args),
/// and `custlake[:tag] <subcommand> …` in text, up to one of [`ENDS`].
fn command_lines(text: &str, subcommands: &[String]) -> Result<Vec<Vec<String>>, String> {
    let starts = text.match_indices('[');
    let lists: Vec<Vec<String>> = starts
        .filter_map(|(i, _)| string_list(&text[i..]))
        .collect();
    let mut lines = Vec::new();
    for (i, list) in lists.iter().enumerate() {
        match list.as_slice() {
            [first] if first == "custlake" => lines.extend(lists.get(i + 1).cloned()),
            [first, rest @ ..] if first == "custlake" => lines.push(rest.to_vec()),
            _ => {}
        }
    }
    let known = |word: Option<&String>| word.is_some_and(|w| subcommands.contains(w));
    if let Some(bad) = lines.iter().find(|line| !known(line.first())) {
        return Err(format!("{bad:?} starts with none of {subcommands:?}"));
    }
    for line in text.lines() {
        for (at, _) in line.match_indices("custlake") {
            let in_word = line[..at].ends_with(|c: char| c.is_alphanumeric() || "-_".contains(c));
            let after = &line[at + "custlake".len()..];
            let tag = |t: &str| {
                t.trim_start_matches(|c: char| !c.is_whitespace())
                    .to_owned()
            };
            let after = after.strip_prefix(':').map_or(after.to_owned(), tag);
            let words = after[..after.find(ENDS).unwrap_or(after.len())].split_whitespace();
            let words: Vec<String> = words.map(str::to_owned).collect();
            if !in_word && after.starts_with(' ') && known(words.first()) {
                lines.push(words);
            }
        }
    }
    let fill = |arg: &String| {
        PLACEHOLDERS
            .iter()
            .fold(arg.clone(), |a, p| a.replace(p, "0"))
    };
    Ok(lines.iter().map(|l| l.iter().map(fill).collect()).collect())
}

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn files_under(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read deploy/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files_under(&path, files)
        } else {
            files.push(path)
        }
    }
}

#[test]
fn every_deploy_command_line_uses_flags_the_binary_has() {
    let (deploy, mut files) = (deploy_dir(), Vec::new());
    files_under(&deploy, &mut files);
    let subcommands = subcommands(&help(&[]));
    let (mut flags_of, mut exports, mut problems) = (BTreeMap::new(), BTreeMap::new(), Vec::new());
    for file in files {
        let name = file.strip_prefix(&deploy).expect("in deploy/");
        let name = name.display().to_string();
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
        for line in command_lines(&text, &subcommands).unwrap_or_else(|e| panic!("{name}: {e}")) {
            let sub = line[0].as_str();
            let flags = flags_of
                .entry(sub.to_owned())
                .or_insert_with(|| parse_help(&help(&[sub])));
            if let Err(problem) = check_args(flags, &line[1..]) {
                let line = line.join(" ");
                problems.push(format!("deploy/{name}: custlake {line}: {problem}"));
            }
            *exports.entry(name.clone()).or_insert(0) += usize::from(sub == "export");
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for required in [
        "Dockerfile",
        "kubernetes/indexed-job.yaml",
        "airflow/custlake_dag.py",
    ] {
        let found = exports.get(required).copied().unwrap_or(0);
        assert!(
            found > 0,
            "no export command line in deploy/{required}: {exports:?}"
        );
    }
}

#[test]
fn the_job_config_map_is_a_delta_config_with_a_source_per_shard_and_its_secrets() {
    let yaml = std::fs::read_to_string(deploy_dir().join("kubernetes/indexed-job.yaml"));
    let yaml = yaml.expect("read the Job");
    let (_, block) = yaml.split_once("custlake.toml: |\n").expect("a block");
    let indented = |l: &&str| l.is_empty() || l.starts_with("    ");
    let unindent = |l: &str| format!("{}\n", l.trim_start_matches("    "));
    let toml: String = block.lines().take_while(indented).map(unindent).collect();
    let config: custlake_pipeline::ExportConfig = toml::from_str(&toml).expect("TOML parses");
    config.validate().expect("custlake.toml validates");
    assert_eq!(config.output.format, custlake_pipeline::OutputFormat::Delta);
    let (_, completions) = yaml.split_once("completions: ").expect("completions");
    let count: u32 = completions
        .lines()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("N");
    for index in 0..count {
        let shard = custlake_pipeline::Shard { index, count };
        let owned = config.sources.iter().any(|s| shard.owns(&s.name));
        assert!(owned, "shard {shard} exports none of the sample sources");
    }
    let settings = toml.lines().filter(|l| !l.starts_with('#'));
    for reference in settings.flat_map(|l| l.split("${").skip(1)) {
        let var = reference.split('}').next().unwrap_or_default();
        let in_secret = yaml.contains(&format!("\n  {var}: "));
        assert!(in_secret, "${{{var}}} is no key of the Secret");
    }
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn the_checker_refuses_unknown_flags_missing_values_and_other_values() {
    let flags = parse_help(
        "Options:\n  -c, --config <CONFIG>  The file [default: custlake.toml]\n      --no-raw  \
         No raw\n      --format <FORMAT>  Format [possible values: parquet, delta]\n      \
         --log-format <LOG_FORMAT>\n          Log format\n\n          Possible values:\n          \
         - text: Lines\n          - json: JSON\n  -v, --verbose...  More\n      --shard <K/N>  \
         Shard [env: CUSTLAKE_SHARD=]\n",
    );
    for (line, problem) in [
        ("-c x --no-raw --format delta -v", ""),
        ("--log-format=json --shard /4", ""),
        ("--config x.toml --shards 0/4", "unknown flag or argument"),
        ("x.toml", "unknown flag or argument"),
        ("--config --no-raw", "--config needs a value"),
        ("--format", "--format needs a value"),
        ("--format csv", "--format \"csv\" is none of"),
        ("--log-format yaml", "--log-format \"yaml\" is none"),
        ("--no-raw=true", "--no-raw takes no value"),
        ("--shard 4/4", "--shard \"4/4\" is not K/N"),
    ] {
        let result = check_args(&flags, &words(line));
        let error = result.as_ref().err().map_or("", String::as_str);
        let expected = error.starts_with(problem) && error.is_empty() == problem.is_empty();
        assert!(expected, "{line}: {result:?}");
    }
}

#[test]
fn command_lines_are_found_in_lists_and_text() {
    let subcommands = words("export link");
    let text = "ENTRYPOINT [\"custlake\"]\nCMD ['export', '--shard', '{k}/4',]\nrun `custlake \
                link -c a`, image/custlake:1 export --no-raw | tee\n-p custlake \\\nmy-custlake link\n";
    let found = command_lines(text, &subcommands).expect("command lines");
    let expected = ["export --shard 0/4", "link -c a", "export --no-raw"].map(words);
    assert_eq!(found, expected);
    assert!(command_lines("[\"custlake\", \"exprot\"]", &subcommands).is_err());
}
