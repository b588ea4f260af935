/**
 * The migration planner over real aws-auth shapes (the lab's recorded versions: Terraform's quoted
 * YAML, eks:node-manager's and eks:fargate-manager's rewrites, the SSO admin's edits) and one
 * constructed aws-auth with every decision in it. EKS rules pinned here come from the EKS user guide
 * (creating-access-entries, set-custom-username, migrating-access-entries).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import { equivalence, unexplainedDifferences } from "../../lambda/core/migrate-equivalence.js";
import {
  CANNOT_MIGRATE_REASONS,
  type MigrationPlan,
  type PrincipalLookup,
  planMigration,
  planToJson,
} from "../../lambda/core/migrate-plan.js";
import { renderPlanText } from "../../lambda/core/migrate-render.js";

const ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const labVersions = JSON.parse(readFileSync(fixture("aws-auth/lab-versions.json"), "utf8")) as Record<
  string,
  { data: Record<string, string> }
>;
const labLatest = JSON.parse(readFileSync(fixture("migrate/lab-latest.json"), "utf8")) as Record<
  string,
  { data: Record<string, string> }
>;
const everyReasonManifest = parseConfigMapManifest(
  readFileSync(fixture("migrate/every-reason.yaml"), "utf8"),
);
if (!everyReasonManifest.ok) throw new Error(everyReasonManifest.error);
const everyReason = everyReasonManifest.configMap.data ?? {};

const ctx = { cluster: "demo", source: "test" };
const entryFor = (plan: MigrationPlan, arn: string) => plan.entries.find((e) => e.principalArn === arn);
const reasonFor = (plan: MigrationPlan, principal: string) =>
  plan.cannotMigrate.filter((c) => c.principal === principal).map((c) => c.reason);

describe("the recorded lab's aws-auth (after the SSO admin's last edit, s06)", () => {
  // Prepare
  const plan = planMigration(labLatest.s06?.data, ctx);
  const A = "arn:aws:iam::012345678901";

  it("plans one entry per effective mapping, node roles as node types", () => {
    // Assess
    expect(plan.entries.map((e) => [e.principalArn, e.type])).toEqual([
      [`${A}:role/my-node-role`, "EC2_LINUX"],
      [`${A}:role/AWSReservedSSO_AdministratorAccess_3e3617e16cf3782b`, "STANDARD"],
      [`${A}:role/my-fargate-profile-role`, "FARGATE_LINUX"],
      [`${A}:role/developer`, "STANDARD"],
      [`${A}:role/contractor-debug`, "STANDARD"],
      [`${A}:user/breakglass-admin`, "STANDARD"],
    ]);
    expect(plan.cannotMigrate).toEqual([]);
  });

  it("turns system:masters into AmazonEKSClusterAdminPolicy at cluster scope with the same username", () => {
    const contractor = entryFor(plan, `${A}:role/contractor-debug`);
    expect(contractor).toMatchObject({
      username: "contractor-debug",
      kubernetesGroups: [],
      accessPolicies: [{ policyArn: ADMIN_POLICY, accessScope: { type: "cluster", namespaces: [] } }],
    });
    expect(contractor?.notes.join(" ")).toMatch(/RBAC bindings.*system:masters/);
  });

  it("keeps everything else as STANDARD with the same username and groups", () => {
    expect(entryFor(plan, `${A}:role/developer`)).toMatchObject({
      type: "STANDARD",
      username: "developer:{{SessionName}}",
      kubernetesGroups: ["view-only"],
      accessPolicies: [],
    });
  });

  it("warns that the SSO role's real ARN (with its path) must come from IAM", () => {
    const sso = entryFor(plan, `${A}:role/AWSReservedSSO_AdministratorAccess_3e3617e16cf3782b`);
    expect(sso?.notes.join(" ")).toMatch(/aws-reserved\/sso\.amazonaws\.com/);
    expect(plan.warnings.join(" ")).toMatch(/not looked up in IAM/);
  });
});

describe("a version the guardian judged dangerous", () => {
  it("warns that the plan would carry the dangerous access over", () => {
    const plan = planMigration(labLatest.s06?.data, {
      ...ctx,
      sourceJudgement: {
        class: "dangerous",
        findings: ["masters-granted: role/contractor-debug now gets system:masters"],
      },
    });
    expect(plan.warnings[0]).toMatch(
      /judged this aws-auth version dangerous \(masters-granted.*--to last-good/,
    );
    expect(
      planMigration(labLatest.s06?.data, {
        ...ctx,
        sourceJudgement: { class: "routine", findings: [] },
      }).warnings.join(" "),
    ).not.toMatch(/dangerous/);
  });
});

describe("the lab's other versions plan the same principals", () => {
  it.each([
    ["s02", "eks:node-manager's unquoted rewrite without Fargate", 3],
    ["s03", "eks:fargate-manager's version", 4],
    ["s04", "Terraform's quoted yamlencode() version", 4],
    ["s05", "the SSO admin's edit adding developer", 5],
  ])("%s (%s)", (key, _what, count) => {
    const plan = planMigration(labVersions[key]?.data ?? labLatest[key]?.data, ctx);
    expect(plan.entries).toHaveLength(count);
    expect(plan.cannotMigrate).toEqual([]);
    expect(unexplainedDifferences(equivalence(plan))).toEqual([]);
  });

  it("quoting does not change the plan (s03 unquoted vs s04 quoted: groups reordered only)", () => {
    const unquoted = planToJson(planMigration(labVersions.s03?.data, ctx));
    const quoted = planToJson(planMigration(labVersions.s04?.data, ctx));
    expect(quoted).toEqual(unquoted);
  });
});

describe("every decision, one constructed aws-auth", () => {
  const plan = planMigration(everyReason, ctx);
  const B = "arn:aws:iam::111122223333";

  it.each([
    ["nodes-linux", "EC2_LINUX"],
    ["nodes-windows", "EC2_WINDOWS"],
    ["fargate-pods", "FARGATE_LINUX"],
  ])("role %s becomes %s with no username or groups of its own", (name, type) => {
    const entry = entryFor(plan, `${B}:role/${name}`);
    expect(entry).toMatchObject({ type, kubernetesGroups: [], accessPolicies: [] });
    expect(entry?.username).toBeUndefined();
    expect(entry?.notes.join(" ")).toMatch(/EKS creates this entry itself when the mode is switched/);
  });

  it("keeps a system:masters entry's other groups (eksctl drops them)", () => {
    expect(entryFor(plan, `${B}:role/platform-admin`)).toMatchObject({
      type: "STANDARD",
      username: "platform-admin:{{SessionName}}",
      kubernetesGroups: ["ops-oncall"],
      accessPolicies: [{ policyArn: ADMIN_POLICY }],
    });
  });

  it.each([
    [`${B}:role/monitor`, "system-group"],
    [`${B}:role/impersonator`, "reserved-username"],
    [`${B}:role/templated`, "unsupported-template"],
    [`${B}:role/nocolon`, "unsupported-template"],
    [`${B}:role/AWSServiceRoleForAmazonEKSNodegroup`, "service-linked-role"],
    [`${B}:role/teams/dead-path`, "dead-entry"],
    [`${B}:role/CI`, "shadowed"],
    ["arn:aws:iam::111122223333:role/awsreservedsso_readonly_*", "sso-pattern"],
    ["444455556666", "map-accounts"],
  ])("%s is not migrated: %s", (principal, reason) => {
    expect(reasonFor(plan, principal)).toContain(reason);
    expect(entryFor(plan, principal)).toBeUndefined();
  });

  it("leaves out a mapUsers entry for an ARN mapRoles already maps (roles are looked up first)", () => {
    expect(plan.cannotMigrate).toContainEqual(
      expect.objectContaining({ from: { section: "mapUsers", index: 1 }, reason: "shadowed" }),
    );
    expect(entryFor(plan, `${B}:role/dev`)).toMatchObject({
      username: "dev:{{SessionName}}",
      from: { section: "mapRoles" },
    });
  });

  it("plans the entry that wins for a duplicated role, not the shadowed one", () => {
    expect(plan.entries.filter((e) => e.principalArn.toLowerCase() === `${B}:role/ci`)).toEqual([
      expect.objectContaining({ username: "ci:{{SessionName}}", kubernetesGroups: ["deployers"] }),
    ]);
  });

  it("never plans a dead entry: the path-ARN admin gets nothing today and nothing after", () => {
    const row = equivalence(plan).find((r) => r.principal === `${B}:role/teams/dead-path`);
    expect(row).toMatchObject({ today: null, after: null, afterApiOnly: null, differences: [] });
  });

  it("has a message for every item not migrated, and uses only documented reason ids", () => {
    for (const item of plan.cannotMigrate) {
      expect(CANNOT_MIGRATE_REASONS).toContain(item.reason);
      expect(item.message.length).toBeGreaterThan(20);
    }
  });

  it("changes no one's access except where it says so", () => {
    const rows = equivalence(plan);
    expect(unexplainedDifferences(rows)).toEqual([]);
    // Every principal aws-auth names has a row.
    for (const p of [`${B}:role/dev`, `${B}:role/ci`, `${B}:user/breakglass`, "444455556666"]) {
      expect(rows.some((r) => r.principal.toLowerCase() === p.toLowerCase())).toBe(true);
    }
    // What is not migrated keeps working through aws-auth, and is lost only in API mode.
    const monitor = rows.find((r) => r.principal === `${B}:role/monitor`);
    expect(monitor?.after).toEqual(monitor?.today);
    expect(monitor?.after?.via).toBe("aws-auth");
    expect(monitor?.afterApiOnly).toBeNull();
  });

  it("flags a plan whose entry would change someone's access without saying so", () => {
    // Prepare: a plan with one entry edited behind the planner's back.
    const broken = planMigration(everyReason, ctx);
    const dev = broken.entries.find((e) => e.principalArn === `${B}:role/dev`);
    if (!dev) throw new Error("fixture lost role/dev");
    dev.kubernetesGroups = ["cluster-admins"];
    // Act
    const unexplained = unexplainedDifferences(equivalence(broken));
    // Assess
    expect(unexplained).toEqual(
      expect.arrayContaining([
        { principal: `${B}:role/dev`, message: "loses group view-only" },
        { principal: `${B}:role/dev`, message: "gains group cluster-admins" },
      ]),
    );
    expect(renderPlanText(broken)).toMatch(/difference\(s\) the plan does not explain: do not apply it/);
  });
});

describe("with what AWS knows", () => {
  const B = "arn:aws:iam::111122223333";

  it("uses the real ARN with its path and marks principals IAM no longer has (never failing the plan)", () => {
    const principals = new Map<string, PrincipalLookup>([
      [`${B}:role/dev`, { status: "found", arn: `${B}:role/teams/dev` }],
      [`${B}:role/platform-admin`, { status: "missing" }],
    ]);
    const plan = planMigration(everyReason, { ...ctx, principals });
    expect(entryFor(plan, `${B}:role/teams/dev`)?.notes.join(" ")).toMatch(/real ARN from IAM/);
    expect(reasonFor(plan, `${B}:role/platform-admin`)).toEqual(["principal-missing"]);
    expect(plan.warnings.join(" ")).not.toMatch(/not looked up in IAM/);
  });

  it("skips an identical existing entry and says how a different one differs", () => {
    const plan = planMigration(everyReason, {
      ...ctx,
      authenticationMode: "API_AND_CONFIG_MAP",
      existingEntries: [
        {
          principalArn: `${B}:role/dev`,
          type: "STANDARD",
          username: "dev:{{SessionName}}",
          kubernetesGroups: ["view-only"],
          accessPolicies: [],
        },
        {
          principalArn: `${B}:user/breakglass`,
          type: "STANDARD",
          username: "breakglass",
          kubernetesGroups: [],
          accessPolicies: [],
        },
      ],
    });
    expect(entryFor(plan, `${B}:role/dev`)?.action).toBe("exists");
    const breakglass = entryFor(plan, `${B}:user/breakglass`);
    expect(breakglass?.action).toBe("differs");
    expect(breakglass?.notes.join(" ")).toMatch(/AmazonEKSClusterAdminPolicy \(cluster\) is not associated/);
    // In API_AND_CONFIG_MAP the existing entry already wins today: the plan does not change that.
    const row = equivalence(plan).find((r) => r.principal === `${B}:user/breakglass`);
    expect(row?.today?.via).toBe("access-entry");
    expect(unexplainedDifferences(equivalence(plan))).toEqual([]);
  });

  it("marks entries nobody used in the window", () => {
    const plan = planMigration(everyReason, {
      ...ctx,
      usage: { days: 30, seen: new Set([`${B}:role/dev`]) },
    });
    expect(entryFor(plan, `${B}:role/dev`)?.notes.join(" ")).not.toMatch(/nobody used it/);
    expect(entryFor(plan, `${B}:user/breakglass`)?.notes.join(" ")).toMatch(
      /nobody used it in the last 30 days/,
    );
  });
});

describe("--format json", () => {
  it("has exactly the documented fields", () => {
    const json = planToJson(planMigration(everyReason, ctx)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      "cluster",
      "source",
      "authenticationMode",
      "entries",
      "cannotMigrate",
      "warnings",
    ]);
    const entries = json.entries as Array<Record<string, unknown>>;
    for (const entry of entries) {
      expect(Object.keys(entry).filter((k) => k !== "username")).toEqual([
        "principalArn",
        "type",
        "kubernetesGroups",
        "accessPolicies",
        "from",
        "notes",
      ]);
    }
    for (const item of json.cannotMigrate as Array<Record<string, unknown>>) {
      expect(Object.keys(item).filter((k) => k !== "principal")).toEqual(["from", "reason", "message"]);
    }
  });
});

describe("total on hostile or broken input", () => {
  it.each([
    ["no data", undefined],
    ["unparseable mapRoles", { mapRoles: "- rolearn: [unclosed" }],
    ["a mapping where a list belongs", { mapRoles: "a: b" }],
    [
      "control characters and pipes",
      {
        mapRoles:
          '- rolearn: "arn:aws:iam::111122223333:role/x"\n  username: "a|b\\u001b[31m"\n  groups: ["g|\\n"]',
      },
    ],
  ])("%s", (_name, data) => {
    const plan = planMigration(data as Record<string, string> | undefined, ctx);
    const text = renderPlanText(plan);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the assertion is that none get through
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).not.toMatch(/a\|b/);
  });
});
