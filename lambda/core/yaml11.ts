/**
 * YAML as aws-iam-authenticator reads it.
 *
 * The authenticator converts `mapRoles`/`mapUsers` with `sigs.k8s.io/yaml` (`YAMLToJSON`), which
 * decodes with go-yaml v2 and its YAML 1.1 resolution rules, into an untyped tree that is then
 * `json.Unmarshal`led into Go structs. What matters for the guardian is *which plain scalars stop
 * being strings*: `yes`/`no`/`on`/`off`/`y`/`n` become booleans, `012345678901` becomes a number,
 * `~` becomes null. A non-string in a string field is a type error in Go, so the field stays empty.
 *
 * js-yaml (the project's YAML library) speaks YAML 1.2 by default; this module builds a schema on
 * its failsafe schema with go-yaml v2's implicit resolvers (go-yaml v2 `resolve.go`), and adds the
 * one check js-yaml does not make: go-yaml refuses a mapping or sequence as a mapping key
 * (`username: {{SessionName}}` is a flow mapping whose key is a mapping), js-yaml stringifies it.
 */
import yaml from "js-yaml";

// @types/js-yaml does not declare `types`; js-yaml 4 exports the built-in types there.
const mergeType = (yaml as unknown as { types: { merge: yaml.Type } }).types.merge;

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

/** The value go-yaml v2 gives an untagged plain scalar. */
export function resolvePlainScalar(text: string): string | number | boolean | null {
  if (BOOL_TRUE.has(text)) return true;
  if (BOOL_FALSE.has(text)) return false;
  if (NULLS.has(text)) return null;
  const special = SPECIAL_FLOATS.get(text);
  if (special !== undefined) return special;
  const first = text[0];
  if (first !== undefined && /[-+.0-9]/.test(first)) {
    const plain = text.replaceAll("_", "");
    const int = parseGoInt(plain);
    if (int !== undefined) return Number(int);
    if (GO_FLOAT.test(plain)) {
      const float = Number(plain);
      // Go's ParseFloat reports a range error for overflow; go-yaml then keeps the string.
      if (Number.isFinite(float)) return float;
    }
    if (/^-0[bB][01]+$/.test(plain)) return -Number.parseInt(plain.slice(3), 2);
  }
  return text;
}

function implicitType(
  tag: string,
  predicate: (value: unknown) => boolean,
  kind: "bool" | "int" | "float" | "null",
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
    construct: (data: string | null) => resolvePlainScalar(data ?? ""),
    predicate,
  });
}

/** go-yaml v2's implicit types on top of the failsafe schema (str, seq, map), plus merge keys. */
export const GO_YAML_V2_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    implicitType("null", (v) => v === null, "null"),
    implicitType("bool", (v) => typeof v === "boolean", "bool"),
    implicitType("int", (v) => typeof v === "number" && Number.isInteger(v), "int"),
    implicitType("float", (v) => typeof v === "number", "float"),
    mergeType,
  ],
});

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

export type YamlParseResult = { ok: true; value: YamlValue } | { ok: false; error: string };

// js-yaml turns a mapping used as a key into this string; go-yaml fails with "invalid map key".
const STRINGIFIED_OBJECT_KEY = "[object Object]";

function findComplexKey(value: YamlValue): boolean {
  if (Array.isArray(value)) return value.some(findComplexKey);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).some(
      ([key, child]) => key === STRINGIFIED_OBJECT_KEY || findComplexKey(child),
    );
  }
  return false;
}

/**
 * Parses one aws-auth section the way go-yaml v2 would. Only the first document counts (go-yaml's
 * `Unmarshal` reads one); duplicate keys keep the last value (go-yaml v2's non-strict decoding).
 */
export function parseGoYaml(text: string): YamlParseResult {
  let documents: unknown[];
  try {
    documents = yaml.loadAll(text, undefined, { schema: GO_YAML_V2_SCHEMA, json: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { ok: false, error: message ?? "YAML syntax error" };
  }
  const value = (documents[0] ?? null) as YamlValue;
  if (findComplexKey(value)) {
    return {
      ok: false,
      error:
        "invalid map key: a mapping used as a key (an unquoted value starting with '{{' is a YAML flow mapping)",
    };
  }
  return { ok: true, value };
}
