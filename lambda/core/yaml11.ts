/**
 * YAML as aws-iam-authenticator reads it.
 *
 * The authenticator converts `mapRoles`/`mapUsers` with `sigs.k8s.io/yaml` (`YAMLToJSON`), which
 * decodes with go-yaml v2 and its YAML 1.1 resolution rules, into an untyped tree that is then
 * `json.Unmarshal`led into Go structs. What matters for the guardian is *which plain scalars stop
 * being strings*: `yes`/`no`/`on`/`off`/`y`/`n` become booleans, `012345678901` becomes a number,
 * `~` becomes null. A non-string in a string field is a type error in Go, so the field stays empty.
 * `mapAccounts` is decoded by go-yaml v2 straight into `[]string` (see `decodeGoStringList`).
 *
 * js-yaml (the project's YAML library) speaks YAML 1.2 by default; this module builds a schema on
 * its failsafe schema with go-yaml v2's implicit resolvers (go-yaml v2 `resolve.go`). Where js-yaml
 * builds a different tree than go-yaml v2 + `YAMLToJSON`, parseGoYaml corrects it. To do so it
 * boxes every scalar while js-yaml loads (through js-yaml's `listener` hook), so that each mapping
 * key stays distinct and in document order, and then rebuilds the tree itself:
 *
 * - a mapping or a sequence used as a key is an error (go-yaml v2 `decode.go` mapping: "invalid map
 *   key"); js-yaml stringifies it. `username: {{SessionName}}` is such a flow mapping.
 * - a null key (`~: x`, `null: x`, an empty `? `) is an error (sigs.k8s.io/yaml `yaml.go`
 *   convertToJSONableObject: "unsupported map key of type"); js-yaml makes it the string "null".
 * - duplicate keys: the last one in document order wins (go-yaml v2 non-strict decoding).
 * - `<<` merge keys are applied where they stand, overwriting keys written before them and being
 *   overwritten by keys written after them (go-yaml v2 `decode.go` mapping/merge; a sequence of
 *   maps is merged last to first). js-yaml never lets a merge override an explicit key.
 * - only the first document counts (go-yaml v2 `Unmarshal` parses one document), even when a later
 *   document would not parse.
 * - a document that is mostly alias expansions fails ("document contains excessive aliasing",
 *   go-yaml v2 `decode.go`), approximately as go-yaml counts it.
 */
import yaml from "js-yaml";

const BOOL_TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const BOOL_FALSE = new Set(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]);
const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const SPECIAL_FLOATS = new Map<string, number>([
  [".nan", Number.NaN],
  [".NaN", Number.NaN],
  [".NAN", Number.NaN],
  [".inf", Number.POSITIVE_INFINITY],
  [".Inf", Number.POSITIVE_INFINITY],
  [".INF", Number.POSITIVE_INFINITY],
  ["+.inf", Number.POSITIVE_INFINITY],
  ["+.Inf", Number.POSITIVE_INFINITY],
  ["+.INF", Number.POSITIVE_INFINITY],
  ["-.inf", Number.NEGATIVE_INFINITY],
  ["-.Inf", Number.NEGATIVE_INFINITY],
  ["-.INF", Number.NEGATIVE_INFINITY],
]);

/** Go's `strconv.ParseInt(s, 0, 64)` / `ParseUint` syntax after go-yaml strips underscores. */
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/;
/** go-yaml v2 `yamlStyleFloat`. */
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);

function parseGoInt(plain: string): bigint | undefined {
  if (!GO_INT.test(plain)) return undefined;
  const negative = plain.startsWith("-");
  const unsigned = plain.replace(/^[-+]/, "");
  let digits = unsigned;
  let radix = 10;
  if (/^0[xX]/.test(unsigned)) [digits, radix] = [unsigned.slice(2), 16];
  else if (/^0[bB]/.test(unsigned)) [digits, radix] = [unsigned.slice(2), 2];
  else if (/^0[oO]/.test(unsigned)) [digits, radix] = [unsigned.slice(2), 8];
  else if (unsigned.length > 1 && unsigned.startsWith("0")) [digits, radix] = [unsigned.slice(1), 8];
  let value = 0n;
  for (const ch of digits) value = value * BigInt(radix) + BigInt(Number.parseInt(ch, radix));
  if (negative) value = -value;
  // Out of int64/uint64 range: go-yaml falls through to the float and string rules.
  return value < INT64_MIN || value > UINT64_MAX ? undefined : value;
}

/**
 * The value go-yaml v2 gives an untagged plain scalar (go-yaml v2 `resolve.go` resolve). Its
 * `0b`/`-0b` fallbacks only matter where Go's `ParseInt(s, 0, 64)` lacks binary literals (before
 * Go 1.13); with a current Go they resolve exactly what ParseInt does, out-of-range values stay
 * strings.
 */
