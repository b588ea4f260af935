/**
 * Each classification rule on its own: a small pure function from the facts of one write to its
 * findings. The last test reads the rule ids out of lambda/core/rules.ts and checks that every one of
 * them is produced by a case here, so a new rule cannot go untested.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AuditActor } from "../../lambda/core/audit-event.js";
import { parseAwsAuth } from "../../lambda/core/aws-auth.js";
import { classifyWrite } from "../../lambda/core/classify.js";
import { diffModels } from "../../lambda/core/diff.js";
import { makePolicy } from "../../lambda/core/policy.js";
import type { Finding } from "../../lambda/core/records.js";
import {
  awsInternalAccountUnknown,
  awsInternalNodeChanges,
  BASELINE_RULES,
  CONTENT_RULES,
  deadEntryAdded,
  deletion,
  eksIdentityImpersonation,
  eksUsernameMapped,
  foreignAccountAccess,
  guardianWrite,
  judgeAwsInternal,
  lastMastersRemoved,
  madeImmutable,
  mapAccountsAdded,
  mastersGranted,
  nodeRoleLost,
  parseErrorReported,
  type Rule,
  type RuleContext,
  sectionUnparseable,
  silentlyIgnoredAdded,
  touchesOnlyNodeMappings,
  untrustedWriter,
  WRITER_RULES,
} from "../../lambda/core/rules.js";
import {
  ARN,
  asRole,
  CLUSTER_ACCOUNT,
  deleteCollectionEvent,
  deleteEvent,
  derivedAuditID,
  EKS_ACCOUNT,
  goodData,
  IDENTITY,
  LAB_FILES,
  labEvent,
  nodeManagerData,
  roleEntry,
  withRoles,
  writeOf,
} from "../support/events.js";

const POLICY = makePolicy({ clusterAccount: CLUSTER_ACCOUNT });
const produced = new Set<string>();

function run(rule: Rule, ctx: RuleContext): Finding[] {
  const findings = rule(ctx);
  for (const f of findings) produced.add(f.id);
  return findings;
}

/** The context of a human patch from `before` to `after` (data of aws-auth). */
function contentCtx(
  before: Record<string, string> | undefined,
  after: Record<string, string>,
  policy = POLICY,
): RuleContext {
  const b = before ? parseAwsAuth(before) : undefined;
  const a = parseAwsAuth(after);
  return {
    write: writeOf(labEvent(LAB_FILES.escalationPatch, "patch")),
    policy,
    ...(b ? { before: b } : {}),
    after: a,
    diff: diffModels(b, a),
  };
}

function writerCtx(identityUser: ReturnType<typeof IDENTITY.nodeManager>, policy = POLICY): RuleContext {
  const event = labEvent(LAB_FILES.nodeManagerUpdate, "update");
  event.user = identityUser.user;
  return { write: writeOf(event), policy };
}

function actor(overrides: Partial<AuditActor>): AuditActor {
  return { username: "", groups: [], sourceIPs: [], ...overrides };
}

const managerArn = `arn:aws:iam::${EKS_ACCOUNT}:role/AWSWesleyClusterManagerLambda-NodeManagerRole-1W15HHFYBJTFL`;

