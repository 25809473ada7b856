/**
 * Spark SQL habits in user SQL text that DuckDB spells differently. Spark quotes identifiers
 * with backticks (`` `first name` ``, doubled to escape); DuckDB uses double quotes.
 */

/** Rewrites backtick-quoted identifiers as double-quoted ones, leaving string literals alone. */
export function backticksToDoubleQuotes(sql: string): string {
  if (!sql.includes("`")) return sql;
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
    if (c === "`") {
      let name = "";
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === "`") {
          if (sql[j + 1] === "`") { name += "`"; j++; continue; }
          break;
        }
        name += sql[j];
      }
      out += '"' + name.replace(/"/g, '""') + '"';
      i = j + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
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
