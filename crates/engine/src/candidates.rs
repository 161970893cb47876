//! Credential candidates by syntax: every place in a line where a value is written next to a
//! name that may mean a credential (or in a position that only holds credentials), whatever the
//! provider. Broad on purpose: a trained scorer ([`crate::Scorer`]) decides which ones count.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::placeholder::{is_keyboard_dummy, is_placeholder};

/// How a candidate is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// `name = "value"` in code, a JSON key (`"name": "value"`, also `\"name\": \"value\"`), an
    /// XML attribute (`name="value"`), a call (`setPassword("value")`).
    Quoted,
    /// `name = value` or `name: value` unquoted: YAML, INI, `.properties`, `.env`, Dockerfile
    /// `ENV`, compose `environment` entries.
    Unquoted,
    /// `<password>value</password>`.
    XmlElement,
    /// A command-line flag and its value: `--password value`, `-p value`, `-pvalue`,
    /// `pass:value`, `-u user:value`.
    Flag,
    /// An HTTP authorization value: `Bearer <token>`, `Basic <base64>`, `Token <token>`.
    Authorization,
    /// The password of a URL's user-info: `scheme://user:value@host`.
    UrlUserInfo,
    /// A query parameter: `?private_token=value`, `otpauth://...?secret=value`.
    UrlQuery,
    /// SQL: `IDENTIFIED BY 'value'`, `WITH PASSWORD = 'value'`, `PASSWORD 'value'`.
    Sql,
    /// PowerShell `ConvertTo-SecureString "value"`.
    SecureString,
}

impl Syntax {
    /// Every syntax, in a fixed order (the scorer's feature order).
    pub const ALL: [Syntax; 9] = [
        Syntax::Quoted,
        Syntax::Unquoted,
        Syntax::XmlElement,
        Syntax::Flag,
        Syntax::Authorization,
        Syntax::UrlUserInfo,
        Syntax::UrlQuery,
        Syntax::Sql,
        Syntax::SecureString,
    ];

    /// Its position in [`Syntax::ALL`].
    pub fn index(self) -> usize {
        Syntax::ALL.iter().position(|&s| s == self).unwrap_or(0)
    }
}

/// One candidate: a value, what it is assigned to, and how it is written. Offsets are bytes of
/// the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The name the value is given (`db.password`, `--password`, `Bearer`), as written.
    pub name: String,
    /// Start of the value.
    pub start: usize,
    /// End of the value (exclusive).
    pub end: usize,
    /// How it is written.
    pub syntax: Syntax,
}

impl Candidate {
    /// The value in `line`.
    pub fn value<'a>(&self, line: &'a str) -> &'a str {
        line.get(self.start..self.end).unwrap_or("")
    }
}

/// Words that make a name a credential's name wherever they occur in it (`dbpassword`).
const NAME_PARTS: &[&str] = &[
    "passw",
    "passphrase",
    "secret",
    "token",
    "credential",
    "apikey",
    "privatekey",
    "signature",
    "cookie",
    "bearer",
];

/// Words that make a name a credential's name when they are one of its words.
const NAME_WORDS: &[&str] = &[
    "pass", "pwd", "pw", "passwd", "key", "keys", "auth", "salt", "nonce", "otp", "seed", "sig",
    "jwt", "cred", "creds", "api", "sid", "verifier", "totp", "hotp",
];

/// Words at least one of which every line with a candidate holds (ASCII case ignored).
pub(crate) const LINE_WORDS: &[&str] = &[
    "pass",
    "pw",
    "secret",
    "token",
    "key",
    "auth",
    "cred",
    "salt",
    "nonce",
    "otp",
    "seed",
    "signature",
    "sig_",
    "_sig",
    "sig=",
    "sig:",
    "sig\"",
    "sig'",
    "jwt",
    "cookie",
    "bearer",
    "basic",
    "api",
    "identified",
    "://",
    "kty",
    " -p",
    "\t-p",
    " -u",
    "\t-u",
    "--user",
    "securestring",
    "_sid",
    "sid\"",
    "sid'",
    "sid=",
    "sid:",
    "verifier",
];

