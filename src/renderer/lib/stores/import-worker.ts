/**
 * A Web Worker that reads and parses imported files (a Keras model, a design
 * file, a run bundle) off the window's thread, so a large or hostile file never
 * freezes the UI. Answers each request with the parsed value or the error's
 * message, exactly as the parser words it.
 */
import { runParse, type ParseReply, type ParseRequest } from './import-parsers';

interface WorkerScope {
  onmessage: ((event: MessageEvent<ParseRequest>) => void) | null;
  postMessage(message: ParseReply): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = async (event) => {
  const { id, kind, file } = event.data;
  try {
    const value = runParse(kind, await file.text(), file.name);
    scope.postMessage({ id, ok: true, value });
  } catch (err) {
    scope.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
};
