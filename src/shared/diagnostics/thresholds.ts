/**
 * Every number the diagnostics judge a run by, in one place, each with the reason
 * it has the value it has. The figures quoted were measured on real runs of this
 * app (wasm backend, seed 42, full Fashion-MNIST: 48,000 training and 12,000
 * validation images, batch 64, probe batch of 256) unless a comment says otherwise;
 * test/integration/diagnostics.test.ts trains those runs again and checks that the
 * findings still come out as described. The fixes the findings offer were checked on
 * the same runs: seed-model-1 with relu and He initialisation in layers 3–6 reaches
 * validation accuracy 0.844 in 3 epochs (0.100 before); seed-model-2 switched to
 * Adam lr 0.001 reaches 0.866 in 3 epochs (0.665 after its own 5).
 *
 * The rule of thumb throughout: a finding that cries wolf on a healthy run is a
 * defect, a finding that comes one epoch late is not. So every threshold sits far
 * from what healthy runs show, and most findings need the evidence on two probes
 * or two epochs in a row before they are raised.
 */

/** Fashion-MNIST has ten balanced classes (the class count of runs recorded before datasets had class names). */
export const NUM_CLASSES = 10;

/** Cross-entropy of a network that knows nothing among `classes` classes: ln 10 ≈ 2.303 for ten. Also the start when a run has no epoch-0 baseline. */
export const chanceLoss = (classes: number): number => Math.log(classes);

/** Accuracy of guessing among `classes` classes: 0.10 for ten. */
export const chanceAccuracy = (classes: number): number => 1 / classes;

// ─── not-learning ───────────────────────────────────────────────────────────────

/**
 * A loss within this of ln 10 is "at chance". seed-model-1 (sigmoid stack, SGD lr
 * 0.01) sat at 2.3090 / 2.3034 / 2.3030 training and 2.3036 / 2.3033 / 2.3033
 * validation loss in epochs 1–3, within 0.007 of ln 10. The closest a learning
 * run came is seed-model-2's first epoch (SGD lr 0.001: training loss 2.245,
 * validation 2.172), 0.06 and 0.13 away, and its second epoch is far off (2.04,
 * 1.87). 0.05 keeps both apart with room on each side.
 */
export const CHANCE_LOSS_TOLERANCE = 0.05;

/**
 * Accuracy at or below this many times chance is "at chance". seed-model-1 (ten
 * classes): 0.099–0.102 training and validation for its first epochs. A network that
 * learns anything is above 0.15 within an epoch or two (seed-model-2's slow first
 * epoch: 0.186 training, 0.298 validation); 0.15 is one and a half times chance.
 */
export const CHANCE_ACCURACY_FACTOR = 1.5;

/**
 * Epochs in a row at chance before `not-learning` is raised. One epoch at chance can
 * be a slow start; two is a network that is not moving (seed-model-1: epochs 1–3,
 * and in the seed study until about epoch 13). Two rather than three so a short run
 * (the app's two-epoch demo) still says so.
 */
export const NOT_LEARNING_EPOCHS = 2;

// ─── vanishing-gradients ────────────────────────────────────────────────────────

/**
 * A layer whose kernel gradient (L2 norm on the probe batch) is below this fraction
 * of the output layer's has a vanishing gradient. seed-model-1 here: its first
 * sigmoid layer (layer 3) gets 1/320 of the output layer's at epoch 0, then 1/170,
 * 1/160, 1/180 after epochs 1–3; layer 2 (relu, below it) 1/170–1/70, layer 4
 * 1/30 (the seed study's PyTorch figures: 1/75 at initialisation, 1/25–1/40 later).
 * The lowest any layer of a healthy run got: 1/5.9 (the first Conv2D of a CNN with 8
 * and 16 filters, epoch 1), 0.48 (seed-model-3, over 20 epochs), 0.74 (seed-model-1
 * with relu). One order of magnitude sits between them, and the rule also needs the
 * loss to be stuck (BARELY_MOVES), which no healthy run is.
 */
