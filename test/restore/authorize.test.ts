/**
 * The gate in front of restores: who asks is proven through STS (an in-test STS that really checks SigV4
 * with known secrets), and the function acts only for configured operators and, without force, for the
 * cluster's system:masters holders in the last good version. Every refusal is recorded in the store and
 * announced on the topic, and nothing is asked of EKS, read from or written to the cluster. An aws-auth
 * restore and an access-entry restore pass the same gate: what holds for both is tested for both.
 */
import { describe, expect, it } from "vitest";
import { authorize, holdsSystemMasters } from "../../lambda/restore/authorize.js";
import {
  createCallerProof,
  type ProofCheck,
  REQUEST_BINDING_HEADER,
  requestBinding,
  verifyCallerProof,
} from "../../lambda/restore/caller-proof.js";
import {
  accessRestoreBinding,
  type ClusterAccessResult,
  restoreBinding,
} from "../../lambda/restore/create-handler.js";
import type { FakeStsIdentity } from "../support/fake-sts.js";
import { drainQueue } from "../support/moto.js";
import {
  clusterAccessAwsForSuite,
  type RestoreRig,
  type RestoreRigOptions,
  restoreRigForEachTest,
} from "../support/restore-rig.js";
import { ONCALL, provenInvoke } from "./cluster-access.js";
import { ACCOUNT, awsAuth, CLUSTER, CONTRACTOR_ROLE, ESCALATED_DATA, GOOD_DATA } from "./fixtures.js";

/** Named in RESTORE_OPERATORS: may restore with force. */
const SRE: FakeStsIdentity = {
  accessKeyId: "AKIDSRE",
  secretAccessKey: "sre-secret",
  sessionToken: "sre-session",
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/sre-restore/alice`,
};
/** Can invoke the function (PowerUserAccess) but administers nothing. */
const DEVELOPER: FakeStsIdentity = {
  accessKeyId: "AKIDDEV",
  secretAccessKey: "dev-secret",
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/developer/mallory`,
};

/** What differs between the two gated actions, as the function answers and records them. */
interface Gate {
  action: "restore" | "restore-access-entries";
  /** The binding a proof for this action signs. */
  binding(fields: { cluster: string; force?: boolean }): string;
  /** Where the function records this action's restores. */
  restores: string;
  /** The result of a refused caller. */
  refused: Record<string, unknown>;
  /** The first reason of a refusal. */
  refusal(result: ClusterAccessResult): string | undefined;
  /** The subject of the announced refusal. */
  subject: string;
  /** What the developer asks for when refused (the aws-auth case asks for a mere dry run). */
  developerAsks: { dryRun?: boolean };
  rig: RestoreRigOptions;
}

const AWS_AUTH_RESTORE: Gate = {
  action: "restore",
  binding: (fields) => restoreBinding({ action: "restore", ...fields }),
  restores: `clusters/${CLUSTER}/restores/`,
  refused: { operation: "restore", outcome: "refused", action: "none" },
  refusal: (result) => (result as { refusal?: string[] }).refusal?.[0],
  subject: "[aws-auth RESTORE REFUSED] prod",
  developerAsks: { dryRun: true },
  rig: {},
};

const ACCESS_ENTRY_RESTORE: Gate = {
  action: "restore-access-entries",
  binding: (fields) => accessRestoreBinding({ action: "restore-access-entries", ...fields }),
  restores: `clusters/${CLUSTER}/access/restores/`,
  refused: { operation: "restore-access-entries", outcome: "refused", done: [] },
  refusal: (result) => (result as { refusals?: string[] }).refusals?.[0],
  subject: "[access-entry RESTORE REFUSED] prod",
  developerAsks: {},
  // What access entries need; moto's cluster is CONFIG_MAP.
  rig: { cluster: { authenticationMode: "API_AND_CONFIG_MAP", auditLoggingEnabled: true } },
};

