import type { StructType } from "../types.js";

/** Rows given by the program (`createDataFrame`), with their schema. */
export interface LocalRelationNode {
  readonly kind: "LocalRelationNode";
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  readonly schema: StructType;
}

export const LocalRelationNode = {
  create(rows: readonly Readonly<Record<string, unknown>>[], schema: StructType): LocalRelationNode {
    return Object.freeze({ kind: "LocalRelationNode", rows, schema });
  },
};