/// What one pass over a line found of the words the patterns need (ASCII case ignored).
#[derive(Default)]
struct Words {
    /// One of [`LINE_WORDS`]: the line may hold a candidate.
    line: bool,
    /// A word of a credential's name ([`is_credential_name`]).
    name: bool,
    /// `bearer`, `basic`, `token` or `oauth`.
    authorization: bool,
    /// `auth`.
    auth: bool,
    /// `password` or `identified`.
    sql: bool,
    /// `convertto-securestring`.
    secure_string: bool,
}

/// The words of `line`, in one pass of one automaton.
fn words_of(line: &str) -> Words {
    /// The kinds of word, in the automaton's pattern order.
    #[derive(Clone, Copy)]
    enum Kind {
        Line,
        Name,
        Authorization,
        Auth,
        Sql,
        SecureString,
    }
    static AC: OnceLock<(AhoCorasick, Vec<Kind>)> = OnceLock::new();
    let (ac, kinds) = AC.get_or_init(|| {
        let mut words: Vec<(&str, Kind)> = LINE_WORDS.iter().map(|w| (*w, Kind::Line)).collect();
        words.extend(
            NAME_PARTS
                .iter()
                .chain(NAME_WORDS)
                .chain(&["key", "pwd", "auth"])
                .map(|w| (*w, Kind::Name)),
        );
        words.extend(["bearer", "basic", "token", "oauth"].map(|w| (w, Kind::Authorization)));
        words.push(("auth", Kind::Auth));
        words.extend(["password", "identified"].map(|w| (w, Kind::Sql)));
        words.push(("convertto-securestring", Kind::SecureString));
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words.iter().map(|(w, _)| w))
            .expect("candidate words build");
        (ac, words.into_iter().map(|(_, k)| k).collect())
    });
    let mut found = Words::default();
    for m in ac.find_overlapping_iter(line) {
        match kinds[m.pattern().as_usize()] {
            Kind::Line => found.line = true,
            Kind::Name => found.name = true,
            Kind::Authorization => found.authorization = true,
            Kind::Auth => found.auth = true,
            Kind::Sql => found.sql = true,
            Kind::SecureString => found.secure_string = true,
        }
    }
    found
}

/// JWK private members: names that hold key material only next to a `kty`.
const JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "k"];

/// Whether `name` may be a credential's name.
pub fn is_credential_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    NAME_PARTS.iter().any(|w| lower.contains(w))
        || name_tokens(name).iter().any(|t| {
            NAME_WORDS.contains(&t.as_str())
                || (t.len() >= 4 && (t.ends_with("key") || t.ends_with("pwd")))
                || (t.starts_with("auth") && !t.starts_with("author"))
        })
}