describe("the restore gates (moto S3/SNS/EKS, in-test STS checking SigV4, in-test API server)", () => {
  const aws = clusterAccessAwsForSuite("gate-alerts", [SRE, DEVELOPER]);

  /**
   * Asserts a refusal of the caller: EKS not asked, nothing read from or written to the cluster, recorded
   * as unauthorized, announced.
   */
  async function expectRefused(
    rig: RestoreRig,
    gate: Gate,
    result: ClusterAccessResult,
    reason: RegExp | string,
    by: string | RegExp,
  ): Promise<void> {
    expect(result).toMatchObject(gate.refused);
    expect(gate.refusal(result)).toMatch(reason);
    expect(rig.described).toBe(0);
    expect(rig.server.requests.slice(rig.before)).toEqual([]);
    expect(rig.server.object()?.data).toStrictEqual(ESCALATED_DATA);
    const records = await rig.records(gate.restores);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "refused", unauthorized: true, by });
    expect(JSON.stringify(records[0])).not.toContain("X-Amz-Signature");
    const messages = await drainQueue(rig.aws.sqs, rig.aws.queueUrl);
    expect(messages.map((m) => m.Subject)).toEqual([expect.stringContaining(gate.subject)]);
  }

  describe.each([AWS_AUTH_RESTORE, ACCESS_ENTRY_RESTORE].map((gate) => [gate.action, gate] as const))(
    "both gates: %s",
    (_action, gate) => {
      const rig = restoreRigForEachTest(aws, gate.rig);

      it("fails: no proof is refused without asking STS, whatever requestedBy claims", async () => {
        // Act
        const result = await rig.handler({
          action: gate.action,
          cluster: CLUSTER,
          force: true,
          requestedBy: "arn:aws:iam::111122223333:role/sre-restore",
        });

        // Assess
        await expectRefused(
          rig,
          gate,
          result,
          /caller not proven: no proof/,
          "unknown caller (no valid proof)",
        );
        expect(rig.aws.sts.calls).toHaveLength(0);
        expect((await rig.records(gate.restores))[0]?.claimedBy).toBe(
          "arn:aws:iam::111122223333:role/sre-restore",
        );
      });

      it("fails: an operator's proof replayed by someone else after it expired is refused", async () => {
        // Prepare: the operator's proof for exactly this request, seen by someone else (a log, a proxy).
        const fields = { cluster: CLUSTER, force: true };
        const proof = await createCallerProof({
          credentials: SRE,
          region: rig.aws.sts.region,
          stsEndpoint: rig.aws.sts.url,
          binding: gate.binding(fields),
        });
        rig.now = new Date(Date.now() + 120_000);

        // Act
        const result = await rig.handler({ action: gate.action, ...fields, proof });

        // Assess
        await expectRefused(
          rig,
          gate,
          result,
          /caller not proven: the proof expired at/,
          "unknown caller (no valid proof)",
        );
      });

      it("fails: a caller who is neither an operator nor a system:masters holder is refused, and named", async () => {
        // Act
        const result = await provenInvoke(
          rig.handler,
          rig.aws.sts,
          DEVELOPER,
        )({ action: gate.action, cluster: CLUSTER, ...gate.developerAsks });

        // Assess
        await expectRefused(
          rig,
          gate,
          result,
          `${DEVELOPER.arn} may not ${gate.action} on prod: not a configured restore operator, and holds no system:masters mapping in the last good version`,
          DEVELOPER.arn,
        );
      });

      it("fails: force from a default operator (system:masters in the last good version) is refused", async () => {
        // Act
        const result = await provenInvoke(
          rig.handler,
          rig.aws.sts,
          ONCALL,
        )({ action: gate.action, cluster: CLUSTER, force: true });

        // Assess
        await expectRefused(rig, gate, result, `allows a ${gate.action} but not with force`, ONCALL.arn);
      });
    },
  );

  describe("the aws-auth restore gate alone", () => {
    const gate = AWS_AUTH_RESTORE;
    const rig = restoreRigForEachTest(aws, gate.rig);

    it("restores for the cluster's admin (system:masters in the last good version), proven through STS", async () => {
      // Act
      const result = await provenInvoke(
        rig.handler,
        rig.aws.sts,
        ONCALL,
      )({ action: "restore", cluster: CLUSTER });

      // Assess
      expect(result).toMatchObject({ outcome: "restored" });
      expect(rig.server.object()?.data).toStrictEqual(GOOD_DATA);
      expect(rig.aws.sts.calls).toEqual([{ accessKeyId: "testing", outcome: "ok" }]);
      const [record] = await rig.records(gate.restores);
      expect(record?.by).toBe(
        `${ONCALL.arn} (holds system:masters in the last good version ${String((result as { target?: string }).target)})`,
      );
    });

    it("restores with force for a configured operator (a session of a role matching RESTORE_OPERATORS)", async () => {
      // Act
      const result = await provenInvoke(
        rig.handler,
        rig.aws.sts,
        SRE,
      )({ action: "restore", cluster: CLUSTER, force: true });

      // Assess
      expect(result).toMatchObject({ outcome: "restored", forced: true });
      expect((await rig.records(gate.restores))[0]?.by).toBe(
        `${SRE.arn} (restore operator (matches arn:aws:iam::${ACCOUNT}:role/sre-*))`,
      );
    });

    it("fails: a proof STS itself finds expired is refused (the function's clock is not the only judge)", async () => {
      // Prepare
      const event = { action: "restore" as const, cluster: CLUSTER };
      const proof = await createCallerProof({
        credentials: ONCALL,
        region: rig.aws.sts.region,
        stsEndpoint: rig.aws.sts.url,
        binding: restoreBinding(event),
      });
      rig.aws.sts.now = () => new Date(Date.now() + 120_000);

      // Act
      const result = await rig.handler({ ...event, proof });

      // Assess
      await expectRefused(
        rig,
        gate,
        result,
        /STS refused the proof \(HTTP 403 ExpiredToken\)/,
        "unknown caller (no valid proof)",
      );
    });

    it("fails: a forged proof (signed with a guessed secret) is refused by STS", async () => {
      // Prepare
      const event = { action: "restore" as const, cluster: CLUSTER, force: true };
      const proof = await createCallerProof({
        credentials: { ...SRE, secretAccessKey: "guessed" },
        region: rig.aws.sts.region,
        stsEndpoint: rig.aws.sts.url,
        binding: restoreBinding(event),
      });

      // Act
      const result = await rig.handler({ ...event, proof });

      // Assess
      await expectRefused(
        rig,
        gate,
        result,
        /HTTP 403 SignatureDoesNotMatch/,
        "unknown caller (no valid proof)",
      );
      expect(rig.aws.sts.calls).toEqual([
        { accessKeyId: "AKIDSRE", outcome: "rejected", code: "SignatureDoesNotMatch" },
      ]);
    });

    it("fails: an operator's proof for a dry run cannot be replayed for a forced write", async () => {
      // Prepare: the proof the operator's CLI sent with its dry run.
      const dryRun = { action: "restore" as const, cluster: CLUSTER, dryRun: true };
      const proof = await createCallerProof({
        credentials: SRE,
        region: rig.aws.sts.region,
        stsEndpoint: rig.aws.sts.url,
        binding: restoreBinding(dryRun),
      });

      // Act
      const result = await rig.handler({
        action: "restore",
        cluster: CLUSTER,
        to: "latest",
        force: true,
        proof,
      });

      // Assess
      await expectRefused(rig, gate, result, /SignatureDoesNotMatch/, "unknown caller (no valid proof)");
    });

    it("fails: the escalated contractor, system:masters only in the dangerous latest version, is refused", async () => {
      // Prepare: the contractor's own role session.
      const contractor = rig.aws.sts.add({
        accessKeyId: "AKIDCONTRACTOR",
        secretAccessKey: "contractor-secret",
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${CONTRACTOR_ROLE.split("/").pop()}/eve`,
      });

      // Act
      const result = await provenInvoke(
        rig.handler,
        rig.aws.sts,
        contractor,
      )({ action: "restore", cluster: CLUSTER, to: "latest" });

      // Assess
      await expectRefused(
        rig,
        gate,
        result,
        /holds no system:masters mapping in the last good version/,
        contractor.arn,
      );
    });
  });

  describe("the access-entry restore gate alone", () => {
    const gate = ACCESS_ENTRY_RESTORE;
    const rig = restoreRigForEachTest(aws, gate.rig);

    it("lets the cluster's admin through without force: the restore goes on to EKS and the store", async () => {
      // Act
      const result = await provenInvoke(
        rig.handler,
        rig.aws.sts,
        ONCALL,
      )({ action: "restore-access-entries", cluster: CLUSTER });

      // Assess: past the gate, the store has no access record to go back to (a refusal of its own).
      expect(result).toMatchObject({ operation: "restore-access-entries", outcome: "refused" });
      expect((result as { refusals: string[] }).refusals).toEqual([
        `no access record last-good for cluster ${CLUSTER}`,
      ]);
      expect(rig.described).toBe(1);
      const [record] = await rig.records(gate.restores);
      expect(record?.unauthorized).toBeUndefined();
      expect(String(record?.by)).toMatch(
        /^arn:aws:sts::111122223333:assumed-role\/platform-admin\/oncall \(holds system:masters in the last good version /,
      );
    });

    it("lets a configured operator force, proven through STS", async () => {
      // Act
      const result = await provenInvoke(
        rig.handler,
        rig.aws.sts,
        SRE,
      )({ action: "restore-access-entries", cluster: CLUSTER, force: true });

      // Assess
      expect((result as { refusals: string[] }).refusals).toEqual([
        `no access record last-good for cluster ${CLUSTER}`,
      ]);
      expect(rig.described).toBe(1);
      expect((await rig.records(gate.restores))[0]?.by).toBe(
        `${SRE.arn} (restore operator (matches arn:aws:iam::${ACCOUNT}:role/sre-*))`,
      );
    });

    it("fails: an aws-auth restore's proof does not serve an access-entry restore", async () => {
      // Prepare: the operator's proof for an aws-auth restore with the same fields.
      const proof = await createCallerProof({
        credentials: SRE,
        region: rig.aws.sts.region,
        stsEndpoint: rig.aws.sts.url,
        binding: restoreBinding({ action: "restore", cluster: CLUSTER, force: true }),
      });

      // Act
      const result = await rig.handler({
        action: "restore-access-entries",
        cluster: CLUSTER,
        force: true,
        proof,
      });

      // Assess
      await expectRefused(rig, gate, result, /SignatureDoesNotMatch/, "unknown caller (no valid proof)");
    });

    it("fails: a proof for one live fingerprint cannot be replayed for another plan", async () => {
      // Prepare
      const confirmed = {
        action: "restore-access-entries" as const,
        cluster: CLUSTER,
        expectLiveFingerprint: "a".repeat(64),
      };
      const proof = await createCallerProof({
        credentials: ONCALL,
        region: rig.aws.sts.region,
        stsEndpoint: rig.aws.sts.url,
        binding: accessRestoreBinding(confirmed),
      });

      // Act
      const result = await rig.handler({ ...confirmed, expectLiveFingerprint: "b".repeat(64), proof });

      // Assess
      await expectRefused(rig, gate, result, /SignatureDoesNotMatch/, "unknown caller (no valid proof)");
    });
  });
});

describe("verifyCallerProof, without a network", () => {
  const region = "us-east-1";
  const binding = requestBinding("restore", "prod", { force: true });

  it("refuses a proof signed for another host without contacting it", async () => {
    // Prepare
    const proof = await createCallerProof({
      credentials: ONCALL,
      region,
      stsEndpoint: "https://sts.attacker.example",
      binding,
    });
    const fetched: string[] = [];

    // Act
    const check = await verifyCallerProof(proof, {
      region,
      binding,
      fetch: async (url) => {
        fetched.push(String(url));
        return new Response("{}");
      },
    });

    // Assess
    expect(check).toMatchObject({
      ok: false,
      refusal: "malformed",
      reason: "the proof is not signed for sts.us-east-1.amazonaws.com",
    });
    expect(fetched).toEqual([]);
  });

  it("refuses a proof that does not sign the request binding (an EKS token's URL, say)", async () => {
    // Prepare: a GetCallerIdentity URL with the signed headers list edited to drop the binding.
    const proof = await createCallerProof({ credentials: ONCALL, region, binding });
    const unbound = proof.replace(`%3B${REQUEST_BINDING_HEADER}`, "%3Bx-k8s-aws-id");

    // Act
    const check = await verifyCallerProof(unbound, {
      region,
      binding,
      fetch: async () => new Response("{}"),
    });

    // Assess
    expect(check).toMatchObject({ ok: false, refusal: "malformed" });
    expect((check as { reason: string }).reason).toContain("not bound to this request");
  });

  it("refuses a proof signed for another region and one that lives longer than 15 minutes", async () => {
    // Prepare
    const elsewhere = await createCallerProof({ credentials: ONCALL, region: "eu-west-1", binding });
    const long = await createCallerProof({ credentials: ONCALL, region, binding, expiresInSeconds: 900 });
    const tooLong = long.replace("X-Amz-Expires=900", "X-Amz-Expires=3600");

    // Act
    const checks = await Promise.all(
      [elsewhere.replace("sts.eu-west-1", "sts.us-east-1"), tooLong].map((proof) =>
        verifyCallerProof(proof, { region, binding, fetch: async () => new Response("{}") }),
      ),
    );

    // Assess
    expect(checks.map((c) => (c as { reason: string }).reason)).toEqual([
      "the proof is not signed for STS in us-east-1",
      "the proof lives 3600 s; at most 900 s are accepted",
    ]);
  });

  it("sends the binding of the request it received as the signed header, and reads the ARN STS answers", async () => {
    // Prepare
    const proof = await createCallerProof({ credentials: ONCALL, region, binding });
    const sent: Array<Record<string, string>> = [];

    // Act
    const check = await verifyCallerProof(proof, {
      region,
      binding,
      fetch: async (_url, init) => {
        sent.push(init?.headers as Record<string, string>);
        return new Response(
          JSON.stringify({
            GetCallerIdentityResponse: { GetCallerIdentityResult: { Arn: ONCALL.arn, Account: ACCOUNT } },
          }),
        );
      },
    });

    // Assess
    expect(sent).toEqual([{ [REQUEST_BINDING_HEADER]: binding, accept: "application/json" }]);
    expect(check).toEqual({
      ok: true,
      arn: ONCALL.arn,
      account: ACCOUNT,
      canonicalArn: `arn:aws:iam::${ACCOUNT}:role/platform-admin`,
    });
  });
});

describe("authorize (pure)", () => {
  const proven = (arn: string, canonicalArn: string): ProofCheck => ({
    ok: true,
    arn,
    canonicalArn,
    account: ACCOUNT,
  });
  const lastGood = { id: "v1", configMap: awsAuth(GOOD_DATA) };
  const write = { action: "restore-access-entries", cluster: "prod", force: false };

  it("is generic over the action: the same rules hold for an access-entry restore", () => {
    // Act
    const admin = authorize(
      write,
      proven(`arn:aws:iam::${ACCOUNT}:user/breakglass`, `arn:aws:iam::${ACCOUNT}:user/breakglass`),
      [],
      { lastGood },
    );
    const forced = authorize(
      { ...write, force: true },
      proven(`arn:aws:iam::${ACCOUNT}:user/breakglass`, `arn:aws:iam::${ACCOUNT}:user/breakglass`),
      [],
      { lastGood },
    );

    // Assess
    expect(admin).toMatchObject({ ok: true, basis: "holds system:masters in the last good version v1" });
    expect(forced).toMatchObject({ ok: false });
    expect((forced as { reason: string }).reason).toContain(
      "allows a restore-access-entries but not with force",
    );
  });

  it("acts for the cluster's creator without force, and for nobody when no last good version exists", () => {
    // Prepare
    const creator = proven(
      `arn:aws:sts::${ACCOUNT}:assumed-role/creator/x`,
      `arn:aws:iam::${ACCOUNT}:role/creator`,
    );

    // Act
    const byCreator = authorize(write, creator, [], { creatorArn: `arn:aws:iam::${ACCOUNT}:role/creator` });
    const byNobody = authorize(write, creator, [], {
      lastGoodUnavailable: "no last good version is recorded",
    });

    // Assess
    expect(byCreator).toMatchObject({ ok: true, basis: "created the cluster" });
    expect((byNobody as { reason: string }).reason).toContain(
      "there is no last good version to name the cluster's admins (no last good version is recorded)",
    );
  });

  it("knows the creator CloudTrail names with its role path, and no other role of that name elsewhere", () => {
    // Prepare
    const session = proven(
      `arn:aws:sts::${ACCOUNT}:assumed-role/ClusterCreator/x`,
      `arn:aws:iam::${ACCOUNT}:role/ClusterCreator`,
    );
    const otherAccount = proven(
      "arn:aws:sts::444455556666:assumed-role/ClusterCreator/x",
      "arn:aws:iam::444455556666:role/ClusterCreator",
    );
    const defaults = { creatorArn: `arn:aws:iam::${ACCOUNT}:role/platform/ClusterCreator` };

    // Act
    const creator = authorize(write, session, [], defaults);
    const stranger = authorize(write, otherAccount, [], defaults);

    // Assess
    expect(creator).toMatchObject({ ok: true, basis: "created the cluster" });
    expect(stranger).toMatchObject({ ok: false });
  });

  it("matches roles case-insensitively and users exactly, as the authenticator does", () => {
    // Act / Assess
    const configMap = awsAuth(GOOD_DATA);
    expect(holdsSystemMasters(configMap, `arn:aws:iam::${ACCOUNT}:role/PLATFORM-ADMIN`)).toBe(true);
    expect(holdsSystemMasters(configMap, `arn:aws:iam::${ACCOUNT}:user/breakglass`)).toBe(true);
    expect(holdsSystemMasters(configMap, `arn:aws:iam::${ACCOUNT}:user/BreakGlass`)).toBe(false);
    expect(holdsSystemMasters(configMap, `arn:aws:iam::${ACCOUNT}:role/eks-node`)).toBe(false);
  });
});
