/**
 * A seeded generator of aws-auth ConfigMap data for the differential test: realistic mappings
 * (node, Fargate, admin, SSO and developer roles, IAM users, accounts) rendered with random YAML
 * styles, then bent by one "family" of the ways real and hostile writes differ. Each variant
 * carries the caller ARNs to probe: the callers its mappings are meant for, and a few others.
 */

export interface Variant {
  id: number;
  family: Family;
  data: Record<string, string>;
  probes: string[];
}

export const FAMILIES = [
  "tabs",
  "tags",
  "multi-root",
  "json-escapes",
  "arn-case",
  "empty-dash",
  "directives-and-unicode",
  "uint64-keys",
  "sso-collision",
  "yaml11-username",
  "quoting",
  "flow-block",
  "json",
  "comments",
  "anchors-merges",
  "duplicates",
  "key-case",
  "yaml11-scalars",
  "nulls",
  "lists-for-strings",
  "unknown-keys",
  "path-and-sso-arns",
  "map-accounts",
  "multi-document",
  "invalid-yaml",
  "data-keys",
] as const;
export type Family = (typeof FAMILIES)[number];

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const chance = (r: Rand, p: number) => r() < p;
const int = (r: Rand, n: number) => Math.floor(r() * n);

type Node = string | Node[] | { [key: string]: Node } | RawScalar;
/** A scalar written exactly as given (a tag, an alias, a YAML 1.1 literal). */
class RawScalar {
  constructor(readonly text: string) {}
}
const raw = (text: string) => new RawScalar(text);

const ACCOUNTS = ["111122223333", "012345678901", "444455556666"];
const SESSIONS = ["i-0123456789abcdef0", "jane@example.com", "i-01234567"];

interface Spec {
  roles: Array<{ [key: string]: Node }>;
  users: Array<{ [key: string]: Node }>;
  accounts: string[];
  probes: Set<string>;
}

function roleEntry(r: Rand, spec: Spec): { [key: string]: Node } {
  const account = pick(r, ACCOUNTS);
  const kind = pick(r, ["node", "node", "fargate", "admin", "dev", "sso", "path", "hybrid"] as const);
  const name =
    kind === "node"
      ? pick(r, ["NodeInstanceRole", "eksctl-prod-nodegroup-NodeInstanceRole-1A2B3C", "nodes.prod"])
      : kind === "fargate"
        ? "AmazonEKSFargatePodExecutionRole"
        : kind === "admin"
          ? pick(r, ["eks-admin", "Admin", "platform_admin"])
          : kind === "sso"
            ? pick(r, [
                "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
                "AWSReservedSSO_ReadOnly_fedcba9876543210",
              ])
            : kind === "hybrid"
              ? "AmazonEKSHybridNodesRole"
              : pick(r, ["dev", "Developer", "ci@deploy", "ci.deploy+x"]);
  const path =
    kind === "path" || (kind === "sso" && chance(r, 0.5))
      ? pick(r, ["service-role/", "aws-reserved/sso.amazonaws.com/eu-west-1/", "team/a/"])
      : "";
  const arn = `arn:aws:iam::${account}:role/${path}${name}`;
  for (const s of SESSIONS) spec.probes.add(`arn:aws:sts::${account}:assumed-role/${name}/${s}`);
  spec.probes.add(`arn:aws:sts::${account}:assumed-role/${name.toUpperCase()}/x`);
  const [username, groups] =
    kind === "node"
      ? ["system:node:{{EC2PrivateDNSName}}", ["system:bootstrappers", "system:nodes"]]
      : kind === "fargate"
        ? ["system:node:{{SessionName}}", ["system:bootstrappers", "system:nodes", "system:node-proxier"]]
        : kind === "hybrid"
          ? ["system:node:{{SessionName}}", ["system:bootstrappers", "system:nodes"]]
          : kind === "admin" || kind === "sso"
            ? [pick(r, ["admin", "admin:{{SessionName}}", "{{SessionNameRaw}}"]), ["system:masters"]]
            : [pick(r, ["dev", "dev:{{AccountID}}:{{SessionName}}", "{{AccessKeyID}}"]), ["view", "edit"]];
  return { rolearn: arn, username, groups };
}