/// The lower-case words of a name: split at case changes, digits and punctuation
/// (`dbPassword_2` -> `db`, `password`).
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphabetic() {
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_ascii_lowercase();
            cur.push(c.to_ascii_lowercase());
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct Patterns {
    quoted: Regex,
    call: Regex,
    unquoted: Regex,
    env: Regex,
    escaped: Regex,
    xml_element: Regex,
    flag: Regex,
    short_flag: Regex,
    pass_colon: Regex,
    user_colon: Regex,
    authorization: Regex,
    url_userinfo: Regex,
    url_query: Regex,
    sql: Regex,
    secure_string: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // ASCII classes: the names and syntax are ASCII, and Unicode classes make the lazy DFAs
        // larger and slower to build.
        let re = |s: &str| {
            let ascii = s
                .replace("\\s", "[\\t\\n\\x0B\\x0C\\r ]")
                .replace("\\w", "[0-9A-Za-z_]")
                .replace("\\b", "(?-u:\\b)");
            Regex::new(&ascii).expect("candidate pattern compiles")
        };
        Patterns {
            // name, then optional closing quote(s) / bracket, an operator, then a quoted value.
            quoted: re(
                r#"(?P<name>[A-Za-z_$@][A-Za-z0-9_.\-$]*)(?:\\?["'])?\]?\s*(?:=>|:=|\?\?=|\|\|=|===|==|=|:|,)\s*(?:[@rbuf]|\(\s*\w+\s*\)\s*|(?:new\s+)?(?:Some|Option|String|SecretStr|Secret|str|bytes|Buffer\.from)\(\s*)?(?:\\"(?P<ev>(?:[^"\\]|\\[^"])*)\\"|"(?P<dv>(?:[^"\\]|\\.)*)"|'(?P<sv>(?:[^'\\]|\\.)*)'|`(?P<bv>[^`]*)`)"#,
            ),
            call: re(
                r#"(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::)[A-Za-z_][A-Za-z0-9_]*)*)\s*\(\s*(?:[A-Za-z_][A-Za-z0-9_.]*\(\s*)?(?:"(?P<dv>(?:[^"\\]|\\.)*)"|'(?P<sv>(?:[^'\\]|\\.)*)')\s*[),]"#,
            ),
            unquoted: re(
                r#"(?:^|[\s;,{(\[`-])(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)\s*(?:=|:)\s*(?P<v>[^\s"'`,;(){}\[\]<>][^\s"'`,;}]*)"#,
            ),
            env: re(r#"^\s*(?:ENV|ARG|export|set|SET)\s+(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)\s+(?P<v>[^\s"'=][^\s"']*)\s*$"#),
            escaped: re(
                r#"(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)\\"\s*:\s*\\"(?P<ev>(?:[^"\\]|\\[^"])*)\\""#,
            ),
            xml_element: re(r#"<(?P<name>[A-Za-z_][A-Za-z0-9_.:\-]*)>(?P<v>[^<>\s][^<>]*)</"#),
            flag: re(
                r#"(?:^|\s)(?P<name>--?[A-Za-z][A-Za-z0-9_\-]*)(?:\s+|=)(?:"(?P<dv>[^"]+)"|'(?P<sv>[^']+)'|(?P<v>[^\s"'\-][^\s"';|&]*))"#,
            ),
            short_flag: re(r#"(?:^|\s)(?P<name>-p)(?P<v>[^\s"'\-][^\s"';|&]*)"#),
            pass_colon: re(r#"\b(?P<name>pass):(?P<v>[^\s"';|&]+)"#),
            user_colon: re(
                r#"(?:^|\s)(?P<name>-u|--user)\s+["']?[^\s:"'@/]+:(?P<v>[^\s"'@]+)["']?(?:\s|$)"#,
            ),
            authorization: re(
                r#"(?i)\b(?P<name>bearer|basic|token|oauth)\s+(?P<v>[A-Za-z0-9_\-.~+/]{8,}=*)"#,
            ),
            url_userinfo: re(r#"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@"'<>]*:(?P<v>[^@/\s"'<>]+)@[A-Za-z0-9\[%{$]"#),
            url_query: re(r#"[?&;](?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)=(?P<v>[^&\s"'#<>]+)"#),
            sql: re(
                r#"(?i)\b(?P<name>identified\s+(?:with\s+\w+\s+)?by(?:\s+password)?|with\s+password|password)\s*=?\s*(?:N?'(?P<sv>[^']+)'|"(?P<dv>[^"]+)"|(?P<v>[^\s'";,()]+))"#,
            ),
            secure_string: re(
                r#"(?i)(?P<name>ConvertTo-SecureString)\s+(?:-String\s+)?(?:"(?P<dv>[^"]+)"|'(?P<sv>[^']+)')"#,
            ),
        }
    })
}

/// The matches of `re` in `line` when `gate` holds: a quick test without captures first (most
/// lines that pass the literal gates hold no match). A pattern that does not run costs nothing,
/// not even the captures it would fill.
fn gated<'r, 'h>(
    re: &'r Regex,
    line: &'h str,
    gate: bool,
) -> impl Iterator<Item = regex::Captures<'h>> + use<'r, 'h> {
    (gate && re.is_match(line))
        .then(|| re.captures_iter(line))
        .into_iter()
        .flatten()
}

/// The value group of a match: the first of the named value groups that took part.
fn value_of<'a>(caps: &regex::Captures<'a>) -> Option<regex::Match<'a>> {
    ["ev", "dv", "sv", "bv", "v"]
        .iter()
        .find_map(|g| caps.name(g))
}

/// Every candidate of one line, in order of position, without two for the same value.
pub fn candidates(line: &str) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let words = words_of(line);
    if !words.line {
        return out;
    }
    let p = patterns();
    let mut push = |name: &str, v: regex::Match<'_>, syntax: Syntax| {
        if v.as_str().is_empty() || out.iter().any(|c| c.start < v.end() && v.start() < c.end) {
            return;
        }
        // Placeholders, references, hand-typed dummies (`abcdefgh12345678`) and paths in code
        // (`windows_sys::core::PCWSTR`) are no values; short values are left to the scorer
        // (many real passwords are short).
        let value = v.as_str();
        if (value.chars().count() >= 6 && is_placeholder(value))
            || is_keyboard_dummy(&value.to_ascii_lowercase())
            || value.contains("::")
        {
            return;
        }
        out.push(Candidate {
            name: name.to_string(),
            start: v.start(),
            end: v.end(),
            syntax,
        });
    };
    let name_of =
        |caps: &regex::Captures<'_>| caps.name("name").map_or("", |m| m.as_str()).to_string();
    // Positional forms first: they say what the value is whatever it is called.
    // Each pattern runs only where its literals occur (the same candidates, found faster).
    let quote = line.contains(['"', '\'', '`']);
    let authorization = words.authorization;
    for caps in gated(&p.authorization, line, authorization) {
        if let Some(v) = value_of(&caps) {
            let name = name_of(&caps);
            // `token abc` in prose is common; `Bearer`/`Basic` anywhere, `token`/`OAuth` after an
            // authorization header word.
            let header = words.auth;
            let strong = matches!(name.to_ascii_lowercase().as_str(), "bearer" | "basic");
            // `OAuth oauth_token="..."` names its parameters: they are candidates of their own.
            let parameter = v.as_str().to_ascii_lowercase().starts_with("oauth_");
            if (strong || header) && !parameter {
                push(&name, v, Syntax::Authorization);
            }
        }
    }
    let userinfo = line.contains("://") && line.contains('@');
    for caps in gated(&p.url_userinfo, line, userinfo) {
        if let Some(v) = value_of(&caps) {
            push("url", v, Syntax::UrlUserInfo);
        }
    }
    let sql = words.sql;
    for caps in gated(&p.sql, line, sql) {
        if let Some(v) = value_of(&caps) {
            let name = name_of(&caps);
            let lower = name.to_ascii_lowercase();
            // A bare `password 'x'` only in a statement that creates or alters a login.
            if lower != "password" || is_sql_login(line) {
                push(&name, v, Syntax::Sql);
            }
        }
    }
    let secure = words.secure_string;
    for caps in gated(&p.secure_string, line, secure) {
        if let Some(v) = value_of(&caps) {
            push(&name_of(&caps), v, Syntax::SecureString);
        }
    }
    let user = line.contains("-u");
    for caps in gated(&p.user_colon, line, user) {
        if let Some(v) = value_of(&caps) {
            push(&name_of(&caps), v, Syntax::Flag);
        }
    }
    let pass = line.contains("pass:");
    for caps in gated(&p.pass_colon, line, pass) {
        if let Some(v) = value_of(&caps) {
            push(&name_of(&caps), v, Syntax::Flag);
        }
    }
    let jwk = line.contains("kty") || line.contains("\"d\"") && line.contains("\"n\"");
    let wanted = |name: &str| is_credential_name(name) || jwk && JWK_MEMBERS.contains(&name);
    // The patterns below find a value by its name (`-p` aside).
    let named = words.name || jwk;
    let quote = quote && named;
    for caps in gated(&p.quoted, line, quote) {
        let name = name_of(&caps);
        if let Some(v) = value_of(&caps)
            && wanted(&name)
        {
            push(&name, v, Syntax::Quoted);
        }
    }
    // JSON escaped inside a string: the string's own match above may have taken it whole.
    let escaped = named && line.contains("\\\"");
    for caps in gated(&p.escaped, line, escaped) {
        let name = name_of(&caps);
        if let Some(v) = value_of(&caps)
            && wanted(&name)
        {
            push(&name, v, Syntax::Quoted);
        }
    }
    let call = quote && line.contains('(');
    for caps in gated(&p.call, line, call) {
        let name = name_of(&caps);
        if let Some(v) = value_of(&caps)
            && is_credential_name(&name)
        {
            push(&name, v, Syntax::Quoted);
        }
    }
    let xml = named && line.contains("</");
    for caps in gated(&p.xml_element, line, xml) {
        let name = name_of(&caps);
        if let Some(v) = value_of(&caps)
            && is_credential_name(&name)
        {
            push(&name, v, Syntax::XmlElement);
        }
    }
    let query = named && line.contains('=') && line.contains(['?', '&', ';']);
    for caps in gated(&p.url_query, line, query) {
        let name = name_of(&caps);
        if let Some(v) = value_of(&caps)
            && is_credential_name(&name)
        {
            push(&name, v, Syntax::UrlQuery);
        }
    }
    let flag = line.contains('-') && (named || line.contains("-p"));
    for caps in gated(&p.flag, line, flag) {
        let name = name_of(&caps);
        if let Some(v) = value_of(&caps)
            && (is_credential_name(&name) || name == "-p")
        {
            push(&name, v, Syntax::Flag);
        }
    }
    let short = line.contains("-p");
    for caps in gated(&p.short_flag, line, short) {
        if let Some(v) = value_of(&caps) {
            push(&name_of(&caps), v, Syntax::Flag);
        }
    }
    let env = named && {
        let t = line.trim_start().as_bytes();
        let starts = |w: &[u8]| t.len() > w.len() && t[..w.len()].eq_ignore_ascii_case(w);
        starts(b"env ") || starts(b"arg ") || starts(b"export ") || starts(b"set ")
    };
    // An unquoted value runs to the end of its line or to a comment ([`ends_the_line`]): a line
    // that ends in `;` or `,` (most lines of code) without a comment holds none.
    let ends_in_code = line.trim_end().ends_with([';', ',']) && !line.contains(['#', '/']);
    let assigned = named && !ends_in_code && line.contains(['=', ':']);
    for (re, gate) in [(&p.env, env), (&p.unquoted, assigned)] {
        for caps in gated(re, line, gate) {
            let name = name_of(&caps);
            if let Some(v) = value_of(&caps)
                && is_credential_name(&name)
                && ends_the_line(&line[v.end()..])
            {
                push(&name, v, Syntax::Unquoted);
            }
        }
    }
    out.sort_by_key(|c| c.start);
    out
}

