/**
 * Unit tests of the CloudWatch Logs JSON filter-pattern evaluator.
 *
 * Expected results marked [doc] are the ones stated in "Filter and Pattern Syntax", Amazon CloudWatch Logs
 * User Guide (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html, read from
 * github.com/awsdocs/amazon-cloudwatch-logs-user-guide doc_source/FilterAndPatternSyntax.md @ 5ae5c9a):
 * the sample log events and patterns are the documentation's own. [azul#5884] is the behaviour of `!=` on a
 * missing field observed in the CloudWatch console (github.com/DataBiosphere/azul/issues/5884). Everything
 * else is this evaluator's documented refusal to guess.
 */
import { describe, expect, it } from "vitest";
import {
  compileFilterPattern,
  FilterPatternSyntaxError,
  MAX_FILTER_PATTERN_LENGTH,
  matchesFilterPattern,
  UndocumentedSemanticsError,
} from "./filter-pattern.js";

/** [doc] "JSON Metric Filter Examples": the sample event. */
const DOC_EVENT = JSON.stringify({
  eventType: "UpdateTrail",
  sourceIPAddress: "111.111.111.111",
  arrayKey: ["value", "another value"],
  objectList: [
    { name: "a", id: 1 },
    { name: "b", id: 2 },
  ],
  SomeObject: null,
  ThisFlag: true,
});

/** [doc] "JSON Compound Conditions": the sample event. */
const DOC_COMPOUND_EVENT = JSON.stringify({
  user: { id: 1, email: "John.Stiles@example.com" },
  users: [
    { id: 2, email: "John.Doe@example.com" },
    { id: 3, email: "Jane.Doe@example.com" },
  ],
  actions: ["GET", "PUT", "DELETE"],
  coordinates: [
    [0, 1, 2],
    [4, 5, 6],
    [7, 8, 9],
  ],
});

describe("documented examples", () => {
  it.each([
    '{ $.eventType = "UpdateTrail" }',
    "{ $.sourceIPAddress != 123.123.* }",
    '{ $.arrayKey[0] = "value" }',
    "{ $.objectList[1].id = 2 }",
    "{ $.SomeObject IS NULL }",
    "{ $.SomeOtherObject NOT EXISTS }",
    "{ $.ThisFlag IS TRUE }",
  ])("[doc] %s matches the sample event", (pattern) => {
    // Prepare
    const compiled = compileFilterPattern(pattern);

    // Act
    const matched = compiled.matches(DOC_EVENT);

    // Assess
    expect(matched).toBe(true);
  });

  it.each([
    ['{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', true],
    ['{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', false],
    [
      '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
      true,
    ],
    [
      '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }',
      false,
    ],
  ] as const)("[doc] compound %s -> %s", (pattern, expected) => {
    // Prepare
    const compiled = compileFilterPattern(pattern);

    // Act
    const matched = compiled.matches(DOC_COMPOUND_EVENT);

    // Assess
    expect(matched).toBe(expected);
  });

  it("[doc] OR in JSON filters: {$.foo = bar || $.foo = baz} matches both events", () => {
    // Prepare
    const pattern = "{$.foo = bar || $.foo = baz }";

    // Act
    const results = ['{"foo": "bar"}', '{"foo": "baz"}', '{"foo": "qux"}'].map((m) =>
      matchesFilterPattern(pattern, m),
    );

    // Assess
    expect(results).toEqual([true, true, false]);
  });
});

