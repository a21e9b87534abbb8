//! The few T-SQL spellings the peer understands, turned into SQLite.
//!
//! Statements are split at `;` outside literals, quoted names and comments.
//! Each is then recognised as one of the forms below or passed to SQLite
//! unchanged:
//!
//! | T-SQL | peer |
//! |---|---|
//! | `SET ...` | accepted, does nothing |
//! | `BEGIN TRAN[SACTION]`, `COMMIT [TRAN[SACTION]]`, `ROLLBACK [TRAN[SACTION]]` | BEGIN, COMMIT, ROLLBACK |
//! | `SAVE TRAN[SACTION] x`, `ROLLBACK TRAN[SACTION] x` | SAVEPOINT x, ROLLBACK TO x |
//! | `WAITFOR DELAY 'hh:mm:ss[.fff]'` | sleeps, stopped by an attention |
//! | `EXEC sp_describe_first_result_set @tsql = @Pn \| N'...', ...` | the first statement of `@tsql`, prepared on SQLite and not run: one row per column with `is_hidden`, `column_ordinal`, `name`, `is_nullable` and `system_type_name` (the columns of SQL Server's answer that keel reads); an expression's type is `sql_variant` (the peer cannot tell it without running it); `@tsql` starting with `EXEC` is error 11514, dynamic SQL |
//! | `KILL @@SPID`, `KILL n` | closes that session's socket (SQL Server refuses to kill your own session) |
//! | `@@VERSION`, `@@SPID`, `@@TRANCOUNT` in an expression | the peer's name, the session id, 0 or 1 |
//! | `N'text'`, `0x0102` (binary) | `'text'`, `X'0102'` |
//! | `SELECT TOP n ...` | `SELECT ... LIMIT n` |
//! | `INFORMATION_SCHEMA.TABLES`, `sys.indexes` and the other catalog views [`crate::catalog`] lists, `DB_NAME()`, `SCHEMA_NAME()`, `COLLATE Latin1_General_BIN` | temp tables filled from SQLite's catalog just before, `'keel'`, `'dbo'`, `COLLATE BINARY` (and LIKE with case) |
//! | `INSERT BULK t ([a] int, ...)` (what a bulk load opens with) | remembered: the next bulk load message's rows go into `t`'s columns `a`, ... |
//! | `CREATE TABLE` / `ALTER TABLE ... ADD` column types | kept as declared (they decide the TDS type); DECIMAL, NUMERIC and MONEY columns get text affinity so no digit is lost; `BIGINT IDENTITY(1,1) PRIMARY KEY` becomes an auto-numbered rowid; the range of INT, SMALLINT and TINYINT, the length of CHAR/VARCHAR/BINARY(n) and the integer digits of DECIMAL(p,s) become CHECK constraints that fail with SQL Server's error numbers |

/// What one statement asks for.
#[derive(Debug, PartialEq)]
pub enum Stmt {
    Noop,
    Begin,
    Commit,
    Rollback,
    Save(String),
    RollbackTo(String),
    WaitFor(std::time::Duration),
    Kill(Option<u32>),
    /// `sp_describe_first_result_set`: the `@tsql` argument as written, a
    /// parameter name (`@P1`) or a literal (`N'SELECT 1'`).
    Describe(String),
    /// `INSERT BULK`: the table and the column names (as written, quoted)
    /// of the bulk load message to come.
    BulkInsert { table: String, columns: Vec<String> },
    /// SQL for SQLite.
    Sql(String),
    /// SQL for SQLite that reads SQL Server's catalog views, which
    /// [`crate::catalog`] fills before it runs.
    Catalog(String),
}

