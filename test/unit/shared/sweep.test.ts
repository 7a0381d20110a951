import { describe, expect, it } from 'vitest';
import { MAX_GROUP_RUNS, startGroupSchema, type StartGroupRequest } from '../../../src/shared/contract/requests';
import { findPreset } from '../../../src/shared/model/presets';
import { expandGroup, groupName, normalizedAxes, parseSetArgument, sweepKeyLabel, SweepError } from '../../../src/shared/model/sweep';
import type { SweepAxis } from '../../../src/shared/contract/runs';
import type { DenseLayer } from '../../../src/shared/model/model-spec';

const preset = findPreset('seed-model-3')!;

function request(o: { axes?: SweepAxis[]; repeat?: number; name?: string; runName?: string; seed?: number } = {}): StartGroupRequest {
  const r: StartGroupRequest = {
    run: {
      presetId: preset.id,
      model: preset.model,
      config: { ...preset.config, limit: 600, epochs: 1, seed: o.seed ?? 42 },
      ...(o.runName !== undefined ? { name: o.runName } : {}),
    },
    repeat: o.repeat ?? 1,
    axes: o.axes ?? [],
    ...(o.name !== undefined ? { name: o.name } : {}),
  };
  // Every request here is one the contract accepts: the checks under test are expandGroup's own.
  expect(startGroupSchema.safeParse(r).success).toBe(true);
  return r;
}

const refused = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SweepError);
    return (e as Error).message;
  }
  throw new Error('expected a SweepError');
};

describe('parseSetArgument: the CLI --set KEY=V1,V2', () => {
  it.each([
    ['lr=0.0001,0.001,0.01', { key: 'learningRate', values: [0.0001, 0.001, 0.01] }],
    ['learning-rate=1e-3', { key: 'learningRate', values: [0.001] }],
    ['optimizer=sgd,Adam', { key: 'optimizer', values: ['sgd', 'adam'] }],
    ['batch=32,64', { key: 'batchSize', values: [32, 64] }],
    ['batch-size=128', { key: 'batchSize', values: [128] }],
    ['epochs=5,10', { key: 'epochs', values: [5, 10] }],
    ['momentum=0,0.9', { key: 'momentum', values: [0, 0.9] }],
    ['layer3.units=64,128', { key: 'layer3.units', values: [64, 128] }],
    ['layer2.activation=relu,sigmoid', { key: 'layer2.activation', values: ['relu', 'sigmoid'] }],
    ['Layer4.Kernel-Initializer=he_normal', { key: 'layer4.kernelInitializer', values: ['he_normal'] }],
    [' lr = 0.01 , 0.1 ', { key: 'learningRate', values: [0.01, 0.1] }],
  ])('%s', (text, axis) => {
    expect(parseSetArgument(text)).toEqual(axis);
  });

  it.each([
    ['lr=abc', 'lr=abc: a learning rate is a number like 0.001'],
    ['lr=0x10', 'lr=0x10: a learning rate is a number like 0.001'],
    ['lr=-0.1', 'lr=-0.1: learning rate must be a number above 0'],
    ['batch=3.5', 'batch=3.5: batch size must be a whole number'],
    ['batch=big', 'batch=big: a batch size is a whole number like 64'],
    ['epochs=0', 'epochs=0: epochs must be at least 1'],
    ['momentum=1', 'momentum=1: momentum must be at least 0 and below 1'],
    ['optimizer=lbfgs', 'optimizer=lbfgs: the optimizer is one of sgd, adam, rmsprop, adagrad'],
    ['lr=', 'lr=: give the values to try, separated by commas (e.g. lr=0.0001,0.001,0.01)'],
    ['lr=0.1,,0.2', 'a value is empty'],
    ['lr=0.1,0.10', 'lr: 0.10 is given twice'],
    ['dropout=0.1', '"dropout" is not a setting a sweep can vary; use lr, optimizer, batch-size, epochs, momentum or layer<N>.<field>'],
    ['lr', 'a swept setting is KEY=V1,V2,…'],
    ['=1', "the setting's name is missing"],
    ['layer0.units=3', 'layers are numbered from 1'],
    ['layer3.colour=red', 'layer3.colour: "colour" is not a layer field a sweep can vary'],
    ['layer3.targetShape=4', '"targetShape" is not a layer field a sweep can vary'],
    [`lr=${Array.from({ length: 21 }, (_, i) => i + 1).join(',')}`, 'at most 20 per swept setting'],
  ])('%s is refused: %s', (text, message) => {
    expect(refused(() => parseSetArgument(text))).toContain(message);
  });
});

