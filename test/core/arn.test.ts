/**
 * ARN helpers against aws-iam-authenticator `pkg/arn/arn.go` (Canonicalize) and the ARN format
 * (arn:partition:service:region:account:resource).
 */
import { describe, expect, it } from "vitest";
import {
  accountOf,
  canonicalPrincipalArn,
  matchesArnPattern,
  parseArn,
  roleArnHasPath,
  roleName,
} from "../../lambda/core/arn.js";

const A = "012345678901";

describe("parseArn", () => {
  it("splits partition, service, region, account, resource type and path", () => {
    expect(
      parseArn(`arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_X_Y`),
    ).toEqual({
      partition: "aws",
      service: "iam",
      region: "",
      account: A,
      resourceType: "role",
      resourcePath: "aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_X_Y",
    });
    expect(parseArn(`arn:aws-cn:sts::${A}:assumed-role/admin/jane`)).toMatchObject({
      partition: "aws-cn",
      service: "sts",
      resourceType: "assumed-role",
      resourcePath: "admin/jane",
    });
    expect(parseArn(`arn:aws:iam::${A}:root`)).toMatchObject({ resourceType: "root", resourcePath: "" });
    expect(parseArn(`arn:aws:iam:eu-west-1:${A}:role/r`)).toMatchObject({ region: "eu-west-1" });
  });

  it("keeps colons inside the resource; the type is what precedes the first slash", () => {
    expect(parseArn(`arn:aws:logs:eu-west-1:${A}:log-group:/aws/eks/x:*`)).toMatchObject({
      region: "eu-west-1",
      resourceType: "log-group:",
      resourcePath: "aws/eks/x:*",
    });
  });

  it.each(["", "my-node-role", "arn:aws:iam", `aws:iam::${A}:role/x`, `ARN:aws:iam::${A}:role/x`])(
    "%j is not an ARN",
    (text) => {
      expect(parseArn(text)).toBeUndefined();
    },
  );
});

describe("accountOf", () => {
  it("is the account field, or undefined when there is none", () => {
    expect(accountOf(`arn:aws:iam::${A}:user/x`)).toBe(A);
    expect(accountOf("arn:aws:s3:::bucket")).toBeUndefined();
    expect(accountOf("not-an-arn")).toBeUndefined();
  });
});

describe("roleArnHasPath (aws-iam-authenticator#268)", () => {
  it.each([
    [`arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_X_Y`, true],
    [`arn:aws:iam::${A}:role/service-role/my-role`, true],
    [`arn:aws:iam::${A}:role/AWSReservedSSO_X_Y`, false],
    [`arn:aws:iam::${A}:user/division/alice`, false],
    [`arn:aws:sts::${A}:assumed-role/admin/jane`, false],
    ["my-role", false],
  ])("%s → %s", (arn, expected) => {
    expect(roleArnHasPath(arn)).toBe(expected);
  });
});

describe("roleName", () => {
  it("is the last path segment of a role, the role of an assumed role, nothing for others", () => {
    expect(roleName(`arn:aws:iam::${A}:role/service-role/AWSWesleyClusterManagerLambda-x`)).toBe(
      "AWSWesleyClusterManagerLambda-x",
    );
    expect(roleName(`arn:aws:sts::${A}:assumed-role/AWSWesleyClusterManagerLambda-x/1234`)).toBe(
      "AWSWesleyClusterManagerLambda-x",
    );
    expect(roleName(`arn:aws:iam::${A}:user/alice`)).toBeUndefined();
    expect(roleName("nope")).toBeUndefined();
  });
});

describe("canonicalPrincipalArn: arn.go Canonicalize", () => {
  it.each([
    [`arn:aws:sts::${A}:assumed-role/admin/jane`, `arn:aws:iam::${A}:role/admin`],
    [
      `arn:aws:sts::${A}:assumed-role/AWSReservedSSO_AdministratorAccess_3e3617e16cf3782b/jane@example.com`,
      `arn:aws:iam::${A}:role/AWSReservedSSO_AdministratorAccess_3e3617e16cf3782b`,
    ],
    [`arn:aws-cn:sts::${A}:assumed-role/ops/i-0123456789abcdef0`, `arn:aws-cn:iam::${A}:role/ops`],
    [`arn:aws:iam::${A}:user/division/alice`, `arn:aws:iam::${A}:user/division/alice`],
    [`arn:aws:iam::${A}:root`, `arn:aws:iam::${A}:root`],
    [`arn:aws:sts::${A}:federated-user/bob`, `arn:aws:sts::${A}:federated-user/bob`],
    [`arn:aws:iam::${A}:role/with/path`, `arn:aws:iam::${A}:role/with/path`],
    // Canonicalize refuses an assumed role without a session name; the caller never has one.
    [`arn:aws:sts::${A}:assumed-role/admin`, `arn:aws:sts::${A}:assumed-role/admin`],
  ])("%s → %s", (arn, canonical) => {
    expect(canonicalPrincipalArn(arn)).toBe(canonical);
  });
});

describe("matchesArnPattern", () => {
  it("* matches any run of characters, everything else is literal and case-sensitive", () => {
    expect(
      matchesArnPattern(
        `arn:aws:iam::${A}:role/terraform-eks-deployer`,
        `arn:aws:iam::${A}:role/terraform-*`,
      ),
    ).toBe(true);
    expect(matchesArnPattern(`arn:aws:iam::${A}:role/terraform`, `arn:aws:iam::*:role/terraform`)).toBe(true);
    expect(matchesArnPattern(`arn:aws:iam::${A}:role/Terraform`, `arn:aws:iam::${A}:role/terraform`)).toBe(
      false,
    );
    expect(matchesArnPattern(`arn:aws:iam::${A}:role/terraform-x`, `arn:aws:iam::${A}:role/terraform`)).toBe(
      false,
    );
    expect(matchesArnPattern(`arn:aws:iam::${A}:role/aXb`, `arn:aws:iam::${A}:role/a.b`)).toBe(false);
    expect(matchesArnPattern(`arn:aws:iam::${A}:role/a+b(c)`, `arn:aws:iam::${A}:role/a+b(c)`)).toBe(true);
    expect(matchesArnPattern(`arn:aws:iam::${A}:role/ab`, `arn:aws:iam::${A}:role/a?b`)).toBe(false);
  });
});
