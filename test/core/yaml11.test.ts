/**
 * The YAML layer against go-yaml v2 (gopkg.in/yaml.v2 v2.4.0 `resolve.go` resolve, `decode.go`
 * scalar/mapping/merge, `yaml.go` Unmarshal) and sigs.k8s.io/yaml `yaml.go` (YAMLToJSON,
 * convertToJSONableObject), which is how aws-iam-authenticator reads mapRoles and mapUsers.
 */
import { describe, expect, it } from "vitest";
import {
  decodeGoStringList,
  parseGoYaml,
  resolvePlainScalar,
  type YamlValue,
} from "../../lambda/core/yaml11.js";

function parsed(text: string): YamlValue {
  const result = parseGoYaml(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.error}`);
  return result.value;
}

function failure(text: string): string {
  const result = parseGoYaml(text);
  if (result.ok)
    throw new Error(`expected ${JSON.stringify(text)} to fail, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe("resolvePlainScalar: go-yaml v2 resolve.go", () => {
  const table: Array<[text: string, value: string | number | boolean | null, why: string]> = [
    // resolveMap: booleans, every spelling go-yaml v2 lists, and near misses that stay strings
    ...["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].map(
      (t): [string, boolean, string] => [t, true, "resolveMap !!bool true"],
    ),
    ...["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"].map(
      (t): [string, boolean, string] => [t, false, "resolveMap !!bool false"],
    ),
    ["yEs", "yEs", "not in resolveMap"],
    ["TRue", "TRue", "not in resolveMap"],
    ["oN", "oN", "not in resolveMap"],
    ["t", "t", "not in resolveMap"],
    ["Y!", "Y!", "not in resolveMap"],
    // resolveMap: nulls
    ["", null, "resolveMap !!null"],
    ["~", null, "resolveMap !!null"],
    ["null", null, "resolveMap !!null"],
    ["Null", null, "resolveMap !!null"],
    ["NULL", null, "resolveMap !!null"],
    ["nULL", "nULL", "not in resolveMap"],
    ["none", "none", "not in resolveMap"],
    ["~~", "~~", "not in resolveMap"],
    // ints: strconv.ParseInt(plain, 0, 64) after removing every underscore, then ParseUint
    ["0", 0, "ParseInt"],
    ["7", 7, "ParseInt"],
    ["-7", -7, "ParseInt"],
    ["+7", 7, "ParseInt"],
    ["-0", 0, "ParseInt"],
    ["0x1F", 31, "ParseInt base prefix 0x"],
    ["0X1f", 31, "ParseInt base prefix 0X"],
    ["-0x1F", -31, "ParseInt"],
    ["0o17", 15, "ParseInt base prefix 0o"],
    ["0O17", 15, "ParseInt base prefix 0O"],
    ["017", 15, "ParseInt: a leading 0 is octal"],
    ["-017", -15, "ParseInt"],
    ["0b101", 5, "ParseInt base prefix 0b"],
    ["0B101", 5, "ParseInt base prefix 0B"],
    ["-0b101", -5, "ParseInt"],
    ["1_000", 1000, "underscores are removed first"],
    ["1__0", 10, "underscores are removed first"],
    ["0x_1F", 31, "underscores are removed first"],
    ["9223372036854775807", Number(9223372036854775807n), "int64 max"],
    ["-9223372036854775808", Number(-9223372036854775808n), "int64 min"],
    ["18446744073709551615", Number(18446744073709551615n), "ParseUint: uint64 max"],
    // leading-zero numbers with 8 or 9 are no octal: ParseInt fails, yamlStyleFloat matches
    ["012345678901", 12345678901, "octal fails, yamlStyleFloat → float64"],
    ["08", 8, "octal fails, yamlStyleFloat → float64"],
    // out of range for int64 and uint64
    ["18446744073709551616", Number(18446744073709551616n), "no int: yamlStyleFloat → float64"],
    ["-9223372036854775809", Number(-9223372036854775809n), "no int: yamlStyleFloat → float64"],
    ["0x10000000000000000", "0x10000000000000000", "no int, no float: stays a string"],
    [
      `-0b${"1".repeat(70)}`,
      `-0b${"1".repeat(70)}`,
      "no int (the -0b fallback overflows too): stays a string",
    ],
    // floats: yamlStyleFloat then ParseFloat; special values from resolveMap
    ["1.5", 1.5, "yamlStyleFloat"],
    [".5", 0.5, "hint '.': ParseFloat"],
    ["-.5", -0.5, "yamlStyleFloat"],
    ["+.5", 0.5, "yamlStyleFloat"],
    ["1.", 1, "yamlStyleFloat"],
    ["1e3", 1000, "yamlStyleFloat"],
    ["1E3", 1000, "yamlStyleFloat"],
    ["1.5e-3", 0.0015, "yamlStyleFloat"],
    ["6.02e+23", 6.02e23, "yamlStyleFloat"],
    ["1_0.5", 10.5, "underscores removed, yamlStyleFloat"],
    [".5_5", 0.55, "hint '.': ParseFloat accepts an underscore between digits"],
    ["._5", "._5", "hint '.': ParseFloat refuses an underscore after the point"],
    ["1e-400", 0, "ParseFloat underflow is 0, no error"],
    [".inf", Number.POSITIVE_INFINITY, "resolveMap"],
    [".Inf", Number.POSITIVE_INFINITY, "resolveMap"],
    [".INF", Number.POSITIVE_INFINITY, "resolveMap"],
    ["+.inf", Number.POSITIVE_INFINITY, "resolveMap"],
    ["-.inf", Number.NEGATIVE_INFINITY, "resolveMap"],
    ["-.Inf", Number.NEGATIVE_INFINITY, "resolveMap"],
    ["-.INF", Number.NEGATIVE_INFINITY, "resolveMap"],
    [".nan", Number.NaN, "resolveMap"],
    [".NaN", Number.NaN, "resolveMap"],
    [".NAN", Number.NaN, "resolveMap"],
    [".INf", ".INf", "not in resolveMap, not a float"],
    ["-.nan", "-.nan", "not in resolveMap, not a float"],
    ["inf", "inf", "not in resolveMap"],
    ["NaN", "NaN", "not in resolveMap"],
    ["Infinity", "Infinity", "not a number hint"],
    ["-Infinity", "-Infinity", "yamlStyleFloat refuses it"],
    // overflow: ParseFloat's range error leaves the string
    ["1e400", "1e400", "ParseFloat range error"],
    ["-1e400", "-1e400", "ParseFloat range error"],
    [".1e400", ".1e400", "ParseFloat range error"],
    // no int, no float
    ["0x", "0x", "not a number"],
    ["0o", "0o", "not a number"],
    ["0b", "0b", "not a number"],
    ["0b2", "0b2", "not a number"],
    ["0o8", "0o8", "not a number"],
    ["0x1p-2", "0x1p-2", "hex float: yamlStyleFloat refuses it"],
    ["1.2.3", "1.2.3", "not a number"],
    ["1,000", "1,000", "not a number"],
    ["1e", "1e", "not a number"],
    ["e3", "e3", "not a number"],
    [".", ".", "not a number"],
    ["-", "-", "not a number"],
    ["+", "+", "not a number"],
    ["--1", "--1", "not a number"],
    ["_1", "_1", "no number hint"],
    // timestamps decode to their text in an interface{} (decode.go), sexagesimal is unsupported
    ["2001-12-14", "2001-12-14", "timestamp: kept as a string in interface{}"],
    ["2001-12-14T21:59:43.10Z", "2001-12-14T21:59:43.10Z", "timestamp: kept as a string"],
    ["12:30:00", "12:30:00", "base 60 is unsupported"],
    ["<<", "<<", "a merge key's value is its text"],
    ["arn:aws:iam::012345678901:role/x", "arn:aws:iam::012345678901:role/x", "a string"],
  ];

  it.each(table)("%j → %j (%s)", (text, value) => {
    expect(resolvePlainScalar(text)).toBe(value);
  });

  it("parseGoYaml resolves plain scalars that way and leaves quoted ones alone", () => {
    expect(parseGoYaml("[yes, 'yes', 012, '012', ~, 1e400, 0x1F]")).toEqual({
      ok: true,
      value: [true, "yes", 10, "012", null, "1e400", 31],
    });
  });
});

describe("parseGoYaml: the tree YAMLToJSON builds", () => {
  it("quoted and block scalars are always strings", () => {
    expect(parsed(`['yes', "no", '012345678901', "~", 'null', "1e3", '.inf', "0x1F"]`)).toEqual([
      "yes",
      "no",
      "012345678901",
      "~",
      "null",
      "1e3",
      ".inf",
      "0x1F",
    ]);
    expect(parsed("- |\n  yes\n- >-\n  012\n- !!str on\n")).toEqual(["yes\n", "012", "on"]);
  });

  it("plain scalars resolve as go-yaml v2 resolves them, in values and in lists", () => {
    expect(parsed("a: yes\nb: [on, off, 012345678901, 0o17, 1_000, ~, '']\nc:\n")).toEqual({
      a: true,
      b: [true, false, 12345678901, 15, 1000, null, ""],
      c: null,
    });
  });

  it("an explicit tag decides: !!int '12' is 12, !!str 12 is '12', an impossible !!int fails", () => {
    expect(parsed(`[!!int "12", !!str 12, !!bool "yes", !!null ""]`)).toEqual([12, "12", true, null]);
    expect(failure("- !!int abc\n")).toBe("cannot decode !!str `abc` as a !!int");
  });

  it("duplicate keys: the last one wins, whatever their quoting", () => {
    expect(parsed('a: 1\nb: 2\na: 3\n"b": 4\n')).toEqual({ a: 3, b: 4 });
    expect(parsed("{a: 1, a: 2}")).toEqual({ a: 2 });
  });

  it("non-string keys become JSON keys the way convertToJSONableObject writes them", () => {
    expect(parsed("1: a\n0x10: b\nyes: c\n1.5: d\n2001-01-01: e\n")).toEqual({
      "1": "a",
      "16": "b",
      true: "c",
      "1.5": "d",
      "2001-01-01": "e",
    });
  });

  it("a scalar of any length is read whole (go-yaml has no limit; none of them overflows the stack)", () => {
    const long = "x".repeat(300_000);
    expect(parsed(`- ${long}\n- '${long}'\n- "${long}"\n- |\n  ${long}\n`)).toEqual([
      long,
      long,
      long,
      `${long}\n`,
    ]);
    const wrapped = `- ${"ab ".repeat(100_000)}\n  ${"\n".repeat(100_000)}  tail\n`;
    expect(parsed(wrapped)).toEqual([`${"ab ".repeat(100_000).trimEnd()}${"\n".repeat(100_000)}tail`]);
  });

  it("a __proto__ key is an ordinary key", () => {
    const value = parsed("__proto__: {polluted: yes}\n") as Record<string, YamlValue>;
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("only the first document counts, even when a later one does not parse", () => {
    expect(parsed("- a\n---\n- b\n")).toEqual(["a"]);
    expect(parsed("---\n- a\n...\n--- [broken\n")).toEqual(["a"]);
    expect(parsed("- a\n# the end\n\n---\n- : [\n")).toEqual(["a"]);
    expect(failure("- a\nb: c\n---\n- d\n")).toBe("yaml: line 1: did not find expected '-' indicator");
  });

  it("empty input, comments only, or a null document are null", () => {
    expect(parsed("")).toBeNull();
    expect(parsed("# nothing\n")).toBeNull();
    expect(parsed("~\n")).toBeNull();
  });

  describe("complex keys are rejected", () => {
    it.each([
      [
        "an unquoted {{SessionName}} (a flow mapping whose key is a mapping)",
        "- username: {{SessionName}}\n",
        "invalid map key: a mapping used as a key",
      ],
      ["an explicit mapping key", "? {a: 1}\n: x\n", "invalid map key: a mapping used as a key"],
      ["a flow sequence as key", "- [a, b]: c\n", "invalid map key: a sequence used as a key"],
      [
        "a block sequence as explicit key",
        "? - a\n  - b\n: c\n",
        "invalid map key: a sequence used as a key",
      ],
      ["~ as key", "~: x\n", "Unsupported map key of type: <nil>"],
      ["null as key", "- null: x\n", "Unsupported map key of type: <nil>"],
      ["NULL as key", "{NULL: x}", "Unsupported map key of type: <nil>"],
      ["an empty explicit key", "? \n: x\n", "Unsupported map key of type: <nil>"],
      [
        "a uint64 key (sigs.k8s.io/yaml converts int, int64, float64, bool)",
        "18446744073709551615: x\n",
        "Unsupported map key of type: uint64",
      ],
      [
        "an empty key in a flow mapping (go-yaml: no node content)",
        "{: x}",
        "did not find expected node content",
      ],
    ])("%s", (_name, text, error) => {
      expect(failure(text)).toContain(error);
    });

    it("quoted '~' and 'null' are ordinary string keys", () => {
      expect(parsed("'~': a\n\"null\": b\n")).toEqual({ "~": "a", null: "b" });
    });

    it("a complex key nested deep in an entry still fails the whole document", () => {
      expect(failure("- rolearn: x\n  extra:\n    - {[a]: b}\n")).toContain("a sequence used as a key");
    });
  });

  describe("merge keys: go-yaml v2 decode.go merges into the map where the << stands", () => {
    it("overwrites keys before it, is overwritten by keys after it", () => {
      expect(parsed("a: 1\nb: 1\n<<: {a: 2, c: 2}\nb: 3\n")).toEqual({ a: 2, b: 3, c: 2 });
    });

    it("a sequence of mappings is merged last to first: earlier mappings take precedence", () => {
      expect(parsed("<<: [{a: 1}, {a: 2, b: 2}]\n")).toEqual({ a: 1, b: 2 });
    });

    it("an alias to an anchored mapping merges its keys", () => {
      expect(parsed("- &base {username: u, groups: [g]}\n- <<: *base\n  username: v\n")).toEqual([
        { username: "u", groups: ["g"] },
        { username: "v", groups: ["g"] },
      ]);
    });

    it("a quoted '<<' is an ordinary key; a merge of anything but mappings fails", () => {
      expect(parsed("'<<': {a: 1}\n")).toEqual({ "<<": { a: 1 } });
      expect(failure("<<: foo\n")).toContain("map merge requires map or sequence of maps");
      expect(failure("<<: [{a: 1}, b]\n")).toContain("map merge requires map or sequence of maps");
      expect(failure("<<: ~\n")).toContain("map merge requires map or sequence of maps");
    });
  });

  it("anchors and aliases expand", () => {
    expect(parsed("- &a foo\n- *a\n- &m {x: 1}\n- *m\n")).toEqual(["foo", "foo", { x: 1 }, { x: 1 }]);
  });

  it("a billion-laughs document fails with go-yaml's 'excessive aliasing', quickly", () => {
    let text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 30; i++)
      text += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]\n`;
    expect(failure(text)).toBe("document contains excessive aliasing");
    // Ordinary reuse of an anchor is fine.
    const reuse = `- &base {username: u, groups: [g]}\n${Array.from({ length: 200 }, (_, i) => `- <<: *base\n  rolearn: r${i}\n`).join("")}`;
    expect(parsed(reuse)).toHaveLength(201);
  });

  it("NaN and infinities pass through (the JSON check is the caller's: aws-auth.ts)", () => {
    expect(parsed("[.nan, .inf]")).toEqual([Number.NaN, Number.POSITIVE_INFINITY]);
  });

  it("syntax errors are reported with go-yaml's message", () => {
    expect(failure("- rolearn: [unclosed\n")).toBe("yaml: line 1: did not find expected ',' or ']'");
    expect(failure("- a\n\t- b\n")).toBe("yaml: line 2: found a tab character that violates indentation");
  });
});

describe("decodeGoStringList: yaml.Unmarshal into []string (how mapAccounts is read)", () => {
  it("keeps every scalar's text as written; null is ''; mappings and lists are skipped", () => {
    expect(
      decodeGoStringList(
        '- 012345678901\n- "111122223333"\n- yes\n- ~\n- {a: 1}\n- [b]\n- !!int 012\n- 1e400\n- .nan\n-\n',
      ),
    ).toEqual({
      ok: true,
      items: ["012345678901", "111122223333", "yes", "", "012", "1e400", ".nan", ""],
      skipped: [
        { index: 4, kind: "mapping" },
        { index: 5, kind: "sequence" },
      ],
    });
  });

  it("a flow list or JSON keeps the text too; complex keys inside skipped items do not fail it", () => {
    expect(decodeGoStringList("[012, 0x1F, '3']")).toEqual({
      ok: true,
      items: ["012", "0x1F", "3"],
      skipped: [],
    });
    expect(decodeGoStringList('["012345678901"]')).toEqual({
      ok: true,
      items: ["012345678901"],
      skipped: [],
    });
    expect(decodeGoStringList("- {[a]: b, ~: c}\n- 1\n")).toEqual({
      ok: true,
      items: ["1"],
      skipped: [{ index: 0, kind: "mapping" }],
    });
  });

  it("empty or null is a nil slice; a single value or a mapping is a type error", () => {
    expect(decodeGoStringList("")).toEqual({ ok: true, items: null, skipped: [] });
    expect(decodeGoStringList("~\n")).toEqual({ ok: true, items: null, skipped: [] });
    expect(decodeGoStringList("012345678901")).toEqual({
      ok: false,
      error: "cannot unmarshal !!float `0123456...` into []string",
    });
    expect(decodeGoStringList("{a: 1}")).toEqual({
      ok: false,
      error: "cannot unmarshal !!map into []string",
    });
    expect(decodeGoStringList("- [unclosed\n").ok).toBe(false);
  });

  it("reads only the first document", () => {
    expect(decodeGoStringList("- '1'\n---\n- : [\n")).toEqual({ ok: true, items: ["1"], skipped: [] });
  });
});