describe("precedence: () > && > ||", () => {
  const message = JSON.stringify({ a: "x", b: "no", c: "no" });

  it("a || b && c groups as a || (b && c)", () => {
    // Prepare
    const pattern = "{ $.a = x || $.b = yes && $.c = yes }";

    // Act
    const matched = matchesFilterPattern(pattern, message);

    // Assess
    expect(matched).toBe(true);
  });

  it("parentheses override: (a || b) && c", () => {
    // Prepare
    const pattern = "{ ($.a = x || $.b = yes) && $.c = yes }";

    // Act
    const matched = matchesFilterPattern(pattern, message);

    // Assess
    expect(matched).toBe(false);
  });

  it("a && b || c groups as (a && b) || c", () => {
    // Prepare
    const pattern = "{ $.b = yes && $.c = yes || $.a = x }";

    // Act
    const matched = matchesFilterPattern(pattern, message);

    // Assess
    expect(matched).toBe(true);
  });

  it("nested parentheses and no spaces around operators", () => {
    // Prepare
    const pattern = '{((($.a="x")&&($.b!="yes"))||($.c="yes"))}';

    // Act
    const matched = matchesFilterPattern(pattern, message);

    // Assess
    expect(matched).toBe(true);
  });
});

describe("string values and the * wildcard", () => {
  const message = JSON.stringify({ name: "PutEventName", ip: "111.111.111.111", n: 123 });

  it.each([
    ["{ $.name = PutEventName }", true],
    ['{ $.name = "PutEventName" }', true],
    ["{ $.name = putEventName }", false], // case sensitive
    ["{ $.name = PutEvent }", false], // no implicit substring match
    ["{ $.name = PutEvent* }", true], // [doc] Event* matches EventId
    ["{ $.name = *EventName }", true], // [doc] *Event matches PutEvent
    ["{ $.name = *Event* }", true],
    ['{ $.name = "*Event*" }', true], // quoted values take the wildcard too ([doc] "with or without quotes")
    ["{ $.name = *Get* }", false],
    ["{ $.name = * }", true],
    ["{ $.n = * }", true], // [doc] { $.latency = * } selects events that have a numeric latency
    ["{ $.ip != 123.123.* }", true], // [doc]
    ["{ $.ip != 111.* }", false],
    ['{ $.ip = "111.111.111.111" }', true],
    ["{ $.ip = 111.111.111.111 }", true], // not a NUMBER, so an unquoted string
  ] as const)("%s -> %s", (pattern, expected) => {
    // Prepare
    const compiled = compileFilterPattern(pattern);

    // Act
    const matched = compiled.matches(message);

    // Assess
    expect(matched).toBe(expected);
  });

  it("refuses a * in the middle of a value ([doc] says literal, AWS results say wildcard)", () => {
    // Prepare
    const pattern = "{ $.name = Put*Name }";

    // Act
    const act = () => compileFilterPattern(pattern);

    // Assess
    expect(act).toThrow(FilterPatternSyntaxError);
  });
});

describe("numbers", () => {
  const message = JSON.stringify({ latency: 500, code: 403, small: 0.005, neg: -2 });

  it.each([
    ["{ $.latency >= 500 }", true],
    ["{ $.latency > 500 }", false],
    ["{ $.latency > +499 }", true],
    ["{ $.latency < 10e3 }", true],
    ["{ $.small < 10e-3 }", true],
    ["{ $.latency = 500.0 }", true],
    ["{ $.code = 403 }", true],
    ["{ $.code != 403 }", false],
    ["{ $.code >= 400 && $.code <= 499 }", true],
    ["{ $.neg < -1 }", true],
  ] as const)("%s -> %s", (pattern, expected) => {
    // Prepare
    const compiled = compileFilterPattern(pattern);

    // Act
    const matched = compiled.matches(message);

    // Assess
    expect(matched).toBe(expected);
  });
});

