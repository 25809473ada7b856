/**
 * The persistent catalog of the embedded engine: tables are Parquet directories under the
 * warehouse directory, described by one JSON file that is replaced atomically on every change,
 * so a new session on the same warehouse sees every committed table.
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { IllegalArgumentError } from "../../errors.js";

export interface CatalogEntry {
  readonly name: string;
  /** Directory, relative to the warehouse. */
  readonly location: string;
  readonly format: "parquet";
  /** Schema as a DDL string. */
  readonly schema: string;
  readonly partitionBy: readonly string[];
  readonly createdAt: string;
}
interface CatalogFile { readonly version: 1; readonly tables: Record<string, CatalogEntry> }

export const CATALOG_FILE = "_quarry_catalog.json";

/** Validates a table name (`name` or `default.name`) and returns the bare name. */
export function tableName(name: string): string {
  const bare = name.replace(/^(default|spark_catalog\.default)\./i, "");
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(bare)) {
    throw new IllegalArgumentError(`Invalid table name ${JSON.stringify(name)}: use letters, digits and underscores, starting with a letter or underscore.`, "INVALID_IDENTIFIER");
  }
  return bare;
}

export class WarehouseCatalog {
  constructor(readonly dir: string) {}

  private file(): string { return path.join(this.dir, CATALOG_FILE); }

  /** Reads the catalog file afresh (another session may have changed it). */
  load(): Record<string, CatalogEntry> {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file(), "utf8")) as CatalogFile;
      return parsed.tables ?? {};
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new IllegalArgumentError(`The catalog file ${this.file()} is unreadable (${(e as Error).message}). Restore it or point quarry.warehouse at another directory.`);
    }
  }
  get(name: string): CatalogEntry | undefined { return this.load()[name.toLowerCase()]; }
  list(): CatalogEntry[] { return Object.values(this.load()); }
  /** Absolute directory of a table's data. */
  location(e: CatalogEntry): string { return path.resolve(this.dir, e.location); }

  private save(tables: Record<string, CatalogEntry>): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.${CATALOG_FILE}.${randomUUID()}`);
    fs.writeFileSync(tmp, JSON.stringify({ version: 1, tables }, null, 2));
    fs.renameSync(tmp, this.file());
  }
  put(e: CatalogEntry): void { const t = this.load(); t[e.name.toLowerCase()] = e; this.save(t); }
  remove(name: string): void { const t = this.load(); delete t[name.toLowerCase()]; this.save(t); }
}