export const VANISHING_RATIO = 1 / 10;

/** Below this many layers with weights there is no depth for a gradient to vanish through. */
export const VANISHING_MIN_LAYERS = 3;

/**
 * "The loss barely moves": the validation loss (training loss without a validation
 * split) has fallen by less than this fraction from its start (the epoch-0 figure).
 * seed-model-1 moved 0.01 % (2.3036 → 2.3033) in three epochs; seed-model-2, the
 * slowest learner that is fine, 5.7 % in its first epoch and 19 % by its second;
 * every other run more than 60 % in its first.
 */
export const BARELY_MOVES = 0.02;

// ─── saturated-activations and dead-relu ────────────────────────────────────────

/**
 * A sigmoid or tanh layer with more than this fraction of its outputs within 0.01 of
 * the activation's bounds is saturated ("most of its activations"): there its
 * derivative is below 0.01 and almost no gradient passes. seed-model-1's sigmoids are
 * not saturated (0.00 in every probe of 3 epochs): its gradients vanish because each
 * sigmoid's slope is at most 0.25, which `vanishing-gradients` says. The output
 * softmax is left out: healthy runs have 0.61–0.90 of it saturated after their first
 * epoch, and a confident prediction is the goal, not a fault.
 */
export const SATURATED_FRACTION = 0.5;

/**
 * A ReLU layer with more than this fraction of its units dead (0 for every probe
 * image) has lost most of its capacity: a dead unit gets no gradient and never comes
 * back. The most any layer of a healthy run had: 0.31 (the Dense 32 of a CNN with 8
 * and 16 filters), 0.28 (seed-model-3's last hidden layer, over 20 epochs), 0.27
 * (seed-model-2).
 */
export const DEAD_FRACTION = 0.5;

// ─── exploding-gradients ────────────────────────────────────────────────────────

/**
 * The global gradient norm (√ of the sum of every layer's squared kernel and bias
 * gradient norms) growing by this factor over its smallest earlier value is
 * exploding: two orders of magnitude. Healthy runs grow it at most 4.2× (a CNN with 8
 * and 16 filters: 0.83 at epoch 0, 3.5 at epoch 1), 3.6× (seed-model-3: 0.50 → 1.80,
 * then back to 0.59–1.4), 3.5× (seed-model-2), 2.1× (seed-model-1 with relu). SGD at
 * lr 50 on seed-model-3 does not get to a probe: its loss is NaN by batch 4 and the
 * run fails, which `diverged` reports.
 */
export const EXPLODING_GROWTH = 100;

// ─── learning-slowly ────────────────────────────────────────────────────────────

/**
 * A validation loss a well-set network of this app's kind reaches within two or
 * three epochs on Fashion-MNIST: seed-model-3 (Adam lr 0.001) 0.437 / 0.409 / 0.366 in
 * epochs 1–3, seed-model-1 with relu and He initialisation (SGD lr 0.01) 0.584 /
 * 0.473 / 0.435. Its lowest over 20 epochs is about 0.33.
 */
export const REACHABLE_LOSS = 0.35;

/** Training images in one epoch on the full data (60,000 less the default 20 % held out): the unit a pace is judged in. */
export const FULL_EPOCH_IMAGES = 48_000;

/** Fashion-MNIST's training images, what `limit: null` trains on. */
export const FASHION_MNIST_TRAIN_IMAGES = 60_000;

/**
 * `learning-slowly` is raised when, at the pace so far (the fall from the start over
 * the images trained on), reaching REACHABLE_LOSS takes at least this many full-data
 * epochs (FULL_EPOCH_IMAGES each) — where a well-set network needs one to three.
 * seed-model-2 (SGD lr 0.001): 15, 9.0, 6.3, 6.3, 7.0 epochs at epochs 1–5; healthy
 * runs at their first epoch: 1.05 (seed-model-3), 1.13 (seed-model-1 with relu),
 * 1.08 (a CNN with Conv 16 and 32); a CNN with Conv 8 and 16 on 9,600 images 1.24
 * and 2.28 of its own epochs, 0.25 and 0.46 full-data ones. Counted in images rather
 * than epochs so that a run on a few hundred images, whose epochs are a handful of
 * steps each, is not "slow" for taking many of them.
 */
