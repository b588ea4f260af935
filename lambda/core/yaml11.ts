/**
 * YAML as aws-iam-authenticator reads it.
 *
 * The authenticator converts `mapRoles`/`mapUsers` with `sigs.k8s.io/yaml` (`YAMLToJSON`): go-yaml
 * v2 decodes the first document into `interface{}` with YAML 1.1 resolution rules, the result is
 * converted to JSON and `json.Unmarshal`led into Go structs. `mapAccounts` is decoded by go-yaml v2
 * straight into `[]string`. What is accepted, rejected and built is go-yaml v2's, taken from
 * `go-yaml.ts` (a reader, scanner, parser and composer that follow go-yaml v2's); this module does
 * what go-yaml v2's decoder (`decode.go`, `resolve.go`) and sigs.k8s.io/yaml (`yaml.go`
 * convertToJSONableObject) do on top: resolve plain scalars (`yes`/`no`/`on`/`off` are booleans,
 * `012345678901` a number, `~` null), explicit tags, merge keys (`<<`, applied where they stand,
 * a sequence last to first), duplicate keys (the last wins), aliases (with go-yaml's limit on
 * excessive aliasing), and which keys JSON cannot hold (null, uint64, mappings and sequences).
 */
import { composeFirstDocument, type GoNode, GoYamlSyntaxError } from "./go-yaml.js";

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

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

export type YamlParseResult = { ok: true; value: YamlValue } | { ok: false; error: string };

/** go-yaml v2's failf: decoding stops and Unmarshal returns this error. */
class GoYamlError extends Error {}

const STR = "tag:yaml.org,2002:str";
const BOOL = "tag:yaml.org,2002:bool";
const INT = "tag:yaml.org,2002:int";
const FLOAT = "tag:yaml.org,2002:float";
const NULL = "tag:yaml.org,2002:null";
const TIMESTAMP = "tag:yaml.org,2002:timestamp";
const BINARY = "tag:yaml.org,2002:binary";
const MERGE = "tag:yaml.org,2002:merge";
const RESOLVABLE = new Set(["", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP]);

function shortTag(tag: string): string {
  return tag.startsWith("tag:yaml.org,2002:") ? `!!${tag.slice("tag:yaml.org,2002:".length)}` : tag;
}

/** A resolved scalar: Go's dynamic type matters for map keys (int 1 and "1" are different keys). */
interface Resolved {
  tag: string;
  value: ScalarValue;
  goType: "string" | "bool" | "int" | "uint64" | "float" | "nil" | "timestamp";
}

const TIMESTAMP_FORMS = [
  /^\d{4}-\d{1,2}-\d{1,2}[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d{1,9})?(?:Z|[-+]\d{2}:\d{2})$/,
  /^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d{1,9})?$/,
  /^\d{4}-\d{1,2}-\d{1,2}$/,
];

/** resolve.go parseTimestamp: the four layouts go-yaml v2 tries with time.Parse (ranges checked loosely). */
function isTimestamp(text: string): boolean {
  if (!TIMESTAMP_FORMS.some((re) => re.test(text))) return false;
  const [, month = "0", day = "0"] = /^\d{4}-(\d{1,2})-(\d{1,2})/.exec(text) ?? [];
  return Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= 31;
}

/** resolve.go resolve(tag, in), including its deferred check of an explicit tag. */
function resolve(tag: string, text: string): Resolved {
  if (!RESOLVABLE.has(tag)) return { tag, value: text, goType: "string" };
  const out = resolveUntagged(tag, text);
  if (tag === "" || tag === out.tag || tag === STR || tag === BINARY) return out;
  if (tag === FLOAT && out.tag === INT) return { tag: FLOAT, value: out.value, goType: "float" };
  throw new GoYamlError(`cannot decode ${shortTag(out.tag)} \`${text}\` as a ${shortTag(tag)}`);
}

