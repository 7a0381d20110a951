/**
 * The rules that turn a run's history into findings. Pure and deterministic: the
 * same history gives the same findings, on the trainer's side, in the window and in
 * the CLI. They work on any prefix of a run (they are re-run after every epoch while
 * it trains), so each rule asks "from which epoch on was this true?" and most need
 * the evidence on two probes or epochs in a row, so a finding does not appear on one
 * noisy figure and vanish on the next. Once a problem has shown (a stretch at chance,
 * vanishing gradients), it stays in the story of the run even if the run recovers;
 * overfitting alone is judged on the whole history as it stands, since its best
 * epoch moves with every new low.
 *
 * Every number a rule compares against is in ./thresholds, with its reason.
 */
import type { EpochMetrics, LayerStat } from '../contract/runs';
import type { ModelSpec } from '../model/model-spec';
import { FINDING_KINDS, type Finding, type FindingKind, type Severity, type Suggestion } from './findings';
import { addDropout, changeActivation, firstFix, lowerLearningRate, raiseLearningRate, stopEarly, switchToAdam } from './fixes';
import {
  activationOf,
  classCountOf,
  epochSpan,
  globalGradNorm,
  isSquashing,
  layerLabel,
  layerList,
  lossSeries,
  num,
  percent,
  probesByEpoch,
  ratio,
  squashingLayers,
  type LossSeries,
  type RunHistory,
} from './history';
import * as T from './thresholds';

export type { RunHistory } from './history';

interface Context {
  run: RunHistory;
  /** Finished epochs in order. */
  epochs: EpochMetrics[];
  probes: Map<number, LayerStat[]>;
  loss: LossSeries;
  /** What knowing nothing gives among the run's classes. */
  chance: { classes: number; loss: number; accuracyMax: number };
}

/** "ln 10 ≈ 2.303" for the run's class count. */
const chanceText = (ctx: Context) => `ln ${ctx.chance.classes} ≈ ${ctx.chance.loss.toFixed(3)}`;

/** Where a rule holds: the first epoch it held at, the last, and what it saw at the last. */
interface Stretch<T> {
  first: number;
  last: number;
  hit: T;
}

/**
 * The first epoch `test` holds at (testing each prefix of the history in turn),
 * and the last it holds at after that, with that epoch's figures: a finding that
 * was once true stays, and its figures follow the run.
 */
function stretch<T>(epochs: number[], test: (epoch: number) => T | null): Stretch<T> | null {
  let found = null as Stretch<T> | null;
  for (const epoch of epochs) {
    const hit = test(epoch);
    if (hit === null) continue;
    found = { first: found?.first ?? epoch, last: epoch, hit };
  }
  return found;
}

/** The epochs with a probe, epoch 0 included. */
const probeEpochs = (ctx: Context) => [...ctx.probes.keys()].sort((a, b) => a - b);

/** The probe at `epoch` and the one before it, when both were taken: evidence on two probes in a row. */
function twoProbes(ctx: Context, epoch: number): [LayerStat[], LayerStat[]] | null {
  const now = ctx.probes.get(epoch);
  const before = ctx.probes.get(epoch - 1);
  return epoch >= 1 && now && before ? [before, now] : null;
}

/** How much the judged loss has fallen from its start by `epoch`, as a fraction of the start. */
function fallBy(ctx: Context, epoch: number): number | null {
  const at = ctx.loss.at.get(epoch);
  if (at === undefined || !Number.isFinite(at) || ctx.loss.start <= 0) return null;
  return (ctx.loss.start - at) / ctx.loss.start;
}

// ─── vanishing-gradients ────────────────────────────────────────────────────────

interface Shrink {
  output: LayerStat;
  /** Layers whose gradient is below VANISHING_RATIO of the output layer's, with that fraction. */
  shrunk: { stat: LayerStat; ratio: number }[];
  weakest: { stat: LayerStat; ratio: number };
}

