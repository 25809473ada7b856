/**
 * The manifest log of a streaming file sink (`<out>/_spark_metadata/<batchId>`, Spark's layout):
 * each batch's committed files, one JSON object per line after a `v1` header. Every tenth batch
 * the sink folds the log into `<batchId>.compact` and removes the entries it folded, so the log
 * stays a few files long. Every backend's file reader honours it: a directory with a manifest is
 * read as exactly the files listed.
 */
import fs from "node:fs";
import path from "node:path";

export const MANIFEST_DIR = "_spark_metadata";
/** A compact file folds the entries of this many batches. */
export const COMPACT_INTERVAL = 10;

/** One committed file, as a manifest line holds it. */
export interface ManifestEntry { readonly path: string; readonly size: number; readonly batchId: number }

/** The batch ids of the plain entries and the latest compact file in a manifest directory. */
export function manifestIds(dir: string): { plain: number[]; compact: number } {
  let names: string[] = [];
  try { names = fs.readdirSync(dir); } catch { /* no manifest yet */ }
  const plain = names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  const compacts = names.filter((n) => /^\d+\.compact$/.test(n)).map((n) => parseInt(n, 10));
  return { plain, compact: compacts.length ? Math.max(...compacts) : -1 };
}

/** The entries of one manifest file. */
export function readManifest(file: string): ManifestEntry[] {
  return fs.readFileSync(file, "utf8").split("\n").slice(1).filter((l) => l.trim()).map((l) => JSON.parse(l) as ManifestEntry);
}

/** Every committed entry: the latest compact file plus the plain entries after it. */
export function manifestEntries(manifestDir: string): ManifestEntry[] {
  const { plain, compact } = manifestIds(manifestDir);
  const out = compact >= 0 ? readManifest(path.join(manifestDir, `${compact}.compact`)) : [];
  for (const id of plain) if (id > compact) out.push(...readManifest(path.join(manifestDir, String(id))));
  return out;
}

/**
 * The data files a file sink's manifest lists under `dir` (absolute paths), or null when `dir`
 * has no manifest directory.
 */
export function manifestFiles(dir: string): string[] | null {
  const m = path.join(dir, MANIFEST_DIR);
  try { if (!fs.statSync(m).isDirectory()) return null; } catch { return null; }
  return manifestEntries(m).map((e) => {
    const p = String(e.path).replace(/^file:\/\//, "");
    return path.isAbsolute(p) ? p : path.join(dir, ...p.split("/"));
  });
}
