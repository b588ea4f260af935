/**
 * Property: every cosmetic rewrite of a valid aws-auth (quoting, key order and case, entry order,
 * group order, block/flow/JSON style, indentation, comments, whitespace) is equivalent for the
 * authenticator, and dropping a system:masters or a node/Fargate entry never is. Generators and the
 * renderer are in ./arbitraries.ts. (The classification-level property lives with the classifier.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AwsAuthModel, nodeKindOf, parseAwsAuth } from "../../lambda/core/aws-auth.js";
import { diffModels } from "../../lambda/core/diff.js";
import {
  type AwsAuthSpec,
  awsAuthSpec,
  cosmetics,
  type RoleSpec,
  renderAwsAuth,
  type UserSpec,
} from "./arbitraries.js";

const RUNS = { numRuns: 200 };

type Identity = {
  sso?: { accountID: string; permissionSetName: string; partition?: string };
  rolearn?: string;
};

function roleId(role: Identity): string {
  return role.sso
    ? `sso ${role.sso.accountID} ${role.sso.permissionSetName} ${role.sso.partition ?? ""}`
    : `role ${role.rolearn ?? ""}`;
}

const sorted = <T>(items: T[], key: (item: T) => string) =>
  [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/** What the authenticator maps, independent of how keys and order are represented. */
function effective(model: AwsAuthModel) {
  return {
    roles: sorted(
      model.roles.map((r) => [roleId(r), r.username, [...r.groups].sort()] as const),
      (r) => r[0],
    ),
    users: sorted(
      model.users.map((u) => [u.userarn, u.username, [...u.groups].sort()] as const),
      (u) => u[0],
    ),
    accounts: model.accounts,
  };
}

function intended(spec: AwsAuthSpec) {
  return {
    roles: sorted(
      spec.roles.map((r) => [roleId(r), r.username, [...r.groups].sort()] as const),
      (r) => r[0],
    ),
    users: sorted(
      spec.users.map((u) => [u.userarn, u.username, [...u.groups].sort()] as const),
      (u) => u[0],
    ),
    accounts: [...spec.accounts].sort(),
  };
}

const parse = (spec: AwsAuthSpec, c: Parameters<typeof renderAwsAuth>[1]) =>
  parseAwsAuth(renderAwsAuth(spec, c));

describe("cosmetic rewrites of a valid aws-auth (fast-check)", () => {
  it("read back exactly the generated mappings, with no problem but the SSO feature gate", () => {
    fc.assert(
      fc.property(awsAuthSpec, cosmetics, (spec, c) => {
        const model = parse(spec, c);
        expect(effective(model)).toEqual(intended(spec));
        expect(Object.values(model.sections).map((s) => s.status)).not.toContain("unparseable");
        expect(model.problems.map((p) => p.kind)).toEqual(
          spec.roles.filter((r) => r.sso).map(() => "sso-feature-gate"),
        );
      }),
      RUNS,
    );
  });

  it("two renderings of the same content are equivalent and grant the same access", () => {
    fc.assert(
      fc.property(awsAuthSpec, cosmetics, cosmetics, (spec, c1, c2) => {
        const result = diffModels(parse(spec, c1), parse(spec, c2));
        expect(result.effectiveEqual).toBe(true);
        expect(result.equivalent).toBe(true);
      }),
      RUNS,
    );
  });

  it("dropping a system:masters entry is never equivalent: the entry is reported removed", () => {
    fc.assert(
      fc.property(awsAuthSpec, cosmetics, cosmetics, fc.nat(), (spec, c1, c2, pick) => {
        const masters: Array<{ role: RoleSpec } | { user: UserSpec }> = [
          ...spec.roles.filter((r) => r.groups.includes("system:masters")).map((role) => ({ role })),
          ...spec.users.filter((u) => u.groups.includes("system:masters")).map((user) => ({ user })),
        ];
        const victim = masters[pick % masters.length];
        if (!victim) throw new Error("the generator always includes a system:masters entry");
        const after: AwsAuthSpec =
          "role" in victim
            ? { ...spec, roles: spec.roles.filter((r) => r !== victim.role) }
            : { ...spec, users: spec.users.filter((u) => u !== victim.user) };
        const result = diffModels(parse(spec, c1), parse(after, c2));
        expect(result.equivalent).toBe(false);
        expect(result.effectiveEqual).toBe(false);
        if ("role" in victim) expect(result.roles.removed.map(roleId)).toEqual([roleId(victim.role)]);
        else expect(result.users.removed.map((u) => u.userarn)).toEqual([victim.user.userarn]);
      }),
      RUNS,
    );
  });

  it("dropping a node or Fargate entry is never equivalent: the node role is reported removed", () => {
    fc.assert(
      fc.property(awsAuthSpec, cosmetics, cosmetics, fc.nat(), (spec, c1, c2, pick) => {
        const nodes = spec.roles.filter((r) => r.kind === "node" || r.kind === "fargate");
        const victim = nodes[pick % nodes.length];
        if (!victim) throw new Error("the generator always includes a node or Fargate entry");
        const after = { ...spec, roles: spec.roles.filter((r) => r !== victim) };
        const result = diffModels(parse(spec, c1), parse(after, c2));
        expect(result.equivalent).toBe(false);
        expect(result.effectiveEqual).toBe(false);
        expect(result.roles.removed.map(roleId)).toEqual([roleId(victim)]);
        expect(result.roles.removed.map(nodeKindOf)).toEqual([victim.kind === "fargate" ? "fargate" : "ec2"]);
      }),
      RUNS,
    );
  });
});
