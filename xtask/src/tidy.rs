//! Tidy checks: conventions of the source tree kept by a test instead of by review, the way
//! rust-analyzer's `tidy.rs` keeps its own.
//!
//! * The pipeline's layers ([`LAYERS`]): `crates/pipeline/src` imports point down, and its
//!   top-level modules form no cycle.
//! * Below the top level, the files of one module (`run/`, `commit/delta/`; a child folder counts
//!   as one file of its parent) form no import cycle either ([`file_cycle_violations`]).
//! * Functions in the pipeline and the CLI stay short (at most [`MAX_FN_LINES`] lines) and narrow
//!   (at most [`MAX_FN_PARAMS`] parameters besides `self`), without `clippy::too_many_arguments`.
//! * Every `.rs` file under `crates/` (generated code aside) opens with a `//!` module doc line.
//!
//! The checks read the source text, not a syntax tree: [`mask`] blanks out comments and string
//! and char literals, [`tokenize`] splits what is left into identifiers and punctuation, and the
//! `use` trees and `fn` items are parsed from those tokens. That is enough for this codebase and
//! needs no dependency; `cargo xtask tidy` and `cargo test -p xtask` run the same checks.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::Path;

use anyhow::{Result, bail};

/// One layer of `crates/pipeline/src`: its rank and the top-level modules in it.
///
/// A top-level module is the first path component under `src`: `fetch/retry.rs` belongs to
/// `fetch`, `config.rs` and `config/` to `config`.
pub(crate) struct Layer {
    pub(crate) rank: u8,
    pub(crate) modules: &'static [&'static str],
}

/// Layer 0, the shared vocabulary: vendor kinds, entities and run ids (`model`), every on-disk
/// name (`layout`), progress reporting (`progress`). Every layer may import it, and its modules
/// may import each other.
const VOCABULARY: Layer = Layer {
    rank: 0,
    modules: &["model", "layout", "progress"],
};

/// Layer 1: the TOML model of the configuration and its validated form.
const CONFIG: Layer = Layer {
    rank: 1,
    modules: &["config"],
};

/// Layer 2: the `PageSource` trait, the per-vendor sources and their config validation.
const SOURCES: Layer = Layer {
    rank: 2,
    modules: &["sources"],
};

/// Layer 3: fetching an entity's pages — the paging plan, the repeated-page guard, the page set,
/// retries and the request budget.
const FETCH: Layer = Layer {
    rank: 3,
    modules: &["fetch"],
};

/// Layer 4: mapping pages to Arrow — the mapper, record keys and the key set (`map`); the
/// match keys of customers, sorted within a memory budget and paired into links (`link`). The
/// two may not import each other.
const MAP: Layer = Layer {
    rank: 4,
    modules: &["map", "link"],
};

/// Layer 5: writing — the writers, rotating files, `parquet/`, `object_store/` and the output
/// location.
const WRITE: Layer = Layer {
    rank: 5,
    modules: &["write"],
};

/// Layer 6: committing — partition publish, the catalog, the manifest and clean-up.
const COMMIT: Layer = Layer {
    rank: 6,
    modules: &["commit"],
};

/// Layer 7: the table model — `TableFormat`, one folder per output format, the merge and the
/// upsert both formats share.
const TABLE: Layer = Layer {
    rank: 7,
    modules: &["table"],
};

/// Layer 8: what a later run builds on — checkpoints and spools (`resume`), the incremental plan
/// and its marks (`incremental`). The two may not import each other.
const RECOVERY: Layer = Layer {
    rank: 8,
    modules: &["resume", "incremental"],
};

/// Layer 9: the runs — export, per-source and per-entity runs, compact, check and the run errors.
const RUN: Layer = Layer {
    rank: 9,
    modules: &["run"],
};

/// The layer table of `crates/pipeline/src`, lowest first.
///
/// A module may import modules of a lower rank, and the rank-0 modules from anywhere; modules of
/// the same rank (above 0) may not import each other. `lib.rs` is the facade and exempt. A new
/// top-level module needs a row here before the tidy test passes.
pub(crate) const LAYERS: &[Layer] = &[
    VOCABULARY, CONFIG, SOURCES, FETCH, MAP, WRITE, COMMIT, TABLE, RECOVERY, RUN,
];

/// The longest a function may be, from its `fn` line to its closing brace.
pub(crate) const MAX_FN_LINES: usize = 80;

/// The most parameters a function may take, `self` not counted.
pub(crate) const MAX_FN_PARAMS: usize = 6;

const PIPELINE_SRC: &str = "crates/pipeline/src";
const CLI_SRC: &str = "crates/cli/src";

/// Runs every tidy check on the workspace, printing each problem; fails when there is one.
pub fn tidy() -> Result<()> {
    let root = crate::workspace_root();
    let checks = all_checks(&root)?;
    let mut total = 0;
    for (name, violations) in &checks {
        for violation in violations {
            eprintln!("{violation}");
        }
        if !violations.is_empty() {
            eprintln!("tidy: {name}: {} problem(s)\n", violations.len());
        }
        total += violations.len();
    }
    if total > 0 {
        let summary: Vec<String> = checks
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(name, v)| format!("{name}: {}", v.len()))
            .collect();
        bail!("tidy found {total} problem(s) ({})", summary.join(", "));
    }
    println!("tidy: layers, cycles, function sizes and module docs are in order");
    Ok(())
}

