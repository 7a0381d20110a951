import { describe, expect, it } from 'vitest';
import { BUNDLE_LIMITS, parseBundle, validateBundle } from '../../../../src/shared/reports/bundle';
import { bundleOf as bundle, bundledRun as run, epoch } from './bundle-fixtures';

describe('bundle limits', () => {
  it('accepts an ordinary bundle', () => {
    expect(validateBundle(bundle([run()])).runs).toHaveLength(1);
  });

  it('refuses a repeated epoch, naming the run and the epoch, never a constraint', () => {
    const data = bundle([run(), run({ sourceId: 9, name: 'twice', epochs: [epoch(1), epoch(2), epoch(2)] })]);
    expect(() => validateBundle(data)).toThrow('run 2 of the bundle ("twice", id 9) has epoch 2 more than once; nothing was imported');
    expect(() => validateBundle(data)).not.toThrow(/constraint|SqliteError/i);
  });

  it('refuses too many runs before reading them', () => {
    const many = new Array(BUNDLE_LIMITS.runs + 1).fill({ not: 'even a run' });
    expect(() => validateBundle(bundle(many))).toThrow(/too large to import: it holds 10,001 runs; at most 10,000/);
  });

  it('refuses too many epochs in one run, naming the run and the limit', () => {
    const epochs = Array.from({ length: BUNDLE_LIMITS.epochsPerRun + 1 }, (_, i) => epoch(i + 1));
    expect(() => validateBundle(bundle([run({ name: 'long', epochs })]))).toThrow(
      /run 1 of the bundle \("long", id 7\) has 10,001 epochs; at most 10,000 per run/,
    );
  });

  it('refuses a file over the size limit before parsing it', () => {
    const text = ' '.repeat(BUNDLE_LIMITS.fileMegabytes * 1024 * 1024 + 1);
    expect(() => parseBundle(text)).toThrow(new RegExp(`too large to import: the file is .* MB; the limit is ${BUNDLE_LIMITS.fileMegabytes} MB`));
  });
});
