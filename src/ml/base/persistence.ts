/**
 * Saving and loading fitted stages. A saved stage is a directory holding `metadata.json`
 * (`{ class, uid, quarryVersion, timestamp, params }`) and `data.json` (the learned values);
 * a PipelineModel adds `stages/<index>_<uid>/`, one such directory per stage.
 *
 * Writes are atomic: everything goes into a hidden sibling directory first, which is renamed
 * into place at the end, so a failed save leaves the previous model intact. Numbers that JSON
 * cannot hold (NaN, ±Infinity) are stored as `{ "$float": "NaN" }` and restored on load.
 */
import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { AnalysisError } from "../../errors.js";
import type { Transformer } from "./estimator.js";

/** What `saveModelDir` writes and `loadModelDir` reads back. */
export interface ModelDirContents {
  /** The class that saved it, e.g. `"StandardScalerModel"`; `load` checks it. */
  readonly className: string;
  readonly uid: string;
  /** Param values (JSON-able; functions are dropped by `Params.toJSON`). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The learned values, any JSON-able shape. */
  readonly data: unknown;
}

/** The parsed `metadata.json` of a saved stage. */
export interface ModelMetadata {
  readonly class: string;
  readonly uid: string;
  readonly quarryVersion: string;
  /** Milliseconds since the epoch, when it was saved. */
  readonly timestamp: number;
  readonly params: Record<string, unknown>;
}

/** Options of every `save`. */
export interface SaveOptions {
  /** Replace whatever is at the path (default false: an existing path is an error). */
  readonly overwrite?: boolean;
}

/** Loads a saved stage directory into its class. */
export type ModelLoader = (path: string) => Promise<Transformer>;

let cachedVersion: string | null = null;
/** Quarry's version from its package.json, or "unknown" when it cannot be read. */
export function quarryVersion(): string {
  if (cachedVersion === null) {
    try {
      // Compiled to dist/ml/base/, three levels below the package root.
      const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { name?: string; version?: string };
      cachedVersion = pkg.name === "quarry" && typeof pkg.version === "string" ? pkg.version : "unknown";
    } catch {
      cachedVersion = "unknown";
    }
  }
  return cachedVersion;
}

const FLOAT_TAG = "$float";

/** JSON text with NaN and infinities kept as tagged objects. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? { [FLOAT_TAG]: String(v) } : v), 2) + "\n";
}

/** Parses JSON written by `toJsonText`, restoring NaN and infinities. */
export function fromJsonText(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === FLOAT_TAG) {
        const s = (v as Record<string, unknown>)[FLOAT_TAG];
        if (s === "NaN") return NaN;
        if (s === "Infinity") return Infinity;
        if (s === "-Infinity") return -Infinity;
      }
    }
    return v;
  });
}

async function exists(p: string): Promise<boolean> {
  try { await fs.lstat(p); return true; } catch { return false; }
}

/**
 * Writes a directory atomically: `fill(tmp)` writes into a fresh hidden sibling, which then
 * replaces `target` (only when `overwrite`; otherwise an existing `target` is an error).
 * @param target the directory to create
 * @param what the class being saved, for error messages
 * @param overwrite replace an existing `target`
 * @param fill writes the contents into the directory it is given
 * @throws AnalysisError `PATH_ALREADY_EXISTS` when `target` exists and `overwrite` is false
 */