describe("missing fields, null and booleans", () => {
  const message = JSON.stringify({ present: "v", nothing: null, yes: true, no: false, obj: { inner: "i" } });

  it.each([
    ["{ $.absent = v }", false],
    ["{ $.absent != v }", false], // [azul#5884]: != does not match a missing field
    ["{ $.absent NOT EXISTS }", true],
    ["{ $.absent IS NULL }", false],
    ["{ $.nothing IS NULL }", true],
    ["{ $.nothing NOT EXISTS }", false], // null is present
    ["{ $.present NOT EXISTS }", false],
    ["{ $.obj.inner NOT EXISTS }", false],
    ["{ $.obj.other NOT EXISTS }", true],
    ["{ $.present.deeper NOT EXISTS }", true], // a path through a string resolves to nothing
    ["{ $.present.deeper = v }", false],
    ["{ $.yes IS TRUE }", true],
    ["{ $.yes IS FALSE }", false],
    ["{ $.no IS FALSE }", true],
    ["{ $.absent IS FALSE }", false],
    ["{ $.present IS TRUE }", false],
  ] as const)("%s -> %s", (pattern, expected) => {
    // Prepare
    const compiled = compileFilterPattern(pattern);

    // Act
    const matched = compiled.matches(message);

    // Assess
    expect(matched).toBe(expected);
  });
});

describe("arrays and objects", () => {
  const message = JSON.stringify({ users: [1, 2, 3], obj: { a: "b" }, list: [{ id: "x" }] });

  it.each([
    ["{ $.users = 1 }", false], // [doc] a selector on an array never matches
    ["{ $.users != 1 }", false], // [doc] ... not even with !=
    ["{ $.users = * }", false],
    ["{ $.obj = b }", false],
    ["{ $.obj != b }", false],
    ["{ $.users IS NULL }", false],
    ["{ $.users NOT EXISTS }", false],
    ["{ $.users[0] = 1 }", true],
    ["{ $.users[3] = 1 }", false], // out of range
    ["{ $.users[3] NOT EXISTS }", true],
    ['{ $.list[0].id = "x" }', true],
    ["{ $.obj[0] NOT EXISTS }", true], // [doc] an index into a non-array is false
  ] as const)("%s -> %s", (pattern, expected) => {
    // Prepare
    const compiled = compileFilterPattern(pattern);

    // Act
    const matched = compiled.matches(message);

    // Assess
    expect(matched).toBe(expected);
  });
});

describe("messages that are not JSON objects never match", () => {
  it.each([
    ["plain text", 'time="2026-11-22T13:03:51Z" level=info msg="access granted" verb=update'],
    ["cut-off JSON", '{"kind":"Event","verb":"update","objectRef":{"name":"aws-a[Truncated...]'],
    ["JSON with a text prefix", '2026-11-22T13:03:51Z INFO {"a": "x"}'],
    ["a JSON array", '[{"a": "x"}]'],
    ["a JSON string", '"x"'],
    ["empty", ""],
  ])("%s", (_label, message) => {
    // Prepare: patterns that would match anything JSON-shaped, even an empty object
    const patterns = ["{ $.a = x }", "{ $.a NOT EXISTS }", "{ $.a = x || $.a NOT EXISTS }"];

    // Act
    const results = patterns.map((p) => matchesFilterPattern(p, message));

    // Assess
    expect(results).toEqual([false, false, false]);
  });

  it("the same patterns do match a JSON object (control)", () => {
    // Prepare
    const message = '  {"a": "x"}\n';

    // Act
    const results = ["{ $.a = x }", "{ $.b NOT EXISTS }"].map((p) => matchesFilterPattern(p, message));

    // Assess
    expect(results).toEqual([true, true]);
  });
});

