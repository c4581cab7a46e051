//! Just enough of OGC well-known text (WKT 1 and WKT 2) to name a coordinate reference
//! system: a tree of keywords and values, the root object's own `AUTHORITY["EPSG", "code"]` /
//! `ID["EPSG", code]`; the known systems are recognised from it in [`crate::crs`].

/// The deepest nesting parsed (a real CRS nests 4–6 levels; deeper text is refused, so that
/// hostile input cannot exhaust the stack).
const MAX_DEPTH: usize = 32;

/// One WKT object: `KEYWORD[value, value, ...]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// The keyword, upper case.
    pub keyword: String,
    /// Its values in order.
    pub values: Vec<Value>,
}

/// A value inside a WKT object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A quoted text, without its quotes.
    Text(String),
    /// A number or a bare word (`EAST`), as written.
    Word(String),
    /// A nested object.
    Node(Node),
}

impl Node {
    /// Parses a whole WKT text (one root object; blanks around it allowed); `None` if it is
    /// not well-formed.
    pub fn parse(text: &str) -> Option<Node> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let node = p.node(0)?;
        p.blanks();
        (p.i == p.s.len()).then_some(node)
    }

    /// The nested objects named `keyword` (upper case) directly under this one.
    pub fn children<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.values.iter().filter_map(move |v| match v {
            Value::Node(n) if n.keyword == keyword => Some(n),
            _ => None,
        })
    }

    /// The first value as text (quoted or not).
    pub fn name(&self) -> Option<&str> {
        match self.values.first()? {
            Value::Text(s) | Value::Word(s) => Some(s),
            Value::Node(_) => None,
        }
    }

    /// Value `i` as a number.
    pub fn number(&self, i: usize) -> Option<f64> {
        match self.values.get(i)? {
            Value::Word(s) | Value::Text(s) => s.trim().parse().ok(),
            Value::Node(_) => None,
        }
    }

    /// The EPSG code this object gives itself (`AUTHORITY["EPSG","32632"]` in WKT 1,
    /// `ID["EPSG",32632]` in WKT 2), not one of its components'.
    pub fn epsg(&self) -> Option<u32> {
        self.children("AUTHORITY")
            .chain(self.children("ID"))
            .find(|a| a.name().is_some_and(|n| n.eq_ignore_ascii_case("EPSG")))
            .and_then(|a| match a.values.get(1)? {
                Value::Text(s) | Value::Word(s) => s.trim().parse().ok(),
                Value::Node(_) => None,
            })
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn blanks(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn node(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.blanks();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        let keyword = std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .to_ascii_uppercase();
        self.blanks();
        let close = match self.s.get(self.i)? {
            b'[' => b']',
            b'(' => b')',
            _ => return None,
        };
        self.i += 1;
        let mut values = Vec::new();
        loop {
            self.blanks();
            match *self.s.get(self.i)? {
                c if c == close && values.is_empty() => {
                    self.i += 1;
                    break;
                }
                b'"' => {
                    // a quote inside a text is doubled
                    let mut text = Vec::new();
                    self.i += 1;
                    loop {
                        match *self.s.get(self.i)? {
                            b'"' if self.s.get(self.i + 1) == Some(&b'"') => {
                                text.push(b'"');
                                self.i += 2;
                            }
                            b'"' => {
                                self.i += 1;
                                break;
                            }
                            c => {
                                text.push(c);
                                self.i += 1;
                            }
                        }
                    }
                    values.push(Value::Text(String::from_utf8(text).ok()?));
                }
                _ => {
                    let start = self.i;
                    while self.i < self.s.len()
                        && !matches!(self.s[self.i], b',' | b'[' | b'(' | b']' | b')' | b'"')
                    {
                        self.i += 1;
                    }
                    if matches!(self.s.get(self.i), Some(b'[' | b'(')) {
                        self.i = start;
                        values.push(Value::Node(self.node(depth + 1)?));
                    } else {
                        let word = std::str::from_utf8(&self.s[start..self.i]).ok()?.trim();
                        if word.is_empty() {
                            return None;
                        }
                        values.push(Value::Word(word.to_string()));
                    }
                }
            }
            self.blanks();
            match *self.s.get(self.i)? {
                b',' => self.i += 1,
                c if c == close => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        if keyword.is_empty() {
            return None;
        }
        Some(Node { keyword, values })
    }
}
