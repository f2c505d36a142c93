;; Host-side kernels of the training step in wasm SIMD (128-bit: 4 float32 lanes), compiled by
;; `pnpm gen:wasm` (wabt) into host_kernels_wasm.ts. The memory is imported: tfjs-wasm's heap (so tensors are
;; read and written in place, by byte offset) or a memory of our own. Every function takes byte offsets and
;; an element count; the last n mod 4 elements go through the same arithmetic one lane at a time.
(module
  (import "env" "memory" (memory 0))

  ;; torch.optim.AdamW on n float32 values, op by op in float32 as torch's single-tensor step:
  ;;   g ← g·gscale (clipping and micro-batch mean), m ← m·b1 + g·c1, v ← v·b2 + g·g·c2,
  ;;   out ← p·decay − step · m / (√v / bc2 + eps)      (c1 = 1−b1, c2 = 1−b2, bc2 = √(1−b2^t))
  ;; m and v are updated in place; out may be p.
  (func (export "adamw")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $out i32) (param $n i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $eps f32)
    (param $decay f32) (param $step f32) (param $bc2 f32) (param $gscale f32)
    (local $off i32) (local $end i32)
    (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $EPS v128)
    (local $DECAY v128) (local $STEP v128) (local $BC2 v128) (local $GS v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    (local.set $DECAY (f32x4.splat (local.get $decay)))
    (local.set $STEP (f32x4.splat (local.get $step)))
    (local.set $BC2 (f32x4.splat (local.get $bc2)))
    (local.set $GS (f32x4.splat (local.get $gscale)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $off))) (local.get $GS)))
        (local.set $mv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $off))) (local.get $B1))
            (f32x4.mul (local.get $gv) (local.get $C1))))
        (local.set $vv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $off))) (local.get $B2))
            (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $C2))))
        (v128.store (i32.add (local.get $m) (local.get $off)) (local.get $mv))
        (v128.store (i32.add (local.get $v) (local.get $off)) (local.get $vv))
        (v128.store (i32.add (local.get $out) (local.get $off))
          (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $off))) (local.get $DECAY))
            (f32x4.mul
              (f32x4.div (local.get $mv)
                (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (local.get $BC2)) (local.get $EPS)))
              (local.get $STEP))))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $vec)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $gs (f32.mul (f32.load (i32.add (local.get $g) (local.get $off))) (local.get $gscale)))
        (local.set $ms
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m) (local.get $off))) (local.get $b1))
            (f32.mul (local.get $gs) (local.get $c1))))
        (local.set $vs
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $v) (local.get $off))) (local.get $b2))
            (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $c2))))
        (f32.store (i32.add (local.get $m) (local.get $off)) (local.get $ms))
        (f32.store (i32.add (local.get $v) (local.get $off)) (local.get $vs))
        (f32.store (i32.add (local.get $out) (local.get $off))
          (f32.sub
            (f32.mul (f32.load (i32.add (local.get $p) (local.get $off))) (local.get $decay))
            (f32.mul
              (f32.div (local.get $ms)
                (f32.add (f32.div (f32.sqrt (local.get $vs)) (local.get $bc2)) (local.get $eps)))
              (local.get $step))))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))
        (br $tail))))

  ;; Σ x² of n float32 values, accumulated in float64 (four independent sums, two lanes each).
  (func (export "sum_squares") (param $x i32) (param $n i32) (result f64)
    (local $off i32) (local $end i32) (local $t v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64) (local $f f64)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $t (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $off)))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $t) (local.get $t))))
        (local.set $t (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $x) (local.get $off)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $t) (local.get $t))))
        (local.set $t (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (i32.add (local.get $x) (local.get $off)))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $t) (local.get $t))))
        (local.set $t (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (i32.add (local.get $x) (local.get $off)))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $t) (local.get $t))))
        (local.set $off (i32.add (local.get $off) (i32.const 32)))
        (br $vec)))
    (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $f (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $off)))))
        (local.set $s (f64.add (local.get $s) (f64.mul (local.get $f) (local.get $f))))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; Inverted-dropout mask: out[i] = keep if mulberry32's i-th draw after `seed` (as an unsigned integer) is
  ;; ≥ threshold, else 0. mulberry32 is counter-based (draw i hashes seed + (i+1)·0x6d2b79f5), so four lanes
  ;; draw four consecutive values: the same masks as the scalar generator, bit for bit.
  (func (export "dropout_mask") (param $out i32) (param $n i32) (param $seed i32) (param $threshold i32) (param $keep f32)
    (local $off i32) (local $end i32) (local $a v128) (local $x v128)
    (local $INC v128) (local $THR v128) (local $KEEP v128) (local $ONE v128) (local $C61 v128)
    (local $s i32) (local $y i32)
    (local.set $a
      (i32x4.add (i32x4.splat (local.get $seed))
        (v128.const i32x4 0x6d2b79f5 0xda56f3ea 0x47826ddf 0xb4ade7d4)))
    (local.set $INC (i32x4.splat (i32.const 0xb4ade7d4)))
    (local.set $THR (i32x4.splat (local.get $threshold)))
    (local.set $KEEP (f32x4.splat (local.get $keep)))
    (local.set $ONE (i32x4.splat (i32.const 1)))
    (local.set $C61 (i32x4.splat (i32.const 61)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $x (local.get $a))
        (local.set $x
          (i32x4.mul
            (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 15)))
            (v128.or (local.get $x) (local.get $ONE))))
        (local.set $x
          (v128.xor (local.get $x)
            (i32x4.add (local.get $x)
              (i32x4.mul
                (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 7)))
                (v128.or (local.get $x) (local.get $C61))))))
        (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 14))))
        (v128.store (i32.add (local.get $out) (local.get $off))
          (v128.and (i32x4.ge_u (local.get $x) (local.get $THR)) (local.get $KEEP)))
        (local.set $a (i32x4.add (local.get $a) (local.get $INC)))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $vec)))
    ;; The scalar tail continues the counter: draw i is seed + (i+1)·0x6d2b79f5.
    (local.set $s (i32.add (local.get $seed)
      (i32.mul (i32.shr_u (local.get $off) (i32.const 2)) (i32.const 0x6d2b79f5))))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $off) (local.get $end)))
        (local.set $s (i32.add (local.get $s) (i32.const 0x6d2b79f5)))
        (local.set $y (local.get $s))
        (local.set $y
          (i32.mul (i32.xor (local.get $y) (i32.shr_u (local.get $y) (i32.const 15)))
            (i32.or (local.get $y) (i32.const 1))))
        (local.set $y
          (i32.xor (local.get $y)
            (i32.add (local.get $y)
              (i32.mul (i32.xor (local.get $y) (i32.shr_u (local.get $y) (i32.const 7)))
                (i32.or (local.get $y) (i32.const 61))))))
        (local.set $y (i32.xor (local.get $y) (i32.shr_u (local.get $y) (i32.const 14))))
        (f32.store (i32.add (local.get $out) (local.get $off))
          (select (local.get $keep) (f32.const 0) (i32.ge_u (local.get $y) (local.get $threshold))))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))
        (br $tail))))

  ;; out ← p·s over n float32 values (AdamW on a row whose moments and gradient are zero: only the decay).
  (func (export "scale") (param $p i32) (param $out i32) (param $n i32) (param $s f32)
    (local $off i32) (local $end i32) (local $S v128)
    (local.set $S (f32x4.splat (local.get $s)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $off) (local.get $end)))
        (v128.store (i32.add (local.get $out) (local.get $off))
          (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $off))) (local.get $S)))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $vec)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $off) (local.get $end)))
        (f32.store (i32.add (local.get $out) (local.get $off))
          (f32.mul (f32.load (i32.add (local.get $p) (local.get $off))) (local.get $s)))
        (local.set $off (i32.add (local.get $off) (i32.const 4)))
        (br $tail))))

  ;; flags[r] ← 1 if row r of the [rows, cols] float32 matrix at x holds a value ≠ 0 (NaN included), else 0.
  (func (export "nonzero_rows") (param $x i32) (param $rows i32) (param $cols i32) (param $flags i32)
    (local $r i32) (local $off i32) (local $rowEnd i32) (local $vecEnd i32) (local $acc v128) (local $any i32)
    (local $Z v128)
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $acc (local.get $Z))
        (local.set $vecEnd (i32.add (local.get $off) (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2))))
        (local.set $rowEnd (i32.add (local.get $off) (i32.shl (local.get $cols) (i32.const 2))))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (local.get $off) (local.get $vecEnd)))
            (local.set $acc
              (v128.or (local.get $acc)
                (f32x4.ne (v128.load (i32.add (local.get $x) (local.get $off))) (local.get $Z))))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $vec)))
        (local.set $any (v128.any_true (local.get $acc)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $off) (local.get $rowEnd)))
            (local.set $any
              (i32.or (local.get $any)
                (f32.ne (f32.load (i32.add (local.get $x) (local.get $off))) (f32.const 0))))
            (local.set $off (i32.add (local.get $off) (i32.const 4)))
            (br $tail)))
        (i32.store8 (i32.add (local.get $flags) (local.get $r)) (local.get $any))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Row idx[t] of the [·, cols] float32 table at dst += row t of the [n, cols] float32 rows at src, for t = 0..n−1
  ;; in order (idx: n int32 row indices, checked by the caller). The gradient of an embedding lookup.
  (func (export "scatter_add_rows") (param $dst i32) (param $src i32) (param $idx i32) (param $n i32) (param $cols i32)
    (local $t i32) (local $d i32) (local $s i32) (local $j i32) (local $vecEnd i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2)))
    (local.set $s (local.get $src))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $t) (local.get $n)))
        (local.set $d
          (i32.add (local.get $dst)
            (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $t) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $j (i32.const 0))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (local.get $j) (local.get $vecEnd)))
            (v128.store (i32.add (local.get $d) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $d) (local.get $j)))
                (v128.load (i32.add (local.get $s) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $vec)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (f32.store (i32.add (local.get $d) (local.get $j))
              (f32.add (f32.load (i32.add (local.get $d) (local.get $j)))
                (f32.load (i32.add (local.get $s) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $tail)))
        (local.set $s (i32.add (local.get $s) (local.get $rowBytes)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $row))))
)
