import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so any Conv2D
 * layer fails on its first training step ("Kernel 'Conv2DBackpropFilter' not
 * registered for backend 'wasm'"). This registers one built from kernels the
 * backend does have: the input windows are gathered side by side (im2col,
 * one strided slice per kernel position, concatenated along the channels),
 * and the filter gradient is one matrix product, patchesᵀ · dy, on XNNPACK.
 *
 * Channels-last only (the only layout Layerlab builds); tfjs's conv gradient
 * asserts dilation 1 for the filter gradient, so dilations never reach here.
 */
const BACKEND = 'wasm';
const KERNEL = 'Conv2DBackpropFilter';

interface Attrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

function conv2dBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Attrs;
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports channels-last (NHWC) data only');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inChannels, outChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, bottom, left, right } = info.padInfo;

  const run = (name: string, kernelInputs: tf.NamedTensorInfoMap | tf.TensorInfo[], kernelAttrs: object): tf.TensorInfo =>
    tf.getKernel(name, BACKEND).kernelFunc({
      inputs: kernelInputs as tf.NamedTensorInfoMap,
      backend,
      attrs: kernelAttrs as tf.NamedAttrMap,
    }) as tf.TensorInfo;
  const temporaries: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => (temporaries.push(t), t);

  try {
    const padded =
      top || bottom || left || right
        ? keep(
            run(
              'PadV2',
              { x },
              {
                paddings: [
                  [0, 0],
                  [top, bottom],
                  [left, right],
                  [0, 0],
                ],
                constantValue: 0,
              },
            ),
          )
        : x;
    // One [batch, outHeight, outWidth, inChannels] window view per kernel position, in the
    // filter's own (row, col, channel) order, so the concatenation lines up with its layout.
    const windows: tf.TensorInfo[] = [];
    for (let r = 0; r < filterHeight; r++) {
      for (let c = 0; c < filterWidth; c++) {
        windows.push(
          keep(
            run(
              'StridedSlice',
              { x: padded },
              {
                begin: [0, r, c, 0],
                end: [batchSize, r + (outHeight - 1) * strideHeight + 1, c + (outWidth - 1) * strideWidth + 1, inChannels],
                strides: [1, strideHeight, strideWidth, 1],
                beginMask: 0,
                endMask: 0,
                ellipsisMask: 0,
                newAxisMask: 0,
                shrinkAxisMask: 0,
              },
            ),
          ),
        );
      }
    }
    const patches = windows.length === 1 ? windows[0] : keep(run('Concat', windows, { axis: 3 }));
    const rows = batchSize * outHeight * outWidth;
    const a = keep(run('Reshape', { x: patches }, { shape: [1, rows, filterHeight * filterWidth * inChannels] }));
    const b = keep(run('Reshape', { x: dy }, { shape: [1, rows, outChannels] }));
    const product = keep(run('BatchMatMul', { a, b }, { transposeA: true, transposeB: false }));
    // Reshape shares the product's data (and takes a reference to it), so freeing the product below is safe.
    return run('Reshape', { x: product }, { shape: filterShape });
  } finally {
    // Kernel-level tensors live outside the engine's bookkeeping: free them by hand.
    for (const t of temporaries) (backend as tf.KernelBackend).disposeData(t.dataId);
  }
}

/**
 * Registers the kernel for the wasm backend if tfjs has none. Idempotent;
 * returns true when a Conv2DBackpropFilter kernel is available afterwards.
 */
export function installWasmConvFilterGrad(): boolean {
  if (tf.getKernel(KERNEL, BACKEND)) return true;
  tf.registerKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc: conv2dBackpropFilter });
  return true;
}