/** resolve.go's table: what the first character of a plain scalar suggests it may be. */
const RESOLVE_HINT = new Map<number, string>([
  ..."-+".split("").map((c) => [c.charCodeAt(0), "S"] as const),
  ..."0123456789".split("").map((c) => [c.charCodeAt(0), "D"] as const),
  ..."yYnNtTfFoO~".split("").map((c) => [c.charCodeAt(0), "M"] as const),
  [".".charCodeAt(0), "."] as const,
]);

function resolveUntagged(tag: string, text: string): Resolved {
  const hint = text === "" ? "N" : (RESOLVE_HINT.get(text.charCodeAt(0)) ?? "");
  if (hint !== "" && tag !== STR && tag !== BINARY) {
    if (BOOL_TRUE.has(text)) return { tag: BOOL, value: true, goType: "bool" };
    if (BOOL_FALSE.has(text)) return { tag: BOOL, value: false, goType: "bool" };
    if (NULLS.has(text)) return { tag: NULL, value: null, goType: "nil" };
    const special = SPECIAL_FLOATS.get(text);
    if (special !== undefined) return { tag: FLOAT, value: special, goType: "float" };
    if (hint === "." || hint === "D" || hint === "S") {
      if (
        (hint === "D" || hint === "S") &&
        (tag === "" || tag === TIMESTAMP) &&
        /^\d{4}-/.test(text) &&
        isTimestamp(text)
      ) {
        return { tag: TIMESTAMP, value: text, goType: "timestamp" };
      }
      const value = resolvePlainScalar(text);
      if (typeof value === "number") {
        if (hint === ".") return { tag: FLOAT, value, goType: "float" };
        const plain = text.replaceAll("_", "");
        const int = parseGoInt(plain);
        if (int !== undefined) {
          return { tag: INT, value: Number(int), goType: int > 2n ** 63n - 1n ? "uint64" : "int" };
        }
        return { tag: FLOAT, value, goType: "float" };
      }
    }
  }
  return { tag: STR, value: text, goType: "string" };
}

/** Go's base64.StdEncoding.DecodeString (newlines ignored), then the bytes as a Go string. */
function decodeBinary(text: string): string {
  const compact = text.replace(/[\r\n]/g, "");
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:={0,2})$/.test(compact) || /=[^=]/.test(compact)) {
    throw new GoYamlError("!!binary value contains invalid base64 data");
  }
  return new TextDecoder().decode(Buffer.from(compact, "base64"));
}

/**
 * Untagged and quoted, or plain with a first character resolve.go gives no hint for: a scalar that
 * decodes to its text as written.
 */
function asWritten(n: GoNode & { kind: "scalar" }): boolean {
  return n.tag === "" && (!n.implicit || (n.value !== "" && !RESOLVE_HINT.has(n.value.charCodeAt(0))));
}

/** A Go map[interface{}]interface{} under construction: keys by Go identity, last write wins. */
class GoMap {
  /**
   * The values by Go identity: a string key is itself, any other one a symbol for its type and
   * value (whose key is in `keys`). One map in insertion order, as Go's identity gives it.
   */
  readonly values = new Map<string | symbol, GoValue>();
  /** The keys that are not strings, by their symbol (the last write's key, like the value). */
  keys: Map<symbol, Resolved> | undefined;
  private others: Map<string, symbol> | undefined;
  set(key: Resolved, value: GoValue): void {
    if (key.goType === "string") {
      this.values.set(key.value as string, value);
      return;
    }
    const id = this.id(key);
    this.keys ??= new Map();
    this.keys.set(id, key);
    this.values.set(id, value);
  }
  /** set() for a key that is the string `key`. */
  setString(key: string, value: GoValue): void {
    this.values.set(key, value);
  }
  private id(key: Resolved): symbol {
    // NaN is never equal to itself: every NaN key is a new entry.
    if (Number.isNaN(key.value)) return Symbol("NaN");
    const name = `${key.goType}:${String(key.value)}`;
    this.others ??= new Map();
    let id = this.others.get(name);
    if (id === undefined) {
      id = Symbol(name);
      this.others.set(name, id);
    }
    return id;
  }
}
/**
 * A decoded value: a mapping whose keys are all strings is built as the JSON object it converts
 * to (see Decoder.stringMapping), any other one as a GoMap that toJson converts.
 */
