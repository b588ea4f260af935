/** An in-memory CommandIo for running commands in-process; `confirm` answers prompts when given. */
import type { ConfirmIo } from "../../bin/commands/restore.js";

export interface RecordingIo {
  io: ConfirmIo;
  out(): string;
  err(): string;
  questions: string[];
}

export function recordingIo(answer?: boolean): RecordingIo {
  const out: string[] = [];
  const err: string[] = [];
  const questions: string[] = [];
  const io: ConfirmIo = {
    out: (text) => {
      out.push(text);
    },
    err: (text) => {
      err.push(text);
    },
    readStdin: async () => Buffer.alloc(0),
    ...(answer === undefined
      ? {}
      : {
          confirm: async (question: string) => {
            questions.push(question);
            return answer;
          },
        }),
  };
  return { io, out: () => out.join(""), err: () => err.join(""), questions };
}
