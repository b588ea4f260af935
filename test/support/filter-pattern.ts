/**
 * A test-only evaluator of CloudWatch Logs **JSON** filter patterns (`{ ... }`), so that the subscription
 * filter can be proven against recorded events without AWS (moto forwards every event whatever the
 * pattern; only CloudWatch's `TestMetricFilter` API is authoritative).
 *
 * It implements the documented JSON subset and refuses everything else:
 *
 * - Source of the semantics: "Filter and Pattern Syntax", Amazon CloudWatch Logs User Guide
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html; text read from
 *   github.com/awsdocs/amazon-cloudwatch-logs-user-guide `doc_source/FilterAndPatternSyntax.md` @ 5ae5c9a),
 *   sections "Matching Terms in JSON Log Events", "JSON Compound Conditions", "JSON Special Considerations",
 *   "Numeric Comparisons". Quoted below as [doc].
 * - Selectors: `$` followed by `.name` (letters, digits, `-`, `_`) and `[N]` steps; `[N]` must follow a
 *   property [doc: "Property selectors are alphanumeric strings that also support '-' and '_' characters.
 *   Array elements are denoted with [NUMBER] syntax, and must follow a property"].
 * - `=` / `!=` against a string, quoted or unquoted; `*` matches any text at the start and/or the end of
 *   the value [doc: "*Event will match PutEvent ... Event* will match EventId ... Ev*ent will only match
 *   the actual string Ev*ent"]. A `*` in the middle is rejected: the doc calls it literal, but results
 *   recorded against AWS (localstack's filter tests) show `1*3` matching `123`, so either reading is a guess.
 * - Numeric `=`, `!=`, `<`, `>`, `<=`, `>=` against a NUMBER [doc grammar: optional sign, integer or decimal,
 *   optional `e` exponent].
 * - `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS` [doc examples].
 * - `&&`, `||`, parentheses with precedence `()` > `&&` > `||` [doc: "the syntax follows standard order of
 *   operations () > && > ||"].
 * - A selector that resolves to an object or array never matches, not even with `!=` [doc: "both
 *   {$.users = 1} and {$.users != 1} will fail to match a log event where users is an array"].
 * - A message that is not a JSON object never matches any JSON pattern (aws-cdk-lib calls these
 *   "patterns that only match JSON log events"; a cut-off `...[Truncated...]` audit line is such a message).
 * - A missing property fails every comparison, including `!=`: not stated by [doc], but observed in the
 *   CloudWatch console's pattern tester (github.com/DataBiosphere/azul/issues/5884: `$.userIdentity.invokedBy
 *   != "..."` did not match a record without that field). A path through a non-object counts as missing.
 * - Patterns longer than 1,024 characters are rejected (API reference, `SubscriptionFilter.filterPattern`
 *   and `MetricFilter.filterPattern`: "Maximum length of 1024").
 *
 * Refused (throws {@link FilterPatternSyntaxError}): text and space-delimited patterns, `%regex%` values,
 * backslashes in quoted strings (escaping is undocumented), `==`, `EXISTS`, lower-case keywords, `$[0]`,
 * unquoted values with characters other than letters, digits, `_ . - + *`.
 * Refused at evaluation (throws {@link UndocumentedSemanticsError}): a comparison between a pattern value
 * and a JSON value of another type (string vs number, anything vs `null` or a boolean) whose outcome
 * depends on how CloudWatch converts types, e.g. `$.code = "200"` against the number 200, `$.flag = true`
 * against `true`, or any `!=` across types. The doc does not say, so a test relying on it would prove
 * nothing. Cross-type comparisons that are false under every reading (`nonmatch` against the number 1, as
 * in the doc's own compound example) simply return false. All clauses are evaluated (no short-circuit),
 * so clause order cannot hide such a comparison.
 */

export const MAX_FILTER_PATTERN_LENGTH = 1024;

/** The pattern uses syntax this evaluator does not implement, or that CloudWatch does not accept. */
export class FilterPatternSyntaxError extends Error {
  override readonly name = "FilterPatternSyntaxError";
}

/** The pattern is valid but evaluating it on this message needs behaviour the documentation leaves open. */
export class UndocumentedSemanticsError extends Error {
  override readonly name = "UndocumentedSemanticsError";
}

type Step = { kind: "property"; name: string } | { kind: "index"; index: number };

interface Selector {
  text: string;
  steps: Step[];
}

type StringOperand = { kind: "string"; text: string; quoted: boolean };
type NumberOperand = { kind: "number"; text: string; value: number };
type Operand = StringOperand | NumberOperand;