type GoValue = ScalarValue | GoValue[] | GoMap | { [key: string]: YamlValue };

/**
 * go-yaml v2 decode.go allowedAliasRatio: once more than 1000 nodes were decoded, more than 100
 * of them through aliases, and aliases account for too large a share, decoding fails.
 */
function allowedAliasRatio(decodes: number): number {
  const low = 400_000;
  const high = 4_000_000;
  if (decodes <= low) return 0.99;
  if (decodes >= high) return 0.1;
  return 0.99 - (0.89 * (decodes - low)) / (high - low);
}

/** decode.go's decoder, for the two targets the authenticator uses: interface{} and []string. */
class Decoder {
  private decodes = 0;
  private aliasCount = 0;
  private aliasDepth = 0;
  private readonly active = new Set<GoNode>();
  /** Items of a []string that are not scalars: go-yaml reports a type error and leaves them out. */
  readonly skipped: Array<{ index: number; kind: "mapping" | "sequence" }> = [];
  /** How many GoMaps were built: none means the decoded value is already its JSON conversion. */
  goMaps = 0;
  /** A NaN or an infinity was decoded as a value (it may since have been overwritten). */
  nonFinite = false;
  /** The keys and values of the string-keyed mappings being decoded, one stack for all of them. */
  private readonly pairs: Array<string | GoValue> = [];
  private pairsTop = 0;

  private count(): void {
    this.decodes++;
    if (this.aliasDepth > 0) this.aliasCount++;
    if (
      this.aliasCount > 100 &&
      this.decodes > 1000 &&
      this.aliasCount / this.decodes > allowedAliasRatio(this.decodes)
    ) {
      throw new GoYamlError("document contains excessive aliasing");
    }
  }

  private viaAlias<R>(n: GoNode & { kind: "alias" }, run: (target: GoNode) => R): R {
    if (this.active.has(n)) throw new GoYamlError(`anchor '${n.name}' value contains itself`);
    this.active.add(n);
    this.aliasDepth++;
    try {
      return run(n.target);
    } finally {
      this.aliasDepth--;
      this.active.delete(n);
    }
  }

  /** decode.go scalar(): the tag and resolved value, with !!binary decoded. */
  private scalar(n: GoNode & { kind: "scalar" }): Resolved {
    // Quoted, or plain with a first character resolve.go gives no hint for: a string as written.
    if (asWritten(n)) {
      return { tag: STR, value: n.value, goType: "string" };
    }
    const r = resolve(n.tag, n.value);
    if (r.tag === BINARY) return { tag: BINARY, value: decodeBinary(String(r.value)), goType: "string" };
    return r;
  }

  /** Unmarshal into interface{}. */
  any(n: GoNode): GoValue {
    this.count();
    if (n.kind === "alias") return this.viaAlias(n, (t) => this.any(t));
    if (n.kind === "scalar") {
      // Untagged and quoted, or plain with a first character resolve.go gives no hint for: the
      // text as written (what scalar() below concludes, without building its answer).
      if (asWritten(n)) {
        return n.value;
      }
      const r = this.scalar(n);
      if (r.value === null) return null;
      if (typeof r.value === "number" && !Number.isFinite(r.value)) this.nonFinite = true;
      // A timestamp into interface{} stays the text as written (decode.go, for compatibility).
      return r.tag === TIMESTAMP ? n.value : r.value;
    }
    if (n.kind === "sequence") {
      const items: GoValue[] = [];
      for (const child of n.children) items.push(this.any(child));
      return items;
    }
    if (this.hasStringKeys(n)) return this.stringMapping(n);
    this.goMaps++;
    const out = new GoMap();
    this.mappingInto(n, out);
    return out;
  }

