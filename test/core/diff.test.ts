/**
 * The semantic diff: what changes for the authenticator between two aws-auth versions. The base
 * versions are the lab recordings (test/fixtures/aws-auth/lab-versions.json, copied from the
 * responseObject.data of test/fixtures/audit/lab/s02…s04): s02 is eks:node-manager's unquoted
 * rewrite without the Fargate entry, s03 eks:fargate-manager's unquoted version with it, s04
 * Terraform's quoted version with the Fargate groups in another order.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAwsAuth } from "../../lambda/core/aws-auth.js";
import { diffModels, EMPTY_MODEL, groupSet, sameEffectiveMappings } from "../../lambda/core/diff.js";

type Data = Record<string, string>;
const lab = JSON.parse(
  readFileSync(new URL("../fixtures/aws-auth/lab-versions.json", import.meta.url), "utf8"),
) as Record<"s02" | "s03" | "s04", { data: Data }>;
const S02 = lab.s02.data;
const S03 = lab.s03.data;
const S04 = lab.s04.data;

const ACCOUNT = "012345678901";
const NODE = `arn:aws:iam::${ACCOUNT}:role/my-node-role`;
const FARGATE = `arn:aws:iam::${ACCOUNT}:role/my-fargate-profile-role`;
const SSO_ADMIN = `arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_AdministratorAccess_3e3617e16cf3782b`;
const BREAKGLASS = `arn:aws:iam::${ACCOUNT}:user/breakglass-admin`;

const diff = (before: Data | undefined, after: Data | undefined) =>
  diffModels(before && parseAwsAuth(before), after && parseAwsAuth(after));

function expectEquivalent(before: Data, after: Data): void {
  const result = diff(before, after);
  expect(result).toMatchObject({
    roles: { added: [], removed: [], changed: [] },
    users: { added: [], removed: [], changed: [] },
    accounts: { added: [], removed: [] },
    sections: [],
    problems: { added: [], removed: [] },
    effectiveEqual: true,
    equivalent: true,
  });
}

// s03's mappings written by hand in other ways. Every string below is the same effective aws-auth.
const S03_ROLES = [
  {
    rolearn: NODE,
    username: "system:node:{{EC2PrivateDNSName}}",
    groups: ["system:bootstrappers", "system:nodes"],
  },
  { rolearn: SSO_ADMIN, username: "sso-admin:{{SessionName}}", groups: ["system:masters"] },
  {
    rolearn: FARGATE,
    username: "system:node:{{SessionName}}",
    groups: ["system:bootstrappers", "system:node-proxier", "system:nodes"],
  },
];
const S03_USERS = [{ userarn: BREAKGLASS, username: "breakglass-admin", groups: ["system:masters"] }];

const REWRITES: Array<[string, Data]> = [
  ["the same text (a no-op write)", { ...S03 }],
  ["Terraform's quoted version with groups reordered (lab s04)", S04],
  [
    "single quotes on every value and on most keys",
    {
      ...S03,
      mapRoles: (S03.mapRoles ?? "")
        .replace(/^(\s*-?\s*)(\w+): (.+)$/gm, "$1'$2': '$3'")
        .replace(/^(\s+)- (system:[\w-]+)$/gm, "$1- '$2'"),
    },
  ],
  [
    "keys in another order inside every entry",
    {
      ...S03,
      mapRoles: S03_ROLES.map(
        (r) =>
          `- username: ${r.username}\n  rolearn: ${r.rolearn}\n  groups:\n${r.groups.map((g) => `  - ${g}\n`).join("")}`,
      ).join(""),
    },
  ],
  [
    "entries in another order (no duplicates)",
    {
      ...S03,
      mapRoles: [...S03_ROLES]
        .reverse()
        .map(
          (r) => `- rolearn: ${r.rolearn}\n  username: ${r.username}\n  groups: [${r.groups.join(", ")}]\n`,
        )
        .join(""),
    },
  ],
  [
    "groups in another order, one listed twice",
    {
      ...S03,
      mapRoles: S03_ROLES.map(
        (r) =>
          `- rolearn: ${r.rolearn}\n  username: ${r.username}\n  groups: [${[...r.groups]
            .reverse()
            .concat(r.groups[0] ?? [])
            .join(", ")}]\n`,
      ).join(""),
    },
  ],
  [
    "four-space indentation, blank lines, trailing spaces, CRLF line ends, a document marker",
    {
      ...S03,
      mapRoles: `---\r\n${S03_ROLES.map((r) => `-   rolearn: ${r.rolearn}   \r\n    username: ${r.username}\r\n\r\n    groups:\r\n${r.groups.map((g) => `        -   ${g}  \r\n`).join("")}`).join("\r\n")}`,
      mapAccounts: "  []  \n\n",
    },
  ],
  [
    "comments everywhere",
    {
      ...S03,
      mapRoles: `# managed by hand\n${S03_ROLES.map((r) => `- rolearn: ${r.rolearn} # the role\n  # who it is\n  username: ${r.username}\n  groups: # what it may do\n${r.groups.map((g) => `    - ${g} # group\n`).join("")}`).join("# next\n")}# end\n`,
      mapUsers: `# break glass\n${S03.mapUsers}# end\n`,
    },
  ],
  [
    "JSON, as aws-cdk writes it",
    { mapRoles: JSON.stringify(S03_ROLES), mapUsers: JSON.stringify(S03_USERS, null, 2), mapAccounts: "[]" },
  ],
  [
    "YAML flow style",
    {
      mapRoles: `[${S03_ROLES.map((r) => `{rolearn: ${r.rolearn}, username: "${r.username}", groups: [${r.groups.join(", ")}]}`).join(",\n ")}]`,
      mapUsers: `[{userarn: ${BREAKGLASS}, username: breakglass-admin, groups: [system:masters]}]`,
      mapAccounts: "[]",
    },
  ],
  ["mapAccounts written as '' instead of []", { ...S03, mapAccounts: "" }],
  ["mapAccounts left out instead of []", { mapRoles: S03.mapRoles ?? "", mapUsers: S03.mapUsers ?? "" }],
];

describe("versions that differ only in how they are written are equivalent", () => {
  it.each(REWRITES)("%s", (_name, rewrite) => {
    expectEquivalent(S03, rewrite);
    expectEquivalent(rewrite, S03);
  });
});

describe("mappings added, removed, changed", () => {
  it("s02 → s03: eks:fargate-manager re-adds the Fargate role, nothing else", () => {
    const result = diff(S02, S03);
    expect(result.roles.added.map((r) => [r.rolearn, r.username, r.groups])).toEqual([
      [
        FARGATE,
        "system:node:{{SessionName}}",
        ["system:bootstrappers", "system:node-proxier", "system:nodes"],
      ],
    ]);
    expect(result).toMatchObject({
      roles: { removed: [], changed: [] },
      users: { added: [], removed: [], changed: [] },
      accounts: { added: [], removed: [] },
      sections: [],
      problems: { added: [], removed: [] },
      effectiveEqual: false,
      equivalent: false,
    });
  });

  it("s04 → s02: eks:node-manager drops the Fargate role", () => {
    const result = diff(S04, S02);
    expect(result.roles.removed.map((r) => r.rolearn)).toEqual([FARGATE]);
    expect(result.roles.added).toEqual([]);
    expect(result.roles.changed).toEqual([]);
    expect(result.effectiveEqual).toBe(false);
  });

  it("a changed username is reported with before and after", () => {
    const after = { ...S03, mapRoles: (S03.mapRoles ?? "").replace("sso-admin:{{SessionName}}", "admin") };
    const [change, ...rest] = diff(S03, after).roles.changed;
    expect(rest).toEqual([]);
    expect(change).toMatchObject({
      key: SSO_ADMIN.toLowerCase(),
      username: { before: "sso-admin:{{SessionName}}", after: "admin" },
      groupsAdded: [],
      groupsRemoved: [],
    });
  });

  it("groups compare as a set: added and removed groups are named", () => {
    const after = {
      ...S03,
      mapUsers: (S03.mapUsers ?? "").replace('"system:masters"', '"view-only"\n  - "audit"'),
    };
    const result = diff(S03, after);
    expect(result.users.changed).toEqual([
      expect.objectContaining({
        key: BREAKGLASS,
        groupsAdded: ["audit", "view-only"],
        groupsRemoved: ["system:masters"],
      }),
    ]);
    expect(result.users.changed[0]?.username).toBeUndefined();
    expect(groupSet(["b", "a", "b"])).toEqual(["a", "b"]);
  });

  it("mapAccounts added and removed", () => {
    const more = diff(S03, { ...S03, mapAccounts: "- '111122223333'\n- 012345678901\n" });
    expect(more.accounts).toEqual({ added: ["012345678901", "111122223333"], removed: [] });
    expect(more.effectiveEqual).toBe(false);
    const fewer = diff(
      { ...S03, mapAccounts: "- '111122223333'\n- '444455556666'\n" },
      { ...S03, mapAccounts: "[444455556666]" },
    );
    expect(fewer.accounts).toEqual({ added: [], removed: ["111122223333"] });
  });

  it("a deletion (no version after) removes everything; a creation adds everything", () => {
    const deleted = diff(S03, undefined);
    expect(deleted.roles.removed.map((r) => r.rolearn)).toEqual([SSO_ADMIN, FARGATE, NODE]);
    expect(deleted.users.removed.map((u) => u.userarn)).toEqual([BREAKGLASS]);
    expect(deleted.sections).toEqual([]);
    const created = diffModels(EMPTY_MODEL, parseAwsAuth(S03));
    expect(created.roles.added).toHaveLength(3);
    expect(created.users.added).toHaveLength(1);
  });

  it("sameEffectiveMappings agrees with the diff", () => {
    expect(sameEffectiveMappings(parseAwsAuth(S03), parseAwsAuth(S04))).toBe(true);
    expect(sameEffectiveMappings(parseAwsAuth(S02), parseAwsAuth(S03))).toBe(false);
  });
});

describe("sections that became unparseable", () => {
  const broken = { ...S03, mapRoles: `${S03.mapRoles}- rolearn: {{SessionName}}\n` };

  it("a section that stops parsing is named with the error, and all its mappings are removed", () => {
    const result = diff(S03, broken);
    expect(result.sections).toEqual([
      {
        name: "mapRoles",
        before: "parsed",
        after: "unparseable",
        error: "invalid map key: a mapping used as a key",
      },
    ]);
    expect(result.roles.removed).toHaveLength(3);
    expect(result.users).toEqual({ added: [], removed: [], changed: [] });
    expect(result.equivalent).toBe(false);
  });

  it("and the repair is named too", () => {
    const result = diff(broken, S03);
    expect(result.sections).toEqual([{ name: "mapRoles", before: "unparseable", after: "parsed" }]);
    expect(result.roles.added).toHaveLength(3);
  });

  it("a broken section that stays broken is no change", () => {
    expectEquivalent(broken, { ...broken });
  });

  it("emptying a section is a removal, not a parse failure", () => {
    const result = diff(S03, { ...S03, mapUsers: "" });
    expect(result.sections).toEqual([]);
    expect(result.users.removed.map((u) => u.userarn)).toEqual([BREAKGLASS]);
  });
});

describe("dead and shadowed entries appearing", () => {
  const PATH_ROLE = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123456789abcdef`;

  it("a dead entry grants nothing, so access is unchanged, but the write is not equivalent", () => {
    const after = {
      ...S03,
      mapRoles: `${S03.mapRoles}- rolearn: ${PATH_ROLE}\n  username: dev\n  groups: [system:masters]\n`,
    };
    const result = diff(S03, after);
    expect(result.effectiveEqual).toBe(true);
    expect(result.equivalent).toBe(false);
    expect(result.problems.added).toEqual([
      expect.objectContaining({ kind: "dead-entry", section: "mapRoles", subject: PATH_ROLE }),
    ]);
    expect(diff(after, S03).problems.removed).toEqual([expect.objectContaining({ kind: "dead-entry" })]);
  });

  it("a duplicate that shadows an entry with the same content changes no access, but is reported", () => {
    const duplicate = `- rolearn: ${NODE.toUpperCase().replace("ARN:AWS:IAM", "arn:aws:iam")}\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:nodes, system:bootstrappers]\n`;
    const after = { ...S03, mapRoles: `${S03.mapRoles}${duplicate}` };
    const result = diff(S03, after);
    expect(result.effectiveEqual).toBe(true);
    expect(result.equivalent).toBe(false);
    expect(result.problems.added).toEqual([
      expect.objectContaining({ kind: "shadowed-entry", section: "mapRoles", subject: NODE }),
    ]);
  });

  it("with duplicates, entry order matters: the last one wins", () => {
    const masters = `- rolearn: ${SSO_ADMIN}\n  username: admin\n  groups: [system:masters]\n`;
    const viewer = `- rolearn: ${SSO_ADMIN}\n  username: viewer\n  groups: [view-only]\n`;
    const result = diff({ mapRoles: masters + viewer }, { mapRoles: viewer + masters });
    expect(result.effectiveEqual).toBe(false);
    expect(result.roles.changed).toEqual([
      expect.objectContaining({
        key: SSO_ADMIN.toLowerCase(),
        username: { before: "viewer", after: "admin" },
        groupsAdded: ["system:masters"],
        groupsRemoved: ["view-only"],
      }),
    ]);
  });

  it("problems are matched without their entry numbers: moving a type mismatch down is no change", () => {
    const mistyped =
      "- rolearn: arn:aws:iam::012345678901:role/ops\n  username: ops\n  groups: system:masters\n";
    const before = { mapRoles: mistyped };
    const after = { mapRoles: `- rolearn: ${NODE}\n  username: node\n  groups: []\n${mistyped}` };
    const result = diff(before, after);
    expect(result.problems).toEqual({ added: [], removed: [] });
    expect(result.roles.added.map((r) => r.rolearn)).toEqual([NODE]);
  });
});
