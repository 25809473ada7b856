/**
 * Quarry's data types, named as Spark names them (`string`, `int`, `bigint`, `double`...),
 * and the DDL parser for schema strings like `"name STRING, age INT"`.
 */
import { ParseError } from "../errors.js";

/** A type without parameters, in Spark's simple-string spelling. */
export type PrimitiveTypeName =
  | "string" | "boolean" | "tinyint" | "smallint" | "int" | "bigint" | "float" | "double"
  | "date" | "timestamp" | "timestamp_ntz" | "binary" | "void" | "interval";

/** A Spark-style data type: a primitive name or a parameterised type. */
export type DataType =
  | PrimitiveTypeName
  | DecimalType
  | ArrayType
  | MapType
  | StructType;

export interface DecimalType { readonly type: "decimal"; readonly precision: number; readonly scale: number }
export interface ArrayType { readonly type: "array"; readonly elementType: DataType; readonly containsNull: boolean }
export interface MapType { readonly type: "map"; readonly keyType: DataType; readonly valueType: DataType; readonly valueContainsNull: boolean }
/** One field of a struct or schema. */
export interface StructField { readonly name: string; readonly type: DataType; readonly nullable: boolean }
/** A schema: an ordered list of named, typed fields. */
export interface StructType { readonly type: "struct"; readonly fields: readonly StructField[] }

/** Builds a frozen schema from fields. */
export function structType(fields: readonly StructField[]): StructType {
  return Object.freeze({ type: "struct", fields: Object.freeze(fields.map((f) => Object.freeze({ ...f }))) });
}

export function isNumericType(t: DataType): boolean {
  return t === "tinyint" || t === "smallint" || t === "int" || t === "bigint" || t === "float" || t === "double" ||
    (typeof t === "object" && t.type === "decimal");
}
export function isIntegralType(t: DataType): boolean {
  return t === "tinyint" || t === "smallint" || t === "int" || t === "bigint";
}

/** Spark's `simpleString` of a type: `int`, `array<string>`, `struct<a:int,b:string>`. */
export function typeToString(t: DataType): string {
  if (typeof t === "string") return t;
  switch (t.type) {
    case "decimal": return `decimal(${t.precision},${t.scale})`;
    case "array": return `array<${typeToString(t.elementType)}>`;
    case "map": return `map<${typeToString(t.keyType)},${typeToString(t.valueType)}>`;
    case "struct": return `struct<${t.fields.map((f) => `${f.name}:${typeToString(f.type)}`).join(",")}>`;
  }
}

/** Spark's DDL spelling of a type (upper case): `INT`, `ARRAY<STRING>`. */
export function typeToDDL(t: DataType): string {
  if (typeof t === "string") return t.toUpperCase();
  switch (t.type) {
    case "decimal": return `DECIMAL(${t.precision},${t.scale})`;
    case "array": return `ARRAY<${typeToDDL(t.elementType)}>`;
    case "map": return `MAP<${typeToDDL(t.keyType)}, ${typeToDDL(t.valueType)}>`;
    case "struct": return `STRUCT<${t.fields.map((f) => `${quoteDDLName(f.name)}: ${typeToDDL(f.type)}`).join(", ")}>`;
  }
}

