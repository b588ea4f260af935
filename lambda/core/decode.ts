/**
 * Schema-validated decoding at the boundary: untrusted data in, either the typed value or one
 * reported problem (where and what) out. Never throws, whatever the input.
 *
 * Schemas are written with `zod/mini` (the tree-shakable build of zod 4: a few KiB in a Lambda
 * bundle where classic zod costs ~90 KiB); any zod 4 schema works here, classic or mini.
 */
import type { $ZodIssue, $ZodType, output } from "zod/v4/core";
import { safeParse } from "zod/v4/core";

/** Why a value was refused: `path` in the decoded value (`user.groups[2]`, "" for the root). */
export interface DecodeProblem {
  path: string;
  message: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; problem: DecodeProblem };

const MAX_KEY = 40;
const MAX_PATH_SEGMENTS = 12;

function segment(key: PropertyKey): string {
  if (typeof key === "number") return `[${key}]`;
  const text = typeof key === "symbol" ? key.toString() : key;
  if (/^[A-Za-z_$][\w$-]*$/.test(text) && text.length <= MAX_KEY) return `.${text}`;
  // Keys can be chosen by whoever wrote the input: quote them and keep them short.
  const shown = text.length > MAX_KEY ? `${text.slice(0, MAX_KEY)}…` : text;
  return `[${JSON.stringify(shown)}]`;
}

/** `a.b[2]["odd key"]`, bounded in length. */
export function formatPath(path: readonly PropertyKey[], prefix = ""): string {
  const shown = path.slice(0, MAX_PATH_SEGMENTS).map(segment).join("");
  const rest = path.length > MAX_PATH_SEGMENTS ? "…" : "";
  const joined = `${prefix}${shown}${rest}`;
  return joined.startsWith(".") ? joined.slice(1) : joined;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** The value at `path` in `input`, to say what was found instead of what was expected. */
function at(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describe(issue: $ZodIssue, input: unknown): string {
  switch (issue.code) {
    case "invalid_type": {
      const found = at(input, issue.path);
      return found === undefined
        ? `missing ${issue.expected}`
        : `expected ${issue.expected}, got ${kindOf(found)}`;
    }
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    case "too_big":
      return `too big (at most ${String(issue.maximum)})`;
    case "too_small":
      return `too small (at least ${String(issue.minimum)})`;
    case "invalid_format":
      return `not a valid ${issue.format}`;
    default:
      return issue.message || issue.code;
  }
}

/**
 * Decode `input` with `schema`. `at` prefixes the reported path (e.g. `responseObject`). Only the
 * first issue is reported, with a count of the others: enough to find the fault, bounded in size.
 */
export function decode<S extends $ZodType>(schema: S, input: unknown, prefix = ""): Decoded<output<S>> {
  try {
    const result = safeParse(schema, input);
    if (result.success) return { ok: true, value: result.data };
    const [first, ...others] = result.error.issues;
    const more = others.length ? ` (and ${others.length} more)` : "";
    return {
      ok: false,
      problem: {
        path: formatPath(first?.path ?? [], prefix),
        message: `${first ? describe(first, input) : "invalid"}${more}`,
      },
    };
  } catch (error) {
    // Validation itself failed (e.g. the call stack ran out): still one reported problem.
    return {
      ok: false,
      problem: { path: prefix, message: `could not be validated: ${(error as Error).message}` },
    };
  }
}

/** One line for logs and warnings: `path: message`. */
export function problemText(problem: DecodeProblem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}
