/**
 * Quarry: big-data processing for TypeScript with a Spark-shaped API.
 * @example
 * import { Session, F, Window } from "quarry";
 * const spark = await Session.builder().appName("demo").getOrCreate();
 * await spark.range(5).select(F.col("id").multiply(2).alias("twice")).show();
 */
export { Session, SessionBuilder, RuntimeConfig, Catalog } from "./session/session.js";
export { DataFrame } from "./api/dataframe.js";
export { GroupedData } from "./api/grouped-data.js";
export { DataFrameNaFunctions } from "./api/na-functions.js";
export { DataFrameReader, type CsvOptions, type ReadOptions } from "./api/reader.js";
export { DataFrameWriter } from "./api/writer.js";
export { DataStreamReader } from "./api/data-stream-reader.js";
export { DataStreamWriter, type Trigger, type ForeachBatchFunction } from "./api/data-stream-writer.js";
export {
  StreamingQueryManager, type StreamingQuery, type StreamingQueryProgress, type StreamingQueryStatus, type StreamingQueryListener,
  type StateOperatorProgress, type SourceProgress, type StreamingDurations,
} from "./api/streaming-query.js";
export { MemoryStream } from "./streaming/sources/memory-source.js";
export { registerSource, registerSink, type SourceFactory, type SinkFactory, type SinkContext } from "./streaming/formats.js";
export type { StreamSource, StreamSink, SourceContext, SinkBatchContext, ReadLimitContext, JsonValue } from "./streaming/contracts.js";
export { Column, type ColumnOrValue } from "./api/column.js";
export { F, col } from "./api/functions.js";
export { Window, WindowSpec } from "./api/window.js";
export {
  QuarryError, AnalysisError, ParseError, UnsupportedOperationError, ExecutionError, IllegalArgumentError, StreamingQueryException,
} from "./errors.js";
export {
  parseSchemaDDL, parseDataType, schemaToDDL, typeToString, structType,
  type DataType, type StructType, type StructField, type ArrayType, type MapType, type DecimalType, type PrimitiveTypeName,
} from "./plan/types.js";
export type { Row, TableInfo, Capabilities } from "./backends/backend.js";
