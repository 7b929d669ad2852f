// UI text: every string shown comes from src/i18n/<lang>.json through `t`. The choice is kept
// in localStorage; build.mjs fails when the two files' keys differ or a used key is missing.
import en from './i18n/en.json';
import ko from './i18n/ko.json';

export type Lang = 'en' | 'ko';
export const LANGS: Lang[] = ['en', 'ko'];
const TABLES: Record<Lang, unknown> = { en, ko };
const STORAGE_KEY = 'faultline.lang';

let current: Lang = initial();
const listeners = new Set<() => void>();

function initial(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'ko') return saved;
  return navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

export function lang(): Lang {
  return current;
}

/** BCP 47 locale for Intl formatting. */
export function locale(): string {
  return current === 'ko' ? 'ko-KR' : 'en-GB';
}

export function setLang(next: Lang): void {
  if (next === current) return;
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  listeners.forEach((f) => f());
}

export function onLangChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

function lookup(table: unknown, key: string): string | undefined {
  let node = table;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** The text of `key`, with `{name}` placeholders replaced from `vars`. */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const text = lookup(TABLES[current], key) ?? lookup(TABLES.en, key) ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Like `t`, but for a key built at run time from server data (a state, a role); the raw value
 * is shown when the locale has no entry for it. */
export function tOr(key: string, fallback: string): string {
  return lookup(TABLES[current], key) ?? lookup(TABLES.en, key) ?? fallback;
}

document.documentElement.lang = current;