/// Split a batch into statements (empty ones dropped).
pub fn split(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' | b'[' => i = skip_quoted(b, i),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b';' => {
                out.push(sql[start..i].to_owned());
                start = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push(sql[start.min(sql.len())..].to_owned());
    out.retain(|s| !strip_comments(s).trim().is_empty());
    out
}

/// The end of the quoted string or bracketed name opening at `i` (a `'`,
/// `"` or `[`).
fn skip_quoted(b: &[u8], i: usize) -> usize {
    skip_to(b, i, if b[i] == b'[' { b']' } else { b[i] })
}

fn skip_to(b: &[u8], i: usize, close: u8) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == close {
            if b.get(j + 1) == Some(&close) && close != b']' {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if matches!(b[i], b'\'' | b'"' | b'[') {
            let j = skip_quoted(b, i);
            out.push_str(&s[i..j]);
            i = j;
        } else {
            let ch = s[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The words of a statement, upper-cased, outside literals (for matching).
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

fn is_tran(w: Option<&String>) -> bool {
    matches!(w.map(String::as_str), Some("TRAN" | "TRANSACTION"))
}

/// Classify one statement and translate it for SQLite.
pub fn translate(stmt: &str, spid: u16, version: &str, in_tx: bool) -> Stmt {
    let clean = strip_comments(stmt);
    let w = words(&clean);
    let first = w.first().map(String::as_str).unwrap_or("");
    match first {
        "SET" => return Stmt::Noop,
        "BEGIN" if w.len() <= 3 && is_tran(w.get(1)) => return Stmt::Begin,
        "COMMIT" if w.len() == 1 || (is_tran(w.get(1)) && w.len() <= 3) => return Stmt::Commit,
        "ROLLBACK" if w.len() == 1 || (is_tran(w.get(1)) && w.len() == 2) => return Stmt::Rollback,
        "ROLLBACK" if is_tran(w.get(1)) && w.len() == 3 => return Stmt::RollbackTo(name(&clean, 2)),
        "SAVE" if is_tran(w.get(1)) && w.len() == 3 => return Stmt::Save(name(&clean, 2)),
        "WAITFOR" if w.get(1).map(String::as_str) == Some("DELAY") => {
            let arg = clean.split('\'').nth(1).unwrap_or("");
            let ticks = crate::types::parse_time_of_day(arg.trim()).unwrap_or(0);
            return Stmt::WaitFor(std::time::Duration::from_nanos(ticks * 100));
        }
        "EXEC" | "EXECUTE" if w.get(1).is_some_and(|p| p.trim_matches(['[', ']']) == "SP_DESCRIBE_FIRST_RESULT_SET") => {
            return Stmt::Describe(tsql_argument(&clean));
        }
        "KILL" if w.len() == 2 => {
            return Stmt::Kill(if w[1] == "@@SPID" { Some(spid as u32) } else { w[1].parse().ok() });
        }
        "INSERT" if w.get(1).map(String::as_str) == Some("BULK") => return bulk_insert(&clean),
        _ => {}
    }
    // SELECT TOP n: LIMIT n at the end.
    let mut limit = None;
    let mut owned = stmt.to_owned();
    if first == "SELECT" && w.get(1).map(String::as_str) == Some("TOP") {
        let after_top = clean.trim_start()[6..].trim_start()[3..].trim_start();
        let n = after_top.find(|c: char| !c.is_ascii_digit()).unwrap_or(after_top.len());
        limit = Some(after_top[..n].to_owned());
        owned = format!("SELECT {}", after_top[n..].trim_start());
    }
    let stmt = owned.as_str();
    let mut sql = replace_outside_literals(stmt, &[
        ("@@VERSION", &format!("'{version}'")),
        ("@@SPID", &spid.to_string()),
        ("@@TRANCOUNT", if in_tx { "1" } else { "0" }),
    ]);
    if matches!(first, "CREATE" | "ALTER") && w.get(1).map(String::as_str) == Some("TABLE") {
        sql = rewrite_ddl(&sql);
    }
    if let Some(n) = limit {
        sql = format!("{} LIMIT {n}", sql.trim_end());
    }
    let mut pairs: Vec<(&str, &str)> = crate::catalog::VIEWS.to_vec();
    pairs.extend([("DB_NAME()", "'keel'"), ("SCHEMA_NAME()", "'dbo'"), ("COLLATE Latin1_General_BIN", "COLLATE BINARY")]);
    let cat = replace_outside_literals(&sql, &pairs);
    if cat != sql {
        return Stmt::Catalog(cat);
    }
    Stmt::Sql(sql)
}

/// `INSERT BULK table ([a] type, [b] type ...) [WITH (...)]`.
fn bulk_insert(clean: &str) -> Stmt {
    let b = clean.as_bytes();
    // Past INSERT and BULK.
    let start = clean.to_ascii_uppercase().find("BULK").map_or(0, |i| i + 4);
    let mut i = start;
    while i < b.len() && b[i] != b'(' {
        i = if b[i] == b'[' { skip_to(b, i, b']') } else { i + 1 };
    }
    let table = clean[start..i.min(b.len())].trim().to_owned();
    let end = if i < b.len() { skip_parens(b, i) } else { b.len() };
    let inner = if i + 1 < end { &clean[i + 1..end - 1] } else { "" };
    let columns = split_top(inner)
        .into_iter()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            let cb = c.as_bytes();
            let n = if cb[0] == b'[' { skip_to(cb, 0, b']') } else { c.find(char::is_whitespace).unwrap_or(c.len()) };
            c[..n].to_owned()
        })
        .collect();
    Stmt::BulkInsert { table, columns }
}

/// The end (after its `)`) of the parenthesised group opening at `i`.
fn skip_parens(b: &[u8], i: usize) -> usize {
    let (mut depth, mut j) = (0i32, i);
    while j < b.len() {
        match b[j] {
            b'\'' | b'"' | b'[' => {
                j = skip_quoted(b, j);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    b.len()
}

/// The `@tsql` argument of an `EXEC sp_describe_first_result_set`, as
/// written: what follows `@tsql =` up to the next top-level comma (or, with
/// no name given, the first argument).
fn tsql_argument(clean: &str) -> String {
    let args = clean.trim_start()[clean.trim_start().find(char::is_whitespace).unwrap_or(0)..].trim_start();
    let args = args[args.find(char::is_whitespace).unwrap_or(args.len())..].trim();
    let parts = split_top(args);
    let named = parts.iter().find_map(|a| {
        let (k, v) = a.split_once('=')?;
        k.trim().eq_ignore_ascii_case("@tsql").then(|| v.trim().to_owned())
    });
    named.unwrap_or_else(|| parts.first().map(|a| a.trim().to_owned()).unwrap_or_default())
}

/// The `n`th word, as written (brackets removed).
fn name(s: &str, n: usize) -> String {
    s.split_whitespace().nth(n).unwrap_or("").trim_matches(['[', ']']).to_owned()
}

fn replace_outside_literals(s: &str, pairs: &[(&str, &str)]) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let word_before = |i: usize| i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'@');
    'outer: while i < b.len() {
        if matches!(b[i], b'\'' | b'"' | b'[') {
            let j = skip_quoted(b, i);
            out.push_str(&s[i..j]);
            i = j;
            continue;
        }
        // N'unicode literal' is a plain literal to SQLite.
        if matches!(b[i], b'N' | b'n') && b.get(i + 1) == Some(&b'\'') && !word_before(i) {
            i += 1;
            continue;
        }
        // 0x0102 is binary in T-SQL and an integer in SQLite.
        if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) && !word_before(i) {
            let mut j = i + 2;
            while j < b.len() && b[j].is_ascii_hexdigit() {
                j += 1;
            }
            let hex = &s[i + 2..j];
            out.push_str(&format!("X'{}{hex}'", if hex.len() % 2 == 1 { "0" } else { "" }));
            i = j;
            continue;
        }
        for (from, to) in pairs {
            if s.len() >= i + from.len() && s.is_char_boundary(i + from.len()) && s[i..i + from.len()].eq_ignore_ascii_case(from) {
                out.push_str(to);
                i += from.len();
                continue 'outer;
            }
        }
        let ch = s[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// `s` split at the commas outside parentheses and quotes.
pub(crate) fn split_top(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut start, mut i) = (0i32, 0, 0);
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' | b'[' => {
                i = skip_quoted(b, i);
                continue;
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

fn unquote(name: &str) -> &str {
    name.trim().trim_start_matches(['[', '"']).trim_end_matches([']', '"'])
}

/// SQL Server converts character data to binary only when told to (CAST,
/// CONVERT): a parameter declared char/varchar/nchar/nvarchar/text/ntext
/// given to a binary, varbinary or image column is error 257. The peer
/// checks the form the tests use, `INSERT INTO t (c, ...) VALUES (@Pn,
/// ...)`, against `decls` (sp_executesql's `@params`) and the columns'
/// declared types (`types_of(table)`: name and type of each column).
pub fn refuse_text_into_binary(
    stmt: &str,
    decls: &str,
    types_of: impl Fn(&str) -> Vec<(String, String)>,
) -> Result<(), crate::types::Refused> {
    let clean = strip_comments(stmt);
    let t = clean.trim();
    let up = t.to_ascii_uppercase();
    if !up.starts_with("INSERT INTO ") {
        return Ok(());
    }
    let rest = &t[12..];
    let (Some(open), Some(values)) = (rest.find('('), up[12..].find("VALUES")) else { return Ok(()) };
    if values < open {
        return Ok(());
    }
    let table = unquote(&rest[..open]);
    let Some(close) = rest[..values].rfind(')') else { return Ok(()) };
    let cols: Vec<&str> = split_top(&rest[open + 1..close]).into_iter().map(unquote).collect();
    let after = &rest[values + 6..];
    let (Some(vo), Some(vc)) = (after.find('('), after.rfind(')')) else { return Ok(()) };
    let exprs: Vec<&str> = split_top(&after[vo + 1..vc]).into_iter().map(str::trim).collect();
    let declared: Vec<(String, String)> = split_top(decls)
        .into_iter()
        .filter_map(|d| d.trim().split_once(char::is_whitespace).map(|(n, ty)| (n.to_ascii_uppercase(), ty.trim().to_ascii_lowercase())))
        .collect();
    let columns = types_of(table);
    for (col, expr) in cols.iter().zip(&exprs) {
        let Some((_, pty)) = declared.iter().find(|(n, _)| n.eq_ignore_ascii_case(expr)) else { continue };
        let Some((_, cty)) = columns.iter().find(|(n, _)| n.eq_ignore_ascii_case(col)) else { continue };
        let text = ["nvarchar", "varchar", "nchar", "char", "ntext", "text"].iter().any(|k| pty.starts_with(k));
        let cup = cty.to_ascii_uppercase();
        let binary = ["BINARY", "VARBINARY", "IMAGE"].iter().any(|k| cup.starts_with(k));
        if text && binary {
            return Err(crate::types::Refused {
                number: 257,
                message: format!(
                    "Implicit conversion from data type {} to {} is not allowed. Use the CONVERT function to run this query.",
                    pty.split('(').next().unwrap_or(pty),
                    cty.to_ascii_lowercase()
                ),
            });
        }
    }
    Ok(())
}

/// Rewrite the column definitions of CREATE TABLE / ALTER TABLE ADD (see
/// the module docs).
pub fn rewrite_ddl(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    if upper.trim_start().starts_with("ALTER") {
        // ALTER TABLE t ADD [COLUMN] name type ...
        return match upper.find(" ADD ") {
            Some(i) => {
                let head = &sql[..i + 5];
                let mut def = sql[i + 5..].trim_start();
                let mut col = "";
                if def.to_ascii_uppercase().starts_with("COLUMN ") {
                    col = "COLUMN ";
                    def = &def[7..];
                }
                format!("{head}{col}{}", column_def(def))
            }
            None => sql.to_owned(),
        };
    }
    let (Some(open), Some(close)) = (sql.find('('), sql.rfind(')')) else { return sql.to_owned() };
    let defs: Vec<String> = split_top(&sql[open + 1..close]).into_iter().map(column_def).collect();
    format!("{}({}){}", &sql[..open], defs.join(","), &sql[close + 1..])
}

/// One column definition: `name TYPE[(args)] rest`.
fn column_def(def: &str) -> String {
    let t = def.trim();
    let up = t.to_ascii_uppercase();
    if ["PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN", "CHECK"].iter().any(|k| up.starts_with(k)) {
        return def.to_owned();
    }
    let name_end = if t.starts_with('[') || t.starts_with('"') {
        t[1..].find([']', '"']).map_or(t.len(), |i| i + 2)
    } else {
        t.find(char::is_whitespace).unwrap_or(t.len())
    };
    let (col, rest) = t.split_at(name_end);
    let rest = rest.trim_start();
    let rup = rest.to_ascii_uppercase();
    if rup.starts_with("BIGINT IDENTITY(1,1) PRIMARY KEY") || rup.starts_with("BIGINT IDENTITY(1, 1) PRIMARY KEY") {
        let after = &rest[rest.to_ascii_uppercase().find("PRIMARY KEY").unwrap() + 11..];
        return format!(" {col} INTEGER PRIMARY KEY AUTOINCREMENT{after}");
    }
    // The type: a word and an optional (args).
    let word_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let mut ty_end = word_end;
    if rest[word_end..].starts_with('(') {
        ty_end = rest[word_end..].find(')').map_or(rest.len(), |i| word_end + i + 1);
    }
    let ty = &rest[..ty_end];
    let tail = &rest[ty_end..];
    let tyu = ty.to_ascii_uppercase();
    let base = &tyu[..word_end];
    let quoted = col.trim_matches(['[', ']', '"']);
    let q = format!("\"{quoted}\"");
    let args: Vec<&str> = tyu[word_end..].trim_matches(['(', ')']).split(',').map(str::trim).collect();
    let mut check = String::new();
    let range = |lo: i64, hi: i64| {
        format!(" CONSTRAINT keel_range_{quoted} CHECK ({q} IS NULL OR typeof({q}) <> 'integer' OR {q} BETWEEN {lo} AND {hi})")
    };
    match base {
        "INT" => check = range(i32::MIN as i64, i32::MAX as i64),
        "SMALLINT" => check = range(i16::MIN as i64, i16::MAX as i64),
        "TINYINT" => check = range(0, 255),
        "CHAR" | "VARCHAR" | "NCHAR" | "NVARCHAR" | "BINARY" | "VARBINARY" => {
            if let Some(n) = args.first().and_then(|a| a.parse::<u32>().ok()) {
                check = format!(" CONSTRAINT keel_len_{quoted} CHECK ({q} IS NULL OR length({q}) <= {n})");
            }
        }
        _ => {}
    }
    let mut ty = ty.to_owned();
    // SQLite takes only numbers in a type's parentheses: NVARCHAR(MAX)
    // is kept as NVARCHAR_MAX (still text affinity for the char types).
    if tyu.ends_with("(MAX)") {
        ty = format!("{base}_MAX");
    }
    if matches!(base, "DECIMAL" | "NUMERIC" | "DEC" | "MONEY" | "SMALLMONEY") {
        let (p, s) = match base {
            "MONEY" => (19, 4),
            "SMALLMONEY" => (10, 4),
            _ => {
                let p = args.first().and_then(|a| a.parse().ok()).unwrap_or(18i64);
                (p, args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0))
            }
        };
        ty = format!("TEXT_{ty}");
        check = format!(
            " CONSTRAINT keel_dec_{quoted} CHECK ({q} IS NULL OR length(ltrim(replace(substr(CAST({q} AS TEXT), 1, \
             CASE WHEN instr(CAST({q} AS TEXT), '.') > 0 THEN instr(CAST({q} AS TEXT), '.') - 1 ELSE length(CAST({q} AS TEXT)) END), '-', ''), '0')) <= {})",
            p - s
        );
    }
    format!(" {col} {ty}{check}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parameters_into_binary_columns_are_refused() {
        let types = |t: &str| {
            assert_eq!(t, "t");
            vec![("id".to_string(), "INT".to_string()), ("b".to_string(), "VARBINARY(10)".to_string())]
        };
        let e = refuse_text_into_binary("INSERT INTO t (id, [b]) VALUES (@P1, @P2)", "@P1 bigint,@P2 nvarchar(4000)", types);
        assert_eq!(e.unwrap_err().number, 257);
        assert!(refuse_text_into_binary("INSERT INTO t (id, b) VALUES (@P1, NULL)", "@P1 bigint", types).is_ok());
        assert!(refuse_text_into_binary("INSERT INTO t (id, b) VALUES (@P1, @P2)", "@P1 bigint,@P2 varbinary(max)", types).is_ok());
        assert!(refuse_text_into_binary("INSERT INTO t (id, b) VALUES (@P1, CONVERT(VARBINARY(10), @P2))", "@P1 bigint,@P2 nvarchar(4000)", types).is_ok());
    }

    #[test]
    fn describe_takes_its_tsql_argument_as_written() {
        let d = |q: &str| translate(q, 51, "v", false);
        assert_eq!(
            d("EXEC sp_describe_first_result_set @tsql = @P1, @params = @P2, @browse_information_mode = 0"),
            Stmt::Describe("@P1".into())
        );
        assert_eq!(d("exec [sp_describe_first_result_set] N'SELECT a, b FROM t'"), Stmt::Describe("N'SELECT a, b FROM t'".into()));
        assert_eq!(
            d("EXECUTE sp_describe_first_result_set @params = NULL, @tsql = N'SELECT 1 WHERE 1 = 1'"),
            Stmt::Describe("N'SELECT 1 WHERE 1 = 1'".into())
        );
    }

    #[test]
    fn top_and_insert_bulk() {
        let t = |q: &str| translate(q, 51, "v", false);
        assert_eq!(t("SELECT TOP 0 [a], [b] FROM [t]"), Stmt::Sql("SELECT [a], [b] FROM [t] LIMIT 0".into()));
        assert_eq!(t("select top 10 * from t"), Stmt::Sql("SELECT * from t LIMIT 10".into()));
        assert_eq!(
            t("INSERT BULK [t x] ([a] bigint, [b] decimal(10,2), [c d] nvarchar(max) COLLATE Latin1_General_CI_AS) WITH (TABLOCK)"),
            Stmt::BulkInsert { table: "[t x]".into(), columns: vec!["[a]".into(), "[b]".into(), "[c d]".into()] }
        );
    }

    #[test]
    fn splits_outside_literals() {
        assert_eq!(split("SELECT ';' AS [a;b]; SELECT 2 -- ;\n;"), vec!["SELECT ';' AS [a;b]", " SELECT 2 -- ;\n"]);
    }

    #[test]
    fn transactions_and_specials() {
        assert_eq!(translate("SAVE TRANSACTION [sp1]", 51, "v", true), Stmt::Save("sp1".into()));
        assert_eq!(translate("ROLLBACK TRANSACTION sp1", 51, "v", true), Stmt::RollbackTo("sp1".into()));
        assert_eq!(translate("rollback", 51, "v", true), Stmt::Rollback);
        assert_eq!(translate("KILL @@SPID", 51, "v", false), Stmt::Kill(Some(51)));
        assert_eq!(translate("SET QUOTED_IDENTIFIER ON", 51, "v", false), Stmt::Noop);
        assert_eq!(translate("SELECT @@VERSION", 51, "peer", false), Stmt::Sql("SELECT 'peer'".into()));
        assert_eq!(
            translate("SELECT N'中', 0x0102, 'N''0x1', a0x1", 51, "v", false),
            Stmt::Sql("SELECT '中', X'0102', 'N''0x1', a0x1".into())
        );
        assert_eq!(
            translate("WAITFOR DELAY '00:00:01.5'", 51, "v", false),
            Stmt::WaitFor(std::time::Duration::from_millis(1500))
        );
    }

    #[test]
    fn ddl() {
        let s = rewrite_ddl("CREATE TABLE t (id BIGINT IDENTITY(1,1) PRIMARY KEY, v DECIMAL(38,10), s VARCHAR(10))");
        assert!(s.contains("id INTEGER PRIMARY KEY AUTOINCREMENT"), "{s}");
        assert!(s.contains("v TEXT_DECIMAL(38,10) CONSTRAINT keel_dec_v"), "{s}");
        assert!(s.contains("keel_len_s CHECK (\"s\" IS NULL OR length(\"s\") <= 10)"), "{s}");
        assert!(rewrite_ddl("CREATE TABLE t (v NVARCHAR(MAX))").contains("v NVARCHAR_MAX"));
        let a = rewrite_ddl("ALTER TABLE t ADD b INT");
        assert!(a.contains("ADD  b INT CONSTRAINT keel_range_b"), "{a}");
    }
}
