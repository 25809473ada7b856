/** Spark's datetime patterns (`yyyy-MM-dd HH:mm:ss`) in DuckDB's strftime/strptime spelling. */
import { IllegalArgumentError } from "../../errors.js";

const TOKENS: [string, string][] = [
  ["yyyy", "%Y"], ["uuuu", "%Y"], ["yy", "%y"], ["MMMM", "%B"], ["MMM", "%b"], ["MM", "%m"], ["M", "%-m"],
  ["dd", "%d"], ["d", "%-d"], ["HH", "%H"], ["H", "%-H"], ["hh", "%I"], ["h", "%-I"], ["mm", "%M"], ["m", "%-M"],
  ["ss", "%S"], ["s", "%-S"], ["SSSSSS", "%f"], ["SSS", "%g"], ["a", "%p"], ["EEEE", "%A"], ["EEE", "%a"], ["E", "%a"],
  ["XXX", "%z"], ["XX", "%z"], ["X", "%z"], ["Z", "%z"], ["zzz", "%Z"], ["z", "%Z"], ["D", "%j"],
];

/** Converts a Spark datetime pattern; quoted text ('T') is kept literally. */
export function sparkToStrftime(pattern: string): string {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new IllegalArgumentError(`Unterminated quote in datetime pattern ${JSON.stringify(pattern)}.`);
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end).replace(/%/g, "%%");
      i = end + 1;
      continue;
    }
    const tok = TOKENS.find(([t]) => pattern.startsWith(t, i));
    if (tok) { out += tok[1]; i += tok[0].length; continue; }
    if (/[A-Za-z]/.test(c)) throw new IllegalArgumentError(`Datetime pattern ${JSON.stringify(pattern)}: letter ${JSON.stringify(c)} is not supported. Use y, M, d, H, h, m, s, S, a, E, X/Z, or quote literal text like 'T'.`);
    out += c === "%" ? "%%" : c;
    i++;
  }
  return out;
}
