/**
 * The WebAssembly text of Layerlab's Dense training kernels (128-bit SIMD,
 * a shared memory so two threads work on the same matrices). Generated here
 * rather than written out by hand because the GEMM's tile is the same code
 * for 4 rows and for 1: the text below is the source, assemble.ts turns it
 * into a module once per process.
 *
 * Conventions: every matrix is row-major float32 with a row stride in bytes;
 * column counts are padded to multiples of 8 (the tile's width) with zeros,
 * so the kernels never handle a ragged column edge. Rows may be any count.
 */

/** Epilogue flags of `gemm` (bits of its `mode` argument). */
export const MODE_BIAS = 1;
export const MODE_RELU = 2;
/** Multiply the result by the derivative of the activation whose outputs `d` holds (same layout as C). */
export const MODE_DRELU = 4;
export const MODE_DSIGMOID = 8;
export const MODE_DTANH = 16;

/** One R-row × 8-column tile loop over j ∈ [n0, n1), for the rows starting at $i. */
function tile(rows: number): string {
  const r = Array.from({ length: rows }, (_, i) => i);
  const acc = (i: number, h: number) => `$acc${i}${h}`;
  const init = r
    .map(
      (i) => `
      (if (i32.and (local.get $mode) (i32.const ${MODE_BIAS}))
        (then
          (local.set ${acc(i, 0)} (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
          (local.set ${acc(i, 1)} (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
        (else
          (local.set ${acc(i, 0)} (v128.const i32x4 0 0 0 0))
          (local.set ${acc(i, 1)} (v128.const i32x4 0 0 0 0))))
      (local.set $pa${i} (i32.add (local.get $a) (i32.mul (i32.add (local.get $i) (i32.const ${i})) (local.get $ars))))`,
    )
    .join('');
  const body = r
    .map(
      (i) => `
          (local.set $s (v128.load32_splat (local.get $pa${i})))
          (local.set ${acc(i, 0)} (f32x4.add (local.get ${acc(i, 0)}) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set ${acc(i, 1)} (f32x4.add (local.get ${acc(i, 1)}) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $pa${i} (i32.add (local.get $pa${i}) (local.get $aks)))`,
    )
    .join('');
  const epilogue = r
    .map((i) => {
      const half = (h: number) => {
        const at = `(i32.add (local.get $pc) (i32.const ${16 * h}))`;
        const dv = `(v128.load offset=${16 * h} (local.get $pd))`;
        return `
      (if (i32.and (local.get $mode) (i32.const ${MODE_RELU}))
        (then (local.set ${acc(i, h)} (f32x4.max (local.get ${acc(i, h)}) (v128.const i32x4 0 0 0 0)))))
      (if (i32.and (local.get $mode) (i32.const ${MODE_DRELU}))
        (then (local.set ${acc(i, h)} (v128.and (local.get ${acc(i, h)}) (f32x4.gt ${dv} (v128.const i32x4 0 0 0 0))))))
      (if (i32.and (local.get $mode) (i32.const ${MODE_DSIGMOID}))
        (then (local.set ${acc(i, h)} (f32x4.mul (local.get ${acc(i, h)}) (f32x4.mul ${dv} (f32x4.sub (v128.const f32x4 1 1 1 1) ${dv}))))))
      (if (i32.and (local.get $mode) (i32.const ${MODE_DTANH}))
        (then (local.set ${acc(i, h)} (f32x4.mul (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul ${dv} ${dv})) (local.get ${acc(i, h)})))))
      (v128.store ${at} (local.get ${acc(i, h)}))`;
      };
      return `
      (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (i32.add (local.get $i) (i32.const ${i})) (local.get $ldc))) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $pd (i32.add (i32.add (local.get $d) (i32.mul (i32.add (local.get $i) (i32.const ${i})) (local.get $ldc))) (i32.shl (local.get $j) (i32.const 2))))${half(0)}${half(1)}`;
    })
    .join('');
  return `
    (local.set $j (local.get $n0))
    (block $dj${rows} (loop $lj${rows}
      (br_if $dj${rows} (i32.ge_s (local.get $j) (local.get $n1)))${init}
      (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $k (local.get $K))
      (block $dk${rows} (loop $lk${rows}
          (br_if $dk${rows} (i32.eqz (local.get $k)))
          (local.set $b0 (v128.load (local.get $pb)))
          (local.set $b1 (v128.load offset=16 (local.get $pb)))${body}
          (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br $lk${rows})))${epilogue}
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $lj${rows})))`;
}

