import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/shared/contract/api';
import { findPreset } from '../../src/shared/model/presets';
import { dispatch } from '../../src/core/dispatch';
import type { LayerlabService } from '../../src/core/layerlab-service';

// The calls that reach the service are recorded, so a test can show a bad call never got there.
function recordingService() {
  const calls: { method: string; args: unknown[] }[] = [];
  const service = new Proxy({} as LayerlabService, {
    get:
      (_t, method: string) =>
      (...args: unknown[]) => {
        calls.push({ method, args });
        if (method === 'getRun') throw new UserError(`There is no run with id ${args[0]}`);
        if (method === 'listRuns') throw new TypeError('database exploded');
        return { method };
      },
  });
  return { service, calls };
}

const preset = findPreset('seed-model-3')!;

describe('dispatch: the door from a window into the core', () => {
  it('passes a valid call through', async () => {
    const { service, calls } = recordingService();
    const r = await dispatch(service, 'startRun', [{ presetId: preset.id, model: preset.model, config: preset.config }]);
    expect(r).toEqual({ ok: true, result: { method: 'startRun' } });
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['an unknown method', 'dropTables', [], /Unknown operation "dropTables"/],
    ['a method name that is not a string', 42, [], /Unknown operation 42/],
    ['a prototype key', '__proto__', [], /Unknown operation/],
    ['a run id that is a string', 'getRun', ['7'], /run id must be a number/],
    ['a fractional run id', 'cancelRun', [1.5], /run id must be a positive whole number/],
    ['too many arguments', 'listRuns', [1], /Invalid arguments for listRuns/],
    ['epochs as text', 'startRun', [{ model: preset.model, config: { ...preset.config, epochs: 'ten' } }], /epochs must be a number/],
    [
      'a NaN learning rate',
      'startRun',
      [{ model: preset.model, config: { ...preset.config, learningRate: NaN } }],
      /config\.learningRate: learning rate must be a number/,
    ],
    [
      'an unknown layer type',
      'startRun',
      [{ model: { inputShape: [28, 28], layers: [{ type: 'Laser' }] }, config: preset.config }],
      /layer type must be one of/,
    ],
    ['an extra field', 'startRun', [{ model: preset.model, config: { ...preset.config, gpu: true } }], /gpu/],
  ])('refuses %s with a message, without calling the service', async (_what, method, args, message) => {
    const { service, calls } = recordingService();
    const r = await dispatch(service, method, args);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(message);
    expect(calls).toHaveLength(0);
  });

  it('returns a service’s own message for the user as it is', async () => {
    const { service } = recordingService();
    expect(await dispatch(service, 'getRun', [9])).toEqual({ ok: false, error: 'There is no run with id 9' });
  });

  it('turns an unexpected failure into a message instead of a crash', async () => {
    const { service } = recordingService();
    const r = await dispatch(service, 'listRuns', []);
    expect(r).toEqual({ ok: false, error: 'listRuns failed unexpectedly: database exploded' });
  });
});
