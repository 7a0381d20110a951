/** The editor's message line: what an import, save or fix did, or why it did not. */
export interface Notice {
  kind: 'ok' | 'warn' | 'error';
  text: string;
  /** Further lines, such as the warnings of a Keras import. */
  details: string[];
}

class EditorNotice {
  current = $state<Notice | null>(null);

  show(kind: Notice['kind'], text: string, details: string[] = []) {
    this.current = { kind, text, details };
  }

  clear() {
    this.current = null;
  }
}

export const notice = new EditorNotice();
