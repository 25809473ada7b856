
/** A query written in the backend's SQL (`spark.sql`), over the session's views and tables. */
export interface SqlNode {
  readonly kind: "SqlNode";
  readonly query: string;
}

export const SqlNode = {
  create(query: string): SqlNode {
    return Object.freeze({ kind: "SqlNode", query });
  },
};