export type FilterExpression =
  | { kind: "or"; operands: FilterExpression[] }
  | { kind: "and"; operands: FilterExpression[] }
  | { kind: "compare"; selector: Selector; operator: ComparisonOperator; operand: Operand }
  | { kind: "test"; selector: Selector; test: "IS NULL" | "IS TRUE" | "IS FALSE" | "NOT EXISTS" };

type ComparisonOperator = "=" | "!=" | "<" | ">" | "<=" | ">=";

/** A compiled JSON filter pattern. */
export interface CompiledFilterPattern {
  readonly pattern: string;
  readonly expression: FilterExpression;
  /** True when CloudWatch Logs would pass `message` (one log event's text) through this pattern. */
  matches(message: string): boolean;
}

/** Parses a JSON filter pattern; throws {@link FilterPatternSyntaxError} on anything outside the subset. */
export function compileFilterPattern(pattern: string): CompiledFilterPattern {
  if (pattern.length > MAX_FILTER_PATTERN_LENGTH) {
    throw new FilterPatternSyntaxError(
      `pattern is ${pattern.length} characters; CloudWatch Logs accepts at most ${MAX_FILTER_PATTERN_LENGTH}`,
    );
  }
  const expression = new Parser(pattern).parsePattern();
  return {
    pattern,
    expression,
    matches: (message) => {
      const root = parseJsonObject(message);
      return root !== undefined && evaluate(expression, root);
    },
  };
}

/** Convenience: compile and test one message. */
export function matchesFilterPattern(pattern: string, message: string): boolean {
  return compileFilterPattern(pattern).matches(message);
}

// ---------------------------------------------------------------------------------------------------
// Parsing

const NAME_CHAR = /[A-Za-z0-9_-]/;
const UNQUOTED_CHAR = /[A-Za-z0-9_.*+-]/;
/** [doc] NUMBER: optional sign, integer or decimal, optionally `e` and a signed integer. */
const NUMBER = /^[+-]?\d+(\.\d+)?(e[+-]?\d+)?$/;

