/**
 * Parser for the seed's configuration notation ("TuskLang style", `.tsk`):
 *
 *   # comment
 *   [section]
 *   key: "string" | 'string' | 42 | -1.5 | true | false | null
 *   key: ["list", "of", 3, "values"]
 *   key: @env('VAR') | @env('VAR', 'default')   (also inside quotes, as the seed writes it)
 *   key:               # followed by an indented block:
 *     - "list item"    #   a list (the seed also writes items at the key's own indentation)
 *     nested: "value"  #   or a map of more keys
 *
 * Every value remembers the line it came from so a bad setting is reported as file:line.
 */

export type TskScalar = string | number | boolean | null;
export type TskValue = TskScalar | TskValue[] | { [key: string]: TskValue };

export interface TskEntry {
  value: TskValue | undefined;
  line: number;
  /** Set when the value came from `@env('NAME')` and NAME was not set (and had no default). */
  missingEnv?: string;
}

export interface TskDocument {
  file: string;
  /** `section.key` (and `section.key.nested`) → where it was set. */
  entries: Map<string, TskEntry>;
  sections: Record<string, Record<string, TskValue | undefined>>;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

interface Line {
  number: number;
  indent: number;
  text: string;
}

const SECTION = /^\[([A-Za-z_][\w.-]*)\]$/;
const KEY = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export function parseTsk(text: string, file: string, env: Env = process.env): TskDocument {
  const doc: TskDocument = { file, entries: new Map(), sections: {} };
  const lines = logicalLines(text, file);
  let section: string | undefined;
  let i = 0;

  while (i < lines.length) {
    const line = lines[i];
    if (line.text.startsWith('[')) {
      const match = SECTION.exec(line.text);
      if (!match) throw new ConfigError(file, line.number, `invalid section header "${line.text}" (expected [name])`);
      section = match[1];
      doc.sections[section] ??= {};
      i++;
      continue;
    }
    if (section === undefined) {
      throw new ConfigError(file, line.number, `"${line.text}" appears before any [section] header`);
    }
    const parsed = parseKeyLine(line, file);
    const target = doc.sections[section];
    if (Object.prototype.hasOwnProperty.call(target, parsed.key)) {
      throw new ConfigError(file, line.number, `duplicate key "${parsed.key}" in [${section}]`);
    }
    const path = `${section}.${parsed.key}`;
    if (parsed.rest !== '') {
      const entry = parseValue(parsed.rest, line.number, file, env);
      target[parsed.key] = entry.value;
      doc.entries.set(path, entry);
      i++;
      continue;
    }
    const block = readBlock(lines, i, file, env, path, doc);
    target[parsed.key] = block.value;
    doc.entries.set(path, { value: block.value, line: line.number });
    i = block.next;
  }
  return doc;
}

function parseKeyLine(line: Line, file: string): { key: string; rest: string } {
  const match = KEY.exec(line.text);
  if (!match) throw new ConfigError(file, line.number, `expected "key: value", got "${line.text}"`);
  return { key: match[1], rest: match[2] };
}

/** A `key:` with no inline value owns the following list items or more-indented keys. */
function readBlock(lines: Line[], start: number, file: string, env: Env, path: string, doc: TskDocument): { value: TskValue; next: number } {
  const owner = lines[start];
  const first = lines[start + 1];
  if (first?.text.startsWith('- ') || first?.text === '-') {
    const items: TskValue[] = [];
    let i = start + 1;
    while (i < lines.length && lines[i].indent >= owner.indent && (lines[i].text.startsWith('- ') || lines[i].text === '-')) {
      const raw = lines[i].text.slice(1).trim();
      if (raw === '') throw new ConfigError(file, lines[i].number, `empty list item under "${path}"`);
      items.push(requireValue(parseValue(raw, lines[i].number, file, env), file, path));
      i++;
    }
    return { value: items, next: i };
  }
  if (first && first.indent > owner.indent && !first.text.startsWith('[')) {
    const map: Record<string, TskValue> = {};
    let i = start + 1;
    const indent = first.indent;
    while (i < lines.length && lines[i].indent >= indent && !lines[i].text.startsWith('[')) {
      if (lines[i].indent > indent) throw new ConfigError(file, lines[i].number, `unexpected indentation under "${path}"`);
      const { key, rest } = parseKeyLine(lines[i], file);
      if (Object.prototype.hasOwnProperty.call(map, key)) throw new ConfigError(file, lines[i].number, `duplicate key "${key}" under "${path}"`);
      if (rest === '') {
        const nested = readBlock(lines, i, file, env, `${path}.${key}`, doc);
        map[key] = nested.value;
        doc.entries.set(`${path}.${key}`, { value: nested.value, line: lines[i].number });
        i = nested.next;
      } else {
        const entry = parseValue(rest, lines[i].number, file, env);
        doc.entries.set(`${path}.${key}`, entry);
        if (entry.value !== undefined) map[key] = entry.value;
        i++;
      }
    }
    return { value: map, next: i };
  }
  throw new ConfigError(file, owner.number, `missing value for "${path}"`);
}

function requireValue(entry: TskEntry, file: string, path: string): TskValue {
  if (entry.value === undefined) {
    throw new ConfigError(file, entry.line, `missing required value in "${path}": environment variable ${entry.missingEnv} is not set`);
  }
  return entry.value;
}

/** Splits into non-blank lines, strips comments outside strings, keeps indentation. */
function logicalLines(text: string, file: string): Line[] {
  const out: Line[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const stripped = stripComment(raw, file, index + 1).trimEnd();
    if (stripped.trim() === '') return;
    const indent = stripped.length - stripped.trimStart().length;
    out.push({ number: index + 1, indent, text: stripped.trim() });
  });
  return out;
}

