/**
 * fast-check generators for aws-auth: random valid contents (node, Fargate and system:masters
 * entries, other roles, SSO matchers, users, accounts) and random cosmetic renderings of them
 * (quoting, key order and spelling, entry order, group order, block/flow/JSON style, indentation,
 * comments, blank lines, trailing whitespace, CRLF, document markers). Every rendering of one
 * content means the same thing to the authenticator; the renderer refuses to write a plain scalar
 * that go-yaml v2 would read as anything but that string.
 */
import fc from "fast-check";
import { resolvePlainScalar } from "../../lambda/core/yaml11.js";

export interface SsoSpec {
  permissionSetName: string;
  accountID: string;
  partition?: string;
}

export type RoleKind = "node" | "fargate" | "masters" | "other" | "sso";

export interface RoleSpec {
  kind: RoleKind;
  rolearn?: string;
  sso?: SsoSpec;
  username: string;
  groups: string[];
}

export interface UserSpec {
  userarn: string;
  username: string;
  groups: string[];
}

export interface AwsAuthSpec {
  roles: RoleSpec[];
  users: UserSpec[];
  accounts: string[];
}

const account = fc.stringMatching(/^[0-9]{12}$/);
/** IAM names allow letters, digits and +=,.@_- */
const iamName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9+=,.@_-]{0,30}$/);
const roleArn = fc.tuple(account, iamName).map(([a, n]) => `arn:aws:iam::${a}:role/${n}`);
const userArn = fc.tuple(account, iamName).map(([a, n]) => `arn:aws:iam::${a}:user/${n}`);

/** Usernames, including strings YAML 1.1 would read as something else if written plain. */
const username = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9:._@-]{0,20}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "admin",
      "breakglass-admin",
      "sso-admin:{{SessionName}}",
      "dev:{{AccountID}}:{{SessionNameRaw}}",
      "ci-{{AccessKeyID}}",
      "{{SessionName}}",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "yes",
      "no",
      "on",
      "Off",
      "y",
      "N",
      "true",
      "null",
      "~",
      "",
      "012345678901",
      "1e3",
      "0x1F",
      ".inf",
      "1_000",
      "- dash",
      "a: b",
      "# hash",
      "it's",
      'say "hi"',
      " padded ",
      "x, y",
      "[x]",
      "back\\slash",
      "ünïcödé",
    ),
  },
);

const GROUPS = [
  "view-only",
  "dev",
  "ops",
  "system:masters",
  "eks:kube-proxy-windows",
  "team-{{AccountID}}",
  "yes",
  "012",
];
const groups = fc.uniqueArray(fc.constantFrom(...GROUPS), { maxLength: 4 });

const nodeRole = roleArn.map(
  (rolearn): RoleSpec => ({
    kind: "node",
    rolearn,
    username: "system:node:{{EC2PrivateDNSName}}",
    groups: ["system:bootstrappers", "system:nodes"],
  }),
);
const fargateRole = roleArn.map(
  (rolearn): RoleSpec => ({
    kind: "fargate",
    rolearn,
    username: "system:node:{{SessionName}}",
    groups: ["system:bootstrappers", "system:nodes", "system:node-proxier"],
  }),
);
const mastersRole = fc.tuple(roleArn, username, groups).map(
  ([rolearn, name, extra]): RoleSpec => ({
    kind: "masters",
    rolearn,
    username: name,
    groups: [...new Set(["system:masters", ...extra])],
  }),
);
const otherRole = fc
  .tuple(roleArn, username, groups)
  .map(([rolearn, name, g]): RoleSpec => ({ kind: "other", rolearn, username: name, groups: g }));
const ssoRole = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9_+=,.@-]{1,32}$/),
    account,
    // An explicit partition makes the matcher dead (mapper.go SSOArnLike): valid content has none.
    fc.constant(undefined),
    username,
    groups,
  )
  .map(
    ([permissionSetName, accountID, partition, name, g]): RoleSpec => ({
      kind: "sso",
      sso: { permissionSetName, accountID, ...(partition ? { partition } : {}) },
      username: name,
      groups: g,
    }),
  );
