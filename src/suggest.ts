import { closest, distance } from "fastest-levenshtein";

/**
 * `did you mean "X"?` for a misspelt name, when one of `candidates` is close enough to be the
 * likely intent (a few edits, more for longer names); undefined otherwise, so a wild guess
 * never sends the user somewhere wrong.
 */
export function didYouMean(value: string, candidates: Iterable<string>): string | undefined {
  const best = likelyMeant(value, candidates);
  return best === undefined ? undefined : `did you mean "${best}"?`;
}

/** The candidate `value` most likely meant, as didYouMean judges it. */
export function likelyMeant(value: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  if (list.length === 0) return undefined;
  // Typed in the wrong case (atx-north-10): that one, however long the name.
  const folded = value.toLowerCase();
  const sameLetters = list.find((c) => c.toLowerCase() === folded);
  if (sameLetters !== undefined) return sameLetters;
  const best = closest(value, list);
  return distance(value, best) <= Math.max(2, Math.floor(best.length / 4)) ? best : undefined;
}