type CheckResults = Vec<(&'static str, Vec<Violation>)>;

fn all_checks(root: &Path) -> Result<CheckResults> {
    let pipeline = read_tree(root, PIPELINE_SRC)?;
    let mut fn_files = pipeline.clone();
    fn_files.extend(read_tree(root, CLI_SRC)?);
    let all = read_tree(root, "crates")?;
    Ok(vec![
        ("layers", layer_violations(&pipeline)),
        ("module cycles", cycle_violations(&pipeline)),
        ("file cycles", file_cycle_violations(&pipeline)),
        ("function length", long_functions(&fn_files)),
        ("function parameters", wide_functions(&fn_files)),
        ("too_many_arguments", too_many_arguments_allows(&fn_files)),
        ("module docs", missing_module_docs(&all)),
    ])
}

/// One problem, at a file and line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Violation {
    file: String,
    line: usize,
    message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// A source file: its path from the workspace root, its path inside the tree that was read, and
/// its text.
#[derive(Debug, Clone)]
struct SourceFile {
    path: String,
    in_tree: String,
    text: String,
}

impl SourceFile {
    /// The top-level module this file belongs to (`fetch/retry.rs` → `fetch`); `None` for the
    /// `lib.rs` facade.
    fn top_level_module(&self) -> Option<&str> {
        if self.in_tree == "lib.rs" {
            return None;
        }
        let first = self.in_tree.split('/').next()?;
        Some(first.strip_suffix(".rs").unwrap_or(first))
    }

    fn is_generated(&self) -> bool {
        self.in_tree.rsplit('/').next() == Some("generated.rs")
    }

    /// Whether this is the file of a module with a folder (`mod.rs`, or the crate's `lib.rs`).
    fn is_mod_file(&self) -> bool {
        self.in_tree == "lib.rs" || self.in_tree.rsplit('/').next() == Some("mod.rs")
    }
}

/// Every `.rs` file under `root/dir`, sorted by path; `target/` and hidden folders skipped.
fn read_tree(root: &Path, dir: &str) -> Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    let mut pending = vec![root.join(dir)];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", folder.display()))?;
        for entry in entries {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    pending.push(path);
                }
            } else if name.ends_with(".rs") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
                let relative = |base: &Path| {
                    let rel = path.strip_prefix(base).unwrap_or(&path);
                    rel.to_string_lossy().replace('\\', "/")
                };
                files.push(SourceFile {
                    path: relative(root),
                    in_tree: relative(&root.join(dir)),
                    text,
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

// ---------------------------------------------------------------------------------------------
// Lexing

/// The source with comments, string literals (plain, byte, C and raw) and char literals replaced
/// by spaces; line breaks are kept so line numbers stay the same. Lifetimes are left alone.
pub(crate) fn mask(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < chars.len() {
        let end = literal_or_comment_end(&chars, i);
        if end == i {
            out.push(chars[i]);
            i += 1;
        } else {
            out.extend(
                chars[i..end]
                    .iter()
                    .map(|&c| if c == '\n' { '\n' } else { ' ' }),
            );
            i = end;
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where the comment or literal starting at `i` ends (exclusive); `i` itself when none starts.
fn literal_or_comment_end(chars: &[char], i: usize) -> usize {
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    match (chars[i], at(i + 1)) {
        ('/', '/') => (i..chars.len())
            .find(|&k| chars[k] == '\n')
            .unwrap_or(chars.len()),
        ('/', '*') => block_comment_end(chars, i),
        ('"', _) => quoted_end(chars, i + 1, '"'),
        ('\'', '\\') => quoted_end(chars, i + 1, '\''),
        ('\'', c) if c != '\'' && at(i + 2) == '\'' => i + 3,
        ('r', _) if starts_literal_prefix(chars, i) => raw_string_end(chars, i).unwrap_or(i),
        _ => i,
    }
}

/// Whether the `r` at `i` can open a raw string: it starts a token, alone or after `b` / `c`.
fn starts_literal_prefix(chars: &[char], i: usize) -> bool {
    let before = |k: usize| k.checked_sub(1).map(|p| chars[p]);
    match before(i) {
        None => true,
        Some('b' | 'c') => before(i - 1).is_none_or(|c| !is_ident_char(c)),
        Some(c) => !is_ident_char(c),
    }
}

/// The end of `r"…"` / `r#"…"#` starting at `i` (the `r`); `None` when it is no raw string
/// (`r#ident`, or an identifier starting with `r`).
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    let open = i + 1 + hashes;
    if chars.get(open) != Some(&'"') {
        return None;
    }
    let mut k = open + 1;
    while k < chars.len() {
        if chars[k] == '"'
            && chars[k + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(k + 1 + hashes);
        }
        k += 1;
    }
    Some(chars.len())
}

/// The end of a `"…"` or `'…'` literal whose body starts at `k`, backslash escapes honoured.
fn quoted_end(chars: &[char], mut k: usize, quote: char) -> usize {
    while k < chars.len() {
        match chars[k] {
            '\\' => k += 2,
            c if c == quote => return k + 1,
            _ => k += 1,
        }
    }
    chars.len()
}

fn block_comment_end(chars: &[char], i: usize) -> usize {
    let (mut depth, mut k) = (0usize, i);
    while k < chars.len() {
        match (chars[k], chars.get(k + 1).copied()) {
            ('/', Some('*')) => {
                depth += 1;
                k += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                k += 2;
                if depth == 0 {
                    return k;
                }
            }
            _ => k += 1,
        }
    }
    chars.len()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Lifetime,
    /// `::`
    PathSep,
    /// `->`
    Arrow,
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

impl Token {
    fn is(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }

    fn is_ident(&self, name: &str) -> bool {
        matches!(&self.tok, Tok::Ident(s) if s == name)
    }
}

/// The tokens of masked source (see [`mask`]), each with its line. Numbers come out as
/// identifiers; every other character that is not whitespace is one punctuation token, so `>>`
/// is two closing angles.
fn tokenize(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied().unwrap_or('\0');
        let (tok, len) = if c.is_whitespace() {
            line += usize::from(c == '\n');
            i += 1;
            continue;
        } else if is_ident_char(c) {
            let len = chars[i..].iter().take_while(|&&c| is_ident_char(c)).count();
            (Tok::Ident(chars[i..i + len].iter().collect()), len)
        } else if c == '\'' && is_ident_char(next) {
            let len = 1 + chars[i + 1..]
                .iter()
                .take_while(|&&c| is_ident_char(c))
                .count();
            (Tok::Lifetime, len)
        } else if c == ':' && next == ':' {
            (Tok::PathSep, 2)
        } else if c == '-' && next == '>' {
            (Tok::Arrow, 2)
        } else {
            (Tok::Punct(c), 1)
        };
        tokens.push(Token { tok, line });
        i += len;
    }
    tokens
}

// ---------------------------------------------------------------------------------------------
// Imports and layers

/// How a file refers to another top-level module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// A `use crate::…` declaration.
    Use,
    /// A `crate::…` path written out in code.
    Path,
}

/// A reference to `crate::<module>` at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CrateRef {
    module: String,
    line: usize,
    via: Via,
}

/// Every `crate::<first segment>` a file refers to: from `use` declarations anywhere (grouped,
/// nested, `pub`, in fn bodies or `mod tests`), and from `crate::` paths written out in code.
/// The line is the one naming the first segment. `self::`, `super::` and `$crate::` are not
/// read.
fn crate_refs(src: &str) -> Vec<CrateRef> {
    path_refs(&tokenize(&mask(src)))
        .into_iter()
        .filter(|r| r.path.len() >= 2 && r.path[0].0 == "crate")
        .map(|r| CrateRef {
            module: r.path[1].0.clone(),
            line: r.path[1].1,
            via: r.via,
        })
        .collect()
}

/// A path a file names: one path of a `use` declaration, or a path of two or more segments
/// written out in code (`crate::a::f`, `super::X`, `Vec::new`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PathRef {
    path: UsePath,
    via: Via,
    /// The index of the token it starts at: the `use` keyword, or the path's first segment.
    at: usize,
    /// Whether it is in a `pub use` / `pub(…) use` declaration: a re-export.
    reexport: bool,
}

/// Every path in a file's tokens (see [`PathRef`]), in order. `use ::krate::…` declarations (an
/// extern crate, never a module of this one) and `$crate::` paths are left out, and a path is
/// read from its first segment only (`b` in `a::b` starts none).
fn path_refs(tokens: &[Token]) -> Vec<PathRef> {
    let mut refs = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if i > 0 && matches!(tokens[i - 1].tok, Tok::PathSep | Tok::Punct('$')) {
            i += 1;
            continue;
        }
        if tokens[i].is_ident("use")
            && let Some((paths, end)) = parse_use(tokens, i + 1)
        {
            let external = tokens[i + 1].tok == Tok::PathSep;
            let reexport = is_reexport(tokens, i);
            refs.extend(paths.into_iter().filter(|_| !external).map(|path| PathRef {
                path,
                via: Via::Use,
                at: i,
                reexport,
            }));
            i = end + 1;
            continue;
        }
        let (path, end) = code_path(tokens, i);
        if path.len() >= 2 {
            refs.push(PathRef {
                path,
                via: Via::Path,
                at: i,
                reexport: false,
            });
        }
        i = end.max(i + 1);
    }
    refs
}

