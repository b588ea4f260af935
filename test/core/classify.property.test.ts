/**
 * Property-based proof (fast-check) of the promise the guardian makes about noise:
 * - any cosmetic rewrite (quoting, key order, entry order, group order, flow or block style,
 *   indentation, comments, blank lines, JSON instead of YAML) of any valid aws-auth, delivered as an
 *   `update` by a human, classifies `cosmetic`;
 * - dropping the last system:masters entry, or a node or Fargate entry, never classifies `cosmetic`
 *   (it is `dangerous`), however the rest is rewritten.
 * The generators are local and small on purpose: they produce only values whose meaning does not
 * depend on quoting (no YAML 1.1 booleans or numbers among plain strings), so every rewrite is truly
 * cosmetic.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAwsAuth } from "../../lambda/core/aws-auth.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { Timeline } from "../../lambda/core/timeline.js";
import {
  asConfigMapObject,
  CLUSTER_ACCOUNT,
  configMapWith,
  derivedAuditID,
  IDENTITY,
  updateEvent,
  writeOf,
} from "../support/events.js";

type Kind = "node" | "fargate" | "admin" | "other";

interface Entry {
  section: "mapRoles" | "mapUsers";
  arn: string;
  username: string;
  groups: string[];
  kind: Kind;
}

interface AwsAuthSpec {
  entries: Entry[];
  accounts: string[];
}

const OTHER_GROUPS = ["view-only", "dev-team", "ops:oncall", "platform"];

/** Lower-case names, unique case-insensitively (role ARNs are keyed case-insensitively). */
const names = (min: number, max: number) =>
  fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{2,10}$/), { minLength: min, maxLength: max });

function roleEntry(name: string, kind: Kind, groups: string[]): Entry {
  const arn = `arn:aws:iam::${CLUSTER_ACCOUNT}:role/${name}`;
  if (kind === "node")
    return {
      section: "mapRoles",
      arn,
      username: "system:node:{{EC2PrivateDNSName}}",
      groups: ["system:bootstrappers", "system:nodes"],
      kind,
    };
  if (kind === "fargate")
    return {
      section: "mapRoles",
      arn,
      username: "system:node:{{SessionName}}",
      groups: ["system:bootstrappers", "system:nodes", "system:node-proxier"],
      kind,
    };
  if (kind === "admin")
    return {
      section: "mapRoles",
      arn,
      username: `u-${name}:{{SessionName}}`,
      groups: ["system:masters"],
      kind,
    };
  return { section: "mapRoles", arn, username: `u-${name}`, groups, kind };
}

function userEntry(name: string, admin: boolean, groups: string[]): Entry {
  return {
    section: "mapUsers",
    arn: `arn:aws:iam::${CLUSTER_ACCOUNT}:user/${name}`,
    username: `u-${name}`,
    groups: admin ? ["system:masters"] : groups,
    kind: admin ? "admin" : "other",
  };
}

const otherGroups = fc.subarray(OTHER_GROUPS);
const kindArb = fc.constantFrom<Kind>("node", "fargate", "admin", "other");

/** A random valid aws-auth: roles of every kind, users, accounts. */
const awsAuthArb: fc.Arbitrary<AwsAuthSpec> = fc
  .record({
    roleNames: names(0, 7),
    userNames: names(0, 3),
    accounts: fc.uniqueArray(fc.stringMatching(/^[1-9][0-9]{11}$/), { maxLength: 2 }),
  })
  .chain(({ roleNames, userNames, accounts }) =>
    fc
      .record({
        roles: fc.tuple(...roleNames.map((n) => fc.tuple(fc.constant(n), kindArb, otherGroups))),
        users: fc.tuple(...userNames.map((n) => fc.tuple(fc.constant(n), fc.boolean(), otherGroups))),
      })
      .map(({ roles, users }) => ({
        entries: [
          ...roles.map(([n, kind, groups]) => roleEntry(n, kind, groups)),
          ...users.map(([n, admin, groups]) => userEntry(n, admin, groups)),
        ],
        accounts,
      })),
  );

// ---- Cosmetic rendering ----------------------------------------------------------------------------

type Quote = "plain" | "single" | "double";

interface EntryStyle {
  keyOrder: number[];
  quotes: Quote[];
  groupOrder: number[];
  groups: "block" | "block-flat" | "flow";
  omitEmptyGroups: boolean;
}

interface Style {
  entryOrder: number[];
  entries: EntryStyle[];
  indent: 2 | 4;
  encoding: "yaml" | "json" | "json-pretty";
  comments: boolean;
  blankLines: boolean;
  finalNewline: boolean;
  accountQuote: Quote;
}

function permutation(n: number): fc.Arbitrary<number[]> {
  const indexes = Array.from({ length: n }, (_, i) => i);
  return fc.shuffledSubarray(indexes, { minLength: n, maxLength: n });
}