export function resolvePlainScalar(text: string): string | number | boolean | null {
  if (BOOL_TRUE.has(text)) return true;
  if (BOOL_FALSE.has(text)) return false;
  if (NULLS.has(text)) return null;
  const special = SPECIAL_FLOATS.get(text);
  if (special !== undefined) return special;
  const first = text[0];
  if (first === ".") {
    // go-yaml hands a '.'-initial scalar to ParseFloat as written: underscores only between digits.
    if (!GO_FLOAT.test(text.replaceAll("_", "")) || /(?:^|[^0-9])_|_(?:[^0-9]|$)/.test(text)) return text;
    const float = Number(text.replaceAll("_", ""));
    return Number.isFinite(float) ? float : text;
  }
  if (first !== undefined && /[-+0-9]/.test(first)) {
    const plain = text.replaceAll("_", "");
    const int = parseGoInt(plain);
    if (int !== undefined) return Number(int);
    if (GO_FLOAT.test(plain)) {
      const float = Number(plain);
      // Go's ParseFloat reports a range error for overflow; go-yaml then keeps the string.
      if (Number.isFinite(float)) return float;
    }
  }
  return text;
}

type ScalarValue = string | number | boolean | null;

/** A scalar as go-yaml v2 sees it: its resolved value and its text as written (`node.value`). */
class GoScalar {
  constructor(
    readonly value: ScalarValue,
    readonly text: string,
    /** Untagged plain scalar: only such a `<<` is a merge key (go-yaml v2 `isMerge`). */
    readonly plain: boolean,
    private readonly marker: string,
  ) {}
  get [Symbol.toStringTag](): string {
    return "GoScalar";
  }
  /** js-yaml turns a key node into a string with String(): a unique marker keeps keys apart. */
  toString(): string {
    return this.marker;
  }
}

const SEQUENCE_KEY = "\u0000go-yaml:sequence-key";
/** js-yaml stringifies a mapping used as a key to this. */
const MAPPING_KEY = "[object Object]";
/** js-yaml stringifies a key node it never composed (an empty key) to this. */
const EMPTY_KEY = "null";

/** Sequences get this prototype while loading, so that a sequence used as a key is recognisable. */
class GoSequence extends Array<unknown> {
  override toString(): string {
    return SEQUENCE_KEY;
  }
}

/** Scalars boxed during the current load, by marker. Loading is synchronous, so one is enough. */
let scalars: Map<string, GoScalar> | undefined;

function box(value: ScalarValue, text: string, plain: boolean): GoScalar {
  const registry = scalars ?? new Map<string, GoScalar>();
  const marker = `\u0000go-yaml:scalar#${registry.size}`;
  const scalar = new GoScalar(value, text, plain, marker);
  registry.set(marker, scalar);
  return scalar;
}

function implicitType(
  tag: string,
  predicate: (value: unknown) => boolean,
  kind: "bool" | "int" | "float" | "null",
  boxed: boolean,
) {
  return new yaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: "scalar",
    resolve: (data: string | null) => {
      const resolved = resolvePlainScalar(data ?? "");
      if (kind === "null") return resolved === null;
      if (kind === "bool") return typeof resolved === "boolean";
      if (kind === "int") return typeof resolved === "number" && Number.isInteger(resolved);
      return typeof resolved === "number";
    },
    construct: (data: string | null) => {
      const value = resolvePlainScalar(data ?? "");
      return boxed ? box(value, data ?? "", false) : value;
    },
    predicate,
  });
}

function implicitTypes(boxed: boolean) {
  return [
    implicitType("null", (v) => v === null, "null", boxed),
    implicitType("bool", (v) => typeof v === "boolean", "bool", boxed),
    implicitType("int", (v) => typeof v === "number" && Number.isInteger(v), "int", boxed),
    implicitType("float", (v) => typeof v === "number", "float", boxed),
  ];
}

/**
 * go-yaml v2's implicit scalar types on top of the failsafe schema (str, seq, map). Merge keys are
 * not part of it: parseGoYaml applies them with go-yaml v2's semantics.
 */
export const GO_YAML_V2_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({ implicit: implicitTypes(false) });

/** The same resolution, constructing boxed scalars: used by the loader below. */
const BOXING_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({ implicit: implicitTypes(true) });

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

export type YamlParseResult = { ok: true; value: YamlValue } | { ok: false; error: string };

/** A go-yaml v2 error, thrown while rebuilding the tree. */
class GoYamlError extends Error {}

/** The parts of js-yaml's loader state the listener uses (`depth` and `tag` are not in @types/js-yaml). */
interface ListenerState {
  result: unknown;
  tag: string | null;
  depth: number;
  position: number;
}