class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parsePattern(): FilterExpression {
    this.skipSpace();
    if (this.src[this.pos] !== "{") {
      throw this.error(
        "only JSON patterns enclosed in { } are supported (no text or space-delimited patterns)",
      );
    }
    this.pos++;
    const expression = this.parseOr();
    this.skipSpace();
    if (this.src[this.pos] !== "}") throw this.error("expected '}'");
    this.pos++;
    this.skipSpace();
    if (this.pos !== this.src.length) throw this.error("unexpected text after '}'");
    return expression;
  }

  private parseOr(): FilterExpression {
    const operands = [this.parseAnd()];
    while (this.consume("||")) operands.push(this.parseAnd());
    return operands.length === 1 && operands[0] ? operands[0] : { kind: "or", operands };
  }

  private parseAnd(): FilterExpression {
    const operands = [this.parsePrimary()];
    while (this.consume("&&")) operands.push(this.parsePrimary());
    return operands.length === 1 && operands[0] ? operands[0] : { kind: "and", operands };
  }

  private parsePrimary(): FilterExpression {
    this.skipSpace();
    if (this.consume("(")) {
      const inner = this.parseOr();
      if (!this.consume(")")) throw this.error("expected ')'");
      return inner;
    }
    if (this.src[this.pos] === "$") return this.parseCondition();
    throw this.error("expected '(' or a selector starting with '$'");
  }

  private parseCondition(): FilterExpression {
    const selector = this.parseSelector();
    this.skipSpace();
    for (const test of ["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"] as const) {
      if (this.consumeWords(test)) return { kind: "test", selector, test };
    }
    if (/^(is|not|exists)\b/i.test(this.src.slice(this.pos))) {
      throw this.error("unsupported keyword (only IS NULL, IS TRUE, IS FALSE, NOT EXISTS, in upper case)");
    }
    const operator = this.parseOperator();
    const operand = this.parseOperand(operator);
    return { kind: "compare", selector, operator, operand };
  }

  private parseSelector(): Selector {
    const start = this.pos;
    this.pos++; // '$'
    const steps: Step[] = [];
    for (;;) {
      const c = this.src[this.pos];
      if (c === ".") {
        this.pos++;
        const nameStart = this.pos;
        while (this.pos < this.src.length && NAME_CHAR.test(this.src[this.pos] ?? "")) this.pos++;
        if (this.pos === nameStart) throw this.error("expected a property name after '.'");
        steps.push({ kind: "property", name: this.src.slice(nameStart, this.pos) });
      } else if (c === "[") {
        if (steps.length === 0) throw this.error("an array index must follow a property ($[N] is not valid)");
        const close = this.src.indexOf("]", this.pos);
        const digits = close < 0 ? "" : this.src.slice(this.pos + 1, close);
        if (!/^\d+$/.test(digits)) throw this.error("expected [NUMBER]");
        steps.push({ kind: "index", index: Number(digits) });
        this.pos = close + 1;
      } else {
        break;
      }
    }
    if (steps.length === 0) throw this.error("a selector needs at least one property ($.name)");
    const next = this.src[this.pos];
    if (next !== undefined && !/[\s=!<>)&|}]/.test(next)) {
      throw this.error(`unsupported character ${JSON.stringify(next)} in selector`);
    }
    return { text: this.src.slice(start, this.pos), steps };
  }

  private parseOperator(): ComparisonOperator {
    this.skipSpace();
    if (this.src.startsWith("==", this.pos)) throw this.error("'==' is not documented; use '='");
    for (const op of ["!=", "<=", ">=", "=", "<", ">"] as const) {
      if (this.src.startsWith(op, this.pos)) {
        this.pos += op.length;
        return op;
      }
    }
    throw this.error(
      "expected an operator (=, !=, <, >, <=, >=) or IS NULL / IS TRUE / IS FALSE / NOT EXISTS",
    );
  }

  private parseOperand(operator: ComparisonOperator): Operand {
    this.skipSpace();
    const c = this.src[this.pos];
    let operand: Operand;
    if (c === '"') {
      const close = this.src.indexOf('"', this.pos + 1);
      if (close < 0) throw this.error("unterminated string");
      const text = this.src.slice(this.pos + 1, close);
      if (text.includes("\\")) throw this.error("backslash escapes in quoted strings are not documented");
      this.pos = close + 1;
      operand = { kind: "string", text, quoted: true };
    } else if (c === "%") {
      throw this.error("%regex% values are not supported by this evaluator");
    } else {
      const start = this.pos;
      while (this.pos < this.src.length && UNQUOTED_CHAR.test(this.src[this.pos] ?? "")) this.pos++;
      const text = this.src.slice(start, this.pos);
      if (text === "") throw this.error("expected a value");
      const next = this.src[this.pos];
      if (next !== undefined && !/[\s)&|}]/.test(next)) {
        throw this.error(
          `unquoted values may only hold letters, digits and _ . - + *; quote ${JSON.stringify(text + next)}`,
        );
      }
      operand = NUMBER.test(text)
        ? { kind: "number", text, value: Number(text) }
        : { kind: "string", text, quoted: false };
    }
    if (operand.kind === "string") checkWildcards(operand.text, (m) => this.error(m));
    if (operator !== "=" && operator !== "!=" && operand.kind !== "number") {
      throw this.error(`'${operator}' needs a NUMBER operand`);
    }
    return operand;
  }

  private consume(token: string): boolean {
    this.skipSpace();
    if (this.src.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }

  /** Consumes space-separated upper-case keywords such as `NOT EXISTS`, followed by a word boundary. */
  private consumeWords(words: string): boolean {
    const re = new RegExp(`^${words.replace(" ", "\\s+")}(?![A-Za-z0-9_])`);
    const m = re.exec(this.src.slice(this.pos));
    if (!m) return false;
    this.pos += m[0].length;
    return true;
  }

  private skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos] ?? "")) this.pos++;
  }

  private error(message: string): FilterPatternSyntaxError {
    return new FilterPatternSyntaxError(`${message} at offset ${this.pos} of ${JSON.stringify(this.src)}`);
  }
}

