/** Save bytes as a file through the browser's download (files.ts decides when: the desktop app asks where instead). */
export function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
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
  return (
    name
      .trim()
      .replace(/[^\w.-]+/g, '_')
      .replace(/^[._]+|_+$/g, '') || 'layerlab_design'
  );
}