/// The path written out in code from `start` (`a::b::c`; stops before `::<` or `::{`), and the
/// index just after it; empty when no identifier is at `start`.
fn code_path(tokens: &[Token], start: usize) -> (UsePath, usize) {
    let ident = |k: usize| match tokens.get(k) {
        Some(Token {
            tok: Tok::Ident(name),
            line,
        }) => Some((name.clone(), *line)),
        _ => None,
    };
    let Some(first) = ident(start) else {
        return (Vec::new(), start);
    };
    let (mut path, mut k) = (vec![first], start + 1);
    while tokens.get(k).is_some_and(|t| t.tok == Tok::PathSep)
        && let Some(segment) = ident(k + 1)
    {
        path.push(segment);
        k += 2;
    }
    (path, k)
}

/// Whether the `use` keyword at `at` follows `pub` or `pub(…)`.
fn is_reexport(tokens: &[Token], at: usize) -> bool {
    let mut k = at;
    if k > 0 && tokens[k - 1].is(')') {
        match tokens[..k - 1].iter().rposition(|t| t.is('(')) {
            Some(open) => k = open,
            None => return false,
        }
    }
    k > 0 && tokens[k - 1].is_ident("pub")
}

/// One imported path: its segments, each with its line.
type UsePath = Vec<(String, usize)>;

/// The paths of the `use` tree starting at `start` (just after `use`), and the index of its
/// closing `;`; `None` when the tokens are no use declaration (e.g. `impl Trait + use<'a>`).
fn parse_use(tokens: &[Token], start: usize) -> Option<(Vec<UsePath>, usize)> {
    let mut pos = start;
    let mut paths = Vec::new();
    parse_use_tree(tokens, &mut pos, &mut Vec::new(), &mut paths)?;
    tokens.get(pos)?.is(';').then_some((paths, pos))
}

/// Parses one use tree (`a::b`, `a::{b, c::{d}}`, `a as b`, `a::*`) below `prefix`.
fn parse_use_tree(
    tokens: &[Token],
    pos: &mut usize,
    prefix: &mut UsePath,
    paths: &mut Vec<UsePath>,
) -> Option<()> {
    let depth = prefix.len();
    loop {
        let token = tokens.get(*pos)?;
        *pos += 1;
        match &token.tok {
            Tok::PathSep => {}
            Tok::Ident(name) => {
                prefix.push((name.clone(), token.line));
                if tokens.get(*pos)?.tok == Tok::PathSep {
                    continue;
                }
                if tokens.get(*pos)?.is_ident("as") {
                    *pos += 2;
                }
                paths.push(prefix.clone());
                break;
            }
            Tok::Punct('*') => {
                prefix.push(("*".to_owned(), token.line));
                paths.push(prefix.clone());
                break;
            }
            Tok::Punct('{') => {
                while !tokens.get(*pos)?.is('}') {
                    parse_use_tree(tokens, pos, prefix, paths)?;
                    if tokens.get(*pos)?.is(',') {
                        *pos += 1;
                    }
                }
                *pos += 1;
                break;
            }
            _ => return None,
        }
    }
    prefix.truncate(depth);
    Some(())
}

/// The rank of a top-level module in [`LAYERS`].
fn rank_of(module: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|layer| layer.modules.contains(&module))
        .map(|layer| layer.rank)
}

/// A reference from one file to another top-level module, once per file, line and target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    file: String,
    line: usize,
    by_path: bool,
}

/// The references between distinct top-level modules, sorted by file and line, plus the
/// references to `crate::` names that are no top-level module (facade re-exports).
fn module_edges(files: &[SourceFile]) -> (Vec<Edge>, Vec<Edge>) {
    let modules: BTreeSet<&str> = files
        .iter()
        .filter_map(SourceFile::top_level_module)
        .collect();
    let (mut edges, mut facade) = (BTreeSet::new(), BTreeSet::new());
    for file in files {
        let Some(from) = file.top_level_module() else {
            continue;
        };
        for r in crate_refs(&file.text) {
            let edge = Edge {
                from: from.to_owned(),
                to: r.module.clone(),
                file: file.path.clone(),
                line: r.line,
                by_path: r.via == Via::Path,
            };
            if !modules.contains(r.module.as_str()) {
                facade.insert(edge);
            } else if r.module != from {
                edges.insert(edge);
            }
        }
    }
    let sorted = |set: BTreeSet<Edge>| {
        let mut v: Vec<Edge> = set.into_iter().collect();
        v.sort_by(|a, b| (&a.file, a.line, &a.to).cmp(&(&b.file, b.line, &b.to)));
        v.dedup_by(|a, b| (&a.file, a.line, &a.to) == (&b.file, b.line, &b.to));
        v
    };
    (sorted(edges), sorted(facade))
}

/// Imports into a higher (or the same) layer, imports through the facade, and top-level modules
/// missing from [`LAYERS`].
fn layer_violations(files: &[SourceFile]) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut unlisted = BTreeSet::new();
    for file in files {
        let Some(module) = file.top_level_module() else {
            continue;
        };
        if rank_of(module).is_none() && unlisted.insert(module.to_owned()) {
            violations.push(Violation {
                file: file.path.clone(),
                line: 1,
                message: format!(
                    "top-level module `{module}` is not in the layer table: add it to the layer \
                     table in xtask/src/tidy.rs with its rank"
                ),
            });
        }
    }
    let (edges, facade) = module_edges(files);
    for edge in &facade {
        violations.push(Violation {
            file: edge.file.clone(),
            line: edge.line,
            message: format!(
                "`crate::{}` is no top-level module (a lib.rs re-export?): import it from the \
                 module that defines it",
                edge.to
            ),
        });
    }
    for edge in &edges {
        let (Some(from), Some(to)) = (rank_of(&edge.from), rank_of(&edge.to)) else {
            continue;
        };
        if to == 0 || to < from {
            continue;
        }
        let verb = if edge.by_path {
            "names a path into"
        } else {
            "imports"
        };
        let which = if to == from {
            "the same layer"
        } else {
            "a higher layer"
        };
        violations.push(Violation {
            file: edge.file.clone(),
            line: edge.line,
            message: format!(
                "`{}` (layer {from}) {verb} `crate::{}` (layer {to}), {which}: imports must \
                 point down",
                edge.from, edge.to
            ),
        });
    }
    violations.sort();
    violations
}

/// Cycles between top-level modules: for every strongly connected group, cycles through it until
/// each of its edges is in one, each cycle with one file:line per edge.
fn cycle_violations(files: &[SourceFile]) -> Vec<Violation> {
    let (edges, _) = module_edges(files);
    let mut graph: BTreeMap<&str, BTreeMap<&str, &Edge>> = BTreeMap::new();
    for edge in &edges {
        graph
            .entry(&edge.from)
            .or_default()
            .entry(&edge.to)
            .or_insert(edge);
    }
    let mut violations = Vec::new();
    for cycle in covering_cycles(&graph) {
        let steps: Vec<&Edge> = cycle.windows(2).map(|w| graph[w[0]][w[1]]).collect();
        let evidence: Vec<String> = steps
            .iter()
            .map(|e| format!("\n    {} -> {}: {}:{}", e.from, e.to, e.file, e.line))
            .collect();
        violations.push(Violation {
            file: steps[0].file.clone(),
            line: steps[0].line,
            message: format!("module cycle {}{}", cycle.join(" -> "), evidence.concat()),
        });
    }
    violations
}