const user = fc
  .tuple(userArn, username, groups)
  .map(([userarn, name, g]): UserSpec => ({ userarn, username: name, groups: g }));
const mastersUser = fc
  .tuple(userArn, username)
  .map(([userarn, name]): UserSpec => ({ userarn, username: name, groups: ["system:masters"] }));

/** Entries the authenticator keys alike (case-insensitive ARN; SSO account + permission set). */
function roleIdentity(role: RoleSpec): string {
  return role.sso
    ? `sso:${role.sso.accountID}:${role.sso.permissionSetName.toLowerCase()}`
    : (role.rolearn ?? "").toLowerCase();
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * A valid aws-auth without duplicates: at least one node or Fargate entry and at least one
 * system:masters entry (a role or a user), other roles, SSO matchers, users and accounts.
 */
export const awsAuthSpec: fc.Arbitrary<AwsAuthSpec> = fc
  .record({
    node: fc.oneof(nodeRole, fargateRole),
    masters: fc.oneof(
      mastersRole.map((r) => ({ role: r })),
      mastersUser.map((u) => ({ user: u })),
    ),
    roles: fc.array(fc.oneof(nodeRole, fargateRole, mastersRole, otherRole, ssoRole), { maxLength: 6 }),
    users: fc.array(user, { maxLength: 4 }),
    accounts: fc.uniqueArray(account, { maxLength: 3 }),
  })
  .map(({ node, masters, roles, users, accounts }) => ({
    roles: uniqueBy([node, ...("role" in masters ? [masters.role] : []), ...roles], roleIdentity),
    users: uniqueBy([...("user" in masters ? [masters.user] : []), ...users], (u) => u.userarn.toLowerCase()),
    accounts,
  }));

// ---- Cosmetic renderings --------------------------------------------------------------------

export type SectionStyle = "block" | "flow" | "json";
export type QuoteStyle = "plain" | "single" | "double";

export interface Cosmetics {
  style: { mapRoles: SectionStyle; mapUsers: SectionStyle; mapAccounts: SectionStyle };
  /** Drives every per-item choice: entry, key and group order, quotes, key spellings. */
  seed: number;
  quotes: QuoteStyle[];
  keyQuotes: QuoteStyle[];
  /** Spell keys in other cases (the authenticator matches them case-insensitively). */
  keyCase: boolean;
  indent: 2 | 4;
  /** Block style: put a list under its key at the key's own column. */
  flushLists: boolean;
  /** Block style: groups as a flow list `[a, b]`. */
  flowGroups: boolean;
  leadingIndent: 0 | 2;
  comments: boolean;
  blankLines: boolean;
  trailingSpaces: boolean;
  crlf: boolean;
  documentMarker: boolean;
  finalNewline: boolean;
  jsonIndent: 0 | 2;
  /** How an empty section is written: left out, `[]`, or an empty string. */
  emptySection: "omit" | "brackets" | "empty";
}

export const cosmetics: fc.Arbitrary<Cosmetics> = fc.record({
  style: fc.record({
    mapRoles: fc.constantFrom<SectionStyle>("block", "flow", "json"),
    mapUsers: fc.constantFrom<SectionStyle>("block", "flow", "json"),
    mapAccounts: fc.constantFrom<SectionStyle>("block", "flow", "json"),
  }),
  seed: fc.integer(),
  quotes: fc.array(fc.constantFrom<QuoteStyle>("plain", "single", "double"), { minLength: 1, maxLength: 8 }),
  keyQuotes: fc.array(fc.constantFrom<QuoteStyle>("plain", "single", "double"), {
    minLength: 1,
    maxLength: 4,
  }),
  keyCase: fc.boolean(),
  indent: fc.constantFrom<2 | 4>(2, 4),
  flushLists: fc.boolean(),
  flowGroups: fc.boolean(),
  leadingIndent: fc.constantFrom<0 | 2>(0, 2),
  comments: fc.boolean(),
  blankLines: fc.boolean(),
  trailingSpaces: fc.boolean(),
  crlf: fc.boolean(),
  documentMarker: fc.boolean(),
  finalNewline: fc.boolean(),
  jsonIndent: fc.constantFrom<0 | 2>(0, 2),
  emptySection: fc.constantFrom<"omit" | "brackets" | "empty">("omit", "brackets", "empty"),
});

/** mulberry32: a small deterministic generator for the per-item choices. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const BLOCK_PLAIN = /^[A-Za-z0-9][A-Za-z0-9:/_.,@=+{}-]*$/;
const FLOW_PLAIN = /^[A-Za-z0-9][A-Za-z0-9:/_.@=+-]*$/;

/** Whether go-yaml v2 reads `value` written without quotes back as exactly that string. */
export function canBePlain(value: string, flow: boolean): boolean {
  if (!(flow ? FLOW_PLAIN : BLOCK_PLAIN).test(value) || value.endsWith(":")) return false;
  return resolvePlainScalar(value) === value;
}

class Writer {
  private readonly next: () => number;

  constructor(private readonly c: Cosmetics) {
    this.next = random(c.seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  shuffle<T>(items: T[]): T[] {
    return shuffle(items, this.next);
  }

  scalar(value: string, flow: boolean, styles = this.c.quotes): string {
    const style = this.pick(styles);
    if (style === "plain" && canBePlain(value, flow)) return value;
    if (style === "single" && !/[\n\r\t]/.test(value)) return `'${value.replaceAll("'", "''")}'`;
    return JSON.stringify(value);
  }

  key(name: string, flow: boolean): string {
    const spelled = this.c.keyCase
      ? this.pick([name, name.toUpperCase(), name.toLowerCase(), titleCase(name)])
      : name;
    return this.scalar(spelled, flow, this.c.keyQuotes);
  }

  comment(text: string): string {
    return this.c.comments ? `# ${text}\n` : "";
  }

  trailing(line: string): string {
    return this.c.comments && this.next() < 0.3 ? `${line} # note` : line;
  }
}

function titleCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

type Entry = Array<[key: string, value: string | string[] | Entry]>;

function roleEntry(role: RoleSpec): Entry {
  const entry: Entry = [];
  if (role.sso) {
    const sso: Entry = [
      ["permissionSetName", role.sso.permissionSetName],
      ["accountID", role.sso.accountID],
    ];
    if (role.sso.partition !== undefined) sso.push(["partition", role.sso.partition]);
    entry.push(["sso", sso]);
  } else entry.push(["rolearn", role.rolearn ?? ""]);
  entry.push(["username", role.username], ["groups", role.groups]);
  return entry;
}

function userEntry(u: UserSpec): Entry {
  return [
    ["userarn", u.userarn],
    ["username", u.username],
    ["groups", u.groups],
  ];
}

function jsonValue(w: Writer, value: string | string[] | Entry): unknown {
  if (typeof value === "string") return value;
  if (value.every((v) => typeof v === "string")) return w.shuffle(value as string[]);
  return Object.fromEntries(w.shuffle(value as Entry).map(([k, v]) => [k, jsonValue(w, v)]));
}

function flowValue(w: Writer, value: string | string[] | Entry): string {
  if (typeof value === "string") return w.scalar(value, true);
  if (value.every((v) => typeof v === "string")) {
    return `[${w
      .shuffle(value as string[])
      .map((v) => w.scalar(v, true))
      .join(", ")}]`;
  }
  return `{${w
    .shuffle(value as Entry)
    .map(([k, v]) => `${w.key(k, true)}: ${flowValue(w, v)}`)
    .join(", ")}}`;
}

/** Block mapping lines for one entry, the first line without indentation (it follows "- "). */
function blockMapping(w: Writer, c: Cosmetics, entry: Entry, indent: string): string[] {
  const lines: string[] = [];
  for (const [k, v] of w.shuffle(entry)) {
    const key = w.key(k, false);
    if (typeof v === "string") lines.push(w.trailing(`${key}: ${w.scalar(v, false)}`));
    else if (v.every((x) => typeof x === "string")) {
      const list = w.shuffle(v as string[]);
      if (c.flowGroups || list.length === 0)
        lines.push(w.trailing(`${key}: [${list.map((g) => w.scalar(g, true)).join(", ")}]`));
      else {
        lines.push(w.trailing(`${key}:`));
        const itemIndent = c.flushLists ? "" : " ".repeat(c.indent);
        for (const g of list) lines.push(w.trailing(`${itemIndent}- ${w.scalar(g, false)}`));
      }
    } else {
      lines.push(w.trailing(`${key}:`));
      for (const line of blockMapping(w, c, v as Entry, "")) lines.push(`${" ".repeat(c.indent)}${line}`);
    }
  }
  return lines.map((line, i) => (i === 0 ? line : `${indent}${line}`));
}

function renderEntries(w: Writer, c: Cosmetics, style: SectionStyle, entries: Entry[]): string {
  const ordered = w.shuffle(entries);
  if (style === "json") {
    const value = ordered.map((e) => jsonValue(w, e));
    return `${w.comment("written as JSON")}${JSON.stringify(value, null, c.jsonIndent || undefined)}`;
  }
  if (style === "flow") {
    return `${w.comment("flow style")}[${ordered.map((e) => flowValue(w, e)).join(c.blankLines ? ",\n\n  " : ", ")}]`;
  }
  const dash = c.indent === 4 ? "-   " : "- ";
  const lines: string[] = [];
  if (c.documentMarker) lines.push("---");
  for (const [i, e] of ordered.entries()) {
    if (c.comments) lines.push(`# entry ${i + 1}`);
    const [first, ...rest] = blockMapping(w, c, e, " ".repeat(dash.length));
    lines.push(`${dash}${first}`, ...rest);
    if (c.blankLines) lines.push("");
  }
  return lines.join("\n");
}

function renderAccounts(w: Writer, c: Cosmetics, accounts: string[]): string {
  const ordered = w.shuffle(accounts);
  // mapAccounts is read into []string as written: a plain 012345678901 keeps its zero.
  const item = (a: string, flow: boolean) =>
    w.pick(["plain", "quoted"]) === "plain" ? a : w.scalar(a, flow);
  if (c.style.mapAccounts === "json") return JSON.stringify(ordered);
  if (c.style.mapAccounts === "flow") return `[${ordered.map((a) => item(a, true)).join(", ")}]`;
  return ordered.map((a) => `- ${item(a, false)}`).join("\n");
}

function finish(c: Cosmetics, text: string): string {
  const indent = " ".repeat(c.leadingIndent);
  // A document marker must stay in column 0; everything else may be indented as a whole.
  let lines = text.split("\n").map((line) => (line === "" || line === "---" ? line : `${indent}${line}`));
  if (c.trailingSpaces) lines = lines.map((line, i) => `${line}${" ".repeat(i % 3)}`);
  const joined = lines.join(c.crlf ? "\r\n" : "\n");
  return c.finalNewline ? `${joined}${c.crlf ? "\r\n" : "\n"}` : joined;
}

/** The ConfigMap `data` for `spec`, written the way `c` says. */
export function renderAwsAuth(spec: AwsAuthSpec, c: Cosmetics): Record<string, string> {
  const w = new Writer(c);
  const data: Record<string, string> = {};
  const section = (name: string, empty: boolean, render: () => string) => {
    if (!empty) data[name] = finish(c, render());
    else if (c.emptySection === "brackets") data[name] = "[]\n";
    else if (c.emptySection === "empty") data[name] = "";
  };
  section("mapRoles", spec.roles.length === 0, () =>
    renderEntries(w, c, c.style.mapRoles, spec.roles.map(roleEntry)),
  );
  section("mapUsers", spec.users.length === 0, () =>
    renderEntries(w, c, c.style.mapUsers, spec.users.map(userEntry)),
  );
  section("mapAccounts", spec.accounts.length === 0, () => renderAccounts(w, c, spec.accounts));
  return data;
}