function styleArb(spec: AwsAuthSpec): fc.Arbitrary<Style> {
  return fc.record({
    entryOrder: permutation(spec.entries.length),
    entries: fc.tuple(
      ...spec.entries.map((entry) =>
        fc.record({
          keyOrder: permutation(3),
          quotes: fc.array(fc.constantFrom<Quote>("plain", "single", "double"), {
            minLength: 3 + entry.groups.length,
            maxLength: 3 + entry.groups.length,
          }),
          groupOrder: permutation(entry.groups.length),
          groups: fc.constantFrom<EntryStyle["groups"]>("block", "block-flat", "flow"),
          omitEmptyGroups: fc.boolean(),
        }),
      ),
    ),
    indent: fc.constantFrom<2 | 4>(2, 4),
    encoding: fc.constantFrom<Style["encoding"]>("yaml", "yaml", "json", "json-pretty"),
    comments: fc.boolean(),
    blankLines: fc.boolean(),
    finalNewline: fc.boolean(),
    accountQuote: fc.constantFrom<Quote>("plain", "single", "double"),
  });
}

function quote(text: string, how: Quote): string {
  if (how === "single") return `'${text}'`;
  if (how === "double") return JSON.stringify(text);
  return text;
}

function renderYaml(items: Array<{ entry: Entry; style: EntryStyle }>, style: Style): string {
  const pad = " ".repeat(style.indent);
  const lines: string[] = style.comments ? ["# managed by hand, do not edit"] : [];
  for (const { entry, style: es } of items) {
    const arnKey = entry.section === "mapRoles" ? "rolearn" : "userarn";
    const groups = es.groupOrder.map((i) => entry.groups[i] as string);
    const [qArn = "plain", qUser = "plain", qKey = "plain", ...qGroups] = es.quotes;
    const fields: string[][] = [
      [`${quote(arnKey, qKey)}: ${quote(entry.arn, qArn)}`],
      [`${quote("username", qKey)}: ${quote(entry.username, qUser)}`],
      groups.length === 0
        ? es.omitEmptyGroups
          ? []
          : [`${quote("groups", qKey)}: []`]
        : es.groups === "flow"
          ? [
              `${quote("groups", qKey)}: [${groups.map((g, i) => quote(g, qGroups[i] ?? "plain")).join(", ")}]`,
            ]
          : [
              `${quote("groups", qKey)}:`,
              ...groups.map(
                (g, i) => `${es.groups === "block" ? pad : ""}- ${quote(g, qGroups[i] ?? "plain")}`,
              ),
            ],
    ];
    // "- " then the entry's keys at the chosen indent; nested group items one indent deeper (or not).
    const ordered = es.keyOrder.flatMap((i) => fields[i] ?? []);
    ordered.forEach((line, i) => {
      lines.push(`${i === 0 ? `-${" ".repeat(style.indent - 1)}` : " ".repeat(style.indent)}${line}`);
    });
    if (style.comments) lines.push("# end of entry");
    if (style.blankLines) lines.push("");
  }
  return lines.join("\n") + (style.finalNewline ? "\n" : "");
}

function renderSection(entries: Entry[], order: number[], styles: EntryStyle[], style: Style): string {
  const items = order.map((i) => ({ entry: entries[i] as Entry, style: styles[i] as EntryStyle }));
  if (style.encoding === "yaml") return renderYaml(items, style);
  const objects = items.map(({ entry, style: es }) => {
    const arnKey = entry.section === "mapRoles" ? "rolearn" : "userarn";
    const fields: Array<[string, unknown]> = [
      [arnKey, entry.arn],
      ["username", entry.username],
      ["groups", es.groupOrder.map((i) => entry.groups[i])],
    ];
    return Object.fromEntries(es.keyOrder.map((i) => fields[i] as [string, unknown]));
  });
  return style.encoding === "json" ? JSON.stringify(objects) : JSON.stringify(objects, null, style.indent);
}

/** The aws-auth `data` for `spec`, rendered in `style`. */
function render(spec: AwsAuthSpec, style: Style): Record<string, string> {
  const data: Record<string, string> = {};
  for (const section of ["mapRoles", "mapUsers"] as const) {
    const order = style.entryOrder.filter((i) => spec.entries[i]?.section === section);
    if (order.length > 0) data[section] = renderSection(spec.entries, order, style.entries, style);
  }
  if (spec.accounts.length > 0) {
    data.mapAccounts =
      style.encoding === "yaml"
        ? spec.accounts.map((a) => `- ${quote(a, style.accountQuote)}\n`).join("")
        : JSON.stringify(spec.accounts);
  }
  return data;
}

/** The plainest rendering: what was there before the rewrite. */
function canonical(spec: AwsAuthSpec): Record<string, string> {
  return render(spec, {
    entryOrder: spec.entries.map((_, i) => i),
    entries: spec.entries.map((e) => ({
      keyOrder: [0, 1, 2],
      quotes: e.groups.map(() => "plain" as Quote).concat(["plain", "plain", "plain"]),
      groupOrder: e.groups.map((_, i) => i),
      groups: "block",
      omitEmptyGroups: false,
    })),
    indent: 2,
    encoding: "yaml",
    comments: false,
    blankLines: false,
    finalNewline: true,
    accountQuote: "double",
  });
}