describe("syntax it does not understand is refused", () => {
  it.each([
    ["a text pattern", "ERROR"],
    ["a space-delimited pattern", "[ip, user, status_code = 4*]"],
    ["an empty pattern", ""],
    ["a regex value", "{ $.a = %ab+c% }"],
    ["==", "{ $.a == x }"],
    ["EXISTS", "{ $.a EXISTS }"],
    ["lower-case keyword", "{ $.a is null }"],
    ["$[0]", "{ $[0] = x }"],
    ["a bare $", "{ $ = x }"],
    ["a dotted key", '{ $.annotations.authorization.k8s.io/decision = "allow" }'],
    ["an unquoted value with @", "{ $.email = a@b.c }"],
    ["an unquoted value with /", "{ $.uri = /api/v1 }"],
    ["a backslash in a quoted value", '{ $.a = "x\\"y" }'],
    ["an unterminated string", '{ $.a = "x }'],
    ["an unbalanced parenthesis", "{ ($.a = x }"],
    ["a missing closing brace", "{ $.a = x"],
    ["text after the closing brace", "{ $.a = x } y"],
    ["a missing value", "{ $.a = }"],
    ["a dangling operator", "{ $.a = x && }"],
    ["a numeric operator with a string", "{ $.a > x }"],
    ["a single-operand NOT", "{ NOT $.a = x }"],
    ["** as a value", "{ $.a = ** }"],
  ])("%s: %s", (_label, pattern) => {
    // Prepare
    const act = () => compileFilterPattern(pattern);

    // Act + Assess
    expect(act).toThrow(FilterPatternSyntaxError);
  });

  it(`refuses a pattern longer than ${MAX_FILTER_PATTERN_LENGTH} characters (API limit)`, () => {
    // Prepare
    const pattern = `{ $.a = "${"x".repeat(MAX_FILTER_PATTERN_LENGTH)}" }`;

    // Act
    const act = () => compileFilterPattern(pattern);

    // Assess
    expect(act).toThrow(FilterPatternSyntaxError);
  });

  it("accepts the shape aws-cdk-lib renders (quoted values, every clause in parentheses)", () => {
    // Prepare
    const pattern = '{ ($.a = "x-y") && ($.b NOT EXISTS) && (($.v = "c") || ($.v = "d")) && ($.e = "*") }';

    // Act
    const matched = matchesFilterPattern(pattern, JSON.stringify({ a: "x-y", v: "d", e: 1 }));

    // Assess
    expect(matched).toBe(true);
  });
});

describe("comparisons the documentation leaves open are refused at evaluation", () => {
  it.each([
    ["a string value against a boolean", "{ $.flag = true }", { flag: true }],
    ["!= against null", "{ $.n != x }", { n: null }],
    ["a NUMBER against a JSON string", "{ $.code = 200 }", { code: "200" }],
    ["a quoted string against a JSON number", '{ $.code = "200" }', { code: 200 }],
    ["a prefix wildcard against a JSON number", "{ $.code = 2* }", { code: 200 }],
    ["* against null", "{ $.n = * }", { n: null }],
    ["a NUMBER ordering against a numeric JSON string", "{ $.code >= 100 }", { code: "200" }],
  ])("%s", (_label, pattern, event) => {
    // Prepare
    const compiled = compileFilterPattern(pattern);

    // Act
    const act = () => compiled.matches(JSON.stringify(event));

    // Assess
    expect(act).toThrow(UndocumentedSemanticsError);
  });

  it.each([
    ["[doc] a word against a JSON number", "{ $.n = nonmatch }", { n: 1 }],
    ["a word against a boolean", "{ $.flag = x }", { flag: true }],
    ["a NUMBER against a non-numeric JSON string", "{ $.code = 200 }", { code: "OK" }],
    ["a NUMBER against null", "{ $.code < 5 }", { code: null }],
  ])("returns false without throwing when every reading agrees: %s", (_label, pattern, event) => {
    // Prepare
    const compiled = compileFilterPattern(pattern);

    // Act
    const matched = compiled.matches(JSON.stringify(event));

    // Assess
    expect(matched).toBe(false);
  });

  it("throws even when an earlier && clause is already false (no short-circuit, so clause order cannot hide it)", () => {
    // Prepare
    const compiled = compileFilterPattern("{ $.kind = x && $.flag = true }");

    // Act
    const act = () => compiled.matches(JSON.stringify({ kind: "y", flag: true }));

    // Assess
    expect(act).toThrow(UndocumentedSemanticsError);
  });
});
