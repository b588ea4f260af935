/**
 * resolveCaller: who a caller becomes, as aws-iam-authenticator answers it (server.go doMapping,
 * configmap mapper.go Map, config/mapper.go Matches, arn.go Canonicalize, server.go renderTemplate).
 */
import { describe, expect, it } from "vitest";
import { parseAwsAuth, resolveCaller } from "../../lambda/core/aws-auth.js";

const A = "111122223333";
const NODE = `- rolearn: arn:aws:iam::${A}:role/NodeRole\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n`;
const ADMIN = `- rolearn: arn:aws:iam::${A}:role/Admin\n  username: admin:{{SessionName}}\n  groups: [system:masters]\n`;

describe("resolveCaller", () => {
  it("maps an assumed role by its canonical ARN, username before templates render", () => {
    // Prepare
    const model = parseAwsAuth({ mapRoles: NODE + ADMIN });
    // Act
    const answer = resolveCaller(model, `arn:aws:sts::${A}:assumed-role/Admin/jane@example.com`);
    // Assess
    expect(answer).toMatchObject({
      decision: "mapped",
      via: "role",
      username: "admin:{{SessionName}}",
      groups: ["system:masters"],
      entry: { section: "mapRoles", index: 1 },
      canonicalArn: `arn:aws:iam::${A}:role/Admin`,
    });
  });

  it("matches case-insensitively, the ARN prefix included (strings.EqualFold)", () => {
    const model = parseAwsAuth({
      mapRoles: ADMIN.replace("arn:aws:iam", "ARN:AWS:IAM").replace("Admin", "ADMIN"),
    });
    expect(resolveCaller(model, `arn:aws:sts::${A}:assumed-role/admin/x`).decision).toBe("mapped");
  });

  it("denies {{EC2PrivateDNSName}} for a session that is not an instance id, without falling through", () => {
    const model = parseAwsAuth({ mapRoles: NODE, mapAccounts: `- "${A}"` });
    expect(resolveCaller(model, `arn:aws:sts::${A}:assumed-role/NodeRole/i-0123456789abcdef0`).decision).toBe(
      "mapped",
    );
    const denied = resolveCaller(model, `arn:aws:sts::${A}:assumed-role/NodeRole/jane`);
    expect(denied).toMatchObject({
      decision: "denied",
      cause: "template",
      entry: { section: "mapRoles", index: 0 },
    });
  });

  it("a role ARN with a path never matches: the canonical ARN has none", () => {
    const model = parseAwsAuth({ mapRoles: ADMIN.replace("role/Admin", "role/team/Admin") });
    expect(resolveCaller(model, `arn:aws:sts::${A}:assumed-role/Admin/x`)).toMatchObject({
      decision: "denied",
      cause: "not-mapped",
    });
  });

  it("roles before users; then mapAccounts with the canonical ARN as username", () => {
    const model = parseAwsAuth({
      mapRoles: `- rolearn: arn:aws:iam::${A}:user/bob\n  username: from-roles\n`,
      mapUsers: `- userarn: arn:aws:iam::${A}:user/bob\n  username: from-users\n- userarn: arn:aws:iam::${A}:user/carol\n  username: carol\n`,
      mapAccounts: `- "${A}"`,
    });
    expect(resolveCaller(model, `arn:aws:iam::${A}:user/bob`)).toMatchObject({
      via: "role",
      username: "from-roles",
    });
    expect(resolveCaller(model, `arn:aws:iam::${A}:user/carol`)).toMatchObject({
      via: "user",
      username: "carol",
    });
    expect(resolveCaller(model, `arn:aws:iam::${A}:user/dave`)).toMatchObject({
      decision: "account",
      username: `arn:aws:iam::${A}:user/dave`,
      groups: [],
    });
  });

  it("the last duplicate role wins outright; users differing only in case are ambiguous", () => {
    const model = parseAwsAuth({
      mapRoles: `${ADMIN}- rolearn: arn:aws:iam::${A}:role/admin\n  username: viewer\n  groups: [view]\n`,
      mapUsers: `- userarn: arn:aws:iam::${A}:user/Eve\n  username: a\n- userarn: arn:aws:iam::${A}:user/eve\n  username: b\n`,
    });
    expect(resolveCaller(model, `arn:aws:sts::${A}:assumed-role/Admin/x`)).toMatchObject({
      username: "viewer",
      entry: { index: 1 },
    });
    const eve = resolveCaller(model, `arn:aws:iam::${A}:user/eve`);
    expect(eve.alternatives).toHaveLength(1);
  });

  it("an SSO entry never matches (feature gate off) and an unaccepted caller ARN is refused", () => {
    const model = parseAwsAuth({
      mapRoles: `- sso: {permissionSetName: Admin, accountID: "${A}"}\n  username: sso\n`,
    });
    expect(resolveCaller(model, `arn:aws:sts::${A}:assumed-role/AWSReservedSSO_Admin_0123/x`).decision).toBe(
      "denied",
    );
    expect(resolveCaller(model, "not-an-arn")).toMatchObject({ decision: "denied", cause: "invalid-caller" });
    expect(resolveCaller(model, `arn:aws:s3:::bucket`)).toMatchObject({
      decision: "denied",
      cause: "invalid-caller",
    });
  });
});
