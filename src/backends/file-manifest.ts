/**
 * The manifest log of a streaming file sink (`<out>/_spark_metadata/<batchId>`, Spark's layout):
 * each batch's committed files, one JSON object per line after a `v1` header. Every backend's
 * file reader honours it: a directory with a manifest is read as exactly the files listed.
 */
import fs from "node:fs";
import path from "node:path";

export const MANIFEST_DIR = "_spark_metadata";

/**
 * The data files a file sink's manifest lists under `dir` (absolute paths of files that exist),
 * or null when `dir` has no manifest directory.
 */
export function manifestFiles(dir: string): string[] | null {
  const m = path.join(dir, MANIFEST_DIR);
  let names: string[];
  try {
    if (!fs.statSync(m).isDirectory()) return null;
    names = fs.readdirSync(m).filter((n) => /^\d+(\.compact)?$/.test(n));
  } catch { return null; }
  const out: string[] = [];
  for (const n of names.sort((a, b) => parseInt(a) - parseInt(b))) {
    const lines = fs.readFileSync(path.join(m, n), "utf8").split("\n").slice(1).filter((l) => l.trim());
    for (const l of lines) {
      const p = String((JSON.parse(l) as { path: string }).path).replace(/^file:\/\//, "");
      out.push(path.isAbsolute(p) ? p : path.join(dir, ...p.split("/")));
    }
  }
  return out;
}
