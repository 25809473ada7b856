/** `*` or `alias.*`: every column of the input (or of one aliased side of a join). */
export interface StarExpr { readonly kind: "StarExpr"; readonly qualifier: string | null }
export const StarExpr = {
  create(qualifier: string | null = null): StarExpr { return Object.freeze({ kind: "StarExpr", qualifier }); },
};
