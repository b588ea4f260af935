import { describe, expect, it } from "vitest";
import type { AccessEvent } from "../../lambda/core/access-event.js";
import {
  type AccessChange,
  type AccessPicture,
  changesOfEvent,
  diffPictures,
} from "../../lambda/core/access-picture.js";
import { carriedDangers, judgeAccessEvent } from "../../lambda/core/access-rules.js";
import { makePolicy } from "../../lambda/core/policy.js";

const ACCOUNT = "111122223333";
const OWN = `arn:aws:iam::${ACCOUNT}:role/teams/dev`;
const FOREIGN = "arn:aws:iam::444455556666:role/outsider";
const GUARDIAN = `arn:aws:iam::${ACCOUNT}:role/guardian/ClusterAccess`;
const P = "arn:aws:eks::aws:cluster-access-policy/";

function event(overrides: Partial<AccessEvent>): AccessEvent {
  return {
    eventID: "11111111-2222-3333-4444-555555555555",
    eventName: "AssociateAccessPolicy",
    eventTime: "2026-11-29T09:00:00Z",
    region: "us-east-1",
    account: ACCOUNT,
    cluster: "prod",
    actor: { type: "AssumedRole", principalArn: `arn:aws:iam::${ACCOUNT}:role/PlatformAdmin` },
    principalArn: OWN,
    ...overrides,
  };
}

function judge(e: AccessEvent, policy = makePolicy(), before?: AccessPicture) {
  return judgeAccessEvent({
    event: e,
    changes: changesOfEvent(e, before),
    policy,
    clusterAccount: ACCOUNT,
    guardianRoleArn: GUARDIAN,
  });
}

const cluster = { type: "cluster" as const, namespaces: [] };

