/**
 * Splits text input into records, one line at a time, so that input can be read as a stream:
 * - a line is a record (one audit event per line, or a line that is not JSON at all);
 * - a JSON document printed over several lines (`jq .` output, `aws logs filter-log-events` output)
 *   is one record: it starts with a line that is only `{` or `[`, and ends where its brackets close.
 *   Several such documents one after another are several records. Inside a document every line but
 *   the closing one is indented, as every pretty-printer writes it; a line at column 0 ends it.
 * A document that never closes (the input was cut) is given back whole at the end, or as soon as it
 * grows past `maxDocumentChars`; the decoder then reports it. Pure and total.
 */

export interface TextRecord {
  text: string;
  /** The 1-based line where the record starts. */
  line: number;
}

/** A multi-line document longer than this is given up on (reported as it is). */
export const MAX_DOCUMENT_CHARS = 512 * 1024 * 1024;

export class RecordSplitter {
  private lines: string[] = [];
  private size = 0;
  private start = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

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
    if (this.lines.length > 0 && /^[^\s}\]]/.test(line)) records.push(this.flush());
    if (this.lines.length === 0) {
      const trimmed = line.trim();
      if (trimmed === "") return records;
      if (trimmed !== "{" && trimmed !== "[") {
        records.push({ text: line, line: lineNumber });
        return records;
      }
      this.start = lineNumber;
      this.depth = 0;
      this.inString = false;
      this.escaped = false;
    }
    this.lines.push(line);
    this.size += line.length + 1;
    this.scan(line);
    if (this.depth <= 0 || this.size > this.maxDocumentChars) records.push(this.flush());
    return records;
  }

  /** The input ended: a document still open is given back as it is. */
  end(): TextRecord | undefined {
    return this.lines.length > 0 ? this.flush() : undefined;
  }

  private flush(): TextRecord {
    const record = { text: this.lines.join("\n"), line: this.start };
    this.lines = [];
    this.size = 0;
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

/** Every record of a whole text. */
export function splitRecords(text: string): TextRecord[] {
  const splitter = new RecordSplitter();
  const records: TextRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    records.push(...splitter.push(line, index + 1));
  });
  const rest = splitter.end();
  if (rest) records.push(rest);
  return records;
}
