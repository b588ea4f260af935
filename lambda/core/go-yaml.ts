/**
 * A YAML reader that accepts, rejects and builds exactly what go-yaml v2 (gopkg.in/yaml.v2 2.4,
 * a Go port of libyaml) does: its reader (readerc.go: which characters are allowed, read in
 * 512-byte chunks), scanner (scannerc.go: tokens, simple keys, indentation, tabs, scalars),
 * parser (parserc.go: the event state machine, directives, only as far as the first document)
 * and composer (decode.go: nodes, anchors). The aws-iam-authenticator reads aws-auth with go-yaml
 * v2; where a general-purpose YAML library differs (tabs, tags, trailing content, escapes,
 * directives, line breaks), the guardian would misjudge a write. This is written for this project
 * from the algorithm those files describe; function names follow libyaml's so the two can be read
 * side by side. Errors are thrown as GoYamlSyntaxError and caught by the callers in yaml11.ts.
 */

export class GoYamlSyntaxError extends Error {
  constructor(
    message: string,
    /** The line go-yaml's message names (0 when it names none): its own convention, kept for parity of messages. */
    readonly line: number,
    /** 1-based line where reading stopped, for humans (undefined when not known). */
    readonly at?: number,
  ) {
    super(line > 0 ? `yaml: line ${line}: ${message}` : `yaml: ${message}`);
  }
}

/** Where the scanner is: the character index, and its 0-based line and column. */
interface Position {
  index: number;
  line: number;
  column: number;
}

/**
 * A mark as the parser and composer use one: only its 0-based line (go-yaml's messages and the
 * nodes' lines name nothing else), so a token or event holds a number instead of a new object.
 */
type Mark = number;

enum T {
  StreamStart,
  StreamEnd,
  VersionDirective,
  TagDirective,
  DocumentStart,
  DocumentEnd,
  BlockSequenceStart,
  BlockMappingStart,
  BlockEnd,
  FlowSequenceStart,
  FlowSequenceEnd,
  FlowMappingStart,
  FlowMappingEnd,
  BlockEntry,
  FlowEntry,
  Key,
  Value,
  Alias,
  Anchor,
  Tag,
  Scalar,
}

enum Style {
  Plain,
  Single,
  Double,
  Literal,
  Folded,
}

/**
 * A token. Every token has every field (one shape for the parser to read), and the scanner reuses
 * the ones the parser is done with (see Scanner.token): a 2,000-entry aws-auth has ~40,000.
 */
class Token {
  constructor(
    public type: T,
    public start: Mark,
    public end: Mark,
    public value = "",
    public style = Style.Plain,
    /** Tag suffix / %TAG prefix. */
    public suffix = "",
    public major = 0,
    public minor = 0,
  ) {}
}

interface SimpleKey {
  possible: boolean;
  required: boolean;
  tokenNumber: number;
  mark: Mark;
  /** The rest of the key's position (the scanner checks how far it is and rolls its column). */
  index: number;
  column: number;
}

const MAX_FLOW_LEVEL = 10000;
const MAX_INDENTS = 10000;
const RAW_BUFFER = 512;

const cp = (c: string) => c.codePointAt(0) ?? 0;
const C = {
  tab: 9,
  lf: 10,
  cr: 13,
  space: 32,
  bang: cp("!"),
  dquote: cp('"'),
  hash: cp("#"),
  percent: cp("%"),
  amp: cp("&"),
  squote: cp("'"),
  star: cp("*"),
  plus: cp("+"),
  comma: cp(","),
  dash: cp("-"),
  dot: cp("."),
  colon: cp(":"),
  lt: cp("<"),
  gt: cp(">"),
  question: cp("?"),
  at: cp("@"),
  lbracket: cp("["),
  backslash: cp("\\"),
  rbracket: cp("]"),
  backtick: cp("`"),
  lbrace: cp("{"),
  pipe: cp("|"),
  rbrace: cp("}"),
  nel: 0x85,
  ls: 0x2028,
  ps: 0x2029,
  bom: 0xfeff,
};

function isAlpha(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
}
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const asHex = (c: number) => (c >= 97 ? c - 87 : c >= 65 ? c - 55 : c - 48);
const isBlank = (c: number) => c === C.space || c === C.tab;
const isBreak = (c: number) => c === C.cr || c === C.lf || c === C.nel || c === C.ls || c === C.ps;
const isBreakZ = (c: number) => isBreak(c) || c === 0;
const isBlankZ = (c: number) => isBlank(c) || isBreakZ(c);
const utf8Width = (c: number) => (c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4);

/** A UTF-16 unit other than a tab, a line break or printable ASCII. */
const NOT_PLAIN_ASCII = /[^\t\n\r -~]/;

/** fetchNextToken's indicators: a character that starts a token other than a plain scalar. */
const INDICATOR = new Uint8Array(128);
for (const c of "-?:,[]{}#&*!|>'\"%@`") INDICATOR[c.charCodeAt(0)] = 1;

/**
 * The code points as a string. Built in chunks: spreading a long scalar's code points into one
 * call overflows the stack, and go-yaml has no limit on a scalar's length.
 */
function fromCodePoints(points: ArrayLike<number>, from = 0, to = points.length): string {
  if (to - from === 1) return String.fromCodePoint(points[from] ?? 0);
  let out = "";
  for (let i = from; i < to; i += 4096) {
    out += String.fromCodePoint(...Array.prototype.slice.call(points, i, Math.min(to, i + 4096)));
  }
  return out;
}

/** `into.push(...from)` without spreading (which overflows the stack on long input). */
function pushAll(into: number[], from: number[]): void {
  for (let i = 0; i < from.length; i++) into.push(from[i] ?? 0);
}

