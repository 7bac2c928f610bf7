/**
 * One table of user-visible strings per element. `locale` picks a complete translation
 * (falling back from `pt-BR` to `pt` to English), and `overrides` replaces single entries.
 * Values may contain `{name}` placeholders.
 */
export type StringTable<K extends string> = Record<K, string>;

export function pickStrings<K extends string>(
  tables: Record<string, StringTable<K>> & { en: StringTable<K> },
  locale: string | null | undefined,
  overrides?: Partial<StringTable<K>>,
): StringTable<K> {
  const tag = (locale ?? '').toLowerCase();
  const base = tables[tag] ?? tables[tag.split('-')[0] ?? ''] ?? tables.en;
  return { ...tables.en, ...base, ...overrides };
}

/**
 * The language an element speaks: its `locale`, else the nearest `lang` attribute around it
 * (the page's `<html lang>` included). One rule for every element.
 */
export function elementLocale(el: Element & { locale?: string | null }): string {
  return el.locale || el.closest('[lang]')?.getAttribute('lang') || '';
}

export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => (key in values ? String(values[key]) : m));
}