  /** Every key decodes to its text as written (what mappingInto concludes for it), none is a merge. */
  private hasStringKeys(n: GoNode & { kind: "mapping" }): boolean {
    for (let i = 0; i < n.children.length; i += 2) {
      const k = n.children[i] as GoNode;
      if (k.kind !== "scalar" || this.isMerge(k) || !asWritten(k)) return false;
    }
    return true;
  }

  /**
   * mappingInto for a mapping whose keys are all strings, decoded in the same order (counted
   * alike). Its JSON conversion is the object toJson would build from the GoMap (the same keys
   * set in the same order, the last value of a repeated key at the place of the first) and cannot
   * fail, so it is built here, unless a value below it holds a GoMap: then it is a GoMap as
   * before, so that toJson meets every key it may refuse in the same order.
   */
  private stringMapping(n: GoNode & { kind: "mapping" }): GoValue {
    const goMaps = this.goMaps;
    const from = this.pairsTop;
    for (let i = 0; i < n.children.length; i += 2) {
      const k = n.children[i] as GoNode & { kind: "scalar" };
      this.count();
      this.pairs[this.pairsTop++] = k.value;
      this.pairs[this.pairsTop++] = this.any(n.children[i + 1] as GoNode);
    }
    const to = this.pairsTop;
    this.pairsTop = from;
    if (this.goMaps !== goMaps) {
      this.goMaps++;
      const out = new GoMap();
      for (let i = from; i < to; i += 2) out.setString(this.pairs[i] as string, this.pairs[i + 1] as GoValue);
      this.pairs.fill(undefined as unknown as GoValue, from, to);
      return out;
    }
    const out: { [key: string]: YamlValue } = {};
    for (let i = from; i < to; i += 2) setJson(out, this.pairs[i] as string, this.pairs[i + 1] as YamlValue);
    this.pairs.fill(undefined as unknown as GoValue, from, to);
    return out;
  }

  private isMerge(n: GoNode): boolean {
    return n.kind === "scalar" && n.value === "<<" && (n.implicit || n.tag === MERGE);
  }

  private mappingInto(n: GoNode & { kind: "mapping" }, out: GoMap): void {
    for (let i = 0; i < n.children.length; i += 2) {
      const k = n.children[i] as GoNode;
      const v = n.children[i + 1] as GoNode;
      if (this.isMerge(k)) {
        this.merge(v, out);
        continue;
      }
      // A key that decodes to its text as written (what key() concludes for it, counted alike).
      if (k.kind === "scalar" && asWritten(k)) {
        this.count();
        out.setString(k.value, this.any(v));
        continue;
      }
      const key = this.key(k);
      out.set(key, this.any(v));
    }
  }

  /** A key decoded into interface{}: a mapping or sequence is "invalid map key". */
  private key(n: GoNode): Resolved {
    this.count();
    if (n.kind === "alias") return this.viaAlias(n, (t) => this.key(t));
    if (n.kind === "scalar") {
      const r = this.scalar(n);
      if (r.value === null) return { tag: NULL, value: null, goType: "nil" };
      return r.tag === TIMESTAMP ? { tag: STR, value: n.value, goType: "string" } : r;
    }
    // decode.go decodes the key first (counting its nodes), then refuses it.
    this.any(n);
    throw new GoYamlError(`invalid map key: a ${n.kind} used as a key`);
  }

  private mergeInto(n: GoNode, out: GoMap): void {
    this.count();
    if (n.kind === "alias") {
      this.viaAlias(n, (t) => this.mergeInto(t, out));
      return;
    }
    if (n.kind === "mapping") this.mappingInto(n, out);
  }

