/**
 * `analyze` reads its inputs as streams: a file (or stdin) is read in chunks, inflated on the fly
 * when it is gzip, cut into lines, and each line handed to the decoder (lambda/core/audit-input.ts
 * `AuditLineDecoder`), so that memory holds one record at a time whatever the size of the input.
 * A line longer than the limit is not kept: it is skipped to its end and reported as unusable.
 */
import { createGunzip } from "node:zlib";
import { AuditLineDecoder, cannotConcernAwsAuth, type DecodedInput } from "../../lambda/core/audit-input.js";
import { MAX_DOCUMENT_CHARS } from "../../lambda/core/records-splitter.js";

export interface StreamOptions {
  /**
   * The longest line (in bytes) or multi-line JSON document (in characters) read. @default 64 MiB
   */
  maxRecordBytes?: number;
}

function emptyDecoded(): DecodedInput {
  return { writes: [], problems: [], irrelevant: 0, controlMessages: 0 };
}

/** The chunks of `source`, inflated when they start with the gzip magic bytes. */
async function* bytesOf(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let done = false;
  // Enough bytes to tell gzip (1f 8b) from text.
  while (headLength < 2) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    headLength += chunk.length;
  }
  const first = Buffer.concat(head);
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield typeof next.value === "string" ? Buffer.from(next.value) : next.value;
    }
  }
  if (first[0] !== 0x1f || first[1] !== 0x8b) {
    yield* rest();
    return;
  }
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const feeding = (async () => {
    try {
      for await (const chunk of rest()) {
        // zlib reads the chunk later, and the source may reuse its memory for the next one.
        if (!gunzip.write(Buffer.from(chunk))) await new Promise((resolve) => gunzip.once("drain", resolve));
      }
      gunzip.end();
    } catch (error) {
      gunzip.destroy(error as Error);
    }
  })();
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    await feeding;
  }
}

/**
 * Reads `source` to its end and calls `onDecoded` with what each chunk completes (in input order,
 * awaited before the next chunk is read). Never throws for the input's content: unreadable gzip is
 * a problem of the input, after what could be read before it. A chunk of `source` may be reused
 * by it once the next one is asked for: nothing of a chunk is kept past that without a copy.
 *
 * Lines are cut from the bytes (a line break is one byte in UTF-8, never part of another
 * character) and each chunk is first viewed as latin1, one character per byte, which costs a copy
 * and no decoding: a line that `cannotConcernAwsAuth` in that view is counted without ever being
 * decoded. The view answers exactly as the UTF-8 text would, since the test looks only at ASCII
 * (what the line starts and ends with, and ASCII words in it), and UTF-8 writes an ASCII character
 * as that one byte and never uses such a byte inside another character. Every other line is decoded
 * as UTF-8 from its own bytes (malformed sequences become U+FFFD, as Node decodes files).
 */
export async function decodeStream(
  source: AsyncIterable<Buffer | string>,
  name: string,
  onDecoded: (decoded: DecodedInput) => Promise<void> | void,
  options: StreamOptions = {},
): Promise<void> {
  const maxBytes = options.maxRecordBytes ?? MAX_DOCUMENT_CHARS;
  const decoder = new AuditLineDecoder(name, maxBytes);
  /** The start of a line that runs past the end of the chunks read so far. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** Bytes of the current line while it is being skipped for its length (0: not skipping). */
  let skipped = 0;

  /** A whole line's bytes, without its line break (and a carriage return before it). */
  const line = (bytes: Buffer, start: number, end: number, view: string | undefined, into: DecodedInput) => {
    const last = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    if (view !== undefined && !decoder.documentOpen && cannotConcernAwsAuth(view.slice(start, last))) {
      decoder.irrelevantLine(into);
    } else {
      decoder.line(bytes.toString("utf8", start, last), into);
    }
  };

  const feed = (chunk: Buffer, into: DecodedInput) => {
    const view = chunk.toString("latin1");
    let start = 0;
    while (start < chunk.length) {
      const end = view.indexOf("\n", start);
      const stop = end === -1 ? chunk.length : end;
      const length = stop - start;
      if (skipped > 0) {
        skipped += length;
      } else if (pendingBytes + length > maxBytes) {
        skipped = pendingBytes + length;
        pending = [];
        pendingBytes = 0;
      } else if (end === -1 || pendingBytes > 0) {
        // A copy: the source may reuse the chunk's memory for the next one.
        pending.push(Buffer.from(chunk.subarray(start, stop)));
        pendingBytes += length;
      }
      if (end === -1) break;
      if (skipped > 0) {
        decoder.overlongLine(maxBytes, into);
        skipped = 0;
      } else if (pendingBytes > 0) {
        const whole = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        line(whole, 0, whole.length, undefined, into);
      } else {
        line(chunk, start, stop, view, into);
      }
      start = end + 1;
    }
  };

  let failure: string | undefined;
  try {
    for await (const chunk of bytesOf(source)) {
      const decoded = emptyDecoded();
      feed(chunk, decoded);
      await onDecoded(decoded);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    // The stream stops here: say so (what could be read before it was judged; the reader may not
    // have reached the last few kilobytes inflated before the damage).
    failure = `${code.startsWith("Z_") ? "bad gzip" : "read failed"} after line ${decoder.lines}: ${(error as Error).message}; the rest of this input was not read`;
  }
  const last = emptyDecoded();
  if (skipped > 0) decoder.overlongLine(maxBytes, last);
  else if (pendingBytes > 0) {
    const whole = Buffer.concat(pending, pendingBytes);
    line(whole, 0, whole.length, undefined, last);
  }
  decoder.end(last);
  if (failure !== undefined) last.problems.push({ source: name, reason: failure });
  await onDecoded(last);
}
