import type { WasmModule } from "./wasm-api.js";

/** Messages between the kernel pool (main thread) and its workers. */

/** Hands a compiled kernel module to a worker, which instantiates it over the shared memory. */
export interface ModuleMessage {
  readonly type: "module";
  readonly key: string;
  readonly module: WasmModule;
}

/** One pass: run `fn` over rows [0, rows) in blocks of `blockRows`, chunk calls of `chunkRows`. */
export interface RunMessage {
  readonly type: "run";
  readonly id: number;
  readonly module: string;
  readonly fn: string;
  readonly data: number;
  readonly stride: number;
  readonly d: number;
  readonly w: number;
  readonly y: number;
  readonly params: number;
  readonly k: number;
  /** Scratch of worker i starts at scratch + i * scratchBytes. */
  readonly scratch: number;
  readonly scratchBytes: number;
  /** Output slot of block b starts at out + b * outLen * 8. */
  readonly out: number;
  readonly outLen: number;
  readonly rows: number;
  readonly blocks: number;
  readonly blockRows: number;
  readonly chunkRows: number;
  /** Byte address of the Int32 block counter. */
  readonly counter: number;
  /** The shared memory's size in bytes as the main thread sees it (the worker checks its own view). */
  readonly bytes: number;
}

export type ToWorker = ModuleMessage | RunMessage;

export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly id: number }
  | { readonly type: "error"; readonly id: number; readonly message: string };
