//! Progress bars under a pseudo-terminal: `script` gives the binary a real tty, so indicatif
//! draws, and the captured screen shows bars advancing from the first page to the last.

use std::process::Command;

#[test]
fn bars_advance_under_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!(
            "skipped: util-linux `script` is not installed, so no pseudo-terminal is available"
        );
        return;
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
}
