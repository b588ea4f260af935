/**
 * What `history` prints for aws-auth versions and for access-entry records alike: one row per record
 * with latest and last good marked, then the restores filed for the cluster.
 */
import { oneLine } from "../../lambda/core/encode.js";
import type { CommandIo } from "./io.js";

export interface HistoryRow {
  id: string;
  time: string;
  /** The record's kind (aws-auth) or state (access entries), as the column titled `kindTitle` shows. */
  kind: string;
  class: string;
  /** Already made safe for one line. */
  actor: string;
}

export function printHistoryRows(
  io: CommandIo,
  rows: readonly HistoryRow[],
  kindTitle: string,
  marked: { latest?: string; lastGood?: string },
): void {
  // A loop, not Math.max(...): a long history has more rows than a call takes arguments.
  let width = 0;
  for (const r of rows) width = Math.max(width, r.id.length);
  io.out(
    `${"ID".padEnd(width)}  ${"TIME".padEnd(24)}  ${kindTitle.padEnd(10)}  ${"CLASS".padEnd(12)}  ACTOR\n`,
  );
  for (const r of rows) {
    const marks = [
      r.id === marked.latest ? "latest" : "",
      r.id === marked.lastGood ? "last-good" : "",
    ].filter(Boolean);
    io.out(
      `${oneLine(r.id).padEnd(width)}  ${oneLine(r.time, 40).padEnd(24)}  ${r.kind.padEnd(10)}  ${r.class.padEnd(12)}  ${r.actor}${marks.length ? `  [${marks.join(", ")}]` : ""}\n`,
    );
  }
}

export interface RestoreRow {
  at: string;
  outcome: string;
  target: string;
  by?: string;
  reason?: string;
}

/** The cluster's restores, one line each; `detail` adds what is particular to one (", resourceVersion 42"). */
export function printRestores<R extends RestoreRow>(
  io: CommandIo,
  restores: readonly R[],
  detail: (restore: R) => string,
): void {
  if (restores.length === 0) return;
  io.out("\nRestores:\n");
  for (const r of restores) {
    io.out(
      `  ${oneLine(r.at, 40)}  ${r.outcome.padEnd(13)}  version ${oneLine(r.target, 200)}${detail(r)}${r.by ? ` by ${oneLine(r.by, 300)}` : ""}${r.reason ? `: ${oneLine(r.reason, 300)}` : ""}\n`,
    );
  }
}
