//! Tidy checks: conventions of the source tree kept by a test instead of by review, the way
//! rust-analyzer's `tidy.rs` keeps its own.
//!
//! * The pipeline's layers ([`LAYERS`]): `crates/pipeline/src` imports point down, and its
//!   top-level modules form no cycle.
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

/// Layer 7: what a later run builds on — checkpoints and spools (`resume`), the incremental plan
/// and its marks (`incremental`). The two may not import each other.
const RECOVERY: Layer = Layer {
    rank: 7,
    modules: &["resume", "incremental"],
};

/// Layer 8: the runs — export, per-source and per-entity runs, compact, check and the run errors.
const RUN: Layer = Layer {
    rank: 8,
    modules: &["run"],
};

/// The layer table of `crates/pipeline/src`, lowest first.
///
/// A module may import modules of a lower rank, and the rank-0 modules from anywhere; modules of
/// the same rank (above 0) may not import each other. `lib.rs` is the facade and exempt. A new
/// top-level module needs a row here before the tidy test passes.
pub(crate) const LAYERS: &[Layer] = &[
    VOCABULARY, CONFIG, SOURCES, FETCH, MAP, WRITE, COMMIT, RECOVERY, RUN,
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
    let tokens = tokenize(&mask(src));
    let mut refs = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let after_path_sep = i > 0 && matches!(tokens[i - 1].tok, Tok::PathSep | Tok::Punct('$'));
        if tokens[i].is_ident("use")
            && !after_path_sep
            && let Some((paths, end)) = parse_use(&tokens, i + 1)
        {
            let to_crate = paths.iter().filter(|p| p.len() >= 2 && p[0].0 == "crate");
            refs.extend(to_crate.map(|p| CrateRef {
                module: p[1].0.clone(),
                line: p[1].1,
                via: Via::Use,
            }));
            i = end + 1;
            continue;
        }
        if tokens[i].is_ident("crate")
            && !after_path_sep
            && let (Some(Tok::PathSep), Some(Tok::Ident(module))) = (
                tokens.get(i + 1).map(|t| &t.tok),
                tokens.get(i + 2).map(|t| &t.tok),
            )
        {
            let line = tokens[i + 2].line;
            refs.push(CrateRef {
                module: module.clone(),
                line,
                via: Via::Path,
            });
        }
        i += 1;
    }
    refs
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
    let mut covered = BTreeSet::new();
    let mut violations = Vec::new();
    for (&from, targets) in &graph {
        for &to in targets.keys() {
            if covered.contains(&(from, to)) {
                continue;
            }
            let Some(back) = shortest_path(&graph, to, from) else {
                continue;
            };
            let cycle: Vec<&str> = std::iter::once(from).chain(back).collect();
            let steps: Vec<&Edge> = cycle.windows(2).map(|w| graph[w[0]][w[1]]).collect();
            covered.extend(cycle.windows(2).map(|w| (w[0], w[1])));
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
    }
    violations
}

/// The modules from `start` to `goal` along the fewest edges, both ends included.
fn shortest_path<'a>(
    graph: &BTreeMap<&'a str, BTreeMap<&'a str, &Edge>>,
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
        assert!(messages[2].starts_with("crates/pipeline/src/resume/mod.rs:1: `resume` (layer 7)"));
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
