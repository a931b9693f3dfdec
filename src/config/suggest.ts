// "Did you mean --http?" for a mistyped option name.
import { allLongNames } from './options.ts';

/**
 * The known long name closest to `typed` (without dashes), or undefined when nothing is close.
 * A name that `typed` is the only prefix of wins (`proc` → `processes`); otherwise the name at the
 * smallest edit distance, if that distance is small for the word's length.
 */
export function closestOptionName(typed: string): string | undefined {
  const names = allLongNames();
  if (typed.length >= 3) {
    const extensions = names.filter((name) => name.startsWith(typed));
    if (extensions.length === 1) return extensions[0];
  }
  const tolerance = typed.length <= 3 ? 1 : typed.length <= 6 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = tolerance + 1;
  for (const name of names) {
    const distance = editDistance(typed, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Levenshtein distance where swapping two adjacent characters also counts as one edit
 * ("optimal string alignment"), so `htpp` is one edit away from `http`.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j] = distance between the first i characters of a and the first j of b.
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
  }
  for (let j = 1; j <= b.length; j++) {
    rows[0][j] = j;
  }
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i];
    const above = rows[i - 1];
    for (let j = 1; j <= b.length; j++) {
      const substitution = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(above[j] + 1, row[j - 1] + 1, above[j - 1] + substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, rows[i - 2][j - 2] + 1);
      }
      row[j] = distance;
    }
  }
  return rows[a.length][b.length];
}
