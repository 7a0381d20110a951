/** Save text as a file through the browser's download (the desktop app asks where to put it). */
export function downloadText(fileName: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own reference by now; give it a moment before letting go of ours.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name from a design name: letters, digits, dashes and underscores. */
export function fileSafe(name: string): string {
  return name.trim().replace(/[^\w.-]+/g, '_').replace(/^[._]+|_+$/g, '') || 'layerlab_design';
}