function userEntry(r: Rand, spec: Spec): { [key: string]: Node } {
  const account = pick(r, ACCOUNTS);
  const name = pick(r, ["alice", "Bob", "ops/carol", "deploy-bot"]);
  const arn = `arn:aws:iam::${account}:user/${name}`;
  spec.probes.add(arn);
  spec.probes.add(arn.toUpperCase().replace("ARN:AWS:IAM", "arn:aws:iam"));
  return {
    userarn: arn,
    username: pick(r, [name.replace("/", "-"), "admin", "system:node:{{EC2PrivateDNSName}}"]),
    groups: pick(r, [["system:masters"], ["view"], []]),
  };
}

function baseSpec(r: Rand): Spec {
  const spec: Spec = { roles: [], users: [], accounts: [], probes: new Set() };
  const roleCount = 1 + int(r, 4);
  for (let i = 0; i < roleCount; i++) spec.roles.push(roleEntry(r, spec));
  const userCount = int(r, 3);
  for (let i = 0; i < userCount; i++) spec.users.push(userEntry(r, spec));
  if (chance(r, 0.3)) spec.accounts.push(pick(r, ACCOUNTS));
  for (const account of ACCOUNTS) {
    spec.probes.add(`arn:aws:iam::${account}:user/nobody`);
    spec.probes.add(`arn:aws:sts::${account}:assumed-role/Unmapped/i-0123456789abcdef0`);
  }
  spec.probes.add("arn:aws:sts::111122223333:federated-user/fed");
  spec.probes.add("arn:aws:iam::111122223333:root");
  return spec;
}

// ---- Rendering ------------------------------------------------------------------------------

interface Style {
  flow: boolean;
  indent: number;
  /** Sequences inside mappings indented ("  - a") or not ("- a"). */
  indentSequences: boolean;
  quote: () => "plain" | "single" | "double";
  tag?: () => string | undefined;
  comments?: () => string | undefined;
  json: boolean;
}

function scalar(text: string, style: Style): string {
  const tag = style.tag?.();
  const prefix = tag ? `${tag} ` : "";
  const q = style.quote();
  if (q === "single") return `${prefix}'${text.replaceAll("'", "''")}'`;
  if (q === "double") return `${prefix}${JSON.stringify(text)}`;
  return `${prefix}${text === "" ? "''" : text}`;
}

function flowNode(node: Node, style: Style): string {
  if (node instanceof RawScalar) return node.text;
  if (typeof node === "string") return scalar(node, style);
  if (Array.isArray(node)) return `[${node.map((n) => flowNode(n, style)).join(", ")}]`;
  return `{${Object.entries(node)
    .map(
      ([k, v]) => `${scalar(k, { ...style, quote: () => "plain", tag: undefined })}: ${flowNode(v, style)}`,
    )
    .join(", ")}}`;
}

function blockNode(node: Node, style: Style, indent: number): string[] {
  const pad = " ".repeat(indent);
  const comment = () => {
    const c = style.comments?.();
    return c === undefined ? [] : [`${pad}${c}`];
  };
  if (node instanceof RawScalar || typeof node === "string" || isEmpty(node)) {
    return [`${pad}${flowNode(node, style)}`];
  }
  if (Array.isArray(node)) {
    const lines: string[] = [];
    for (const item of node) {
      lines.push(...comment());
      const inner = blockNode(item, style, indent + 2);
      const first = (inner[0] ?? "").slice(indent + 2);
      lines.push(`${pad}- ${first}`, ...inner.slice(1));
    }
    return lines;
  }
  const lines: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    lines.push(...comment());
    const k = `${pad}${key}:`;
    if (value instanceof RawScalar || typeof value === "string" || isEmpty(value)) {
      lines.push(`${k} ${flowNode(value, style)}`);
    } else if (Array.isArray(value)) {
      lines.push(k, ...blockNode(value, style, style.indentSequences ? indent + style.indent : indent));
    } else {
      lines.push(k, ...blockNode(value, style, indent + style.indent));
    }
  }
  return lines;
}

function isEmpty(node: Node): boolean {
  return Array.isArray(node)
    ? node.length === 0
    : typeof node === "object" && !(node instanceof RawScalar) && Object.keys(node).length === 0;
}