/**
 * The module's text. Exports:
 * - gemm(a, b, c, bias, d, m0, m1, n0, n1, K, ars, aks, ldb, ldc, mode):
 *   C[i][j] = Σₖ A(i, k)·B[k][j] for rows i ∈ [m0, m1) and columns j ∈ [n0, n1)
 *   (n0, n1 multiples of 8), where A(i, k) is the float at a + i·ars + k·aks
 *   (so A or Aᵀ, by the strides), B's rows are ldb bytes apart and C's ldc;
 *   the sum runs k = 0, 1, …, K−1 in that order for every element (so the
 *   result does not depend on how rows and columns are split between
 *   threads); mode's flags add a bias row first and apply an activation or
 *   an activation's derivative last (MODE_*).
 * - transpose(src, dst, rows, cols, lds, ldd): dst[j][i] = src[i][j] for j ∈ [0, cols), i ∈ [0, rows).
 * - colsum(src, dst, rows, n0, n1, ld): dst[j] = Σᵢ src[i][j], i in order, j ∈ [n0, n1) (multiples of 4).
 * - adam(w, g, m, v, count, k): one Adam step in place over `count` floats (a multiple of 4) of the
 *   weights w, their gradient g and moments m and v, with the eight float32 constants at k
 *   (β1, 1−β1, β2, 1−β2, 1−β1ᵗ, 1−β2ᵗ, ε, −lr): FastAdam's arithmetic (adam.ts), operation by
 *   operation in the same order, so the weights are its weights bit for bit.
 */
export function kernelWat(): string {
  const accs = [0, 1, 2, 3].flatMap((i) => [0, 1].map((h) => `(local $acc${i}${h} v128)`)).join(' ');
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "gemm")
    (param $a i32) (param $b i32) (param $c i32) (param $bias i32) (param $d i32)
    (param $m0 i32) (param $m1 i32) (param $n0 i32) (param $n1 i32) (param $K i32)
    (param $ars i32) (param $aks i32) (param $ldb i32) (param $ldc i32) (param $mode i32)
    (local $i i32) (local $j i32) (local $k i32) (local $pb i32) (local $pc i32) (local $pd i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32)
    (local $s v128) (local $b0 v128) (local $b1 v128) ${accs}
    (local.set $i (local.get $m0))
    (block $done4 (loop $rows4
      (br_if $done4 (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $m1)))${tile(4)}
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $rows4)))
    (block $done1 (loop $rows1
      (br_if $done1 (i32.ge_s (local.get $i) (local.get $m1)))${tile(1)}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows1))))
  (func (export "transpose")
    (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $lds i32) (param $ldd i32)
    (local $i i32) (local $j i32)
    (local.set $i (i32.const 0))
    (block $di (loop $li
      (br_if $di (i32.ge_s (local.get $i) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $dj (loop $lj
        (br_if $dj (i32.ge_s (local.get $j) (local.get $cols)))
        (f32.store
          (i32.add (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $ldd))) (i32.shl (local.get $i) (i32.const 2)))
          (f32.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $lds))) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $li))))
  (func (export "colsum")
    (param $src i32) (param $dst i32) (param $rows i32) (param $n0 i32) (param $n1 i32) (param $ld i32)
    (local $i i32) (local $j i32) (local $p i32) (local $s v128)
    (local.set $j (local.get $n0))
    (block $dj (loop $lj
      (br_if $dj (i32.ge_s (local.get $j) (local.get $n1)))
      (local.set $s (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $di (loop $li
        (br_if $di (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $s (f32x4.add (local.get $s) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (local.get $ld)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $li)))
      (v128.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $lj))))
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $count i32) (param $k i32)
    (local $i i32) (local $end i32)
    (local $b1 v128) (local $c1 v128) (local $b2 v128) (local $c2 v128) (local $d1 v128) (local $d2 v128) (local $eps v128) (local $nlr v128)
    (local $G v128) (local $M v128) (local $V v128)
    (local.set $b1 (v128.load32_splat (local.get $k)))
    (local.set $c1 (v128.load32_splat offset=4 (local.get $k)))
    (local.set $b2 (v128.load32_splat offset=8 (local.get $k)))
    (local.set $c2 (v128.load32_splat offset=12 (local.get $k)))
    (local.set $d1 (v128.load32_splat offset=16 (local.get $k)))
    (local.set $d2 (v128.load32_splat offset=20 (local.get $k)))
    (local.set $eps (v128.load32_splat offset=24 (local.get $k)))
    (local.set $nlr (v128.load32_splat offset=28 (local.get $k)))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $G (v128.load (i32.add (local.get $g) (local.get $i))))
      (local.set $M (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $b1))
        (f32x4.mul (local.get $G) (local.get $c1))))
      (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $M))
      (local.set $V (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (local.get $b2))
        (f32x4.mul (f32x4.mul (local.get $G) (local.get $G)) (local.get $c2))))
      (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $V))
      (v128.store (i32.add (local.get $w) (local.get $i))
        (f32x4.add
          (f32x4.mul
            (f32x4.div
              (f32x4.div (local.get $M) (local.get $d1))
              (f32x4.add (f32x4.sqrt (f32x4.div (local.get $V) (local.get $d2))) (local.get $eps)))
            (local.get $nlr))
          (v128.load (i32.add (local.get $w) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))))
`;
}
