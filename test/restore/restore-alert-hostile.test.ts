/**
 * Restore notifications (aws-auth and access entries) with every value that a caller, a stored record, the
 * API server or EKS supplies made hostile, one hostile string after another: the cluster name too, since a
 * refused request is announced before anything validates it. Each medium must hold: the e-mail has exactly
 * the lines of a harmless notification of the same shape and none of them carries a control or format
 * character; the SNS subject is one printable ASCII line under 100 characters; the Chatbot notification
 * forms no mention, link or code break-out; every command in them, run by a real bash, has exactly the
 * guardian's arguments; the heredoc of a deleted aws-auth is never closed early.
 */
import { describe, expect, it } from "vitest";
import { type AccessRestoreResult, renderAccessRestoreAlert } from "../../lambda/core/access-restore.js";
import type { OutboundAlert } from "../../lambda/core/ports.js";
import { type RestoreResult, recoveryManifest } from "../../lambda/restore/restore.js";
import { renderRestoreAlert } from "../../lambda/restore/restore-alert.js";
import { HOSTILE, shellWords, UNSAFE_CHARS, viaUtf8 } from "../support/hostile.js";
import { awsAuth } from "./fixtures.js";

const UNSAFE_BUT_NEWLINE = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const HEREDOC_END = "AWS_AUTH_GUARDIAN_EOF";
/** Hostile strings that fit in a value (the 100 000-character one is covered by the length caps elsewhere). */
const CASES = Object.entries(HOSTILE).filter(([name]) => name !== "long" && name !== "empty");

/** What bash passes on for a value: as UTF-8 (a lone surrogate is U+FFFD), ending at a NUL. */
function asShellSees(value: string): string {
  return viaUtf8(value).replace(/\0.*$/s, "");
}

function awsAuthResult(x: string): RestoreResult {
  return {
    outcome: "failed",
    cluster: `prod${x}`,
    target: `v1${x}`,
    targetTime: `2026${x}`,
    targetClass: "routine",
    action: "recreate",
    diffLines: [`+ role ${x} in system:masters`, `- user ${x}`],
    dataKeysChanged: [`mapRoles${x}`],
    liveResourceVersion: `41${x}`,
    resourceVersionWritten: `42${x}`,
    verification: { ok: false, detail: `read back: ${x}` },
    refusal: [`refused because ${x}`],
    overridden: [`forced past ${x}`],
    attempts: 2,
    dryRun: false,
    forced: true,
    warnings: [`warning ${x}`],
    notified: false,
    error: `the API server said: ${x}`,
    recreate: {
      reason: `immutable: ${x}`,
    } as unknown as NonNullable<RestoreResult["recreate"]>,
    deletedLive: true,
    recovery: recoveryManifest(awsAuth({ mapRoles: `${x}\n${HEREDOC_END}\nrm -rf ~\n`, [HEREDOC_END]: x })),
    recordLocation: `s3://bucket/clusters/prod/restores/${x}.json`,
  };
}

function accessResult(x: string, outcome: AccessRestoreResult["outcome"]): AccessRestoreResult {
  return {
    cluster: `prod${x}`,
    target: `20260101T000000000Z-${x}`,
    outcome,
    dryRun: false,
    steps: [`delete access entry ${x}`],
    lines: [`- ${x}`],
    notes: [`note ${x}`],
    refusals: [`refused because ${x}`],
    done: [`create access entry ${x} (STANDARD)`],
    error: `ResourceInUseException: ${x}`,
    verification: { ok: false, detail: `stopped: ${x}` },
    creator: `arn:aws:iam::111122223333:role/${x}`,
  };
}

