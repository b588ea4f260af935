/**
 * `npm run demo` tells the story of the incident, from the recorded events: what the guardian says at
 * each step, and the command that restores the last good version.
 */
import { describe, expect, it } from "vitest";
import { DEMO_STEPS } from "../../bin/commands/demo.js";
import { contentVersionId, eventKeyOf, followerId } from "../../lambda/core/records.js";
import { LAB_FILES, labEvent, writeOf } from "../support/events.js";
import { runCli } from "./io.js";

function demo() {
  return runCli(["demo"]);
}

/** The output of each step, "━━ Step N." to the next. */
function steps(out: string): string[] {
  return out.split(/^━━ /m).filter((part) => part.startsWith("Step "));
}

describe("demo", () => {
  it("runs without an AWS account and exits 0", async () => {
    const { code, err } = await demo();
    expect(code).toBe(0);
    expect(err).toBe("");
  });

  it("says the class of every step: unverified, captured routine, aws-internal ×2, cosmetic, routine, dangerous ×2", async () => {
    const { out } = await demo();
    const parts = steps(out);
    expect(parts).toHaveLength(DEMO_STEPS.length);
    const verdicts = parts.map((part) => {
      const verdict = part.match(/^ {2}→ ([A-Z-]+), (ALERT sent|no alert \(quiet by design\))$/m);
      if (verdict) return `${verdict[1]?.toLowerCase()} ${verdict[2] === "ALERT sent" ? "alert" : "quiet"}`;
      const captured = part.match(/^ {2}captured version \S+: ([a-z-]+)$/m);
      return `captured ${captured?.[1]}`;
    });
    expect(verdicts).toEqual([
      "unverified alert",
      "captured routine",
      "aws-internal quiet",
      "aws-internal quiet",
      "cosmetic quiet",
      "routine alert",
      "dangerous alert",
      "dangerous alert",
    ]);
  });

  it("explains each step with the right finding", async () => {
    const parts = steps((await demo()).out);
    expect(parts[0]).toContain("[medium] content-unknown: The new content of aws-auth is not known");
    expect(parts[1]).toContain("[info] captures-unverified-write");
    expect(parts[2]).toContain("- role arn:aws:iam::012345678901:role/my-fargate-profile-role");
    expect(parts[2]).toContain(
      "aws-internal-node-mapping-dropped: EKS's own manager dropped the Fargate pod-execution role",
    );
    expect(parts[3]).toContain("+ role arn:aws:iam::012345678901:role/my-fargate-profile-role");
    expect(parts[5]).toContain(
      '+ role arn:aws:iam::012345678901:role/developer as "developer:{{SessionName}}" in view-only',
    );
    expect(parts[6]).toContain(
      "[critical] masters-granted: arn:aws:iam::012345678901:role/contractor-debug now gets system:masters",
    );
    expect(parts[7]).toContain("[critical] aws-auth-deleted: aws-auth was deleted with a direct delete");
  });

  it("prints the alert for each dangerous step and the command that restores the last good version", async () => {
    const { out } = await demo();
    // A version's id is its resourceVersion and the digest of its content; a deletion's is the id of
    // the version it follows, its time and the digest of its event. Never the auditID.
    const lastGood = contentVersionId(writeOf(labEvent(LAB_FILES.ssoEditPatch, "patch")).stored as never);
    const deletion = writeOf(labEvent(LAB_FILES.delete, "delete"));
    const tombstone = followerId(
      "tombstone",
      contentVersionId(writeOf(labEvent(LAB_FILES.escalationPatch, "patch")).stored as never),
      deletion.time,
      eventKeyOf(deletion),
    );
    const restore = `aws-auth-guardian restore --cluster demo --to ${lastGood}`;
    const parts = steps(out);
    for (const dangerous of [parts[6], parts[7]]) {
      expect(dangerous).toContain("  The alert (e-mail text; Slack gets the same through AWS Chatbot):");
      expect(dangerous).toContain(`  │     ${restore}`);
      expect(dangerous).toContain("  │ Class:     dangerous (severity critical)");
    }
    expect(
      out
        .trimEnd()
        .endsWith(
          `One command puts the last good version back, even while everyone is locked out:\n  ${restore}`,
        ),
    ).toBe(true);
    expect(out).toContain(`  ${lastGood}  version     routine\n`);
    expect(tombstone).toMatch(/^0{17}208-[0-9a-f]{24}~\d{23}~deleted-[0-9a-f]{24}$/);
    expect(out).toContain(`  ${tombstone}  tombstone   dangerous\n`);
  });
});