  /** decode.go merge: a mapping, an alias of one, or a sequence of them merged last to first. */
  private merge(n: GoNode, out: GoMap): void {
    const wantMap = () => new GoYamlError("map merge requires map or sequence of maps as the value");
    if (n.kind === "mapping") {
      this.mergeInto(n, out);
      return;
    }
    if (n.kind === "alias") {
      if (n.target.kind !== "mapping") throw wantMap();
      this.mergeInto(n, out);
      return;
    }
    if (n.kind === "sequence") {
      for (let i = n.children.length - 1; i >= 0; i--) {
        const item = n.children[i] as GoNode;
        if (item.kind === "alias") {
          if (item.target.kind !== "mapping") throw wantMap();
        } else if (item.kind !== "mapping") throw wantMap();
        this.mergeInto(item, out);
      }
      return;
    }
    throw wantMap();
  }

  /** Unmarshal into []string (mapAccounts): items that are not scalars are type errors, skipped. */
  strings(root: GoNode): string[] | null {
    this.count();
    if (root.kind === "alias") return this.viaAlias(root, (t) => this.strings(t));
    if (root.kind === "scalar") {
      const r = this.scalar(root);
      if (r.value === null) return null;
      // decode.go terror: values longer than 10 bytes are cut to 7 and "...".
      const shown = root.value.length > 10 ? `${root.value.slice(0, 7)}...` : root.value;
      throw new GoYamlError(`cannot unmarshal ${shortTag(r.tag)} \`${shown}\` into []string`);
    }
    if (root.kind === "mapping") throw new GoYamlError("cannot unmarshal !!map into []string");
    const items: string[] = [];
    root.children.forEach((child, index) => {
      const s = this.string(child, index);
      if (s !== undefined) items.push(s);
    });
    return items;
  }

  private string(n: GoNode, index: number): string | undefined {
    this.count();
    if (n.kind === "alias") return this.viaAlias(n, (t) => this.string(t, index));
    if (n.kind === "scalar") {
      const r = this.scalar(n);
      if (r.value === null) return "";
      return r.tag === BINARY ? String(r.value) : n.value;
    }
    this.skipped.push({ index, kind: n.kind === "mapping" ? "mapping" : "sequence" });
    return undefined;
  }
}

/** sigs.k8s.io/yaml convertToJSONableObject: a key as JSON holds it, or an error for the others. */
function jsonKey(key: Resolved): string {
  switch (key.goType) {
    case "string":
    case "timestamp":
      return String(key.value);
    case "bool":
      return key.value ? "true" : "false";
    case "int":
      return String(key.value);
    case "float": {
      const f = key.value as number;
      if (Number.isNaN(f)) return ".nan";
      if (f === Number.POSITIVE_INFINITY) return ".inf";
      if (f === Number.NEGATIVE_INFINITY) return "-.inf";
      return String(Math.fround(f));
    }
    default:
      throw new GoYamlError(
        `Unsupported map key of type: ${key.goType === "nil" ? "<nil>" : key.goType} (sigs.k8s.io/yaml cannot convert it to JSON)`,
      );
  }
}

/** `out[name] = value`, as an own property even for "__proto__" (which assignment takes as the prototype). */
function setJson(out: { [key: string]: YamlValue }, name: string, value: YamlValue): void {
  if (name === "__proto__") {
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  } else out[name] = value;
}

/** The JSON conversion of a decoded value (a string-keyed mapping is its own: nothing below it is a GoMap). */
function toJson(value: GoValue): YamlValue {
  if (value instanceof GoMap) {
    const out: Record<string, YamlValue> = {};
    const keys = value.keys;
    for (const [id, v] of value.values) {
      const name = typeof id === "string" ? id : jsonKey(keys?.get(id) as Resolved);
      setJson(out, name, toJson(v));
    }
    return out;
  }
  if (Array.isArray(value)) {
    // In place: every list the decoder builds is its own (an alias decodes to a new one), and
    // nothing reads it but this conversion.
    const items = value as YamlValue[];
    for (let i = 0; i < value.length; i++) items[i] = toJson(value[i] as GoValue);
    return items;
  }
  return value;
}

