/**
 * Spark SQL habits in user SQL text that DuckDB spells differently. Spark quotes identifiers
 * with backticks (`` `first name` ``, doubled to escape); DuckDB uses double quotes.
 */

/**
 * Walks `sql`, copying quoted runs (`'...'`, `"..."`) verbatim; at every other position `at(i)`
 * may replace text by returning `[replacement, index after it]`, or return null to copy one character.
 */
function rewriteOutsideQuotes(sql: string, at: (i: number) => readonly [string, number] | null): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = closing(sql, i, c);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    const r = at(i);
    if (r) { out += r[0]; i = r[1]; continue; }
    out += c;
    i++;
  }
  return out;
}

/** Rewrites backtick-quoted identifiers as double-quoted ones, leaving string literals alone. */
export function backticksToDoubleQuotes(sql: string): string {
  if (!sql.includes("`")) return sql;
  return rewriteOutsideQuotes(sql, (i) => {
    if (sql[i] !== "`") return null;
    let name = "";
    let j = i + 1;
    for (; j < sql.length; j++) {
      if (sql[j] === "`") {
        if (sql[j + 1] === "`") { name += "`"; j++; continue; }
        break;
      }
      name += sql[j];
    }
    return ['"' + name.replace(/"/g, '""') + '"', j + 1];
  });
}

/** Index just past the quoted run starting at `start` (quote doubled to escape). */
function closing(sql: string, start: number, quote: string): number {
  let j = start + 1;
  while (j < sql.length) {
    if (sql[j] === quote) {
      if (sql[j + 1] === quote) { j += 2; continue; }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/**
 * Rewrites `CAST(x AS STRING)` (also VARCHAR, TEXT, and TRY_CAST) as `quarry_cast_string(x)`: a
 * binary `x` then decodes as UTF-8, as Spark's cast does, where DuckDB's CAST escapes the bytes
 * (`\x22`). Other types cast as before (the macro is in duckdb-functions.ts).
 */
export function rewriteStringCasts(sql: string): string {
  if (!/cast\s*\(/i.test(sql)) return sql;
  return rewriteOutsideQuotes(sql, (i) => {
    const m = /^(?:try_)?cast\s*\(/i.exec(sql.slice(i, i + 12));
    if (!m || (i > 0 && /[\w$]/.test(sql[i - 1]))) return null;
    const open = i + m[0].length - 1;
    const close = matchingParen(sql, open);
    if (close < 0) return null;
    const inner = sql.slice(open + 1, close);
    const as = lastTopLevelAs(inner);
    if (as < 0 || !/^\s*(string|varchar|text)\s*$/i.test(inner.slice(as + 4))) return null;
    return [`quarry_cast_string(${rewriteStringCasts(inner.slice(0, as))})`, close + 1];
  });
}

/** The index of the `)` closing the `(` at `open`, skipping quoted runs; -1 if none. */
function matchingParen(sql: string, open: number): number {
  let depth = 0;
  for (let j = open; j < sql.length; j++) {
    const c = sql[j];
    if (c === "'" || c === '"') { j = closing(sql, j, c) - 1; continue; }
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return j;
  }
  return -1;
}

/** The index of the last ` AS ` outside parentheses and quotes, or -1. */
function lastTopLevelAs(s: string): number {
  let depth = 0;
  let found = -1;
  for (let j = 0; j < s.length; j++) {
    const c = s[j];
    if (c === "'" || c === '"') { j = closing(s, j, c) - 1; continue; }
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && /\s/.test(c) && /^\sas\s/i.test(s.slice(j, j + 4))) found = j;
  }
  return found;
}
