import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { settingsSchema, type Settings } from './settings.schema';
import { ConfigError, coerceEnvString, parseTsk, type TskDocument } from './tsk-parser';

type Env = Record<string, string | undefined>;

export interface LoadSettingsOptions {
  /** Defaults to $CAUSEWAY_CONFIG, then config/causeway.tsk under the working directory. */
  file?: string;
  env?: Env;
}

/**
 * Environment overrides: `CAUSEWAY__<SECTION>__<KEY>=value`, e.g.
 * `CAUSEWAY__PROCESSING__BATCH_SIZE=50`. They win over the file, including over `@env` defaults.
 */
const OVERRIDE = /^CAUSEWAY__([A-Z0-9_]+?)__([A-Z0-9_]+)$/;

export function defaultConfigFile(env: Env = process.env): string {
  return resolve(env['CAUSEWAY_CONFIG'] ?? 'config/causeway.tsk');
}

export function loadSettings(options: LoadSettingsOptions = {}): Settings {
  const env = options.env ?? process.env;
  const file = options.file ?? defaultConfigFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, undefined, `cannot read config file: ${(error as Error).message}`);
  }
  return settingsFromText(text, file, env);
}

export function settingsFromText(text: string, file: string, env: Env = process.env): Settings {
  const doc = parseTsk(text, file, env);
  const overridden = applyOverrides(doc, env);
  const result = settingsSchema.safeParse(overridden);
  if (!result.success) {
    // Report the first problem in file order: a bad value on line 3 before a section missing altogether.
    const errors = result.error.issues.map((issue) => toConfigError(issue, doc, overridden));
    throw errors.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity))[0];
  }
  return result.data;
}

function applyOverrides(doc: TskDocument, env: Env): Record<string, Record<string, unknown>> {
  const sections: Record<string, Record<string, unknown>> = structuredClone(doc.sections);
  for (const [name, value] of Object.entries(env)) {
    const match = OVERRIDE.exec(name);
    if (!match || value === undefined) continue;
    const section = match[1].toLowerCase();
    const key = match[2].toLowerCase();
    sections[section] ??= {};
    sections[section][key] = coerceEnvString(value);
    doc.entries.set(`${section}.${key}`, { value: coerceEnvString(value), line: 0 });
  }
  return sections;
}

function toConfigError(issue: z.core.$ZodIssue, doc: TskDocument, values: Record<string, Record<string, unknown>>): ConfigError {
  const path = issue.path.map(String);
  // Report the deepest path we know a line for: the key itself, or its section.
  let line: number | undefined;
  let where = path.join('.');
  for (let n = path.length; n > 0 && line === undefined; n--) {
    const entry = doc.entries.get(path.slice(0, n).join('.'));
    if (entry) {
      if (entry.line === 0) where = `${where} (from CAUSEWAY__${path.slice(0, 2).join('__').toUpperCase()})`;
      line = entry.line || undefined;
      if (entry.missingEnv) {
        return new ConfigError(doc.file, entry.line, `missing required value for ${path.join('.')}: environment variable ${entry.missingEnv} is not set and @env has no default`);
      }
    }
  }
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    const target = path.length ? `[${path[0]}]` : 'the file';
    const firstLine = issue.keys.map((k) => doc.entries.get([...path, k].join('.'))?.line).find((l) => l);
    return new ConfigError(doc.file, firstLine ?? line, `unknown setting ${keys} in ${target}`);
  }
  const section = path[0];
  const missing = issue.code === 'invalid_type' && lookup(values, path) === undefined;
  if (missing) {
    const sectionLine = section !== undefined && !(section in values) ? undefined : line;
    return new ConfigError(doc.file, sectionLine, `missing required value for ${path.join('.')}${section in values ? '' : ` (no [${section}] section)`}`);
  }
  return new ConfigError(doc.file, line, `invalid value for ${where}: ${issue.message}`);
}

function lookup(values: Record<string, Record<string, unknown>>, path: string[]): unknown {
  let cur: unknown = values;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