/** The Chatbot description and title hold no mention, link, broadcast or unbalanced code fence. */
function expectSafeChatbot(alert: OutboundAlert): void {
  const chatbot = JSON.parse(alert.chatbot) as {
    content: { title: string; description: string; nextSteps?: string[] };
    metadata: { threadId: string; additionalContext?: Record<string, string> };
  };
  for (const text of [
    chatbot.content.title,
    chatbot.content.description,
    ...(chatbot.content.nextSteps ?? []),
  ]) {
    expect(text).not.toMatch(/<[!@#]|<https?:/);
    expect(text).not.toMatch(UNSAFE_BUT_NEWLINE);
    expect(text).not.toMatch(/(^|\s)@(channel|here|everyone)\b/);
    expect((text.match(/```/g) ?? []).length % 2).toBe(0);
  }
  expect(chatbot.content.title).not.toContain("\n");
  expect(chatbot.metadata.threadId).not.toMatch(UNSAFE_CHARS);
  for (const value of Object.values(chatbot.metadata.additionalContext ?? {})) {
    expect(value).not.toMatch(UNSAFE_CHARS);
  }
  for (const value of Object.values(alert.attributes)) expect(value).not.toMatch(UNSAFE_CHARS);
  expect(alert.subject).toMatch(/^[\x20-\x7e]{1,99}$/);
}

describe("aws-auth restore notification, every value hostile", () => {
  const harmless = renderRestoreAlert(awsAuthResult("x"), {
    reason: "x",
    requestedBy: "x",
    storeLocation: "s3://bucket/x",
    creator: "arn:aws:iam::111122223333:role/x",
  });

  it.each(CASES)("%s: same lines as a harmless notice, none unsafe, commands exact", (_name, x) => {
    // Act
    const alert = renderRestoreAlert(awsAuthResult(x), {
      reason: `undo ${x}`,
      requestedBy: `caller ${x}`,
      storeLocation: `s3://bucket/${x}`,
      creator: `arn:aws:iam::111122223333:role/${x}`,
    });

    // Assess: e-mail
    const lines = alert.email.split("\n");
    expect(lines).toHaveLength(harmless.email.split("\n").length);
    for (const line of lines) expect(line).not.toMatch(UNSAFE_CHARS);
    expect(lines.filter((l) => /^\s*Undo\b/.test(l))).toEqual([]);
    // The heredoc ends exactly once, at the guardian's own delimiter line.
    expect(lines.filter((l) => l === HEREDOC_END)).toHaveLength(1);
    const history = lines.find((l) => l.trim().startsWith("aws-auth-guardian history"))?.trim() ?? "";
    expect(shellWords(history.replace(/^aws-auth-guardian /, ""))).toEqual([
      "history",
      "--cluster",
      asShellSees(`prod${x}`),
      "--store",
      asShellSees(`s3://bucket/${x}`),
    ]);
    const resort = lines.find((l) => l.startsWith("Way in of last resort")) ?? "";
    const command = resort.slice(resort.indexOf("aws-auth-guardian restore --direct"));
    expect(shellWords(command.replace(/^aws-auth-guardian /, ""))).toEqual([
      "restore",
      "--direct",
      "--cluster",
      asShellSees(`prod${x}`),
    ]);
    // Assess: subject, Chatbot, attributes
    expectSafeChatbot(alert);
  });
});

describe("access-entry restore notification, every value hostile", () => {
  it.each(CASES)("%s: failed and refused notices keep their shape in every medium", (_name, x) => {
    for (const outcome of ["failed", "refused"] as const) {
      // Act
      const alert = renderAccessRestoreAlert(accessResult(x, outcome), {
        requestedBy: `caller ${x}`,
        reason: `undo ${x}`,
      });
      const harmless = renderAccessRestoreAlert(accessResult("x", outcome), {
        requestedBy: "x",
        reason: "x",
      });

      // Assess
      const lines = alert.email.split("\n");
      expect(lines).toHaveLength(harmless.email.split("\n").length);
      for (const line of lines) expect(line).not.toMatch(UNSAFE_CHARS);
      const resort = lines.find((l) => l.includes("aws-auth-guardian restore --access-entries")) ?? "";
      if (outcome === "failed") {
        const command = resort.slice(resort.indexOf("aws-auth-guardian restore"));
        expect(shellWords(command.replace(/^aws-auth-guardian /, ""))).toEqual([
          "restore",
          "--access-entries",
          "--direct",
          "--cluster",
          asShellSees(`prod${x}`),
          "--to",
          asShellSees(`20260101T000000000Z-${x}`),
        ]);
      }
      expectSafeChatbot(alert);
    }
  });
});