/// Cycles of a graph (node → node → whatever an edge carries), first node repeated at the end,
/// until every edge of every strongly connected group is in one: for each edge in no cycle yet
/// that leads back to where it starts, that edge plus the shortest way back.
fn covering_cycles<'a, V>(graph: &BTreeMap<&'a str, BTreeMap<&'a str, V>>) -> Vec<Vec<&'a str>> {
    let mut covered = BTreeSet::new();
    let mut cycles = Vec::new();
    for (&from, targets) in graph {
        for &to in targets.keys() {
            if covered.contains(&(from, to)) {
                continue;
            }
            let Some(back) = shortest_path(graph, to, from) else {
                continue;
            };
            let cycle: Vec<&str> = std::iter::once(from).chain(back).collect();
            covered.extend(cycle.windows(2).map(|w| (w[0], w[1])));
            cycles.push(cycle);
        }
    }
    cycles
}

/// The nodes from `start` to `goal` along the fewest edges, both ends included.
fn shortest_path<'a, V>(
    graph: &BTreeMap<&'a str, BTreeMap<&'a str, V>>,
    start: &'a str,
    goal: &'a str,
) -> Option<Vec<&'a str>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        if node == goal {
            let mut path = vec![goal];
            while let Some(&prev) = came_from.get(path.last()?) {
                path.push(prev);
            }
            path.reverse();
            return Some(path);
        }
        for &next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if next != start && !came_from.contains_key(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// File cycles

/// The module path of a file from its path in the tree: `run/compact.rs` → `[run, compact]`,
/// `commit/delta/mod.rs` → `[commit, delta]`, `lib.rs` → `[]`.
fn module_path(in_tree: &str) -> Vec<String> {
    let stem = in_tree.strip_suffix(".rs").unwrap_or(in_tree);
    let mut path: Vec<String> = stem.split('/').map(str::to_owned).collect();
    if path.last().is_some_and(|last| last == "mod") || path == ["lib"] {
        path.pop();
    }
    path
}

/// A path a file names (see [`PathRef`]) with the module it is named in: the file's module plus
/// the inline modules (`mod tests { … }`) around it.
#[derive(Debug, Clone)]
struct ScopedRef {
    path_ref: PathRef,
    here: Vec<String>,
    /// Whether it is outside every brace (a file-level `use`, which names an item of the file's
    /// module for the files below it).
    file_level: bool,
}

/// Every path a file names (see [`path_refs`]), each with the module it is named in.
fn scoped_refs(file: &SourceFile) -> Vec<ScopedRef> {
    let tokens = tokenize(&mask(&file.text));
    let mut depth = vec![0usize; tokens.len() + 1];
    let mut inline = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        depth[k + 1] = match token.tok {
            Tok::Punct('{') => depth[k] + 1,
            Tok::Punct('}') => depth[k].saturating_sub(1),
            _ => depth[k],
        };
        if let (true, Some(Tok::Ident(name)), Some(true)) = (
            token.is_ident("mod"),
            tokens.get(k + 1).map(|t| &t.tok),
            tokens.get(k + 2).map(|t| t.is('{')),
        ) && let Some(close) = matching_close(&tokens, k + 2)
        {
            inline.push((name.clone(), k + 2, close));
        }
    }
    let own = module_path(&file.in_tree);
    path_refs(&tokens)
        .into_iter()
        .map(|r| {
            let mut here = own.clone();
            let around = inline
                .iter()
                .filter(|(_, open, close)| (*open..*close).contains(&r.at));
            here.extend(around.map(|(name, _, _)| name.clone()));
            ScopedRef {
                file_level: depth[r.at] == 0,
                here,
                path_ref: r,
            }
        })
        .collect()
}

/// The files of a tree by module path, and the names each file's file-level `use` declarations
/// bring into its module, so that a path can be followed to the file that defines its item.
struct FileIndex<'a> {
    /// Every file by its module path joined with `::` (`run::compact`; empty for `lib.rs`).
    files: BTreeMap<String, &'a SourceFile>,
    /// Per file (its path in the tree): each name a file-level `use` brings in (`pub` or not,
    /// globs aside), with the absolute path it stands for.
    names: BTreeMap<&'a str, BTreeMap<String, Vec<String>>>,
}