/** readerc.go: the characters go-yaml's reader accepts. */
function allowedChar(c: number): boolean {
  return (
    c === 0x09 ||
    c === 0x0a ||
    c === 0x0d ||
    (c >= 0x20 && c <= 0x7e) ||
    c === 0x85 ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

/**
 * scannerc.go's simple_keys_by_tok (token number → index in the simple-key stack): a map with small
 * integer keys, held in a typed array that grows (value + 1, 0 for none).
 */
class TokenIndex {
  private slots = new Int32Array(64);
  get(token: number): number | undefined {
    const v = token < this.slots.length ? (this.slots[token] ?? 0) : 0;
    return v === 0 ? undefined : v - 1;
  }
  set(token: number, index: number): void {
    if (token >= this.slots.length) {
      const grown = new Int32Array(Math.max(token + 1, this.slots.length * 2));
      grown.set(this.slots);
      this.slots = grown;
    }
    this.slots[token] = index + 1;
  }
  delete(token: number): void {
    if (token < this.slots.length) this.slots[token] = 0;
  }
}

/**
 * scannerc.go. The input is held as code points; the reader's laziness is kept because it decides
 * whether a bad character after the first document is ever seen (readerc.go decodes whole 512-byte
 * chunks, only when the scanner asks for more characters) and where the buffer starts (is_bom
 * looks at the start of the buffer, not at the current character).
 */
class Scanner {
  /** The code points, when the text has surrogate pairs; otherwise the text's UTF-16 units are them. */
  private readonly chars: Int32Array | undefined;
  /** How many characters there are (after a leading BOM). */
  private readonly length: number;
  /** The text the characters come from, and where character 0 starts in it. */
  private readonly text: string;
  private readonly textStart: number;
  /** Byte offset (in UTF-8, counting a leading BOM) where each character ends. */
  private readonly totalBytes: number;
  /** Byte offset (in UTF-8, counting a leading BOM) where the last decoded character ends. */
  private decodedBytes: number;
  /** Every character is ASCII (one byte in UTF-8, and no BOM). */
  private readonly ascii: boolean;
  /** Index of the first character the reader refuses (the length when there is none). */
  private readonly firstBad: number;
  private rawRead = 0;
  private eof = false;
  private decoded = 0;
  private nuls = 0;
  private bufferStart = 0;
  private readonly bomBytes: number;

  private pos = 0;
  readonly mark: Position = { index: 0, line: 0, column: 0 };

  private tokens: Token[] = [];
  /** Tokens the parser is done with, for token() to fill again. */
  private readonly spare: Token[] = [];
  private tokensParsed = 0;
  private tokenAvailable = false;
  private streamStartProduced = false;
  private streamEndProduced = false;
  private indent = -1;
  private indents: number[] = [];
  private simpleKeyAllowed = false;
  private simpleKeys: SimpleKey[] = [];
  private simpleKeysByTok = new TokenIndex();
  private flowLevel = 0;

  constructor(text: string) {
    // The code points of `text` (a lone surrogate stands for itself, as `for…of` gives it). Read
    // straight from the text when each is one UTF-16 unit; in a typed array when surrogate pairs
    // make the two differ (one object per character would cost more than the scan itself).
    const units = text.length;
    let count = 0;
    let ascii = true;
    let firstBad = -1;
    // Printable ASCII, tabs and line breaks only (the usual aws-auth): one unit per character,
    // every one allowed, no BOM. Otherwise, character by character.
    const plain = !NOT_PLAIN_ASCII.test(text);
    if (plain) count = units;
    for (let i = 0; i < (plain ? 0 : units); i++) {
      let point = text.charCodeAt(i);
      if (point >= 0xd800 && point <= 0xdbff && i + 1 < units) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          point = (point - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
          i++;
        }
      }
      if (point >= 0x80) ascii = false;
      else if (point >= 0x20 && point !== 0x7f) {
        count++;
        continue;
      }
      if (firstBad < 0 && !allowedChar(point)) firstBad = count;
      count++;
    }
    let points: Int32Array | undefined;
    if (count !== units) {
      points = new Int32Array(count);
      let k = 0;
      for (let i = 0; i < units; i++) {
        const unit = text.charCodeAt(i);
        if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < units) {
          const next = text.charCodeAt(i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) {
            points[k++] = (unit - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
            i++;
            continue;
          }
        }
        points[k++] = unit;
      }
    }
    let skippedBom = 0;
    let first = 0;
    if (count > 0 && text.charCodeAt(0) === C.bom) {
      first = 1;
      skippedBom = 3;
    }
    this.text = text;
    this.textStart = first;
    this.length = count - first;
    this.chars = points?.subarray(first, count);
    // The BOM (U+FEFF) is not ASCII, so `ascii` holds only when there is none.
    this.ascii = ascii;
    this.firstBad = firstBad < 0 ? this.length : firstBad - first;
    let bytes = skippedBom;
    if (ascii) bytes += this.length;
    else for (let i = 0; i < this.length; i++) bytes += utf8Width(this.code(i));
    this.totalBytes = bytes;
    this.decodedBytes = skippedBom;
    this.bomBytes = skippedBom;
    // yaml_parser_determine_encoding: fill the raw buffer until it holds 3 bytes or the input ends.
    this.updateRaw();
    if (this.rawRead < 3) this.updateRaw();
  }

  // ---- reader ----

  private updateRaw(): void {
    if (this.eof) return;
    if (this.rawRead === this.totalBytes) {
      this.eof = true;
      return;
    }
    // The bytes of a character cut by the previous chunk move to the front of the raw buffer.
    const leftover = this.rawRead - this.consumedBytes();
    this.rawRead = Math.min(this.totalBytes, this.rawRead + RAW_BUFFER - leftover);
  }

  private consumedBytes(): number {
    return this.decoded > 0 ? this.decodedBytes : Math.min(this.rawRead, this.bomBytes);
  }

  private decodeAvailable(): void {
    if (this.ascii) {
      // One byte per character: as many characters as the raw buffer holds, up to the first bad one.
      const available = Math.min(this.length, this.rawRead - this.bomBytes);
      if (available <= this.decoded) return;
      if (this.firstBad < available) {
        this.decoded = this.firstBad;
        this.decodedBytes = this.bomBytes + this.firstBad;
        this.controlCharacter();
      }
      this.decoded = available;
      this.decodedBytes = this.bomBytes + available;
      return;
    }
    while (this.decoded < this.length) {
      const c = this.code(this.decoded);
      const end = this.decodedBytes + utf8Width(c);
      if (end > this.rawRead) break;
      if (!allowedChar(c)) this.controlCharacter();
      this.decoded++;
      this.decodedBytes = end;
    }
  }

  private controlCharacter(): never {
    let line = 1;
    for (let i = 0; i < this.decoded; i++) if (this.code(i) === C.lf) line++;
    throw new GoYamlSyntaxError("control characters are not allowed", 0, line);
  }

  private unread(): number {
    return this.decoded + this.nuls - this.pos;
  }

  private updateBuffer(length: number): void {
    if (this.unread() >= length) return;
    if (this.pos > this.bufferStart) this.bufferStart = this.pos;
    let first = true;
    while (this.unread() < length) {
      if (!first || this.consumedBytes() === this.rawRead) this.updateRaw();
      first = false;
      this.decodeAvailable();
      if (this.eof) {
        this.nuls++;
        break;
      }
    }
  }

  private cache(length: number): void {
    if (this.unread() < length) this.updateBuffer(length);
  }

  /** The character at pos+k (0 past the end, like go-yaml's zero padding). */
  private at(k = 0): number {
    const i = this.pos + k;
    return i < this.decoded ? this.code(i) : 0;
  }

  /** Character i (of the decoded ones). */
  private code(i: number): number {
    return this.chars === undefined ? this.text.charCodeAt(i + this.textStart) : (this.chars[i] ?? 0);
  }

  private skip(): void {
    this.mark.index++;
    this.mark.column++;
    this.pos++;
  }

  private skipLine(): void {
    if (this.at() === C.cr && this.at(1) === C.lf) {
      this.mark.index += 2;
      this.mark.column = 0;
      this.mark.line++;
      this.pos += 2;
    } else if (isBreak(this.at())) {
      this.mark.index++;
      this.mark.column = 0;
      this.mark.line++;
      this.pos++;
    }
  }

  private read(into: number[]): void {
    into.push(this.at());
    this.pos++;
    this.mark.index++;
    this.mark.column++;
  }

  private readLine(into: number[]): void {
    const c = this.at();
    if (c === C.cr && this.at(1) === C.lf) {
      into.push(C.lf);
      this.pos += 2;
      this.mark.index++;
    } else if (c === C.cr || c === C.lf || c === C.nel) {
      into.push(C.lf);
      this.pos++;
    } else if (c === C.ls || c === C.ps) {
      into.push(c);
      this.pos++;
    } else return;
    this.mark.index++;
    this.mark.column = 0;
    this.mark.line++;
  }

  /** readLine, giving the break as text ("" when there is none). */
  private readBreak(): string {
    const c = this.at();
    let text: string;
    if (c === C.cr && this.at(1) === C.lf) {
      text = "\n";
      this.pos += 2;
      this.mark.index++;
    } else if (c === C.cr || c === C.lf || c === C.nel) {
      text = "\n";
      this.pos++;
    } else if (c === C.ls) {
      text = "\u2028";
      this.pos++;
    } else if (c === C.ps) {
      text = "\u2029";
      this.pos++;
    } else return "";
    this.mark.index++;
    this.mark.column = 0;
    this.mark.line++;
    return text;
  }

  /** The current mark, as tokens keep it (its line). */
  private markNow(): Mark {
    return this.mark.line;
  }

  /** Characters [from, to) as a string. */
  private source(from: number, to: number): string {
    return this.chars === undefined
      ? this.text.slice(from + this.textStart, to + this.textStart)
      : fromCodePoints(this.chars, from, to);
  }

  private error(_context: string, contextMark: Mark, problem: string): never {
    this.errorAt(contextMark, problem);
  }

  /** yaml_parser_set_scanner_error: the problem is reported at the scanner's current mark. */
  private errorAt(_context: Mark | Position, problem: string): never {
    throw new GoYamlSyntaxError(problem, this.mark.line === 0 ? 0 : this.mark.line + 1, this.mark.line + 1);
  }

  // ---- token queue ----

  private insert(at: number, token: Token): void {
    if (at < 0 || at >= this.tokens.length) this.tokens.push(token);
    else {
      // splice(at, 0, token), without the array splice returns.
      const tokens = this.tokens;
      tokens.push(token);
      for (let i = tokens.length - 1; i > at; i--) tokens[i] = tokens[i - 1] as Token;
      tokens[at] = token;
    }
  }

  peek(): Token {
    if (!this.tokenAvailable) this.fetchMoreTokens();
    return this.tokens[0] as Token;
  }

  /**
   * Done with the head token. The parser may still read it until it asks for the next one (peek);
   * only then does the scanner make tokens, and may refill this one.
   */
  skipToken(): void {
    const token = this.tokens.shift();
    this.tokenAvailable = false;
    this.tokensParsed++;
    if (token === undefined) return;
    if (token.type === T.StreamEnd) this.streamEndProduced = true;
    this.spare.push(token);
  }

  /** A token with these fields (and no tag suffix or version), reusing a spare one. */
  private token(type: T, start: Mark, end: Mark, value = "", style = Style.Plain): Token {
    const token = this.spare.pop();
    if (token === undefined) return new Token(type, start, end, value, style);
    token.type = type;
    token.start = start;
    token.end = end;
    token.value = value;
    token.style = style;
    token.suffix = "";
    token.major = 0;
    token.minor = 0;
    return token;
  }

  get done(): boolean {
    return this.streamEndProduced;
  }

  private fetchMoreTokens(): void {
    for (;;) {
      if (this.tokens.length > 0) {
        const head = this.simpleKeysByTok.get(this.tokensParsed);
        if (head === undefined) break;
        if (!this.simpleKeyIsValid(this.simpleKeys[head] as SimpleKey)) break;
      }
      this.fetchNextToken();
    }
    this.tokenAvailable = true;
  }

  private simpleKeyIsValid(key: SimpleKey): boolean {
    if (!key.possible) return false;
    if (key.mark < this.mark.line || key.index + 1024 < this.mark.index) {
      if (key.required) this.errorAt(key.mark, "could not find expected ':'");
      key.possible = false;
      return false;
    }
    return true;
  }

  private fetchNextToken(): void {
    this.cache(1);
    if (!this.streamStartProduced) {
      this.indent = -1;
      this.simpleKeys.push({
        possible: false,
        required: false,
        tokenNumber: 0,
        mark: this.markNow(),
        index: this.mark.index,
        column: this.mark.column,
      });
      this.simpleKeysByTok = new TokenIndex();
      this.simpleKeyAllowed = true;
      this.streamStartProduced = true;
      const m = this.markNow();
      this.insert(-1, this.token(T.StreamStart, m, m));
      return;
    }
    this.scanToNextToken();
    this.unrollIndent(this.mark.column);
    this.cache(4);
    const c = this.at();
    if (c === 0) {
      this.fetchStreamEnd();
      return;
    }
    if (this.mark.column === 0 && c === C.percent) {
      this.fetchDirective();
      return;
    }
    if (
      this.mark.column === 0 &&
      c === C.dash &&
      this.at(1) === C.dash &&
      this.at(2) === C.dash &&
      isBlankZ(this.at(3))
    ) {
      this.fetchDocumentIndicator(T.DocumentStart);
      return;
    }
    if (
      this.mark.column === 0 &&
      c === C.dot &&
      this.at(1) === C.dot &&
      this.at(2) === C.dot &&
      isBlankZ(this.at(3))
    ) {
      this.fetchDocumentIndicator(T.DocumentEnd);
      return;
    }
    if (c === C.lbracket) {
      this.fetchFlowCollectionStart(T.FlowSequenceStart);
      return;
    }
    if (c === C.lbrace) {
      this.fetchFlowCollectionStart(T.FlowMappingStart);
      return;
    }
    if (c === C.rbracket) {
      this.fetchFlowCollectionEnd(T.FlowSequenceEnd);
      return;
    }
    if (c === C.rbrace) {
      this.fetchFlowCollectionEnd(T.FlowMappingEnd);
      return;
    }
    if (c === C.comma) {
      this.fetchFlowEntry();
      return;
    }
    if (c === C.dash && isBlankZ(this.at(1))) {
      this.fetchBlockEntry();
      return;
    }
    if (c === C.question && (this.flowLevel > 0 || isBlankZ(this.at(1)))) {
      this.fetchKey();
      return;
    }
    if (c === C.colon && (this.flowLevel > 0 || isBlankZ(this.at(1)))) {
      this.fetchValue();
      return;
    }
    if (c === C.star) {
      this.fetchAnchor(T.Alias);
      return;
    }
    if (c === C.amp) {
      this.fetchAnchor(T.Anchor);
      return;
    }
    if (c === C.bang) {
      this.fetchTag();
      return;
    }
    if (c === C.pipe && this.flowLevel === 0) {
      this.fetchBlockScalar(true);
      return;
    }
    if (c === C.gt && this.flowLevel === 0) {
      this.fetchBlockScalar(false);
      return;
    }
    if (c === C.squote) {
      this.fetchFlowScalar(true);
      return;
    }
    if (c === C.dquote) {
      this.fetchFlowScalar(false);
      return;
    }
    const indicator = c < 128 && INDICATOR[c] === 1;
    if (
      !(isBlankZ(c) || indicator) ||
      (c === C.dash && !isBlank(this.at(1))) ||
      (this.flowLevel === 0 && (c === C.question || c === C.colon) && !isBlankZ(this.at(1)))
    ) {
      this.fetchPlainScalar();
      return;
    }
    this.error(
      "while scanning for the next token",
      this.markNow(),
      "found character that cannot start any token",
    );
  }

  private saveSimpleKey(): void {
    const required = this.flowLevel === 0 && this.indent === this.mark.column;
    if (this.simpleKeyAllowed) {
      const tokenNumber = this.tokensParsed + this.tokens.length;
      const mark = this.markNow();
      this.removeSimpleKey();
      // The stack's top slot takes the new key (updated in place: nothing else holds the old one).
      const key = this.simpleKeys[this.simpleKeys.length - 1] as SimpleKey;
      key.possible = true;
      key.required = required;
      key.tokenNumber = tokenNumber;
      key.mark = mark;
      key.index = this.mark.index;
      key.column = this.mark.column;
      this.simpleKeysByTok.set(tokenNumber, this.simpleKeys.length - 1);
    }
  }

  private removeSimpleKey(): void {
    const i = this.simpleKeys.length - 1;
    const key = this.simpleKeys[i] as SimpleKey;
    if (key.possible) {
      if (key.required) this.errorAt(key.mark, "could not find expected ':'");
      key.possible = false;
      this.simpleKeysByTok.delete(key.tokenNumber);
    }
  }

  private increaseFlowLevel(): void {
    this.simpleKeys.push({
      possible: false,
      required: false,
      tokenNumber: this.tokensParsed + this.tokens.length,
      mark: this.markNow(),
      index: this.mark.index,
      column: this.mark.column,
    });
    this.flowLevel++;
    if (this.flowLevel > MAX_FLOW_LEVEL) this.errorAt(this.mark, `exceeded max depth of ${MAX_FLOW_LEVEL}`);
  }

  private decreaseFlowLevel(): void {
    if (this.flowLevel > 0) {
      this.flowLevel--;
      const last = this.simpleKeys.pop();
      if (last) this.simpleKeysByTok.delete(last.tokenNumber);
    }
  }

  private rollIndent(column: number, number: number, type: T, mark: Mark): void {
    if (this.flowLevel > 0) return;
    if (this.indent < column) {
      this.indents.push(this.indent);
      this.indent = column;
      if (this.indents.length > MAX_INDENTS) this.errorAt(mark, `exceeded max depth of ${MAX_INDENTS}`);
      const token = this.token(type, mark, mark);
      this.insert(number > -1 ? number - this.tokensParsed : -1, token);
    }
  }

  private unrollIndent(column: number): void {
    if (this.flowLevel > 0) return;
    while (this.indent > column) {
      const m = this.markNow();
      this.insert(-1, this.token(T.BlockEnd, m, m));
      this.indent = this.indents.pop() ?? -1;
    }
  }

  private fetchStreamEnd(): void {
    if (this.mark.column !== 0) {
      this.mark.column = 0;
      this.mark.line++;
    }
    this.unrollIndent(-1);
    this.removeSimpleKey();
    this.simpleKeyAllowed = false;
    const m = this.markNow();
    this.insert(-1, this.token(T.StreamEnd, m, m));
  }

  private fetchDirective(): void {
    this.unrollIndent(-1);
    this.removeSimpleKey();
    this.simpleKeyAllowed = false;
    this.insert(-1, this.scanDirective());
  }

  private fetchDocumentIndicator(type: T): void {
    this.unrollIndent(-1);
    this.removeSimpleKey();
    this.simpleKeyAllowed = false;
    const start = this.markNow();
    this.skip();
    this.skip();
    this.skip();
    this.insert(-1, this.token(type, start, this.markNow()));
  }

  private fetchFlowCollectionStart(type: T): void {
    this.saveSimpleKey();
    this.increaseFlowLevel();
    this.simpleKeyAllowed = true;
    const start = this.markNow();
    this.skip();
    this.insert(-1, this.token(type, start, this.markNow()));
  }

  private fetchFlowCollectionEnd(type: T): void {
    this.removeSimpleKey();
    this.decreaseFlowLevel();
    this.simpleKeyAllowed = false;
    const start = this.markNow();
    this.skip();
    this.insert(-1, this.token(type, start, this.markNow()));
  }

  private fetchFlowEntry(): void {
    this.removeSimpleKey();
    this.simpleKeyAllowed = true;
    const start = this.markNow();
    this.skip();
    this.insert(-1, this.token(T.FlowEntry, start, this.markNow()));
  }

  private fetchBlockEntry(): void {
    if (this.flowLevel === 0) {
      if (!this.simpleKeyAllowed)
        this.errorAt(this.mark, "block sequence entries are not allowed in this context");
      this.rollIndent(this.mark.column, -1, T.BlockSequenceStart, this.markNow());
    }
    this.removeSimpleKey();
    this.simpleKeyAllowed = true;
    const start = this.markNow();
    this.skip();
    this.insert(-1, this.token(T.BlockEntry, start, this.markNow()));
  }

  private fetchKey(): void {
    if (this.flowLevel === 0) {
      if (!this.simpleKeyAllowed) this.errorAt(this.mark, "mapping keys are not allowed in this context");
      this.rollIndent(this.mark.column, -1, T.BlockMappingStart, this.markNow());
    }
    this.removeSimpleKey();
    this.simpleKeyAllowed = this.flowLevel === 0;
    const start = this.markNow();
    this.skip();
    this.insert(-1, this.token(T.Key, start, this.markNow()));
  }

  private fetchValue(): void {
    const key = this.simpleKeys[this.simpleKeys.length - 1] as SimpleKey;
    if (this.simpleKeyIsValid(key)) {
      this.insert(key.tokenNumber - this.tokensParsed, this.token(T.Key, key.mark, key.mark));
      this.rollIndent(key.column, key.tokenNumber, T.BlockMappingStart, key.mark);
      key.possible = false;
      this.simpleKeysByTok.delete(key.tokenNumber);
      this.simpleKeyAllowed = false;
    } else {
      if (this.flowLevel === 0) {
        if (!this.simpleKeyAllowed) this.errorAt(this.mark, "mapping values are not allowed in this context");
        this.rollIndent(this.mark.column, -1, T.BlockMappingStart, this.markNow());
      }
      this.simpleKeyAllowed = this.flowLevel === 0;
    }
    const start = this.markNow();
    this.skip();
    this.insert(-1, this.token(T.Value, start, this.markNow()));
  }

  private fetchAnchor(type: T): void {
    this.saveSimpleKey();
    this.simpleKeyAllowed = false;
    this.insert(-1, this.scanAnchor(type));
  }

  private fetchTag(): void {
    this.saveSimpleKey();
    this.simpleKeyAllowed = false;
    this.insert(-1, this.scanTag());
  }

  private fetchBlockScalar(literal: boolean): void {
    this.removeSimpleKey();
    this.simpleKeyAllowed = true;
    this.insert(-1, this.scanBlockScalar(literal));
  }

  private fetchFlowScalar(single: boolean): void {
    this.saveSimpleKey();
    this.simpleKeyAllowed = false;
    this.insert(-1, this.scanFlowScalar(single));
  }

  private fetchPlainScalar(): void {
    this.saveSimpleKey();
    this.simpleKeyAllowed = false;
    this.insert(-1, this.scanPlainScalar());
  }

  private scanToNextToken(): void {
    for (;;) {
      this.cache(1);
      // is_bom looks at the start of the buffer (readerc/scannerc quirk), and then skips the
      // current character, whatever it is.
      if (
        this.mark.column === 0 &&
        this.bufferStart < this.decoded &&
        this.code(this.bufferStart) === C.bom
      ) {
        this.skip();
      }
      this.cache(1);
      while (
        this.at() === C.space ||
        ((this.flowLevel > 0 || !this.simpleKeyAllowed) && this.at() === C.tab)
      ) {
        this.skip();
        this.cache(1);
      }
      if (this.at() === C.hash) {
        while (!isBreakZ(this.at())) {
          this.skip();
          this.cache(1);
        }
      }
      if (isBreak(this.at())) {
        this.cache(2);
        this.skipLine();
        if (this.flowLevel === 0) this.simpleKeyAllowed = true;
      } else break;
    }
  }

  private scanDirective(): Token {
    const start = this.markNow();
    this.skip();
    const name = this.scanDirectiveName(start);
    let token: Token;
    if (name === "YAML") {
      this.cache(1);
      while (isBlank(this.at())) {
        this.skip();
        this.cache(1);
      }
      const major = this.scanVersionNumber(start);
      if (this.at() !== C.dot) this.errorAt(this.mark, "did not find expected digit or '.' character");
      this.skip();
      const minor = this.scanVersionNumber(start);
      token = this.token(T.VersionDirective, start, this.markNow());
      token.major = major;
      token.minor = minor;
    } else if (name === "TAG") {
      this.cache(1);
      while (isBlank(this.at())) {
        this.skip();
        this.cache(1);
      }
      const handle = this.scanTagHandle(true, start);
      this.cache(1);
      if (!isBlank(this.at())) this.errorAt(this.mark, "did not find expected whitespace");
      while (isBlank(this.at())) {
        this.skip();
        this.cache(1);
      }
      const prefix = this.scanTagUri(true, "", start);
      this.cache(1);
      if (!isBlankZ(this.at())) this.errorAt(this.mark, "did not find expected whitespace or line break");
      token = this.token(T.TagDirective, start, this.markNow(), handle);
      token.suffix = prefix;
    } else {
      this.errorAt(this.mark, "found unknown directive name");
    }
    this.cache(1);
    while (isBlank(this.at())) {
      this.skip();
      this.cache(1);
    }
    if (this.at() === C.hash) {
      while (!isBreakZ(this.at())) {
        this.skip();
        this.cache(1);
      }
    }
    if (!isBreakZ(this.at())) this.errorAt(this.mark, "did not find expected comment or line break");
    if (isBreak(this.at())) {
      this.cache(2);
      this.skipLine();
    }
    return token;
  }

  private scanDirectiveName(start: Mark): string {
    this.cache(1);
    const s: number[] = [];
    while (isAlpha(this.at())) {
      this.read(s);
      this.cache(1);
    }
    if (s.length === 0) this.errorAt(this.mark, "could not find expected directive name");
    if (!isBlankZ(this.at())) this.errorAt(this.mark, "found unexpected non-alphabetical character");
    void start;
    return fromCodePoints(s);
  }

  private scanVersionNumber(start: Mark): number {
    void start;
    this.cache(1);
    let value = 0;
    let length = 0;
    while (isDigit(this.at())) {
      length++;
      if (length > 2) this.errorAt(this.mark, "found extremely long version number");
      value = value * 10 + (this.at() - 48);
      this.skip();
      this.cache(1);
    }
    if (length === 0) this.errorAt(this.mark, "did not find expected version number");
    return value;
  }

  private scanAnchor(type: T): Token {
    const start = this.markNow();
    this.skip();
    this.cache(1);
    const s: number[] = [];
    while (isAlpha(this.at())) {
      this.read(s);
      this.cache(1);
    }
    const end = this.markNow();
    const c = this.at();
    if (
      s.length === 0 ||
      !(
        isBlankZ(c) ||
        [C.question, C.colon, C.comma, C.rbracket, C.rbrace, C.percent, C.at, C.backtick].includes(c)
      )
    ) {
      this.errorAt(this.mark, "did not find expected alphabetic or numeric character");
    }
    return this.token(type, start, end, fromCodePoints(s));
  }

  private scanTag(): Token {
    const start = this.markNow();
    let handle = "";
    let suffix = "";
    this.cache(2);
    if (this.at(1) === C.lt) {
      this.skip();
      this.skip();
      suffix = this.scanTagUri(false, "", start);
      if (this.at() !== C.gt) this.errorAt(this.mark, "did not find the expected '>'");
      this.skip();
    } else {
      handle = this.scanTagHandle(false, start);
      if (handle.length > 1 && handle.startsWith("!") && handle.endsWith("!")) {
        suffix = this.scanTagUri(false, "", start);
      } else {
        suffix = this.scanTagUri(false, handle, start);
        handle = "!";
        if (suffix.length === 0) [handle, suffix] = [suffix, handle];
      }
    }
    this.cache(1);
    if (!isBlankZ(this.at())) this.errorAt(this.mark, "did not find expected whitespace or line break");
    const token = this.token(T.Tag, start, this.markNow(), handle);
    token.suffix = suffix;
    return token;
  }

  private scanTagHandle(directive: boolean, start: Mark): string {
    void start;
    this.cache(1);
    if (this.at() !== C.bang) this.errorAt(this.mark, "did not find expected '!'");
    const s: number[] = [];
    this.read(s);
    this.cache(1);
    while (isAlpha(this.at())) {
      this.read(s);
      this.cache(1);
    }
    if (this.at() === C.bang) this.read(s);
    else if (directive && !(s.length === 1 && s[0] === C.bang))
      this.errorAt(this.mark, "did not find expected '!'");
    return fromCodePoints(s);
  }

  private scanTagUri(directive: boolean, head: string, start: Mark): string {
    void start;
    const bytes: number[] = [];
    let hasTag = head.length > 0;
    if (head.length > 1) for (const b of new TextEncoder().encode(head.slice(1))) bytes.push(b);
    this.cache(1);
    const uriChars = [
      cp(";"),
      cp("/"),
      cp("?"),
      cp(":"),
      cp("@"),
      cp("&"),
      cp("="),
      cp("+"),
      cp("$"),
      cp(","),
      cp("."),
      cp("!"),
      cp("~"),
      cp("*"),
      cp("'"),
      cp("("),
      cp(")"),
      cp("["),
      cp("]"),
      cp("%"),
    ];
    while (isAlpha(this.at()) || uriChars.includes(this.at())) {
      if (this.at() === C.percent) this.scanUriEscapes(directive, bytes);
      else {
        const s: number[] = [];
        this.read(s);
        for (const b of new TextEncoder().encode(fromCodePoints(s))) bytes.push(b);
      }
      this.cache(1);
      hasTag = true;
    }
    if (!hasTag) this.errorAt(this.mark, "did not find expected tag URI");
    return new TextDecoder().decode(new Uint8Array(bytes));
  }

  private scanUriEscapes(directive: boolean, bytes: number[]): void {
    void directive;
    let w = 1024;
    while (w > 0) {
      this.cache(3);
      if (!(this.at() === C.percent && isHex(this.at(1)) && isHex(this.at(2)))) {
        this.errorAt(this.mark, "did not find URI escaped octet");
      }
      const octet = (asHex(this.at(1)) << 4) + asHex(this.at(2));
      if (w === 1024) {
        w =
          (octet & 0x80) === 0
            ? 1
            : (octet & 0xe0) === 0xc0
              ? 2
              : (octet & 0xf0) === 0xe0
                ? 3
                : (octet & 0xf8) === 0xf0
                  ? 4
                  : 0;
        if (w === 0) this.errorAt(this.mark, "found an incorrect leading UTF-8 octet");
      } else if ((octet & 0xc0) !== 0x80) {
        this.errorAt(this.mark, "found an incorrect trailing UTF-8 octet");
      }
      bytes.push(octet);
      this.skip();
      this.skip();
      this.skip();
      w--;
    }
  }

  private scanBlockScalar(literal: boolean): Token {
    const start = this.markNow();
    this.skip();
    this.cache(1);
    let chomping = 0;
    let increment = 0;
    if (this.at() === C.plus || this.at() === C.dash) {
      chomping = this.at() === C.plus ? 1 : -1;
      this.skip();
      this.cache(1);
      if (isDigit(this.at())) {
        if (this.at() === 48) this.errorAt(this.mark, "found an indentation indicator equal to 0");
        increment = this.at() - 48;
        this.skip();
      }
    } else if (isDigit(this.at())) {
      if (this.at() === 48) this.errorAt(this.mark, "found an indentation indicator equal to 0");
      increment = this.at() - 48;
      this.skip();
      this.cache(1);
      if (this.at() === C.plus || this.at() === C.dash) {
        chomping = this.at() === C.plus ? 1 : -1;
        this.skip();
      }
    }
    this.cache(1);
    while (isBlank(this.at())) {
      this.skip();
      this.cache(1);
    }
    if (this.at() === C.hash) {
      while (!isBreakZ(this.at())) {
        this.skip();
        this.cache(1);
      }
    }
    if (!isBreakZ(this.at())) this.errorAt(this.mark, "did not find expected comment or line break");
    if (isBreak(this.at())) {
      this.cache(2);
      this.skipLine();
    }
    let end = this.markNow();
    let indent = 0;
    if (increment > 0) indent = this.indent >= 0 ? this.indent + increment : increment;
    const s: number[] = [];
    let leadingBreak: number[] = [];
    let trailingBreaks: number[] = [];
    const breaks = () => {
      const r = this.scanBlockScalarBreaks(indent, trailingBreaks);
      indent = r.indent;
      end = r.end;
    };
    breaks();
    this.cache(1);
    let leadingBlank = false;
    let trailingBlank = false;
    while (this.mark.column === indent && this.at() !== 0) {
      trailingBlank = isBlank(this.at());
      if (
        !literal &&
        !leadingBlank &&
        !trailingBlank &&
        leadingBreak.length > 0 &&
        leadingBreak[0] === C.lf
      ) {
        if (trailingBreaks.length === 0) s.push(C.space);
      } else {
        pushAll(s, leadingBreak);
      }
      leadingBreak = [];
      pushAll(s, trailingBreaks);
      trailingBreaks = [];
      leadingBlank = isBlank(this.at());
      while (!isBreakZ(this.at())) {
        this.read(s);
        this.cache(1);
      }
      this.cache(2);
      this.readLine(leadingBreak);
      breaks();
    }
    if (chomping !== -1) pushAll(s, leadingBreak);
    if (chomping === 1) pushAll(s, trailingBreaks);
    return this.token(T.Scalar, start, end, fromCodePoints(s), literal ? Style.Literal : Style.Folded);
  }

  private scanBlockScalarBreaks(indentIn: number, breaks: number[]): { indent: number; end: Mark } {
    let indent = indentIn;
    let end = this.markNow();
    let maxIndent = 0;
    for (;;) {
      this.cache(1);
      while ((indent === 0 || this.mark.column < indent) && this.at() === C.space) {
        this.skip();
        this.cache(1);
      }
      if (this.mark.column > maxIndent) maxIndent = this.mark.column;
      if ((indent === 0 || this.mark.column < indent) && this.at() === C.tab) {
        this.errorAt(this.mark, "found a tab character where an indentation space is expected");
      }
      if (!isBreak(this.at())) break;
      this.cache(2);
      this.readLine(breaks);
      end = this.markNow();
    }
    if (indent === 0) {
      indent = maxIndent;
      if (indent < this.indent + 1) indent = this.indent + 1;
      if (indent < 1) indent = 1;
    }
    return { indent, end };
  }

  private scanFlowScalar(single: boolean): Token {
    const start = this.markNow();
    this.skip();
    // The value so far: `text`, then the code points in `s` (runs of ordinary characters are
    // sliced from the source onto `text`; escapes, blanks and breaks gather in `s`).
    let text = "";
    const s: number[] = [];
    let leadingBreak: number[] = [];
    let trailingBreaks: number[] = [];
    let whitespaces: number[] = [];
    for (;;) {
      this.cache(4);
      if (
        this.mark.column === 0 &&
        ((this.at() === C.dash && this.at(1) === C.dash && this.at(2) === C.dash) ||
          (this.at() === C.dot && this.at(1) === C.dot && this.at(2) === C.dot)) &&
        isBlankZ(this.at(3))
      ) {
        this.errorAt(start, "found unexpected document indicator");
      }
      if (this.at() === 0) this.errorAt(start, "found unexpected end of stream");
      let leadingBlanks = false;
      while (!isBlankZ(this.at())) {
        const c = this.at();
        if (single && c === C.squote && this.at(1) === C.squote) {
          s.push(C.squote);
          this.skip();
          this.skip();
        } else if (single && c === C.squote) {
          break;
        } else if (!single && c === C.dquote) {
          break;
        } else if (!single && c === C.backslash && isBreak(this.at(1))) {
          this.cache(3);
          this.skip();
          this.skipLine();
          leadingBlanks = true;
          break;
        } else if (!single && c === C.backslash) {
          let codeLength = 0;
          const e = this.at(1);
          const simple: Record<number, number[]> = {
            [cp("0")]: [0],
            [cp("a")]: [7],
            [cp("b")]: [8],
            [cp("t")]: [9],
            [C.tab]: [9],
            [cp("n")]: [10],
            [cp("v")]: [11],
            [cp("f")]: [12],
            [cp("r")]: [13],
            [cp("e")]: [0x1b],
            [C.space]: [0x20],
            [C.dquote]: [C.dquote],
            [C.squote]: [C.squote],
            [C.backslash]: [C.backslash],
            [cp("N")]: [0x85],
            [cp("_")]: [0xa0],
            [cp("L")]: [0x2028],
            [cp("P")]: [0x2029],
          };
          if (e === cp("x")) codeLength = 2;
          else if (e === cp("u")) codeLength = 4;
          else if (e === cp("U")) codeLength = 8;
          else {
            const out = simple[e];
            if (out === undefined) this.errorAt(start, "found unknown escape character");
            pushAll(s, out);
          }
          this.skip();
          this.skip();
          if (codeLength > 0) {
            this.cache(codeLength);
            let value = 0;
            for (let k = 0; k < codeLength; k++) {
              if (!isHex(this.at(k))) this.errorAt(start, "did not find expected hexdecimal number");
              value = value * 16 + asHex(this.at(k));
            }
            if ((value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) {
              this.errorAt(start, "found invalid Unicode character escape code");
            }
            s.push(value);
            for (let k = 0; k < codeLength; k++) this.skip();
          }
        } else {
          // read(s), and every character after it that the loop would read the same way.
          const run = this.pos;
          this.skip();
          this.cache(2);
          this.skipQuotedRun(single);
          if (s.length > 0) {
            text += fromCodePoints(s);
            s.length = 0;
          }
          text += this.source(run, this.pos);
        }
        this.cache(2);
      }
      this.cache(1);
      if (single ? this.at() === C.squote : this.at() === C.dquote) break;
      while (isBlank(this.at()) || isBreak(this.at())) {
        if (isBlank(this.at())) {
          if (!leadingBlanks) this.read(whitespaces);
          else this.skip();
        } else {
          this.cache(2);
          if (!leadingBlanks) {
            whitespaces = [];
            this.readLine(leadingBreak);
            leadingBlanks = true;
          } else {
            this.readLine(trailingBreaks);
          }
        }
        this.cache(1);
      }
      if (leadingBlanks) {
        if (leadingBreak.length > 0 && leadingBreak[0] === C.lf) {
          if (trailingBreaks.length === 0) s.push(C.space);
          else pushAll(s, trailingBreaks);
        } else {
          pushAll(s, leadingBreak);
          pushAll(s, trailingBreaks);
        }
        trailingBreaks = [];
        leadingBreak = [];
      } else {
        pushAll(s, whitespaces);
        whitespaces = [];
      }
    }
    this.skip();
    return this.token(
      T.Scalar,
      start,
      this.markNow(),
      text + fromCodePoints(s),
      single ? Style.Single : Style.Double,
    );
  }

  /**
   * Inside a quoted scalar, past the characters that the loop in scanFlowScalar would read one by
   * one with nothing else happening: no blank, break or end, no quote (nor backslash in double
   * quotes), and at least two characters decoded beyond each (so its cache(2) would not read).
   */
  private skipQuotedRun(single: boolean): void {
    const limit = Math.min(this.decoded, this.decoded + this.nuls - 2);
    let p = this.pos;
    while (p < limit) {
      const c = this.code(p);
      if (isBlankZ(c) || (single ? c === C.squote : c === C.dquote || c === C.backslash)) break;
      p++;
    }
    this.mark.index += p - this.pos;
    this.mark.column += p - this.pos;
    this.pos = p;
  }

  /**
   * Inside a plain scalar (block context), past the characters that the loop in scanPlainScalar
   * would take one by one with nothing else happening: no blank, break or ':', and at least two
   * characters decoded beyond each (so its cache(2) would not read). Stops before any other.
   */
  private skipPlainRun(): void {
    const text = this.text;
    const offset = this.textStart;
    const limit = Math.min(this.decoded, this.decoded + this.nuls - 2);
    let p = this.pos;
    while (p < limit) {
      const c = text.charCodeAt(p + offset);
      if (
        c === C.space ||
        c === C.tab ||
        c === C.colon ||
        c === C.lf ||
        c === C.cr ||
        c === C.nel ||
        c === C.ls ||
        c === C.ps
      ) {
        break;
      }
      p++;
    }
    this.mark.index += p - this.pos;
    this.mark.column += p - this.pos;
    this.pos = p;
  }

  private scanPlainScalar(): Token {
    // The value is built from runs of the source (sliced, not copied a character at a time) and
    // the spaces and breaks that join them, exactly as scannerc.go's string buffer receives them.
    let value = "";
    // scannerc.go's leading_break, trailing_breaks and whitespaces, as text (each break is "\n",
    // U+2028 or U+2029, each blank a space or a tab).
    let leadingBreak = "";
    let trailingBreaks = "";
    let whitespaces = "";
    let leadingBlanks = false;
    const indent = this.indent + 1;
    const start = this.markNow();
    let end = this.markNow();
    for (;;) {
      this.cache(4);
      if (
        this.mark.column === 0 &&
        ((this.at() === C.dash && this.at(1) === C.dash && this.at(2) === C.dash) ||
          (this.at() === C.dot && this.at(1) === C.dot && this.at(2) === C.dot)) &&
        isBlankZ(this.at(3))
      ) {
        break;
      }
      if (this.at() === C.hash) break;
      const run = this.pos;
      while (!isBlankZ(this.at())) {
        const c = this.at();
        if (
          (c === C.colon && isBlankZ(this.at(1))) ||
          (this.flowLevel > 0 &&
            (c === C.comma ||
              c === C.question ||
              c === C.lbracket ||
              c === C.rbracket ||
              c === C.lbrace ||
              c === C.rbrace))
        ) {
          break;
        }
        if (leadingBlanks || whitespaces.length > 0) {
          // Only before the run's first character: nothing has been read since the blanks.
          if (leadingBlanks) {
            if (leadingBreak === "\n") {
              if (trailingBreaks.length === 0) value += " ";
              else value += trailingBreaks;
            } else {
              value += leadingBreak + trailingBreaks;
            }
            trailingBreaks = "";
            leadingBreak = "";
            leadingBlanks = false;
          } else {
            value += whitespaces;
            whitespaces = "";
          }
        }
        this.pos++;
        this.mark.index++;
        this.mark.column++;
        this.cache(2);
        if (this.chars === undefined && this.flowLevel === 0) this.skipPlainRun();
      }
      if (this.pos > run) {
        value += this.source(run, this.pos);
        end = this.markNow();
      }
      if (!(isBlank(this.at()) || isBreak(this.at()))) break;
      this.cache(1);
      while (isBlank(this.at()) || isBreak(this.at())) {
        if (isBlank(this.at())) {
          if (leadingBlanks && this.mark.column < indent && this.at() === C.tab) {
            this.errorAt(this.mark, "found a tab character that violates indentation");
          }
          if (!leadingBlanks) whitespaces += this.at() === C.tab ? "\t" : " ";
          this.skip();
        } else {
          this.cache(2);
          if (!leadingBlanks) {
            whitespaces = "";
            leadingBreak += this.readBreak();
            leadingBlanks = true;
          } else {
            trailingBreaks += this.readBreak();
          }
        }
        this.cache(1);
      }
      if (this.flowLevel === 0 && this.mark.column < indent) break;
    }
    if (leadingBlanks) this.simpleKeyAllowed = true;
    return this.token(T.Scalar, start, end, value, Style.Plain);
  }
}

// ---- parser (parserc.go) ---------------------------------------------------------------------

export enum EventType {
  StreamStart,
  StreamEnd,
  DocumentStart,
  DocumentEnd,
  Alias,
  Scalar,
  SequenceStart,
  SequenceEnd,
  MappingStart,
  MappingEnd,
}

interface YamlEvent {
  type: EventType;
  start: Mark;
  anchor?: string | undefined;
  tag?: string;
  value?: string;
  /** Scalars: plain_implicit; collections: implicit. */
  implicit?: boolean;
  quotedImplicit?: boolean;
}

enum S {
  StreamStart,
  ImplicitDocumentStart,
  DocumentStart,
  DocumentContent,
  DocumentEnd,
  BlockNode,
  BlockSequenceFirstEntry,
  BlockSequenceEntry,
  IndentlessSequenceEntry,
  BlockMappingFirstKey,
  BlockMappingKey,
  BlockMappingValue,
  FlowSequenceFirstEntry,
  FlowSequenceEntry,
  FlowSequenceEntryMappingKey,
  FlowSequenceEntryMappingValue,
  FlowSequenceEntryMappingEnd,
  FlowMappingFirstKey,
  FlowMappingKey,
  FlowMappingValue,
  FlowMappingEmptyValue,
  End,
}

class Parser {
  private state = S.StreamStart;
  private states: S[] = [];
  private tagDirectives: Array<{ handle: string; prefix: string }> = [];
  constructor(private readonly scanner: Scanner) {}

  /**
   * The one event object this parser hands out, refilled for each event: its only reader (the
   * composer) is done with an event before it asks for the next, and tens of thousands of them
   * would otherwise be made for a large aws-auth. Every field is set each time.
   */
  private readonly event: YamlEvent = {
    type: EventType.StreamStart,
    start: 0,
    anchor: undefined,
    tag: "",
    value: "",
    implicit: false,
    quotedImplicit: false,
  };

  private emit(
    type: EventType,
    start: Mark,
    anchor: string | undefined = undefined,
    tag = "",
    value = "",
    implicit = false,
    quotedImplicit = false,
  ): YamlEvent {
    const e = this.event;
    e.type = type;
    e.start = start;
    e.anchor = anchor;
    e.tag = tag;
    e.value = value;
    e.implicit = implicit;
    e.quotedImplicit = quotedImplicit;
    return e;
  }

  /** yaml_parser_set_parser_error: go-yaml's message names the token's 0-based line. */
  private error(problem: string, mark: Mark): never {
    throw new GoYamlSyntaxError(problem, mark, mark + 1);
  }

  private pop(): S {
    return this.states.pop() ?? S.End;
  }

  next(): YamlEvent {
    const sc = this.scanner;
    switch (this.state) {
      case S.StreamStart: {
        const token = sc.peek();
        if (token.type !== T.StreamStart) this.error("did not find expected <stream-start>", token.start);
        this.state = S.ImplicitDocumentStart;
        sc.skipToken();
        return this.emit(EventType.StreamStart, token.start);
      }
      case S.ImplicitDocumentStart:
        return this.documentStart(true);
      case S.DocumentStart:
        return this.documentStart(false);
      case S.DocumentContent: {
        const token = sc.peek();
        if (
          token.type === T.VersionDirective ||
          token.type === T.TagDirective ||
          token.type === T.DocumentStart ||
          token.type === T.DocumentEnd ||
          token.type === T.StreamEnd
        ) {
          this.state = this.pop();
          return this.emptyScalar(token.start);
        }
        return this.node(true, false);
      }
      case S.DocumentEnd: {
        const token = sc.peek();
        if (token.type === T.DocumentEnd) sc.skipToken();
        this.tagDirectives = [];
        this.state = S.DocumentStart;
        return this.emit(EventType.DocumentEnd, token.start);
      }
      case S.BlockNode:
        return this.node(true, false);
      case S.BlockSequenceFirstEntry:
        sc.skipToken();
        return this.blockSequenceEntry();
      case S.BlockSequenceEntry:
        return this.blockSequenceEntry();
      case S.IndentlessSequenceEntry: {
        let token = sc.peek();
        if (token.type === T.BlockEntry) {
          const mark = token.end;
          sc.skipToken();
          token = sc.peek();
          if (
            token.type !== T.BlockEntry &&
            token.type !== T.Key &&
            token.type !== T.Value &&
            token.type !== T.BlockEnd
          ) {
            this.states.push(S.IndentlessSequenceEntry);
            return this.node(true, false);
          }
          this.state = S.IndentlessSequenceEntry;
          return this.emptyScalar(mark);
        }
        this.state = this.pop();
        return this.emit(EventType.SequenceEnd, token.start);
      }
      case S.BlockMappingFirstKey:
        sc.skipToken();
        return this.blockMappingKey();
      case S.BlockMappingKey:
        return this.blockMappingKey();
      case S.BlockMappingValue: {
        let token = sc.peek();
        if (token.type === T.Value) {
          const mark = token.end;
          sc.skipToken();
          token = sc.peek();
          if (token.type !== T.Key && token.type !== T.Value && token.type !== T.BlockEnd) {
            this.states.push(S.BlockMappingKey);
            return this.node(true, true);
          }
          this.state = S.BlockMappingKey;
          return this.emptyScalar(mark);
        }
        this.state = S.BlockMappingKey;
        return this.emptyScalar(token.start);
      }
      case S.FlowSequenceFirstEntry:
        sc.skipToken();
        return this.flowSequenceEntry(true);
      case S.FlowSequenceEntry:
        return this.flowSequenceEntry(false);
      case S.FlowSequenceEntryMappingKey: {
        const token = sc.peek();
        if (token.type !== T.Value && token.type !== T.FlowEntry && token.type !== T.FlowSequenceEnd) {
          this.states.push(S.FlowSequenceEntryMappingValue);
          return this.node(false, false);
        }
        const mark = token.end;
        sc.skipToken();
        this.state = S.FlowSequenceEntryMappingValue;
        return this.emptyScalar(mark);
      }
      case S.FlowSequenceEntryMappingValue: {
        let token = sc.peek();
        if (token.type === T.Value) {
          sc.skipToken();
          token = sc.peek();
          if (token.type !== T.FlowEntry && token.type !== T.FlowSequenceEnd) {
            this.states.push(S.FlowSequenceEntryMappingEnd);
            return this.node(false, false);
          }
        }
        this.state = S.FlowSequenceEntryMappingEnd;
        return this.emptyScalar(token.start);
      }
      case S.FlowSequenceEntryMappingEnd: {
        const token = sc.peek();
        this.state = S.FlowSequenceEntry;
        return this.emit(EventType.MappingEnd, token.start);
      }
      case S.FlowMappingFirstKey:
        sc.skipToken();
        return this.flowMappingKey(true);
      case S.FlowMappingKey:
        return this.flowMappingKey(false);
      case S.FlowMappingValue:
        return this.flowMappingValue(false);
      case S.FlowMappingEmptyValue:
        return this.flowMappingValue(true);
      default:
        throw new GoYamlSyntaxError("attempted to go past the end of stream; corrupted value?", 0);
    }
  }

  private emptyScalar(mark: Mark): YamlEvent {
    return this.emit(EventType.Scalar, mark, undefined, "", "", true);
  }

  private documentStart(implicit: boolean): YamlEvent {
    const sc = this.scanner;
    let token = sc.peek();
    if (!implicit) {
      while (token.type === T.DocumentEnd) {
        sc.skipToken();
        token = sc.peek();
      }
    }
    if (
      implicit &&
      token.type !== T.VersionDirective &&
      token.type !== T.TagDirective &&
      token.type !== T.DocumentStart &&
      token.type !== T.StreamEnd
    ) {
      this.processDirectives();
      this.states.push(S.DocumentEnd);
      this.state = S.BlockNode;
      return this.emit(EventType.DocumentStart, token.start);
    }
    if (token.type !== T.StreamEnd) {
      const start = token.start;
      this.processDirectives();
      token = sc.peek();
      if (token.type !== T.DocumentStart) this.error("did not find expected <document start>", token.start);
      this.states.push(S.DocumentEnd);
      this.state = S.DocumentContent;
      sc.skipToken();
      return this.emit(EventType.DocumentStart, start);
    }
    this.state = S.End;
    sc.skipToken();
    return this.emit(EventType.StreamEnd, token.start);
  }

  private processDirectives(): void {
    const sc = this.scanner;
    let version = false;
    let token = sc.peek();
    while (token.type === T.VersionDirective || token.type === T.TagDirective) {
      if (token.type === T.VersionDirective) {
        if (version) this.error("found duplicate %YAML directive", token.start);
        if (token.major !== 1 || token.minor !== 1)
          this.error("found incompatible YAML document", token.start);
        version = true;
      } else {
        this.appendTagDirective(token.value ?? "", token.suffix ?? "", false, token.start);
      }
      sc.skipToken();
      token = sc.peek();
    }
    this.appendTagDirective("!", "!", true, token.start);
    this.appendTagDirective("!!", "tag:yaml.org,2002:", true, token.start);
  }

  private appendTagDirective(handle: string, prefix: string, allowDuplicates: boolean, mark: Mark): void {
    if (this.tagDirectives.some((d) => d.handle === handle)) {
      if (allowDuplicates) return;
      this.error("found duplicate %TAG directive", mark);
    }
    this.tagDirectives.push({ handle, prefix });
  }

  private node(block: boolean, indentlessSequence: boolean): YamlEvent {
    const sc = this.scanner;
    let token = sc.peek();
    if (token.type === T.Alias) {
      this.state = this.pop();
      sc.skipToken();
      return this.emit(EventType.Alias, token.start, token.value ?? "");
    }
    const start = token.start;
    let anchor: string | undefined;
    let tagToken = false;
    let tagHandle = "";
    let tagSuffix = "";
    let tagMark = start;
    if (token.type === T.Anchor) {
      anchor = token.value ?? "";
      sc.skipToken();
      token = sc.peek();
      if (token.type === T.Tag) {
        tagToken = true;
        tagHandle = token.value ?? "";
        tagSuffix = token.suffix ?? "";
        tagMark = token.start;
        sc.skipToken();
        token = sc.peek();
      }
    } else if (token.type === T.Tag) {
      tagToken = true;
      tagHandle = token.value ?? "";
      tagSuffix = token.suffix ?? "";
      tagMark = token.start;
      sc.skipToken();
      token = sc.peek();
      if (token.type === T.Anchor) {
        anchor = token.value ?? "";
        sc.skipToken();
        token = sc.peek();
      }
    }
    let tag = "";
    if (tagToken) {
      if (tagHandle.length === 0) tag = tagSuffix;
      else {
        const directive = this.tagDirectives.find((d) => d.handle === tagHandle);
        if (directive) tag = directive.prefix + tagSuffix;
        if (tag.length === 0) this.error("found undefined tag handle", tagMark);
      }
    }
    const implicit = tag.length === 0;
    // Every node event has one shape (no spreading: a 2,000-entry aws-auth has ~20,000 of them).
    if (indentlessSequence && token.type === T.BlockEntry) {
      this.state = S.IndentlessSequenceEntry;
      return this.emit(EventType.SequenceStart, start, anchor, tag, "", implicit);
    }
    if (token.type === T.Scalar) {
      const plainImplicit = (tag.length === 0 && token.style === Style.Plain) || tag === "!";
      const quotedImplicit = !plainImplicit && tag.length === 0;
      this.state = this.pop();
      sc.skipToken();
      return this.emit(
        EventType.Scalar,
        start,
        anchor,
        tag,
        token.value ?? "",
        plainImplicit,
        quotedImplicit,
      );
    }
    if (token.type === T.FlowSequenceStart) {
      this.state = S.FlowSequenceFirstEntry;
      return this.emit(EventType.SequenceStart, start, anchor, tag, "", implicit);
    }
    if (token.type === T.FlowMappingStart) {
      this.state = S.FlowMappingFirstKey;
      return this.emit(EventType.MappingStart, start, anchor, tag, "", implicit);
    }
    if (block && token.type === T.BlockSequenceStart) {
      this.state = S.BlockSequenceFirstEntry;
      return this.emit(EventType.SequenceStart, start, anchor, tag, "", implicit);
    }
    if (block && token.type === T.BlockMappingStart) {
      this.state = S.BlockMappingFirstKey;
      return this.emit(EventType.MappingStart, start, anchor, tag, "", implicit);
    }
    if (anchor !== undefined || tag.length > 0) {
      this.state = this.pop();
      return this.emit(EventType.Scalar, start, anchor, tag, "", implicit);
    }
    this.error("did not find expected node content", token.start);
  }

  private blockSequenceEntry(): YamlEvent {
    const sc = this.scanner;
    let token = sc.peek();
    if (token.type === T.BlockEntry) {
      const mark = token.end;
      sc.skipToken();
      token = sc.peek();
      if (token.type !== T.BlockEntry && token.type !== T.BlockEnd) {
        this.states.push(S.BlockSequenceEntry);
        return this.node(true, false);
      }
      this.state = S.BlockSequenceEntry;
      return this.emptyScalar(mark);
    }
    if (token.type === T.BlockEnd) {
      this.state = this.pop();
      sc.skipToken();
      return this.emit(EventType.SequenceEnd, token.start);
    }
    this.error("did not find expected '-' indicator", token.start);
  }

  private blockMappingKey(): YamlEvent {
    const sc = this.scanner;
    let token = sc.peek();
    if (token.type === T.Key) {
      const mark = token.end;
      sc.skipToken();
      token = sc.peek();
      if (token.type !== T.Key && token.type !== T.Value && token.type !== T.BlockEnd) {
        this.states.push(S.BlockMappingValue);
        return this.node(true, true);
      }
      this.state = S.BlockMappingValue;
      return this.emptyScalar(mark);
    }
    if (token.type === T.BlockEnd) {
      this.state = this.pop();
      sc.skipToken();
      return this.emit(EventType.MappingEnd, token.start);
    }
    this.error("did not find expected key", token.start);
  }

  private flowSequenceEntry(first: boolean): YamlEvent {
    const sc = this.scanner;
    let token = sc.peek();
    if (token.type !== T.FlowSequenceEnd) {
      if (!first) {
        if (token.type === T.FlowEntry) {
          sc.skipToken();
          token = sc.peek();
        } else {
          this.error("did not find expected ',' or ']'", token.start);
        }
      }
      if (token.type === T.Key) {
        this.state = S.FlowSequenceEntryMappingKey;
        sc.skipToken();
        return this.emit(EventType.MappingStart, token.start, undefined, "", "", true);
      }
      if (token.type !== T.FlowSequenceEnd) {
        this.states.push(S.FlowSequenceEntry);
        return this.node(false, false);
      }
    }
    this.state = this.pop();
    sc.skipToken();
    return this.emit(EventType.SequenceEnd, token.start);
  }

  private flowMappingKey(first: boolean): YamlEvent {
    const sc = this.scanner;
    let token = sc.peek();
    if (token.type !== T.FlowMappingEnd) {
      if (!first) {
        if (token.type === T.FlowEntry) {
          sc.skipToken();
          token = sc.peek();
        } else {
          this.error("did not find expected ',' or '}'", token.start);
        }
      }
      if (token.type === T.Key) {
        sc.skipToken();
        token = sc.peek();
        if (token.type !== T.Value && token.type !== T.FlowEntry && token.type !== T.FlowMappingEnd) {
          this.states.push(S.FlowMappingValue);
          return this.node(false, false);
        }
        this.state = S.FlowMappingValue;
        return this.emptyScalar(token.start);
      }
      if (token.type !== T.FlowMappingEnd) {
        this.states.push(S.FlowMappingEmptyValue);
        return this.node(false, false);
      }
    }
    this.state = this.pop();
    sc.skipToken();
    return this.emit(EventType.MappingEnd, token.start);
  }

  private flowMappingValue(empty: boolean): YamlEvent {
    const sc = this.scanner;
    let token = sc.peek();
    if (empty) {
      this.state = S.FlowMappingKey;
      return this.emptyScalar(token.start);
    }
    if (token.type === T.Value) {
      sc.skipToken();
      token = sc.peek();
      if (token.type !== T.FlowEntry && token.type !== T.FlowMappingEnd) {
        this.states.push(S.FlowMappingKey);
        return this.node(false, false);
      }
    }
    this.state = S.FlowMappingKey;
    return this.emptyScalar(token.start);
  }
}

// ---- composer (decode.go parser) --------------------------------------------------------------

export type GoNode =
  | { kind: "scalar"; value: string; tag: string; implicit: boolean; line: number }
  | { kind: "sequence"; children: GoNode[]; tag: string; line: number }
  | { kind: "mapping"; children: GoNode[]; tag: string; line: number }
  | { kind: "alias"; name: string; target: GoNode; line: number };

/**
 * decode.go newParser + parse: the first document's root node, or null when the stream holds no
 * document. Only as much of the input is read as go-yaml reads to finish the first document.
 */
export function composeFirstDocument(text: string): GoNode | null {
  const parser = new Parser(new Scanner(text.length === 0 ? "\n" : text));
  let event: YamlEvent | undefined;
  const peek = () => {
    event ??= parser.next();
    return event;
  };
  const expect = (type: EventType) => {
    const e = peek();
    if (e.type === EventType.StreamEnd) {
      throw new GoYamlSyntaxError("attempted to go past the end of stream; corrupted value?", 0);
    }
    if (e.type !== type) throw new GoYamlSyntaxError(`expected event ${type} but got ${e.type}`, 0);
    event = undefined;
    return e;
  };
  let anchors = new Map<string, GoNode>();
  const stack: GoNode[] = [];
  let top = 0;
  const parse = (): GoNode => {
    const e = peek();
    switch (e.type) {
      case EventType.Scalar: {
        const n: GoNode = {
          kind: "scalar",
          value: e.value ?? "",
          tag: e.tag ?? "",
          implicit: e.implicit ?? false,
          line: e.start,
        };
        if (e.anchor !== undefined) anchors.set(e.anchor, n);
        expect(EventType.Scalar);
        return n;
      }
      case EventType.Alias: {
        const target = anchors.get(e.anchor ?? "");
        if (!target) throw new GoYamlSyntaxError(`unknown anchor '${e.anchor}' referenced`, 0);
        expect(EventType.Alias);
        return { kind: "alias", name: e.anchor ?? "", target, line: e.start };
      }
      case EventType.SequenceStart:
      case EventType.MappingStart: {
        const mapping = e.type === EventType.MappingStart;
        const n = {
          kind: mapping ? "mapping" : "sequence",
          children: [] as GoNode[],
          tag: e.tag ?? "",
          line: e.start,
        } as GoNode & {
          children: GoNode[];
        };
        if (e.anchor !== undefined) anchors.set(e.anchor, n);
        expect(e.type);
        const endType = mapping ? EventType.MappingEnd : EventType.SequenceEnd;
        // The children gather on one stack shared by every collection and are copied out at the
        // end: an array grown by push from empty holds room for 17 (most collections have 2 to 8).
        const from = top;
        while (peek().type !== endType) {
          stack[top++] = parse();
          if (mapping) stack[top++] = parse();
        }
        n.children = stack.slice(from, top);
        top = from;
        expect(endType);
        return n;
      }
      default:
        throw new GoYamlSyntaxError(`attempted to parse unknown event: ${e.type}`, 0);
    }
  };
  expect(EventType.StreamStart);
  const first = peek();
  if (first.type === EventType.StreamEnd) return null;
  anchors = new Map();
  expect(EventType.DocumentStart);
  const root = parse();
  expect(EventType.DocumentEnd);
  return root;
}
