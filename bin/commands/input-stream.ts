/**
 * `analyze` reads its inputs as streams: a file (or stdin) is read in chunks, inflated on the fly
 * when it is gzip, cut into lines, and each line handed to the decoder (lambda/core/audit-input.ts
 * `AuditLineDecoder`), so that memory holds one record at a time whatever the size of the input.
 * A line longer than the limit is not kept: it is skipped to its end and reported as unusable.
 */
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { AuditLineDecoder, type DecodedInput } from "../../lambda/core/audit-input.js";
import { MAX_DOCUMENT_CHARS } from "../../lambda/core/records-splitter.js";

export interface StreamOptions {
  /** The longest line or multi-line JSON document read, in characters. @default 64 MiB */
  maxRecordChars?: number;
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
        if (!gunzip.write(chunk)) await new Promise((resolve) => gunzip.once("drain", resolve));
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
 * a problem of the input, after what could be read before it.
 */
export async function decodeStream(
  source: AsyncIterable<Buffer | string>,
  name: string,
  onDecoded: (decoded: DecodedInput) => Promise<void> | void,
  options: StreamOptions = {},
): Promise<void> {
  const maxChars = options.maxRecordChars ?? MAX_DOCUMENT_CHARS;
  const decoder = new AuditLineDecoder(name, maxChars);
  const text = new StringDecoder("utf8");
  let pending: string[] = [];
  let pendingChars = 0;
  /** Characters of the current line while it is being skipped for its length (0: not skipping). */
  let skipped = 0;

  const feed = (chunk: string, into: DecodedInput) => {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf("\n", start);
      const piece = end === -1 ? chunk.slice(start) : chunk.slice(start, end);
      if (skipped > 0) {
        skipped += piece.length;
      } else if (pendingChars + piece.length > maxChars) {
        skipped = pendingChars + piece.length;
        pending = [];
        pendingChars = 0;
      } else if (end === -1 || pending.length > 0) {
        pending.push(piece);
        pendingChars += piece.length;
      }
      if (end === -1) break;
      if (skipped > 0) {
        decoder.overlongLine(maxChars, into);
        skipped = 0;
      } else {
        const line = pending.length > 0 ? pending.join("") : piece;
        pending = [];
        pendingChars = 0;
        decoder.line(line.charCodeAt(line.length - 1) === 0x0d ? line.slice(0, -1) : line, into);
      }
      start = end + 1;
    }
  };

  let failure: string | undefined;
  try {
    for await (const chunk of bytesOf(source)) {
      const decoded = emptyDecoded();
      feed(text.write(chunk), decoded);
      await onDecoded(decoded);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    // The stream stops here: say so (what could be read before it was judged; the reader may not
    // have reached the last few kilobytes inflated before the damage).
    failure = `${code.startsWith("Z_") ? "bad gzip" : "read failed"} after line ${decoder.lines}: ${(error as Error).message}; the rest of this input was not read`;
  }
  const last = emptyDecoded();
  if (failure === undefined) {
    const tail = text.end();
    if (tail) feed(tail, last);
  }
  if (skipped > 0) decoder.overlongLine(maxChars, last);
  else if (pending.length > 0) {
    const line = pending.join("");
    decoder.line(line.charCodeAt(line.length - 1) === 0x0d ? line.slice(0, -1) : line, last);
  }
  decoder.end(last);
  if (failure !== undefined) last.problems.push({ source: name, reason: failure });
  await onDecoded(last);
}