function render(entries: Node[], style: Style): string {
  if (style.json) {
    const plain = (n: Node): unknown =>
      n instanceof RawScalar
        ? n.text
        : typeof n === "string"
          ? n
          : Array.isArray(n)
            ? n.map(plain)
            : Object.fromEntries(Object.entries(n).map(([k, v]) => [k, plain(v)]));
    return JSON.stringify(plain(entries), null, style.indent === 2 ? 2 : undefined);
  }
  if (style.flow) return `${flowNode(entries, style)}\n`;
  return `${blockNode(entries, style, 0).join("\n")}\n`;
}

function randomStyle(r: Rand): Style {
  const quoting = pick(r, ["plain", "single", "double", "mixed"] as const);
  return {
    flow: chance(r, 0.15),
    json: chance(r, 0.1),
    indent: pick(r, [2, 2, 4, 3]),
    indentSequences: chance(r, 0.5),
    quote: () => (quoting === "mixed" ? pick(r, ["plain", "single", "double"] as const) : quoting),
  };
}

// ---- Families -------------------------------------------------------------------------------

const TAGS = [
  "!local",
  "!!str",
  "!!binary",
  "!!merge",
  "!!set",
  "!!omap",
  "!!int",
  "!!bool",
  "!!null",
  "!foo",
  "!<tag:yaml.org,2002:str>",
  "!!map",
  "!!seq",
  "!!float",
  "!!timestamp",
];
const YAML11 = [
  "yes",
  "No",
  "on",
  "OFF",
  "y",
  "n",
  "~",
  "null",
  "012",
  "0o17",
  "0b101",
  "1_000",
  "0x_1F",
  "0x1F",
  "1e3",
  "+.5",
  ".inf",
  "-.INF",
  ".nan",
  "1:20",
  "2001-12-14",
  "true",
  "False",
  "123456789012",
  "0123456789012",
  "-0",
  "+12",
  "1.",
  "._5",
  "0.1_0",
];
const WEIRD_CHARS = [
  " ",
  "\t",
  "-",
  ":",
  "#",
  "'",
  '"',
  "{",
  "}",
  "[",
  "]",
  ",",
  "\n",
  "&",
  "*",
  "!",
  "|",
  ">",
  "?",
  "%",
  "@",
  "`",
  "\\",
  "\r",
  "\u0085",
  "\u00a0",
  "\ufeff",
];

function mutateText(r: Rand, text: string, count: number, chars: readonly string[]): string {
  let out = text;
  for (let i = 0; i < count; i++) {
    const at = int(r, out.length + 1);
    const op = int(r, 3);
    if (op === 0) out = out.slice(0, at) + pick(r, chars) + out.slice(at);
    else if (op === 1) out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + pick(r, chars) + out.slice(at + 1);
  }
  return out;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n" && i + 1 < text.length) starts.push(i + 1);
  return starts;
}

function insertTab(r: Rand, text: string): string {
  const starts = lineStarts(text);
  const at = pick(r, starts);
  const where = int(r, 6);
  if (where === 0) return `${text.slice(0, at)}\t\n${text.slice(at)}`; // blank line holding a tab
  if (where === 1) return `${text.slice(0, at)}\t# comment\n${text.slice(at)}`;
  if (where === 2) return `\t${text}`; // before the first token
  if (where === 3) {
    const colon = text.indexOf(": ", at);
    return colon === -1 ? `${text}\t` : `${text.slice(0, colon + 1)}\t${text.slice(colon + 2)}`;
  }
  if (where === 4) {
    const eol = text.indexOf("\n", at);
    return eol === -1 ? `${text}\t` : `${text.slice(0, eol)}\t${text.slice(eol)}`;
  }
  return `${text.slice(0, at)}\t${text.slice(at)}`; // in the indentation
}

