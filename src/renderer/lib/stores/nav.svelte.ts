/** Which view is shown; a store so that a view can send the user to another ("Edit a copy" opens Train). */
import type { View } from '../view';

class Nav {
  view = $state<View>('train');
}

export const nav = new Nav();
