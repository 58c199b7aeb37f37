//! Documents made of blocks (a title, key-value lines, tables, notes), rendered either as
//! aligned plain text for a terminal or as Markdown. The bench report and `speedup compare` build
//! blocks once; each format only decides how they look.

/// One part of a document.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A heading.
    Title(String),
    /// "key: value" lines.
    Fields(Vec<(String, String)>),
    /// A table with an optional caption.
    Table(Table),
    /// Free lines: footnotes, notes, warnings.
    Lines(Vec<String>),
}

/// A table of strings; numeric columns are right-aligned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Caption shown above the table.
    pub caption: Option<String>,
    /// Column headings.
    pub header: Vec<String>,
    /// `true` for right-aligned (numeric) columns.
    pub right: Vec<bool>,
    /// Cells, one `Vec` per row, as many as `header`.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns; a heading starting with '>' is right-aligned (the '>' is
    /// dropped).
    pub fn new(caption: Option<String>, columns: &[&str]) -> Table {
        Table {
            caption,
            header: columns
                .iter()
                .map(|c| c.trim_start_matches('>').to_string())
                .collect(),
            right: columns.iter().map(|c| c.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Renders blocks as plain text, tables aligned in columns two spaces apart, blocks separated by
/// a blank line.
pub fn to_text(blocks: &[Block]) -> String {
    let mut parts = Vec::new();
    for block in blocks {
        let mut out = String::new();
        match block {
            Block::Title(t) => {
                out.push_str(t);
                out.push('\n');
            }
            Block::Fields(fields) => {
                let w = fields.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
                for (k, v) in fields {
                    let pad = w - width(k);
                    out.push_str(&format!("{k}:{} {v}\n", " ".repeat(pad)));
                }
            }
            Block::Table(t) => {
                if let Some(c) = &t.caption {
                    out.push_str(c);
                    out.push('\n');
                }
                let mut widths: Vec<usize> = t.header.iter().map(|h| width(h)).collect();
                for row in &t.rows {
                    for (i, cell) in row.iter().enumerate() {
                        widths[i] = widths[i].max(width(cell));
                    }
                }
                let line = |cells: &[String]| {
                    let mut l = String::new();
                    for (i, cell) in cells.iter().enumerate() {
                        let pad = " ".repeat(widths[i] - width(cell));
                        if i > 0 {
                            l.push_str("  ");
                        }
                        if t.right[i] {
                            l.push_str(&pad);
                            l.push_str(cell);
                        } else {
                            l.push_str(cell);
                            l.push_str(&pad);
                        }
                    }
                    l.trim_end().to_string() + "\n"
                };
                out.push_str(&line(&t.header));
                for row in &t.rows {
                    out.push_str(&line(row));
                }
            }
            Block::Lines(lines) => {
                for l in lines {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
        parts.push(out);
    }
    parts.join("\n")
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Renders blocks as GitHub-flavoured Markdown.
pub fn to_markdown(blocks: &[Block]) -> String {
    let mut parts = Vec::new();
    let mut first_title = true;
    for block in blocks {
        let mut out = String::new();
        match block {
            Block::Title(t) => {
                out.push_str(if first_title { "# " } else { "## " });
                first_title = false;
                out.push_str(t);
                out.push('\n');
            }
            Block::Fields(fields) => {
                for (k, v) in fields {
                    out.push_str(&format!("- **{k}**: {}\n", md_cell(v)));
                }
            }
            Block::Table(t) => {
                if let Some(c) = &t.caption {
                    out.push_str(&format!("**{c}**\n\n"));
                }
                let row = |cells: &[String]| {
                    let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
                    format!("| {} |\n", cells.join(" | "))
                };
                out.push_str(&row(&t.header));
                let rule: Vec<&str> = t
                    .right
                    .iter()
                    .map(|&r| if r { "---:" } else { "---" })
                    .collect();
                out.push_str(&format!("|{}|\n", rule.join("|")));
                for r in &t.rows {
                    out.push_str(&row(r));
                }
            }
            Block::Lines(lines) => {
                for l in lines {
                    out.push_str(&format!("- {}\n", md_cell(l)));
                }
            }
        }
        parts.push(out);
    }
    parts.join("\n")
}