function checkWildcards(text: string, error: (message: string) => Error): void {
  if (text === "*") return;
  const inner = text.slice(text.startsWith("*") ? 1 : 0, text.endsWith("*") ? -1 : undefined);
  if (inner === "" && text.includes("*")) throw error(`${JSON.stringify(text)}: use a single '*'`);
  if (inner.includes("*")) {
    throw error(
      `'*' inside a value (${JSON.stringify(text)}) has contradicting documented and observed meanings`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type Resolved =
  | { kind: "missing" }
  | { kind: "container" }
  | { kind: "value"; value: string | number | boolean | null };

/** The message as a JSON object, or undefined when it is not one (plain text, cut-off JSON, a bare value). */
function parseJsonObject(message: string): Record<string, Json> | undefined {
  let parsed: Json;
  try {
    parsed = JSON.parse(message) as Json;
  } catch {
    return undefined;
  }
  return isObject(parsed) ? parsed : undefined;
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function resolve(root: Record<string, Json>, selector: Selector): Resolved {
  let current: Json | undefined = root;
  for (const step of selector.steps) {
    if (step.kind === "property") {
      if (!isObject(current) || !Object.hasOwn(current, step.name)) return { kind: "missing" };
      current = current[step.name];
    } else {
      if (!Array.isArray(current) || step.index >= current.length) return { kind: "missing" };
      current = current[step.index];
    }
  }
  if (current === undefined) return { kind: "missing" };
  if (typeof current === "object" && current !== null) return { kind: "container" };
  return { kind: "value", value: current };
}

function evaluate(expression: FilterExpression, root: Record<string, Json>): boolean {
  switch (expression.kind) {
    // Every operand is evaluated (no short-circuit), so that a comparison the documentation leaves open
    // throws whatever the order of the clauses.
    case "or":
      return expression.operands.map((operand) => evaluate(operand, root)).some(Boolean);
    case "and":
      return expression.operands.map((operand) => evaluate(operand, root)).every(Boolean);
    case "test":
      return test(expression.test, resolve(root, expression.selector));
    case "compare":
      return compare(
        expression.selector,
        expression.operator,
        expression.operand,
        resolve(root, expression.selector),
      );
  }
}

function test(kind: "IS NULL" | "IS TRUE" | "IS FALSE" | "NOT EXISTS", resolved: Resolved): boolean {
  if (kind === "NOT EXISTS") return resolved.kind === "missing";
  if (resolved.kind !== "value") return false;
  if (kind === "IS NULL") return resolved.value === null;
  return resolved.value === (kind === "IS TRUE");
}

function compare(
  selector: Selector,
  operator: ComparisonOperator,
  operand: Operand,
  resolved: Resolved,
): boolean {
  // Missing values and objects/arrays fail every comparison, `!=` included (see the header).
  if (resolved.kind !== "value") return false;
  const { value } = resolved;
  if (operand.kind === "number" && typeof value === "number")
    return compareNumbers(operator, value, operand.value);
  if (
    operand.kind === "string" &&
    (typeof value === "string" || (typeof value === "number" && operand.text === "*"))
  ) {
    // [doc] `{ $.latency = * }` selects events that carry a (numeric) latency.
    const equal = typeof value === "string" ? wildcardEquals(operand.text, value) : true;
    return operator === "=" ? equal : !equal;
  }
  return compareMismatched(selector, operator, operand, value);
}

/**
 * A pattern value of one type against a JSON value of another (string vs number, anything vs null or a
 * boolean). The doc only shows that such a comparison is legal and false when nothing could make the two
 * equal (its compound example compares `$.coordinates[0][1]`, the number 1, with `nonmatch`). Three
 * readings are plausible: the condition fails (as for objects and arrays), unlike types are unequal, or the
 * JSON text of the value is compared. The result is returned only when all readings agree (always `false`);
 * otherwise the outcome would be a guess, and this throws.
 */
function compareMismatched(
  selector: Selector,
  operator: ComparisonOperator,
  operand: Operand,
  value: string | number | boolean | null,
): boolean {
  let asText: boolean;
  if (operand.kind === "string") {
    const equal = wildcardEquals(operand.text, value === null ? "null" : String(value));
    asText = operator === "=" ? equal : !equal;
  } else {
    const coerced = typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
    asText = Number.isNaN(coerced) ? operator === "!=" : compareNumbers(operator, coerced, operand.value);
  }
  const readings = new Set([false, asText, operator === "!="]);
  if (readings.size > 1) {
    const shown = operand.kind === "string" && operand.quoted ? JSON.stringify(operand.text) : operand.text;
    throw new UndocumentedSemanticsError(
      `${selector.text} ${operator} ${shown} against the JSON value ${JSON.stringify(value)}: ` +
        "the documentation does not say how values of different types compare",
    );
  }
  return false;
}

function compareNumbers(operator: ComparisonOperator, value: number, operand: number): boolean {
  switch (operator) {
    case "=":
      return value === operand;
    case "!=":
      return value !== operand;
    case "<":
      return value < operand;
    case ">":
      return value > operand;
    case "<=":
      return value <= operand;
    case ">=":
      return value >= operand;
  }
}

function wildcardEquals(pattern: string, value: string): boolean {
  const leading = pattern.startsWith("*");
  const trailing = pattern.endsWith("*");
  const core = pattern.slice(leading ? 1 : 0, trailing ? -1 : undefined);
  if (leading && trailing) return value.includes(core);
  if (leading) return value.endsWith(core);
  if (trailing) return value.startsWith(core);
  return value === core;
}