function message(error: unknown): string {
  if (error instanceof GoYamlSyntaxError || error instanceof GoYamlError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parses one aws-auth section the way `YAMLToJSON` (sigs.k8s.io/yaml over go-yaml v2) does. Total:
 * any problem is an `{ ok: false }` result with go-yaml's message.
 */
export function parseGoYaml(text: string): YamlParseResult {
  const common = readCommonList(text);
  return common !== undefined ? { ok: true, value: common } : decodeToJson(text, false);
}

/**
 * sigs.k8s.io/yaml `YAMLToJSON` as a whole: parseGoYaml, then `json.Marshal`, which refuses NaN
 * and ±Inf anywhere in the document (the walk only runs when the decoder met one).
 */
export function yamlToJson(text: string): YamlParseResult {
  const common = readCommonList(text);
  return common !== undefined ? { ok: true, value: common } : decodeToJson(text, true);
}

/** yamlToJson without readCommonList: always the whole port (for the test that holds the two together). */
export function yamlToJsonByPort(text: string): YamlParseResult {
  return decodeToJson(text, true);
}

// ---- the common shape, read directly ---------------------------------------------------------

const SPACE = 0x20;
const LF = 0x0a;
const DASH = 0x2d;
const COLON = 0x3a;
/** scannerc.go's indicators: a plain scalar cannot start with one. */
const PLAIN_START_REFUSED = new Uint8Array(128);
for (const c of "-?:,[]{}#&*!|>'\"%@`") PLAIN_START_REFUSED[c.charCodeAt(0)] = 1;

/** A key the common shape allows: [A-Za-z_][A-Za-z0-9_]*, its first character with no resolve hint. */
function keyEnd(text: string, from: number): number {
  const first = text.charCodeAt(from);
  const letter = (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a) || first === 0x5f;
  if (!letter || RESOLVE_HINT.has(first)) return -1;
  let i = from + 1;
  // 64 at most: far below the 1024 characters a simple key may span.
  const limit = Math.min(text.length, from + 64);
  for (; i < limit; i++) {
    const c = text.charCodeAt(i);
    const word =
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    if (!word) break;
  }
  return i;
}

/** A printable ASCII character other than a space. */
function isVisible(c: number): boolean {
  return c > 0x20 && c < 0x7f;
}

/**
 * The end of the plain scalar that runs from `from` to the end of its line, or -1 when it is not
 * one the common shape allows: printable ASCII with no space, a first character that is not an
 * indicator, and not ending in ':' (which would make it a key).
 */
function scalarEnd(text: string, from: number): number {
  const first = text.charCodeAt(from);
  if (!isVisible(first) || PLAIN_START_REFUSED[first] === 1) return -1;
  let i = from + 1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isVisible(c)) {
      if (c === LF) break;
      return -1;
    }
  }
  return text.charCodeAt(i - 1) === COLON ? -1 : i;
}

const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;

/**
 * The end (just past the closing quote) of the quoted scalar that starts at `from`, or -1 when it
 * is not one the common shape allows: on one line, printable ASCII (spaces included); in double
 * quotes no backslash (no escapes), in single quotes no doubled quote (''). Its content, the text
 * between the quotes, is then its value exactly (scannerc.go scan_flow_scalar keeps the blanks of
 * a single line as they are), and a quoted scalar is never resolved: always a string.
 */
function quotedEnd(text: string, from: number): number {
  const quote = text.charCodeAt(from);
  if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) return -1;
  for (let i = from + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // At '' inside single quotes (an escaped quote) this ends the scalar before a quote, which
    // its callers refuse: only ':' (a key) or the line's end may follow a closing quote.
    if (c === quote) return i + 1;
    if (c < 0x20 || c > 0x7e || (c === BACKSLASH && quote === DOUBLE_QUOTE)) return -1;
  }
  return -1;
}

/** A quoted scalar or a plain scalar of the common shape ending its line: its value and end, or undefined. */
function lineScalar(text: string, from: number): { value: ScalarValue; end: number } | undefined {
  const first = text.charCodeAt(from);
  if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) {
    const end = quotedEnd(text, from);
    // Nothing after the closing quote but the line's end (no blank, comment, ':' or text).
    if (end < 0 || (end < text.length && text.charCodeAt(end) !== LF)) return undefined;
    return { value: text.slice(from + 1, end - 1), end };
  }
  const end = scalarEnd(text, from);
  if (end < 0) return undefined;
  const value = plainValue(text.slice(from, end));
  return value === undefined ? undefined : { value, end };
}