/** Builds one variant of the given family. */
export function makeVariant(id: number, family: Family, seed: number): Variant {
  const r = rng(seed * 7919 + id);
  const spec = baseSpec(r);
  const style = randomStyle(r);
  const data: Record<string, string> = {};
  let roles = render(spec.roles, style);
  let users: string | undefined =
    spec.users.length > 0 || chance(r, 0.2) ? render(spec.users, style) : undefined;
  let accounts: string | undefined =
    spec.accounts.length > 0 ? spec.accounts.map((a) => `- "${a}"`).join("\n") : undefined;
  let rolesPresent = true;
  const target = () => (users !== undefined && chance(r, 0.3) ? "users" : "roles");
  const apply = (f: (text: string) => string) => {
    if (target() === "users" && users !== undefined) users = f(users);
    else roles = f(roles);
  };

  switch (family) {
    case "tabs": {
      const n = 1 + int(r, 2);
      for (let i = 0; i < n; i++) apply((t) => insertTab(r, t));
      break;
    }
    case "tags":
      roles = render(spec.roles, {
        ...style,
        json: false,
        tag: () => (chance(r, 0.15) ? pick(r, TAGS) : undefined),
      });
      break;
    case "multi-root":
      apply((t) => `${t}${pick(r, ["foo", "[x]", "extra: 1", "- tail", "{a: b}", "'q'", "x: [", "? k"])}\n`);
      break;
    case "json-escapes":
      roles = JSON.stringify(spec.roles).replaceAll("/", pick(r, ["\\/", "/", "\\u002f", "\\/"]));
      if (chance(r, 0.3))
        roles = roles.replace("a", pick(r, ["\\u0061", "\\x61", "\\e", "\\N", "\\_", "\\L", "\\P"]));
      break;
    case "arn-case":
      for (const e of spec.roles)
        e.rolearn = String(e.rolearn).replace(
          /^arn:aws/,
          pick(r, ["ARN:aws", "Arn:AWS", "arn:Aws", "ARN:AWS:IAM"]),
        );
      roles = render(spec.roles, style);
      break;
    case "empty-dash":
      roles = render(spec.roles, { ...style, flow: false, json: false }).replace(
        /(\n\s*- system:[a-z-]+)(\n)/,
        (_, a, nl) => `${a}${nl}${pick(r, ["  -", "  - ", "-", "    -"])}${nl}`,
      );
      break;
    case "directives-and-unicode": {
      const what = int(r, 6);
      if (what === 0)
        roles = `${pick(r, ["%YAML 1.2", "%YAML 1.1", "%YAML 2.0", "%TAG ! tag:example.com,2000:", "%FOO bar"])}\n---\n${roles}`;
      else if (what === 1) apply((t) => mutateText(r, t, 1, ["\u0085", "\u2028", "\u2029", "\ufeff"]));
      else if (what === 2) roles = `\ufeff${roles}`;
      else if (what === 3)
        roles = roles.replace(
          /username: .*/,
          `username: "${pick(r, ["\\ud800", "\\udfff", "\\U0001F600", "\\x41", "\\u00e9", "\\U00110000", "\\N\\_"])}"`,
        );
      else if (what === 4) apply((t) => t.replace(/\n/g, pick(r, ["\r\n", "\r", "\n"])));
      else apply((t) => mutateText(r, t, 1, ["\u0000", "\u0007", "\u00e9", "\u{1F600}", "\ufffe"]));
      break;
    }
    case "uint64-keys":
      for (const e of spec.roles)
        if (chance(r, 0.5))
          e[
            pick(r, [
              "18446744073709551615",
              "18446744073709551616",
              "-9223372036854775808",
              "9223372036854775807",
              "1e3",
              "0x10",
              "yes",
              "012",
              "1.5",
            ])
          ] = "x";
      roles = render(spec.roles, { ...style, json: false, quote: () => "plain" });
      break;
    case "sso-collision": {
      const account = pick(r, ACCOUNTS);
      const literal = {
        rolearn: `arn:aws:iam::${account}:role/AWSReservedSSO_Admin_*`,
        username: "literal",
        groups: ["system:masters"],
      };
      const sso: { [key: string]: Node } = {
        sso: {
          permissionSetName: pick(r, ["Admin", "ADMIN", "Read Only"]),
          accountID: account,
          ...(chance(r, 0.3) ? { partition: pick(r, ["aws", "aws-cn", "aws-mars"]) } : {}),
        },
        username: "sso",
        groups: ["view"],
      };
      spec.roles.push(...(chance(r, 0.5) ? [literal, sso] : [sso, literal]));
      spec.probes.add(`arn:aws:sts::${account}:assumed-role/AWSReservedSSO_Admin_*/s`);
      spec.probes.add(`arn:aws:sts::${account}:assumed-role/AWSReservedSSO_Admin_0123/s`);
      roles = render(spec.roles, style);
      break;
    }
    case "yaml11-username":
      for (const e of [...spec.roles, ...spec.users]) if (chance(r, 0.5)) e.username = raw(pick(r, YAML11));
      roles = render(spec.roles, { ...style, json: false });
      if (users !== undefined) users = render(spec.users, { ...style, json: false });
      break;
    case "quoting":
      roles = render(spec.roles, {
        ...style,
        json: false,
        quote: () => pick(r, ["plain", "single", "double"] as const),
      });
      if (chance(r, 0.4))
        roles = roles.replace(
          /username: .*/,
          `username: ${pick(r, ["{{SessionName}}", "'it''s'", '"a\\"b"', "'a\\b'", "a 'b' c", '"unterminated', "'unterminated", "a: b", "a #b", "a#b", "-x", "- x", "@x", "`x", "%x", "!x", "&x y", "*x", "|\n    multi\n    line", ">-\n    folded\n    text"])}`,
        );
      break;
    case "flow-block":
      roles = render(spec.roles, { ...style, json: false, flow: chance(r, 0.5) });
      if (chance(r, 0.5))
        roles = roles.replace(
          /groups:\n((?:\s+- .*\n)+)/,
          (_, g: string) =>
            `groups: [${g
              .trim()
              .split(/\n\s*- /)
              .map((x) => x.replace(/^- /, ""))
              .join(", ")}]\n`,
        );
      if (chance(r, 0.3)) roles = mutateText(r, roles, 1, ["[", "]", "{", "}", ",", " "]);
      break;
    case "json":
      roles = JSON.stringify(spec.roles, null, pick(r, [undefined, 2, "\t"]));
      if (users !== undefined) users = JSON.stringify(spec.users);
      if (chance(r, 0.2)) roles = roles.replace(",", pick(r, [",,", ", ", " ,", ""]));
      break;
    case "comments":
      roles = render(spec.roles, {
        ...style,
        json: false,
        comments: () =>
          chance(r, 0.2) ? pick(r, ["# note", "#", "  # indented", "#- rolearn: x", "# ünïcode"]) : undefined,
      });
      if (chance(r, 0.5))
        roles = roles.replace(
          /(groups:.*)\n/,
          (_, g) => `${g} ${pick(r, ["# trailing", "#no-space", "#"])}\n`,
        );
      if (chance(r, 0.3)) roles = roles.replace(/username: (\S+)/, (_, u) => `username: ${u}#notacomment`);
      break;
    case "anchors-merges": {
      const forms = [
        "- &base\n  username: base\n  groups: [system:masters]\n  rolearn: arn:aws:iam::111122223333:role/Base\n- <<: *base\n  rolearn: arn:aws:iam::111122223333:role/Merged\n",
        "- rolearn: arn:aws:iam::111122223333:role/A\n  username: a\n  groups: &g [view, edit]\n- rolearn: arn:aws:iam::111122223333:role/B\n  username: b\n  groups: *g\n",
        "- &a {username: x, groups: [view]}\n- &b {username: y, rolearn: arn:aws:iam::111122223333:role/B}\n- <<: [*a, *b]\n  rolearn: arn:aws:iam::111122223333:role/C\n",
        "- rolearn: arn:aws:iam::111122223333:role/D\n  username: &u dee\n  groups: [*u]\n",
        "- rolearn: arn:aws:iam::111122223333:role/E\n  <<: {username: merged, groups: [system:masters]}\n  username: explicit\n",
        "- rolearn: arn:aws:iam::111122223333:role/F\n  username: explicit\n  <<: {username: merged}\n",
        "- <<: *undefined\n  rolearn: arn:aws:iam::111122223333:role/G\n",
        "- rolearn: arn:aws:iam::111122223333:role/H\n  <<: [a, b]\n",
        "- rolearn: arn:aws:iam::111122223333:role/I\n  '<<': {username: quoted}\n",
        "- &x rolearn: arn:aws:iam::111122223333:role/J\n  username: *x\n",
        "- rolearn: arn:aws:iam::111122223333:role/K\n  username: u\n  groups: [&g1 a, *g1, *g1]\n",
        "- &r\n  rolearn: arn:aws:iam::111122223333:role/L\n  username: l\n- *r\n",
        "- rolearn: arn:aws:iam::111122223333:role/M\n  !!merge <<: {username: tagged}\n",
        "- rolearn: arn:aws:iam::111122223333:role/N\n  << : {username: spaced}\n",
      ];
      const chosen = pick(r, forms);
      roles = chance(r, 0.5) ? chosen + roles : roles + chosen;
      for (const letter of "ABCDEFGHIJKLMN") {
        spec.probes.add(`arn:aws:sts::111122223333:assumed-role/${letter}/s`);
      }
      spec.probes.add("arn:aws:sts::111122223333:assumed-role/Base/s");
      spec.probes.add("arn:aws:sts::111122223333:assumed-role/Merged/s");
      break;
    }
    case "duplicates": {
      const e = spec.roles[0];
      if (e) {
        const copy: { [key: string]: Node } = { ...e, username: "dup", groups: ["view"] };
        copy.rolearn = chance(r, 0.5)
          ? String(e.rolearn).toUpperCase().replace("ARN:AWS:IAM", "arn:aws:iam")
          : (e.rolearn as Node);
        spec.roles.splice(chance(r, 0.5) ? spec.roles.length : 0, 0, copy);
      }
      roles = render(spec.roles, { ...style, json: false });
      if (chance(r, 0.5))
        roles = roles.replace(
          /(\n?)(\s*)(- )?username: (.*)\n/,
          (m, _nl, sp, dash, u) => `${m}${sp.replace("\n", "")}${dash ? "  " : ""}username: second-${u}\n`,
        );
      if (chance(r, 0.3)) roles = roles.replace("groups:", pick(r, ["Groups:", "GROUPS:", "groups:"]));
      if (users !== undefined && spec.users[0]) {
        spec.users.push({ ...spec.users[0], username: "dup-user" });
        const u = spec.users[0];
        spec.users.push({
          ...u,
          userarn: String(u.userarn).replace(
            /user\/(.)/,
            (_, c: string) => `user/${c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()}`,
          ),
          username: "case-dup",
        });
        users = render(spec.users, style);
      }
      break;
    }
    case "key-case":
      for (const e of [...spec.roles, ...spec.users]) {
        for (const key of Object.keys(e)) {
          if (!chance(r, 0.5)) continue;
          const value = e[key] as Node;
          delete e[key];
          const variant = pick(r, [
            key.toUpperCase(),
            key[0]?.toUpperCase() + key.slice(1),
            key.replace("arn", "ARN"),
            key.replace("s", "\u017f"),
            key.replace("k", "\u212a"),
            `${key} `,
            key.replace("r", "R"),
          ]);
          e[variant] = value;
        }
      }
      roles = render(spec.roles, style);
      if (users !== undefined) users = render(spec.users, style);
      break;
    case "yaml11-scalars":
      for (const e of spec.roles) {
        if (chance(r, 0.4)) e.groups = [raw(pick(r, YAML11)), "view"];
        if (chance(r, 0.3)) e.rolearn = raw(pick(r, YAML11));
      }
      roles = render(spec.roles, { ...style, json: false });
      accounts = (chance(r, 0.5) ? ["012345678901", "111122223333", pick(r, YAML11)] : [pick(r, YAML11)])
        .map((a) => `- ${a}`)
        .join("\n");
      spec.probes.add("arn:aws:iam::012345678901:user/zero");
      break;
    case "nulls":
      for (const e of spec.roles) {
        const key = pick(r, ["username", "groups", "rolearn"]);
        e[key] = raw(pick(r, ["~", "null", "", "Null", "NULL", "[]", "{}", "''"]));
      }
      roles = render(spec.roles, { ...style, json: false });
      if (chance(r, 0.3)) roles = `${roles}- \n-\n- ~\n`;
      if (chance(r, 0.2))
        roles = pick(r, ["~", "null", "[]", "''", '""', "``", "   ", "\n", "- ", "-", "---", "...", "--- ~"]);
      break;
    case "lists-for-strings":
      for (const e of spec.roles) {
        const key = pick(r, ["username", "rolearn", "groups"]);
        const value = e[key] as Node;
        e[key] =
          key === "groups"
            ? Array.isArray(value)
              ? (value[0] ?? "x")
              : value
            : chance(r, 0.5)
              ? [value]
              : { name: value };
      }
      roles = render(spec.roles, style);
      break;
    case "unknown-keys":
      for (const e of spec.roles) {
        if (chance(r, 0.5))
          e[pick(r, ["rolarn", "user_name", "group", "userid", "extra", "role_arn", "sso_"])] = pick(r, [
            "x",
            "arn:aws:iam::111122223333:role/Typo",
          ]);
        if (chance(r, 0.3)) {
          const v = e.rolearn as Node;
          delete e.rolearn;
          e.rolarn = v;
        }
      }
      roles = render(spec.roles, style);
      break;
    case "path-and-sso-arns":
      spec.roles.push(
        {
          rolearn:
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
          username: "sso-admin",
          groups: ["system:masters"],
        },
        {
          rolearn: "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef",
          username: "sso-admin2",
          groups: ["system:masters"],
        },
        {
          rolearn: pick(r, [
            "arn:aws:sts::111122223333:assumed-role/Dev/s",
            "arn:aws:iam:us-east-1:111122223333:role/Dev",
            "arn:aws:iam::11112222333:role/Dev",
            "arn:aws-mars:iam::111122223333:role/Dev",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:sts::111122223333:federated-user/fed",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:group/G",
            "not-an-arn",
            "arn:aws:iam::111122223333:role/Dev",
          ]),
          username: "other",
          groups: ["view"],
        },
        {
          sso: { permissionSetName: "Admin", accountID: "111122223333" },
          username: "sso-gate",
          groups: ["system:masters"],
        },
      );
      spec.probes.add("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane");
      spec.probes.add("arn:aws:sts::111122223333:assumed-role/Dev/s");
      spec.probes.add("arn:aws:iam::111122223333:user/alice");
      roles = render(spec.roles, style);
      break;
    case "map-accounts":
      accounts = pick(r, [
        "- 111122223333\n- 012345678901",
        "[111122223333, '012345678901']",
        "- 012345678901",
        "111122223333",
        "{a: 111122223333}",
        "- [111122223333]\n- 444455556666",
        "- {a: b}\n- 111122223333",
        "- ~\n- 111122223333",
        "- 1.11122223333e11",
        "- 0x1F\n- yes",
        "\t- 111122223333",
        "- 111122223333\n---\n- 444455556666",
        "- &a 111122223333\n- *a",
        "- !!binary MTExMTIyMjIzMzMz",
        "- 111122223333 # comment",
        "- '111122223333\n",
        "-111122223333",
        "- 111_122_223_333",
        '- "444455556666"',
        "--- \n- 444455556666",
      ]);
      spec.probes.add("arn:aws:iam::012345678901:user/zero");
      break;
    case "multi-document":
      roles = pick(r, [
        `---\n${roles}`,
        `${roles}---\n- rolearn: arn:aws:iam::111122223333:role/Second\n  username: second\n`,
        `${roles}...\n--- [\n`,
        `---\n${roles}...\n`,
        `${roles}---\n`,
        `--- |\n  text\n`,
        `${roles}\n--- !!str\n`,
        `--- ${roles.startsWith("[") ? roles : `[${roles.trim()}]`}`,
      ]);
      spec.probes.add("arn:aws:sts::111122223333:assumed-role/Second/s");
      break;
    case "invalid-yaml":
      apply((t) => mutateText(r, t, 1 + int(r, 3), WEIRD_CHARS));
      break;
    case "data-keys": {
      const form = int(r, 5);
      if (form === 0) {
        data[pick(r, ["maproles", "MapRoles", "mapRoles "])] = roles;
        rolesPresent = false;
      } else if (form === 1)
        roles = pick(r, ["", " ", "''", '""', "``", "\t", "\n\n", "{}", '  {"a": 1}', "\u0085{", "\u00a0[]"]);
      else if (form === 2) roles = `{${JSON.stringify(spec.roles)}`;
      else if (form === 3) users = pick(r, ["", "- {}", "- userarn: ''", "- username: x"]);
      else accounts = pick(r, ["", "''", "``", " "]);
      break;
    }
  }

  if (rolesPresent) data.mapRoles = roles;
  if (users !== undefined) data.mapUsers = users;
  if (accounts !== undefined) data.mapAccounts = accounts;
  return { id, family, data, probes: [...spec.probes] };
}

/** `count` variants cycling through the families, reproducible from `seed`. */
export function makeCorpus(count: number, seed: number): Variant[] {
  return Array.from({ length: count }, (_, id) =>
    makeVariant(id, FAMILIES[id % FAMILIES.length] as Family, seed),
  );
}