/// Whether what follows an unquoted value ends its line: nothing, or a comment. In code an
/// unquoted `name: value` is a type (`password: &str)`) or a statement goes on (`seed = 42;`);
/// in configuration files the value runs to the end of the line.
fn ends_the_line(rest: &str) -> bool {
    // A shell line goes on after ` \`; a value in inline code or braces closes them.
    let rest = rest.trim_start().trim_start_matches(['`', '}']);
    let rest = rest.trim_end();
    rest.is_empty()
        || rest == "\\"
        || rest.starts_with('#')
        || rest.starts_with("//")
        || (rest.starts_with(';') && rest[1..].starts_with(char::is_whitespace))
}

/// A SQL statement that sets a login's password.
fn is_sql_login(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    (l.contains("create ") || l.contains("alter "))
        && (l.contains(" user") || l.contains(" role") || l.contains(" login"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values found in `line`, with their syntax.
    fn found(line: &str) -> Vec<(String, Syntax)> {
        candidates(line)
            .into_iter()
            .map(|c| (c.value(line).to_string(), c.syntax))
            .collect()
    }

    fn has(line: &str, value: &str, syntax: Syntax) {
        let f = found(line);
        assert!(
            f.iter().any(|(v, s)| v == value && *s == syntax),
            "{line:?}: expected {value:?} as {syntax:?}, found {f:?}"
        );
    }

    fn none(line: &str) {
        let f = found(line);
        assert!(f.is_empty(), "{line:?}: expected nothing, found {f:?}");
    }

    #[test]
    fn quoted_assignments_in_code() {
        has(r#"db_password = "Xk29vLq""#, "Xk29vLq", Syntax::Quoted);
        has(r#"const apiKey = 'q8Zr2LmW'"#, "q8Zr2LmW", Syntax::Quoted);
        has(r#"$config['secret'] = "r7Ty";"#, "r7Ty", Syntax::Quoted);
        has(
            r#"conn.setPassword("hunter7b");"#,
            "hunter7b",
            Syntax::Quoted,
        );
        has(r#"  token => "k8Zq2LmW","#, "k8Zq2LmW", Syntax::Quoted);
        none(r#"  token => "abcd1234abcd","#);
        has(r#"password = Some("owlknh"),"#, "owlknh", Syntax::Quoted);
        has(
            "if (auth.password === 'wxrpdrsqqbc') {",
            "wxrpdrsqqbc",
            Syntax::Quoted,
        );
        none(r#"if (typeof strategy.hashPassword !== 'function') {"#);
        none(r#"password = Some(config.password),"#);
        none(r#"username = "alice""#);
        none(r#"const title = 'password reset'"#);
    }

    #[test]
    fn json_keys_also_escaped() {
        has(r#"{"client_secret": "e8Jd0qP"}"#, "e8Jd0qP", Syntax::Quoted);
        has(
            r#""{\"access_token\":\"tk9Qz1\"}""#,
            "tk9Qz1",
            Syntax::Quoted,
        );
        none(r#"{"name": "widget", "size": "12"}"#);
    }

    #[test]
    fn json_escaped_inside_a_larger_string() {
        has(
            r#""RequestBody": "{\"name\": \"owl\",\"password\": \"qaqwionwop\"}","#,
            "qaqwionwop",
            Syntax::Quoted,
        );
        none(r#""RequestBody": "{\"name\": \"owl\", \"size\": \"12\"}","#);
    }

    #[test]
    fn calls_with_a_wrapped_value() {
        has(
            r#"manager.setCipherKey(Base64.decode("1FiUdqOEOu0AZZ7Nvewpcq=="));"#,
            "1FiUdqOEOu0AZZ7Nvewpcq==",
            Syntax::Quoted,
        );
        has(
            "otp = ROTP::TOTP.new('IZOAS5FOCMPM6VYY', issuer: 'Example')",
            "IZOAS5FOCMPM6VYY",
            Syntax::Quoted,
        );
        none(r#"manager.setTitle(Base64.decode("1FiUdqOEOu0AZZ7Nvewpcq=="));"#);
    }

    #[test]
    fn jwk_private_members_only_next_to_kty() {
        has(
            r#"{"kty":"EC","d":"Zq3b9XvLm0aPqR7sT2uW4yA6cE8gI1kM"}"#,
            "Zq3b9XvLm0aPqR7sT2uW4yA6cE8gI1kM",
            Syntax::Quoted,
        );
        none(r#"{"d": "2024-01-01", "p": "page"}"#);
    }

    #[test]
    fn xml_attributes_and_elements() {
        has(
            r#"<add key="x" password="Pw0rd9z"/>"#,
            "Pw0rd9z",
            Syntax::Quoted,
        );
        has(
            "<password>s3cr3tV4l</password>",
            "s3cr3tV4l",
            Syntax::XmlElement,
        );
        none("<name>alice</name>");
    }

    #[test]
    fn unquoted_configs() {
        has("MYSQL_ROOT_PASSWORD=bbaruf", "bbaruf", Syntax::Unquoted);
        has("  - MYSQL_PASSWORD=qq81ab", "qq81ab", Syntax::Unquoted);
        has(
            "spring.datasource.password=Zx8c7v",
            "Zx8c7v",
            Syntax::Unquoted,
        );
        has("  secret_key: kf82Hd0s", "kf82Hd0s", Syntax::Unquoted);
        has("ENV API_TOKEN 9f8e7d6c", "9f8e7d6c", Syntax::Unquoted);
        has(
            "  -e MYSQL_PASSWORD=ztofslbxcy \\",
            "ztofslbxcy",
            Syntax::Unquoted,
        );
        has(
            "``OCELOT_SALT=keNXCoyUgdx/e==``",
            "keNXCoyUgdx/e==",
            Syntax::Unquoted,
        );
        none("  -e MYSQL_USER=gotest \\");
        has(
            "{nkey : LA5DXUV5LN57IZQXYND7ZB7RG3YXBDI7}",
            "LA5DXUV5LN57IZQXYND7ZB7RG3YXBDI7",
            Syntax::Unquoted,
        );
        none("  username: admin");
        none("PATH=/usr/bin");
    }

    #[test]
    fn command_line_flags() {
        has("mysql -u root -pS3cr3tx db", "S3cr3tx", Syntax::Flag);
        has("mysql -u root -p Qw3rty db", "Qw3rty", Syntax::Flag);
        has("tool --password=abc123x run", "abc123x", Syntax::Flag);
        has("tool --api-token 'tk_55ab'", "tk_55ab", Syntax::Flag);
        has("openssl rsa -passin pass:x9y8z7", "x9y8z7", Syntax::Flag);
        has("curl -u admin:Pa55w0rd https://h", "Pa55w0rd", Syntax::Flag);
        none("ls -l --color=auto");
        none("grep -v foo");
    }

    #[test]
    fn authorization_values() {
        has(
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abc",
            "eyJhbGciOiJIUzI1NiJ9abc",
            Syntax::Authorization,
        );
        has(
            "-H 'Authorization: Basic dXNlcjpwYXNz'",
            "dXNlcjpwYXNz",
            Syntax::Authorization,
        );
        has(
            "headers['Authorization'] = 'Token 9a8b7c6d5e'",
            "9a8b7c6d5e",
            Syntax::Authorization,
        );
        none("the token expires after an hour");
        none("basic usage");
    }

    #[test]
    fn urls() {
        has(
            "postgres://app:Hj7kL9m@db.local/app",
            "Hj7kL9m",
            Syntax::UrlUserInfo,
        );
        has(
            "https://gitlab.example/api?private_token=glx9aZ8q&x=1",
            "glx9aZ8q",
            Syntax::UrlQuery,
        );
        has(
            "otpauth://totp/Acme:bob?secret=JBSWY3DPEHPK3PXP&issuer=Acme",
            "JBSWY3DPEHPK3PXP",
            Syntax::UrlQuery,
        );
        has(
            r#"nats.Connect(fmt.Sprintf("nats://svc:hrrm7Q@%s:%d", host, port))"#,
            "hrrm7Q",
            Syntax::UrlUserInfo,
        );
        none("https://example.com/path?page=2&sort=asc");
        none("https://user@example.com/");
    }

    #[test]
    fn sql() {
        has(
            "CREATE USER 'app'@'%' IDENTIFIED BY 'Tq8zP1';",
            "Tq8zP1",
            Syntax::Sql,
        );
        has(
            "CREATE ROLE app WITH PASSWORD 'Lm3nB7';",
            "Lm3nB7",
            Syntax::Sql,
        );
        has(
            "ALTER LOGIN sa WITH PASSWORD = 'Vb9cX2'",
            "Vb9cX2",
            Syntax::Sql,
        );
        has(
            "ALTER USER 'root'@'localhost' IDENTIFIED WITH mysql_native_password BY 'Qm4bZr7x';",
            "Qm4bZr7x",
            Syntax::Sql,
        );
        none("CREATE USER 'app'@'%' IDENTIFIED WITH auth_socket;");
        none("SELECT name FROM users WHERE id = 1");
    }

    #[test]
    fn powershell_secure_string() {
        has(
            r#"$p = ConvertTo-SecureString "Pz8xQ7w" -AsPlainText -Force"#,
            "Pz8xQ7w",
            Syntax::SecureString,
        );
        none("$p = Read-Host -AsSecureString");
    }

    #[test]
    fn oauth_parameters() {
        let line = r#"Authorization: OAuth oauth_consumer_key="ck7Hq2Zr", oauth_token="tk8Zq2Lm9x", oauth_signature="wOJIO9A2W5mF%3D""#;
        has(line, "ck7Hq2Zr", Syntax::Quoted);
        has(line, "tk8Zq2Lm9x", Syntax::Quoted);
        has(line, "wOJIO9A2W5mF%3D", Syntax::Quoted);
        assert!(
            !found(line).iter().any(|(v, _)| v.starts_with("oauth_")),
            "{:?}",
            found(line)
        );
        has(
            "Authorization: OAuth ya29Qm7Zt2Lx9",
            "ya29Qm7Zt2Lx9",
            Syntax::Authorization,
        );
        none(r#"oauth_callback="https://example.com/cb""#);
    }

    #[test]
    fn ini_properties_env_and_compose() {
        has("password = Rk8s2Lq", "Rk8s2Lq", Syntax::Unquoted);
        has("db.password=Zx8c7v", "Zx8c7v", Syntax::Unquoted);
        has(
            "export AWS_SESSION_TOKEN=Fq09Zk",
            "Fq09Zk",
            Syntax::Unquoted,
        );
        has(
            "      POSTGRES_PASSWORD: pg9Lm2",
            "pg9Lm2",
            Syntax::Unquoted,
        );
        has("ARG NPM_TOKEN np8Zq1", "np8Zq1", Syntax::Unquoted);
        has(
            "password = Rk8s2Lq ; the admin's",
            "Rk8s2Lq",
            Syntax::Unquoted,
        );
        none("fn login(password: &str) -> bool {");
        none("pub const SYS_lookup_dcookie: c_long = 253;");
        none("    let seed = 2021;");
        none("log_level = debug");
        none("      POSTGRES_USER: app");
        none("ENV LANG C.UTF-8");
    }

    #[test]
    fn lines_without_the_words_or_shape_of_a_candidate_are_passed_over() {
        // Code that ends in `;` or `,` holds no unquoted value; a comment after one keeps it.
        none("    let key = derive(seed, salt);");
        none("        token: next_token,");
        has(
            "db_password=Zq8x7Lm # the staging one;",
            "Zq8x7Lm",
            Syntax::Unquoted,
        );
        // A URL is read for its user-info only; names of sessions or access levels are no
        // credentials' names.
        none("// see https://example.com/docs?page=2");
        none(r#"session = "a8Zq2LmW9x""#);
        none(r#"access = "a8Zq2LmW9x""#);
    }

    #[test]
    fn a_uuid_is_a_candidate_only_under_a_credential_name() {
        has(
            r#"api_key = "0b7e4f3a-9c2d-4e1f-8a6b-5d3c2e1f0a9b""#,
            "0b7e4f3a-9c2d-4e1f-8a6b-5d3c2e1f0a9b",
            Syntax::Quoted,
        );
        none(r#"request_id = "0b7e4f3a-9c2d-4e1f-8a6b-5d3c2e1f0a9b""#);
        none("0b7e4f3a-9c2d-4e1f-8a6b-5d3c2e1f0a9b");
    }

    #[test]
    fn name_words() {
        assert_eq!(name_tokens("dbPassword_2"), vec!["db", "password"]);
        assert!(is_credential_name("DB_PASS"));
        assert!(is_credential_name("x-api-key"));
        assert!(is_credential_name("pwd"));
        assert!(!is_credential_name("keyboard_layout"));
        assert!(!is_credential_name("username"));
        assert!(!is_credential_name("compass_heading"));
    }
}