// ---- The write ----------------------------------------------------------------------------------------

const policy = makePolicy({ clusterAccount: CLUSTER_ACCOUNT });

/** A human replaces aws-auth (`kubectl replace`) rendered as `after`, after a version rendered as `before`. */
function classifyRewrite(before: Record<string, string>, after: Record<string, string>) {
  const timeline = new Timeline("prod-eu", policy);
  timeline.capture(asConfigMapObject(configMapWith(before, "500")), "baseline", "2026-11-22T14:00:00Z");
  const event = updateEvent({
    auditID: derivedAuditID(700),
    identity: IDENTITY.ssoAdmin(),
    requestURI:
      "/api/v1/namespaces/kube-system/configmaps/aws-auth?fieldManager=kubectl-replace&fieldValidation=Strict",
    data: after,
    resourceVersion: "501",
  });
  return timeline.process(writeOf(event)).classification;
}

const specWithStyle = awsAuthArb.chain((spec) => fc.tuple(fc.constant(spec), styleArb(spec)));

describe("cosmetic rewrites", () => {
  it("the renderer really varies the text (the property is not vacuous)", () => {
    const samples = fc.sample(specWithStyle, { numRuns: 200, seed: 42 });
    const changed = samples.filter(
      ([spec, style]) => JSON.stringify(render(spec, style)) !== JSON.stringify(canonical(spec)),
    );
    expect(changed.length).toBeGreaterThan(150);
    expect(samples.some(([, style]) => style.encoding !== "yaml")).toBe(true);
  });

  it("of a random valid aws-auth, delivered as an update by a human, always classify cosmetic", () => {
    fc.assert(
      fc.property(specWithStyle, ([spec, style]) => {
        const before = canonical(spec);
        const after = render(spec, style);
        // Both renderings mean the whole spec to the authenticator: nothing unparseable, nothing lost.
        for (const data of [before, after]) {
          const model = parseAwsAuth(data);
          expect(model.roles.length + model.users.length).toBe(spec.entries.length);
          expect(model.accounts).toEqual([...spec.accounts].sort());
          expect(model.problems).toEqual([]);
        }
        const result = classifyRewrite(before, after);
        expect(result.findings).toEqual([]);
        expect(result.class).toBe("cosmetic");
      }),
      { numRuns: 300 },
    );
  });
});

describe("dropping what keeps the cluster reachable", () => {
  /** An aws-auth with exactly one system:masters entry among others that have none. */
  const oneMasters = awsAuthArb.chain((spec) =>
    fc.tuple(names(1, 1), fc.boolean()).map(([[name = "admin"], asUser]) => {
      const others = spec.entries.filter((e) => e.kind !== "admin" && !e.arn.endsWith(`/${name}`));
      const admin = asUser ? userEntry(name, true, []) : roleEntry(name, "admin", []);
      return { spec: { ...spec, entries: [...others, admin] }, victim: others.length };
    }),
  );

  /** An aws-auth with at least one node or Fargate role, one of which is dropped. */
  const someNode = awsAuthArb.chain((spec) =>
    fc.tuple(names(1, 1), fc.constantFrom<Kind>("node", "fargate")).chain(([[name = "nodes"], kind]) => {
      const others = spec.entries.filter((e) => !e.arn.endsWith(`/${name}`));
      const entries = [...others, roleEntry(name, kind, [])];
      const nodeIndexes = entries.flatMap((e, i) => (e.kind === "node" || e.kind === "fargate" ? [i] : []));
      return fc.constantFrom(...nodeIndexes).map((victim) => ({ spec: { ...spec, entries }, victim }));
    }),
  );

  function dropAndRewrite({ spec, victim }: { spec: AwsAuthSpec; victim: number }) {
    const remaining: AwsAuthSpec = { ...spec, entries: spec.entries.filter((_, i) => i !== victim) };
    return styleArb(remaining).map((style) => ({
      before: canonical(spec),
      after: render(remaining, style),
      dropped: spec.entries[victim] as Entry,
    }));
  }

  it("dropping the last system:masters entry is never cosmetic (dangerous: last-masters-removed)", () => {
    fc.assert(
      fc.property(oneMasters.chain(dropAndRewrite), ({ before, after }) => {
        const result = classifyRewrite(before, after);
        expect(result.class).not.toBe("cosmetic");
        expect(result.class).toBe("dangerous");
        expect(result.findings.map((f) => f.id)).toContain("last-masters-removed");
      }),
      { numRuns: 200 },
    );
  });

  it("dropping a node or Fargate entry is never cosmetic (dangerous: node-role-lost)", () => {
    fc.assert(
      fc.property(someNode.chain(dropAndRewrite), ({ before, after, dropped }) => {
        const result = classifyRewrite(before, after);
        expect(result.class).not.toBe("cosmetic");
        expect(result.class).toBe("dangerous");
        const lost = result.findings.filter((f) => f.id === "node-role-lost");
        expect(lost.map((f) => f.entries)).toEqual([[dropped.arn]]);
      }),
      { numRuns: 200 },
    );
  });
});