const NOT_LOADED = Symbol("not loaded");

const DOCUMENT_MARKER = /(?:^|\n)(?:---|\.\.\.)(?=[ \t\r\n]|$)/;
const BLANKS_AND_COMMENTS = /^(?:[ \t\r\n]|#[^\n]*)*$/;

/** Whether `text[from, to)` holds, after blanks and comments only, a document marker at a line start. */
function documentEndsBetween(text: string, from: number, to: number): boolean {
  const tail = text.slice(from, to);
  const marker = DOCUMENT_MARKER.exec(tail);
  if (!marker || !BLANKS_AND_COMMENTS.test(tail.slice(0, marker.index))) return false;
  return marker[0].startsWith("\n") || from === 0 || text[from - 1] === "\n";
}

/** Loads the first document into a boxed tree, or throws js-yaml's error. */
function loadFirstDocument(text: string): unknown {
  let firstRoot: unknown = NOT_LOADED;
  let firstEnd = -1;
  const listener = (event: yaml.EventType, loaderState: yaml.State) => {
    if (event !== "close") return;
    const state = loaderState as unknown as ListenerState;
    const result = state.result;
    if (Array.isArray(result)) {
      if (!(result instanceof GoSequence)) Object.setPrototypeOf(result, GoSequence.prototype);
    } else if (result === null || typeof result !== "object") {
      const value = result as ScalarValue;
      state.result = box(value, value === null ? "" : String(value), state.tag === "?");
    }
    if (state.depth === 1 && firstRoot === NOT_LOADED) {
      firstRoot = state.result;
      firstEnd = state.position;
    }
  };
  try {
    const documents = yaml.loadAll(text, undefined, { schema: BOXING_SCHEMA, json: true, listener });
    return documents[0] ?? null;
  } catch (error) {
    // go-yaml v2 `Unmarshal` reads the first document only: what follows its end cannot fail it.
    const position = (error as { mark?: { position?: number } }).mark?.position;
    if (
      firstRoot !== NOT_LOADED &&
      position !== undefined &&
      position > firstEnd &&
      documentEndsBetween(text, firstEnd, position)
    ) {
      return firstRoot;
    }
    throw error;
  }
}

function describeKey(key: unknown): string {
  if (key instanceof GoScalar) return key.text === "" ? "an empty key" : `"${key.text}"`;
  return String(key);
}

/** sigs.k8s.io/yaml convertToJSONableObject: how a non-string key becomes a JSON object key. */
function jsonKey(scalar: GoScalar): string {
  const { value } = scalar;
  if (value === null) {
    throw new GoYamlError(
      `unsupported map key: ${describeKey(scalar)} is null (sigs.k8s.io/yaml cannot convert it to JSON)`,
    );
  }
  return String(value);
}

function setProperty(object: Record<string, YamlValue>, key: string, value: YamlValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The mapping's key/value pairs in document order, keys as go-yaml v2 decoded them. */
function* mappingPairs(node: Record<string, unknown>): Generator<[GoScalar, unknown]> {
  for (const key of Object.keys(node)) {
    if (key === MAPPING_KEY) throw new GoYamlError("invalid map key: a mapping used as a key");
    if (key === SEQUENCE_KEY) throw new GoYamlError("invalid map key: a sequence used as a key");
    const scalar = scalars?.get(key) ?? (key === EMPTY_KEY ? box(null, "", false) : box(key, key, false));
    yield [scalar, node[key]];
  }
}

function isMapping(node: unknown): node is Record<string, unknown> {
  return node !== null && typeof node === "object" && !Array.isArray(node) && !(node instanceof GoScalar);
}

/**
 * go-yaml v2 `decode.go` allowedAliasRatio: once more than 1000 nodes were decoded, more than 100
 * of them through aliases, and aliases account for too large a share, decoding fails with
 * "document contains excessive aliasing". It also keeps a billion-laughs document from running
 * the guardian out of time.
 */
function allowedAliasRatio(decodes: number): number {
  const low = 400_000;
  const high = 4_000_000;
  if (decodes <= low) return 0.99;
  if (decodes >= high) return 0.1;
  return 0.99 - (0.89 * (decodes - low)) / (high - low);
}

/** go-yaml v2 into `interface{}`, then sigs.k8s.io/yaml's conversion to JSON-compatible values. */
class JsonConverter {
  private decodes = 0;
  private aliases = 0;
  private aliasDepth = 0;
  /** Collections met before: meeting one again is an alias (js-yaml shares anchored nodes). */
  private readonly seen = new Set<object>();

  convert(node: unknown): YamlValue {
    this.count();
    if (node instanceof GoScalar) return node.value;
    if (node === null || node === undefined) return null;
    if (typeof node !== "object") return node as ScalarValue;
    return this.viaAlias(node, () => {
      if (Array.isArray(node)) return Array.from(node, (item) => this.convert(item));
      const out: Record<string, YamlValue> = {};
      this.applyMapping(node as Record<string, unknown>, out);
      return out;
    });
  }

  private count(): void {
    this.decodes++;
    if (this.aliasDepth > 0) this.aliases++;
    if (
      this.aliases > 100 &&
      this.decodes > 1000 &&
      this.aliases / this.decodes > allowedAliasRatio(this.decodes)
    ) {
      throw new GoYamlError("document contains excessive aliasing");
    }
  }

  private viaAlias<T>(node: object, run: () => T): T {
    const repeated = this.seen.has(node);
    this.seen.add(node);
    if (repeated) this.aliasDepth++;
    try {
      return run();
    } finally {
      if (repeated) this.aliasDepth--;
    }
  }

  private applyMapping(node: Record<string, unknown>, out: Record<string, YamlValue>): void {
    for (const [key, value] of mappingPairs(node)) {
      if (key.plain && key.value === "<<") this.applyMerge(value, out);
      else setProperty(out, jsonKey(key), this.convert(value));
    }
  }

  /** go-yaml v2 `decode.go` merge: a mapping, or a sequence of mappings merged last to first. */
  private applyMerge(value: unknown, out: Record<string, YamlValue>): void {
    const wantMap = () =>
      new GoYamlError("map merge requires map or sequence of maps as the value (go-yaml v2 merge key)");
    this.count();
    if (isMapping(value)) {
      this.viaAlias(value, () => this.applyMapping(value, out));
      return;
    }
    if (!Array.isArray(value)) throw wantMap();
    for (let index = value.length - 1; index >= 0; index--) {
      const item = value[index];
      if (!isMapping(item)) throw wantMap();
      this.count();
      this.viaAlias(item, () => this.applyMapping(item, out));
    }
  }
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return message || "YAML syntax error";
}

function withScalars<T>(run: () => T): T {
  const previous = scalars;
  scalars = new Map();
  try {
    return run();
  } finally {
    scalars = previous;
  }
}

/**
 * Parses one aws-auth section the way `YAMLToJSON` (sigs.k8s.io/yaml over go-yaml v2) would: YAML
 * 1.1 scalars, only the first document, duplicate keys last-wins, merge keys in document order,
 * mappings, sequences and nulls used as keys rejected.
 */
export function parseGoYaml(text: string): YamlParseResult {
  return withScalars(() => {
    try {
      return { ok: true, value: new JsonConverter().convert(loadFirstDocument(text)) };
    } catch (error) {
      if (error instanceof GoYamlError) return { ok: false, error: error.message };
      return { ok: false, error: errorMessage(error) };
    }
  });
}

export type GoStringListResult =
  | {
      ok: true;
      /** null when the document is empty or null: go-yaml leaves the slice nil. */
      items: string[] | null;
      /** Items that are not scalars: go-yaml reports a type error and leaves them out. */
      skipped: Array<{ index: number; kind: "mapping" | "sequence" }>;
    }
  | { ok: false; error: string };

/**
 * go-yaml v2 `yaml.Unmarshal` into `[]string`, as the authenticator reads `mapAccounts`
 * (aws-iam-authenticator `configmap.go` ParseMap). A scalar keeps its text as written
 * (`012345678901` keeps its zero, `yes` stays "yes": go-yaml v2 `decode.go` scalar sets a string
 * to `n.value`), a null becomes "", a mapping or sequence item is a type error and is left out.
 */
export function decodeGoStringList(text: string): GoStringListResult {
  return withScalars((): GoStringListResult => {
    let root: unknown;
    try {
      root = loadFirstDocument(text);
    } catch (error) {
      return { ok: false, error: errorMessage(error) };
    }
    if (root instanceof GoScalar) {
      if (root.value === null) return { ok: true, items: null, skipped: [] };
      return { ok: false, error: `cannot unmarshal scalar \`${root.text}\` into []string` };
    }
    if (root === null || root === undefined) return { ok: true, items: null, skipped: [] };
    if (!Array.isArray(root)) return { ok: false, error: "cannot unmarshal a mapping into []string" };
    const items: string[] = [];
    const skipped: Array<{ index: number; kind: "mapping" | "sequence" }> = [];
    root.forEach((item: unknown, index) => {
      if (item instanceof GoScalar) items.push(item.value === null ? "" : item.text);
      else if (item === null || item === undefined) items.push("");
      else skipped.push({ index, kind: Array.isArray(item) ? "sequence" : "mapping" });
    });
    return { ok: true, items, skipped };
  });
}