function quoteDDLName(name: string, always = false): string {
  return !always && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : "`" + name.replace(/`/g, "``") + "`";
}

/**
 * The DDL string of a schema: `name STRING, age INT`.
 * @param quoteAll backtick every name, for a parser where plain words such as `user` are reserved (Spark's).
 */
export function schemaToDDL(s: StructType, quoteAll = false): string {
  return s.fields.map((f) => `${quoteDDLName(f.name, quoteAll)} ${typeToDDL(f.type)}${f.nullable ? "" : " NOT NULL"}`).join(", ");
}

/** Spark's `printSchema` tree. */
export function schemaTreeString(s: StructType): string {
  const lines = ["root"];
  const walk = (fields: readonly StructField[], depth: number) => {
    for (const f of fields) {
      const prefix = " |   ".repeat(depth) + " |-- ";
      const t = f.type;
      const shown = typeof t === "string" || t.type === "decimal" ? typeToString(t) : t.type;
      lines.push(`${prefix}${f.name}: ${shown} (nullable = ${f.nullable})`);
      if (typeof t === "object" && t.type === "struct") walk(t.fields, depth + 1);
      if (typeof t === "object" && t.type === "array") {
        const et = t.elementType;
        lines.push(" |   ".repeat(depth + 1) + ` |-- element: ${typeof et === "string" ? et : et.type === "decimal" ? typeToString(et) : et.type} (containsNull = ${t.containsNull})`);
        if (typeof et === "object" && et.type === "struct") walk(et.fields, depth + 2);
      }
    }
  };
  walk(s.fields, 0);
  return lines.join("\n");
}

const ALIASES: Record<string, PrimitiveTypeName> = {
  string: "string", varchar: "string", char: "string", text: "string",
  boolean: "boolean", bool: "boolean",
  tinyint: "tinyint", byte: "tinyint",
  smallint: "smallint", short: "smallint",
  int: "int", integer: "int",
  bigint: "bigint", long: "bigint",
  float: "float", real: "float",
  double: "double",
  date: "date",
  timestamp: "timestamp", timestamp_ltz: "timestamp", timestamp_ntz: "timestamp_ntz",
  binary: "binary",
  void: "void",
  interval: "interval",
};

/** Parses a type name such as `int`, `decimal(10,2)`, `array<string>`, `struct<a: int>`. */
export function parseDataType(text: string): DataType {
  const p = new DDLParser(text);
  const t = p.type();
  p.end();
  return t;
}

/**
 * Parses a DDL schema string (`"name STRING, age INT NOT NULL"`) into a StructType.
 * @throws ParseError naming the position and what was expected.
 */
export function parseSchemaDDL(text: string): StructType {
  const p = new DDLParser(text);
  const fields = p.fieldList(",", null);
  p.end();
  if (fields.length === 0) throw new ParseError(`Empty schema string ${JSON.stringify(text)}: give at least one "name TYPE" pair, e.g. "name STRING, age INT".`);
  return structType(fields);
}

class DDLParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  private fail(expected: string): never {
    const near = this.text.slice(this.pos, this.pos + 20);
    throw new ParseError(
      `Cannot parse schema ${JSON.stringify(this.text)} at position ${this.pos}` +
      `${near ? ` (near ${JSON.stringify(near)})` : " (end of text)"}: expected ${expected}. ` +
      `Write fields as "name TYPE" separated by commas, e.g. "name STRING, age INT, tags ARRAY<STRING>".`,
    );
  }
  private ws() { while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++; }
  private peek(ch: string): boolean { this.ws(); return this.text[this.pos] === ch; }
  private eat(ch: string): boolean { if (this.peek(ch)) { this.pos++; return true; } return false; }
  private expect(ch: string) { if (!this.eat(ch)) this.fail(JSON.stringify(ch)); }
  end() { this.ws(); if (this.pos < this.text.length) this.fail("end of schema"); }

  ident(): string {
    this.ws();
    if (this.text[this.pos] === "`") {
      let out = "";
      this.pos++;
      while (this.pos < this.text.length) {
        const c = this.text[this.pos++];
        if (c === "`") {
          if (this.text[this.pos] === "`") { out += "`"; this.pos++; continue; }
          return out;
        }
        out += c;
      }
      this.fail("closing backtick");
    }
    const m = /^[\p{L}\p{N}_$]+/u.exec(this.text.slice(this.pos));
    if (!m) this.fail("a field name");
    this.pos += m[0].length;
    return m[0];
  }

  fieldList(sep: string, close: string | null): StructField[] {
    const fields: StructField[] = [];
    this.ws();
    if (close !== null && this.peek(close)) return fields;
    if (this.pos >= this.text.length) return fields;
    for (;;) {
      const name = this.ident();
      this.eat(":");
      const type = this.type();
      let nullable = true;
      this.ws();
      const rest = this.text.slice(this.pos);
      const nn = /^not\s+null\b/i.exec(rest);
      if (nn) { nullable = false; this.pos += nn[0].length; }
      this.ws();
      const cm = /^comment\s+'(?:[^'\\]|\\.)*'/i.exec(this.text.slice(this.pos));
      if (cm) this.pos += cm[0].length;
      fields.push({ name, type, nullable });
      if (!this.eat(sep)) break;
    }
    return fields;
  }

  type(): DataType {
    this.ws();
    const m = /^[A-Za-z_]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail("a type name such as STRING, INT, DOUBLE, DATE, TIMESTAMP, ARRAY<...>");
    const word = m[0].toLowerCase();
    this.pos += m[0].length;
    if (word === "decimal" || word === "numeric" || word === "dec") {
      let precision = 10, scale = 0;
      if (this.eat("(")) {
        precision = this.int();
        if (this.eat(",")) scale = this.int();
        this.expect(")");
      }
      return { type: "decimal", precision, scale };
    }
    if (word === "array") {
      this.expect("<");
      const elementType = this.type();
      this.expect(">");
      return { type: "array", elementType, containsNull: true };
    }
    if (word === "map") {
      this.expect("<");
      const keyType = this.type();
      this.expect(",");
      const valueType = this.type();
      this.expect(">");
      return { type: "map", keyType, valueType, valueContainsNull: true };
    }
    if (word === "struct") {
      this.expect("<");
      const fields = this.fieldList(",", ">");
      this.expect(">");
      return structType(fields);
    }
    if ((word === "varchar" || word === "char") && this.eat("(")) { this.int(); this.expect(")"); }
    const t = ALIASES[word];
    if (!t) {
      throw new ParseError(
        `Unknown data type ${JSON.stringify(m[0])} in schema ${JSON.stringify(this.text)}. ` +
        `Use one of STRING, BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP, BINARY, ARRAY<T>, MAP<K,V>, STRUCT<...>.`,
      );
    }
    return t;
  }

  private int(): number {
    this.ws();
    const m = /^\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail("a number");
    this.pos += m[0].length;
    return Number(m[0]);
  }
}