/**
 * What Decoder.any gives an untagged plain scalar (its text as written, or what resolve.go makes
 * of it; a timestamp stays text), or undefined for NaN and the infinities, which the common shape
 * leaves to the port (json.Marshal refuses them).
 */
function plainValue(text: string): ScalarValue | undefined {
  if (!RESOLVE_HINT.has(text.charCodeAt(0))) return text;
  const r = resolve("", text);
  if (r.value === null) return null;
  if (typeof r.value === "number" && !Number.isFinite(r.value)) return undefined;
  return r.tag === TIMESTAMP ? text : r.value;
}

/** The one of `keys` that `text` spells from `from` to `to`. */
function knownKey(keys: string[], text: string, from: number, to: number): string | undefined {
  for (const key of keys) if (key.length === to - from && text.startsWith(key, from)) return key;
  return undefined;
}

/** How many spaces start the line at `from`. */
function indentAt(text: string, from: number): number {
  let i = from;
  while (text.charCodeAt(i) === SPACE) i++;
  return i - from;
}

/**
 * The shape almost every aws-auth section has (what eksctl, Terraform and the EKS guide write),
 * read without the port: a block list, every entry a block mapping of simple keys whose values are
 * scalars on the key's line or a block list of scalars below it (indented or not):
 *
 *     - rolearn: arn:aws:iam::111122223333:role/nodes      - "groups":
 *       username: system:node:{{EC2PrivateDNSName}}          - "system:masters"
 *       groups:                                              "rolearn": "arn:aws:iam::111122223333:role/x"
 *         - system:bootstrappers                             "username": "x"
 *
 * Only printable ASCII and line feeds (each character is checked where it is read: indentation is
 * spaces, keys are word characters, scalars are visible ASCII); one space after "-" and ":"; no
 * comments, blank lines, tags, anchors, flow collections, empty values, continuation lines or
 * trailing spaces; keys as written (no resolve hint, no merge). Keys, values and items may also be
 * quoted as Terraform's yamlencode and many hand-written files quote them, on one line with
 * nothing after the closing quote but ":" (a key) or the line's end, printable ASCII inside, no
 * backslash in double quotes, no '' in single quotes (quotedEnd): such a scalar is its text between
 * the quotes, a string, and a quoted key is never a merge. On that shape the scanner meets no
 * error, no document marker and no simple-key limit, every scalar decodes as plainValue or
 * quotedEnd says and every mapping as stringMapping builds it, so the result is the port's;
 * anything else is undefined and goes to the port. test/core/yaml-common-shape.test.ts holds the
 * two together.
 */
