/** The app's main views, switched from the top bar or with Ctrl+1 … Ctrl+4. */
export type View = 'train' | 'runs' | 'compare' | 'datasets';