describe("access rules", () => {
  it.each([
    [
      "ClusterAdmin at cluster scope",
      { policyArn: `${P}AmazonEKSClusterAdminPolicy`, accessScope: cluster },
      "dangerous",
      "access-cluster-admin",
    ],
    [
      "Admin at cluster scope",
      { policyArn: `${P}AmazonEKSAdminPolicy`, accessScope: cluster },
      "dangerous",
      "access-cluster-admin",
    ],
    [
      "Admin in namespaces",
      {
        policyArn: `${P}AmazonEKSAdminPolicy`,
        accessScope: { type: "namespace" as const, namespaces: ["a"] },
      },
      "routine",
      "access-namespace-admin",
    ],
    [
      "View in a namespace for an own principal",
      {
        policyArn: `${P}AmazonEKSViewPolicy`,
        accessScope: { type: "namespace" as const, namespaces: ["dev"] },
      },
      "routine",
      "access-namespace-scoped",
    ],
    [
      "Edit in a namespace for a foreign principal",
      {
        principalArn: FOREIGN,
        policyArn: `${P}AmazonEKSEditPolicy`,
        accessScope: { type: "namespace" as const, namespaces: ["dev"] },
      },
      "dangerous",
      "access-foreign-principal",
    ],
    [
      "View for the whole cluster",
      { policyArn: `${P}AmazonEKSViewPolicy`, accessScope: cluster },
      "routine",
      "access-cluster-scoped-policy",
    ],
  ])("AssociateAccessPolicy: %s", (_, fields, cls, id) => {
    const verdict = judge(event(fields));
    expect(verdict.class).toBe(cls);
    expect(verdict.findings.map((f) => f.id)).toContain(id);
  });

  it("any entry for a principal of a foreign account is dangerous", () => {
    const verdict = judge(event({ eventName: "CreateAccessEntry", principalArn: FOREIGN }));
    expect(verdict).toMatchObject({ class: "dangerous", severity: "critical" });
  });

  it("the guardian's entry deleted, or losing its policy, is dangerous; with or without its path", () => {
    const pathless = `arn:aws:iam::${ACCOUNT}:role/ClusterAccess`;
    const deleted = judge(event({ eventName: "DeleteAccessEntry", principalArn: GUARDIAN }));
    const lost = judge(
      event({
        eventName: "DisassociateAccessPolicy",
        principalArn: pathless,
        policyArn: `${P}AmazonEKSEditPolicy`,
      }),
    );
    expect(deleted.findings.map((f) => f.id)).toContain("access-guardian-entry-removed");
    expect(lost.findings.map((f) => f.id)).toContain("access-guardian-policy-removed");
    expect([deleted.class, lost.class]).toEqual(["dangerous", "dangerous"]);
  });

  it("a mode change is dangerous and names the step EKS allowed", () => {
    const verdict = judge(
      event({ eventName: "UpdateClusterConfig", principalArn: undefined, authenticationMode: "API" }),
    );
    expect(verdict.class).toBe("dangerous");
    expect(verdict.findings[0]?.message).toContain(
      "from API_AND_CONFIG_MAP to API by arn:aws:iam::111122223333:role/PlatformAdmin: aws-auth is now ignored",
    );
  });

  it("writers outside the trusted writers are dangerous only when trusted writers are configured", () => {
    const e = event({
      policyArn: `${P}AmazonEKSViewPolicy`,
      accessScope: { type: "namespace", namespaces: ["a"] },
    });
    const open = judge(e);
    const trusted = judge(e, makePolicy({ trustedWriters: [`arn:aws:iam::${ACCOUNT}:role/PlatformAdmin`] }));
    const strict = judge(e, makePolicy({ trustedWriters: [`arn:aws:iam::${ACCOUNT}:role/Terraform`] }));
    expect([open.class, trusted.class, strict.class]).toEqual(["routine", "routine", "dangerous"]);
  });

  it("a failed call is rejected and quiet; AccessDenied is a finding that alerts", () => {
    const failed = judge(
      event({
        errorCode: "ResourceInUseException",
        policyArn: `${P}AmazonEKSClusterAdminPolicy`,
        accessScope: cluster,
      }),
    );
    const denied = judge(
      event({
        errorCode: "AccessDenied",
        policyArn: `${P}AmazonEKSClusterAdminPolicy`,
        accessScope: cluster,
      }),
    );
    expect([failed.class, failed.alert, failed.findings.map((f) => f.id)]).toEqual([
      "rejected",
      false,
      ["access-call-failed"],
    ]);
    expect([denied.class, denied.alert, denied.findings.map((f) => f.id)]).toEqual([
      "rejected",
      true,
      ["access-denied"],
    ]);
  });

  it("EKS's own calls are aws-internal", () => {
    const verdict = judge(
      event({
        eventName: "CreateAccessEntry",
        type: "EC2_LINUX",
        actor: { type: "AWSService", invokedBy: "eks.amazonaws.com" },
      }),
      makePolicy({ extraNodeRoleArns: [OWN] }),
    );
    expect(verdict.class).toBe("aws-internal");
  });
});

describe("pictures", () => {
  const base: AccessPicture = {
    authenticationMode: "API_AND_CONFIG_MAP",
    entries: [
      {
        principalArn: GUARDIAN,
        type: "STANDARD",
        kubernetesGroups: [],
        policies: [
          {
            policyArn: `${P}AmazonEKSEditPolicy`,
            accessScope: { type: "namespace", namespaces: ["kube-system"] },
          },
        ],
      },
    ],
  };

  it("diffs into the changes that lead from one picture to the other", () => {
    const after: AccessPicture = {
      authenticationMode: "API",
      entries: [
        ...base.entries,
        {
          principalArn: FOREIGN,
          type: "STANDARD",
          kubernetesGroups: [],
          policies: [{ policyArn: `${P}AmazonEKSClusterAdminPolicy`, accessScope: cluster }],
        },
      ],
    };
    const kinds = diffPictures(base, after).map((c: AccessChange) => c.kind);
    expect(kinds).toEqual(["mode-changed", "entry-added", "policy-associated"]);
    expect(diffPictures(after, after)).toEqual([]);
  });

  it("a picture that still carries a dangerous change is not good", () => {
    const carried = carriedDangers({
      changes: diffPictures(base, { ...base, entries: [] }),
      policy: makePolicy(),
      clusterAccount: ACCOUNT,
      guardianRoleArn: GUARDIAN,
    });
    expect(carried.map((f) => f.id)).toEqual(["access-guardian-entry-removed"]);
  });
});
