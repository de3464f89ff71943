/**
 * Incremental evaluation of a lowered graph for the attack, which changes a few pixels at a time
 * and needs the new scores thousands of times per sample. Only the outputs that read a changed
 * value are recomputed (linear layers update their int32 accumulators by w * delta), and a change
 * stops propagating as soon as an output keeps its value — min and max absorb most pixel
 * changes, so a query on a strong network costs a small fraction of a full forward pass.
 *
 * The state always equals runFlat on the current input (tested against the reference).
 */
import { evalLayer, evalMinMaxNeuron, linearOut, type FlatGraph, type FlatLinear } from "./flat.js";
import { firstMaxIndex } from "../kinds/argmax.js";

export class IncrementalNet {
  /** values[0] is the current input, values[k + 1] the output of layer k */
  readonly values: Int8Array[];
  /** accumulators of linear layers (undefined for other kinds) */
  readonly accs: (Float64Array | undefined)[];
  private readonly stamp: Int32Array[];
  private epoch = 0;
  // change lists, double-buffered: indices and old values
  private curIdx: Int32Array;
  private curOld: Int16Array;
  private nextIdx: Int32Array;
  private nextOld: Int16Array;

  constructor(
    readonly fg: FlatGraph,
    input: Int8Array,
  ) {
    this.values = [Int8Array.from(input)];
    this.accs = [];
    let max = fg.inputSize;
    for (const l of fg.layers) {
      const out = new Int8Array(l.size);
      const acc = l.kind === "linear" ? new Float64Array(l.size) : undefined;
      evalLayer(l, this.values[this.values.length - 1]!, out, acc);
      this.values.push(out);
      this.accs.push(acc);
      max = Math.max(max, l.size);
    }
    this.stamp = fg.layers.map((l) => new Int32Array(l.size));
    this.curIdx = new Int32Array(max);
    this.curOld = new Int16Array(max);
    this.nextIdx = new Int32Array(max);
    this.nextOld = new Int16Array(max);
  }

  get input(): Int8Array {
    return this.values[0]!;
  }

  get scores(): Int8Array {
    return this.values[this.fg.scoreLayer + 1]!;
  }

  /** accumulators of the score layer when it is linear, else undefined */
  get scoreAccs(): Float64Array | undefined {
    return this.fg.scoreLayer >= 0 ? this.accs[this.fg.scoreLayer] : undefined;
  }

  prediction(): number {
    return firstMaxIndex(this.scores);
  }

  /** Sets input[idx[k]] = vals[k] for k < count (indices distinct) and propagates. */
  set(idx: ArrayLike<number>, vals: ArrayLike<number>, count = idx.length): void {
    const x = this.values[0]!;
    let n = 0;
    for (let k = 0; k < count; k++) {
      const i = idx[k]!;
      const v = vals[k]!;
      if (x[i] !== v) {
        this.curIdx[n] = i;
        this.curOld[n] = x[i]!;
        n++;
        x[i] = v;
      }
    }
    const layers = this.fg.layers;
    for (let li = 0; li < layers.length && n > 0; li++) {
      const l = layers[li]!;
      const xin = this.values[li]!;
      const out = this.values[li + 1]!;
      const stamp = this.stamp[li]!;
      const epoch = ++this.epoch;
      let m = 0;
      switch (l.kind) {
        case "table":
          for (let k = 0; k < n; k++) {
            const i = this.curIdx[k]!;
            const v = l.table[xin[i]! + 128]!;
            if (v !== out[i]) {
              this.nextIdx[m] = i;
              this.nextOld[m++] = out[i]!;
              out[i] = v;
            }
          }
          break;
        case "minmax":
          for (let k = 0; k < n; k++) {
            const i = this.curIdx[k]!;
            for (let u = l.userStart[i]!; u < l.userStart[i + 1]!; u++) {
              const o = l.users[u]!;
              if (stamp[o] === epoch) continue;
              stamp[o] = epoch;
              const v = evalMinMaxNeuron(l, xin, o);
              if (v !== out[o]) {
                this.nextIdx[m] = o;
                this.nextOld[m++] = out[o]!;
                out[o] = v;
              }
            }
          }
          break;
        case "linear": {
          const acc = this.accs[li]!;
          // first pass: update accumulators, remember touched rows
          let touched = 0;
          const touchedRows = this.touchedBuffer(l);
          for (let k = 0; k < n; k++) {
            const i = this.curIdx[k]!;
            const delta = xin[i]! - this.curOld[k]!;
            for (let u = l.userStart[i]!; u < l.userStart[i + 1]!; u++) {
              const o = l.users[u]!;
              acc[o]! += l.userWeight[u]! * delta;
              if (stamp[o] !== epoch) {
                stamp[o] = epoch;
                touchedRows[touched++] = o;
              }
            }
          }
          for (let t = 0; t < touched; t++) {
            const o = touchedRows[t]!;
            const v = linearOut(l, acc[o]!, o);
            if (v !== out[o]) {
              this.nextIdx[m] = o;
              this.nextOld[m++] = out[o]!;
              out[o] = v;
            }
          }
          break;
        }
      }
      // swap buffers
      [this.curIdx, this.nextIdx] = [this.nextIdx, this.curIdx];
      [this.curOld, this.nextOld] = [this.nextOld, this.curOld];
      n = m;
    }
  }

  private touched = new Map<FlatLinear, Int32Array>();
  private touchedBuffer(l: FlatLinear): Int32Array {
    let b = this.touched.get(l);
    if (!b) this.touched.set(l, (b = new Int32Array(l.size)));
    return b;
  }
}