describe('expandGroup', () => {
  it('a repeat: the same settings over seed, seed+1, …, named by seed', () => {
    const runs = expandGroup(request({ repeat: 3, seed: 7 }));
    expect(runs.map((r) => r.config.seed)).toEqual([7, 8, 9]);
    expect(runs.map((r) => r.repeatIndex)).toEqual([0, 1, 2]);
    expect(runs.map((r) => r.name)).toEqual(['seed-model-3 · seed 7', 'seed-model-3 · seed 8', 'seed-model-3 · seed 9']);
    expect(runs.every((r) => !r.named && r.sweepValues === null)).toBe(true);
    expect(runs.every((r) => r.model === preset.model || JSON.stringify(r.model) === JSON.stringify(preset.model))).toBe(true);
    // Nothing but the seed changes.
    expect(runs.map((r) => ({ ...r.config, seed: 0 }))).toEqual(runs.map(() => ({ ...preset.config, limit: 600, epochs: 1, seed: 0 })));
  });

  it('a sweep: the Cartesian product, first axis slowest, each over the seeds, each run with its values', () => {
    const runs = expandGroup(
      request({
        axes: [
          { key: 'learningRate', values: [0.0001, 0.01] },
          { key: 'optimizer', values: ['sgd', 'adam'] },
        ],
        repeat: 2,
        seed: 42,
      }),
    );
    expect(runs).toHaveLength(8);
    expect(runs.map((r) => [r.config.learningRate, r.config.optimizer, r.config.seed])).toEqual([
      [0.0001, 'sgd', 42],
      [0.0001, 'sgd', 43],
      [0.0001, 'adam', 42],
      [0.0001, 'adam', 43],
      [0.01, 'sgd', 42],
      [0.01, 'sgd', 43],
      [0.01, 'adam', 42],
      [0.01, 'adam', 43],
    ]);
    expect(runs[3].sweepValues).toEqual({ learningRate: 0.0001, optimizer: 'adam' });
    expect(runs[3].repeatIndex).toBe(1);
    expect(runs[3].name).toBe('seed-model-3 · lr=0.0001 optimizer=adam · seed 43');
  });

  it('a sweep without repeats names runs by their values only; a named base keeps its name first and named=true', () => {
    const plain = expandGroup(request({ axes: [{ key: 'batchSize', values: [32, 64] }] }));
    expect(plain.map((r) => r.name)).toEqual(['seed-model-3 · batch=32', 'seed-model-3 · batch=64']);
    expect(plain.map((r) => r.config.batchSize)).toEqual([32, 64]);
    const named = expandGroup(request({ runName: 'wide', axes: [{ key: 'learningRate', values: [0.001] }], repeat: 2 }));
    expect(named.map((r) => r.name)).toEqual(['wide · lr=0.001 · seed 42', 'wide · lr=0.001 · seed 43']);
    expect(named.every((r) => r.named)).toBe(true);
  });

  it('a long user name is shortened so the part that tells runs apart stays whole', () => {
    const runs = expandGroup(request({ runName: 'x'.repeat(200), repeat: 2 }));
    expect(runs[1].name.length).toBe(200);
    expect(runs[1].name.endsWith('… · seed 43')).toBe(true);
  });

  it('layer fields: applied to a copy of the layer, the base network untouched', () => {
    const before = JSON.stringify(preset.model);
    const runs = expandGroup(
      request({
        axes: [
          { key: 'layer3.units', values: [32, '256'] },
          { key: 'layer2.activation', values: ['sigmoid'] },
        ],
      }),
    );
    expect(JSON.stringify(preset.model)).toBe(before);
    expect(runs.map((r) => (r.model.layers[2] as DenseLayer).units)).toEqual([32, 256]);
    expect(runs.map((r) => (r.model.layers[1] as DenseLayer).activation)).toEqual(['sigmoid', 'sigmoid']);
    // Values are recorded in the types of their fields.
    expect(runs[1].sweepValues).toEqual({ 'layer3.units': 256, 'layer2.activation': 'sigmoid' });
    expect(runs[1].name).toBe('seed-model-3 · layer3.units=256 layer2.activation=sigmoid');
  });

  it.each<[SweepAxis[], string]>([
    [[{ key: 'layer9.units', values: [64] }], 'layer9.units: the network has 7 layers'],
    [[{ key: 'layer1.units', values: [64] }], 'layer1.units: layer 1 is a Flatten layer, without a field "units" (it has no settings)'],
    [
      [{ key: 'layer2.filters', values: [8] }],
      'layer 2 is a Dense layer, without a field "filters" (it has units, activation, useBias, kernelInitializer)',
    ],
    [[{ key: 'layer2.units', values: [0] }], 'layer2.units=0: units must be at least 1'],
    [[{ key: 'layer2.activation', values: ['leaky'] }], 'layer2.activation=leaky: activation must be one of relu'],
    [[{ key: 'layer2.useBias', values: ['maybe'] }], 'layer2.useBias=maybe: use bias is true or false'],
    [[{ key: 'learningRate', values: ['fast'] }], 'lr=fast: a learning rate is a number like 0.001'],
    [[{ key: 'optimizer', values: ['lbfgs'] }], 'optimizer=lbfgs: optimizer must be one of sgd, adam, rmsprop, adagrad'],
    [
      [
        { key: 'learningRate', values: [0.1] },
        { key: 'learningRate', values: [0.2] },
      ],
      'lr is swept twice',
    ],
    [[{ key: 'batchSize', values: [32, '32'] }], 'batch: 32 is given twice'],
  ])('refuses %j: %s', (axes, message) => {
    expect(refused(() => expandGroup(request({ axes })))).toContain(message);
  });

  it('normalizedAxes: the values as the runs record them', () => {
    const r = request({
      axes: [
        { key: 'learningRate', values: ['1e-3', 0.01] },
        { key: 'layer3.units', values: ['64'] },
        { key: 'layer2.useBias', values: ['off'] },
        { key: 'optimizer', values: ['ADAM'] },
      ],
    });
    expect(normalizedAxes(r)).toEqual([
      { key: 'learningRate', values: [0.001, 0.01] },
      { key: 'layer3.units', values: [64] },
      { key: 'layer2.useBias', values: ['false'] },
      { key: 'optimizer', values: ['adam'] },
    ]);
    expect(expandGroup(r)[0].sweepValues).toEqual({ learningRate: 0.001, 'layer3.units': 64, 'layer2.useBias': 'false', optimizer: 'adam' });
    expect((expandGroup(r)[0].model.layers[1] as DenseLayer).useBias).toBe(false);
  });

  it('a combination that makes a network that cannot train is refused by its values', () => {
    const message = refused(() =>
      expandGroup(
        request({
          axes: [
            { key: 'learningRate', values: [0.001] },
            { key: 'layer7.units', values: [10, 5] },
          ],
        }),
      ),
    );
    expect(message).toContain('lr=0.001 layer7.units=5: this network cannot be trained: The stack must end in 10 units with softmax');
  });

  it(`refuses more than ${MAX_GROUP_RUNS} runs, saying how many`, () => {
    const values = Array.from({ length: 15 }, (_, i) => 0.0001 * (i + 1));
    const message = refused(() =>
      expandGroup(
        request({
          axes: [
            { key: 'learningRate', values },
            { key: 'batchSize', values: [16, 32, 64, 128, 256, 512, 1024] },
          ],
          repeat: 2,
        }),
      ),
    );
    expect(message).toBe(`15 × 7 × 2 seeds makes 210 runs; at most ${MAX_GROUP_RUNS} in one group (fewer values or seeds)`);
    expect(expandGroup(request({ axes: [{ key: 'learningRate', values }], repeat: 13 }))).toHaveLength(195);
  });

  it('refuses seeds beyond the largest seed', () => {
    expect(refused(() => expandGroup(request({ repeat: 3, seed: 2 ** 31 - 2 })))).toContain(
      'seeds 2147483646 to 2147483648: seed must be a whole number',
    );
  });
});