function stripComment(raw: string, file: string, line: number): string {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#') {
      return raw.slice(0, i);
    }
  }
  if (quote) throw new ConfigError(file, line, `unterminated string (missing closing ${quote})`);
  return raw;
}

/** Parses one inline value. `@env` references are resolved here, against `env`. */
export function parseValue(raw: string, line: number, file: string, env: Env): TskEntry {
  const reader = new ValueReader(raw.trim(), line, file, env);
  const entry = reader.readValue();
  reader.skipSpace();
  if (!reader.done()) reader.fail(`unexpected "${reader.rest()}" after value`);
  return entry;
}

class ValueReader {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly line: number,
    private readonly file: string,
    private readonly env: Env,
  ) {}

  done(): boolean {
    return this.pos >= this.src.length;
  }

  rest(): string {
    return this.src.slice(this.pos);
  }

  fail(reason: string): never {
    throw new ConfigError(this.file, this.line, reason);
  }

  skipSpace(): void {
    while (!this.done() && /\s/.test(this.src[this.pos])) this.pos++;
  }

  readValue(): TskEntry {
    this.skipSpace();
    const c = this.src[this.pos];
    if (c === '"' || c === "'") {
      const text = this.readString();
      // The seed writes `"@env('VAR')"` in quotes; a string that is exactly one @env call means the call.
      return /^@env\(.*\)$/.test(text) ? parseValue(text, this.line, this.file, this.env) : this.entry(text);
    }
    if (c === '[') return this.entry(this.readList());
    if (this.src.startsWith('@env', this.pos)) return this.readEnv();
    if (c === '@') this.fail(`unknown function "${/^@\w*/.exec(this.rest())?.[0]}" (only @env is supported)`);
    return this.entry(this.readBare());
  }

  private entry(value: TskValue | undefined): TskEntry {
    return { value, line: this.line };
  }

  private readString(): string {
    const quote = this.src[this.pos++];
    let out = '';
    while (!this.done()) {
      const c = this.src[this.pos++];
      if (c === quote) return out;
      if (c === '\\') {
        const next = this.src[this.pos++];
        const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
        if (next === undefined || !(next in escapes)) this.fail(`invalid escape "\\${next ?? ''}" in string`);
        out += escapes[next];
      } else {
        out += c;
      }
    }
    return this.fail(`unterminated string (missing closing ${quote})`);
  }

  private readList(): TskValue[] {
    this.pos++; // [
    const items: TskValue[] = [];
    this.skipSpace();
    if (this.src[this.pos] === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      const item = this.readValue();
      if (item.value === undefined) this.fail(`list item @env('${item.missingEnv}') is not set and has no default`);
      items.push(item.value);
      this.skipSpace();
      const c = this.src[this.pos++];
      if (c === ']') return items;
      if (c !== ',') this.fail(c === undefined ? 'unterminated list (missing ])' : `expected "," or "]" in list, got "${c}"`);
    }
  }

  private readEnv(): TskEntry {
    const match = /^@env\(\s*(['"])([A-Za-z_]\w*)\1\s*(?:,\s*)?/.exec(this.rest());
    if (!match) this.fail(`malformed @env(...): expected @env('NAME') or @env('NAME', default)`);
    this.pos += match[0].length;
    const name = match[2];
    let fallback: TskValue | undefined;
    if (this.src[this.pos] !== ')') {
      fallback = this.readValue().value;
      this.skipSpace();
    }
    if (this.src[this.pos++] !== ')') this.fail(`malformed @env(...): missing ")"`);
    const fromEnv = this.env[name];
    if (fromEnv !== undefined && fromEnv !== '') return { value: coerceEnvString(fromEnv), line: this.line };
    if (fallback !== undefined) return { value: fallback, line: this.line };
    return { value: undefined, line: this.line, missingEnv: name };
  }

  private readBare(): TskScalar {
    const match = /^[^\s,\])]+/.exec(this.rest());
    if (!match) this.fail(`missing value`);
    const word = match[0];
    this.pos += word.length;
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    if (/^[-+.\d]/.test(word)) {
      if (!NUMBER.test(word)) this.fail(`bad number "${word}"`);
      return Number(word);
    }
    return this.fail(`unquoted value "${word}" (strings need quotes; booleans are true/false)`);
  }
}

/**
 * An environment variable is text; read it as a number or boolean when it looks like one,
 * so `BATCH_SIZE=50` can override a numeric setting. Anything else stays a string.
 */
export function coerceEnvString(value: string): TskScalar {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (NUMBER.test(value)) return Number(value);
  return value;
}
