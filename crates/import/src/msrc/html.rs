//! HTML fragments to the model's plain text.
//!
//! Microsoft's notes, workarounds, acknowledgments and revision descriptions
//! are HTML (escaped inside the XML, so what the CVRF reader hands over is
//! markup). The model keeps prose as text: lines joined by `\n`, paragraphs
//! by a blank line. Links keep their target after the link text, since a
//! KB or download link is often the one fact a workaround carries; list
//! items become `- ` (or `1. `) lines and table rows ` | `-separated lines,
//! so the structure stays readable in a terminal and a mail. Preformatted
//! text (registry files) keeps its line breaks and indentation.
//!
//! This is not a general HTML parser: it knows the handful of elements the
//! vendor uses and treats any other tag as if it were not there, keeping
//! its text.

/// The text of an HTML fragment.
pub fn html_to_text(html: &str) -> String {
    let mut w = Writer::default();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        w.text(&rest[..lt]);
        let tag = &rest[lt..];
        let starts_tag = tag[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !starts_tag {
            w.text("<");
            rest = &tag[1..];
            continue;
        }
        if let Some(comment) = tag.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |i| &comment[i + 3..]);
            continue;
        }
        match tag_end(tag) {
            Some(end) => {
                w.tag(&tag[..end]);
                rest = &tag[end..];
            }
            None => {
                // A `<` that never closes is text.
                w.text(tag);
                rest = "";
            }
        }
    }
    w.text(rest);
    w.finish()
}

/// The length of a tag up to and including its `>`, skipping `>` inside
/// quoted attribute values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a start tag, entities decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let inner = tag.trim_start_matches('<').trim_end_matches('>');
    let mut rest = inner.trim_end_matches('/');
    // Skip the element name.
    rest = rest.trim_start_matches(|c: char| !c.is_whitespace());
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        let key_end = rest
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(rest.len());
        let key = &rest[..key_end];
        rest = rest[key_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let end = body.find(q).unwrap_or(body.len());
                    rest = body.get(end + 1..).unwrap_or("");
                    &body[..end]
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    rest = &after[end..];
                    &after[..end]
                }
            }
        } else {
            ""
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(decode_entities(value.trim()));
        }
    }
}

/// Decodes the character references HTML text uses: the XML five, `&nbsp;`
/// and a few typographic ones, and numeric references. An unknown one stays
/// as written.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after
            .find(';')
            .filter(|&semi| semi <= 10)
            .and_then(|semi| entity(&after[..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        _ => return None,
    })
}

#[derive(Default)]
struct Writer {
    out: String,
    /// White space seen since the last character: one space is due before
    /// the next one, unless a line starts there.
    space: bool,
    /// Inside `<pre>`: white space is kept.
    pre: usize,
    /// Open lists: `None` for `<ul>`, `Some(next number)` for `<ol>`.
    lists: Vec<Option<u32>>,
    /// Open links: the target and where the link text starts.
    links: Vec<(String, usize)>,
    /// The next table cell starts a row.
    row_start: bool,
    /// A newline right after `<pre>` is not content.
    after_pre: bool,
}