export function readCommonList(text: string): YamlValue[] | undefined {
  const n = text.length;
  // The keys met so far: a key spelled as one of them is given that string, which is already a
  // property name (a fresh slice would be looked up in the string table at each store).
  const keys: string[] = [];
  const column = indentAt(text, 0);
  const entries: YamlValue[] = [];
  let p = 0;
  while (p < n) {
    // "- " at the list's column starts an entry, whose first key follows on the same line.
    if (indentAt(text, p) !== column || text.charCodeAt(p + column) !== DASH) return undefined;
    if (text.charCodeAt(p + column + 1) !== SPACE) return undefined;
    const entry: { [key: string]: YamlValue } = {};
    const keyColumn = column + 2;
    let q = p + keyColumn;
    for (;;) {
      // A word key, or a quoted one (a string as written, never a merge) of at most 64 characters.
      let end: number;
      let key: string;
      const first = text.charCodeAt(q);
      if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) {
        end = quotedEnd(text, q);
        if (end < 0 || end - q > 66) return undefined;
        key = knownKey(keys, text, q + 1, end - 1) ?? text.slice(q + 1, end - 1);
      } else {
        end = keyEnd(text, q);
        if (end < 0) return undefined;
        key = knownKey(keys, text, q, end) ?? text.slice(q, end);
      }
      if (text.charCodeAt(end) !== COLON) return undefined;
      if (keys.length < 16 && !keys.includes(key)) keys.push(key);
      const after = text.charCodeAt(end + 1);
      if (after === SPACE) {
        const scalar = lineScalar(text, end + 2);
        if (scalar === undefined) return undefined;
        setJson(entry, key, scalar.value);
        p = scalar.end + 1;
      } else if (after === LF) {
        // A list below the key: "- " at one column, the key's own (indentless) or deeper.
        p = end + 2;
        const itemColumn = indentAt(text, p);
        if (p >= n || itemColumn < keyColumn) return undefined;
        const items: YamlValue[] = [];
        while (p < n && indentAt(text, p) === itemColumn && text.charCodeAt(p + itemColumn) === DASH) {
          const from = p + itemColumn + 2;
          if (text.charCodeAt(from - 1) !== SPACE) return undefined;
          const item = lineScalar(text, from);
          if (item === undefined) return undefined;
          items.push(item.value);
          p = item.end + 1;
        }
        if (items.length === 0) return undefined;
        setJson(entry, key, items);
      } else return undefined;
      if (p >= n) break;
      // The next line: another key of this entry, or the next entry (checked above), or not the shape.
      const indent = indentAt(text, p);
      if (indent === column) break;
      if (indent !== keyColumn) return undefined;
      q = p + keyColumn;
    }
    entries.push(entry);
  }
  return entries.length > 0 ? entries : undefined;
}

function hasNonFiniteNumber(value: YamlValue): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) {
    for (const item of value) if (hasNonFiniteNumber(item)) return true;
    return false;
  }
  for (const key of Object.keys(value)) if (hasNonFiniteNumber(value[key] as YamlValue)) return true;
  return false;
}

function decodeToJson(text: string, marshal: boolean): YamlParseResult {
  try {
    const root = composeFirstDocument(text);
    if (root === null) return { ok: true, value: null };
    const decoder = new Decoder();
    const decoded = decoder.any(root);
    // No GoMap: every mapping was built as its JSON object, and lists hold nothing else.
    const value = decoder.goMaps === 0 ? (decoded as YamlValue) : toJson(decoded);
    if (marshal && decoder.nonFinite && hasNonFiniteNumber(value)) {
      return { ok: false, error: "json: unsupported value (NaN or Inf)" };
    }
    return { ok: true, value };
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, error: `yaml: ${error.message}` };
    return { ok: false, error: message(error) };
  }
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
 * (aws-iam-authenticator `configmap.go:178`). A scalar keeps its text as written (`012345678901`
 * keeps its zero, `yes` stays "yes": decode.go sets a string to the node's value), a null becomes
 * "", a mapping or sequence item is a type error and is left out.
 */
export function decodeGoStringList(text: string): GoStringListResult {
  try {
    const root = composeFirstDocument(text);
    if (root === null) return { ok: true, items: null, skipped: [] };
    const decoder = new Decoder();
    const items = decoder.strings(root);
    return { ok: true, items, skipped: decoder.skipped };
  } catch (error) {
    return { ok: false, error: message(error) };
  }
}

/** The 1-based line of each top-level entry of a section, when it is a list that parses. */
export function entryLines(text: string): number[] | undefined {
  try {
    const root = composeFirstDocument(text);
    return root?.kind === "sequence" ? root.children.map((child) => child.line + 1) : undefined;
  } catch {
    return undefined;
  }
}

/** The 1-based line where go-yaml stops reading a section that does not parse, when it says. */
export function syntaxErrorLine(text: string): number | undefined {
  try {
    composeFirstDocument(text);
    return undefined;
  } catch (error) {
    return error instanceof GoYamlSyntaxError ? error.at : undefined;
  }
}
