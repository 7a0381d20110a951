/** Seeded orders of the training images: the same on every platform for the same seed. */
import { prng } from '../data/prng';

/**
 * The order the training images are visited in one epoch. Depends only on
 * (seed, epoch), not on earlier epochs, and mixes the two so that seed 42's
 * second epoch is not seed 43's first. Epoch 0 is never trained: the probe
 * batch is drawn from its order.
 */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const random = prng(Math.imul(seed, 0x9e3779b1) ^ Math.imul(epoch, 0x85ebca6b));
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
