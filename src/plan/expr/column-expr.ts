/** A reference to a column by name; `nameParts` holds the dot-separated parts (`t.a` -> ["t", "a"]). */
export interface ColumnExpr { readonly kind: "ColumnExpr"; readonly nameParts: readonly string[]; readonly text: string }

/** Splits `a.b` into parts, honouring backticks (`` `a.b` `` is one part). */
export function splitName(text: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let inTick = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "`") {
      if (inTick && text[i + 1] === "`") { cur += "`"; i++; continue; }
      inTick = !inTick;
      continue;
    }
    if (c === "." && !inTick) { parts.push(cur); cur = ""; continue; }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

export const ColumnExpr = {
  create(text: string): ColumnExpr {
    return Object.freeze({ kind: "ColumnExpr", nameParts: Object.freeze(splitName(text)), text });
  },
};
