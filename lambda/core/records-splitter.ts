/**
 * Splits text input into records, one line at a time, so that input can be read as a stream:
 * - a line is a record (one audit event per line, or a line that is not JSON at all);
 * - a JSON document printed over several lines (`jq .` output, `aws logs filter-log-events` output)
 *   is one record: it starts with a line that is only `{` or `[` (or a line at column 0 that opens
 *   with `{` or `[` and does not end with a closing one, such as `{"events": [`), and ends where its
 *   brackets close. Several such documents one after another are several records. Inside a document
 *   every line but the closing one is indented, as every pretty-printer writes it; a line at column 0
 *   ends it.
 * A document that never closes (the input was cut) is given back whole at the end. Memory is bounded:
 * a document that grows past `maxDocumentChars` is not kept; its lines are only scanned until it
 * closes, and it comes back as one record marked `tooLarge` (the decoder reports it as unusable).
 * Pure and total.
 */

export interface TextRecord {
  text: string;
  /** The 1-based line where the record starts. */
  line: number;
  /** Set when the document was longer than the limit: `text` is then only its first line, cut. */
  tooLarge?: { chars: number };
}

/** A multi-line document longer than this is not read (reported as unusable). */
export const MAX_DOCUMENT_CHARS = 64 * 1024 * 1024;
/** What a `tooLarge` record keeps of the document's first line, for the report. */
const KEPT_OF_TOO_LARGE = 200;

export class RecordSplitter {
  private lines: string[] = [];
  private open = false;
  private size = 0;
  private start = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The document outgrew the limit: its lines are scanned but no longer kept. */
  private dropped = false;
  private firstLine = "";

  constructor(private readonly maxDocumentChars = MAX_DOCUMENT_CHARS) {}

  /**
   * Feeds one line (without its newline); returns the records it completes: none, one, or two when
   * it shows that an open document was broken (a line at column 0 that does not close it: the
   * pretty-printed document ended early, or a lone "{" was not a document at all). The broken
   * document is given back as it is, and the line is read afresh, so that no line after a stray
   * bracket is ever swallowed.
   */
  push(line: string, lineNumber: number): TextRecord[] {
    const records: TextRecord[] = [];
    if (this.open && /^[^\s}\]]/.test(line)) records.push(this.flush());
    if (!this.open) {
      if (!opensDocument(line)) {
        if (line.trim() !== "") records.push({ text: line, line: lineNumber });
        return records;
      }
      this.open = true;
      this.start = lineNumber;
      this.depth = 0;
      this.inString = false;
      this.escaped = false;
      this.dropped = false;
      this.firstLine = line.slice(0, KEPT_OF_TOO_LARGE);
    }
    this.size += line.length + 1;
    if (!this.dropped && this.size > this.maxDocumentChars) {
      this.dropped = true;
      this.lines = [];
    }
    if (!this.dropped) this.lines.push(line);
    this.scan(line);
    if (this.depth <= 0) records.push(this.flush());
    return records;
  }

  /** Has a document started that is not closed yet? */
  get documentOpen(): boolean {
    return this.open;
  }

  /** The input ended: a document still open is given back as it is. */
  end(): TextRecord | undefined {
    return this.open ? this.flush() : undefined;
  }

  private flush(): TextRecord {
    const record: TextRecord = this.dropped
      ? { text: this.firstLine, line: this.start, tooLarge: { chars: this.size } }
      : { text: this.lines.join("\n"), line: this.start };
    this.lines = [];
    this.size = 0;
    this.open = false;
    this.dropped = false;
    return record;
  }

  private scan(line: string): void {
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) this.depth--;
    }
    // A JSON string never spans lines: a line break inside one means the text is not JSON.
    this.inString = false;
    this.escaped = false;
  }
}

/**
 * Does this line open a document printed over several lines: a lone `{` or `[`, or a line at column
 * 0 that starts with one and does not end with a closing bracket (`{"events": [`)? A complete
 * one-line event ends with `}`, and what CloudWatch cut ends with `[Truncated...]`: both stay lines.
 */
function opensDocument(line: string): boolean {
  const first = line.charCodeAt(0);
  if (first === 0x7b || first === 0x5b) {
    const trimmed = line.trimEnd();
    const last = trimmed.charCodeAt(trimmed.length - 1);
    return trimmed.length === 1 || (last !== 0x7d && last !== 0x5d);
  }
  const trimmed = line.trim();
  return trimmed === "{" || trimmed === "[";
}

/** Every record of a whole text. */
export function splitRecords(text: string, maxDocumentChars = MAX_DOCUMENT_CHARS): TextRecord[] {
  const splitter = new RecordSplitter(maxDocumentChars);
  const records: TextRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    for (const record of splitter.push(line, index + 1)) records.push(record);
  });
  const rest = splitter.end();
  if (rest) records.push(rest);
  return records;
}