describe('names', () => {
  it('groupName: the given name, else what the group varies', () => {
    expect(groupName(request({ repeat: 3 }))).toBe('seed-model-3 × 3 seeds');
    expect(groupName(request({ repeat: 3, runName: 'wide' }))).toBe('wide × 3 seeds');
    expect(
      groupName(
        request({
          axes: [
            { key: 'learningRate', values: [0.1] },
            { key: 'optimizer', values: ['sgd'] },
          ],
          repeat: 2,
        }),
      ),
    ).toBe('Sweep lr × optimizer (×2 seeds)');
    expect(groupName(request({ axes: [{ key: 'layer3.units', values: [8] }] }))).toBe('Sweep layer 3 units');
    expect(groupName(request({ repeat: 2, name: '  my study ' }))).toBe('my study');
  });

  it.each([
    ['learningRate', 'lr'],
    ['optimizer', 'optimizer'],
    ['batchSize', 'batch size'],
    ['epochs', 'epochs'],
    ['momentum', 'momentum'],
    ['layer3.units', 'layer 3 units'],
    ['layer12.kernelInitializer', 'layer 12 kernel initializer'],
  ])('sweepKeyLabel(%s) = %s', (key, label) => {
    expect(sweepKeyLabel(key)).toBe(label);
  });
});
