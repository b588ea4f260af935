/**
 * readCommonList (yaml11.ts) reads the shape almost every aws-auth section has without the go-yaml
 * port, and hands anything else to the port. This holds the two together: on the recorded aws-auth
 * texts in test/fixtures, the parity corpus, texts of the common shape (with every kind of key and
 * scalar resolve.go treats apart) and hostile variants of all of them, the common reading, when it
 * answers, is the port's to the last key order, and yamlToJson (which tries it first) answers
 * exactly what the port alone answers, errors included.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { readCommonList, yamlToJson, yamlToJsonByPort } from "../../lambda/core/yaml11.js";
import { makeCorpus, rng } from "../parity/corpus.js";

const FIXTURES = new URL("../fixtures/", import.meta.url);

/** Every string under a mapRoles or mapUsers key, in any JSON or YAML fixture. */
function fixtureTexts(): string[] {
  const texts: string[] = [];
  const collect = (value: unknown, key = ""): void => {
    if (typeof value === "string") {
      if (key === "mapRoles" || key === "mapUsers") texts.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) collect(item);
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) collect(v, k);
    }
  };
  const walk = (dir: URL): void => {
    for (const name of readdirSync(dir).sort()) {
      const url = new URL(name, dir);
      if (statSync(url).isDirectory()) walk(new URL(`${name}/`, dir));
      else if (/\.(json|jsonl|ya?ml)$/.test(name)) {
        const text = readFileSync(url, "utf8");
        const documents = name.endsWith(".jsonl") ? text.split("\n").filter((l) => l.trim() !== "") : [text];
        for (const document of documents) {
          try {
            collect(
              name.endsWith(".json") || name.endsWith(".jsonl") ? JSON.parse(document) : load(document),
            );
          } catch {
            // A fixture that is meant not to parse holds no aws-auth text to take.
          }
        }
      }
    }
  };
  walk(FIXTURES);
  return texts;
}

/** Keys of the common shape. */
const KEYS = [
  "rolearn",
  "username",
  "groups",
  "userarn",
  "userid",
  "sso",
  "Rolearn",
  "GROUPS",
  "__proto__",
  "constructor",
  "toString",
  "_",
  "k9",
  "a".repeat(64),
];

/** Keys outside it (too long, a resolve hint, a merge, not a word, not ASCII). */
const OTHER_KEYS = [
  "b".repeat(65),
  "name",
  "type",
  "Yes",
  "on",
  "n",
  "x-y",
  "1",
  "0x1",
  "~",
  ".a",
  "<<",
  "é",
];

/** Plain scalars of the common shape, with every kind resolve.go tells apart. */
const VALUES = [
  "arn:aws:iam::012345678901:role/team-1",
  "arn:aws:iam::012345678901:user/a.b@example.com",
  "system:node:{{EC2PrivateDNSName}}",
  "team-1:{{SessionName}}",
  "system:masters",
  "developers",
  "view-only",
  ...["y", "Y", "yes", "Yes", "YES", "n", "No", "on", "On", "OFF", "off", "true", "False", "TRUE"],
  ...["~", "null", "Null", "NULL", "nulls", "yesno"],
  ...["0", "00", "012345678901", "12345", "+1", "+0", "1_000", "_1", "1__0", "0x1F", "0X1f"],
  ...["0o17", "0b101", "0B2", "08", "1.5", ".5", "1.", "5e3", "+1e400", "1_0.5_0", "._5"],
  ...[".infinity", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "1e400", "-1e400"],
  ...["2001-12-14t21:59:43Z", "2001-13-14", "18446744073709551615", "18446744073709551616"],
  ...["9223372036854775807", "9223372036854775808", "+9223372036854775809", "0x", "+", ".", "+.", "1e"],
  ...[
    "a:b",
    "a::b",
    "a#b",
    "{{x}}",
    "a{b}",
    "a,b",
    "a]",
    "=",
    "<<",
    "a\\b",
    "x".repeat(1500),
    "a!&*|>'\"%@`",
  ],
];

/** Scalars outside it (an indicator first, a space, a ':' last, NaN and infinities, not ASCII). */
const OTHER_VALUES = [
  ...["-1", "-0", "-9223372036854775809", "-1e400", "-.", "2001-12-14 21:59:43.10", "a:", "#a", "{a}", "[a]"],
  ...["!tag", "&a", "*a", "|", ">", "'q'", '"q"', "%x", "@x", "`x", "-x", "?x", ":x", "a b", "a #b", "é"],
  ...[".nan", ".NaN", ".inf", "-.Inf", "+.INF", ""],
];