describe("judgeAwsInternal: username AND role AND account", () => {
  const cases: Array<[string, AuditActor, string | undefined, string]> = [
    [
      "genuine node-manager",
      actor({ username: "eks:node-manager", canonicalArn: managerArn }),
      CLUSTER_ACCOUNT,
      "genuine",
    ],
    [
      "genuine fargate-manager",
      actor({
        username: "eks:fargate-manager",
        canonicalArn: `arn:aws:iam::${EKS_ACCOUNT}:role/AWSWesleyClusterManagerLambda-FargateManagerRole-1CS0QTQBC6DOB`,
      }),
      CLUSTER_ACCOUNT,
      "genuine",
    ],
    [
      "addon-manager",
      actor({
        username: "eks:addon-manager",
        canonicalArn: `arn:aws:iam::${EKS_ACCOUNT}:role/AWSWesleyClusterManagerLambda-Add-AddonManagerRole-1ABCDEF`,
      }),
      CLUSTER_ACCOUNT,
      "genuine",
    ],
    [
      "manager role, account unknown",
      actor({ username: "eks:node-manager", canonicalArn: managerArn }),
      undefined,
      "genuine-unverified-account",
    ],
    [
      "manager role name in the cluster's own account",
      actor({ username: "eks:node-manager", canonicalArn: managerArn.replace(EKS_ACCOUNT, CLUSTER_ACCOUNT) }),
      CLUSTER_ACCOUNT,
      "impersonation",
    ],
    [
      "any other role calling itself eks:node-manager",
      actor({
        username: "eks:node-manager",
        canonicalArn: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/cluster-automation`,
      }),
      undefined,
      "impersonation",
    ],
    [
      "an unknown eks: username on the manager role",
      actor({ username: "eks:cluster-admin", canonicalArn: managerArn }),
      CLUSTER_ACCOUNT,
      "impersonation",
    ],
    [
      "an eks: username with no IAM identity (control-plane certificate)",
      actor({ username: "eks:node-manager" }),
      CLUSTER_ACCOUNT,
      "genuine",
    ],
    [
      "an unknown eks: username with no IAM identity",
      actor({ username: "eks:certificate-controller" }),
      CLUSTER_ACCOUNT,
      "not-eks",
    ],
    [
      "a human",
      actor({ username: "sso-admin:jane", canonicalArn: ARN.ssoAdmin }),
      CLUSTER_ACCOUNT,
      "not-eks",
    ],
  ];
  for (const [name, who, account, verdict] of cases) {
    it(`${name}: ${verdict}`, () => {
      expect(judgeAwsInternal(who, account)).toBe(verdict);
    });
  }
});

describe("writer rules", () => {
  it("eks-identity-impersonation: critical, names the real role", () => {
    const impostor = asRole(IDENTITY.nodeManager(), "cluster-automation", CLUSTER_ACCOUNT);
    const [finding] = run(eksIdentityImpersonation, writerCtx(impostor));
    expect(finding).toMatchObject({
      id: "eks-identity-impersonation",
      severity: "critical",
      entries: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/cluster-automation`],
    });
    expect(run(eksIdentityImpersonation, writerCtx(IDENTITY.nodeManager()))).toEqual([]);
  });

  it("untrusted-writer: only when trusted writers are configured; EKS's managers and the guardian pass", () => {
    const policy = makePolicy({
      clusterAccount: CLUSTER_ACCOUNT,
      trustedWriters: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/terraform-eks-deployer`],
      guardianWriters: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/aws-auth-guardian-*`],
    });
    expect(run(untrustedWriter, writerCtx(IDENTITY.ssoAdmin(), POLICY))).toEqual([]);
    const [finding] = run(untrustedWriter, writerCtx(IDENTITY.ssoAdmin(), policy));
    expect(finding).toMatchObject({ id: "untrusted-writer", severity: "high", entries: [ARN.ssoAdmin] });
    expect(run(untrustedWriter, writerCtx(IDENTITY.terraform(), policy))).toEqual([]);
    expect(run(untrustedWriter, writerCtx(IDENTITY.nodeManager(), policy))).toEqual([]);
    const guardian = asRole(IDENTITY.terraform(), "aws-auth-guardian-restorer", CLUSTER_ACCOUNT);
    expect(run(untrustedWriter, writerCtx(guardian, policy))).toEqual([]);
    // The pattern is matched against the canonical role ARN, not the STS session ARN.
    const bySession = makePolicy({ trustedWriters: ["arn:aws:sts::*"] });
    expect(run(untrustedWriter, writerCtx(IDENTITY.terraform(), bySession))).toHaveLength(1);
  });

  it("guardian-write: info, for the guardian's own role only", () => {
    const policy = makePolicy({
      guardianWriters: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/aws-auth-guardian-*`],
    });
    const guardian = asRole(IDENTITY.terraform(), "aws-auth-guardian-restorer", CLUSTER_ACCOUNT);
    expect(run(guardianWrite, writerCtx(guardian, policy))).toEqual([
      expect.objectContaining({ id: "guardian-write", severity: "info" }),
    ]);
    expect(run(guardianWrite, writerCtx(IDENTITY.terraform(), policy))).toEqual([]);
  });

  it("aws-internal-account-unverified: low, when the cluster's account is unknown", () => {
    expect(run(awsInternalAccountUnknown, writerCtx(IDENTITY.nodeManager(), makePolicy()))).toEqual([
      expect.objectContaining({ id: "aws-internal-account-unverified", severity: "low" }),
    ]);
    expect(run(awsInternalAccountUnknown, writerCtx(IDENTITY.nodeManager(), POLICY))).toEqual([]);
  });

  it("WRITER_RULES hold exactly the four writer rules", () => {
    expect(WRITER_RULES).toEqual([
      eksIdentityImpersonation,
      untrustedWriter,
      guardianWrite,
      awsInternalAccountUnknown,
      madeImmutable,
    ]);
  });
});

describe("content rules", () => {
  it("aws-auth-deleted: delete and deletecollection, critical", () => {
    for (const event of [
      deleteEvent({ auditID: derivedAuditID(400) }),
      deleteCollectionEvent({ auditID: derivedAuditID(401) }),
    ]) {
      const [finding] = run(deletion, { write: writeOf(event), policy: POLICY });
      expect(finding).toMatchObject({ id: "aws-auth-deleted", severity: "critical" });
    }
    expect(run(deletion, contentCtx(goodData(), goodData()))).toEqual([]);
  });

  it("section-unparseable: only for a section that parsed before", () => {
    const good = goodData();
    const broken = { ...good, mapUsers: "- userarn: [unclosed\n" };
    const [finding] = run(sectionUnparseable, contentCtx(good, broken));
    expect(finding).toMatchObject({ id: "section-unparseable", severity: "critical", entries: ["mapUsers"] });
    expect(finding?.message).toContain("all 1 mappings in it");
    expect(run(sectionUnparseable, contentCtx(broken, broken))).toEqual([]);
    // A baseline that does not parse is reported too (nothing to compare with).
    expect(run(sectionUnparseable, contentCtx(undefined, broken))).toHaveLength(1);
  });

  it("node-role-lost: mapping gone, node group lost, template changed; each named", () => {
    const good = goodData();
    expect(run(nodeRoleLost, contentCtx(good, nodeManagerData()))).toEqual([
      expect.objectContaining({ id: "node-role-lost", entries: [ARN.fargate] }),
    ]);
    const noBootstrap = {
      ...good,
      mapRoles: (good.mapRoles ?? "").replaceAll('  - "system:bootstrappers"\n', ""),
    };
    const lost = run(nodeRoleLost, contentCtx(good, noBootstrap));
    expect(lost.map((f) => f.message)).toEqual([
      `Fargate pod-execution role ${ARN.fargate}: it lost system:bootstrappers; its nodes cannot join or renew their credentials.`,
      `node role ${ARN.node}: it lost system:bootstrappers; its nodes cannot join or renew their credentials.`,
    ]);
    expect(run(nodeRoleLost, contentCtx(good, good))).toEqual([]);
  });

  it("masters-granted: new entry or changed groups; not for an entry that already had it", () => {
    const good = goodData();
    const added = withRoles(good, roleEntry(ARN.developer, "dev", ["system:masters"]));
    expect(run(mastersGranted, contentCtx(good, added))).toEqual([
      expect.objectContaining({ id: "masters-granted", severity: "critical", entries: [ARN.developer] }),
    ]);
    // Renaming the username of an admin that already had masters is not a grant.
    const renamed = {
      ...good,
      mapUsers: (good.mapUsers ?? "").replace('"username": "breakglass-admin"', '"username": "bg"'),
    };
    expect(run(mastersGranted, contentCtx(good, renamed))).toEqual([]);
  });

  it("last-masters-removed: only when none is left", () => {
    const good = goodData();
    const { mapUsers: _u, ...noUsers } = good;
    expect(run(lastMastersRemoved, contentCtx(good, noUsers))).toEqual([]);
    const none = {
      ...noUsers,
      mapRoles: (noUsers.mapRoles ?? "").replace('- "system:masters"', '- "view-only"'),
    };
    expect(run(lastMastersRemoved, contentCtx(good, none))).toEqual([
      expect.objectContaining({ id: "last-masters-removed", entries: [ARN.ssoAdmin, ARN.breakglass] }),
    ]);
  });

  it("map-accounts-added: high, names the accounts", () => {
    const good = goodData();
    expect(
      run(
        mapAccountsAdded,
        contentCtx(good, { ...good, mapAccounts: "- '111122223333'\n- '444455556666'\n" }),
      ),
    ).toEqual([
      expect.objectContaining({
        id: "map-accounts-added",
        severity: "high",
        entries: ["111122223333", "444455556666"],
      }),
    ]);
  });

  it("foreign-account-access: only with the cluster's account known", () => {
    const good = goodData();
    const after = withRoles(good, roleEntry("arn:aws:iam::999988887777:role/partner", "partner", []));
    expect(run(foreignAccountAccess, contentCtx(good, after))).toEqual([
      expect.objectContaining({ id: "foreign-account-access", severity: "high" }),
    ]);
    expect(run(foreignAccountAccess, contentCtx(good, after, makePolicy()))).toEqual([]);
  });

  it("eks-username-mapped: own-account roles and non-manager roles; EKS's manager role elsewhere passes", () => {
    const good = goodData();
    const own = withRoles(good, roleEntry(ARN.automation, "eks:node-manager", []));
    expect(run(eksUsernameMapped, contentCtx(good, own))).toEqual([
      expect.objectContaining({ id: "eks-username-mapped", severity: "critical", entries: [ARN.automation] }),
    ]);
    const managers = withRoles(good, roleEntry(managerArn, "eks:node-manager", []));
    expect(run(eksUsernameMapped, contentCtx(good, managers))).toEqual([]);
  });

  it("dead-entry-added: path ARNs, STS ARNs, invalid entries", () => {
    const good = goodData();
    const cases: Array<[string, string]> = [
      [roleEntry(ARN.pathRole, "platform-admin", ["system:masters"]), "role ARN has a path"],
      [
        roleEntry(`arn:aws:sts::${CLUSTER_ACCOUNT}:assumed-role/admin/jane`, "jane", []),
        "an STS assumed-role ARN never matches",
      ],
      ["- username: no-arn\n  groups:\n    - view-only\n", "needs one of rolearn or sso"],
    ];
    for (const [entry, reason] of cases) {
      const findings = run(deadEntryAdded, contentCtx(good, withRoles(good, entry)));
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ id: "dead-entry-added", severity: "high" });
      expect(findings[0]?.message).toContain(reason);
    }
    // Already there before: not "added".
    const path = withRoles(good, roleEntry(ARN.pathRole, "platform-admin", []));
    expect(run(deadEntryAdded, contentCtx(path, path))).toEqual([]);
  });

  it("a value the authenticator cannot decode is a parse error it logs: dangerous (high)", () => {
    const good = goodData();
    const cases: Array<[Record<string, string>, string]> = [
      [
        withRoles(
          good,
          "- rolearn: arn:aws:iam::012345678901:role/ops\n  username: ops\n  groups: system:masters\n",
        ),
        "is not a list",
      ],
      [withRoles(good, "- rolearn: arn:aws:iam::012345678901:role/ops\n  username: yes\n"), "boolean true"],
      [{ ...good, mapAccounts: "- 012345678901\n- {a: b}\n" }, "is a mapping, not an account id"],
    ];
    for (const [after, says] of cases) {
      const findings = run(parseErrorReported, contentCtx(good, after));
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ id: "authenticator-parse-error", severity: "high" });
      expect(findings[0]?.message).toContain(says);
      expect(findings[0]?.message).toContain("Errors parsing configmap");
    }
    // Already reported before the write: not added by it.
    const broken = withRoles(good, "- rolearn: arn:aws:iam::012345678901:role/ops\n  username: yes\n");
    expect(run(parseErrorReported, contentCtx(broken, broken))).toEqual([]);
  });

  it("silently ignored: duplicate-entry, ambiguous-user, ignored-key, unrendered-template (medium)", () => {
    const good = goodData();
    const cases: Array<[Record<string, string>, string]> = [
      [
        withRoles(good, roleEntry(ARN.node.toUpperCase().replace("ARN:AWS:IAM", "arn:aws:iam"), "x", [])),
        "duplicate-entry",
      ],
      [
        {
          ...good,
          mapUsers: `${good.mapUsers}- userarn: arn:aws:iam::012345678901:user/Breakglass-Admin\n  username: other\n`,
        },
        "ambiguous-user",
      ],
      [{ ...good, maproles: "- rolearn: arn:aws:iam::012345678901:role/x\n" }, "ignored-key"],
      [
        withRoles(good, roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/ops`, "ops:{{SessionNameX}}", [])),
        "unrendered-template",
      ],
    ];
    for (const [after, findingId] of cases) {
      const findings = run(silentlyIgnoredAdded, contentCtx(good, after));
      expect(findings.map((f) => f.id)).toContain(findingId);
      expect(findings.every((f) => f.severity === "medium")).toBe(true);
    }
  });

  it("CONTENT_RULES and BASELINE_RULES list the content rules in finding order", () => {
    expect(CONTENT_RULES).toEqual([
      sectionUnparseable,
      nodeRoleLost,
      mastersGranted,
      lastMastersRemoved,
      mapAccountsAdded,
      foreignAccountAccess,
      eksUsernameMapped,
      deadEntryAdded,
      parseErrorReported,
      silentlyIgnoredAdded,
    ]);
    expect(BASELINE_RULES).toEqual([
      sectionUnparseable,
      mapAccountsAdded,
      eksUsernameMapped,
      deadEntryAdded,
      parseErrorReported,
      silentlyIgnoredAdded,
    ]);
  });

  it("rules are pure: the same context gives the same findings and is not modified", () => {
    const ctx = contentCtx(
      goodData(),
      withRoles(nodeManagerData(), roleEntry(ARN.pathRole, "x", ["system:masters"])),
    );
    const snapshot = JSON.stringify(ctx);
    const first = CONTENT_RULES.flatMap((r) => r(ctx));
    expect(CONTENT_RULES.flatMap((r) => r(ctx))).toEqual(first);
    expect(JSON.stringify(ctx)).toBe(snapshot);
  });
});

