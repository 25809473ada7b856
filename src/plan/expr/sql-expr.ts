/** An expression written as SQL text by the user (`F.expr`, `selectExpr`, `filter("...")`). */
export interface SqlExpr { readonly kind: "SqlExpr"; readonly text: string }
export const SqlExpr = {
  create(text: string): SqlExpr { return Object.freeze({ kind: "SqlExpr", text }); },
};
