/**
 * The JSON of a file the user imports (a Keras model, a design, a run bundle):
 * refused by size before any parsing, so a huge file costs nothing. Each importer
 * words the two refusals its own way.
 */
export function importedJson(
  text: string,
  limitMegabytes: number,
  refuse: { tooLarge(megabytes: string): Error; notJson(reason: string): Error },
): unknown {
  if (text.length > limitMegabytes * 1024 * 1024) throw refuse.tooLarge((text.length / 1024 / 1024).toFixed(1));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw refuse.notJson((e as Error).message);
  }
}
