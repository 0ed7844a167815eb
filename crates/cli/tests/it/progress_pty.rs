//! Progress bars under a pseudo-terminal: `script` gives the binary a real tty, so indicatif
//! draws, and the captured screen shows bars advancing from the first page to the last.
//! Reported as ignored where `script` is not on PATH (the crate's build script checks); under
//! `CI=true` it runs and a missing `script` fails it.

use std::process::Command;

#[test]
#[cfg_attr(
    script_missing,
    ignore = "util-linux `script` not found on PATH: no pseudo-terminal to draw bars on"
)]
fn bars_advance_under_a_terminal() {
    if let Err(error) = Command::new("script").arg("--version").output() {
        panic!(
            "util-linux `script` cannot run ({error}): no pseudo-terminal to draw bars on; \
             install util-linux (under CI a missing prerequisite fails this test)"
        );
    }
    let out = tempfile::tempdir().expect("tempdir");
    let binary = assert_cmd::cargo::cargo_bin("custlake");
    let command = format!(
        "{} demo --records 3000 --out {}",
        binary.display(),
        out.path().join("lake").display()
    );
    let captured = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm-256color")
        .output()
        .expect("script runs");
    assert!(
        captured.status.success(),
        "{}",
        String::from_utf8_lossy(&captured.stderr)
    );
    let screen = String::from_utf8_lossy(&captured.stdout);
    // The YCM demo tenant has 60 pages of 50: the bar is drawn early and again at the end.
    let progress: Vec<u64> = screen
        .match_indices("/60 pages")
        .filter_map(|(at, _)| {
            let before = &screen[..at];
            let digits: String = before
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            digits.chars().rev().collect::<String>().parse().ok()
        })
        .collect();
    assert!(
        progress.len() >= 3,
        "the bar was redrawn several times: {progress:?}"
    );
    assert!(
        progress.iter().any(|p| *p < 60) && progress.contains(&60),
        "it advanced to the end: {progress:?}"
    );
    assert!(
        screen.contains("\u{1b}["),
        "terminal control sequences were drawn"
    );
    assert!(
        screen.contains("records, 0 retries"),
        "the bar shows records and retries"
    );
    // The rate has a unit and one decimal (`15.3 pages/s`, not `15.3047/s`), and no bar shows
    // a total of 0 before page 1 announced the real one.
    assert!(screen.contains(" pages/s"), "the rate is in pages/s");
    for (at, _) in screen.match_indices("/s") {
        let unit = &screen[..at];
        assert!(
            !unit.ends_with(|c: char| c.is_ascii_digit()),
            "a rate without a unit: {}",
            screen
                .get(at.saturating_sub(20)..at + 2)
                .unwrap_or_default()
        );
    }
    assert!(!screen.contains("/0 pages"), "a bar showed 0 pages");
}
