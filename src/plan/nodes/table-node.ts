
/** A temp view or catalog table by name. */
export interface TableNode {
  readonly kind: "TableNode";
  readonly name: string;
}

export const TableNode = {
  create(name: string): TableNode {
    return Object.freeze({ kind: "TableNode", name });
  },
};
