/**
 * The folder's `dovecot-keywords` file, as Dovecot writes it: one line per keyword,
 * `<index> <name>`, where index 0 is the flag letter `a` and 25 is `z` (so at most 26 keywords per
 * folder). Keywords compare case-insensitively; the first spelling stored is kept.
 */
export const MAX_KEYWORDS = 26;

export function parseKeywords(text: string): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d{1,2}) (\S+)$/.exec(line.trimEnd());
    if (m === null) continue;
    const index = Number(m[1]);
    if (index < MAX_KEYWORDS) out[index] = m[2]!;
  }
  return out;
}

export function serializeKeywords(names: readonly (string | undefined)[]): string {
  let out = '';
  names.forEach((name, i) => {
    if (name !== undefined) out += `${i} ${name}\n`;
  });
  return out;
}

export function letterOf(index: number): string {
  return String.fromCharCode(0x61 + index);
}

export function indexOfLetter(letter: string): number {
  return letter.charCodeAt(0) - 0x61;
}
