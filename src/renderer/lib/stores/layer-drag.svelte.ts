/**
 * Dragging layers with the pointer: from the palette into the stack, and within
 * the stack to reorder. Plain pointer events (no HTML5 drag and drop), so the
 * drop position can be shown exactly and a test driving the mouse in steps
 * drags the same way a hand does. Every drag has a keyboard equivalent in the
 * stack and palette components.
 */
import type { LayerType } from '../../../shared/model/model-spec';

export type DragSource = { kind: 'palette'; type: LayerType } | { kind: 'layer'; id: number; type: LayerType };

/** Pixels the pointer must travel before a press becomes a drag (a shorter press is a click). */
const THRESHOLD = 4;
/** Distance from the scrolling area's edge at which a drag scrolls it. */
const EDGE = 36;

interface Target {
  /** The stack's list element: drops land between its rows. */
  list: HTMLElement;
  /** Called with the source and the insertion index (0 … number of layers). */
  drop: (source: DragSource, index: number) => void;
}

class LayerDrag {
  /** What is being dragged, once the pointer has moved far enough. */
  source = $state<DragSource | null>(null);
  /** Where it would land: an insertion index into the stack, or null outside it. */
  dropIndex = $state<number | null>(null);
  /** Pointer position, for the ghost that follows it. */
  x = $state(0);
  y = $state(0);

  #target: Target | null = null;
  #suppressClick = false;

  /** The stack registers itself as the place drops land; returns the unregister function. */
  register(target: Target): () => void {
    this.#target = target;
    return () => {
      if (this.#target === target) this.#target = null;
    };
  }

  /** A click that ends a drag is not a click (the palette must not add a second layer). */
  consumeClick(): boolean {
    const suppressed = this.#suppressClick;
    this.#suppressClick = false;
    return suppressed;
  }

  /** Start watching a press on a draggable; it becomes a drag once the pointer moves. */
  press(event: PointerEvent, source: DragSource) {
    if (event.button !== 0 || this.source) return;
    const startX = event.clientX;
    const startY = event.clientY;
    let dragging = false;

    const move = (ev: PointerEvent) => {
      if (ev.pointerId !== event.pointerId) return;
      if (!dragging) {
        if (Math.hypot(ev.clientX - startX, ev.clientY - startY) < THRESHOLD) return;
        dragging = true;
        this.source = source;
        document.body.classList.add('dragging-layer');
      }
      ev.preventDefault();
      this.x = ev.clientX;
      this.y = ev.clientY;
      autoScroll(ev);
      this.dropIndex = this.#indexAt(ev.clientX, ev.clientY);
    };
    const finish = (ev: PointerEvent | null, commit: boolean) => {
      if (ev && ev.pointerId !== event.pointerId) return;
      window.removeEventListener('pointermove', move, true);
      window.removeEventListener('pointerup', up, true);
      window.removeEventListener('pointercancel', cancel, true);
      window.removeEventListener('keydown', escape, true);
      if (!dragging) return;
      const index = ev ? this.#indexAt(ev.clientX, ev.clientY) : null;
      const dropped = this.source;
      this.source = null;
      this.dropIndex = null;
      document.body.classList.remove('dragging-layer');
      this.#suppressClick = true;
      setTimeout(() => (this.#suppressClick = false), 0);
      if (commit && dropped && index !== null) this.#target?.drop(dropped, index);
    };
    const up = (ev: PointerEvent) => finish(ev, true);
    const cancel = (ev: PointerEvent) => finish(ev, false);
    const escape = (ev: KeyboardEvent) => {
      if (ev.key !== 'Escape' || !dragging) return;
      ev.preventDefault();
      ev.stopPropagation();
      finish(null, false);
    };
    window.addEventListener('pointermove', move, true);
    window.addEventListener('pointerup', up, true);
    window.addEventListener('pointercancel', cancel, true);
    window.addEventListener('keydown', escape, true);
  }

  /** Insertion index under the pointer: before the first row whose middle is below it. */
  #indexAt(x: number, y: number): number | null {
    const list = this.#target?.list;
    if (!list) return null;
    const box = list.getBoundingClientRect();
    // A little slack around the list, so dropping just above the first or below the last row works.
    if (x < box.left - 24 || x > box.right + 24 || y < box.top - 24 || y > box.bottom + 24) return null;
    const rows = [...list.querySelectorAll<HTMLElement>('[data-layer-row]')];
    const i = rows.findIndex((row) => {
      const r = row.getBoundingClientRect();
      return y < r.top + r.height / 2;
    });
    return i === -1 ? rows.length : i;
  }
}

function autoScroll(ev: PointerEvent) {
  const scroller = (ev.target instanceof Element ? ev.target.closest('main') : null) ?? document.querySelector('main');
  if (!scroller) return;
  const box = scroller.getBoundingClientRect();
  if (ev.clientY < box.top + EDGE) scroller.scrollTop -= 12;
  else if (ev.clientY > box.bottom - EDGE) scroller.scrollTop += 12;
}

export const layerDrag = new LayerDrag();
