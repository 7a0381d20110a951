import { describe, expect, it } from 'vitest';
import { globalGradNorm, layerLabel, layerList, lossSeries, num, ratio } from '../../../../src/shared/diagnostics/history';
import { addDropout, lowerLearningRate, raiseLearningRate, stopEarly, switchToAdam } from '../../../../src/shared/diagnostics/fixes';
import { seed1, seed2, SEED_MODEL_1, SEED_MODEL_3 } from './histories';

describe('layers are named as the editor numbers them, from 1', () => {
  it('one layer, a run of layers, scattered layers', () => {
    expect(layerList([2])).toBe('layer 3');
    expect(layerList([5, 2, 3, 4])).toBe('layers 3–6');
    expect(layerList([1, 2])).toBe('layers 2 and 3');
    expect(layerList([1, 3, 4])).toBe('layers 2, 4 and 5');
  });

  it('with the type and activation', () => {
    expect(layerLabel(seed1.model, 2)).toBe('layer 3 (Dense, sigmoid)');
    expect(layerLabel(seed1.model, 0)).toBe('layer 1 (Flatten)');
    expect(layerLabel({ inputShape: [28, 28], layers: [{ type: 'Activation', activation: 'relu' }] }, 0)).toBe('layer 1 (Activation relu)');
  });
});

describe('figures in words', () => {
  it('three significant digits, fractions as 1/n', () => {
    expect(num(2.30258)).toBe('2.30');
    expect(num(0.000471)).toBe('0.000471');
    expect(num(12345)).toBe('12,345');
    expect(num(NaN)).toBe('NaN');
    expect(ratio(0.00189 / 0.336)).toBe('1/180');
    expect(ratio(160)).toBe('×160');
  });
});

describe('signals', () => {
  it('the global gradient norm counts kernels and biases of every layer', () => {
    const probe = SEED_MODEL_3.layerStats.filter((s) => s.epoch === 0);
    const expected = Math.sqrt(probe.reduce((a, s) => a + s.gradNorm! ** 2 + s.biasGradNorm! ** 2, 0));
    expect(globalGradNorm(probe)).toBeCloseTo(expected, 12);
    expect(globalGradNorm([])).toBeNull();
  });

  it('progress is judged from chance when the untrained network starts above it', () => {
    expect(SEED_MODEL_1.baseline!.valLoss).toBeGreaterThan(2.4);
    expect(lossSeries(SEED_MODEL_1)).toMatchObject({ which: 'validation', start: Math.log(10) });
  });
});

describe('fixes', () => {
  it('learning rates come down to a tenth, or to the usual rate when far too high, and go up to the usual rate', () => {
    expect(lowerLearningRate({ ...seed2.config, learningRate: 0.003 }).config!.learningRate).toBe(0.0003);
    expect(lowerLearningRate({ ...seed2.config, learningRate: 50 }).config!.learningRate).toBe(0.01);
    expect(raiseLearningRate(seed2.config)).toEqual({ summary: 'raise the learning rate to 0.01', config: { ...seed2.config, learningRate: 0.01 } });
    expect(raiseLearningRate({ ...seed2.config, learningRate: 0.1 })).toBeNull();
    expect(switchToAdam({ ...seed2.config, optimizer: 'adam', learningRate: 0.001 })).toBeNull();
  });

  it('early stopping is offered once; Dropout goes after the widest hidden Dense layer that has none', () => {
    expect(stopEarly({ ...seed2.config, earlyStopping: { monitor: 'val_loss', patience: 5, minDelta: 0, restoreBest: false } })).toBeNull();
    const first = addDropout(seed2.model)!;
    expect(first.summary).toBe('add Dropout 0.2 after layer 4');
    const second = addDropout(first.model!)!;
    expect(second.summary).toBe('add Dropout 0.2 after layer 3');
  });
});
