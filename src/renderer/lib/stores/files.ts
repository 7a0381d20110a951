/**
 * Saving a file the way the shell does it: the native save dialog in the
 * desktop app (saveFile in the contract), a download in browser mode.
 */
import { api } from '../transport/api';
import { downloadBlob } from '../download';
import { appInfo } from './app-info.svelte';

/** Which shell the page runs in, asked once (App asks at start-up, so saving needs no round trip). */
export async function shell(): Promise<'electron' | 'browser'> {
  return (await appInfo.load()).shell;
}

export interface FileToSave {
  /** Suggested (desktop) or actual (browser) file name. */
  name: string;
  /** What the file holds: text as is, or bytes. */
  content: string | Blob;
  mime: string;
  /** The save dialog's filter: "PNG image" and ["png"]. */
  filterName: string;
  extensions: string[];
}

async function base64Of(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** Bytes from base64 text, as a Blob (a model's weights). */
export function blobFromBase64(base64: string, mime = 'application/octet-stream'): Blob {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: mime });
}

/**
 * Save one file. Resolves to where it went (a path in the desktop app, the
 * file name of the download in browser mode), or null when the user cancelled
 * the dialog. Rejects with the core's message when writing failed.
 */
export async function saveFile(file: FileToSave): Promise<string | null> {
  // Known already, the browser download starts in the same task as the click (browsers trust that more).
  if ((appInfo.info?.shell ?? (await shell())) === 'electron') {
    const body = typeof file.content === 'string' ? { text: file.content } : { base64: await base64Of(file.content) };
    const { saved } = await api.saveFile({ suggestedName: file.name, ...body, filterName: file.filterName, extensions: file.extensions });
    return saved;
  }
  const blob = typeof file.content === 'string' ? new Blob([file.content], { type: `${file.mime};charset=utf-8` }) : file.content;
  downloadBlob(file.name, blob);
  return file.name;
}

/** Several files one after another (a model's model.json and weights); stops at a cancelled dialog. */
export async function saveFiles(files: FileToSave[]): Promise<(string | null)[]> {
  const where: (string | null)[] = [];
  for (const f of files) {
    const saved = await saveFile(f);
    where.push(saved);
    if (saved === null) break;
    // Browsers drop a second download started in the same instant as the first.
    if (files.length > 1) await new Promise((r) => setTimeout(r, 150));
  }
  return where;
}

/** Desktop app only: print a self-contained HTML report to PDF and save it where the user chooses; null when cancelled. */
export async function savePdf(suggestedName: string, html: string): Promise<string | null> {
  const { saved } = await api.saveReportPdf({ suggestedName, html });
  return saved;
}
