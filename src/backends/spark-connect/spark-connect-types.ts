/**
 * Data types between Quarry and Spark Connect: the protocol's DataType messages (schemas from
 * AnalyzePlan, cast targets, typed nulls) and Quarry's Spark-named types. Quarry's names are
 * Spark's, so the mapping is one to one, except that CHAR/VARCHAR read as string and the three
 * interval kinds as `interval`.
 */
import { create } from "@bufbuild/protobuf";
import { DataTypeSchema, type DataType as ProtoDataType } from "./gen/spark/connect/types_pb.js";
import { parseDataType, structType, type DataType, type StructType } from "../../plan/types.js";
import { UnsupportedOperationError } from "../../errors.js";

/** Quarry's type for a Spark DataType message. */
export function fromProtoType(t: ProtoDataType | undefined): DataType {
  const k = t?.kind;
  switch (k?.case) {
    case "null": return "void";
    case "binary": return "binary";
    case "boolean": return "boolean";
    case "byte": return "tinyint";
    case "short": return "smallint";
    case "integer": return "int";
    case "long": return "bigint";
    case "float": return "float";
    case "double": return "double";
    case "decimal": return { type: "decimal", precision: k.value.precision ?? 10, scale: k.value.scale ?? 0 };
    case "string": case "char": case "varChar": return "string";
    case "date": return "date";
    case "timestamp": return "timestamp";
    case "timestampNtz": return "timestamp_ntz";
    case "calendarInterval": case "yearMonthInterval": case "dayTimeInterval": return "interval";
    case "array": return { type: "array", elementType: fromProtoType(k.value.elementType), containsNull: k.value.containsNull };
    case "map": return { type: "map", keyType: fromProtoType(k.value.keyType), valueType: fromProtoType(k.value.valueType), valueContainsNull: k.value.valueContainsNull };
    case "struct": return fromProtoStruct(t);
    case "udt": return k.value.sqlType ? fromProtoType(k.value.sqlType) : "binary";
    case "unparsed": return parseDataType(k.value.dataTypeString);
    case "variant": return "binary";
    default: return "binary";
  }
}

/** Quarry's schema for a Spark struct DataType (a result schema). */
export function fromProtoStruct(t: ProtoDataType | undefined): StructType {
  if (t?.kind.case !== "struct") return structType([]);
  return structType(t.kind.value.fields.map((f) => ({ name: f.name, type: fromProtoType(f.dataType), nullable: f.nullable })));
}

/** The DataType message for a Quarry type (cast targets, typed null literals). */
export function toProtoType(t: DataType): ProtoDataType {
  const simple = (kind: ProtoDataType["kind"]["case"]) => create(DataTypeSchema, { kind: { case: kind, value: {} } } as never);
  if (typeof t === "string") {
    switch (t) {
      case "void": return simple("null");
      case "binary": return simple("binary");
      case "boolean": return simple("boolean");
      case "tinyint": return simple("byte");
      case "smallint": return simple("short");
      case "int": return simple("integer");
      case "bigint": return simple("long");
      case "float": return simple("float");
      case "double": return simple("double");
      case "string": return simple("string");
      case "date": return simple("date");
      case "timestamp": return simple("timestamp");
      case "timestamp_ntz": return simple("timestampNtz");
      case "interval": return simple("calendarInterval");
    }
    throw new UnsupportedOperationError(`The type ${t} has no Spark Connect equivalent.`, "UNSUPPORTED_DATATYPE");
  }
  switch (t.type) {
    case "decimal": return create(DataTypeSchema, { kind: { case: "decimal", value: { precision: t.precision, scale: t.scale } } });
    case "array": return create(DataTypeSchema, { kind: { case: "array", value: { elementType: toProtoType(t.elementType), containsNull: t.containsNull } } });
    case "map": return create(DataTypeSchema, { kind: { case: "map", value: { keyType: toProtoType(t.keyType), valueType: toProtoType(t.valueType), valueContainsNull: t.valueContainsNull } } });
    case "struct": return create(DataTypeSchema, { kind: { case: "struct", value: { fields: t.fields.map((f) => ({ name: f.name, dataType: toProtoType(f.type), nullable: f.nullable })) } } });
  }
}