const INSERTS = [
  " ",
  "  ",
  "\t",
  "\r",
  "#c",
  " #c",
  "\n",
  "\n\n",
  "---\n",
  "...\n",
  "\ufeff",
  "é",
  "😀",
  "\u2028",
  "\u0085",
  "\x7f",
  "\x00",
  "\x0b",
];
const INSERTS_TOO = [
  "&a ",
  "*a",
  "!!str ",
  "!!int ",
  "? ",
  "<<: ",
  "'",
  '"',
  "[",
  "]",
  "{",
  "}",
  "|",
  ">",
  ":",
  "- ",
];

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * What may stand between quotes: the keys and scalars above (quoted, a resolve hint, a merge or a
 * number is a string as written), blanks, indicators and quotes of the other kind, and content
 * the common shape leaves to the port (a backslash or a quote of the same kind, a tab, a control
 * character, non-ASCII).
 */
const QUOTED_CONTENTS = [
  ...KEYS,
  ...OTHER_KEYS,
  ...VALUES,
  ...OTHER_VALUES,
  ...["", " ", "  a ", "a  b", "a: b", "a #b", "#", ": ", "- x", "---", "...", "'", "it's", '"', 'say "hi"'],
  ...["\\", "a\\b", "\\n", "\t", "\\u00e9", "\\x41", "a\tb", "\x01", "\x7f", "\u0085", "é", "😀", "\u2028"],
  ...["a".repeat(64), "a".repeat(65), "x".repeat(1500)],
];

/** Quoted scalars the common shape leaves to the port: escapes, '', lines, what follows the quote. */
const QUOTED_HOSTILE = [
  '"a\\"b"',
  '"a\\nb"',
  '"a\\',
  "'it''s'",
  "''''",
  "'a''",
  '"unterminated',
  "'unterminated",
  "\"x'",
  "'x\"",
  '"x"y',
  "'x'y",
  '"x" ',
  "'x' ",
  '"x" #c',
  '"x"#c',
  '"x":',
  '"x": y',
  "\"x\"'y'",
  '"a\n  b"',
  "'a\n  b'",
  '"a\n\n  b"',
  '"a\n"',
  '"\n  a"',
  '"é"',
  "'\t'",
  '"\x01"',
  '""""',
  '"x" "y"',
  '!!str "x"',
  '&a "x"',
];

type Quoting = "none" | "keys" | "values" | "both" | "mixed" | "single";