export async function writeDirAtomically(target: string, what: string, overwrite: boolean, fill: (dir: string) => Promise<void>): Promise<void> {
  const abs = path.resolve(target);
  if (!overwrite && (await exists(abs))) {
    throw new AnalysisError(`Cannot save ${what} to ${target}: the path already exists. Pass { overwrite: true } to save() to replace it.`, "PATH_ALREADY_EXISTS");
  }
  const parent = path.dirname(abs);
  try {
    await fs.mkdir(parent, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EEXIST" || code === "ENOTDIR" ? "a part of the path is a file, not a directory" : code === "EACCES" || code === "EPERM" ? "permission denied" : String((e as Error).message);
    throw new AnalysisError(`Cannot save ${what} to ${target}: cannot create the directory ${parent} (${why}).`, "PATH_NOT_WRITABLE", { cause: e });
  }
  const tag = `${process.pid}-${randomBytes(6).toString("hex")}`;
  const tmp = path.join(parent, `.${path.basename(abs)}.tmp-${tag}`);
  await fs.mkdir(tmp);
  try {
    await fill(tmp);
    if (await exists(abs)) {
      if (!overwrite) throw new AnalysisError(`Cannot save ${what} to ${target}: the path appeared while saving. Pass { overwrite: true } to replace it.`, "PATH_ALREADY_EXISTS");
      const old = path.join(parent, `.${path.basename(abs)}.old-${tag}`);
      await fs.rename(abs, old);
      try {
        await fs.rename(tmp, abs);
      } catch (e) {
        await fs.rename(old, abs).catch(() => undefined);
        throw e;
      }
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, abs);
    }
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

/**
 * Saves a model as a directory with `metadata.json` and `data.json`, atomically.
 * @param dir the directory to create
 * @param contents the class name, uid, params and data to store
 * @param overwrite replace an existing directory (default false)
 * @param extra writes more files into the (temporary) directory before it is moved into place,
 *   e.g. a PipelineModel's `stages/`
 * @throws AnalysisError `PATH_ALREADY_EXISTS` when `dir` exists and `overwrite` is false
 * @example
 * await saveModelDir("models/scaler", { className: "StandardScalerModel", uid: m.uid,
 *   params: m.params.toJSON(), data: { mean: m.mean, std: m.std } }, false);
 */
export async function saveModelDir(dir: string, contents: ModelDirContents, overwrite = false, extra?: (tmpDir: string) => Promise<void>): Promise<void> {
  const metadata: ModelMetadata = {
    class: contents.className,
    uid: contents.uid,
    quarryVersion: quarryVersion(),
    timestamp: Date.now(),
    params: { ...contents.params },
  };
  await writeDirAtomically(dir, contents.className, overwrite, async (tmp) => {
    await fs.writeFile(path.join(tmp, "metadata.json"), toJsonText(metadata));
    await fs.writeFile(path.join(tmp, "data.json"), toJsonText(contents.data ?? null));
    if (extra) await extra(tmp);
  });
}

async function readJson(file: string, dir: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AnalysisError(`Cannot load ${what} from ${dir}: ${path.basename(file)} is missing or unreadable (${code ?? String(e)}); the directory is not a saved Quarry model or is incomplete.`, "CORRUPT_MODEL", { cause: e });
  }
  try {
    return fromJsonText(text);
  } catch (e) {
    throw new AnalysisError(`Cannot load ${what} from ${dir}: ${path.basename(file)} is not valid JSON (${(e as Error).message}).`, "CORRUPT_MODEL", { cause: e });
  }
}

/**
 * Reads and checks the `metadata.json` of a saved stage.
 * @param dir the saved directory
 * @param what what the caller is loading, for error messages (a class name, or "a model")
 * @throws AnalysisError `PATH_NOT_FOUND` or `CORRUPT_MODEL`
 */
export async function readModelMetadata(dir: string, what = "a model"): Promise<ModelMetadata> {
  let st;
  try {
    st = await fs.stat(dir);
  } catch {
    throw new AnalysisError(`Cannot load ${what} from ${dir}: the path does not exist.`, "PATH_NOT_FOUND");
  }
  if (!st.isDirectory()) throw new AnalysisError(`Cannot load ${what} from ${dir}: it is a file, not a directory written by save().`, "CORRUPT_MODEL");
  const m = await readJson(path.join(dir, "metadata.json"), dir, what);
  const bad = (field: string) => new AnalysisError(`Cannot load ${what} from ${dir}: metadata.json has no valid ${JSON.stringify(field)} field; the file is corrupt or was not written by Quarry.`, "CORRUPT_MODEL");
  if (m === null || typeof m !== "object" || Array.isArray(m)) throw bad("class");
  const o = m as Record<string, unknown>;
  if (typeof o.class !== "string" || o.class === "") throw bad("class");
  if (typeof o.uid !== "string") throw bad("uid");
  if (o.params === null || typeof o.params !== "object" || Array.isArray(o.params)) throw bad("params");
  return {
    class: o.class,
    uid: o.uid,
    quarryVersion: typeof o.quarryVersion === "string" ? o.quarryVersion : "unknown",
    timestamp: typeof o.timestamp === "number" ? o.timestamp : 0,
    params: o.params as Record<string, unknown>,
  };
}

/**
 * Loads a directory written by `saveModelDir`, checking that `expectedClass` saved it.
 * @param dir the saved directory
 * @param expectedClass the class name the caller can rebuild
 * @returns the uid, params and data that were saved
 * @throws AnalysisError `PATH_NOT_FOUND`, `CORRUPT_MODEL`, or `MODEL_CLASS_MISMATCH` (naming both classes)
 * @example
 * const { uid, params, data } = await loadModelDir("models/scaler", "StandardScalerModel");
 */
export async function loadModelDir(dir: string, expectedClass: string): Promise<{ uid: string; params: Record<string, unknown>; data: unknown; metadata: ModelMetadata }> {
  const metadata = await readModelMetadata(dir, `a ${expectedClass}`);
  if (metadata.class !== expectedClass) {
    const hint = registry.has(metadata.class) ? ` Load it with ${metadata.class}.load(path), or loadModel(path) for any class.` : "";
    throw new AnalysisError(`Cannot load a ${expectedClass} from ${dir}: it holds a ${metadata.class} (saved by Quarry ${metadata.quarryVersion}).${hint}`, "MODEL_CLASS_MISMATCH");
  }
  const data = await readJson(path.join(dir, "data.json"), dir, `a ${expectedClass}`);
  return { uid: metadata.uid, params: metadata.params, data, metadata };
}

/**
 * A corrupt-model error for a data field of the wrong shape, used by loaders that check data.
 * @param dir the saved directory
 * @param className the class being loaded
 * @param field the bad field and what it should be
 */
export function corruptModelError(dir: string, className: string, field: string): AnalysisError {
  return new AnalysisError(`Cannot load a ${className} from ${dir}: data.json has ${field}; the file is corrupt or was written by an incompatible version.`, "CORRUPT_MODEL");
}

/** Reads a number array field of saved data, or throws a corrupt-model error naming it. */
export function dataNumbers(data: unknown, field: string, dir: string, className: string): number[] {
  const v = data !== null && typeof data === "object" ? (data as Record<string, unknown>)[field] : undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number")) throw corruptModelError(dir, className, `no number array ${JSON.stringify(field)}`);
  return v as number[];
}

/** Reads a string array field of saved data, or throws a corrupt-model error naming it. */
export function dataStrings(data: unknown, field: string, dir: string, className: string): string[] {
  const v = data !== null && typeof data === "object" ? (data as Record<string, unknown>)[field] : undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw corruptModelError(dir, className, `no string array ${JSON.stringify(field)}`);
  return v as string[];
}

const registry = new Map<string, ModelLoader>();

/**
 * Registers how to load a saved class, so `loadModel` and `PipelineModel.load` can rebuild any
 * stage from its directory. Each model module calls it once at load time.
 * @param className the `className` its `save` writes
 * @param loader loads a directory of that class
 * @example
 * registerModel("KMeansModel", (path) => KMeansModel.load(path));
 */
export function registerModel(className: string, loader: ModelLoader): void {
  registry.set(className, loader);
}

/** The class names `loadModel` can load. */
export function registeredModels(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Loads any saved stage (model, PipelineModel or saveable transformer) by the class named in its
 * metadata.
 * @param dir the saved directory
 * @returns the rebuilt stage
 * @throws AnalysisError `PATH_NOT_FOUND`, `CORRUPT_MODEL`, or `UNKNOWN_MODEL_CLASS` when no loader is registered
 * @example
 * const stage = await loadModel("models/scaler"); // a StandardScalerModel
 */
export async function loadModel(dir: string): Promise<Transformer> {
  const metadata = await readModelMetadata(dir);
  const loader = registry.get(metadata.class);
  if (!loader) {
    throw new AnalysisError(`Cannot load ${dir}: it holds a ${metadata.class}, and no loader is registered for that class. Import the module that defines it (e.g. "quarry/ml") first. Known classes: ${registeredModels().join(", ") || "(none)"}.`, "UNKNOWN_MODEL_CLASS");
  }
  return loader(dir);
}