export const SLOW_EPOCHS_TO_REACHABLE = 5;

/**
 * Only while the loss is still this far above REACHABLE_LOSS: at or near that level
 * the pace says nothing (every run takes about as many epochs as it has run).
 * seed-model-2's validation loss after 5 epochs: 0.91; healthy runs are below 0.6
 * (0.25 above) by their first or second epoch.
 */
export const SLOW_MIN_GAP = 0.25;

/**
 * The loss must have left chance by this fraction of its start: a loss that has not
 * moved is `not-learning`, not slow. seed-model-2 left it by 19 % by epoch 2.
 */
export const SLOW_MIN_FALL = 0.1;

/**
 * "Falls steadily": the last epoch's fall is at least this fraction of the average
 * fall per epoch so far. A network that has stopped falling far above the reachable
 * level lacks capacity or fights its regularisation; more epochs or a larger
 * learning rate will not help it, so it is not slow. seed-model-2's last fall at
 * epoch 5 was 0.53 of its average.
 */
export const SLOW_STILL_FALLING = 0.25;

/** Epochs of history before a pace is judged: one epoch is a start, not a pace. */
export const SLOW_MIN_EPOCHS = 2;

// ─── overfitting ────────────────────────────────────────────────────────────────

/**
 * Epochs since the lowest validation loss before `overfitting` is raised: Keras's
 * EarlyStopping patience used by the fix, so the finding and the fix agree.
 */
export const OVERFIT_PATIENCE = 3;

/**
 * The validation loss must be above its lowest by at least this fraction. seed-model-3
 * over 20 epochs: lowest 0.327 at epoch 10; before that, OVERFIT_PATIENCE or more
 * epochs after a low it was never more than 2.2 % above it (0.347 at epoch 5, 0.354
 * at 6 and 7), a run still improving; after epoch 10 it rose 6.1 % by epoch 14 and
 * 15 % by epoch 19 while training loss fell from 0.254 to 0.194, and it never came
 * back. So `overfitting` is raised at epoch 14. Its fix, early stopping (patience 3,
 * restore best), stops that run at epoch 13 with epoch 10's weights: test accuracy
 * 0.8809 against the full run's 0.8814.
 */
export const OVERFIT_RISE = 0.05;

/**
 * A training accuracy this far above the validation accuracy, on two epochs in a row,
 * while the validation loss has not turned up, is a gap worth knowing about (severity
 * info only): the network fits its training images better than new ones. seed-model-3
 * reaches 0.037 by epoch 20 (0.928 against 0.891).
 */
export const OVERFIT_GAP = 0.05;

// ─── unstable-loss ──────────────────────────────────────────────────────────────

/**
 * An epoch whose training loss is this fraction above the previous epoch's is a
 * strong rise: the training loss is a mean over the whole epoch, so a healthy run's
 * curve does not rise by that much (every real run measured here, seed-model-3 over
 * 20 epochs included, fell every epoch).
 */
export const UNSTABLE_RISE = 0.1;

/** Strong rises, with falls between them, before the loss counts as oscillating. */
export const UNSTABLE_RISES = 2;

// ─── learning rates ─────────────────────────────────────────────────────────────

/**
 * The learning rate each optimizer usually works at (Keras's defaults for Adam and
 * RMSprop; SGD and Adagrad at 0.01), what a fix moves a far-off learning rate to.
 */
export const TYPICAL_LEARNING_RATE = { sgd: 0.01, adam: 0.001, rmsprop: 0.001, adagrad: 0.01 } as const;

/**
 * A learning rate more than this many times its optimizer's typical one is "far too
 * high": a fix then goes straight back to the typical rate instead of a tenth.
 */
export const FAR_TOO_HIGH = 10;
