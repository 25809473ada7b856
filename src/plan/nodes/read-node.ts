import type { StructType } from "../types.js";

/** Reads files of one format (csv, json, parquet...) from paths, with options and an optional schema. */
export interface ReadNode {
  readonly kind: "ReadNode";
  readonly format: string;
  readonly paths: readonly string[];
  readonly options: Readonly<Record<string, string>>;
  readonly schema: StructType | null;
}

export const ReadNode = {
  create(format: string, paths: readonly string[], options: Readonly<Record<string, string>>, schema: StructType | null): ReadNode {
    return Object.freeze({ kind: "ReadNode", format, paths, options, schema });
  },
};