/** `content` as a double- or single-quoted scalar (a quote of the same kind escaped as YAML does). */
function quote(random: Random, content: string, single: boolean): string {
  if (single) return `'${content.replaceAll("'", "''")}'`;
  // Mostly as Terraform writes it; sometimes with the backslash and quote escaped.
  return random() < 0.8 ? `"${content}"` : `"${content.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** A text of the common shape, or near it: indentation, lists, keys and scalars drawn at random. */
function commonShape(random: Random, quoting: Quoting = "none"): string {
  // How often a key or scalar is drawn from outside the shape: never for half of the texts.
  const outside = random() < 0.5 ? 0 : random() * 0.2;
  const quoteKeys = quoting === "keys" || quoting === "both";
  const quoteValues = quoting === "values" || quoting === "both";
  const some = quoting === "mixed" || quoting === "single";
  // A key or scalar drawn as before, quoted as `quoting` says (mixed and single: some of them).
  const quoted = (plain: () => string, always: boolean): string => {
    if (!always && !some) return plain();
    if (some && random() < 0.4) return plain();
    if (random() < outside) return pick(random, QUOTED_HOSTILE);
    const content = random() < 0.7 ? plain() : pick(random, QUOTED_CONTENTS);
    return quote(random, content, quoting === "single" || random() < 0.15);
  };
  const key = () => quoted(() => pick(random, random() < outside ? OTHER_KEYS : KEYS), quoteKeys);
  const scalar = () => quoted(() => pick(random, random() < outside ? OTHER_VALUES : VALUES), quoteValues);
  const column = pick(random, [0, 0, 0, 2, 4, 1]);
  const lines: string[] = [];
  const entries = 1 + Math.floor(random() * 5);
  for (let e = 0; e < entries; e++) {
    const keys = 1 + Math.floor(random() * 4);
    for (let k = 0; k < keys; k++) {
      const keyColumn = column + 2;
      const lead = k === 0 ? `${" ".repeat(column)}- ` : " ".repeat(keyColumn);
      const name = key();
      if (random() < 0.35) {
        const itemColumn = pick(random, [keyColumn, keyColumn, keyColumn + 2, keyColumn + 1, keyColumn + 4]);
        lines.push(`${lead}${name}:`);
        const items = random() < 0.1 ? 0 : 1 + Math.floor(random() * 3);
        for (let i = 0; i < items; i++) lines.push(`${" ".repeat(itemColumn)}- ${scalar()}`);
      } else {
        lines.push(`${lead}${name}: ${scalar()}`);
      }
    }
  }
  return lines.join("\n") + (random() < 0.8 ? "\n" : "");
}

/** One to three hostile changes: a character or indicator put in, a line re-indented, doubled, dropped, a cut. */
function hostile(random: Random, text: string): string {
  let out = text;
  const changes = 1 + Math.floor(random() * 3);
  for (let c = 0; c < changes; c++) {
    const at = Math.floor(random() * (out.length + 1));
    const choice = random();
    if (choice < 0.35) out = out.slice(0, at) + pick(random, INSERTS) + out.slice(at);
    else if (choice < 0.55) out = out.slice(0, at) + pick(random, INSERTS_TOO) + out.slice(at);
    else if (choice < 0.7) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 3));
    else {
      const lines = out.split("\n");
      const i = Math.floor(random() * lines.length);
      const line = lines[i] ?? "";
      const how = random();
      if (how < 0.4) lines[i] = random() < 0.5 ? ` ${line}` : line.replace(/^ /, "");
      else if (how < 0.6) lines.splice(i, 0, line);
      else if (how < 0.8) lines.splice(i, 1);
      else lines[i] = `${line} `;
      out = lines.join("\n");
    }
  }
  return out;
}

/** Changes that quoting invites: quotes, backslashes, a doubled quote, a line broken inside quotes. */
const QUOTE_INSERTS = [
  '"',
  "'",
  "\\",
  '\\"',
  "''",
  "'': ",
  '"": ',
  '" ',
  "' ",
  '"#',
  "\n",
  "\n  ",
  " ",
  ":",
  "é",
  "\t",
  "\x01",
];

/** hostile(), or a change at a quote: something put in just before or after one. */
function hostileQuoted(random: Random, text: string): string {
  if (random() < 0.4) return hostile(random, text);
  const quotes = [...text.matchAll(/["']/g)].map((m) => m.index);
  if (quotes.length === 0) return hostile(random, text);
  const at = (pick(random, quotes) as number) + (random() < 0.5 ? 0 : 1);
  return text.slice(0, at) + pick(random, QUOTE_INSERTS) + text.slice(at);
}

interface Tally {
  texts: number;
  common: number;
}

/** Asserts the two readings agree on `text`; counts the texts readCommonList answered. */
function agree(text: string, tally: Tally): void {
  tally.texts++;
  const port = yamlToJsonByPort(text);
  const common = readCommonList(text);
  if (common !== undefined) {
    tally.common++;
    expect(port.ok, `the port refuses what readCommonList read: ${JSON.stringify(text)}`).toBe(true);
    const value = port.ok ? port.value : undefined;
    if (!isDeepStrictEqual(common, value) || JSON.stringify(common) !== JSON.stringify(value)) {
      expect.fail(
        `readCommonList and the port differ on ${JSON.stringify(text)}:\n${JSON.stringify(common)}\n${JSON.stringify(value)}`,
      );
    }
  }
  const answer = yamlToJson(text);
  if (!isDeepStrictEqual(answer, port) || JSON.stringify(answer) !== JSON.stringify(port)) {
    expect.fail(
      `yamlToJson and the port differ on ${JSON.stringify(text)}:\n${JSON.stringify(answer)}\n${JSON.stringify(port)}`,
    );
  }
}

describe("readCommonList: the common aws-auth shape read without the port", () => {
  it("reads the recorded aws-auth texts and their hostile variants as the port does", () => {
    // Prepare
    const random = rng(20261205);
    const texts = fixtureTexts();
    const tally: Tally = { texts: 0, common: 0 };
    // Act + Assess
    for (const text of texts) {
      agree(text, tally);
      for (let i = 0; i < 20; i++) agree(hostile(random, text), tally);
    }
    expect(texts.length).toBeGreaterThan(20);
    // Some recordings are of the common shape (eksctl's, the EKS guide's).
    expect(tally.common).toBeGreaterThan(10);
  });

  it("reads the parity corpus and its hostile variants as the port does", () => {
    // Prepare
    const random = rng(20261206);
    const tally: Tally = { texts: 0, common: 0 };
    // Act + Assess
    for (const variant of makeCorpus(2600, 20261129)) {
      for (const text of Object.values(variant.data)) {
        agree(text, tally);
        agree(hostile(random, text), tally);
      }
    }
    expect(tally.common).toBeGreaterThan(100);
  }, 120_000);

  it("reads texts of the common shape, every kind of key and scalar, and hostile variants as the port does", () => {
    // Prepare
    const random = rng(20261207);
    const tally: Tally = { texts: 0, common: 0 };
    // Act + Assess
    for (let i = 0; i < 12_000; i++) {
      const text = commonShape(random);
      agree(text, tally);
      agree(hostile(random, text), tally);
    }
    // Both sides of the boundary are reached: many texts are read directly, many go to the port.
    expect(tally.common).toBeGreaterThan(tally.texts / 8);
    expect(tally.common).toBeLessThan(tally.texts - tally.texts / 8);
  }, 120_000);

  it("reads quoted keys, values and items (Terraform's yamlencode, hand-written), and hostile variants, as the port does", () => {
    // Prepare
    const random = rng(20261208);
    const modes: Quoting[] = ["keys", "values", "both", "mixed", "single"];
    const tallies = new Map<Quoting, Tally>(modes.map((mode) => [mode, { texts: 0, common: 0 }]));
    // Act + Assess
    for (let i = 0; i < 15_000; i++) {
      const mode = modes[i % modes.length] as Quoting;
      const tally = tallies.get(mode) as Tally;
      const text = commonShape(random, mode);
      agree(text, tally);
      agree(hostileQuoted(random, text), tally);
    }
    // Every kind of quoting is read directly, and every kind also reaches the port.
    for (const tally of tallies.values()) {
      expect(tally.common).toBeGreaterThan(tally.texts / 8);
      expect(tally.common).toBeLessThan(tally.texts - tally.texts / 8);
    }
  }, 120_000);

  it("reads a Terraform yamlencode aws-auth and single-quoted values as the port does", () => {
    // Prepare
    const text = [
      '- "groups":',
      '  - "system:masters"',
      '  "rolearn": "arn:aws:iam::111122223333:role/admin"',
      '  "username": "admin"',
      "- rolearn: 'arn:aws:iam::111122223333:role/nodes'",
      "  'username': 'system:node:{{EC2PrivateDNSName}}'",
      "  groups:",
      "  - 'system:bootstrappers'",
      '  - "yes"',
      "",
    ].join("\n");
    // Act
    const common = readCommonList(text);
    // Assess
    expect(common).toEqual([
      { groups: ["system:masters"], rolearn: "arn:aws:iam::111122223333:role/admin", username: "admin" },
      {
        rolearn: "arn:aws:iam::111122223333:role/nodes",
        username: "system:node:{{EC2PrivateDNSName}}",
        groups: ["system:bootstrappers", "yes"],
      },
    ]);
    expect(yamlToJsonByPort(text)).toEqual({ ok: true, value: common });
  });

  it("reads a 2,000-entry aws-auth of the common shape", () => {
    // Prepare
    const entries = Array.from(
      { length: 2000 },
      (_, i) =>
        `- rolearn: arn:aws:iam::012345678901:role/team-${i}\n  username: team-${i}:{{SessionName}}\n  groups:\n    - developers\n    - view-only\n`,
    ).join("");
    // Act
    const common = readCommonList(entries);
    // Assess
    expect(common).toHaveLength(2000);
    expect(common?.[1999]).toEqual({
      rolearn: "arn:aws:iam::012345678901:role/team-1999",
      username: "team-1999:{{SessionName}}",
      groups: ["developers", "view-only"],
    });
    expect(yamlToJsonByPort(entries)).toEqual({ ok: true, value: common });
  });
});