/**
 * The kernel gradients of the Dense and Conv2D layers against the output layer's.
 * BatchNormalization's gamma is left out: a scale per unit has a gradient of its own
 * size, not a kernel's.
 */
function gradientShrink(model: ModelSpec, probe: LayerStat[]): Shrink | null {
  const kernelLayer = (i: number) => model.layers[i]?.type === 'Dense' || model.layers[i]?.type === 'Conv2D';
  const weighted = probe.filter((s) => kernelLayer(s.layer) && s.gradNorm !== null && Number.isFinite(s.gradNorm));
  if (weighted.length < T.VANISHING_MIN_LAYERS) return null;
  const output = weighted[weighted.length - 1];
  if (!(output.gradNorm! > 0)) return null;
  const shrunk = weighted
    .slice(0, -1)
    .map((stat) => ({ stat, ratio: stat.gradNorm! / output.gradNorm! }))
    .filter((s) => s.ratio < T.VANISHING_RATIO);
  if (shrunk.length === 0) return null;
  const weakest = shrunk.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  return { output, shrunk, weakest };
}

function vanishingGradients(ctx: Context): Finding | null {
  const { model } = ctx.run;
  const found = stretch(probeEpochs(ctx), (epoch) => {
    const probes = twoProbes(ctx, epoch);
    const fall = fallBy(ctx, epoch);
    if (!probes || fall === null || fall >= T.BARELY_MOVES) return null;
    const [before, now] = probes.map((p) => gradientShrink(model, p));
    return before && now ? now : null;
  });
  if (!found) return null;
  const { output, shrunk, weakest } = found.hit;
  const squashing = squashingLayers(model);
  const shrunkLayers = shrunk.map((s) => s.stat.layer);
  const at = ctx.loss.at.get(found.last)!;
  const cause = squashing.length
    ? ` ${capital(layerList(squashing))} use ${[...new Set(squashing.map((i) => activationOf(model.layers[i])))].join(' and ')}, whose slope is at most ${
        squashing.some((i) => activationOf(model.layers[i]) === 'sigmoid') ? '0.25' : '1'
      } and near 0 away from the middle: every such layer shrinks the gradient again.`
    : '';
  return {
    kind: 'vanishing-gradients',
    severity: 'problem',
    epoch: found.first,
    message:
      `The gradients vanish on their way back to the input: at epoch ${found.last} ${layerLabel(model, weakest.stat.layer)} gets ${ratio(weakest.ratio)} ` +
      `of the output layer's gradient${shrunk.length > 1 ? ` and ${layerList(shrunkLayers)} all get less than ${ratio(T.VANISHING_RATIO)}` : ''}, ` +
      `while the ${ctx.loss.which} loss barely moves (${num(at)} at epoch ${found.last}; ` +
      `${ctx.loss.start === ctx.chance.loss ? `chance is ${chanceText(ctx)}` : `it started at ${num(ctx.loss.start)}`}).${cause}`,
    evidence: {
      chart: 'gradients',
      fromEpoch: found.first - 1,
      toEpoch: found.last,
      layers: [...new Set([...shrunkLayers, ...squashing, output.layer])].sort((a, b) => a - b),
      text:
        `Gradient norm at epoch ${found.last}: ${shrunk.map((s) => `${layerList([s.stat.layer])} ${num(s.stat.gradNorm!)}`).join(', ')}; ` +
        `output ${layerList([output.layer])} ${num(output.gradNorm!)}.`,
    },
    suggestion: firstFix(
      () => changeActivation(model, squashing, 'relu'),
      () => (ctx.run.config.optimizer === 'sgd' ? switchToAdam(ctx.run.config) : null),
    ),
  };
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

// ─── saturated-activations and dead-relu ────────────────────────────────────────

/** Layers over `threshold` on `figure` at both probes, with their figure at the later one. */
function layersOver(
  ctx: Context,
  figure: 'saturatedFraction' | 'deadFraction',
  threshold: number,
  applies: (layer: number) => boolean,
): Stretch<LayerStat[]> | null {
  return stretch(probeEpochs(ctx), (epoch) => {
    const probes = twoProbes(ctx, epoch);
    if (!probes) return null;
    const [before, now] = probes;
    const over = (probe: LayerStat[]) => probe.filter((s) => applies(s.layer) && s[figure] !== null && s[figure]! > threshold);
    const earlier = new Set(over(before).map((s) => s.layer));
    const both = over(now).filter((s) => earlier.has(s.layer));
    return both.length ? both : null;
  });
}

function saturatedActivations(ctx: Context): Finding | null {
  const { model } = ctx.run;
  const last = model.layers.length - 1;
  const found = layersOver(ctx, 'saturatedFraction', T.SATURATED_FRACTION, (i) => i < last && isSquashing(activationOf(model.layers[i])));
  if (!found) return null;
  const layers = found.hit.map((s) => s.layer);
  const figures = found.hit.map((s) => `${layerLabel(model, s.layer)} ${percent(s.saturatedFraction!)}`).join(', ');
  return {
    kind: 'saturated-activations',
    severity: 'warning',
    epoch: found.first,
    message:
      `Most outputs of ${layerList(layers)} sit at the ends of their activation (${figures} within 0.01 of the bounds at epoch ${found.last}): ` +
      `there the slope is almost 0, so hardly any gradient passes through and the layers before learn little.`,
    evidence: {
      chart: 'activations',
      fromEpoch: found.first - 1,
      toEpoch: found.last,
      layers,
      text: `Saturated fraction at epoch ${found.last}: ${figures}.`,
    },
    suggestion: changeActivation(model, squashingLayers(model), 'relu'),
  };
}

function deadRelu(ctx: Context): Finding | null {
  const { model, config } = ctx.run;
  const found = layersOver(ctx, 'deadFraction', T.DEAD_FRACTION, (i) => activationOf(model.layers[i]) === 'relu');
  if (!found) return null;
  const layers = found.hit.map((s) => s.layer);
  const figures = found.hit.map((s) => `${layerLabel(model, s.layer)} ${percent(s.deadFraction!)}`).join(', ');
  const tooHigh = config.learningRate > T.TYPICAL_LEARNING_RATE[config.optimizer];
  return {
    kind: 'dead-relu',
    severity: 'warning',
    epoch: found.first,
    message:
      `Most units of ${layerList(layers)} are dead (${figures} give 0 for every probe image at epoch ${found.last}): ` +
      `a dead ReLU unit gets no gradient and never comes back, so the layer has lost most of its capacity` +
      `${tooHigh ? `; a learning rate as high as ${config.learningRate} for ${config.optimizer} often pushes units there` : ''}.`,
    evidence: {
      chart: 'activations',
      fromEpoch: found.first - 1,
      toEpoch: found.last,
      layers,
      text: `Dead units at epoch ${found.last}: ${figures}.`,
    },
    suggestion: tooHigh ? lowerLearningRate(config) : changeActivation(model, layers, 'elu'),
  };
}

// ─── exploding-gradients and diverged ───────────────────────────────────────────

function explodingGradients(ctx: Context): Finding | null {
  const { config } = ctx.run;
  const nonfiniteBy = (epoch: number) => ctx.run.layerStats.filter((s) => s.epoch <= epoch && s.nonfinite > 0);
  const norms = new Map(probeEpochs(ctx).map((e) => [e, globalGradNorm(ctx.probes.get(e)!)]));
  const epochs = [...new Set([...norms.keys(), ...ctx.run.layerStats.filter((s) => s.nonfinite > 0).map((s) => s.epoch)])].sort((a, b) => a - b);
  const found = stretch(epochs, (epoch) => {
    const bad = nonfiniteBy(epoch);
    if (bad.length) return { kind: 'nonfinite' as const, bad };
    const now = norms.get(epoch);
    const earlier = [...norms].filter(([e, n]) => e < epoch && n !== null && Number.isFinite(n) && n > 0).map(([, n]) => n!);
    if (now === null || now === undefined || earlier.length === 0) return null;
    const low = Math.min(...earlier);
    return !Number.isFinite(now) || now >= low * T.EXPLODING_GROWTH ? { kind: 'growth' as const, now, low } : null;
  });
  if (!found) return null;
  const hit = found.hit;
  const figures =
    hit.kind === 'nonfinite'
      ? `${layerList([...new Set(hit.bad.map((s) => s.layer))])} had NaN or infinite values (first at epoch ${hit.bad[0].epoch})`
      : `the global gradient norm grew from ${num(hit.low)} to ${num(hit.now)} (${ratio(hit.now / hit.low)}) by epoch ${found.last}`;
  return {
    kind: 'exploding-gradients',
    severity: 'problem',
    epoch: found.first,
    message: `The gradients explode: ${figures}. Steps that large throw the weights around instead of improving them; the learning rate (${config.learningRate}) is too high for this network.`,
    evidence: {
      chart: 'gradients',
      fromEpoch: hit.kind === 'nonfinite' ? hit.bad[0].epoch : 0,
      toEpoch: found.last,
      layers: hit.kind === 'nonfinite' ? [...new Set(hit.bad.map((s) => s.layer))].sort((a, b) => a - b) : [],
      text: capital(figures) + '.',
    },
    suggestion: lowerLearningRate(config),
  };
}

function diverged(ctx: Context): Finding | null {
  const { config, status, error } = ctx.run;
  const bad = ctx.epochs.find((e) => !Number.isFinite(e.loss) || (e.valLoss !== null && !Number.isFinite(e.valLoss)));
  const failed = status === 'failed' && error !== null && /diverg/i.test(error);
  if (!bad && !failed) return null;
  const fromError = failed ? /epoch (\d+)/i.exec(error!) : null;
  const epoch = bad?.epoch ?? (fromError ? Number(fromError[1]) : (ctx.epochs.at(-1)?.epoch ?? 0) + 1);
  const named = failed ? /became (NaN|Infinity)/.exec(error!)?.[1] : undefined;
  const what = bad
    ? `the ${Number.isFinite(bad.loss) ? 'validation ' : ''}loss became ${num(Number.isFinite(bad.loss) ? bad.valLoss! : bad.loss)}`
    : `the loss became ${named ?? 'NaN or infinite'}`;
  return {
    kind: 'diverged',
    severity: 'problem',
    epoch,
    message: `Training diverged at epoch ${epoch}: ${what}. The learning rate (${config.learningRate} with ${config.optimizer}) is too high: each step overshoots until the numbers overflow.`,
    evidence: { chart: 'loss', fromEpoch: epoch, toEpoch: epoch, layers: [], text: failed ? error! : `At epoch ${epoch} ${what}.` },
    suggestion: lowerLearningRate(config),
  };
}

// ─── not-learning and learning-slowly ───────────────────────────────────────────

const nearChance = (ctx: Context, loss: number | null) => loss === null || Math.abs(loss - ctx.chance.loss) <= T.CHANCE_LOSS_TOLERANCE;
const guessing = (ctx: Context, accuracy: number | null) => accuracy === null || accuracy <= ctx.chance.accuracyMax;
const atChance = (ctx: Context, e: EpochMetrics) =>
  nearChance(ctx, e.loss) && nearChance(ctx, e.valLoss) && guessing(ctx, e.accuracy) && guessing(ctx, e.valAccuracy);

/** What to change when the network does not learn, most likely cause first. */
function learnFix(ctx: Context): Suggestion | null {
  const { model, config } = ctx.run;
  const typical = T.TYPICAL_LEARNING_RATE[config.optimizer];
  return firstFix(
    () => changeActivation(model, squashingLayers(model), 'relu'),
    () => (config.learningRate > typical * T.FAR_TOO_HIGH ? lowerLearningRate(config) : null),
    () => (config.optimizer === 'sgd' ? switchToAdam(config) : null),
    () => raiseLearningRate(config),
  );
}

function notLearning(ctx: Context): Finding | null {
  const k = T.NOT_LEARNING_EPOCHS;
  const found = stretch(
    ctx.epochs.map((e) => e.epoch),
    (epoch) => {
      const upTo = ctx.epochs.filter((e) => e.epoch <= epoch).slice(-k);
      return upTo.length === k && upTo.every((e) => atChance(ctx, e)) ? upTo[upTo.length - 1] : null;
    },
  );
  if (!found) return null;
  const e = found.hit;
  const from = found.first - k + 1;
  const accuracy = e.valAccuracy ?? e.accuracy;
  return {
    kind: 'not-learning',
    severity: 'problem',
    epoch: found.first,
    message:
      `The network is not learning: in ${epochSpan(from, found.last)} the loss stayed at chance (${num(e.valLoss ?? e.loss)} at epoch ${found.last}, ` +
      `where guessing among ${ctx.chance.classes} classes gives ${chanceText(ctx)}) and accuracy at ${num(accuracy)}, what a guess gets.`,
    evidence: {
      chart: 'loss',
      fromEpoch: from,
      toEpoch: found.last,
      layers: [],
      text: `Loss ${num(e.loss)} (training), ${e.valLoss === null ? 'no validation' : `${num(e.valLoss)} (validation)`} at epoch ${found.last}; chance is 2.303.`,
    },
    suggestion: learnFix(ctx),
  };
}

interface Pace {
  at: number;
  /** Epochs of this run the pace so far needs to reach REACHABLE_LOSS from the start. */
  needs: number;
  perEpoch: number;
}

/** Training images in one epoch of this run, as splitTrainValidation (and Keras) counts them. */
function imagesPerEpoch(run: RunHistory): number {
  return Math.floor((run.config.limit ?? T.FASHION_MNIST_TRAIN_IMAGES) * (1 - run.config.validationSplit));
}

function learningSlowly(ctx: Context): Finding | null {
  const { config } = ctx.run;
  const { start, at } = ctx.loss;
  const epochs = ctx.epochs.map((e) => e.epoch);
  const found = stretch(epochs, (epoch): Pace | null => {
    if (epoch < T.SLOW_MIN_EPOCHS || start <= T.REACHABLE_LOSS) return null;
    const series = [start, ...epochs.filter((e) => e <= epoch).map((e) => at.get(e)!)];
    if (series.length !== epoch + 1 || !series.every(Number.isFinite)) return null;
    const now = series[series.length - 1];
    const falls = series.slice(1).map((l, i) => series[i] - l);
    if (falls.some((f) => f <= 0)) return null;
    if ((start - now) / start < T.SLOW_MIN_FALL || now - T.REACHABLE_LOSS < T.SLOW_MIN_GAP) return null;
    const perEpoch = (start - now) / epoch;
    if (falls[falls.length - 1] < perEpoch * T.SLOW_STILL_FALLING) return null;
    const needs = (start - T.REACHABLE_LOSS) / perEpoch;
    const fullEpochs = (needs * imagesPerEpoch(ctx.run)) / T.FULL_EPOCH_IMAGES;
    return fullEpochs >= T.SLOW_EPOCHS_TO_REACHABLE ? { at: now, needs, perEpoch } : null;
  });
  if (!found) return null;
  const { needs, perEpoch } = found.hit;
  const beyondPlan = needs > config.epochs ? `, more than the ${config.epochs} planned` : '';
  const which = ctx.loss.which;
  return {
    kind: 'learning-slowly',
    severity: 'warning',
    epoch: found.first,
    message:
      `The network learns, but slowly: the ${which} loss fell every epoch, from ${num(start)} to ${num(found.hit.at)} in ${found.last} epochs, ` +
      `${num(perEpoch)} an epoch on average. At that pace it needs about ${Math.round(needs)} epochs to reach ${T.REACHABLE_LOSS}${beyondPlan}; ` +
      `a well-set network gets there within 2 or 3 epochs of the full data.`,
    evidence: {
      chart: 'loss',
      fromEpoch: 0,
      toEpoch: found.last,
      layers: [],
      text: `${capital(which)} loss ${num(start)} → ${num(found.hit.at)} over ${found.last} epochs (${num(perEpoch)} an epoch).`,
    },
    suggestion: firstFix(
      () => (config.optimizer === 'sgd' ? switchToAdam(config) : null),
      () => raiseLearningRate(config),
    ),
  };
}

// ─── overfitting ────────────────────────────────────────────────────────────────

/** The epoch of the lowest validation loss (the first if tied): Keras's EarlyStopping's best epoch. */
export function bestEpoch(epochs: EpochMetrics[]): EpochMetrics | null {
  let best: EpochMetrics | null = null;
  for (const e of epochs) if (e.valLoss !== null && Number.isFinite(e.valLoss) && (!best || e.valLoss < best.valLoss!)) best = e;
  return best;
}

function overfitting(ctx: Context): Finding | null {
  const { model, config } = ctx.run;
  const last = ctx.epochs[ctx.epochs.length - 1];
  const best = bestEpoch(ctx.epochs);
  if (!last || !best) return null;
  const bestLoss = best.valLoss!;

  // Validation loss up by OVERFIT_RISE at least OVERFIT_PATIENCE epochs after its lowest while the training loss
  // kept falling; it then holds until a new lowest, so a noisy epoch back under the line does not take it away.
  const after = ctx.epochs.filter((e) => e.epoch > best.epoch && e.valLoss !== null && Number.isFinite(e.valLoss));
  const risen = after.find((e) => e.epoch - best.epoch >= T.OVERFIT_PATIENCE && e.valLoss! >= bestLoss * (1 + T.OVERFIT_RISE) && e.loss < best.loss);
  const gapOf = (e: EpochMetrics) => (e.valAccuracy === null ? 0 : e.accuracy - e.valAccuracy);
  const gapping = ctx.epochs.length >= 2 && ctx.epochs.slice(-2).every((e) => gapOf(e) >= T.OVERFIT_GAP);
  if (!risen && !gapping) return null;

  const restored = config.earlyStopping?.restoreBest === true && config.earlyStopping.monitor === 'val_loss';
  const fix = firstFix(
    () => stopEarly(config),
    () => addDropout(model),
  );
  const bestWords = `the best epoch is ${best.epoch} (lowest validation loss${best.valAccuracy !== null ? `, validation accuracy ${num(best.valAccuracy)}` : ''})`;

  if (risen) {
    const highest = after.reduce((a, b) => (b.valLoss! > a.valLoss! ? b : a));
    const peak = highest.epoch === last.epoch ? '' : ` (${num(highest.valLoss!)} at epoch ${highest.epoch})`;
    return {
      kind: 'overfitting',
      severity: restored ? 'info' : 'warning',
      epoch: risen.epoch,
      message:
        `The network is overfitting: validation loss has not improved since its lowest, ${num(bestLoss)} at epoch ${best.epoch}, ` +
        `and has risen to ${num(last.valLoss ?? highest.valLoss!)} at epoch ${last.epoch}${peak}, while training loss kept falling ` +
        `(${num(best.loss)} → ${num(last.loss)}): it is learning its training images rather than the classes. ${capital(bestWords)}.` +
        (restored ? ' Early stopping keeps that epoch’s weights.' : ''),
      evidence: {
        chart: 'loss',
        fromEpoch: best.epoch,
        toEpoch: last.epoch,
        layers: [],
        text:
          `Validation loss ${num(bestLoss)} at epoch ${best.epoch}, ${num(highest.valLoss!)} at epoch ${highest.epoch}; ` +
          `training loss ${num(best.loss)} → ${num(last.loss)}.`,
      },
      suggestion: fix,
    };
  }

  let first = ctx.epochs.length - 1;
  while (first > 1 && gapOf(ctx.epochs[first - 2]) >= T.OVERFIT_GAP) first--;
  const since = ctx.epochs[first].epoch;
  return {
    kind: 'overfitting',
    severity: 'info',
    epoch: since,
    message:
      `Training accuracy has pulled ahead of validation accuracy (${num(last.accuracy)} against ${num(last.valAccuracy!)} at epoch ${last.epoch}): ` +
      `the network fits its training images better than new ones, though validation loss has not turned up yet; ${bestWords}.`,
    evidence: {
      chart: 'accuracy',
      fromEpoch: since - 1,
      toEpoch: last.epoch,
      layers: [],
      text: `Accuracy gap ${num(gapOf(last))} at epoch ${last.epoch} (training ${num(last.accuracy)}, validation ${num(last.valAccuracy!)}).`,
    },
    suggestion: fix,
  };
}

// ─── unstable-loss ──────────────────────────────────────────────────────────────

function unstableLoss(ctx: Context): Finding | null {
  const { config } = ctx.run;
  const epochs = ctx.epochs.filter((e) => Number.isFinite(e.loss));
  // Strong rises of the training loss, and whether the loss fell again before each.
  const rises: EpochMetrics[] = [];
  let fellSinceRise = true;
  let hitAt: number | null = null;
  for (let i = 1; i < epochs.length; i++) {
    const [prev, e] = [epochs[i - 1], epochs[i]];
    if (e.loss > prev.loss * (1 + T.UNSTABLE_RISE)) {
      if (fellSinceRise) rises.push(e);
      fellSinceRise = false;
      if (rises.length >= T.UNSTABLE_RISES && hitAt === null) hitAt = e.epoch;
    } else if (e.loss < prev.loss) {
      fellSinceRise = true;
    }
  }
  if (hitAt === null) return null;
  const last = rises[rises.length - 1];
  const list = rises.map((e) => {
    const prev = epochs[epochs.indexOf(e) - 1];
    return `${num(prev.loss)} → ${num(e.loss)} at epoch ${e.epoch}`;
  });
  return {
    kind: 'unstable-loss',
    severity: 'warning',
    epoch: hitAt,
    message:
      `The training loss swings up and down instead of settling: it jumped by more than ${percent(T.UNSTABLE_RISE)} ${rises.length} times (${list.join('; ')}). ` +
      `Steps of this size (learning rate ${config.learningRate} with ${config.optimizer}) overshoot.`,
    evidence: { chart: 'loss', fromEpoch: rises[0].epoch - 1, toEpoch: last.epoch, layers: [], text: `Training loss ${list.join('; ')}.` },
    suggestion: lowerLearningRate(config),
  };
}

// ─── all of them ────────────────────────────────────────────────────────────────

const RULES: ((ctx: Context) => Finding | null)[] = [
  diverged,
  explodingGradients,
  vanishingGradients,
  saturatedActivations,
  deadRelu,
  notLearning,
  learningSlowly,
  overfitting,
  unstableLoss,
];

const SEVERITY_ORDER: Record<Severity, number> = { problem: 0, warning: 1, info: 2 };
const KIND_ORDER = new Map<FindingKind, number>(FINDING_KINDS.map((k, i) => [k, i]));

/**
 * What went wrong in a run so far, most serious first and, within a severity, in
 * the order it happened. A healthy run gets no warning or problem.
 */
export function diagnose(run: RunHistory): Finding[] {
  const classes = classCountOf(run);
  const ctx: Context = {
    run,
    epochs: [...run.epochs].sort((a, b) => a.epoch - b.epoch),
    probes: probesByEpoch(run.layerStats),
    loss: lossSeries(run),
    chance: { classes, loss: T.chanceLoss(classes), accuracyMax: T.CHANCE_ACCURACY_FACTOR * T.chanceAccuracy(classes) },
  };
  return RULES.map((rule) => rule(ctx))
    .filter((f): f is Finding => f !== null)
    .sort(
      (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.epoch - b.epoch || KIND_ORDER.get(a.kind)! - KIND_ORDER.get(b.kind)!,
    );
}
