//! Obsidian `%%comments%%`: dropped from the rendered page, kept inside code.

use std::borrow::Cow;

/// The body without its `%%…%%` comments (which may span lines). Fenced code blocks and
/// inline code spans keep their `%%`; an unclosed `%%` comments out the rest of the note,
/// as in Obsidian.
pub(crate) fn strip_comments(body: &str) -> Cow<'_, str> {
    if !body.contains("%%") {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len());
    let mut in_comment = false;
    let mut fence: Option<&str> = None;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if !in_comment {
            if let Some(open) = fence {
                if trimmed.starts_with(open) {
                    fence = None;
                }
                out.push_str(line);
                continue;
            }
            if let Some(marker) = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m)) {
                fence = Some(marker);
                out.push_str(line);
                continue;
            }
        }
        in_comment = strip_line(line, in_comment, &mut out);
    }
    Cow::Owned(out)
}

/// Copies one line outside comments into `out`, skipping inline code spans; returns whether
/// a comment is still open at the end of the line.
fn strip_line(line: &str, mut in_comment: bool, out: &mut String) -> bool {
    let mut rest = line;
    while !rest.is_empty() {
        if in_comment {
            match rest.find("%%") {
                Some(end) => {
                    rest = &rest[end + 2..];
                    in_comment = false;
                }
                None => {
                    if rest.ends_with('\n') {
                        out.push('\n');
                    }
                    return true;
                }
            }
            continue;
        }
        let next_comment = rest.find("%%");
        let next_code = rest.find('`');
        match (next_comment, next_code) {
            (Some(c), Some(b)) if b < c => {
                let ticks = rest[b..].bytes().take_while(|&t| t == b'`').count();
                let fence = &rest[b..b + ticks];
                let end = rest[b + ticks..]
                    .find(fence)
                    .map_or(rest.len(), |e| b + ticks + e + ticks);
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            (Some(c), _) => {
                out.push_str(&rest[..c]);
                rest = &rest[c + 2..];
                in_comment = true;
            }
            (None, _) => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    in_comment
}

#[cfg(test)]
mod tests {
    use super::strip_comments;

    #[test]
    fn inline_and_multiline_comments_are_dropped() {
        assert_eq!(strip_comments("a %%secret%% b\n"), "a  b\n");
        assert_eq!(strip_comments("a %%one\ntwo%% b\nc\n"), "a \n b\nc\n");
    }

    #[test]
    fn code_keeps_its_percent_signs() {
        assert_eq!(strip_comments("`%%x%%` y\n"), "`%%x%%` y\n");
        let fenced = "```\n%% kept %%\n```\n";
        assert_eq!(strip_comments(fenced), fenced);
    }

    #[test]
    fn an_unclosed_comment_hides_the_rest() {
        assert_eq!(strip_comments("a\n%% open\nb\n"), "a\n\n\n");
    }
}