describe("AWS-internal rewrites", () => {
  it("touchesOnlyNodeMappings: node/Fargate mappings only, nothing dead, no sections broken", () => {
    const good = goodData();
    const diff = (after: Record<string, string>) => diffModels(parseAwsAuth(good), parseAwsAuth(after));
    expect(touchesOnlyNodeMappings(diff(nodeManagerData()))).toBe(true);
    expect(
      touchesOnlyNodeMappings(diff(withRoles(good, roleEntry(ARN.developer, "dev", ["view-only"])))),
    ).toBe(false);
    expect(
      touchesOnlyNodeMappings(
        diff(
          withRoles(
            good,
            roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/n2`, "system:node:{{EC2PrivateDNSName}}", [
              "system:nodes",
              "system:masters",
            ]),
          ),
        ),
      ),
    ).toBe(false);
    expect(touchesOnlyNodeMappings(diff({ ...good, mapAccounts: "- '111122223333'\n" }))).toBe(false);
    expect(touchesOnlyNodeMappings(diff({ ...good, mapRoles: "- [" }))).toBe(false);
    expect(
      touchesOnlyNodeMappings(
        diff(
          withRoles(
            good,
            roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/a/b`, "system:node:{{EC2PrivateDNSName}}", [
              "system:nodes",
            ]),
          ),
        ),
      ),
    ).toBe(false);
  });

  it("awsInternalNodeChanges: dropped (expect it back) and (re-)added, info", () => {
    const dropped = awsInternalNodeChanges(
      diffModels(parseAwsAuth(goodData()), parseAwsAuth(nodeManagerData())),
    );
    expect(dropped).toEqual([
      expect.objectContaining({
        id: "aws-internal-node-mapping-dropped",
        severity: "info",
        entries: [ARN.fargate],
      }),
    ]);
    expect(dropped[0]?.message).toContain(
      "If it is still missing after 15 minutes, restore the last good version",
    );
    const added = awsInternalNodeChanges(
      diffModels(parseAwsAuth(nodeManagerData()), parseAwsAuth(goodData())),
    );
    expect(added).toEqual([
      expect.objectContaining({ id: "aws-internal-node-mapping-added", severity: "info" }),
    ]);
    for (const f of [...dropped, ...added]) produced.add(f.id);
  });
});