impl<'a> FileIndex<'a> {
    /// Indexes the files with the paths each one names.
    fn new(scoped: &[(&'a SourceFile, Vec<ScopedRef>)]) -> Self {
        let files = scoped
            .iter()
            .map(|&(file, _)| (module_path(&file.in_tree).join("::"), file))
            .collect();
        let mut index = FileIndex {
            files,
            names: BTreeMap::new(),
        };
        for (file, refs) in scoped {
            let file: &'a SourceFile = file;
            let names: BTreeMap<String, Vec<String>> = refs
                .iter()
                .filter(|r| r.path_ref.via == Via::Use && r.file_level)
                .filter_map(|r| index.absolute(&r.here, &r.path_ref.path))
                .filter_map(|abs| Some((abs.last()?.clone(), abs)))
                .filter(|(name, _)| name != "*")
                .collect();
            index.names.insert(file.in_tree.as_str(), names);
        }
        index
    }

    /// A path named in module `here` as an absolute path without `crate` (`super::b::X` in
    /// `m::a` → `[m, b, X]`; a trailing `self` dropped); `None` when it starts in no module of
    /// this crate (an extern crate, `std`, a type, a local name, or `super` above the root). A
    /// path not starting with `crate`, `self` or `super` is read as relative to `here` when
    /// its first segment is a child module of `here` that has a file.
    fn absolute(&self, here: &[String], path: &UsePath) -> Option<Vec<String>> {
        let names: Vec<&str> = path.iter().map(|(name, _)| name.as_str()).collect();
        let (mut out, rest) = match *names.first()? {
            "crate" => (Vec::new(), &names[1..]),
            "self" => (here.to_vec(), &names[1..]),
            "super" => {
                let ups = names.iter().take_while(|&&n| n == "super").count();
                let kept = here.len().checked_sub(ups)?;
                (here[..kept].to_vec(), &names[ups..])
            }
            first => {
                let mut child = here.to_vec();
                child.push(first.to_owned());
                self.files.contains_key(&child.join("::")).then_some(())?;
                (here.to_vec(), &names[..])
            }
        };
        out.extend(rest.iter().map(|&n| n.to_owned()));
        if out.last().is_some_and(|last| last == "self") {
            out.pop();
        }
        Some(out)
    }

    /// The file that defines an absolute path and the segments left inside it: the longest
    /// prefix that is a module with a file (`m::b::X` → `m/b.rs` or `m/b/mod.rs`, `[X]`), then,
    /// when the next segment is a name that file imports (a re-export of `mod.rs`, or a private
    /// `use` of a parent module), the file that defines that instead (at most 8 such steps).
    fn resolve(&self, mut path: Vec<String>) -> Option<(&'a SourceFile, Vec<String>)> {
        let mut steps = 0;
        loop {
            let (len, file) = (0..=path.len())
                .rev()
                .find_map(|k| self.files.get(&path[..k].join("::")).map(|&f| (k, f)))?;
            let rest = path.split_off(len);
            let imported = rest
                .first()
                .and_then(|name| self.names.get(file.in_tree.as_str())?.get(name));
            match imported {
                Some(target) if steps < 8 => {
                    path = target.clone();
                    path.extend(rest[1..].iter().cloned());
                    steps += 1;
                }
                _ => return Some((file, rest)),
            }
        }
    }

    /// The node of `file` in the file graph of the module `depth` segments deep on its path: the
    /// file itself when it is that module's own file (`run/mod.rs`), else the child module it is
    /// in, as that child's file (`run/compact.rs`) or folder (`commit/delta/`).
    fn node(&self, file: &SourceFile, depth: usize) -> String {
        let path = module_path(&file.in_tree);
        if path.len() == depth {
            return file.in_tree.clone();
        }
        match self.files.get(&path[..=depth].join("::")) {
            Some(child) if !child.is_mod_file() => child.in_tree.clone(),
            _ => format!("{}/", path[..=depth].join("/")),
        }
    }
}

/// An import of one file of a module from another: the module (`run`, `commit::delta`), the two
/// nodes (see [`FileIndex::node`]), the place and the name imported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct FileEdge {
    module: String,
    from: String,
    to: String,
    file: String,
    line: usize,
    name: String,
}

/// The imports between files of one module, every module below the crate root (the root's
/// files are the top-level modules, whose cycles [`cycle_violations`] reports). A path is
/// followed to the file defining it (see [`FileIndex::resolve`]); an import belongs to the
/// deepest module both files are in. `mod x;` declarations are no import, and neither is a
/// re-export (`pub use`) in a `mod.rs`.
fn file_edges(files: &[SourceFile]) -> Vec<FileEdge> {
    let scoped: Vec<(&SourceFile, Vec<ScopedRef>)> = files
        .iter()
        .filter(|f| !f.is_generated())
        .map(|f| (f, scoped_refs(f)))
        .collect();
    let index = FileIndex::new(&scoped);
    let mut edges = BTreeSet::new();
    for (file, refs) in &scoped {
        let own = module_path(&file.in_tree);
        let mod_file = file.is_mod_file();
        for r in refs.iter().filter(|r| !(mod_file && r.path_ref.reexport)) {
            let Some((target, rest)) = index
                .absolute(&r.here, &r.path_ref.path)
                .and_then(|abs| index.resolve(abs))
            else {
                continue;
            };
            let theirs = module_path(&target.in_tree);
            let depth = own.iter().zip(&theirs).take_while(|(a, b)| a == b).count();
            let (from, to) = (index.node(file, depth), index.node(target, depth));
            if depth == 0 || from == to {
                continue;
            }
            edges.insert(FileEdge {
                module: own[..depth].join("::"),
                from,
                to,
                file: file.path.clone(),
                line: r.path_ref.path.last().map_or(0, |(_, line)| *line),
                name: imported_name(&r.path_ref.path, &rest),
            });
        }
    }
    edges.into_iter().collect()
}

/// The name an import ties two files with: what is left of the path inside the file defining it
/// (`X` of `crate::m::b::X`), or the path as written for a module or a glob (`super::b`,
/// `super::*`).
fn imported_name(path: &UsePath, rest: &[String]) -> String {
    if rest.is_empty() || rest.last().is_some_and(|last| last == "*") {
        let written: Vec<&str> = path.iter().map(|(name, _)| name.as_str()).collect();
        written.join("::")
    } else {
        rest.join("::")
    }
}

/// Cycles between the files of one module (see [`file_edges`]): for every strongly connected
/// group of a module, cycles through it until each of its edges is in one, each cycle naming its
/// files and, per step, every place and name that ties them.
fn file_cycle_violations(files: &[SourceFile]) -> Vec<Violation> {
    let edges = file_edges(files);
    type Graph<'e> = BTreeMap<&'e str, BTreeMap<&'e str, Vec<&'e FileEdge>>>;
    let mut graphs: BTreeMap<&str, Graph<'_>> = BTreeMap::new();
    for edge in &edges {
        let graph = graphs.entry(&edge.module).or_default();
        let targets = graph.entry(&edge.from).or_default();
        targets.entry(&edge.to).or_default().push(edge);
    }
    let mut violations = Vec::new();
    for (module, graph) in &graphs {
        for cycle in covering_cycles(graph) {
            let steps: Vec<&[&FileEdge]> =
                cycle.windows(2).map(|w| &graph[w[0]][w[1]][..]).collect();
            let evidence: Vec<String> = cycle
                .windows(2)
                .zip(&steps)
                .map(|(w, step)| format!("\n    {} -> {}: {}", w[0], w[1], places(step)))
                .collect();
            violations.push(Violation {
                file: steps[0][0].file.clone(),
                line: steps[0][0].line,
                message: format!(
                    "file cycle in `crate::{module}`: {}{}",
                    cycle.join(" -> "),
                    evidence.concat()
                ),
            });
        }
    }
    violations.sort();
    violations
}

/// The places of some imports, each once with the names imported there:
/// `a.rs:3 (X, Y), a.rs:9 (Z)`.
fn places(edges: &[&FileEdge]) -> String {
    let mut by_place: Vec<(String, Vec<&str>)> = Vec::new();
    for edge in edges {
        let place = format!("{}:{}", edge.file, edge.line);
        match by_place.last_mut() {
            Some((last, names)) if *last == place => names.push(&edge.name),
            _ => by_place.push((place, vec![&edge.name])),
        }
    }
    let listed: Vec<String> = by_place
        .iter()
        .map(|(place, names)| format!("{place} ({})", names.join(", ")))
        .collect();
    listed.join(", ")
}

// ---------------------------------------------------------------------------------------------
// Functions

/// A `fn` item (closures are no `fn` items): where it starts, where its body ends (`None` for a
/// declaration without body) and how many parameters it takes besides `self`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FnItem {
    name: String,
    line: usize,
    end_line: Option<usize>,
    params: usize,
}

impl FnItem {
    fn lines(&self) -> Option<usize> {
        self.end_line.map(|end| end - self.line + 1)
    }
}

/// Every `fn` item in a file, nested ones included (and also counted in their parent's lines).
fn functions(src: &str) -> Vec<FnItem> {
    let tokens = tokenize(&mask(src));
    (0..tokens.len())
        .filter(|&i| tokens[i].is_ident("fn"))
        .filter_map(|i| parse_fn(&tokens, i))
        .collect()
}

/// The `fn` item whose keyword is at `at`; `None` for a `fn(…)` pointer type, a `fn $name`
/// macro pattern or anything else that does not parse.
fn parse_fn(tokens: &[Token], at: usize) -> Option<FnItem> {
    let Tok::Ident(name) = &tokens.get(at + 1)?.tok else {
        return None;
    };
    let mut pos = at + 2;
    if tokens.get(pos)?.is('<') {
        pos = skip_generics(tokens, pos)?;
    }
    if !tokens.get(pos)?.is('(') {
        return None;
    }
    let close = matching_close(tokens, pos)?;
    let params = count_params(&tokens[pos + 1..close]);
    let end_line = body_end_line(tokens, close + 1)?;
    Some(FnItem {
        name: name.clone(),
        line: tokens[at].line,
        end_line,
        params,
    })
}

