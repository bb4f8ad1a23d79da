//! Printing helpers shared by the subcommands.

use std::io::Write;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

/// Stdout, buffered: stdout itself is line-buffered, and what the
/// subcommands print is mostly short lines (a year of Microsoft's data
/// printed by `hfr parse` made 670,000 writes; a fleet report has a line
/// per finding, millions for a large fleet). Flush it when done.
pub fn stdout() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock())
}

/// Pretty JSON on stdout, newline-terminated.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = stdout();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Pads `s` with spaces to `width` terminal columns (Japanese characters take two).
pub fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    if w >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - w))
    }
}

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Formats rows as aligned columns; the last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(width(c));
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut parts = Vec::with_capacity(n);
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                parts.push(c.to_string());
            } else {
                parts.push(pad(c, widths[i]));
            }
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_by_display_width() {
        assert_eq!(pad("緊急", 6), "緊急  ");
        assert_eq!(pad("abc", 2), "abc");
    }

    #[test]
    fn table_aligns_wide_characters() {
        let t = table(
            &["id", "深刻度", "title"],
            &[
                vec!["MS04-035".into(), "1 緊急".into(), "x".into()],
                vec!["MS5".into(), "2".into(), "y".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "id        深刻度  title");
        assert_eq!(lines[1], "MS04-035  1 緊急  x");
        assert_eq!(lines[2], "MS5       2       y");
    }
}