describe("madeImmutable", () => {
  /** The recorded escalation patch, its response object (the stored aws-auth) frozen or not. */
  function patchLeaving(immutable: boolean | undefined) {
    const event = labEvent(LAB_FILES.escalationPatch, "patch");
    const response = event.responseObject as Record<string, unknown>;
    if (immutable === undefined) delete response.immutable;
    else response.immutable = immutable;
    return writeOf(event);
  }

  it("flags a write that leaves aws-auth immutable as high: it makes the write dangerous", () => {
    // Prepare
    const ctx = { ...contentCtx(goodData(), goodData()), write: patchLeaving(true) };

    // Act
    const findings = run(madeImmutable, ctx);

    // Assess
    expect(findings).toEqual([expect.objectContaining({ id: "aws-auth-immutable", severity: "high" })]);
    expect(findings[0]?.message).toContain("EKS can no longer add node or Fargate roles");
    expect(WRITER_RULES).toContain(madeImmutable);
    expect(CONTENT_RULES).not.toContain(madeImmutable);
  });

  it("says nothing when aws-auth stays mutable", () => {
    for (const value of [false, undefined]) {
      const ctx = { ...contentCtx(goodData(), goodData()), write: patchLeaving(value) };
      expect(madeImmutable(ctx)).toEqual([]);
    }
  });

  it("classifies the freezing write dangerous end to end (decoded from the audit event)", () => {
    const write = patchLeaving(true);
    const before = {
      id: "00000000000000000206-x",
      kind: "version",
      cluster: "c",
      time: "t",
      class: "routine",
      findings: [],
      configMap: { metadata: {}, data: goodData() },
    } as const;
    const verdict = classifyWrite(
      write,
      { base: before, previous: before, lastGood: before } as never,
      POLICY,
    );
    expect(verdict.class).toBe("dangerous");
    expect(verdict.findings.map((f) => f.id)).toContain("aws-auth-immutable");
  });
});

describe("coverage of rules.ts", () => {
  it("every rule id declared in rules.ts is produced by a case above", () => {
    const source = readFileSync(new URL("../../lambda/core/rules.ts", import.meta.url), "utf8");
    const declared = new Set([
      ...[...source.matchAll(/id: "([a-z-]+)"/g)].map((m) => m[1] as string),
      ...[...source.matchAll(/"[a-z-]+": "([a-z-]+)"/g)].map((m) => m[1] as string),
    ]);
    expect(declared.size).toBeGreaterThanOrEqual(19);
    expect([...declared].filter((d) => !produced.has(d)).sort()).toEqual([]);
  });
});