/// The index just after the `>` closing the generics opened at `open`.
fn skip_generics(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        if token.is('<') {
            depth += 1;
        } else if token.is('>') {
            depth -= 1;
            if depth == 0 {
                return Some(k + 1);
            }
        }
    }
    None
}

/// The index of the bracket closing the one at `open`, all of `()`, `[]`, `{}` counted.
fn matching_close(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        match token.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// After a parameter list: the line of the closing brace of the body, or `Some(None)` for a
/// declaration ending in `;`.
fn body_end_line(tokens: &[Token], from: usize) -> Option<Option<usize>> {
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(from) {
        match token.tok {
            Tok::Punct('(' | '[') => depth += 1,
            Tok::Punct(')' | ']') => depth = depth.checked_sub(1)?,
            Tok::Punct('{') if depth == 0 => {
                return Some(Some(tokens[matching_close(tokens, k)?].line));
            }
            Tok::Punct(';') if depth == 0 => return Some(None),
            _ => {}
        }
    }
    None
}

/// The parameters in the tokens between a function's parentheses, `self` not counted.
fn count_params(tokens: &[Token]) -> usize {
    let mut segments: Vec<&[Token]> = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (k, token) in tokens.iter().enumerate() {
        match token.tok {
            Tok::Punct('(' | '[' | '{' | '<') => depth += 1,
            Tok::Punct(')' | ']' | '}' | '>') => depth = depth.saturating_sub(1),
            Tok::Punct(',') if depth == 0 => {
                segments.push(&tokens[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    segments.push(&tokens[start..]);
    segments.retain(|s| !s.is_empty());
    let takes_self = segments.first().is_some_and(|s| is_self_param(s));
    segments.len() - usize::from(takes_self)
}

/// `self`, `mut self`, `&self`, `&'a mut self`, `self: Arc<Self>`, after any `#[…]` attributes.
fn is_self_param(tokens: &[Token]) -> bool {
    let mut k = 0;
    while tokens.get(k).is_some_and(|t| t.is('#')) {
        match matching_close(tokens, k + 1) {
            Some(close) => k = close + 1,
            None => return false,
        }
    }
    tokens[k..]
        .iter()
        .find(|t| !(t.is('&') || t.tok == Tok::Lifetime || t.is_ident("mut")))
        .is_some_and(|t| t.is_ident("self"))
}

/// Functions longer than [`MAX_FN_LINES`].
fn long_functions(files: &[SourceFile]) -> Vec<Violation> {
    let mut violations = Vec::new();
    for file in files.iter().filter(|f| !f.is_generated()) {
        for f in functions(&file.text) {
            let Some(lines) = f.lines().filter(|&n| n > MAX_FN_LINES) else {
                continue;
            };
            violations.push(Violation {
                file: file.path.clone(),
                line: f.line,
                message: format!(
                    "fn `{}` is {lines} lines long (at most {MAX_FN_LINES}, `fn` line to \
                     closing brace): split it",
                    f.name
                ),
            });
        }
    }
    violations
}

/// Functions taking more than [`MAX_FN_PARAMS`] parameters besides `self`.
fn wide_functions(files: &[SourceFile]) -> Vec<Violation> {
    let mut violations = Vec::new();
    for file in files.iter().filter(|f| !f.is_generated()) {
        for f in functions(&file.text)
            .into_iter()
            .filter(|f| f.params > MAX_FN_PARAMS)
        {
            violations.push(Violation {
                file: file.path.clone(),
                line: f.line,
                message: format!(
                    "fn `{}` takes {} parameters (at most {MAX_FN_PARAMS} besides `self`): \
                     group the ones that travel together in a type",
                    f.name, f.params
                ),
            });
        }
    }
    violations
}

/// Every `clippy::too_many_arguments` lint attribute in code (comments do not count).
fn too_many_arguments_allows(files: &[SourceFile]) -> Vec<Violation> {
    let mut violations = Vec::new();
    for file in files.iter().filter(|f| !f.is_generated()) {
        for (n, line) in mask(&file.text).lines().enumerate() {
            if line.contains("too_many_arguments") {
                violations.push(Violation {
                    file: file.path.clone(),
                    line: n + 1,
                    message: format!(
                        "`allow(clippy::too_many_arguments)`: take at most {MAX_FN_PARAMS} \
                         parameters instead"
                    ),
                });
            }
        }
    }
    violations
}

// ---------------------------------------------------------------------------------------------
// Module docs

/// Files (generated ones aside) whose first line is no `//!` module doc line.
fn missing_module_docs(files: &[SourceFile]) -> Vec<Violation> {
    files
        .iter()
        .filter(|f| !f.is_generated() && !f.text.trim_start_matches('\u{feff}').starts_with("//!"))
        .map(|f| Violation {
            file: f.path.clone(),
            line: 1,
            message: "the file does not start with a `//!` line saying what the module is for"
                .to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- the real tree ----------------------------------------------------------------------

    fn real_tree(dirs: &[&str]) -> Vec<SourceFile> {
        let root = crate::workspace_root();
        let mut files = Vec::new();
        for dir in dirs {
            files.extend(read_tree(&root, dir).unwrap_or_else(|e| panic!("{e:#}")));
        }
        files
    }

    fn assert_clean(what: &str, violations: Vec<Violation>) {
        if !violations.is_empty() {
            let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
            panic!("{} {what}:\n{}", violations.len(), list.join("\n"));
        }
    }

    #[test]
    fn pipeline_imports_point_down() {
        let files = real_tree(&[PIPELINE_SRC]);
        assert_clean("layer violation(s)", layer_violations(&files));
    }

    #[test]
    fn pipeline_modules_form_no_cycle() {
        let files = real_tree(&[PIPELINE_SRC]);
        assert_clean("module cycle(s)", cycle_violations(&files));
    }

    #[test]
    fn files_of_a_module_form_no_cycle() {
        let files = real_tree(&[PIPELINE_SRC]);
        assert_clean("file cycle(s)", file_cycle_violations(&files));
    }

    #[test]
    fn functions_are_short() {
        let files = real_tree(&[PIPELINE_SRC, CLI_SRC]);
        assert_clean("long function(s)", long_functions(&files));
    }

    #[test]
    fn functions_take_few_parameters() {
        let files = real_tree(&[PIPELINE_SRC, CLI_SRC]);
        assert_clean("wide function(s)", wide_functions(&files));
    }

    #[test]
    fn no_too_many_arguments_allows() {
        let files = real_tree(&[PIPELINE_SRC, CLI_SRC]);
        assert_clean(
            "too_many_arguments allow(s)",
            too_many_arguments_allows(&files),
        );
    }

    #[test]
    fn every_file_starts_with_a_module_doc() {
        assert_clean(
            "file(s) without a module doc",
            missing_module_docs(&real_tree(&["crates"])),
        );
    }

    // ---- the parser, on inline snippets -----------------------------------------------------

    fn file(in_tree: &str, text: &str) -> SourceFile {
        SourceFile {
            path: format!("{PIPELINE_SRC}/{in_tree}"),
            in_tree: in_tree.to_owned(),
            text: text.to_owned(),
        }
    }

    fn used(src: &str) -> Vec<(String, usize)> {
        crate_refs(src)
            .into_iter()
            .map(|r| (r.module, r.line))
            .collect()
    }

    fn pairs(list: &[(&str, usize)]) -> Vec<(String, usize)> {
        list.iter().map(|&(m, l)| (m.to_owned(), l)).collect()
    }

    #[test]
    fn reads_plain_grouped_and_nested_imports() {
        let src = "use crate::fetch::retry::Retry;\n\
                   use crate::{config::Config, sources};\n\
                   use crate::{a::{b, c}, d};\n\
                   use std::collections::HashMap;\n";
        let expected = [
            ("fetch", 1),
            ("config", 2),
            ("sources", 2),
            ("a", 3),
            ("a", 3),
            ("d", 3),
        ];
        assert_eq!(used(src), pairs(&expected));
    }

    #[test]
    fn reads_multi_line_groups_at_the_line_of_each_module() {
        let src =
            "use crate::{\n    config::{\n        A,\n        B,\n    },\n    write::W,\n};\n";
        assert_eq!(
            used(src),
            pairs(&[("config", 2), ("config", 2), ("write", 6)])
        );
    }

    #[test]
    fn reads_pub_and_nested_imports_and_skips_super_self_and_text() {
        let src = r#"pub use crate::model::Entity;
pub(crate) use crate::layout::Names;
use super::sibling::X;
use self::child::Y;
// use crate::commented::Out;
const S: &str = "use crate::quoted::Out;";
fn body() {
    use crate::config::Inner;
}
#[cfg(test)]
mod tests {
    use crate::write::Tested;
    use {crate::commit::Rooted, std::fmt};
}
fn sig() -> impl Sized + use<> {}
macro_rules! m { () => { $crate::hidden::X } }
"#;
        let expected = [
            ("model", 1),
            ("layout", 2),
            ("config", 8),
            ("write", 12),
            ("commit", 13),
        ];
        assert_eq!(used(src), pairs(&expected));
    }

    #[test]
    fn reads_paths_written_out_in_code() {
        let src = "fn f() {\n    crate::resume::spool::raw_texts(r);\n}\npub(crate) fn g() {}\n";
        let refs = crate_refs(src);
        assert_eq!(
            refs,
            vec![CrateRef {
                module: "resume".into(),
                line: 2,
                via: Via::Path
            }]
        );
    }

    #[test]
    fn a_higher_layer_import_is_named_with_file_and_line() {
        let files = [
            file(
                "fetch/retry.rs",
                "//! Retry.\n\nuse crate::write::Writer;\nuse crate::config::C;\n",
            ),
            file("write/mod.rs", "//! Write.\nuse crate::fetch::Budget;\n"),
            file("config/mod.rs", "//! Config.\n"),
        ];
        let violations = layer_violations(&files);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].file, "crates/pipeline/src/fetch/retry.rs");
        assert_eq!(violations[0].line, 3);
        assert!(
            violations[0]
                .message
                .contains("`crate::write` (layer 5), a higher layer")
        );
    }

    #[test]
    fn same_layer_unlisted_and_facade_imports_fail_while_vocabulary_is_free() {
        let files = [
            file(
                "resume/mod.rs",
                "use crate::incremental::Mark;\nuse crate::resume::X;\n",
            ),
            file("incremental.rs", "use crate::ExportError;\n"),
            file(
                "model.rs",
                "use crate::layout::Names;\nuse crate::progress::P;\n",
            ),
            file("layout.rs", "use crate::model::Entity;\n"),
            file("progress.rs", ""),
            file("helpers.rs", ""),
            file("lib.rs", "use crate::run::Anything;\n"),
        ];
        let messages: Vec<String> = layer_violations(&files)
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert!(
            messages[0].starts_with("crates/pipeline/src/helpers.rs:1: top-level module `helpers`")
        );
        assert!(
            messages[1].starts_with("crates/pipeline/src/incremental.rs:1: `crate::ExportError`")
        );
        assert!(messages[2].starts_with("crates/pipeline/src/resume/mod.rs:1: `resume` (layer 8)"));
        assert!(messages[2].contains("the same layer"));
    }

    #[test]
    fn a_cycle_of_three_modules_is_reported_with_one_place_per_edge() {
        let files = [
            file("a.rs", "//! A.\nuse crate::b::B;\n"),
            file("b/mod.rs", "//! B.\n\nuse crate::c::C;\n"),
            file("b/deep.rs", "use crate::c::Again;\n"),
            file("c.rs", "//! C.\nfn f() {\n    use crate::a::A;\n}\n"),
            file("d.rs", "use crate::a::A;\n"),
        ];
        let violations = cycle_violations(&files);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        assert_eq!(
            violations[0].to_string(),
            "crates/pipeline/src/a.rs:2: module cycle a -> b -> c -> a\n    \
             a -> b: crates/pipeline/src/a.rs:2\n    \
             b -> c: crates/pipeline/src/b/deep.rs:1\n    \
             c -> a: crates/pipeline/src/c.rs:3"
        );
    }

    #[test]
    fn imports_of_a_module_from_inside_itself_are_no_cycle() {
        let files = [
            file("fetch/mod.rs", "use crate::fetch::retry::R;\n"),
            file("fetch/retry.rs", "use crate::fetch::Budget;\n"),
        ];
        assert!(cycle_violations(&files).is_empty());
        assert!(layer_violations(&files).is_empty());
    }

    #[test]
    fn a_cycle_of_two_files_names_both_files_and_the_names_that_tie_them() {
        let files = [
            file("m/mod.rs", "//! M.\npub(crate) mod a;\npub(crate) mod b;\n"),
            file("m/a.rs", "//! A.\nuse crate::m::b::X;\npub struct Y;\n"),
            file("m/b.rs", "//! B.\n\nuse crate::m::a::Y;\npub struct X;\n"),
        ];
        let violations = file_cycle_violations(&files);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        assert_eq!(
            violations[0].to_string(),
            "crates/pipeline/src/m/a.rs:2: file cycle in `crate::m`: m/a.rs -> m/b.rs -> m/a.rs\n    \
             m/a.rs -> m/b.rs: crates/pipeline/src/m/a.rs:2 (X)\n    \
             m/b.rs -> m/a.rs: crates/pipeline/src/m/b.rs:3 (Y)"
        );
    }

    #[test]
    fn one_way_imports_re_exports_tests_and_other_crates_are_no_file_cycle() {
        let files = [
            file(
                "m/mod.rs",
                "mod a;\nmod b;\npub use a::Y;\npub(crate) use b::{X, self};\npub struct Z;\n",
            ),
            file(
                "m/a.rs",
                "use crate::m::b::X;\nuse super::Z;\npub struct Y;\n",
            ),
            file(
                "m/b.rs",
                "pub struct X;\nfn f() { crate::m::Z::new(); }\n\
                 #[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::b::X;\n}\n",
            ),
            file(
                "s/mod.rs",
                "mod krate;\nuse ::krate::Client;\nfn f() { ::krate::g(); }\n",
            ),
            file("s/krate.rs", "use super::Z;\n"),
        ];
        let violations = file_cycle_violations(&files);
        assert!(violations.is_empty(), "{violations:#?}");
        let edges: Vec<(String, String, String)> = file_edges(&files)
            .into_iter()
            .map(|e| (e.from, e.to, e.name))
            .collect();
        let expected = [
            ("m/a.rs", "m/b.rs", "X"),
            ("m/a.rs", "m/mod.rs", "Z"),
            ("m/b.rs", "m/mod.rs", "Z::new"),
            ("s/krate.rs", "s/mod.rs", "Z"),
        ];
        let expected: Vec<(String, String, String)> = expected
            .iter()
            .map(|&(f, t, n)| (f.to_owned(), t.to_owned(), n.to_owned()))
            .collect();
        assert_eq!(edges, expected);
    }

    #[test]
    fn super_and_self_imports_and_paths_tie_files_into_a_cycle() {
        let files = [
            file(
                "m/mod.rs",
                "mod a;\nmod b;\nuse self::a::Helper;\npub struct Config;\nfn f() { b::g(); }\n",
            ),
            file(
                "m/a.rs",
                "use super::{Config, b::{X, W}};\npub struct Helper;\nfn h() {\n    super::b::g();\n}\n",
            ),
            file("m/b.rs", "use super::Helper;\npub struct X;\n"),
        ];
        let messages: Vec<String> = file_cycle_violations(&files)
            .iter()
            .map(ToString::to_string)
            .collect();
        // `b.rs` names `super::Helper`, which `mod.rs` imports from `a.rs`: a tie to `a.rs`.
        assert_eq!(
            messages,
            [
                "crates/pipeline/src/m/a.rs:1: file cycle in `crate::m`: m/a.rs -> m/b.rs -> m/a.rs\n    \
                 m/a.rs -> m/b.rs: crates/pipeline/src/m/a.rs:1 (W, X), crates/pipeline/src/m/a.rs:4 (g)\n    \
                 m/b.rs -> m/a.rs: crates/pipeline/src/m/b.rs:1 (Helper)",
                "crates/pipeline/src/m/a.rs:1: file cycle in `crate::m`: m/a.rs -> m/mod.rs -> m/a.rs\n    \
                 m/a.rs -> m/mod.rs: crates/pipeline/src/m/a.rs:1 (Config)\n    \
                 m/mod.rs -> m/a.rs: crates/pipeline/src/m/mod.rs:3 (Helper)",
                "crates/pipeline/src/m/mod.rs:5: file cycle in `crate::m`: \
                 m/mod.rs -> m/b.rs -> m/a.rs -> m/mod.rs\n    \
                 m/mod.rs -> m/b.rs: crates/pipeline/src/m/mod.rs:5 (g)\n    \
                 m/b.rs -> m/a.rs: crates/pipeline/src/m/b.rs:1 (Helper)\n    \
                 m/a.rs -> m/mod.rs: crates/pipeline/src/m/a.rs:1 (Config)",
            ]
        );
    }

    #[test]
    fn a_child_folder_is_one_file_of_its_parent_module() {
        let files = [
            file("c/mod.rs", "mod catalog;\nmod delta;\n"),
            file(
                "c/catalog.rs",
                "use crate::c::delta::Table;\npub struct Catalog;\n",
            ),
            file("c/delta/mod.rs", "mod table;\npub use table::Table;\n"),
            file(
                "c/delta/table.rs",
                "use crate::c::catalog::Catalog;\npub struct Table;\n",
            ),
        ];
        let violations = file_cycle_violations(&files);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        assert_eq!(
            violations[0].to_string(),
            "crates/pipeline/src/c/catalog.rs:1: file cycle in `crate::c`: c/catalog.rs -> c/delta/ -> c/catalog.rs\n    \
             c/catalog.rs -> c/delta/: crates/pipeline/src/c/catalog.rs:1 (Table)\n    \
             c/delta/ -> c/catalog.rs: crates/pipeline/src/c/delta/table.rs:1 (Catalog)"
        );
    }

    #[test]
    fn braces_in_strings_chars_and_comments_do_not_end_a_function() {
        let src = r##"fn tricky() {
    let a = "}";
    let b = '}';
    let c = r#"}" }"#;
    let d = b"}";
    // }
    /* } /* nested } */ } */
    let e = '\'';
    let f: &'static str = "\"}";
    let g = |x: u32| { x + 1 };
}
fn after() {}
"##;
        let fns = functions(src);
        let spans: Vec<(&str, usize, Option<usize>)> = fns
            .iter()
            .map(|f| (f.name.as_str(), f.line, f.end_line))
            .collect();
        assert_eq!(
            spans,
            vec![("tricky", 1, Some(11)), ("after", 12, Some(12))]
        );
    }

    #[test]
    fn counts_parameters_without_self() {
        let src = "impl S {\n\
                   fn a(&self, x: HashMap<K, V>, f: impl Fn(u8, u8) -> u8) {}\n\
                   fn b<T: Into<(u8, u8)>, const N: usize>(mut self, (p, q): (u8, u8), a: [u8; N]) {}\n\
                   fn c(self: Arc<Self>) {}\n\
                   fn d(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8,) -> Result<(), E>;\n\
                   fn e(&'a mut self,) where T: Fn() -> u8 { let h: fn(u8, u8) = x; }\n\
                   }\n";
        let counts: Vec<(String, usize)> = functions(src)
            .into_iter()
            .map(|f| (f.name, f.params))
            .collect();
        let expected = [("a", 2), ("b", 2), ("c", 0), ("d", 7), ("e", 0)];
        assert_eq!(counts, pairs(&expected));
        let wide = wide_functions(&[file("x.rs", src)]);
        assert_eq!(wide.len(), 1);
        assert_eq!(
            (wide[0].line, wide[0].message.contains("`d` takes 7")),
            (5, true)
        );
    }

    #[test]
    fn long_functions_are_named_and_declarations_have_no_length() {
        let body = "    step();\n".repeat(MAX_FN_LINES - 2);
        let src = format!("fn fits() {{\n{body}}}\nfn too_long() {{\n{body}    one_more();\n}}\n");
        let violations = long_functions(&[file("x.rs", &src)]);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        assert_eq!(violations[0].line, MAX_FN_LINES + 1);
        assert!(violations[0].message.contains("`too_long` is 81 lines"));
        assert_eq!(functions("trait T { fn f(&self); }")[0].end_line, None);
    }

    #[test]
    fn too_many_arguments_allows_are_found_in_code_only() {
        let src = "// allow(clippy::too_many_arguments) is banned\n\
                   #[allow(clippy::too_many_arguments)]\nfn f() {}\n";
        let violations = too_many_arguments_allows(&[file("x.rs", src)]);
        assert_eq!(
            violations.iter().map(|v| v.line).collect::<Vec<_>>(),
            vec![2]
        );
    }

    #[test]
    fn module_docs_are_required_except_in_generated_code() {
        let files = [
            file("good.rs", "//! Good.\n"),
            file("bad.rs", "// not a doc\n//! late\n"),
            file("vendor/generated.rs", "// @generated\n"),
        ];
        let violations = missing_module_docs(&files);
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].file, "crates/pipeline/src/bad.rs");
    }
}
