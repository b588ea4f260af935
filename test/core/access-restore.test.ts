import { describe, expect, it } from "vitest";
import type { AccessPicture } from "../../lambda/core/access-picture.js";
import { planAccessRestore, simulate, stepLine } from "../../lambda/core/access-restore.js";

const A = "111122223333";
const P = "arn:aws:eks::aws:cluster-access-policy/";
const GUARDIAN = `arn:aws:iam::${A}:role/guardian/ClusterAccess`;
const ADMIN = `arn:aws:iam::${A}:role/Admin`;
const OUTSIDER = "arn:aws:iam::444455556666:role/outsider";
const cluster = { type: "cluster" as const, namespaces: [] };

const guardianEntry = {
  principalArn: GUARDIAN,
  type: "STANDARD",
  kubernetesGroups: [],
  policies: [
    {
      policyArn: `${P}AmazonEKSEditPolicy`,
      accessScope: { type: "namespace" as const, namespaces: ["kube-system"] },
    },
  ],
};
const adminEntry = {
  principalArn: ADMIN,
  type: "STANDARD",
  kubernetesGroups: ["ops"],
  policies: [{ policyArn: `${P}AmazonEKSClusterAdminPolicy`, accessScope: cluster }],
};
const good: AccessPicture = {
  authenticationMode: "API_AND_CONFIG_MAP",
  entries: [adminEntry, guardianEntry],
};

describe("planAccessRestore", () => {
  it("re-creates deleted entries with their policies and removes added ones, granting before taking away", () => {
    const live: AccessPicture = {
      authenticationMode: "API_AND_CONFIG_MAP",
      entries: [
        guardianEntry,
        {
          principalArn: OUTSIDER,
          type: "STANDARD",
          kubernetesGroups: [],
          policies: [{ policyArn: `${P}AmazonEKSClusterAdminPolicy`, accessScope: cluster }],
        },
      ],
    };

    const plan = planAccessRestore(live, good, { guardianRoleArn: GUARDIAN });

    expect(plan.steps.map(stepLine)).toEqual([
      `create access entry ${ADMIN} (STANDARD) in ops`,
      `associate ${P}AmazonEKSClusterAdminPolicy with ${ADMIN} at cluster scope`,
      `delete access entry ${OUTSIDER}`,
    ]);
    expect(plan.refusals).toEqual([]);
    expect(simulate(live, plan.steps)).toEqual(simulate(good, []));
  });

  it("never removes the guardian's own entry or its policy, even when the target lacks them", () => {
    const target: AccessPicture = { authenticationMode: "API_AND_CONFIG_MAP", entries: [adminEntry] };
    const live: AccessPicture = {
      ...good,
      entries: [
        adminEntry,
        {
          ...guardianEntry,
          policies: [
            ...guardianEntry.policies,
            { policyArn: `${P}AmazonEKSViewPolicy`, accessScope: cluster },
          ],
        },
      ],
    };

    const plan = planAccessRestore(live, target, { guardianRoleArn: `arn:aws:iam::${A}:role/ClusterAccess` });

    expect(plan.steps).toEqual([]);
    expect(plan.notes).toEqual([`Keeps the guardian's own access entry ${GUARDIAN}.`]);
  });

  it("refuses to remove the last admin path of an API-mode cluster", () => {
    const live: AccessPicture = { authenticationMode: "API", entries: [adminEntry, guardianEntry] };
    const target: AccessPicture = { authenticationMode: "API", entries: [guardianEntry] };

    const plan = planAccessRestore(live, target, { guardianRoleArn: GUARDIAN });

    expect(plan.refusals[0]).toContain("would remove the last admin path");
  });

  it("says the mode cannot go back instead of trying", () => {
    const live: AccessPicture = { ...good, authenticationMode: "API" };

    const plan = planAccessRestore(live, good, { guardianRoleArn: GUARDIAN });

    expect(plan.steps).toEqual([]);
    expect(plan.notes).toEqual([
      "The authentication mode stays API: EKS cannot switch back to API_AND_CONFIG_MAP.",
    ]);
  });

  it("puts groups and scopes back", () => {
    const live: AccessPicture = {
      ...good,
      entries: [
        {
          ...adminEntry,
          kubernetesGroups: ["ops", "extra"],
          policies: [
            {
              policyArn: `${P}AmazonEKSClusterAdminPolicy`,
              accessScope: { type: "namespace", namespaces: ["a"] },
            },
          ],
        },
        guardianEntry,
      ],
    };

    const plan = planAccessRestore(live, good, { guardianRoleArn: GUARDIAN });

    expect(plan.steps.map(stepLine)).toEqual([
      `update access entry ${ADMIN}: groups ops`,
      `associate ${P}AmazonEKSClusterAdminPolicy with ${ADMIN} at cluster scope`,
    ]);
  });
});