impl Writer {
    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let decoded = decode_entities(raw);
        for c in decoded.chars() {
            if self.pre > 0 {
                if self.after_pre && c == '\n' {
                    self.after_pre = false;
                    continue;
                }
                self.after_pre = false;
                if c != '\r' {
                    self.out.push(if c == '\u{a0}' { ' ' } else { c });
                }
            } else if c.is_ascii_whitespace() {
                self.space = true;
            } else {
                if self.space && !self.out.is_empty() && !self.out.ends_with(['\n', ' ']) {
                    self.out.push(' ');
                }
                self.space = false;
                // A non-breaking space is a space that does not collapse.
                self.out.push(if c == '\u{a0}' { ' ' } else { c });
            }
        }
    }

    fn trim_trailing_spaces(&mut self) {
        let kept = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(kept);
    }

    /// Ends the current line, if one is open.
    fn end_line(&mut self) {
        self.trim_trailing_spaces();
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.space = false;
    }

    /// Ends the current paragraph: a blank line follows.
    fn end_block(&mut self) {
        self.end_line();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn tag(&mut self, tag: &str) {
        let closing = tag.starts_with("</");
        let name: String = tag
            .trim_start_matches('<')
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            (
                "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "blockquote"
                | "dl",
                _,
            ) => self.end_block(),
            ("ul" | "ol", false) => {
                if self.lists.is_empty() {
                    self.end_block();
                } else {
                    self.end_line();
                }
                let start = attribute(tag, "start").and_then(|s| s.parse().ok());
                self.lists
                    .push((name == "ol").then_some(start.unwrap_or(1)));
            }
            ("ul" | "ol", true) => {
                self.lists.pop();
                if self.lists.is_empty() {
                    self.end_block();
                } else {
                    self.end_line();
                }
            }
            ("li", false) => {
                self.end_line();
                let depth = self.lists.len().max(1);
                self.out.push_str(&"  ".repeat(depth - 1));
                match self.lists.last_mut() {
                    Some(Some(n)) => {
                        self.out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => self.out.push_str("- "),
                }
            }
            ("li" | "tr" | "dt" | "dd", _) => {
                self.end_line();
                self.row_start = true;
            }
            ("br", _) => {
                self.trim_trailing_spaces();
                self.out.push('\n');
                self.space = false;
            }
            ("td" | "th", false) => {
                if !self.row_start {
                    self.trim_trailing_spaces();
                    self.out.push_str(" | ");
                }
                self.row_start = false;
                self.space = false;
            }
            ("pre", false) => {
                self.end_block();
                self.pre += 1;
                self.after_pre = true;
            }
            ("pre", true) => {
                self.pre = self.pre.saturating_sub(1);
                self.end_block();
            }
            ("a", false) => {
                let href = attribute(tag, "href").unwrap_or_default();
                self.links.push((href, self.out.len()));
            }
            ("a", true) => {
                if let Some((href, start)) = self.links.pop() {
                    self.close_link(&href, start);
                }
            }
            _ => {}
        }
    }

    /// Puts the link's target after its text, unless the text already is
    /// the target or the target is only a place in the same page.
    fn close_link(&mut self, href: &str, start: usize) {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') || href.starts_with("javascript:") {
            return;
        }
        let shown = self.out.get(start..).unwrap_or("").trim();
        let bare = |s: &str| {
            s.trim_end_matches('/')
                .trim_start_matches("mailto:")
                .to_ascii_lowercase()
        };
        if shown.is_empty() {
            if self.space && !self.out.is_empty() && !self.out.ends_with(['\n', ' ']) {
                self.out.push(' ');
            }
            self.space = false;
            self.out.push_str(href);
        } else if !bare(shown).contains(&bare(href)) {
            self.out.push_str(" (");
            self.out.push_str(href);
            self.out.push(')');
        }
    }

    fn finish(self) -> String {
        let mut lines: Vec<&str> = Vec::new();
        for line in self.out.lines().map(str::trim_end) {
            if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
                continue;
            }
            lines.push(line);
        }
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_become_blank_line_separated() {
        assert_eq!(
            html_to_text("<p>One\n  line.</p>\n<p>Two <strong>bold</strong>.</p>\n"),
            "One line.\n\nTwo bold."
        );
        assert_eq!(html_to_text("Plain text"), "Plain text");
        assert_eq!(html_to_text(""), "");
        assert_eq!(html_to_text("a<br>b<br/><br />c"), "a\nb\n\nc");
    }

    #[test]
    fn links_keep_their_target() {
        assert_eq!(
            html_to_text(
                r#"<p>See <a href="https://support.microsoft.com/kb/4012598">KB4012598</a>.</p>"#
            ),
            "See KB4012598 (https://support.microsoft.com/kb/4012598)."
        );
        assert_eq!(
            html_to_text(r#"<a href="https://example.invalid/x">https://example.invalid/x</a>"#),
            "https://example.invalid/x"
        );
        assert_eq!(html_to_text(r##"<a href="#top">top</a>"##), "top");
        assert_eq!(
            html_to_text(r#"go <a href="https://e.invalid/?a=1&amp;b=2"></a> now"#),
            "go https://e.invalid/?a=1&b=2 now"
        );
        assert_eq!(
            html_to_text(r#"<a LinkId='1' HREF=https://e.invalid/y>here</a>"#),
            "here (https://e.invalid/y)"
        );
    }

    #[test]
    fn lists_tables_and_preformatted_text() {
        assert_eq!(
            html_to_text("<p>Steps:</p><ol start=\"3\"><li>Open</li><li>Close <ul><li>inner</li></ul></li></ol><p>Done</p>"),
            "Steps:\n\n3. Open\n4. Close\n  - inner\n\nDone"
        );
        assert_eq!(
            html_to_text("<table><thead><tr><th>Software</th><th>Replaced</th></tr></thead><tbody><tr><td>A</td><td>B</td></tr></tbody></table>"),
            "Software | Replaced\nA | B"
        );
        assert_eq!(
            html_to_text("<p>Save:</p><pre><code> Windows Registry Editor Version 5.00\n [HKEY_LOCAL_MACHINE\\X]\n</code></pre>"),
            "Save:\n\n Windows Registry Editor Version 5.00\n [HKEY_LOCAL_MACHINE\\X]"
        );
    }

    #[test]
    fn entities_and_stray_brackets() {
        assert_eq!(
            html_to_text("&quot;a&quot;&nbsp;&amp;&nbsp;b &lt;c&gt; &#39;d&#x27; &bogus; AT&T"),
            "\"a\" & b <c> 'd' &bogus; AT&T"
        );
        assert_eq!(html_to_text("1 < 2 and <!-- hidden --> 3"), "1 < 2 and 3");
        assert_eq!(html_to_text("cut <a href=\"x"), "cut <a href=\"x");
    }
}
