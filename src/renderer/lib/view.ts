/** The app's main views, switched from the top bar or with Ctrl+1 / Ctrl+2 / Ctrl+3. */
export type View = 'train' | 'runs' | 'compare';
